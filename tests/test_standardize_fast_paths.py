"""Each fast path of the normalizers against the plain code it replaces (its oracle).

The fast paths (translation tables instead of unidecode's loop, Arrow kernels instead of
per-value Python, the fast grammar's own assembly, strptime's regex) are only allowed
because they give exactly what the plain code gives. These properties hold them to it,
so a later edit of either side cannot make them drift apart unnoticed.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import replace
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from helpers import source_mapping
from hypothesis import given
from hypothesis import strategies as st
from unidecode import unidecode

from linker import columns as C
from linker.mapping import FieldSpec, RelatedPerson
from linker.standardize import address_vocab as vocab
from linker.standardize.address_grammar import _build, _fast_reading, parse_cheap
from linker.standardize.addresses import _clean_texts, clean_text
from linker.standardize.dates import _parse_format, _strptime
from linker.standardize.phones import _one, _text, _us_numbers
from linker.standardize.pipeline import records_table
from linker.standardize.records import (
    _nulls_written,
    _raw_json,
    record_columns,
    standardize_chunk,
)
from linker.standardize.text import ARROW_TEXT, ascii_upper, transliterate
from linker.standardize.text import clean_text as clean_tokens

# Characters where the fast paths differ from plain ASCII handling: accents, ligatures,
# scripts unidecode spells out, JSON's escapes, Python's odd whitespace and line breaks.
TRICKY = "éÉñßÆøŁĐЖж王ﬁ１٣'`\"\\/,.-#&  \t\n\r\x00\x0b\x1c\x1f\x7f\x85\u2028"
texts = st.text(alphabet=st.sampled_from(TRICKY) | st.characters(codec="utf-8"), max_size=24)


@given(texts)
def test_text_helpers_equal_their_definitions(text: str) -> None:
    assert transliterate(text) == unidecode(text)
    upper = re.sub(r"['`]", "", unidecode(text).upper())
    assert ascii_upper(text) == upper
    assert clean_tokens(text) == (re.sub(r"[^A-Z0-9]+", " ", upper).strip() or None)
    assert clean_tokens(text, keep_digits=False) == (re.sub(r"[^A-Z]+", " ", upper).strip() or None)


def test_transliteration_warns_on_every_surrogate_like_unidecode() -> None:
    for _ in range(2):  # the second time too: surrogates are never remembered
        with pytest.warns(RuntimeWarning):
            assert transliterate("a\ud800b") == "ab"


address_words = st.sampled_from(
    [*vocab.FAST_SUFFIXES, *vocab.DIRECTIONS, *vocab.FAST_UNITS, *sorted(vocab.STATE_CODES)]
    + "MAIN ELM CORAL WAY LAKE PARK ST LOUIS EL PASO SALT CITY AND PO BOX HWY 1ST 22ND "
    "# #4 #12B B12 4B 12 007 123456 77001 77001-1234 2134 , , , USA MEXICO GEORGIA".split()
)
address_lines = st.builds(
    lambda number, words: " ".join([number, *words]).replace(" ,", ","),
    st.sampled_from(["", "12", "0042", "123456", "1234567"]),
    st.lists(address_words, min_size=1, max_size=10),
)


@given(address_lines)
def test_fast_grammar_assembles_parts_as_build_does(line: str) -> None:
    reading = _fast_reading(line)
    if reading is not None:
        assert reading.parts(line) == _build(*reading.labels(), line)
        assert parse_cheap(line) in (reading.parts(line), parse_cheap(line, fast_path=False))


@given(st.lists(texts | address_lines | st.sampled_from(["N/A", " 12.0 ", "Desconocido"])))
def test_bulk_address_cleaning_equals_clean_text(values: list[str]) -> None:
    raw = np.array([*values, None, 77001.0, 12], dtype=object)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # unidecode on surrogates
        assert list(_clean_texts(raw)) == [clean_text(v) for v in raw]


phone_texts = st.builds(
    "".join,
    st.lists(st.sampled_from([*"0123456789", *" .-()+#", "x", "ext.", "EXT", "ſ", "١"])),
)


@given(st.lists(phone_texts | st.from_regex(r"\+?1?[ (]?[2-9]\d\d\)?[ .-]?\d{3}-?\d{4}")))
def test_bulk_us_numbers_equal_one_by_one(values: list[str]) -> None:
    texts_ = [_text(v) for v in values]
    decided, e164 = _us_numbers(texts_)
    for text, done, number in zip(texts_, decided, e164, strict=True):
        if done:
            assert number == _one(text, "US", fast=True, nanp=True)


@pytest.mark.parametrize("fmt", ["%m/%d/%Y", "%Y-%m-%d", "%d.%m.%Y", "%Y %m  %d", "(%Y)%m"])
@given(st.text(alphabet="0123456789/-.() \t", max_size=12))
def test_strptime_regex_equals_strptime(fmt: str, text: str) -> None:
    spec = _parse_format(fmt)
    assert spec is not None and spec.regex is not None
    try:
        expected = datetime.strptime(text, fmt).date()
    except ValueError:
        expected = None
    assert _strptime(text, spec) == expected


json_values = st.none() | st.just(float("nan")) | texts


@given(st.lists(st.tuples(json_values, json_values), min_size=1, max_size=8))
def test_raw_json_equals_to_json(rows: list[tuple[object, object]]) -> None:
    frame = pd.DataFrame(rows, columns=["NAME", 'A/"B'], dtype=object)
    try:
        expected = frame.to_json(orient="records", lines=True, force_ascii=False)
    except UnicodeEncodeError:  # a lone surrogate: neither can write it
        with pytest.raises(UnicodeEncodeError):
            _raw_json(frame, ["NAME", 'A/"B'])
        return
    assert _lines(_raw_json(frame, ["NAME", 'A/"B'])) == expected.split("\n")[:-1]


@given(st.lists(st.tuples(json_values, json_values), min_size=1, max_size=8))
def test_raw_json_of_text_held_in_arrow_equals_to_json(rows: list[tuple[object, object]]) -> None:
    # The standardize workers hand RAW's columns over as Arrow parsed them.
    frame = pd.DataFrame(rows, columns=["NAME", 'A/"B'], dtype=object)
    expected = frame.to_json(orient="records", lines=True, force_ascii=False)
    held = frame.astype(ARROW_TEXT)
    assert _lines(_raw_json(held, ["NAME", 'A/"B'])) == expected.split("\n")[:-1]


@pytest.mark.parametrize("start", [0, 1, 2])
def test_nulls_are_written_over_their_marks_in_any_buffer(start: int) -> None:
    # A buffer Arrow will not let be written is copied; a slice writes its own rows only.
    lines = ['{"A":"\x00\x00","B":"x"}', '{"A":"\\u0000","B":"\x00\x00"}', '{"A":"\x00\x00"}']
    data = "".join(lines).encode()
    offsets = np.cumsum([0, *(len(line.encode()) for line in lines)], dtype=np.int64)
    held = pa.Array.from_buffers(
        pa.large_string(), 3, [None, pa.py_buffer(offsets.tobytes()), pa.py_buffer(data)]
    )
    assert not np.frombuffer(held.buffers()[2], dtype=np.uint8).flags.writeable
    written = _nulls_written(held.slice(start))
    expected = [line.replace('"\x00\x00"', "null") for line in lines]
    assert written.to_pylist() == expected[start:]
    assert held.to_pylist() == lines  # the read-only buffer was not written


def _lines(raw: pa.Array | np.ndarray) -> list[str]:
    """`_raw_json`'s lines as Python strings, from Arrow text or an object array."""
    assert isinstance(raw, pa.Array | np.ndarray)
    return raw.to_pylist() if isinstance(raw, pa.Array) else list(raw)


def test_raw_json_of_no_columns_is_one_empty_object_per_row() -> None:
    # A look-up whose every field is blank reads no column: one "{}" per record, not a
    # single Arrow scalar (which once made POST /api/match fail with a 500).
    frame = pd.DataFrame({"NAME": ["x", None, "z"]}, dtype=object)
    assert _lines(_raw_json(frame, [])) == ["{}", "{}", "{}"]


def test_raw_made_in_arrow_goes_into_the_records_table_as_written() -> None:
    """A chunk's RAW, a referral's sponsor's rows included, stays Arrow text from
    `_raw_json` to records.parquet's table, with the lines `to_json` writes; the frame
    `standardize_chunk` gives (look-ups, Spark) holds them as Python strings."""
    frame = pd.DataFrame(
        {
            "key": ["u1", "u2", "u3"],
            "given_name": ["JOSÉ", 'A "B" / C', None],
            "sponsor": ["ANA LOPEZ", None, "LUIS\\PEREZ"],
        },
        dtype=object,
    ).assign(**{C.LINE: [2, 3, 4]})
    sponsor = RelatedPerson("sponsor", "sponsor_of", None, (FieldSpec("full_name", ("sponsor",)),))
    source = replace(source_mapping("hhs", ["given_name"]), related=(sponsor,))
    columns, _ = record_columns(frame, source)
    assert isinstance(columns[C.RAW], pa.Array)
    table = records_table(columns)
    expected = [
        *frame[["given_name"]]
        .to_json(orient="records", lines=True, force_ascii=False)
        .split("\n")[:-1],
        *frame.loc[[0, 2], ["sponsor"]]
        .to_json(orient="records", lines=True, force_ascii=False)
        .split("\n")[:-1],
    ]
    assert table.column(C.RAW).to_pylist() == expected
    assert table.schema.field(C.RAW).type == pa.string()
    records, _ = standardize_chunk(frame, source)
    assert records[C.RAW].tolist() == expected
    assert all(type(v) is str for v in records[C.RAW])
