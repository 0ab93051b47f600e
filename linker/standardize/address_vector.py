"""Many address lines read at once, for the lines the fast grammar reads.

`address_grammar` reads a line in about 13 µs of Python, and a million records hold
half a million distinct lines, nearly all in the shapes its fast grammar reads. That
grammar looks at a token only through a dozen yes/no tests (`token_tests`), and what
follows the street (city, state, ZIP) recurs from line to line. So here all lines are
split into tokens at once in Arrow, each distinct token is tested once, and lines whose
tokens pass the same tests, position by position (one signature), share one shape:
the grammar reads one line per signature (a few thousand) and its positions hold for
the rest. Each distinct piece (number, street, unit, place) is then put in normal form
by the grammar's own functions, and the pieces are joined for all lines in Arrow.
Batches (chunks of an extract) repeat the same tokens and pieces, so tokens get ids for
the life of the process and each piece's normal form is remembered by ids: over a
million records, 150,000 streets per batch are 18,000 distinct ones.

Declined here, and left to `address_grammar` one line at a time: a line not written
as `clean_text` writes lines, one with a floor written identifier first (which
`floors_designated` rewrites), one ending with a foreign country, and any line the
shape or its place does not read (boxes, numbered roads, odd lines). What is read
here is what `parse_cheap` gives, exactly; the tests hold the two equal.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

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

    @classmethod
    def none(cls) -> Readings:
        return cls(*(pa.array([], pa.string()) for _ in cls._fields))


def read_lines(texts: Sequence[str]) -> tuple[np.ndarray, Readings]:
    """Which of these lines (already through `clean_text`) are read here, as a mask,
    and the parts of those, as `parse_cheap` would give them."""
    read = np.zeros(len(texts), dtype=bool)
    lines = pa.array(texts, pa.string())
    rows = np.flatnonzero(_plain(lines))
    if not len(rows):
        return read, Readings.none()
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

# A token's facts: the grammar's tests (`token_tests`) and these bits.
_SHAPE_BITS: Final = (1 << grammar.TOKEN_TEST_BITS) - 1
_WORD: Final = _SHAPE_BITS + 1  # not a comma: a word of `_is_foreign`
_DIGITS: Final = _WORD << 1  # all digits: dropped from a line's end by `_is_foreign`
_KEY_PART: Final = _WORD << 2  # part of some state, U.S. or country name
_KEY_END: Final = _WORD << 3  # the end of one


@functools.cache
def _key_parts() -> frozenset[str]:
    """Every piece of a state, U.S. or country name key (a set of about 30,000)."""
    keys = {*STATES, *US_NAMES, *COUNTRIES}
    return frozenset(k[i:j] for k in keys for i in range(len(k)) for j in range(i + 1, len(k) + 1))


def _facts(token: str) -> int:
    facts = grammar.token_tests(token)
    facts |= _WORD if token != "," else 0
    facts |= _DIGITS if token.isdigit() else 0
    # A word that is no part of any key ends every join `_is_foreign` looks up.
    facts |= _KEY_PART if token in _key_parts() else 0
    facts |= _KEY_END if token in grammar._KEY_ENDINGS else 0
    return facts


_UNSEEN: Final = object()


class _Memory:
    """What this process has learned: an id and the facts of each token seen, and the
    normal form of each piece (street, unit, place, line ending) by the ids of its
    tokens. Forgotten all at once past a bound (pieces alone past theirs)."""

    TOKENS: Final = 1 << 17
    PIECES: Final = 1 << 16

    def __init__(self) -> None:
        self.clear()

    def clear(self) -> None:
        self.ids: dict[str, int] = {}
        self.words: list[str] = []
        self._facts = np.zeros(1 << 12, dtype=np.int64)
        self.streets: dict[object, str | None] = {}
        self.units: dict[object, str | None] = {}
        self.places: dict[object, tuple[str | None, ...] | None] = {}
        self.endings: dict[object, bool] = {}

    @property
    def facts(self) -> np.ndarray:
        """The facts of each token, by id."""
        return self._facts[: len(self.words)]

    def token_ids(self, words: list[str]) -> np.ndarray:
        """The id of each token, new ones tested and given the next ids."""
        if len(self.words) + len(words) > self.TOKENS:
            self.clear()
        get = self.ids.get
        ids = np.fromiter((get(w, -1) for w in words), dtype=np.int64, count=len(words))
        new = np.flatnonzero(ids < 0)
        if len(self.words) + len(new) > len(self._facts):
            grown = np.zeros(2 * (len(self.words) + len(new)), dtype=np.int64)
            grown[: len(self.words)] = self.facts
            self._facts = grown
        for i in new.tolist():
            word = words[i]
            ids[i] = self.ids[word] = len(self.words)
            self._facts[len(self.words)] = _facts(word)
            self.words.append(word)
        return ids

    def text(self, run: tuple[int, ...]) -> tuple[str, ...]:
        return tuple(map(self.words.__getitem__, run))

    def word(self, token: int) -> str | None:
        return self.words[token] if token >= 0 else None


_memory = _Memory()


def _remembered(memo: dict[object, Any], keys: list[Any], make: Callable[..., Any]) -> list[Any]:
    """`make(*key)` for each key, each made once per process (while remembered)."""
    if len(memo) + len(keys) > _Memory.PIECES:
        memo.clear()
    out = []
    for key in keys:
        value = memo.get(key, _UNSEEN)
        if value is _UNSEEN:
            value = memo[key] = make(*key)
        out.append(value)
    return out


class _Tokens(NamedTuple):
    """The grammar's tokens of many lines: token `k` of line `i` has the id
    `codes[starts[i] + k]` (see `_Memory`) and, in this batch, the text
    `words[local[starts[i] + k]]`."""

    codes: np.ndarray
    starts: np.ndarray  # one more than there are lines: the last is the token count
    local: np.ndarray
    words: pa.Array

    @classmethod
    def of(cls, lines: pa.Array) -> _Tokens:
        lists = pc.ascii_split_whitespace(pc.replace_substring(lines, ",", " , "))
        encoded = pc.dictionary_encode(lists.flatten())
        words = encoded.dictionary
        local = encoded.indices.to_numpy().astype(np.int64)
        ids = _memory.token_ids(words.to_numpy(zero_copy_only=False).tolist())
        starts = lists.offsets.to_numpy().astype(np.int64)
        return cls(ids[local], starts - starts[0], local, words)

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.starts)

    @property
    def facts(self) -> np.ndarray:
        """The facts of each token (by position, not id)."""
        return _memory.facts[self.codes]

    def at(self, lines: np.ndarray, position: np.ndarray) -> np.ndarray:
        """The id of each line's token at `position` (-1 where that is -1)."""
        return np.where(position >= 0, self.codes[self.starts[lines] + position], -1)


def _runs(
    values: np.ndarray, starts: np.ndarray, stops: np.ndarray
) -> tuple[np.ndarray, list[tuple[int, ...]]]:
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
    runs = [tuple(flat[a:b]) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]
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
    tests = tokens.facts & _SHAPE_BITS
    signature, signatures = _runs(tests, tokens.starts[:-1], tokens.starts[1:])
    first = np.zeros(len(signatures), dtype=np.int64)
    backwards = np.arange(len(signature) - 1, -1, -1)
    first[signature[backwards]] = backwards
    table = []
    if len(_shape_of) + len(signatures) > _SHAPE_MEMORY:
        _shape_of.clear()
    for key, line in zip(signatures, first.tolist(), strict=True):
        known = _shape_of.get(key)
        if known is None:
            toks = texts[rows[line]].replace(",", " , ").split()
            shape = grammar._fast_shape(toks) if len(toks) == len(key) else None
            known = _shape_of[key] = _NO_SHAPE if shape is None else (True, *shape)
        table.append(known)
    columns = np.array(table, dtype=np.int64).reshape(-1, len(_NO_SHAPE))[signature]
    fields = dict(zip(_Shapes._fields, columns.T, strict=True))
    for flag in ("ok", "number", "after_comma"):
        fields[flag] = fields[flag].astype(bool)
    return _Shapes(**fields)


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
    word_facts = tokens.facts
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
    foreign = np.array(_remembered(_memory.endings, tails, _foreign_ending), dtype=bool)
    out = np.zeros(n, dtype=bool)
    out[lines] = foreign[tail] if len(tails) else False
    return out


def _foreign_ending(*tail: int) -> bool:
    return grammar._is_foreign(" ".join(_memory.text(tail)))


# --- the parts ------------------------------------------------------------------------------


def _parts(tokens: _Tokens, shapes: _Shapes, keep: np.ndarray) -> tuple[Readings, np.ndarray]:
    """The parts of the kept lines as `_FastReading.parts` makes them, each distinct
    piece put in normal form once; and the lines still kept (not those whose place
    `_place_fields` declines, nor those `parts` would make "text" of)."""
    lines = np.flatnonzero(keep)
    shape = _Shapes(*(field[lines] for field in shapes))
    first = tokens.starts[lines]
    # `number.lstrip("0") or "0"` of this batch's tokens, in Arrow: most are numbers
    number = np.where(shape.number, tokens.local[first], -1)
    trimmed = pc.utf8_ltrim(tokens.words, "0")
    number_text = pc.if_else(pc.equal(trimmed, ""), "0", trimmed)

    name, names = _runs(tokens.codes, first + shape.name, first + shape.post_type)
    post_type = tokens.at(lines, shape.post_type)
    street, streets = _distinct(
        tokens.at(lines, shape.pre_direction),
        name,
        post_type,
        tokens.at(lines, shape.post_direction),
    )
    street_text = _remembered(
        _memory.streets, [(p, names[m], t, q) for p, m, t, q in streets], _street
    )
    # `parts` makes "text" of a line without a number whose type is no street type.
    kind, kinds = _distinct(post_type)
    typed = [grammar._EMPTY_IS_TYPE or alnum(_memory.words[t]) in SUFFIXES for (t,) in kinds]
    good = _lookup(typed, kind) | (number >= 0)
    good &= _lookup([bool(text) for text in street_text], street)

    unit, units = _distinct(tokens.at(lines, shape.designator), tokens.at(lines, shape.identifier))
    unit_text = _remembered(_memory.units, units, _unit)
    good &= _lookup([text != "" for text in unit_text], unit)

    run, runs = _runs(tokens.codes, first + shape.place, tokens.starts[lines + 1])
    place, places = _distinct(run, shape.after_comma.astype(np.int64))
    place_parts = _remembered(_memory.places, [(runs[r], c) for r, c in places], _place)
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


def _street(pre: int, name: tuple[int, ...], kind: int, post: int) -> str | None:
    words = _memory.words
    return grammar._street_words(
        None,
        _memory.word(pre),
        None,
        " ".join(_memory.text(name)),
        words[kind],
        _memory.word(post),
        None,
    )


def _unit(designator: int, identifier: int) -> str | None:
    if identifier < 0:
        return None
    ident = _memory.words[identifier].removeprefix("#")
    return grammar._unit_code(_memory.word(designator) or "", ident)


def _place(run: tuple[int, ...], after_comma: int) -> tuple[str | None, ...] | None:
    """City, state and ZIP5 of the words after the street, as the fast grammar reads
    them; None where `_place_fields` declines them (then the line is not read here)."""
    if not run:
        return (None, None, None)
    found = grammar._place_fields(_memory.text(run), bool(after_comma))
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
