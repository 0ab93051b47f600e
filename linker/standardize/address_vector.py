"""Many address lines read at once, for the lines the fast grammar reads.

`address_grammar` reads a line in about 13 µs of Python, and a million records hold
half a million distinct lines, nearly all in the shapes its fast grammar reads. That
grammar looks at a token only through a dozen yes/no tests (`token_tests`), and what
follows the street (city, state, ZIP) recurs from line to line. So here all lines are
split into tokens at once in Arrow, each distinct token is tested once, and lines whose
tokens pass the same tests, position by position (one signature), share one shape:
the grammar reads one line per signature (a few thousand) and its positions hold for
the rest. Each distinct piece (number, street, unit, place) is then put in normal form
once, by the grammar's own functions, and the pieces are joined for all lines in Arrow.

Declined here, and left to `address_grammar` one line at a time: a line not written
as `clean_text` writes lines, one with a floor written identifier first (which
`floors_designated` rewrites), one ending with a foreign country, and any line the
shape or its place does not read (boxes, numbered roads, odd lines). What is read
here is what `parse_cheap` gives, exactly; the tests hold the two equal.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Final, NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker.standardize import address_grammar as grammar
from linker.standardize.address_vocab import (
    COUNTRIES,
    ORDINAL_WORDS,
    STATES,
    SUFFIXES,
    US_NAMES,
    alnum,
)


class Readings(NamedTuple):
    """The parts of the lines `read_lines` read, in line order; all are of kind "us"."""

    head: pa.Array
    number: pa.Array
    street: pa.Array
    unit: pa.Array
    city: pa.Array
    state: pa.Array
    zip: pa.Array


def read_lines(texts: Sequence[str]) -> tuple[np.ndarray, Readings]:
    """Which of these lines (already through `clean_text`) are read here, as a mask,
    and the parts of those, as `parse_cheap` would give them."""
    read = np.zeros(len(texts), dtype=bool)
    lines = pa.array(texts, pa.string())
    rows = np.flatnonzero(_plain(lines))
    if not len(rows):
        return read, _readings(0)
    tokens = _Tokens.of(lines.take(pa.array(rows)))
    shapes = _shapes(tokens, texts, rows)
    keep = shapes.ok & ~_foreign(tokens)
    parts, keep = _parts(tokens, shapes, keep)
    read[rows[keep]] = True
    return read, parts


# --- which lines may be read here ---------------------------------------------------------

# Words of `clean_text`'s alphabet, parted by one space or a comma and a space: the
# lines whose tokens Arrow splits as `str.split` does.
_CLEAN_LINE: Final = r"^[A-Z0-9#/&\-]+(?:,? [A-Z0-9#/&\-]+)*$"
# Everything `floors_designated` could rewrite (and a little more: it also looks at what
# follows "FL"); such lines are left to `parse_cheap`.
_FLOOR: Final = (
    r"\b(?:[0-9]+(?:ST|ND|RD|TH|ER|DO|RO|TO|VO|MO|NO)|{}) (?:FLOOR|FLR|PISO|FL)\b".format(
        "|".join(ORDINAL_WORDS)
    )
)


def _plain(lines: pa.Array) -> np.ndarray:
    clean = pc.match_substring_regex(lines, _CLEAN_LINE)
    floor = pc.match_substring_regex(lines, _FLOOR)
    return np.asarray(pc.and_not(clean, floor).to_numpy(zero_copy_only=False), dtype=bool)


# --- tokens -------------------------------------------------------------------------------

# Bits of a token's facts besides the grammar's tests.
_SHAPE_BITS: Final = (1 << grammar.TOKEN_TEST_BITS) - 1
_WORD: Final = 1 << 16  # not a comma: a word of `_is_foreign`
_DIGITS: Final = 1 << 17  # all digits: dropped from a line's end by `_is_foreign`
_KEY_PART: Final = 1 << 18  # part of some state, U.S. or country name
_KEY_END: Final = 1 << 19  # the end of one

_FACTS_MEMORY: Final = 1 << 16


@functools.cache
def _key_parts() -> frozenset[str]:
    """Every piece of a state, U.S. or country name key (a set of about 50,000)."""
    keys = {*STATES, *US_NAMES, *COUNTRIES}
    return frozenset(k[i:j] for k in keys for i in range(len(k)) for j in range(i + 1, len(k) + 1))


class _Facts(dict[str, int]):
    """A token's facts, remembered (forgotten all at once past a bound): tokens recur
    from chunk to chunk, and testing one costs a few microseconds."""

    def __missing__(self, token: str) -> int:
        if len(self) >= _FACTS_MEMORY:
            self.clear()
        facts = grammar.token_tests(token)
        facts |= _WORD if token != "," else 0
        facts |= _DIGITS if token.isdigit() else 0
        # A word that is no part of any key ends every join `_is_foreign` looks up.
        facts |= _KEY_PART if token in _key_parts() else 0
        facts |= _KEY_END if token in grammar._KEY_ENDINGS else 0
        self[token] = facts
        return facts


_facts = _Facts()


class _Tokens(NamedTuple):
    """The grammar's tokens of many lines: token `k` of line `i` is
    `vocab[codes[starts[i] + k]]`, and has `facts` (by code)."""

    codes: np.ndarray
    starts: np.ndarray  # one more than there are lines: the last is the token count
    vocab: list[str]
    words: pa.Array  # `vocab` in Arrow
    facts: np.ndarray

    @classmethod
    def of(cls, lines: pa.Array) -> _Tokens:
        lists = pc.ascii_split_whitespace(pc.replace_substring(lines, ",", " , "))
        encoded = pc.dictionary_encode(lists.flatten())
        words = encoded.dictionary
        vocab = words.to_numpy(zero_copy_only=False).tolist()
        facts = np.fromiter((_facts[t] for t in vocab), dtype=np.int64, count=len(vocab))
        starts = lists.offsets.to_numpy().astype(np.int64)
        codes = encoded.indices.to_numpy().astype(np.int64)
        return cls(codes, starts - starts[0], vocab, words, facts)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    def at(self, lines: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The code of each line's token at `position` (-1 where that is -1)."""
        return np.where(position >= 0, self.codes[self.starts[lines] + position], -1)

    def text(self, run: list[int]) -> tuple[str, ...]:
        return tuple(map(self.vocab.__getitem__, run))

    def word(self, code: int) -> str | None:
        return self.vocab[code] if code >= 0 else None


def _runs(
    values: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> tuple[np.ndarray, list[list[int]]]:
    """An id for each run `values[start:stop]`, equal runs one id, and each id's run.
    (Runs are compared as the bytes of their values: Arrow hashes those in bulk.)"""
    lengths = stops - starts
    bounds = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=bounds[1:])
    taken = np.repeat(starts - bounds[:-1], lengths) + np.arange(bounds[-1])
    data = values[taken].astype(np.int32)
    keys = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(lengths), [None, pa.py_buffer(bounds * 4), pa.py_buffer(data)]
    )
    encoded = pc.dictionary_encode(keys)
    distinct = encoded.dictionary
    _, offsets, contents = distinct.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[
        distinct.offset : distinct.offset + len(distinct) + 1
    ]
    flat = np.frombuffer(contents, dtype=np.uint8)[ends[0] : ends[-1]].view(np.int32).tolist()
    cuts = ((ends - ends[0]) // 4).tolist()
    runs = [flat[a:b] for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
    return encoded.indices.to_numpy().astype(np.int64), runs


# --- the shape of each line -----------------------------------------------------------------


class _Shapes(NamedTuple):
    """`grammar._Shape` of each line, one array per field; `ok` false where it had none."""

    ok: np.ndarray
    number: np.ndarray
    pre_direction: np.ndarray
    name: np.ndarray
    post_type: np.ndarray
    post_direction: np.ndarray
    designator: np.ndarray
    identifier: np.ndarray
    place: np.ndarray
    after_comma: np.ndarray


_NO_SHAPE: Final = (False, 0, -1, 0, 0, -1, -1, -1, 0, False)
# The shape of each signature seen (per process, forgotten all at once past a bound).
_SHAPE_MEMORY: Final = 1 << 14
_shape_of: dict[tuple[int, ...], tuple[int | bool, ...]] = {}


def _shapes(tokens: _Tokens, texts: Sequence[str], rows: np.ndarray) -> _Shapes:
    """Each line's shape: the grammar reads the first line of each signature."""
    tests = (tokens.facts & _SHAPE_BITS)[tokens.codes]
    signature, signatures = _runs(tests, tokens.starts[:-1], tokens.starts[1:])
    first = np.zeros(len(signatures), dtype=np.int64)
    backwards = np.arange(len(signature) - 1, -1, -1)
    first[signature[backwards]] = backwards
    table = []
    if len(_shape_of) + len(signatures) > _SHAPE_MEMORY:
        _shape_of.clear()
    for run, line in zip(signatures, first.tolist(), strict=True):
        key = tuple(run)
        known = _shape_of.get(key)
        if known is None:
            toks = texts[rows[line]].replace(",", " , ").split()
            shape = grammar._fast_shape(toks) if len(toks) == len(run) else None
            known = _shape_of[key] = _NO_SHAPE if shape is None else (True, *shape)
        table.append(known)
    columns = np.array(table, dtype=np.int64).reshape(-1, len(_NO_SHAPE))[signature]
    fields = [columns[:, k] for k in range(len(_NO_SHAPE))]
    for k in (0, 1, 9):
        fields[k] = fields[k].astype(bool)
    return _Shapes(*fields)


# --- foreign lines --------------------------------------------------------------------------


def _foreign(tokens: _Tokens) -> np.ndarray:
    """`grammar._is_foreign` of each line, deciding from the end of the line.

    `_is_foreign` joins the last words (trailing numbers dropped), last first, while
    the join could end a state, U.S. or country name. So a line whose last non-number
    word ends no name is not foreign, and otherwise only that word and the run of words
    before it that are each part of such a name (at most four in all) can matter; each
    distinct such tail is looked at once.
    """
    n = len(tokens.starts) - 1
    word_facts = tokens.facts[tokens.codes]
    words = np.flatnonzero(word_facts & _WORD)
    facts, codes = word_facts[words], tokens.codes[words]
    count = np.bincount(np.repeat(np.arange(n), tokens.lengths)[words], minlength=n)
    bounds = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(count, out=bounds[1:])
    index = np.arange(len(words))
    # The last non-number word of each line: a running maximum read at the line's end.
    last_word = np.maximum.accumulate(np.where(facts & _DIGITS, -1, index)) if len(words) else index
    last = np.full(n, -1, dtype=np.int64)
    has = count > 0
    last[has] = last_word[bounds[1:][has] - 1]
    lines = np.flatnonzero(last >= bounds[:-1])
    lines = lines[(facts[last[lines]] & _KEY_END) > 0]
    last = last[lines]
    outside = np.maximum.accumulate(np.where(facts & _KEY_PART, -1, index))
    before = np.where(last > 0, outside[np.maximum(last - 1, 0)], -1)
    first = np.maximum.reduce([bounds[lines], last - 3, before + 1])
    tail, tails = _runs(codes, first, last + 1)
    foreign = np.array([_foreign_tail(tokens.text(t)) for t in tails], dtype=bool)
    out = np.zeros(n, dtype=bool)
    out[lines] = foreign[tail] if len(tails) else False
    return out


@functools.lru_cache(maxsize=1 << 14)
def _foreign_tail(words: tuple[str, ...]) -> bool:
    return grammar._is_foreign(" ".join(words))


# --- the parts ------------------------------------------------------------------------------


def _parts(tokens: _Tokens, shapes: _Shapes, keep: np.ndarray) -> tuple[Readings, np.ndarray]:
    """The parts of the kept lines as `_FastReading.parts` makes them, each distinct
    piece put in normal form once; and the lines still kept (not those whose place
    `_place_fields` declines, nor those `parts` would make "text" of)."""
    lines = np.flatnonzero(keep)
    shape = _Shapes(*(field[lines] for field in shapes))
    first = tokens.starts[lines]
    number = tokens.at(lines, np.where(shape.number, 0, -1))
    # `number.lstrip("0") or "0"` of every token, in Arrow (most tokens are numbers)
    trimmed = pc.utf8_ltrim(tokens.words, "0")
    number_text = pc.if_else(pc.equal(trimmed, ""), "0", trimmed)

    name, names = _runs(tokens.codes, first + shape.name, first + shape.post_type)
    name_text = [" ".join(tokens.text(run)) for run in names]
    street, streets = _distinct(
        tokens.at(lines, shape.pre_direction),
        name,
        tokens.at(lines, shape.post_type),
        tokens.at(lines, shape.post_direction),
    )
    street_text = [
        grammar._street_words(
            None,
            tokens.word(pre),
            None,
            name_text[m],
            tokens.vocab[kind],
            tokens.word(post),
            None,
        )
        for pre, m, kind, post in streets
    ]
    # `parts` makes "text" of a line without a number whose type is no street type.
    kind, kinds = _distinct(tokens.at(lines, shape.post_type))
    typed = [grammar._EMPTY_IS_TYPE or alnum(tokens.vocab[k]) in SUFFIXES for (k,) in kinds]
    good = _lookup(typed, kind) | (number >= 0)
    good &= _lookup([bool(text) for text in street_text], street)

    unit, units = _distinct(tokens.at(lines, shape.designator), tokens.at(lines, shape.identifier))
    unit_text = [
        grammar._unit_code(tokens.word(d) or "", tokens.vocab[i].removeprefix("#"))
        if i >= 0
        else None
        for d, i in units
    ]
    good &= _lookup([text != "" for text in unit_text], unit)

    run, runs = _runs(tokens.codes, first + shape.place, tokens.starts[lines + 1])
    place, places = _distinct(run, shape.after_comma.astype(np.int64))
    place_parts = [_place(tokens.text(runs[r]), bool(comma)) for r, comma in places]
    good &= _lookup([p is not None for p in place_parts], place)
    place_text = [p or (None, None, None) for p in place_parts]

    kept = np.zeros(len(keep), dtype=bool)
    kept[lines[good]] = True
    number_out = number_text.take(pa.array(number[good], mask=number[good] < 0))
    street_out = _strings(street_text, street[good])
    unit_out = _strings(unit_text, unit[good])
    readings = Readings(
        joined(number_out, street_out, unit_out),
        number_out,
        street_out,
        unit_out,
        *(_strings([p[k] for p in place_text], place[good]) for k in range(3)),
    )
    return readings, kept


@functools.lru_cache(maxsize=1 << 14)
def _place(toks: tuple[str, ...], after_comma: bool) -> tuple[str | None, ...] | None:
    """City, state and ZIP5 of the words after the street, as the fast grammar reads
    them; None where `_place_fields` declines them (then the line is not read here)."""
    if not toks:
        return (None, None, None)
    found = grammar._place_fields(toks, after_comma)
    return None if found is None else grammar._place_parts(found)


def _lookup(values: list[bool], ids: np.ndarray) -> np.ndarray:
    return np.array(values, dtype=bool)[ids]


def _distinct(*columns: np.ndarray) -> tuple[np.ndarray, list[tuple[int, ...]]]:
    """An id for each row's combination of codes (each from -1 up), and each id's
    combination."""
    combined = np.zeros(len(columns[0]), dtype=np.int64)
    span = 1
    for column in columns:
        width = int(column.max(initial=-1)) + 2
        if span * width >= 1 << 62:  # renumbered to keep the codes small
            combined = pd.factorize(combined)[0].astype(np.int64)
            span = int(combined.max(initial=0)) + 1
        combined = combined * width + (column + 1)
        span *= width
    combined = pd.factorize(combined)[0].astype(np.int64)
    first = np.zeros(int(combined.max(initial=-1)) + 1, dtype=np.int64)
    backwards = np.arange(len(combined) - 1, -1, -1)
    first[combined[backwards]] = backwards
    return combined, list(zip(*(c[first].tolist() for c in columns), strict=True))


def _strings(values: list[str | None], ids: np.ndarray) -> pa.Array:
    """`values[id]` for each id (-1: null), as Arrow text."""
    table = pa.array([*values, None], pa.string())
    return table.take(pa.array(np.where(ids >= 0, ids, len(values))))


def joined(*parts: pa.Array) -> pa.Array:
    """The non-null parts of each row joined by spaces; null where all are null.
    (`binary_join_element_wise`'s own "skip" drops rows where all are null.)"""
    out = parts[0]
    for part in parts[1:]:
        out = pc.coalesce(pc.binary_join_element_wise(out, part, " "), out, part)
    return out


def _readings(n: int) -> Readings:
    return Readings(*(pa.nulls(n, pa.string()) for _ in Readings._fields))
