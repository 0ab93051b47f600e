"""Identifiers: A-numbers, identity-document numbers and agency-scoped ids.

An A-number (alien registration number) is the one key the three agencies share, so a
wrong one is worse than none: it would force two people into one entity. Everything
that is not clearly nine digits (or eight, written before zero-padding became the
rule) is therefore dropped to null, while the raw text is kept for the reviewer.

Agency person ids and family-group ids mean something only inside the source that
issued them (CBP subject 1234 and ICE subject 1234 are strangers), so they are prefixed
with the source name. Placeholders ("0", "UNKNOWN") are dropped rather than scoped:
a shared placeholder would tie every record that carries it into one person or family.

Spreadsheets turn numeric ids into floats ("12345678.0"); the trailing ".0" is read
as the integer it came from everywhere in this module.

Unlike names, ids hardly repeat (a million records hold nearly a million A-numbers),
so per-value Python would dominate. The distinct values are cleaned with Arrow compute
kernels instead (called directly: pandas' string accessor costs far more per call on
small chunks); only the rare non-ASCII value goes through unidecode.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype
from unidecode import unidecode

from linker import columns as C
from linker.errors import ConfigError
from linker.standardize.in_arrow import (
    arrow_values,
    distinct_text,
    per_row,
    python_objects,
    python_values,
)
from linker.standardize.text import spreadsheet_cells

A_NUMBER_DIGITS: Final = 9
MIN_DOCUMENT_ID_LENGTH: Final = 5

# Patterns run on Arrow's RE2 engine: no backreferences or lookarounds.
_FLOAT_INT: Final = r"[0-9]+\.0+"
# "A", "A#", "A-", "A-#", "A NO", "ANUM", "A NBR", "A-NUMBER:", "ALIEN NO.", "ALIEN REG #",
# "ALIEN-REG-NO", "#"
_A_PREFIX: Final = (
    r"^(?:(?:ALIEN|A)[\s\-]*(?:REG(?:ISTRATION)?[\s\-]*)?(?:NUM(?:BER)?|NO|NBR|NR)?)?"
    r"\s*[#:.\-]*\s*"
)
_REMARK: Final = r"\([^()]*\)"  # "A012345678 (old)": a clerk's note
_A_BODY: Final = r"[0-9](?:[0-9 \-]*[0-9])?"  # digits, grouped by spaces or dashes
_NON_ASCII: Final = r"[^\x00-\x7f]"

# Written stand-ins for "no id", compared after normalization (upper, no punctuation).
_PLACEHOLDERS: Final = frozenset(
    {
        "NONE", "NA", "NULL", "NIL", "NAN", "UNKNOWN", "UNK", "UNKN", "DESCONOCIDO",
        "NINGUNO", "NINGUNA", "NOTAVAILABLE", "NOTAPPLICABLE", "NOTPROVIDED", "PENDING",
        "REFUSED", "NODOCUMENT", "NODOCUMENTS", "NODOC", "NOID", "SINDOCUMENTO",
        "SINDOCUMENTOS", "NOPASSPORT", "SINPASAPORTE", "NOTSTATED",
    }
)  # fmt: skip
# Runs typed when a form demands a number: "12345", "123456789", "0123456789"...
_DIGIT_RUNS: Final = frozenset(
    run[i:j]
    for run in ("0123456789", "1234567890")
    for i in range(len(run))
    for j in range(i + MIN_DOCUMENT_ID_LENGTH, len(run) + 1)
)


def standardize_a_numbers(values: pd.Series) -> pd.DataFrame:
    """A_NUMBER (nine digits or null) and A_NUMBER_RAW (the text as given, null if blank).

    Accepted: "A012345678", "A-012-345-678", "A# 012 345 678", "a 012345678",
    "012345678", "ALIEN NO. 012345678", "A-Number: 012345678", "#012345678", and eight
    digits (zero-padded); a remark in parentheses is ignored. Seven or fewer digits,
    more than nine (a tenth may be a typo anywhere), one repeated significant digit
    ("000000000", "999999999", "000000007"), dots, or letters other than the prefix make
    the A-number null.
    """
    number, raw = a_number_arrays(values)
    return pd.DataFrame(
        {C.A_NUMBER: python_objects(number), C.A_NUMBER_RAW: python_objects(raw)},
        index=values.index,
    )


def a_number_arrays(values: pd.Series) -> tuple[pa.Array, pa.Array]:
    """`standardize_a_numbers`' two columns as Arrow text, as records.parquet takes them."""
    codes, raw = _distinct(values)
    text = _drop_float_zero(spreadsheet_cells(_ascii(pc.utf8_upper(raw))))
    text = pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _REMARK, ""))
    body = pc.replace_substring_regex(text, _A_PREFIX, "", max_replacements=1)
    digits = pc.replace_substring(pc.replace_substring(body, " ", ""), "-", "")
    length = pc.utf8_length(digits)
    ok = _all(
        pc.match_substring_regex(body, f"^{_A_BODY}$"),
        pc.greater_equal(length, A_NUMBER_DIGITS - 1),
        pc.less_equal(length, A_NUMBER_DIGITS),
        pc.invert(_one_repeated_char(pc.utf8_ltrim(digits, "0"))),
    )
    number = pc.if_else(ok, pc.utf8_lpad(digits, A_NUMBER_DIGITS, "0"), _NULL)
    return per_row(number, codes), per_row(raw, codes)


def standardize_document_ids(values: pd.Series) -> pd.Series:
    """Passport / identity-document numbers as upper-case ASCII alphanumerics.

    Null when shorter than five characters or a placeholder ("NONE", "N/A",
    "UNKNOWN", one character repeated such as "000000", a run like "123456789").
    """
    return pd.Series(python_objects(document_id_array(values)), index=values.index, dtype=object)


def document_id_array(values: pd.Series) -> pa.Array:
    """`standardize_document_ids` as Arrow text, as records.parquet takes it."""
    codes, raw = _distinct(values)
    text = _drop_float_zero(spreadsheet_cells(_ascii(pc.utf8_upper(raw))))
    normalized = pc.replace_substring_regex(text, "[^A-Z0-9]+", "")
    null = _any(
        pc.less(pc.utf8_length(normalized), MIN_DOCUMENT_ID_LENGTH),
        pc.is_in(normalized, value_set=_DOCUMENT_PLACEHOLDERS),
        _one_repeated_char(normalized),
    )
    return per_row(pc.if_else(null, _NULL, normalized), codes)


def scope_ids(values: pd.Series, source: str) -> pd.Series:
    """Ids meaningful only inside one source as "<source>:<ID>"; null when absent.

    The id is stripped, upper-cased and loses internal whitespace ("ab 12" -> "AB12").
    Placeholders ("0", "000", "NONE", "N/A", "UNKNOWN", "-") become null; short or
    repeated ids ("1", "11") are kept, unlike document ids: small extracts number their
    family groups 1, 2, 3.
    """
    return pd.Series(
        python_objects(scoped_id_array(values, source)), index=values.index, dtype=object
    )


def scoped_id_array(values: pd.Series, source: str) -> pa.Array:
    """`scope_ids` as Arrow text, as records.parquet takes it."""
    if not isinstance(source, str) or not source.strip() or ":" in source:
        raise ConfigError(f"source name {source!r} must be a non-empty name without ':'")
    codes, raw = _distinct(values)
    ids = pc.replace_substring_regex(spreadsheet_cells(pc.utf8_upper(raw)), r"\s+", "")
    ids = _drop_float_zero(ids)
    bare = pc.replace_substring_regex(_ascii(ids), "[^A-Z0-9]+", "")
    null = _any(
        pc.equal(pc.utf8_length(bare), 0),
        pc.is_in(bare, value_set=_ID_PLACEHOLDERS),
        pc.equal(pc.utf8_ltrim(bare, "0"), ""),
    )
    scoped = pc.binary_join_element_wise(source.strip() + ":", ids, "")
    return per_row(pc.if_else(null, _NULL, scoped), codes)


# --- Arrow helpers over the distinct values ------------------------------------------------

_NULL: Final = pa.scalar(None, pa.string())
_ID_PLACEHOLDERS: Final = pa.array(sorted(_PLACEHOLDERS), pa.string())
_DOCUMENT_PLACEHOLDERS: Final = pa.array(sorted(_PLACEHOLDERS | _DIGIT_RUNS), pa.string())


def _distinct(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    """Codes (-1 for null or blank) into the distinct values as stripped Arrow strings.

    Non-text values are written as text before factorizing, so 12345678 and 12345678.0
    each keep their own spelling whatever else the column holds. Text pandas holds in
    Arrow is encoded by Arrow, with no Python string made (`linker.standardize.in_arrow`).
    """
    arrow = arrow_values(values)
    if arrow is not None:
        codes, text = distinct_text(arrow)
    else:
        codes, text = _distinct_python(python_values(values))
    text = pc.utf8_trim_whitespace(text)
    return codes, pc.if_else(pc.equal(text, ""), _NULL, text)


def _distinct_python(values: pd.Series) -> tuple[np.ndarray, pa.Array]:
    if values.dtype != object or infer_dtype(values, skipna=True) not in ("string", "empty"):
        values = values.map(_text, na_action="ignore").astype(object)
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    strings = np.asarray(uniques, dtype=object)
    try:
        text = pa.array(strings, pa.string())
    except (pa.ArrowException, UnicodeError):  # lone surrogates
        text = pa.array([_text(s).encode("utf-8", "replace").decode() for s in strings])
    return np.asarray(codes), text


def _text(value: object) -> str:
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def _ascii(text: pa.Array) -> pa.Array:
    """Transliterate the (rare) non-ASCII values with unidecode, upper-cased."""
    mask = pc.fill_null(pc.match_substring_regex(text, _NON_ASCII), False)
    if not pc.any(mask).as_py():
        return text
    replaced = [unidecode(t).upper() for t in pc.filter(text, mask).to_pylist()]
    return pc.replace_with_mask(text, mask, pa.array(replaced, pa.string()))


def _drop_float_zero(text: pa.Array) -> pa.Array:
    """'12345678.0' -> '12345678': a numeric id that passed through a float column."""
    mask = pc.fill_null(pc.match_substring_regex(text, f"^{_FLOAT_INT}$"), False)
    if not pc.any(mask).as_py():
        return text
    trimmed = pc.replace_substring_regex(pc.filter(text, mask), r"\.0+$", "")
    return pc.replace_with_mask(text, mask, trimmed)


def _one_repeated_char(text: pa.Array) -> pa.Array:
    """True where the text is empty or one character repeated ("0000", "XXXXX")."""
    shifted = pc.equal(pc.utf8_slice_codeunits(text, 1), pc.utf8_slice_codeunits(text, 0, -1))
    return pc.or_(pc.less_equal(pc.utf8_length(text), 1), shifted)


def _all(*masks: pa.Array) -> pa.Array:
    out = pc.fill_null(masks[0], False)
    for mask in masks[1:]:
        out = pc.and_(out, pc.fill_null(mask, False))
    return out


def _any(*masks: pa.Array) -> pa.Array:
    """Logical or, with a null operand counting as true (a null id is "null" anyway)."""
    out = pc.fill_null(masks[0], True)
    for mask in masks[1:]:
        out = pc.or_(out, pc.fill_null(mask, True))
    return out
