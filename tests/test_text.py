from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker.standardize.text import (
    ARROW_TEXT,
    ascii_upper,
    clean_text,
    factorize,
    map_unique,
    map_unique_columns,
    normalize_text,
    object_text,
    sorted_codes,
    text_array,
    text_at,
    text_codes,
    whole_number_text,
)

UPPER_ASCII = re.compile(r"[A-Z0-9]+( [A-Z0-9]+)*")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        ("", None),
        ("   \t\n ", None),
        ("---", None),
        ("José", "JOSE"),
        ("Núñez", "NUNEZ"),
        ("Ñandú", "NANDU"),
        ("Müller", "MULLER"),
        ("Ľubica", "LUBICA"),
        ("Straße", "STRASSE"),
        ("O'Brien", "OBRIEN"),
        ("O’Brien", "OBRIEN"),  # typographic apostrophe
        ("D`Angelo", "DANGELO"),
        ("Pérez-López", "PEREZ LOPEZ"),
        ("  san   JUAN  ", "SAN JUAN"),
        ("Apt. #4, Main St.", "APT 4 MAIN ST"),
        ("Олена", "OLENA"),  # Cyrillic is transliterated, not emptied
        ("王小明", "WANG XIAO MING"),
        ("İstanbul", "ISTANBUL"),
        ("Ａｂｃ", "ABC"),  # fullwidth
        ("zero\u200bwidth", "ZERO WIDTH"),
        ("😀", None),
        (123, "123"),  # a stray number in a text column
    ],
)
def test_normalize_text_cases(raw: object, expected: str | None) -> None:
    out = normalize_text(pd.Series([raw], dtype=object))
    assert out.tolist() == [expected]


@pytest.mark.parametrize(
    ("raw", "keep_digits", "expected"),
    [
        ("Calle 5 de Mayo 123", True, "CALLE 5 DE MAYO 123"),
        ("Calle 5 de Mayo 123", False, "CALLE DE MAYO"),
        ("JUAN2", False, "JUAN"),
        ("1234", False, None),
    ],
)
def test_clean_text_digits(raw: str, keep_digits: bool, expected: str | None) -> None:
    assert clean_text(raw, keep_digits=keep_digits) == expected


def test_ascii_upper_keeps_punctuation_but_drops_apostrophes() -> None:
    assert ascii_upper("López, O'Neil") == "LOPEZ, ONEIL"


@pytest.mark.parametrize("dtype", ["object", "string", "category"])
def test_normalize_text_dtypes_and_index(dtype: str) -> None:
    values = pd.Series(["josé", None, "JOSÉ", ""], index=[10, 3, 7, 7], dtype=dtype)
    out = normalize_text(values)
    assert out.index.equals(values.index)
    assert out.dtype == object
    assert out.tolist() == ["JOSE", None, "JOSE", None]


def test_map_unique_calls_once_per_distinct_value() -> None:
    calls: list[str] = []

    def func(value: str) -> str:
        calls.append(value)
        return value.lower()

    values = pd.Series(["A", "B", None, "A", "B", np.nan, "A"])
    out = map_unique(values, func)
    assert out.tolist() == ["a", "b", None, "a", "b", None, "a"]
    assert sorted(calls) == ["A", "B"]


def test_map_unique_keeps_strings_with_nul_apart() -> None:
    # pandas' C-string hash table would give "" and "\x000" one code
    values = pd.Series(["", "\x000", "A", "A\x00B"])
    assert map_unique(values, repr).tolist() == ["''", "'\\x000'", "'A'", "'A\\x00B'"]


def test_map_unique_columns_splits_results() -> None:
    first, second = map_unique_columns(
        np.array(["a b", None, "c d"], dtype=object), lambda v: v.split(), 2
    )
    assert first.tolist() == ["a", None, "c"]
    assert second.tolist() == ["b", None, "d"]


def test_normalize_text_empty_series() -> None:
    out = normalize_text(pd.Series([], dtype=object))
    assert out.empty and out.dtype == object


@given(st.lists(st.one_of(st.none(), st.text()), max_size=20))
def test_normalize_text_properties(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object, index=range(100, 100 + len(values)))
    out = normalize_text(series)
    assert out.index.equals(series.index)
    for value in out:
        assert value is None or UPPER_ASCII.fullmatch(value)
    again = normalize_text(out)
    assert again.tolist() == out.tolist()  # idempotent
    # one value's result does not depend on the other values
    singles = [normalize_text(pd.Series([v], dtype=object)).iloc[0] for v in values]
    assert singles == out.tolist()


@given(st.lists(st.one_of(st.none(), st.just(float("nan")), st.text()), max_size=30))
def test_text_codes_number_values_as_factorize_does(values: list[str | float | None]) -> None:
    """Arrow's codes and distinct values are pandas' exactly: same first-seen order,
    every null -1, strings told apart by every code point (NUL included)."""
    array = np.array(values, dtype=object)
    expected_codes, expected_values = factorize(array)
    encoded = text_codes(array)
    if encoded is None:  # nothing to encode, or a value Arrow cannot hold
        assert all(v is None or v != v for v in values) or any(
            isinstance(v, str) and any(0xD800 <= ord(c) < 0xE000 for c in v) for v in values
        )
        return
    codes, distinct = encoded
    assert codes.dtype == np.int64
    assert codes.tolist() == expected_codes.tolist()
    assert distinct.to_pylist() == list(expected_values)


@given(st.lists(st.one_of(st.none(), st.text(alphabet="aAñÑ\x00 z", max_size=3)), max_size=30))
def test_sorted_codes_follow_python_order(values: list[str | None]) -> None:
    """Sorted, the distinct values are in Python's order and each code still names its
    row's value; null stays -1."""
    encoded = text_codes(np.array(values, dtype=object))
    if encoded is None:  # every value null
        assert all(v is None for v in values)
        return
    codes, distinct = sorted_codes(*encoded)
    assert distinct.to_pylist() == sorted({v for v in values if v is not None})
    named = distinct.to_pylist()
    assert [None if c < 0 else named[c] for c in codes.tolist()] == values


@pytest.mark.parametrize(
    "values",
    [
        pd.Series([1, 2, None], dtype="Int64"),  # not text
        pd.Series(["A", 1], dtype=object),  # mixed
        np.array([1.5, 2.5]),
        np.array(["A", "\ud800"], dtype=object),  # a lone surrogate Arrow cannot encode
        pd.Series([None, None], dtype=object),  # no value at all
    ],
)
def test_text_codes_declines_what_is_not_all_text(values: object) -> None:
    assert text_codes(values) is None  # type: ignore[arg-type]


def test_text_codes_reads_pd_na_and_string_dtype_as_null() -> None:
    codes, distinct = text_codes(pd.Series(["B", pd.NA, "A\x00", "B"], dtype="string"))  # type: ignore[misc]
    assert codes.tolist() == [0, -1, 1, 0]
    assert distinct.to_pylist() == ["B", "A\x00"]


TEXT_OR_NULL = st.lists(st.one_of(st.none(), st.text(alphabet="aAñÑ\x00 z:é", max_size=4)))


@given(TEXT_OR_NULL)
def test_text_held_in_arrow_factorizes_as_the_same_text_held_as_objects(
    values: list[str | None],
) -> None:
    """Codes, distinct values and their order are the same whichever way pandas holds
    the text (the linkage keeps it in Arrow, other callers pass Python strings)."""
    as_objects = pd.Series(values, dtype=object)
    in_arrow = pd.Series(values, dtype=ARROW_TEXT)
    codes, uniques = factorize(in_arrow)
    expected_codes, expected_uniques = factorize(as_objects)
    assert codes.tolist() == expected_codes.tolist()
    assert list(uniques) == list(expected_uniques) and uniques.dtype == object
    encoded = text_codes(in_arrow)
    if any(v is not None for v in values):
        assert encoded is not None and encoded[0].tolist() == expected_codes.tolist()


@given(TEXT_OR_NULL)
def test_object_text_gives_python_strings_and_none_for_null(values: list[str | None]) -> None:
    for series in (pd.Series(values, dtype=ARROW_TEXT), pd.Series(values, dtype=object)):
        for per_distinct in (True, False):
            out = object_text(series, per_distinct=per_distinct)
            assert out.dtype == object and out.tolist() == values


@given(TEXT_OR_NULL.filter(bool), st.data())
def test_text_at_is_the_object_text_of_those_rows(values: list[str | None], data) -> None:  # type: ignore[no-untyped-def]
    rows = np.array(
        data.draw(st.lists(st.integers(0, len(values) - 1), max_size=10)), dtype=np.int64
    )
    for series in (pd.Series(values, dtype=ARROW_TEXT), pd.Series(values, dtype=object)):
        out = text_at(series, rows)
        assert out.dtype == object and out.tolist() == [values[i] for i in rows]


def test_object_text_makes_one_string_per_distinct_value() -> None:
    out = object_text(pd.Series(["cbp", "ice", "cbp", None, "cbp"], dtype=ARROW_TEXT))
    assert out[0] is out[2] is out[4] and out[3] is None


@pytest.mark.parametrize("dtype", [object, ARROW_TEXT])
def test_text_array_is_one_arrow_array_with_nulls(dtype: object) -> None:
    chunked = pd.concat([pd.Series(["A", None], dtype=dtype), pd.Series(["B"], dtype=dtype)])
    array = text_array(chunked)
    assert isinstance(array, pa.Array) and array.type == pa.string()
    assert array.to_pylist() == ["A", None, "B"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7135550123.0", "7135550123"),
        ("2005.00", "2005"),
        ("2005.", "2005"),
        ("2005", "2005"),
        ("2005.5", "2005.5"),  # not whole: left as it is
        ("713.555.0123", "713.555.0123"),
        (".0", ".0"),
        ("A123.0", "A123.0"),
    ],
)
def test_whole_number_text(text: str, expected: str) -> None:
    assert whole_number_text(text) == expected
