"""From rows of one extract to canonical person records.

A row holds one primary person and, in some extracts, more (an HHS referral holds the
child and the sponsor). Each person becomes one record of `columns.RECORD_COLUMNS`.
This module only routes columns to the field normalizers; every rule about what a name,
a date or an address looks like lives in those normalizers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas._libs.json import ujson_dumps
from pandas.api.extensions import ExtensionDtype
from pandas.api.types import infer_dtype

from linker import columns as C
from linker.mapping import FieldSpec, SourceMapping
from linker.standardize.addresses import standardize_addresses
from linker.standardize.dates import dob_columns, event_date_array
from linker.standardize.demographics import (
    standardize_countries,
    standardize_relationship,
    standardize_sex,
)
from linker.standardize.identifiers import (
    a_number_arrays,
    document_id_array,
    scoped_id_array,
)
from linker.standardize.in_arrow import python_objects, python_values
from linker.standardize.names import standardize_names
from linker.standardize.phones import phone_array
from linker.standardize.text import is_arrow_text, text_array

# Fields whose presence makes a related person worth a record (a blank sponsor block
# on a referral is not a person).
_PERSON_FIELDS = (
    "full_name",
    "given_name",
    "family_name",
    "family_name_1",
    "a_number",
    "dob",
    "document_id",
    "person_id",
)
INVALID_DOB = "dob_invalid"
INVALID_EVENT_DATE = "event_date_invalid"

STRING_COLUMNS = tuple(
    c
    for c in C.RECORD_COLUMNS
    if c not in (C.RECORD_ID, C.LINE, C.DOB_YEAR, C.DOB_MONTH, C.DOB_DAY)
)
RECORD_DTYPES: dict[str, str] = {
    C.RECORD_ID: "int64",
    C.LINE: "int64",
    C.DOB_YEAR: "Int16",
    C.DOB_MONTH: "Int8",
    C.DOB_DAY: "Int8",
} | {c: "object" for c in STRING_COLUMNS}


# One person's columns: name -> one value per row (numpy or pandas extension array).
# Frames are built once per chunk from these: joining and concatenating DataFrames
# column group by column group copied every column several times.
_Columns = dict[str, Any]


@dataclass(frozen=True)
class FieldIssues:
    """Values present in the extract but unusable, counted per field for the summary."""

    dob_invalid: int = 0
    event_date_invalid: int = 0

    def __add__(self, other: FieldIssues) -> FieldIssues:
        return FieldIssues(
            self.dob_invalid + other.dob_invalid,
            self.event_date_invalid + other.event_date_invalid,
        )


def standardize_chunk(
    frame: pd.DataFrame, source: SourceMapping
) -> tuple[pd.DataFrame, FieldIssues]:
    """Canonical records (RECORD_ID all 0) for every person in a chunk of rows."""
    columns, issues = record_columns(frame, source)
    for name, column in columns.items():
        if isinstance(column, pa.Array):
            columns[name] = python_objects(column)
    return pd.DataFrame(columns).astype(RECORD_DTYPES, copy=False), issues


def record_columns(frame: pd.DataFrame, source: SourceMapping) -> tuple[_Columns, FieldIssues]:
    """`standardize_chunk`'s columns, one array each in `C.RECORD_COLUMNS` order, before
    any frame is made of them: the standardize workers turn them into Arrow directly.

    Each is a numpy or pandas array, or Arrow text where a normalizer makes it in Arrow
    (RAW, `_raw_json`; identifiers, dates and phones; the keys and the constants), as
    records.parquet's table takes it."""
    keys = python_values(frame[source.key]).astype(object)
    key_text = _key_text(keys)
    primary, issues = _standardize_person(frame, source.fields, source)
    primary[C.ROW_KEY] = primary[C.RECORD_KEY] = key_text
    primary[C.ROLE] = _repeat(C.PRIMARY_ROLE, len(frame))
    primary[C.RELATED_TO] = _repeat(None, len(frame))
    primary[C.RELATION] = _repeat(None, len(frame))
    primary[C.RELATIONSHIP] = _repeat(None, len(frame))
    xref = source.field("cross_reference")
    if xref is not None:
        cited = python_values(column_values(frame, xref)).str.strip()
        present = cited.notna() & (cited != "")
        primary[C.CROSS_REFERENCE] = (f"{xref.source}:" + cited).where(present, None).to_numpy()
    else:
        primary[C.CROSS_REFERENCE] = _repeat(None, len(frame))
    people = [primary]
    for related in source.related:
        present = _has_any(frame, related.fields)
        if not present.any():
            continue
        rows = frame.loc[present]
        person, more = _standardize_person(rows, related.fields, source)
        issues += more
        if isinstance(key_text, pa.Array):
            person[C.ROW_KEY] = person[C.RELATED_TO] = key_text.filter(present.to_numpy())
            person[C.RECORD_KEY] = pc.binary_join_element_wise(
                person[C.ROW_KEY], ":" + related.role, ""
            )
        else:
            person[C.ROW_KEY] = person[C.RELATED_TO] = keys[present].to_numpy()
            person[C.RECORD_KEY] = (keys[present] + ":" + related.role).to_numpy()
        person[C.ROLE] = _repeat(related.role, len(rows))
        person[C.RELATION] = _repeat(related.relation, len(rows))
        if related.relationship:
            person[C.RELATIONSHIP] = standardize_relationship(rows[related.relationship]).to_numpy()
        else:
            person[C.RELATIONSHIP] = _repeat(None, len(rows))
        person[C.CROSS_REFERENCE] = _repeat(None, len(rows))
        people.append(person)
    size = sum(len(person[C.LINE]) for person in people)
    columns = {C.RECORD_ID: np.zeros(size, dtype=np.int64), C.SOURCE: _repeat(source.name, size)}
    for column in C.RECORD_COLUMNS:
        if column not in columns:
            columns[column] = _stacked([person[column] for person in people])
    return columns, issues


def _repeat(value: str | None, n: int) -> pa.Array:
    """One value on every row, made by Arrow (no Python object per row)."""
    if value is None:
        return pa.nulls(n, pa.string())
    return pa.repeat(pa.scalar(value, pa.string()), n)


def _key_text(keys: pd.Series) -> pa.Array | np.ndarray:
    """The row keys as Arrow text when they are all text (as a chunk's keys are once
    checked), made once for the record and row keys both; else as they are."""
    if infer_dtype(keys, skipna=False) == "string":
        try:
            return pa.array(keys.to_numpy(), pa.string())
        except (pa.ArrowException, UnicodeError):  # a lone surrogate
            pass
    return keys.to_numpy()


def _array(values: pd.Series) -> Any:
    """A Series' values without its index: numpy, or the extension array (Int16...)."""
    return values.array if isinstance(values.dtype, ExtensionDtype) else values.to_numpy()


def _stacked(parts: list[Any]) -> Any:
    if len(parts) == 1:
        return parts[0]
    if all(isinstance(part, pa.Array) for part in parts):
        return pa.concat_arrays([part.cast(parts[0].type) for part in parts])
    parts = [p.to_numpy(zero_copy_only=False) if isinstance(p, pa.Array) else p for p in parts]
    if all(isinstance(part, np.ndarray) for part in parts):
        return np.concatenate(parts)
    return pd.concat([pd.Series(part) for part in parts], ignore_index=True).array


def _standardize_person(
    frame: pd.DataFrame, fields: tuple[FieldSpec, ...], source: SourceMapping
) -> tuple[_Columns, FieldIssues]:
    spec = {f.name: f for f in fields}
    index = frame.index

    def values(name: str) -> pd.Series | None:
        return column_values(frame, spec[name]) if name in spec else None

    def python(name: str) -> pd.Series | None:
        """For names and addresses, which read Python strings."""
        found = values(name)
        return python_values(found) if found is not None else None

    out: _Columns = {}

    def add(part: pd.DataFrame) -> None:
        for name, column in part.items():
            out[str(name)] = _array(column)

    add(
        standardize_names(
            given=python("given_name"),
            middle=python("middle_name"),
            family=python("family_name"),
            family_1=python("family_name_1"),
            family_2=python("family_name_2"),
            full=python("full_name"),
            index=index,
        )
    )
    out[C.A_NUMBER], out[C.A_NUMBER_RAW] = a_number_arrays(_or_empty(values("a_number"), index))
    dob_spec = spec.get("dob")
    dob, dob_invalid = dob_columns(
        _or_empty(values("dob"), index),
        fmt=dob_spec.format if dob_spec else None,
        estimated=values("dob_estimated"),
        day_first=dob_spec.day_first if dob_spec else None,
        serial=dob_spec.serial if dob_spec else None,
    )
    event_spec = spec.get("event_date")
    out.update(dob)
    out[C.EVENT_DATE], event_invalid = event_date_array(
        _or_empty(values("event_date"), index),
        fmt=event_spec.format if event_spec else None,
        day_first=event_spec.day_first if event_spec else None,
        serial=event_spec.serial if event_spec else None,
    )
    issues = FieldIssues(int(dob_invalid.sum()), int(event_invalid.sum()))
    sex_spec = spec.get("sex")
    out[C.SEX] = _array(
        standardize_sex(
            _or_empty(values("sex"), index), codes=sex_spec.sex_codes if sex_spec else None
        )
    )
    country_spec = spec.get("country")
    country = standardize_countries(
        _or_empty(values("country"), index),
        codes=country_spec.codes if country_spec else "iso",
    )
    out[C.COUNTRY] = _array(country)
    add(
        standardize_addresses(
            line=python("address"),
            city=python("city"),
            state=python("state"),
            postal_code=python("postal_code"),
            index=index,
        )
    )
    out[C.PHONE] = phone_array(
        _or_empty(values("phone"), index),
        default_region=source.phone_region,
        home_countries=country,
    )
    out[C.FAMILY_GROUP] = scoped_id_array(_or_empty(values("family_group"), index), source.name)
    out[C.PERSON_ID] = scoped_id_array(_or_empty(values("person_id"), index), source.name)
    out[C.DOCUMENT_ID] = document_id_array(_or_empty(values("document_id"), index))
    out[C.LINE] = frame[C.LINE].to_numpy()
    used = list(dict.fromkeys(c for f in fields for c in f.columns))
    out[C.RAW] = _raw_json(frame, used)
    return out, issues


def column_values(frame: pd.DataFrame, spec: FieldSpec) -> pd.Series:
    """One field's text: a column, or several joined by the separator with blanks skipped."""
    if len(spec.columns) == 1:
        return frame[spec.columns[0]]
    parts = [python_values(frame[c]).fillna("").astype(str).to_numpy() for c in spec.columns]
    separator = spec.separator
    if separator.strip() == "":
        joined = [" ".join(separator.join(row).split()) for row in zip(*parts, strict=True)]
    else:
        chars = " " + separator.strip()
        joined = [separator.join(row).strip(chars) for row in zip(*parts, strict=True)]
    values = np.empty(len(joined), dtype=object)
    values[:] = [text or None for text in joined]
    return pd.Series(values, index=frame.index, dtype=object, name=spec.columns[0])


def _or_empty(values: pd.Series | None, index: pd.Index) -> pd.Series:
    return values if values is not None else pd.Series(None, index=index, dtype=object)


def _has_any(frame: pd.DataFrame, fields: tuple[FieldSpec, ...]) -> pd.Series:
    cols = [c for f in fields if f.name in _PERSON_FIELDS for c in f.columns]
    if not cols:
        cols = [c for f in fields for c in f.columns]
    return frame[cols].notna().any(axis=1)


def _raw_json(frame: pd.DataFrame, used: list[str]) -> pa.Array | np.ndarray:
    """The columns a person was read from, as one JSON object per record (for reviewers).

    Exactly the lines of `frame[used].to_json(orient="records", lines=True,
    force_ascii=False)`. For text columns (the usual case) Arrow writes them instead:
    each row is its columns' JSON strings joined between the keys, with no JSON text
    for the whole frame to build and split again, and the result stays in Arrow (large
    text), as records.parquet takes it: a Python string per record made and converted
    back cost half a CPU-second at a million records. Any other column makes the whole
    frame go through `to_json`, and the lines come back as an object array.
    """
    if frame.empty:
        return np.array([], dtype=object)
    if not used:  # nothing was read from the extract (a look-up with every field blank)
        return np.full(len(frame), "{}", dtype=object)
    found = [_text_column(frame, c) for c in used] if frame.columns.is_unique else [None]
    texts = [text for text in found if text is not None]
    if len(texts) < len(found):
        lines = frame[used].to_json(orient="records", lines=True, force_ascii=False)
        # "\n" inside a value is escaped; U+2028 or U+0085 are not, so no splitlines()
        return np.array(lines.removesuffix("\n").split("\n"), dtype=object)
    # Pieces alternate literal text and escaped columns: {"A":"<a>","B":"<b>"}. A null
    # is written as two NUL characters, which escaped text never holds (a control
    # character), and its quoted form then overwritten by null (`_nulls_written`).
    pieces: list[pa.Array | pa.Scalar] = []
    literal = "{"
    for k, (column, text) in enumerate(zip(used, texts, strict=True)):
        literal += ("," if k else "") + ujson_dumps(column, ensure_ascii=False) + ':"'
        pieces += [_large(literal), _json_escaped(text)]
        literal = '"'
    pieces.append(_large(literal + "}"))
    rows = pc.binary_join_element_wise(
        *pieces, _large(""), null_handling="replace", null_replacement=_NULL_MARK
    )
    if any(text.null_count for text in texts):
        rows = _nulls_written(rows)
    return rows


_NULL_MARK = "\x00\x00"  # quoted, as long as null


def _nulls_written(rows: pa.Array) -> pa.Array:
    """The JSON lines with each quoted `_NULL_MARK` written over by null, byte for byte
    in place (the rows were just made; a copy if Arrow's buffer is read-only). Every
    NUL in them is half of a mark, so no search for the quoted text is needed: a pass
    of replace_substring over the lines cost more than joining them."""
    validity, offsets, data = rows.buffers()
    octets = np.frombuffer(data, dtype=np.uint8)
    if not octets.flags.writeable:
        octets = octets.copy()
        buffers = [validity, offsets, pa.py_buffer(octets)]
        rows = pa.Array.from_buffers(rows.type, len(rows), buffers, offset=rows.offset)
    bounds = np.frombuffer(offsets, dtype=np.int64)[[rows.offset, rows.offset + len(rows)]]
    used = octets[bounds[0] : bounds[1]]
    quotes = np.flatnonzero(used == 0)[::2] - 1  # the quote before each mark
    for k, byte in enumerate(b"null"):
        used[quotes + k] = byte
    return rows


def _large(text: str) -> pa.Scalar:
    return pa.scalar(text, pa.large_string())


def _text_column(frame: pd.DataFrame, column: str) -> pa.Array | None:
    """An object column of strings and nulls as Arrow text; None for anything else.

    Nulls are None, NaN, pd.NA and NaT, all of which `to_json` writes as null. Text
    pandas holds in Arrow is taken as it is.
    """
    values = frame[column]
    if isinstance(column, str) and is_arrow_text(values):
        return text_array(values).cast(pa.large_string())
    if not isinstance(column, str) or values.dtype != object:
        return None
    if infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    try:
        return pa.array(values.to_numpy(), pa.large_string(), from_pandas=True)
    except (pa.ArrowException, UnicodeError):  # a lone surrogate: to_json decides
        return None


_QUOTE, _BACKSLASH, _SLASH = (ord(c) for c in '"\\/')


def _json_escaped(text: pa.Array) -> pa.Array:
    """The inside of each value's JSON string, escaped as pandas' encoder does.

    That encoder (ensure_ascii off) escapes only `"`, `\\`, `/` and the control
    characters below U+0020, all single UTF-8 bytes that occur in no other character's
    encoding, so one look at the column's bytes tells which escapes are needed at all;
    values with control characters (rare) are escaped one by one by the encoder itself.
    """
    offsets = np.frombuffer(text.buffers()[1], dtype=np.int64)
    offsets = offsets[text.offset : text.offset + len(text) + 1]
    data = text.buffers()[2]
    if data is None or offsets[-1] == offsets[0]:
        return text
    octets = np.frombuffer(data, dtype=np.uint8)[offsets[0] : offsets[-1]]
    escaped = text
    for code, escape in ((_BACKSLASH, "\\\\"), (_QUOTE, '\\"'), (_SLASH, "\\/")):
        if (octets == code).any():
            escaped = pc.replace_substring(escaped, chr(code), escape)
    control = np.flatnonzero(octets < 0x20)
    if len(control):
        mask = np.zeros(len(text), dtype=bool)
        mask[np.searchsorted(offsets, control + offsets[0], "right") - 1] = True
        values = text.filter(mask).to_pylist()
        by_encoder = [ujson_dumps(v, ensure_ascii=False)[1:-1] for v in values]
        escaped = pc.replace_with_mask(escaped, mask, pa.array(by_encoder, pa.large_string()))
    return escaped
