"""U.S. addresses parsed into comparable parts; anything else kept as normalized text.

Addresses are evidence twice: ADDRESS_KEY blocks candidate pairs ("same house number,
same street, same ZIP") and the parts feed fuzzy comparisons. This module is the
DataFrame entry point: it cleans raw values to upper-case ASCII, reads each line with
`address_grammar` (whose words and normal forms live in `address_vocab`), lets given
city / state / ZIP columns win over what the line said, and builds the key.

Parsing is the cost (the CRF reads 4,000-6,000 lines a second on one core), and
extracts repeat addresses heavily (shelters, sponsors, copy-pasted batches), so each
distinct line is parsed once and each distinct (line, city, state, ZIP) combination
assembled once, column-wise. The common shapes are read all lines at once by
`address_vector`; the rest one at a time by `address_grammar`, and many distinct lines
left to the CRF are parsed in chunks over a process pool.

`Parts`, `parse_line`, `state_code`, `zip5` and `city_name` are re-exported here so
callers keep one import path for addresses.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import string
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker import columns as C
from linker.errors import DataContractError
from linker.standardize.address_grammar import NO_PARTS, Parts, parse_line, read_crf
from linker.standardize.address_grammar import parse_cheap as _parse_cheap  # tests probe it
from linker.standardize.address_vector import Readings, joined, read_lines
from linker.standardize.address_vocab import (
    NULL_TOKENS,
    alnum,
    city_name,
    plain_text,
    state_code,
    zip5,
)
from linker.standardize.text import transliterate

__all__ = [
    "OUTPUT_COLUMNS",
    "PARALLEL_MIN_LINES",
    "Parts",
    "city_name",
    "clean_text",
    "parse_line",
    "standardize_addresses",
    "state_code",
    "zip5",
]

_log = logging.getLogger(__name__)

OUTPUT_COLUMNS: tuple[str, ...] = (
    C.ADDRESS,
    C.ADDRESS_NUMBER,
    C.ADDRESS_STREET,
    C.ADDRESS_UNIT,
    C.CITY,
    C.STATE,
    C.POSTAL_CODE,
    C.ADDRESS_KEY,
)

# From this many distinct lines for the CRF on (about a second of its work), they are
# read over `workers` processes; below it a pool costs more than it saves.
PARALLEL_MIN_LINES = 5_000
_CHUNKS_PER_WORKER = 4


# --- text -------------------------------------------------------------------------------

_FLOAT_TEXT = re.compile(r"^\s*(\d+)\.0*\s*$")
_DROP = str.maketrans("", "", ".'`\"")
_NOT_TEXT = re.compile(r"[^A-Z0-9#/&,\- ]+")
_COMMAS = re.compile(r"\s*,[\s,]*")


def clean_text(value: object) -> str | None:
    """Upper-case ASCII text, punctuation reduced, or None for a null-like value.

    Periods and apostrophes vanish ("St." -> "ST", "N.E." -> "NE", "O'Hara" -> "OHARA");
    commas stay (they help the parser) with one form ", ". A float that is an integer is
    written as one, because spreadsheets turn ZIPs and house numbers into floats.
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            value = int(value)
    text = str(value)
    number = _FLOAT_TEXT.match(text)
    if number:
        text = number.group(1)
    if not text.isascii():
        text = transliterate(text)
    text = _NOT_TEXT.sub(" ", text.upper().translate(_DROP))
    text = " ".join(_COMMAS.sub(", ", text).split()).strip(" ,-/&")
    if alnum(text) in NULL_TOKENS:
        return None
    return text


# --- the vectorized entry point -----------------------------------------------------------


def standardize_addresses(
    *,
    line: pd.Series | None = None,
    city: pd.Series | None = None,
    state: pd.Series | None = None,
    postal_code: pd.Series | None = None,
    index: pd.Index | None = None,
    workers: int | None = None,
    fast_path: bool = True,
    vector: bool = True,
) -> pd.DataFrame:
    """Parsed and normalized address parts, one row per input row, same index.

    `line` holds the street part ("123 Main St Apt 4") or the whole address in one line
    ("123 Main St Apt 4, Houston, TX 77001"); `city`, `state` and `postal_code`, when
    given and usable, win over what was parsed from the line. Any input may be None;
    the given ones must share one index (`index` names it when none is given).
    `workers`: processes for the CRF (None = one per available core, 1 = none), used
    from `PARALLEL_MIN_LINES` distinct lines the fast grammar left to it. `fast_path=
    False` sends every line to the CRF (for measurements and tests); `vector=False`
    reads every line one at a time, without `address_vector` (the same result: tests
    hold the two equal).

    Columns `OUTPUT_COLUMNS`, object dtype, None for null. ADDRESS_KEY is
    "<number> <street> <zip5>", else "<number> <street> <city> <state>", and null when
    any of those is missing, so an incomplete address never blocks strangers together.
    """
    inputs = {"line": line, "city": city, "state": state, "postal_code": postal_code}
    idx = _common_index(inputs, index)
    n = len(idx)
    line_codes, line_values = _normalized_codes(line, n, line=True)
    city_codes, city_values = _normalized_codes(city, n)
    state_codes, state_values = _normalized_codes(state, n)
    zip_codes, zip_values = _normalized_codes(postal_code, n)

    parsed = _read_distinct(line_values, workers, fast_path=fast_path, vector=vector)

    # What each distinct given city / state / ZIP says, read once (code -1: nothing).
    cities = [city_name(c) for c in city_values]
    states = [(state_code(s), plain_text(s)) for s in state_values]
    zips = [(zip5(z), plain_text(z) if _has_letter(z) else None) for z in zip_values]
    given = _Given(
        _column(cities),
        _column([code for code, _ in states]),
        _column([text for _, text in states]),
        _column([code for code, _ in zips]),
        _column([text for _, text in zips]),
    )
    combo, firsts = _combinations([line_codes, city_codes, state_codes, zip_codes])
    combined = _combine(parsed, given, *firsts)
    columns = {name: values[combo] for name, values in zip(OUTPUT_COLUMNS, combined, strict=True)}
    return pd.DataFrame(columns, index=idx, columns=list(OUTPUT_COLUMNS), dtype=object)


def _common_index(inputs: dict[str, pd.Series | None], index: pd.Index | None) -> pd.Index:
    idx = index
    for name, series in inputs.items():
        if series is None:
            continue
        if not isinstance(series, pd.Series):
            raise DataContractError(
                f"standardize_addresses: `{name}` must be a pandas Series "
                f"(got {type(series).__name__})"
            )
        if idx is None:
            idx = series.index
        elif not series.index.equals(idx):
            raise DataContractError(
                f"standardize_addresses: `{name}` is not aligned with the other inputs; "
                "every Series must share one index (reindex it before the call)"
            )
    if idx is None:
        raise DataContractError(
            "standardize_addresses: give at least one of line, city, state, postal_code, "
            "or `index` for an all-null result"
        )
    return idx


def _normalized_codes(
    values: pd.Series | None, n: int, *, line: bool = False
) -> tuple[np.ndarray, list[str]]:
    """Per-row codes into the distinct normalized texts (-1 for null). An address `line`
    also loses remarks in parentheses and a closing "USA" (`_bare_lines`)."""
    if values is None:
        return np.full(n, -1, dtype=np.int64), []
    raw_codes, raw_uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    raw = np.asarray(raw_uniques, dtype=object)
    cleaned = np.empty(len(raw_uniques) + 1, dtype=object)
    cleaned[:-1] = _bare_lines(_clean_texts(_without_remarks(raw))) if line else _clean_texts(raw)
    cleaned[-1] = None
    norm_codes, norm_uniques = pd.factorize(cleaned, use_na_sentinel=True)
    # raw code -> normalized code; the appended None sends raw code -1 to -1.
    return norm_codes.astype(np.int64)[raw_codes], list(norm_uniques)


# `clean_text` as Arrow kernels (RE2) over many values at once, for ASCII text only:
# there `\d` is [0-9], `\s` is spelled out as Python's ASCII whitespace, and upper-
# casing is ASCII upper-casing, so each step is the same as in `clean_text`.
_PY_SPACE = r"[\t\n\x0b\x0c\r\x1c-\x1f ]"
_FLOAT_TEXT_RE2 = rf"^{_PY_SPACE}*([0-9]+)\.0*{_PY_SPACE}*$"
_NULL_KEYS = pa.array(sorted(NULL_TOKENS), pa.string())
# A text with a letter or digit that no null token has (any digit, for one) is no null
# token, which spares computing the key of nearly every address.
_NOT_IN_NULL_TOKENS = "[{}]".format(
    "".join(sorted(set(string.ascii_uppercase + string.digits) - set("".join(NULL_TOKENS))))
)


def _clean_texts(values: np.ndarray) -> np.ndarray:
    """`clean_text` of each value (object array in, object array out).

    Distinct addresses are mostly distinct strings, so per-value Python was a fifth of
    the address work; plain ASCII strings go through Arrow in bulk, the rest (numbers,
    non-ASCII text) through `clean_text` one by one.
    """
    out = np.empty(len(values), dtype=object)
    bulk = np.fromiter(
        (type(v) is str and v.isascii() for v in values), dtype=bool, count=len(values)
    )
    for i in np.flatnonzero(~bulk):
        out[i] = clean_text(values[i])
    if not bulk.any():
        return out
    text = pc.ascii_upper(pa.array(values[bulk], pa.string()))
    text = pc.replace_substring_regex(text, _FLOAT_TEXT_RE2, r"\1")
    text = pc.replace_substring_regex(text, "[.'`\"]+", "")
    text = pc.replace_substring_regex(text, _NOT_TEXT.pattern, " ")
    text = pc.replace_substring_regex(text, _COMMAS.pattern, ", ")
    text = pc.utf8_trim(pc.replace_substring_regex(text, " {2,}", " "), " ,-/&")
    cleaned = text.to_numpy(zero_copy_only=False)
    maybe_null = np.flatnonzero(
        pc.invert(pc.match_substring_regex(text, _NOT_IN_NULL_TOKENS)).to_numpy(
            zero_copy_only=False
        )
    )
    if len(maybe_null):
        keys = pc.replace_substring_regex(text.take(maybe_null), "[^A-Z0-9]+", "")
        null = pc.is_in(keys, _NULL_KEYS).to_numpy(zero_copy_only=False)
        cleaned[maybe_null[null]] = None
    out[bulk] = cleaned
    return out


# "(cousin's house)", "(DETRAS DE LA IGLESIA)": a clerk's remark, no part of the address.
_REMARK = re.compile(r"\([^()]*\)")
# The address's own country closing the line ("..., TX 77001, USA"): the U.S. grammar
# reads no country, and no other country makes the line foreign.
_HOME_COUNTRY = (
    r"(?:^|[ ,]+)(?:USA|US|UNITED STATES(?: OF AMERICA)?|EE ?UU|ESTADOS UNIDOS(?: DE AMERICA)?)$"
)


def _without_remarks(values: np.ndarray) -> np.ndarray:
    """Raw lines with parenthesized remarks cut out (few lines have any)."""
    out = values.copy()
    for i, value in enumerate(values):
        if type(value) is str and "(" in value:
            out[i] = _REMARK.sub(" ", value)
    return out


def _bare_lines(cleaned: np.ndarray) -> np.ndarray:
    """Cleaned lines without a closing U.S. country name; a line that was only that is
    null."""
    present = np.flatnonzero(pd.notna(cleaned))
    if not len(present):
        return cleaned
    text = pa.array(cleaned[present], pa.string())
    bare = pc.utf8_trim(pc.replace_substring_regex(text, _HOME_COUNTRY, ""), " ,")
    out = cleaned.copy()
    stripped = bare.to_numpy(zero_copy_only=False)
    stripped[stripped == ""] = None
    out[present] = stripped
    return out


def _combinations(codes: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Row -> id of its distinct combination of codes, and each combination's codes."""
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    for part in codes:
        width = int(part.max(initial=-1)) + 2
        combined = pd.factorize(combined * width + (part + 1))[0].astype(np.int64)
    first = np.zeros(int(combined.max(initial=-1)) + 1, dtype=np.int64)
    rows = np.arange(len(combined) - 1, -1, -1)
    first[combined[rows]] = rows  # written last for the first row of each combination
    return combined, [part[first] for part in codes]


class _Lines(NamedTuple):
    """The parts of each distinct line, a column per field of `Parts` (kind as `us`),
    and a last row of nulls for the rows without a line (code -1)."""

    us: pa.Array
    head: pa.Array
    number: pa.Array
    street: pa.Array
    unit: pa.Array
    city: pa.Array
    state: pa.Array
    zip: pa.Array


def _read_distinct(
    texts: list[str], workers: int | None, *, fast_path: bool, vector: bool
) -> _Lines:
    """Parts of each distinct line: the common shapes read all at once by
    `address_vector`, the rest one at a time (`_parse_distinct`)."""
    if fast_path and vector:
        read, readings = read_lines(texts)
    else:
        read, readings = np.zeros(len(texts), dtype=bool), Readings.none()
    rest = np.flatnonzero(~read)
    parts = _parse_distinct([texts[i] for i in rest], workers, fast_path)
    fields = list(zip(*parts, strict=True)) if parts else [()] * len(Parts._fields)
    # Where each line's row is in [read here, read one at a time, the null row].
    at = np.empty(len(texts) + 1, dtype=np.int64)
    at[np.concatenate([np.flatnonzero(read), rest])] = np.arange(len(texts))
    at[-1] = len(texts)
    kinds = np.array(fields[0], dtype=object) == "us"
    us = np.concatenate([np.ones(int(read.sum()), dtype=bool), kinds.astype(bool), [False]])
    columns = [
        pa.concat_arrays([done, pa.array([*values, None], pa.string())])
        for done, values in zip(readings, fields[1:], strict=True)
    ]
    where = pa.array(at)
    return _Lines(pa.array(us[at]), *(column.take(where) for column in columns))


def _parse_distinct(texts: list[str], workers: int | None, fast_path: bool) -> list[Parts]:
    """Parts of each distinct line: the cheap readings here, the CRF's over processes
    when enough lines need it (only there does a pool repay its start-up and pickling:
    the fast grammar is about as cheap as sending a line to a worker)."""
    parsed = [_parse_cheap(t, fast_path=fast_path) for t in texts]
    todo = []
    for i, cheap in enumerate(parsed):
        if cheap is None:
            known = _crf_readings.get(texts[i])
            if known is None:
                todo.append(i)
            else:
                parsed[i] = known
    hard = [texts[i] for i in todo]
    n_workers = _worker_count(workers)
    if n_workers > 1 and len(hard) >= PARALLEL_MIN_LINES:
        done = _crf_lines_parallel(hard, n_workers)
    else:
        done = _crf_lines(hard)
    for i, parts in zip(todo, done, strict=True):
        parsed[i] = parts
    _remember_crf_readings(hard, done)
    return [p if p is not None else NO_PARTS for p in parsed]


# The CRF's readings this process made, by line. A batch parses each block's distinct
# lines, and the lines only the CRF reads recur from block to block (a shelter, a city
# given alone, an address in a shape the grammar declines), so each costs the CRF once
# per process, not once per block. Bounded: forgotten all at once when full.
CRF_MEMORY = 1 << 15
_crf_readings: dict[str, Parts] = {}


def _remember_crf_readings(texts: Sequence[str], readings: Sequence[Parts]) -> None:
    if len(_crf_readings) + len(texts) > CRF_MEMORY:
        _crf_readings.clear()
    _crf_readings.update(zip(texts[:CRF_MEMORY], readings[:CRF_MEMORY], strict=True))


def _crf_lines(texts: Sequence[str]) -> list[Parts]:
    """The CRF's reading of each line: the unit of work sent to a worker process."""
    return [read_crf(t) for t in texts]


def _crf_lines_parallel(texts: list[str], n_workers: int) -> list[Parts]:
    # Interleaved chunks spread hard and easy lines evenly over the workers.
    n_chunks = n_workers * _CHUNKS_PER_WORKER
    chunks = [texts[i::n_chunks] for i in range(n_chunks)]
    try:
        with ProcessPoolExecutor(max_workers=n_workers, mp_context=_mp_context()) as pool:
            results = list(pool.map(_crf_lines, chunks))
    except BrokenProcessPool as error:  # a worker died (memory, a main module that is
        # not import-safe under forkserver): same result, one process
        _log.warning("address parsing pool failed (%s); parsing serially", error)
        return _crf_lines(texts)
    parsed: list[Parts] = [NO_PARTS] * len(texts)
    for i, chunk in enumerate(results):
        parsed[i::n_chunks] = chunk
    return parsed


# Set in the standardize stage's worker processes: they are the parallelism already, and
# a pool of its own in each would put twice as many processes on the cores (and count
# each forked worker's memory twice).
_one_process = False


def parse_in_this_process() -> None:
    """From now on, `workers=None` means no CRF pool in this process."""
    global _one_process
    _one_process = True


def _worker_count(workers: int | None) -> int:
    if workers is not None:
        return max(1, int(workers))
    if _one_process:
        return 1
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _mp_context() -> multiprocessing.context.BaseContext:
    """fork when the process has one thread (cheap, nothing re-imported), else forkserver."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


class _Given(NamedTuple):
    """What the separately given columns say, per distinct value, and a last null row:
    the city, the state's USPS code and its text, the ZIP and a foreign postal code's
    text."""

    city: pa.Array
    state: pa.Array
    state_text: pa.Array
    postal: pa.Array
    postal_text: pa.Array


def _column(values: list[str | None]) -> pa.Array:
    return pa.array([*values, None], pa.string())


def _combine(
    lines: _Lines,
    given: _Given,
    line: np.ndarray,
    city: np.ndarray,
    state: np.ndarray,
    postal: np.ndarray,
) -> list[np.ndarray]:
    """The output columns, one row per distinct combination of line, city, state and ZIP
    (codes, -1 for none).

    Given columns win when usable. Text that is no U.S. state or ZIP still goes into
    ADDRESS, so a foreign address keeps every piece the extract had. Column-wise in
    Arrow, with Python's `or` for "usable": not null and not empty.
    """
    line_at = _codes(line, len(lines.us) - 1)
    parts = _Lines(*(column.take(line_at) for column in lines))
    city_given = given.city.take(_codes(city, len(given.city) - 1))
    state_at = _codes(state, len(given.state) - 1)
    postal_at = _codes(postal, len(given.postal) - 1)
    city_out = _or(city_given, parts.city)
    state_out = _or(given.state.take(state_at), parts.state)
    zip_out = _or(given.postal.take(postal_at), parts.zip)
    state_text = _or(state_out, given.state_text.take(state_at))
    zip_text = _or(zip_out, given.postal_text.take(postal_at))
    address = _or(joined(*map(_usable, (parts.head, city_out, state_text, zip_text))), _NULL)
    number, street = _usable(parts.number), _usable(parts.street)
    by_zip = pc.binary_join_element_wise(number, street, _usable(zip_out), " ")
    by_city = pc.binary_join_element_wise(
        number, street, _usable(city_out), _usable(state_out), " "
    )
    key = pc.if_else(parts.us, pc.coalesce(by_zip, by_city), _NULL)
    columns = (address, parts.number, parts.street, parts.unit, city_out, state_out, zip_out, key)
    return [column.to_numpy(zero_copy_only=False) for column in columns]


_NULL = pa.scalar(None, pa.string())


def _codes(codes: np.ndarray, null_row: int) -> pa.Array:
    """Row numbers for `take`: code -1 is the null row."""
    return pa.array(np.where(codes >= 0, codes, null_row))


def _usable(values: pa.Array) -> pa.Array:
    """The values, empty text as null (what Python's `or` and `filter(None, ...)` drop)."""
    return _or(values, _NULL)


def _or(values: pa.Array, otherwise: pa.Array | pa.Scalar) -> pa.Array:
    """`value or other`, row by row, for text."""
    return pc.if_else(pc.fill_null(pc.not_equal(values, ""), False), values, otherwise)


def _has_letter(text: str) -> bool:
    """A foreign postal code has letters; digits that are no ZIP are junk ("00000")."""
    return any(ch.isalpha() for ch in text)
