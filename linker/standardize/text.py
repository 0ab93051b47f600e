"""Shared text helpers: one way to turn any extract text into comparable ASCII.

Extracts arrive in every script and encoding (José, NÚÑEZ, Олена, 王小明). Comparisons
and blocking need one spelling per value, so text is transliterated with unidecode
(never emptied: Cyrillic and Chinese become Latin letters), upper-cased, stripped of
punctuation and whitespace-collapsed. Apostrophes are deleted rather than spaced
(O'BRIEN -> OBRIEN, D'ANGELO -> DANGELO) because officers write the same name with and
without them; every other punctuation mark, hyphens included, separates tokens.

Values repeat heavily (a million rows hold a few thousand names), so the Series
helpers do the per-value work once per distinct value (`map_unique`) and map back.

`phonetic_code` is here too: a spelling key for Spanish-speaking data that names,
cities or streets can share.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from unidecode import unidecode

_APOSTROPHES = re.compile(r"['`]")
_SURROGATES = range(0xD800, 0xE000)
_WHOLE_FLOAT = re.compile(r"(\d+)\.0*")  # "7135550123.0", "20050314.0" from a spreadsheet


def whole_number_text(text: str) -> str:
    """The digits of a whole number a spreadsheet wrote as a float ("2005.0" -> "2005");
    any other text as it is. Dates, phones and ids all arrive this way from Excel."""
    match = _WHOLE_FLOAT.fullmatch(text)
    return match[1] if match else text


# A cell exported so that a spreadsheet keeps its leading zeros: a formula returning
# text (="012345678") or the text-prefix apostrophe before digits ('07030).
_FORMULA_TEXT: Final = r'^="(.*)"$'
_APOSTROPHE_DIGIT: Final = r"^'([0-9])"
_FORMULA_TEXT_RE = re.compile(_FORMULA_TEXT)
_APOSTROPHE_DIGIT_RE = re.compile(_APOSTROPHE_DIGIT)


def spreadsheet_text(text: str) -> str:
    """The text a spreadsheet cell shows: '="012345678"' and "'012345678" -> '012345678',
    '78745.0' -> '78745'; any other text as it is. Identifiers, ZIPs and dates are the
    values exported this way, to keep their leading zeros or by way of a float column."""
    text = _APOSTROPHE_DIGIT_RE.sub(r"\1", _FORMULA_TEXT_RE.sub(r"\1", text))
    return whole_number_text(text)


def spreadsheet_cells(text: pa.Array) -> pa.Array:
    """`spreadsheet_text`'s unwrapping of formula and apostrophe cells, over Arrow text
    (whole-number floats are each caller's own: ids and dates read them differently)."""
    text = pc.replace_substring_regex(text, _FORMULA_TEXT, r"\1")
    return pc.replace_substring_regex(text, _APOSTROPHE_DIGIT, r"\1")


class _CharTable(dict[int, str]):
    """A `str.translate` table that fills itself with `per_char` of each new character.

    unidecode transliterates character by character (its output is the concatenation
    of each character's replacement), and upper-casing ASCII, deleting apostrophes and
    mapping punctuation to spaces are per-character too; so translating through a table
    of per-character results gives exactly the per-value result, at C speed instead of
    unidecode's Python loop over every character. Surrogates are not kept: unidecode
    warns on each one, and so does every translation that meets one.
    """

    def __init__(self, per_char: Callable[[str], str]) -> None:
        super().__init__()
        self._per_char = per_char

    def __missing__(self, codepoint: int) -> str:
        out = self._per_char(chr(codepoint))
        if codepoint not in _SURROGATES:
            self[codepoint] = out
        return out


def _upper_char(char: str) -> str:
    return _APOSTROPHES.sub("", unidecode(char).upper())


def _token_chars(keep_digits: bool) -> Callable[[str], str]:
    keep = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ" + ("0123456789" if keep_digits else ""))
    return lambda char: "".join(c if c in keep else " " for c in _upper_char(char))


_TRANSLITERATED = _CharTable(unidecode)
_UPPER = _CharTable(_upper_char)
_TOKEN_CHARS = {True: _CharTable(_token_chars(True)), False: _CharTable(_token_chars(False))}


def transliterate(text: str) -> str:
    """`unidecode(text)`, character for character, without its per-character Python loop."""
    return text if text.isascii() else text.translate(_TRANSLITERATED)


def ascii_upper(text: str) -> str:
    """Transliterate to ASCII and upper-case, deleting apostrophes; punctuation stays."""
    if text.isascii():
        return text.upper().replace("'", "").replace("`", "")
    return text.translate(_UPPER)


def clean_text(text: str, *, keep_digits: bool = True) -> str | None:
    """One value as upper-case ASCII tokens separated by single spaces; None when empty.

    Digits are kept for general text (street numbers); names drop them. (Every other
    character of `ascii_upper(text)` becomes a space, and spaces are collapsed.)
    """
    return " ".join(text.translate(_TOKEN_CHARS[keep_digits]).split()) or None


# Entries in a per-value memo of a parser (dates of birth). The standardize workers live
# across chunks and the same dates come back in every chunk (a 100,000-row chunk after
# the first finds about 60% of its distinct dates already read); an entry costs about a
# hundred bytes, so 2^17 entries hold a large file's repeats in a few MB.
MEMO_SIZE: Final = 1 << 17


# Text held by pandas in Arrow: what the linkage keeps of the standardized records, so a
# million values are never made into Python strings unless a stage asks for them. Its
# missing value is NaN, as pandas 3's default string type ("str") has it.
ARROW_TEXT: Final = pd.StringDtype("pyarrow", na_value=np.nan)


def is_arrow_text(values: object) -> bool:
    """Whether `values` is a pandas Series or array holding its text in Arrow."""
    dtype = getattr(values, "dtype", None)
    return isinstance(dtype, pd.StringDtype) and dtype.storage == "pyarrow"


def text_array(values: pd.Series | np.ndarray) -> pa.Array:
    """The values as one Arrow string array: free for text pandas holds in Arrow, else
    converted (None, NaN and pd.NA become null). Raises ArrowException or UnicodeError
    for a value Arrow cannot take (a lone surrogate), as `pa.array` does."""
    if is_arrow_text(values):
        held = pa.array(values.array if isinstance(values, pd.Series) else values)
        if isinstance(held, pa.ChunkedArray):
            held = held.combine_chunks()
        return held.cast(pa.string()) if held.type != pa.string() else held
    return pa.array(values, type=pa.string(), from_pandas=True)


def object_text(values: pd.Series, *, per_distinct: bool = True) -> np.ndarray:
    """The column as an object array of `str`, None for null: for text held in Arrow,
    one Python string per distinct value (a source's name is made three times, not a
    million), or with `per_distinct=False` one per row without hashing (for keys, where
    every value is distinct); any other column as `to_numpy(dtype=object)` gives it."""
    if not is_arrow_text(values):
        return values.to_numpy(dtype=object)
    if not per_distinct:
        return np.asarray(text_array(values).to_numpy(zero_copy_only=False), dtype=object)
    codes, uniques = factorize(values)
    return np.append(uniques, np.array([None], dtype=object))[codes]


def text_at(values: pd.Series, positions: np.ndarray) -> np.ndarray:
    """`object_text(values)[positions]`, making Python strings for those rows only (a
    review queue's few thousand pairs need two keys each, not a million)."""
    if not is_arrow_text(values):
        return values.to_numpy(dtype=object)[positions]
    taken = text_array(values).take(pa.array(positions, type=pa.int64()))
    return np.asarray(taken.to_numpy(zero_copy_only=False), dtype=object)


def factorize(values: pd.Series | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Codes (-1 for null) and distinct values, exact for any string.

    pandas hashes an all-string object array with a C-string table that stops at the
    first NUL, so "A" and "A\\x00B" would share a code; one trailing None makes it use
    the Python-object table, which is exact (and no slower). Single-threaded it is as
    fast as Arrow's encoding on extract text (see `text_codes` for when Arrow wins).
    """
    if is_arrow_text(values):  # Arrow's encoding, with no Python string per row
        encoded = text_array(values).dictionary_encode()
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.intp)
        return codes, encoded.dictionary.to_numpy(zero_copy_only=False)
    array = np.asarray(values, dtype=object)
    sentinel = np.array([None], dtype=object)
    codes, uniques = pd.factorize(np.concatenate([array, sentinel]), use_na_sentinel=True)
    return codes[:-1], np.asarray(uniques, dtype=object)


def text_codes(values: pd.Series | np.ndarray) -> tuple[np.ndarray, pa.Array] | None:
    """int64 codes (-1 for null) and the distinct values as an Arrow string array, in
    order of first appearance, when every non-null value is a `str`; else None.

    Arrow holds no GIL while it hashes, so threads can encode columns side by side
    (pandas' object table holds it throughout), and it needs no Python string for a
    distinct value unless asked. Equality is exact (UTF-8 bytes, NUL included); a value
    Arrow cannot take (a lone surrogate) gives None.
    """
    if isinstance(values, pd.Series) and not (
        values.dtype == object or isinstance(values.dtype, pd.StringDtype)
    ):
        return None
    if isinstance(values, np.ndarray) and values.dtype != object:
        return None
    if not is_arrow_text(values) and pd.api.types.infer_dtype(values, skipna=True) != "string":
        return None
    try:
        encoded = text_array(values).dictionary_encode()
    except (pa.ArrowException, UnicodeError):
        return None
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    return codes, encoded.dictionary


def sorted_codes(codes: np.ndarray, dictionary: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """`text_codes`' codes and values with the values sorted (bytewise UTF-8, which is
    code-point order, as Python sorts), the codes renumbered to match; -1 stays -1."""
    order = pc.sort_indices(dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    if len(rank):
        codes = np.where(codes >= 0, rank[np.maximum(codes, 0)], -1)
    return codes, dictionary.take(pa.array(order, type=pa.int64()))


def map_unique(values: pd.Series | np.ndarray, func: Callable[[str], Any]) -> np.ndarray:
    """Apply `func` once per distinct non-null value; object array aligned with `values`.

    Nulls (None, NaN, pd.NA, NaT) map to None without calling `func`. Non-string values
    are passed as `str(value)`, so a stray number in a text column never raises.
    """
    codes, uniques = factorize(values)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        mapped[i] = func(value if isinstance(value, str) else str(value))
    mapped[-1] = None  # code -1 (null) indexes the last slot
    return mapped[codes]


def map_unique_columns(
    values: pd.Series | np.ndarray, func: Callable[[str], Sequence[Any]], width: int
) -> list[np.ndarray]:
    """Like `map_unique` for a `func` returning `width` results: one object array each.

    Avoids materializing a tuple per row when one parse yields several fields.
    """
    codes, uniques = factorize(values)
    tables = [np.empty(len(uniques) + 1, dtype=object) for _ in range(width)]
    for i, value in enumerate(uniques):
        results = func(value if isinstance(value, str) else str(value))
        for table, result in zip(tables, results, strict=True):
            table[i] = result
    for table in tables:
        table[-1] = None
    return [table[codes] for table in tables]


def normalize_text(values: pd.Series, *, keep_digits: bool = True) -> pd.Series:
    """Upper-case ASCII, accents stripped, punctuation dropped, whitespace collapsed.

    Returns an object Series with the same index; null, empty or punctuation-only
    values become None. Stable contract: other normalizers build on it.

    >>> normalize_text(pd.Series(["  José  Núñez ", "O'Brien", "Pérez-López", ""])).tolist()
    ['JOSE NUNEZ', 'OBRIEN', 'PEREZ LOPEZ', None]
    """

    def clean(text: str) -> str | None:
        return clean_text(text, keep_digits=keep_digits)

    return pd.Series(map_unique(values, clean), index=values.index, dtype=object)


def phonetic_code(word: str) -> str:
    """Spelling key of one upper-case A-Z token, robust to Spanish spelling variation.

    Why not metaphone / NYSIIS: both drop or flatten vowels, and Spanish spells vowels
    as they sound, so they are what separates GARCIA from GARZA (both GRS in metaphone).
    This key keeps vowels and folds the consonant spellings Spanish speakers and US
    clerks mix up: B/V/W -> B; C before E/I/Y, Z and S -> S; QU, K and hard C -> K;
    G before E/I and J -> J (GU before E/I -> G); initial X -> J (XIMENEZ), other X ->
    KS; LL and consonant Y -> Y, a Y that is not before a vowel -> I; silent H dropped
    (CH, SH -> X; PH -> F; TH -> T); repeated letters collapsed.
    """
    out: list[str] = []
    i, n = 0, len(word)
    while i < n:
        c = word[i]
        nxt = word[i + 1] if i + 1 < n else ""
        nxt2 = word[i + 2] if i + 2 < n else ""
        code, step = c, 1
        if c == "Y":
            code = "Y" if nxt in "AEIOU" and nxt else "I"
        elif c in "VW":
            code = "B"
        elif c == "C":
            if nxt == "H":
                code, step = "X", 2
            elif nxt and nxt in "EIY":
                code = "S"
            elif nxt == "C" and nxt2 and nxt2 in "EIY":
                code, step = "KS", 2
            else:
                code, step = "K", 2 if nxt == "K" else 1
        elif c == "S" and nxt == "H":
            code, step = "X", 2
        elif c == "Z":
            code = "S"
        elif c == "Q":
            code, step = "K", 2 if nxt == "U" else 1
        elif c == "G":
            if nxt == "U" and nxt2 and nxt2 in "EI":
                code, step = "G", 2
            elif nxt and nxt in "EIY":
                code = "J"
        elif c == "H":
            code = ""
        elif c == "P" and nxt == "H":
            code, step = "F", 2
        elif c == "T" and nxt == "H":
            step = 2
        elif c == "L" and nxt == "L":
            code, step = "Y", 2
        elif c == "X":
            code = "J" if i == 0 else "KS"
        out.append(code)
        i += step
    key = "".join(out)
    return "".join(ch for j, ch in enumerate(key) if j == 0 or ch != key[j - 1])
