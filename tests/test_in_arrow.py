"""Chunk columns read in Arrow against the same values as Python strings (the oracle).

The standardize workers keep some columns of a block as Arrow parsed them and the
normalizers read them there (`linker.standardize.in_arrow`). That is only allowed
because every output is what the same values give as Python strings and None, as a
chunk read row by row holds them: these tests hold each fast path to that reading.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from helpers import source_mapping
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.ingest import ARROW_TEXT_DTYPE, RawBlock, parse_block, read_csv_layout
from linker.mapping import FieldSpec, RelatedPerson, SourceMapping
from linker.standardize import dates, identifiers, phones
from linker.standardize.demographics import standardize_countries, standardize_sex
from linker.standardize.in_arrow import (
    PYTHON_WHITESPACE,
    arrow_values,
    columns_in_arrow,
    distinct_text,
    python_strip,
    python_values,
)
from linker.standardize.pipeline import records_table
from linker.standardize.records import record_columns, standardize_chunk
from linker.standardize.text import ARROW_TEXT

TODAY = date(2026, 1, 1)

# Cells as an extract writes them: ids, dates, phones and codes in their usual shapes,
# spreadsheet floats written out, placeholders, blanks, odd whitespace and punctuation,
# other scripts and digits, NUL; and any text at all.
SHAPES = [
    "A012345678", "a-012-345-678", "A# 012 345 678", "12345678.0", "000000000", "N/A",
    "NONE", "unknown", "2005-03-14", "14/03/2005", "03/14/2005", "05/08/2010", "2005",
    "20050314.0", "14 de marzo de 2005", "2005-03-14 10:22:33", "33000", "0000-00-00",
    "(713) 555-0123", "713.555.0123 x12", "+502 5610 8296", "502-5555-1234",
    "55551234", "7135550123.0", "00502 5555 1234", "713-555-0123 / 832-555-0100",
    "M", "Female", "hombre", "GT", "MEX", "Guatemala", "El Salvador", "ES", "HO",
    '="012345678"', "'07030", "Ａ１２３", "١٢٣٤٥٦٧٨٩", "ſ", "É", "\x00", "A\x00B",
    "", " ", "\t\u3000", "\x1c12\x85",
]  # fmt: skip
TRICKY = "0123456789 .-/()+#:'\"\\ADMNXaéñ王１٣\t\n\x00\x0b\x1c\x85\xa0\u2028"
cells = (
    st.none()
    | st.sampled_from(SHAPES)
    | st.text(st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=16)
)
columns_of_cells = st.lists(cells, max_size=30)


def both(values: list[str | None]) -> tuple[pd.Series, pd.Series]:
    """The values as Python strings (None for null) and as text pandas holds in Arrow."""
    python = pd.Series(values, dtype=object)
    return python, python.astype(ARROW_TEXT)


def assert_same(expected: pd.DataFrame | pd.Series, got: pd.DataFrame | pd.Series) -> None:
    """Equal values, dtypes and index, and None (not NaN) wherever the oracle has None."""
    if isinstance(expected, pd.Series):
        expected, got = expected.to_frame(), got.to_frame()
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    for name in expected.columns:
        if expected[name].dtype == object:
            assert [type(v) for v in got[name]] == [type(v) for v in expected[name]], name


def test_python_whitespace_is_what_str_isspace_says() -> None:
    every = "".join(c for c in map(chr, range(sys.maxunicode + 1)) if c.isspace())
    assert PYTHON_WHITESPACE == every


@given(columns_of_cells)
def test_python_strip_is_str_strip(values: list[str | None]) -> None:
    stripped = python_strip(pa.array(values, pa.string())).to_pylist()
    assert stripped == [v.strip() if v is not None else None for v in values]


@given(columns_of_cells)
def test_distinct_text_numbers_values_as_pandas_factorize(values: list[str | None]) -> None:
    python, held = both(values)
    arrow = arrow_values(held)
    if any("\x00" in v for v in values if v is not None):
        assert arrow is None  # pandas may merge such values: the Python reading decides
        return
    assert arrow is not None
    codes, distinct = distinct_text(arrow)
    expected_codes, expected = pd.factorize(python.to_numpy(dtype=object))
    assert codes.tolist() == expected_codes.tolist()
    assert distinct.to_pylist() == list(expected)


def test_only_text_held_in_arrow_is_read_there() -> None:
    assert arrow_values(pd.Series(["A", None], dtype=object)) is None
    held = pd.Series(["A", None, "B"], dtype=ARROW_TEXT, index=[5, 6, 7], name="X")
    assert arrow_values(held) is not None
    python = python_values(held)
    assert python.tolist() == ["A", None, "B"] and python.dtype == object
    assert python.index.tolist() == [5, 6, 7] and python.name == "X"


@given(columns_of_cells)
def test_identifiers_read_arrow_text_as_python_strings(values: list[str | None]) -> None:
    python, held = both(values)
    assert_same(identifiers.standardize_a_numbers(python), identifiers.standardize_a_numbers(held))
    assert_same(
        identifiers.standardize_document_ids(python), identifiers.standardize_document_ids(held)
    )
    assert_same(identifiers.scope_ids(python, "cbp"), identifiers.scope_ids(held, "cbp"))


@pytest.mark.parametrize("fmt", [None, "%m/%d/%Y", "%Y-%m-%d"])
@given(columns_of_cells, st.sampled_from([None, True, False]))
def test_dates_read_arrow_text_as_python_strings(
    fmt: str | None, values: list[str | None], day_first: bool | None
) -> None:
    python, held = both(values)
    estimated = pd.Series(["Y" if v and len(v) % 2 else None for v in values], dtype=object)
    assert_same(
        dates.standardize_dob(python, fmt, estimated, TODAY, day_first),
        dates.standardize_dob(held, fmt, estimated.astype(ARROW_TEXT), TODAY, day_first),
    )
    assert_same(
        dates.standardize_event_date(python, fmt, TODAY, day_first),
        dates.standardize_event_date(held, fmt, TODAY, day_first),
    )


@given(st.lists(st.dates(min_value=date(1900, 1, 1)), max_size=30), st.lists(st.booleans()))
def test_iso_dates_are_formatted_as_python_formats_them(days: list[date], full: list[bool]) -> None:
    year = np.array([d.year for d in days], dtype=np.int16)
    month = np.array([d.month for d in days], dtype=np.int8)
    day = np.array([d.day for d in days], dtype=np.int8)
    mask = np.array([*full, *[True] * len(days)][: len(days)], dtype=bool)
    made = dates._iso(year, month, day, mask).to_pylist()
    assert made == [
        f"{d.year:04d}-{d.month:02d}-{d.day:02d}" if m else None
        for d, m in zip(days, mask, strict=True)
    ]


phone_cells = cells | st.builds(
    "".join, st.lists(st.sampled_from([*"0123456789", *" .-()+#", "x", "ext.", "ſ", "١", "."]))
)


@pytest.mark.parametrize("region", ["US", "GT"])
@given(st.lists(phone_cells, max_size=30), st.lists(st.sampled_from(["GT", "MX", "HN", None])))
def test_phones_read_arrow_text_as_python_strings(
    region: str, values: list[str | None], homes: list[str | None]
) -> None:
    python, held = both(values)
    home = pd.Series([*homes, *[None] * len(values)][: len(values)], dtype=object)
    assert_same(
        phones.standardize_phones(python, region, home),
        phones.standardize_phones(held, region, home),
    )
    assert_same(phones.standardize_phones(python, region), phones.standardize_phones(held, region))


@given(st.lists(phone_cells, max_size=30))
def test_phone_texts_in_arrow_are_text_one_by_one(values: list[str | None]) -> None:
    _, held = both([v for v in values if v is None or "\x00" not in v])
    codes, texts = phones._distinct_texts(held)
    distinct = pd.unique(held.dropna().to_numpy(dtype=object))
    assert texts.arrow.to_pylist() == [phones._text(v) for v in distinct]


@pytest.mark.parametrize(
    "text",
    [
        "1" * 99 + ".0",  # the length counts before the float's ".0" goes
        "1" * 101,
        " 713-555-0123\u3000",
        "N/A",
        "-",
        "no phone",
        "Desconocido",
        "١٢٣٤٥٦٧٨٩٠",
        "ſ",
        "(713) 555-0123",
    ],
)
def test_phone_text_edge_cases(text: str) -> None:
    _, texts = phones._distinct_texts(pd.Series([text], dtype=ARROW_TEXT))
    assert texts.arrow.to_pylist() == [phones._text(text)]


@given(columns_of_cells)
def test_sex_and_country_read_arrow_text_as_python_strings(values: list[str | None]) -> None:
    python, held = both(values)
    assert_same(standardize_sex(python), standardize_sex(held))
    assert_same(standardize_countries(python, "fips"), standardize_countries(held, "fips"))


# --- a whole chunk ---------------------------------------------------------------------

ARROW_COLUMNS = ["a_number", "dob", "sex", "country", "phone", "person_id", "document_id"]
SPONSOR = RelatedPerson(
    "sponsor",
    "sponsor_of",
    "relationship",
    (
        FieldSpec("full_name", ("sponsor",)),
        FieldSpec("phone", ("sponsor_phone",)),
        FieldSpec("dob", ("sponsor_dob",), format="%d/%m/%Y"),
    ),
)


def chunk_source() -> SourceMapping:
    fields = ["given_name", "family_name", "address", "event_date", "cross_reference"]
    return replace(source_mapping("hhs", [*fields, *ARROW_COLUMNS]), related=(SPONSOR,))


RAW_COLUMNS = [
    *ARROW_COLUMNS,
    "given_name",
    "family_name",
    "address",
    "event_date",
    "cross_reference",
    "sponsor",
    "sponsor_phone",
    "sponsor_dob",
    "relationship",
]
rows = st.fixed_dictionaries(dict.fromkeys(RAW_COLUMNS, cells))


def chunk_frame(chosen: list[dict[str, str | None]]) -> pd.DataFrame:
    frame = pd.DataFrame(chosen, columns=RAW_COLUMNS, dtype=object)
    frame = frame.where(frame.notna(), None)
    frame.insert(0, "key", [f"K{i}" for i in range(len(chosen))])
    frame[C.LINE] = np.arange(2, len(chosen) + 2, dtype=np.int64)
    return frame


@given(st.lists(rows, min_size=1, max_size=12))
def test_a_chunk_with_columns_in_arrow_makes_the_same_records(
    chosen: list[dict[str, str | None]],
) -> None:
    source = chunk_source()
    python = chunk_frame(chosen)
    held = python.copy()
    arrow_columns = columns_in_arrow(source)
    assert arrow_columns == set(RAW_COLUMNS)  # names, addresses, sponsor's, all but the key
    for name in arrow_columns:
        held[name] = held[name].astype(ARROW_TEXT)
    expected, expected_issues = standardize_chunk(python, source)
    got, issues = standardize_chunk(held, source)
    assert_same(expected, got)
    assert issues == expected_issues
    table = records_table(record_columns(held, source)[0])
    assert table.equals(records_table(record_columns(python, source)[0]))


def test_a_column_with_nul_is_read_as_python_strings() -> None:
    # pandas factorizes "A" and "A\x00B" as one value when no value is null; the
    # reading of Python strings is the reference, so Arrow text with a NUL goes there.
    source = chunk_source()
    python = chunk_frame([{"document_id": "AB12345"}, {"document_id": "AB12345\x00Z"}])
    held = python.copy()
    held["document_id"] = held["document_id"].astype(ARROW_TEXT)
    assert_same(standardize_chunk(python, source)[0], standardize_chunk(held, source)[0])


@pytest.mark.parametrize(
    ("fields", "relationship", "expected"),
    [
        ({"a_number": ("A",), "phone": ("P",)}, None, {"A", "P"}),
        ({"a_number": ("K",)}, None, set()),  # the key is checked as Python strings
        ({"phone": ("P", "Q"), "given_name": ("P",)}, None, {"P", "Q"}),
        ({"address": ("A",), "dob_estimated": ("X",)}, "R", {"A", "X", "R"}),
    ],
)
def test_every_column_but_the_key_is_kept_in_arrow(
    fields: dict[str, tuple[str, ...]], relationship: str | None, expected: set[str]
) -> None:
    source = replace(
        source_mapping("cbp", []),
        key="K",
        fields=tuple(FieldSpec(name, columns) for name, columns in fields.items()),
        related=(RelatedPerson("sponsor", "sponsor_of", relationship, ()),),
    )
    assert columns_in_arrow(source) == expected


def test_a_block_parsed_by_arrow_keeps_the_asked_columns_there(tmp_path: Path) -> None:
    body = 'K,A,PHONE,NAME\nk1,A012,"(713) 555-0123",ANA\nk2,,,"LUIS\nPEREZ"\nk3,é\x00,x,\n'
    (tmp_path / "x.csv").write_text(body, encoding="utf-8")
    source = replace(
        source_mapping("cbp", []),
        path=tmp_path / "x.csv",
        key="K",
        fields=(
            FieldSpec("a_number", ("A",)),
            FieldSpec("phone", ("PHONE",)),
            FieldSpec("full_name", ("NAME",)),
        ),
    )
    layout = read_csv_layout(source)
    data = body.split("\n", 1)[1].encode()
    block = RawBlock(data, layout.body_offset or 0, 2, last=True)
    plain = parse_block(layout, block)[0].frame
    chunk, whole = parse_block(layout, block, in_arrow={"A", "PHONE"})
    kept = chunk.frame
    assert whole and kept["A"].dtype == ARROW_TEXT_DTYPE == ARROW_TEXT
    assert kept["NAME"].dtype == object and kept["K"].dtype == object
    for name in plain.columns:
        assert_same(plain[name], python_values(kept[name]))
