"""Person names: one comparable form for given names, middle names and two surnames.

Most people in the extracts carry Spanish names: a given name that is often compound
(MARIA JOSE, JOSE DE JESUS), and two surnames, paternal then maternal, each of which may
hold particles (DE LA CRUZ). Agencies write them in one full-name column, in separate
columns, with or without accents, with hyphens or a joining Y. The rules here bring
every shape to the same columns so the comparisons can be exact where they should be.

Rules (see tests/test_names.py for a case of each):

* Text: `text.clean_text` (upper-case ASCII, apostrophes deleted, hyphens split), then
  titles and suffixes (MR, SRA, DR, JR, III...) dropped from every part.
* Surnames: particles (DE, DEL, LA, LOS, VAN, DA, DOS, SAN...) attach to the next token,
  so DE LA CRUZ is one surname; a Y or E between two surnames is a conjunction and goes.
  The first surname is FAMILY_NAME_1; all the others, joined, are FAMILY_NAME_2.
  FAMILY_NAME_1 / _2 columns, when a source has them, are read as one family name in
  that order, so a source that splits surnames and one that does not agree.
* Remarks are no part of a name: text in brackets ("(MOTHER)", "[UAC]"), a quoted
  nickname ("PEPE"), and an alias after AKA / A.K.A. / ALIAS are dropped.
* Placeholders for a missing name (FNU, NFN, LNU, NLN, NMN, UNK, UNKNOWN, NONE,
  DESCONOCIDO) are no name; in an unmarked full name, a leading FNU makes the rest the
  family name and a trailing LNU makes the rest the given and middle names.
* Given and middle columns are kept as written (normalized): "JUAN CARLOS" in the given
  column stays the given name; nothing moves between given and middle.
* A whole name typed into one part's column is split as a full name, but only where it
  plainly is one, since a wrong split would make up a surname that disagrees with the
  person's other records: a given-name column with no middle or family name on the row
  holding "LOPEZ, JUAN" (a comma), or ending in a known surname that is no given name
  after a first part that is no known surname (JUAN CARLOS LOPEZ, LOPEZ GARCIA JUAN;
  not MARIA JOSE or GARCIA LOPEZ); and a family-name column with no given or middle
  name holding "LOPEZ, JUAN" (without a comma it may be a single-named person's one
  name, as CBP writes it after FNU).
* Per row, given / middle / family columns win; the full-name column is used only for
  rows where all of them are empty. "LAST, FIRST MIDDLE" splits at the comma; an
  unmarked "FIRST ... LAST" splits by `_split_unmarked` with the common-name lists,
  which also tell an unmarked "LAST1 LAST2 FIRST" (a known surname first, a known given
  name last) from it.
* GIVEN_NAME_CANONICAL: the first given token with nicknames and romanizations resolved
  (PACO -> FRANCISCO, OLEKSANDR -> ALEXANDER, MA -> MARIA). After a compound head
  (MARIA, JOSE, JUAN, LUIS, ANA, JEAN, MARIE, JOAO, MIGUEL) the next given or middle token
  that is neither a particle nor an initial is kept too (MARIA JOSE != MARIA ELENA;
  MARIA DEL CARMEN -> MARIA CARMEN), because in this population the head alone says
  little.
* Phonetic keys: `phonetic_code`, a Spanish-aware spelling key described there, of the
  canonical given name's first token and of each surname's last token (DE LA CRUZ keys
  on CRUZ).

Nulls are None in object columns. All parsing runs once per distinct value: the rules
for one value live in `name_rules` (the specification), and `name_bulk` applies them to
a chunk's distinct values at once, in Arrow for the plain ones (nearly all), falling
back to `name_rules` for any other; tests/test_name_bulk.py holds the two together.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from linker import columns as C
from linker.errors import DataContractError
from linker.standardize.name_bulk import (
    BULK_FROM,
    Fields,
    ParseMany,
    family_columns,
    full_columns,
    given_columns,
    middle_columns,
    whole_in_family_columns,
    whole_in_given_columns,
)
from linker.standardize.name_rules import (
    CONJUNCTIONS,
    DEVOTIONAL,
    NAME_PLACEHOLDERS,
    NO_FAMILY_NAME,
    NO_GIVEN_NAME,
    PARTICLES,
    TITLES,
    FamilyFields,
    GivenFields,
    MiddleFields,
    given_canonical,
    name_tokens,
    parse_family,
    phonetic_tokens,
    split_full,
)
from linker.standardize.text import (
    factorize,
    map_unique,
    map_unique_columns,
    phonetic_code,
)

__all__ = [  # the vocabulary stays importable from here, where it always was
    "CONJUNCTIONS",
    "DEVOTIONAL",
    "NAME_COLUMNS",
    "NAME_PLACEHOLDERS",
    "NO_FAMILY_NAME",
    "NO_GIVEN_NAME",
    "PARTICLES",
    "SPLIT_FAMILY",
    "SPLIT_GIVEN",
    "SPLIT_MIDDLE",
    "TITLES",
    "FamilyFields",
    "GivenFields",
    "MiddleFields",
    "canonical_given_name",
    "phonetic_code",
    "phonetic_key",
    "split_family_names",
    "split_full_name",
    "standardize_names",
]

# Columns of split_full_name's result.
SPLIT_GIVEN: Final = "given"
SPLIT_MIDDLE: Final = "middle"
SPLIT_FAMILY: Final = "family"

NAME_COLUMNS: Final[tuple[str, ...]] = (
    C.GIVEN_NAME,
    C.MIDDLE_NAME,
    C.FAMILY_NAME,
    C.FAMILY_NAME_1,
    C.FAMILY_NAME_2,
    C.GIVEN_NAME_CANONICAL,
    C.FULL_NAME,
    C.GIVEN_PHONETIC,
    C.FAMILY_1_PHONETIC,
    C.FAMILY_2_PHONETIC,
)

# --- public, vectorized ------------------------------------------------------------


def phonetic_key(values: pd.Series) -> pd.Series:
    """`phonetic_code` of each token of each value, space-joined; None when empty."""
    return pd.Series(map_unique(values, phonetic_tokens), index=values.index, dtype=object)


def canonical_given_name(values: pd.Series) -> pd.Series:
    """Canonical form of given-name texts (PEPE -> JOSE, MA DEL CARMEN -> MARIA CARMEN)."""
    canonical = map_unique(values, lambda text: given_canonical(name_tokens(text))[0])
    return pd.Series(canonical, index=values.index, dtype=object)


def split_family_names(family: pd.Series) -> pd.DataFrame:
    """Family-name texts -> first surname and the other surname(s)."""
    first, second, _ = map_unique_columns(family, parse_family, 3)
    return pd.DataFrame({C.FAMILY_NAME_1: first, C.FAMILY_NAME_2: second}, index=family.index)


def split_full_name(full: pd.Series) -> pd.DataFrame:
    """Full-name texts -> normalized given, middle and family (both surnames) texts."""
    given, middle, family = map_unique_columns(full, split_full, 3)
    return pd.DataFrame(
        {SPLIT_GIVEN: given, SPLIT_MIDDLE: middle, SPLIT_FAMILY: family}, index=full.index
    )


class _Part:
    """One name part per row, stored as an id into fields computed once per distinct value.

    `fields` holds one array per field (given: text, canonical, open head...), indexed
    by id; id 0 is the part absent. Keeping ids instead of strings lets later steps work
    per distinct combination (given x middle, ... x family) with integer factorization,
    never per row in Python.
    """

    def __init__(self, ids: np.ndarray, fields: Fields) -> None:
        self.ids = ids  # intp, >= 0
        self.fields = fields

    @classmethod
    def parse(cls, values: pd.Series | np.ndarray | None, parse: ParseMany, n: int) -> _Part:
        """Parts of `values` (None: absent on all `n` rows), parsed once per distinct value."""
        if values is None:
            return cls(np.zeros(n, dtype=np.intp), parse([None]))
        codes, uniques = factorize(values)
        if pd.api.types.infer_dtype(uniques, skipna=False) != "string":  # a stray number
            uniques = np.array([str(v) for v in uniques], dtype=object)
        return cls(codes + 1, parse(np.concatenate([[None], uniques])))

    def __len__(self) -> int:
        return len(self.fields[0])

    def replace(self, mask: np.ndarray, other: _Part) -> None:
        """Take `other` (parsed from the rows under `mask`) for those rows."""
        self.ids[mask] = other.ids + len(self)
        self.fields = tuple(
            np.concatenate([mine, theirs])
            for mine, theirs in zip(self.fields, other.fields, strict=True)
        )

    def column(self, field: int) -> np.ndarray:
        return self.fields[field][self.ids]

    def present(self, field: int) -> np.ndarray:
        """Boolean per row: the field is not null."""
        return pd.notna(self.fields[field])[self.ids]


def _pairs(left: np.ndarray, right: np.ndarray, right_size: int) -> tuple[np.ndarray, ...]:
    """Codes of each row's (left, right) id pair, and each distinct pair's two ids."""
    codes, keys = pd.factorize(left.astype(np.int64) * right_size + right)
    return codes, keys // right_size, keys % right_size


def _family_from_columns(family_1: pd.Series | None, family_2: pd.Series | None, n: int) -> _Part:
    """FAMILY_NAME_1 / _2 columns read as one family name, in column order, so a source
    that splits surnames and one that joins them agree."""

    def distinct(values: pd.Series | None) -> tuple[np.ndarray, list[object]]:
        if values is None:
            return np.zeros(n, dtype=np.intp), [None]
        codes, uniques = factorize(values)
        return codes + 1, [None, *uniques]

    (ids_1_per_row, firsts), (ids_2_per_row, seconds) = distinct(family_1), distinct(family_2)
    codes, ids_1, ids_2 = _pairs(ids_1_per_row, ids_2_per_row, len(seconds))
    texts: list[str | None] = [None]
    for i, j in zip(ids_1, ids_2, strict=True):
        parts = [str(t) for t in (firsts[i], seconds[j]) if t is not None]
        texts.append(" ".join(parts) if parts else None)
    return _Part(codes + 1, family_columns(texts))


@lru_cache(maxsize=1 << 15)
def _phonetic_key(token: str) -> str | None:
    """`phonetic_code` of one token, remembered per process: surname and given-name
    tokens come back in every chunk (a 100,000-row chunk holds about 10,000)."""
    return phonetic_code(token) or None


def _phonetic_of(names: np.ndarray, *, first: bool) -> np.ndarray:
    """Key of each name's first (given) or last (surname: DE LA CRUZ -> CRUZ) token,
    computed once per distinct token; None for a null name. (A part's names repeat:
    a chunk's 31,000 family names hold about 2,300 first surnames.)"""
    codes, distinct = factorize(names)
    if len(distinct) < BULK_FROM:  # Arrow's fixed cost outweighs the work
        tokens = [n.split(" ", 1)[0] if first else n.rsplit(" ", 1)[-1] for n in distinct]
        keys = np.empty(len(distinct), dtype=object)
        keys[:] = [_phonetic_key(t) for t in tokens]
        per_name = np.empty(len(distinct) + 1, dtype=object)  # code -1 (null): the last
        per_name[:-1] = keys
        return per_name[codes]
    parts = pc.split_pattern(
        pa.array(distinct, type=pa.string()), " ", max_splits=1, reverse=not first
    )
    offsets = parts.offsets.to_numpy()
    token = parts.values.take(
        pa.array(offsets[:-1] if first else offsets[1:] - 1)
    ).dictionary_encode()
    keys = np.empty(len(token.dictionary), dtype=object)
    keys[:] = [_phonetic_key(t) for t in token.dictionary.to_numpy(zero_copy_only=False)]
    per_name = np.empty(len(distinct) + 1, dtype=object)  # code -1 (null): the last, None
    per_name[:-1] = keys[token.indices.to_numpy()]
    return per_name[codes]


def _text(values: np.ndarray) -> pa.Array:
    return pa.array(values, type=pa.string())


def _joined(left: pa.Array, right: pa.Array) -> pa.Array:
    """Each pair of texts space-joined, or the one present, or null: `" ".join` over the
    parts present. (Arrow's own null_handling="skip" drops rows where all are null.)"""
    return pc.coalesce(pc.binary_join_element_wise(left, right, " "), left, right)


def _take_split(
    g: _Part, m: _Part, f: _Part, texts: pd.Series, rows: np.ndarray, split: ParseMany
) -> None:
    """The given, middle and family names that `split` finds in `texts`, for the
    `rows` (a mask) where it finds a name; the other rows keep what they had."""
    if not rows.any():
        return
    parsed = _Part.parse(np.asarray(texts, dtype=object)[rows], split, 0)
    found = parsed.present(2) | parsed.present(0)
    if not found.any():
        return
    use = rows.copy()
    use[rows] = found
    ids = parsed.ids[found]
    for part, parser, k in ((g, given_columns, 0), (m, middle_columns, 1), (f, family_columns, 2)):
        # one row per distinct text (not per distinct whole name), so that the steps
        # after work per distinct given name, surname...
        codes, distinct = factorize(parsed.fields[k])
        part.replace(use, _Part((codes + 1)[ids], parser([None, *distinct])))


def _aligned_index(inputs: dict[str, pd.Series | None], index: pd.Index | None) -> pd.Index:
    given = {name: s for name, s in inputs.items() if s is not None}
    if index is None:
        if not given:
            raise DataContractError(
                "standardize_names needs at least one name column or an explicit index"
            )
        index = next(iter(given.values())).index
    misaligned = [name for name, s in given.items() if not s.index.equals(index)]
    if misaligned:
        raise DataContractError(
            f"name columns {misaligned} do not share the records' index; "
            "pass Series taken from one frame"
        )
    return index


def standardize_names(
    *,
    given: pd.Series | None = None,
    middle: pd.Series | None = None,
    family: pd.Series | None = None,
    family_1: pd.Series | None = None,
    family_2: pd.Series | None = None,
    full: pd.Series | None = None,
    index: pd.Index | None = None,
) -> pd.DataFrame:
    """The `NAME_COLUMNS` of each row (object columns, None for null); see module rules.

    Any input may be None. The inputs given must share one index (that of the records),
    which the result keeps; `index` is required when every input is None.
    """
    inputs = {
        "given": given,
        "middle": middle,
        "family": family,
        "family_1": family_1,
        "family_2": family_2,
        "full": full,
    }
    index = _aligned_index(inputs, index)
    n = len(index)
    g = _Part.parse(given, given_columns, n)
    m = _Part.parse(middle, middle_columns, n)
    f = _Part.parse(family, family_columns, n)
    if family_1 is not None or family_2 is not None:
        from_columns = _family_from_columns(family_1, family_2, n)
        use = from_columns.present(2)
        f.replace(use, _Part(from_columns.ids[use], from_columns.fields))
    # A whole name in the given or family column (plainly one: module rules).
    if given is not None:
        rows = g.present(0) & ~m.present(0) & ~f.present(2)
        _take_split(g, m, f, given, rows, whole_in_given_columns)
    if family is not None:
        rows = f.present(2) & ~g.present(0) & ~m.present(0)
        _take_split(g, m, f, family, rows, whole_in_family_columns)
    if full is not None:
        rows = ~g.present(0) & ~m.present(0) & ~f.present(2)
        _take_split(g, m, f, full, rows, full_columns)

    # canonical given name, once per distinct (given, middle) pair: the given name's,
    # completed by the middle name's second token after an open compound head, or the
    # middle name's own when there is no given name
    gm_codes, gm_g, gm_m = _pairs(g.ids, m.ids, len(m))
    given_text, given_head, open_head = (field[gm_g] for field in g.fields)
    _, second, middle_head = (field[gm_m] for field in m.fields)
    canonical = np.where(pd.isna(given_text), middle_head, given_head)
    completed = np.flatnonzero(open_head.astype(bool) & pd.notna(second))
    canonical[completed] = [
        f"{head} {token}"
        for head, token in zip(given_head[completed], second[completed], strict=True)
    ]

    # full name, once per distinct (given, middle, family) triple
    full_codes, full_gm, full_f = _pairs(gm_codes, f.ids, len(f))
    given_middle = _joined(_text(given_text), _text(m.fields[0][gm_m]))
    full_name = _joined(given_middle.take(full_gm), _text(f.fields[2]).take(full_f))

    return pd.DataFrame(
        {
            C.GIVEN_NAME: g.column(0),
            C.MIDDLE_NAME: m.column(0),
            C.FAMILY_NAME: f.column(2),
            C.FAMILY_NAME_1: f.column(0),
            C.FAMILY_NAME_2: f.column(1),
            C.GIVEN_NAME_CANONICAL: canonical[gm_codes],
            C.FULL_NAME: full_name.to_numpy(zero_copy_only=False)[full_codes],
            C.GIVEN_PHONETIC: _phonetic_of(canonical, first=True)[gm_codes],
            C.FAMILY_1_PHONETIC: _phonetic_of(f.fields[0], first=False)[f.ids],
            C.FAMILY_2_PHONETIC: _phonetic_of(f.fields[1], first=False)[f.ids],
        },
        index=index,
    )
