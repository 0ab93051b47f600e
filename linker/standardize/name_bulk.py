"""The name rules over many texts at once: Arrow reads the plain texts, `name_rules`
the rest, one array per field.

Nearly every name text is plain: no bracket, quote or alias marker, and none of the
tokens that make a part's rules more than token positions (a conjunction, title or
placeholder; in a LAST, FIRST given part only the last two). For a plain text the rules
come down to positions: a family name's first group (DE LA CRUZ: particles join the
token they lead) is FAMILY_NAME_1 and the rest FAMILY_NAME_2; "LAST LAST, FIRST
MIDDLE" cuts at the comma and after the first given group. Arrow cleans, splits and
cuts a chunk's distinct texts in a few kernel calls, where the per-text parsers spent
about 10 microseconds each in Python (a million-record batch holds about 290,000
distinct full names and 215,000 distinct family names).

Each `*_columns` function gives, for a list of texts (None for absent), exactly what
the `name_rules` parser of one text gives for each, field by field; tests hold them to
it. The Arrow test for "plain" is deliberately wider than the rules' own tests (any
"AKA" inside a word, any A.K, any bracket or quote a transliteration writes): a text it
doubts goes to the per-text parser, which is always right.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker.standardize.name_rules import (
    CONJUNCTIONS,
    NAME_PLACEHOLDERS,
    NO_FAMILY,
    NO_GIVEN,
    NO_MIDDLE,
    NO_SPLIT,
    PARTICLES,
    TITLES,
    family_fields,
    given_canonical,
    given_fields,
    may_hold_remark,
    middle_fields,
    second_given,
    split_full,
    split_unmarked,
    whole_in_family,
    whole_in_given,
)
from linker.standardize.nicknames import COMPOUND_HEADS, formal_given_name
from linker.standardize.text import ascii_upper

Fields = tuple[np.ndarray, ...]
Texts = Sequence[str | None] | np.ndarray  # an object array of str and None
ParseMany = Callable[[Texts], Fields]

# Tokens the rules treat specially, by kind: a particle joins the token after it (DE LA
# CRUZ), a conjunction may go (LOPEZ Y GARCIA), and titles and placeholders go. Which
# kinds keep a text off the fast path depends on the part (see each reader). A text
# already clean can hold a remark only as an AKA or ALIAS token, which counts as
# "dropped" here, so such a text is never plain.
_NORMAL, _PARTICLE, _CONJUNCTION, _DROPPED = 0, 1, 2, 3
_SPECIAL_KINDS: Final = {
    **dict.fromkeys(PARTICLES, _PARTICLE),
    **dict.fromkeys(CONJUNCTIONS, _CONJUNCTION),
    **dict.fromkeys(TITLES | NAME_PLACEHOLDERS | {"AKA", "ALIAS"}, _DROPPED),
}
_SPECIAL: Final = pa.array(list(_SPECIAL_KINDS))
_KIND_OF_SPECIAL: Final = np.array([*_SPECIAL_KINDS.values(), _NORMAL], dtype=np.int8)
# Fewer texts than this go one by one: a reader's kernels cost about 0.5 to 1.5 ms
# whatever the number of texts (each call compiles its regular expressions), which is
# what the rules take for about 500 texts. A chunk holds tens of thousands; a look-up,
# one.
BULK_FROM: Final = 500
# Clean name text, as `name_rules` tests it: tokens of A-Z, one space apart.
_CLEAN: Final = r"^[A-Z]+(?: [A-Z]+)*$"
# Every text in which `name_rules` might find a remark, and more: no word boundaries,
# any one character between "A." and "K". Applied to `ascii_upper` text, whose
# apostrophes are deleted as cleaning deletes them ("A'KA" is read as AKA).
_MAYBE_REMARK: Final = r"(?is)[(\[\"]|aka|alias|a\..?k"


def _as_columns(rows: Sequence[tuple[Any, ...]], width: int) -> Fields:
    columns = []
    for k in range(width):
        column = np.empty(len(rows), dtype=object)
        column[:] = [row[k] for row in rows]
        columns.append(column)
    return tuple(columns)


def each(parse_one: Callable[[str], tuple[Any, ...]], absent: tuple[Any, ...]) -> ParseMany:
    """`parse_one` applied to each text (`absent` for None), as field columns."""

    def parse(texts: Texts) -> Fields:
        rows = [absent if text is None else parse_one(text) for text in texts]
        return _as_columns(rows, len(absent))

    return parse


def _flags(values: pa.Array, null: bool) -> np.ndarray:
    """Arrow booleans as numpy, `null` where null."""
    return values.fill_null(null).to_numpy(zero_copy_only=False)


def _objects(values: pa.Array) -> np.ndarray:
    """Arrow text as a writable object array, None for null and for empty text."""
    values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    return values.to_numpy(zero_copy_only=False)  # a new array, so writable


def _shared_objects(values: pa.Array) -> np.ndarray:
    """`_objects` of text that repeats (a first surname, a given name), one Python
    string per distinct value: fewer strings to make and to keep (a chunk's 31,000
    family names hold about 2,300 first surnames)."""
    coded = values.dictionary_encode()
    distinct = np.concatenate([_objects(coded.dictionary), [None]])  # the last: null
    return distinct[coded.indices.fill_null(-1).to_numpy(zero_copy_only=False)]


def _without_apostrophes(text: pa.Array) -> pa.Array:
    return pc.replace_substring(pc.replace_substring(text, "'", ""), "`", "")


@dataclass(frozen=True)
class _Tokens:
    """Name texts cleaned (`clean_text` without digits, "" for none) and split into
    tokens (one "" for an empty text), with each token's kind (`_NORMAL`...) and
    whether each text is readable here at all (which kinds of token a part can take
    is the part's reader's to say: `plain`)."""

    cleaned: pa.Array
    lists: pa.ListArray
    readable: np.ndarray  # allowed by the caller, and no possible remark
    kinds: np.ndarray  # int8 per token
    starts: np.ndarray  # each text's first token in `lists.values`
    counts: np.ndarray  # each text's number of tokens, >= 1

    @classmethod
    def read(cls, upper: pa.Array, allowed: np.ndarray | None = None) -> _Tokens:
        """`upper`: `ascii_upper` of texts without nulls; `allowed`: the texts that may
        be read here at all (None: all).

        Clean text is its own cleaning and can hold a remark only as an AKA or ALIAS
        token; the rest ("rough") is cleaned with regular expressions, and is readable
        only if clear of `_MAYBE_REMARK`.
        """
        cleaned = pc.ascii_trim(upper, " ")
        readable = np.ones(len(upper), dtype=bool) if allowed is None else allowed.copy()
        rough = ~_flags(pc.match_substring_regex(cleaned, _CLEAN), null=False)
        if rough.any():
            text = upper.filter(pa.array(rough))
            readable[rough] &= ~_flags(pc.match_substring_regex(text, _MAYBE_REMARK), null=True)
            spaced = pc.replace_substring_regex(text, "[^A-Z]+", " ")
            cleaned = pc.replace_with_mask(cleaned, pa.array(rough), pc.ascii_trim(spaced, " "))
        lists = pc.split_pattern(cleaned, " ")
        offsets = lists.offsets.to_numpy()
        special = pc.index_in(lists.values, value_set=_SPECIAL).fill_null(-1)
        kinds = _KIND_OF_SPECIAL[special.to_numpy(zero_copy_only=False)]
        return cls(cleaned, lists, readable, kinds, offsets[:-1], np.diff(offsets))

    def plain(self, *kinds: int) -> np.ndarray:
        """Readable, with no token of these kinds."""
        rows = np.repeat(np.arange(len(self.counts)), self.counts)
        hits = np.bincount(rows[np.isin(self.kinds, kinds)], minlength=len(self.counts))
        return self.readable & (hits == 0)

    def first(self) -> pa.Array:
        return self.lists.values.take(pa.array(self.starts))

    def rest(self) -> pa.Array:
        """The tokens after the first, space-joined ("" for none)."""
        return pc.binary_join(pc.list_slice(self.lists, 1), " ")

    def joined(self, start: np.ndarray, stop: np.ndarray) -> pa.Array:
        """Each text's tokens [start, stop) (positions within the text), space-joined."""
        lengths = stop - start
        offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int32)
        at = np.repeat(self.starts + start - offsets[:-1], lengths) + np.arange(offsets[-1])
        picked = pa.ListArray.from_arrays(pa.array(offsets), self.lists.values.take(at))
        return pc.binary_join(picked, " ")

    def _positions(self) -> np.ndarray:
        """Each token's position within its text."""
        return np.arange(len(self.kinds)) - np.repeat(self.starts, self.counts)

    def first_group_end(self) -> np.ndarray:
        """Per text, the end of the first name group: its leading particles and the
        token they join (all tokens when only particles), as `name_rules` groups them."""
        joined = np.where(self.kinds != _PARTICLE, self._positions(), len(self.kinds))
        return np.minimum(np.minimum.reduceat(joined, self.starts) + 1, self.counts)

    def given_end(self) -> np.ndarray:
        """Per given part of "LAST, FIRST MIDDLE", where the given name ends: after the
        first group and the particle-led groups right after it (MARIA DE LOS ANGELES),
        so at the first token past the first group that follows a token that is no
        particle either (no particle leads its group)."""
        head = self.first_group_end()
        ordinary = self.kinds != _PARTICLE
        after_ordinary = np.concatenate([[False], ordinary[:-1]])
        position = self._positions()
        ends = ordinary & after_ordinary & (position >= np.repeat(head, self.counts))
        candidate = np.where(ends, position, np.iinfo(np.int64).max)
        return np.minimum(np.minimum.reduceat(candidate, self.starts), self.counts)


def _columns(
    texts: Texts,
    read: Callable[[pa.Array], tuple[Fields, np.ndarray]],
    one_by_one: ParseMany,
) -> Fields:
    """Fields of each text: `read` of the texts in Arrow, right where its mask says
    (plain texts), `one_by_one` of the others and of None."""
    present = pd.notna(np.asarray(texts, dtype=object))
    strings = np.asarray(texts, dtype=object)[present]
    if len(strings) < BULK_FROM:
        return one_by_one(texts)
    try:
        arrow = pa.array(strings, type=pa.string())
    except (pa.ArrowException, UnicodeError):  # a lone surrogate
        return one_by_one(texts)
    fields, plain = read(arrow)
    others = np.flatnonzero(~plain)
    if len(others):
        for column, theirs in zip(fields, one_by_one(strings[others]), strict=True):
            column[others] = theirs
    if len(strings) == len(texts):
        return fields
    out = tuple(np.full(len(texts), column[0], dtype=object) for column in one_by_one([None]))
    for column, field in zip(out, fields, strict=True):
        column[present] = field
    return out


def _column_tokens(arrow: pa.Array) -> _Tokens:
    """Tokens of given, middle or family column texts, as `name_rules.name_tokens`
    reads them. Those rules look for remarks before transliterating, and a
    transliteration can write a bracket or a quote, so a text with other than ASCII
    characters is read here only if the rules find no remark in it as written (and
    `_Tokens.read` none in its transliteration): the rules then clean the text, which
    is the same as cleaning its transliteration."""
    ascii_ = _flags(pc.string_is_ascii(arrow), null=True)
    allowed = ascii_.copy()
    others = np.flatnonzero(~ascii_)
    allowed[others] = [not may_hold_remark(t) for t in arrow.take(others).to_pylist()]
    return _Tokens.read(_ascii_upper(arrow, ascii_), allowed)


def _read_family(arrow: pa.Array) -> tuple[Fields, np.ndarray]:
    """The first group (DE LA CRUZ), the others, all: particles are grouped here; a
    conjunction, title or placeholder is left to the rules."""
    tokens = _column_tokens(arrow)
    first = tokens.first_group_end()
    fields = (
        _shared_objects(tokens.joined(np.zeros_like(first), first)),
        _shared_objects(tokens.joined(first, tokens.counts)),
        _objects(tokens.cleaned),
    )
    return fields, tokens.plain(_CONJUNCTION, _DROPPED)


def _read_given(arrow: pa.Array) -> tuple[Fields, np.ndarray]:
    """The canonical form of a plain given name is its first token's formal form,
    looked up once per distinct first token, unless that is a compound head (MARIA,
    JOSE...), which the rules complete from the tokens after it. Particles and
    conjunctions are plain tokens in a given name."""
    tokens = _column_tokens(arrow)
    plain = tokens.plain(_DROPPED)
    given = _objects(tokens.cleaned)
    first = tokens.first().dictionary_encode()
    heads = np.empty(len(first.dictionary), dtype=object)
    heads[:] = [formal_given_name(t) if t else None for t in first.dictionary.to_pylist()]
    compound_heads = np.array([h in COMPOUND_HEADS for h in heads], dtype=bool)
    codes = first.indices.to_numpy()
    canonical = heads[codes]
    open_head = np.full(len(given), False, dtype=object)
    compound = np.flatnonzero(compound_heads[codes] & plain)
    completed = [given_canonical(text.split(" ")) for text in given[compound]]
    canonical[compound], open_head[compound] = _as_columns(completed, 2)
    return (given, canonical, open_head), plain


def _read_middle(arrow: pa.Array) -> tuple[Fields, np.ndarray]:
    """Middle names are few (1,400 distinct in a chunk): their second token and
    canonical form come from the rules' own functions on the Arrow tokens."""
    tokens = _column_tokens(arrow)
    plain = tokens.plain(_DROPPED)
    middle = _objects(tokens.cleaned)
    second = np.empty(len(middle), dtype=object)
    canonical = np.empty(len(middle), dtype=object)
    lists = [text.split(" ") if text else [] for text in middle[plain]]
    second[plain] = [second_given(t) for t in lists]
    canonical[plain] = [given_canonical(t)[0] for t in lists]
    return (middle, second, canonical), plain


def _ascii_upper(arrow: pa.Array, ascii_: np.ndarray) -> pa.Array:
    """`ascii_upper` of each text (`ascii_`: which are ASCII): Arrow for ASCII text;
    for the rest (most ICE names carry accents) the translation table once per
    distinct word, since it maps character by character and a space to a space, and
    words recur far more than whole names (a chunk's 18,000 accented names hold about
    6,000 words)."""
    upper = _without_apostrophes(pc.ascii_upper(arrow))
    if ascii_.all():
        return upper
    others = pa.array(~ascii_)
    words = pc.split_pattern(arrow.filter(others), " ")
    coded = words.values.dictionary_encode()
    distinct = coded.dictionary.to_numpy(zero_copy_only=False)
    folded = pa.array([ascii_upper(word) for word in distinct], type=pa.string())
    rebuilt = pa.ListArray.from_arrays(words.offsets, folded.take(coded.indices))
    return pc.replace_with_mask(upper, others, pc.binary_join(rebuilt, " "))


def _read_full(arrow: pa.Array) -> tuple[Fields, np.ndarray]:
    """Plain "LAST LAST, FIRST MIDDLE" (something before the comma) is cut in Arrow:
    the family part is all its tokens (particles and all; a conjunction may go), the
    given part ends after its first group and the particle-led groups right after it.
    A name without a comma or hyphen and with no special token goes to
    `split_unmarked` with its tokens, as `split_full` would hand them over; the rest
    is left to `split_full` itself."""
    upper = _ascii_upper(arrow, _flags(pc.string_is_ascii(arrow), null=True))
    parts = pc.split_pattern(upper, ",", max_splits=1)
    starts = parts.offsets.to_numpy()[:-1]
    commaed = np.diff(parts.offsets.to_numpy()) == 2
    family = _Tokens.read(parts.values.take(pa.array(starts)))
    given = _Tokens.read(parts.values.take(pa.array(np.where(commaed, starts + 1, starts))))
    cut = given.given_end()
    fields = (
        _shared_objects(given.joined(np.zeros_like(cut), cut)),
        _shared_objects(given.joined(cut, given.counts)),
        _objects(family.cleaned),
    )
    has_family = _flags(pc.not_equal(family.cleaned, ""), null=False)
    done = commaed & has_family & family.plain(_CONJUNCTION, _DROPPED) & given.plain(_DROPPED)

    hyphen = _flags(pc.match_substring(upper, "-"), null=True)
    plain = family.plain(_PARTICLE, _CONJUNCTION, _DROPPED)  # the whole text, uncommaed
    unmarked = np.flatnonzero(plain & ~commaed & ~hyphen)
    texts = fields[2][unmarked]
    for i, text in zip(unmarked, texts, strict=True):
        fields[0][i], fields[1][i], fields[2][i] = split_unmarked(text.split(" ") if text else [])
    done[unmarked] = True
    return fields, done


def family_columns(texts: Texts) -> Fields:
    """`name_rules.family_fields` of each text: first surname, the others, all."""
    return _columns(texts, _read_family, _each_family)


def given_columns(texts: Texts) -> Fields:
    """`name_rules.given_fields` of each text: the name, its canonical form, and
    whether a middle token may complete that form."""
    return _columns(texts, _read_given, _each_given)


def middle_columns(texts: Texts) -> Fields:
    """`name_rules.middle_fields` of each text: the name, the token that completes an
    open compound head, and the canonical form when there is no given name."""
    return _columns(texts, _read_middle, _each_middle)


def full_columns(texts: Texts) -> Fields:
    """`name_rules.split_full` of each text: given, middle and family names."""
    return _columns(texts, _read_full, _each_full)


_each_family = each(family_fields, NO_FAMILY)
_each_given = each(given_fields, NO_GIVEN)
_each_middle = each(middle_fields, NO_MIDDLE)
_each_full = each(split_full, NO_SPLIT)
whole_in_given_columns = each(whole_in_given, NO_SPLIT)
whole_in_family_columns = each(whole_in_family, NO_SPLIT)
