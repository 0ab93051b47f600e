from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker.standardize.text import (
    ascii_upper,
    clean_text,
    map_unique,
    map_unique_columns,
    normalize_text,
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
