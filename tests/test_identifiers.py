from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.errors import ConfigError
from linker.standardize.identifiers import (
    scope_ids,
    standardize_a_numbers,
    standardize_document_ids,
)

A_NUMBER_CASES = [
    ("A012345678", "012345678"),
    ("A.012345678", "012345678"),
    # prefixes as forms print them, and a clerk's remark
    ("A-#012-345-678", "012345678"),
    ("#012345678", "012345678"),
    ("Alien# 012345678", "012345678"),
    ("ALIEN NO. 012345678", "012345678"),
    ("A NBR 012345678", "012345678"),
    ("A-Number: 012345678", "012345678"),
    ("Alien-Reg-No 012-345-678", "012345678"),
    ("A-NUMBER: A012345678", None),  # the prefix once, then digits only
    ("A012345678 (old)", "012345678"),
    ("A012345678/A212345678", None),  # two numbers: neither is taken
    ("ALIENS012345678", None),
    ("012.345.678", None),  # dots read as a decimal point, not a separator
    ("A# 012 345 678", "012345678"),
    ("a 012345678", "012345678"),
    ("A:012345678", "012345678"),
    ("A.012345678", "012345678"),
    ("012.345.678", None),  # dots read as a decimal point, not a separator
    ("012345678", "012345678"),
    (" 212345678 ", "212345678"),
    ("12345678", "012345678"),  # eight digits: zero-padded
    ("A12345678", "012345678"),
    ("12345678.0", "012345678"),  # spreadsheet float
    ('="012345678"', "012345678"),  # spreadsheet formula keeping the leading zero
    ("'012345678", "012345678"),  # spreadsheet text-prefix apostrophe
    ('="A-012-345-678"', "012345678"),
    ("'A012345678", None),  # the apostrophe marks digits only
    ('="012345678', None),  # not a whole formula
    (12345678.0, "012345678"),
    (np.int64(212345678), "212345678"),
    ("Ａ０１２３４５６７８", "012345678"),  # full-width
    ("1234567", None),  # seven digits
    ("123456789012", None),  # more than nine
    ("0123456789", None),
    ("999999999", None),  # one repeated digit
    ("000000000", None),
    ("00000000", None),
    ("A01234X678", None),  # letters other than a leading A
    ("B012345678", None),
    ("AA012345678", None),
    ("012345678A", None),
    ("12345678.5", None),
    ("A", None),
    ("A-", None),
    ("N/A", None),
    ("ñ012345678", None),
    (None, None),
    (np.nan, None),
    (pd.NA, None),
    ("", None),
    ("   ", None),
]


@pytest.mark.parametrize(("raw", "expected"), A_NUMBER_CASES)
def test_a_number_cases(raw: object, expected: str | None) -> None:
    out = standardize_a_numbers(pd.Series([raw], index=["k"], dtype=object))
    assert list(out.columns) == [C.A_NUMBER, C.A_NUMBER_RAW]
    assert out.index.tolist() == ["k"]
    assert out[C.A_NUMBER].iloc[0] == expected


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("A-012-345-678", "A-012-345-678"),
        ("  A012345678 ", "A012345678"),
        ("1234567", "1234567"),  # invalid A-numbers keep their raw text
        ("garbage", "garbage"),
        (12345678.0, "12345678"),  # a float cell is written as the integer it holds
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        ("", None),
        ("  ", None),
    ],
)
def test_a_number_raw_is_kept(raw: object, kept: str | None) -> None:
    out = standardize_a_numbers(pd.Series([raw], dtype=object))
    assert out[C.A_NUMBER_RAW].iloc[0] == kept


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("ab-123 45", "AB12345"),
        ("G 1234 5678", "G12345678"),
        ("pásaporte123", "PASAPORTE123"),
        ("  x1234567  ", "X1234567"),
        ("98765432.0", "98765432"),
        ('="G1234567"', "G1234567"),
        (98765432.0, "98765432"),
        ("A1B2", None),  # under five characters
        ("12-34", None),
        ("NONE", None),
        ("N/A", None),
        ("Unknown", None),
        ("desconocido", None),
        ("000000", None),
        ("XXXXXXX", None),
        ("123456789", None),
        ("12345", None),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        ("", None),
        (" \t ", None),
    ],
)
def test_document_id_cases(raw: object, expected: str | None) -> None:
    out = standardize_document_ids(pd.Series([raw], index=[5], dtype=object))
    assert out.index.tolist() == [5]
    assert out.iloc[0] == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" ab 12 ", "cbp:AB12"),
        ("S-0001", "cbp:S-0001"),
        ("1", "cbp:1"),  # short ids are real ids here
        ("11", "cbp:11"),
        ("12.0", "cbp:12"),
        ('="00123"', "cbp:00123"),
        ("'00123", "cbp:00123"),
        (12.0, "cbp:12"),
        (7, "cbp:7"),
        ("Núñez 1", "cbp:NÚÑEZ1"),
        ("0", None),
        ("000", None),
        ("NONE", None),
        ("n/a", None),
        ("UNKNOWN", None),
        ("-", None),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        ("", None),
        ("   ", None),
    ],
)
def test_scope_id_cases(raw: object, expected: str | None) -> None:
    out = scope_ids(pd.Series([raw], index=["k"], dtype=object), "cbp")
    assert out.index.tolist() == ["k"]
    assert out.iloc[0] == expected


def test_same_id_in_two_sources_stays_apart() -> None:
    ids = pd.Series(["1234"])
    assert scope_ids(ids, "cbp").iloc[0] != scope_ids(ids, "ice").iloc[0]


@pytest.mark.parametrize("source", ["", "  ", "a:b", None])
def test_scope_ids_needs_a_source_name(source: object) -> None:
    with pytest.raises(ConfigError):
        scope_ids(pd.Series(["1"]), source)  # type: ignore[arg-type]


def test_string_dtype_input() -> None:
    values = pd.Series(["A012345678", None, ""], dtype="string")
    out = standardize_a_numbers(values)
    assert out[C.A_NUMBER].tolist() == ["012345678", None, None]
    assert out[C.A_NUMBER_RAW].tolist() == ["A012345678", None, None]


# --- properties ------------------------------------------------------------------------

texts = st.lists(st.one_of(st.text(), st.none()), max_size=8)


@given(texts)
def test_never_raise_and_keep_the_index(values: list[str | None]) -> None:
    index = pd.Index([f"r{i}" for i in range(len(values))])
    series = pd.Series(values, index=index, dtype=object)
    for out in (
        standardize_a_numbers(series),
        standardize_document_ids(series),
        scope_ids(series, "hhs"),
    ):
        assert out.index.equals(index)
    numbers = standardize_a_numbers(series)[C.A_NUMBER].dropna()
    assert numbers.str.fullmatch(r"[0-9]{9}").all()


@given(texts)
def test_idempotent(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    numbers = standardize_a_numbers(series)[C.A_NUMBER]
    assert standardize_a_numbers(numbers)[C.A_NUMBER].tolist() == numbers.tolist()
    docs = standardize_document_ids(series)
    assert standardize_document_ids(docs).tolist() == docs.tolist()


@given(texts, texts)
def test_each_value_is_read_on_its_own(values: list[str | None], others: list[str | None]) -> None:
    """The same values read alone, or reversed after other values, read the same."""
    for func in (standardize_a_numbers, standardize_document_ids, lambda s: scope_ids(s, "ice")):
        alone = func(pd.Series(values, dtype=object))
        mixed = func(pd.Series(others + values[::-1], dtype=object))
        tail = mixed.iloc[len(others) :].iloc[::-1]
        assert np.array_equal(tail.to_numpy(), alone.to_numpy())


@given(st.integers(min_value=10_000_000, max_value=999_999_999), st.sampled_from(["A", "A-", ""]))
def test_real_numbers_survive_formatting(number: int, prefix: str) -> None:
    digits = f"{number:09d}"
    if len(set(digits.lstrip("0"))) == 1:
        return
    grouped = f"{digits[:3]}-{digits[3:6]}-{digits[6:]}"
    out = standardize_a_numbers(pd.Series([prefix + digits, prefix + grouped, float(number)]))
    assert out[C.A_NUMBER].tolist() == [digits] * 3


@given(
    st.lists(st.text(alphabet="0123456789A- #", max_size=14) | st.none(), max_size=8),
    st.sampled_from(['="{}"', "'{}"]),
)
def test_spreadsheet_cells_read_as_the_text_they_show(
    values: list[str | None], wrapper: str
) -> None:
    # A cell exported as ="..." (or '... before a digit) is the text inside it.
    def wrapped(v: str | None) -> str | None:
        if v is None or (wrapper.startswith("'") and not v[:1].isdigit()):
            return v
        return wrapper.format(v)

    plain = pd.Series(values, dtype=object)
    marked = pd.Series([wrapped(v) for v in values], dtype=object)
    for func in (standardize_a_numbers, standardize_document_ids, lambda s: scope_ids(s, "ice")):
        out_plain, out_marked = func(plain), func(marked)
        if isinstance(out_plain, pd.DataFrame):
            out_plain, out_marked = out_plain[C.A_NUMBER], out_marked[C.A_NUMBER]
        assert out_marked.tolist() == out_plain.tolist()
