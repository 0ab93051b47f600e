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

Nulls are None in object columns. All parsing runs once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Any, Final

import numpy as np
import pandas as pd

from linker import columns as C
from linker.errors import DataContractError
from linker.standardize.nicknames import (
    COMMON_GIVEN_NAMES,
    COMMON_SURNAMES,
    COMPOUND_HEADS,
    formal_given_name,
)
from linker.standardize.text import (
    ascii_upper,
    clean_text,
    factorize,
    map_unique,
    map_unique_columns,
    phonetic_code,
)

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

# DO, LE and MAC are left out on purpose: they are common Vietnamese surnames.
PARTICLES: Final = frozenset(
    "DE DEL LA LAS LOS VAN VON DER DEN DA DAS DOS DI SAN SANTA SAO AL EL BIN IBN MC".split()
)
CONJUNCTIONS: Final = frozenset({"Y", "E"})
TITLES: Final = frozenset(
    "MR MRS MS DR DRA SR SRA SRTA SRITA JR SNR JNR II III IV MME MLLE".split()
)
# Words a clerk types where a name is unknown or absent. CBP writes FNU ("first name
# unknown") or NFN before the one name of a person who has a single name, and LNU /
# NLN after a given name whose surname is unknown; NMN fills a middle-name field.
# Kept as names, they would agree between strangers ("FNU SINGH" and "FNU KAUR" share
# a given name) and disagree with the same person's other records.
NO_GIVEN_NAME: Final = frozenset({"FNU", "NFN"})
NO_FAMILY_NAME: Final = frozenset({"LNU", "NLN"})
NAME_PLACEHOLDERS: Final = (
    NO_GIVEN_NAME
    | NO_FAMILY_NAME
    | frozenset({"NMN", "UNK", "UNKNOWN", "DESCONOCIDO", "DESCONOCIDA", "NONE"})
)
_DROPPED: Final = TITLES | NAME_PLACEHOLDERS
# Marian and devotional names that follow a particle inside a compound given name
# (MARIA DEL CARMEN, JOSE DE JESUS); after a given head such a group is not a surname.
DEVOTIONAL: Final = frozenset(
    """CARMEN ANGELES JESUS LUZ LOURDES GUADALUPE ROSARIO PILAR SOCORRO REFUGIO DOLORES
    MERCEDES CONCEPCION ASUNCION FATIMA CARIDAD NIEVES TRANSITO MONSERRAT MONTSERRAT
    REMEDIOS MILAGROS""".split()
)

_CLEAN: Final = re.compile(r"[A-Z]+(?: [A-Z]+)*")
_NEVER = 1 << 30  # "drop conjunctions after this many groups": never


# A clerk's remark in a name field: "(MOTHER)", "[UAC]", a quoted nickname ("PEPE"),
# or an alias after AKA / A.K.A. / ALIAS. Kept, they would be read as names.
_MAYBE_REMARK: Final = re.compile(r"[(\[\"]|\b(?:AKA|A\.\s?K|ALIAS)\b", re.IGNORECASE)
_REMARK: Final = re.compile(r"\([^)]*\)?|\[[^\]]*\]?|\"[^\"]*\"?")
# The alias marker follows the name: a value that is only "ALIAS" is a name (FEBRL has it).
_ALIAS: Final = re.compile(r"\s(?:AKA|A\.\s?K\.\s?A\.?|ALIAS)(?:\s|$).*", re.IGNORECASE)


def _without_remarks(text: str) -> str:
    """The name without remarks in brackets or quotes, and without an alias after AKA
    (the alias is another name, not more of this one)."""
    if _MAYBE_REMARK.search(text) is None:
        return text
    return _ALIAS.sub(" ", _REMARK.sub(" ", text)).strip()


def _tokens(text: str, *, keep_placeholders: bool = False) -> list[str]:
    """Normalized name tokens, titles and suffixes dropped, and placeholders (FNU, LNU,
    NMN, UNKNOWN...) too unless `keep_placeholders` (their place in a full name says
    which part is missing)."""
    text = _without_remarks(text)
    if _CLEAN.fullmatch(text) is None:  # most extract text is already clean upper case
        cleaned = clean_text(text, keep_digits=False)
        if cleaned is None:
            return []
        # Folding can spell a marker ("ÀKA" is "AKA"): the alias goes here too, or the
        # tokens kept would lose it only when read again.
        text = _without_remarks(cleaned)
    dropped = TITLES if keep_placeholders else _DROPPED
    return [t for t in text.split(" ") if t not in dropped]


def _join(parts: Sequence[str]) -> str | None:
    return " ".join(parts) or None


def _groups(tokens: list[str], *, conjunctions_after: int) -> list[str]:
    """Tokens -> name groups: particles join the token after them (DE LA CRUZ).

    A conjunction (Y, E) is dropped when at least `conjunctions_after` groups precede it
    and a real token follows; elsewhere it is a plain token (an initial Y). Trailing
    particles with nothing to attach to form their own group, so no letter is lost and
    re-parsing the joined groups gives the same groups.
    """
    groups: list[str] = []
    pending: list[str] = []
    for i, token in enumerate(tokens):
        if (
            token in CONJUNCTIONS
            and not pending
            and len(groups) >= conjunctions_after
            and any(t not in CONJUNCTIONS for t in tokens[i + 1 :])
        ):
            continue
        if token in PARTICLES:
            pending.append(token)
            continue
        groups.append(" ".join([*pending, token]))
        pending = []
    if pending:
        groups.append(" ".join(pending))
    return groups


def _particle_led(group: str) -> bool:
    return group.split(" ", 1)[0] in PARTICLES


def _given_like(group: str) -> bool:
    """Looks like part of a given name: a known given-only name, or DEL CARMEN style."""
    last = group.rsplit(" ", 1)[-1]
    if _particle_led(group):
        return last in DEVOTIONAL
    return last in COMMON_GIVEN_NAMES and last not in COMMON_SURNAMES


def _initial(group: str) -> bool:
    """One letter: a middle initial (JOSE L. GARCIA), the dot already dropped."""
    return len(group) == 1


def _surname_like(group: str) -> bool:
    last = group.rsplit(" ", 1)[-1]
    if _particle_led(group):
        return last not in DEVOTIONAL and last not in PARTICLES
    return last in COMMON_SURNAMES and last not in COMMON_GIVEN_NAMES


# --- parsers of one distinct value ---------------------------------------------------


def _parse_family(text: str) -> tuple[str | None, str | None, str | None]:
    """(family_name_1, family_name_2, family_name) of one family-name text."""
    groups = _groups(_tokens(text), conjunctions_after=1)
    if not groups:
        return None, None, None
    return groups[0], _join(groups[1:]), _join(groups)


def _split_commaed(family_part: str, given_part: str) -> tuple[str | None, ...]:
    """LAST, FIRST MIDDLE: the first group after the comma is the given name, with any
    particle-led groups right after it (MARIA DE LOS ANGELES); the rest is middle."""
    return (*_given_and_middle(given_part), _surname_text(family_part))


# Whole names are nearly all distinct, but the two sides of their comma are not (a
# chunk of 100,000 "LAST LAST, FIRST MIDDLE" names holds about 30,000 surname parts and
# 26,000 given parts), so these two remember their results (per process, bounded).
_PART_CACHE: Final = 1 << 15


@lru_cache(maxsize=_PART_CACHE)
def _surname_text(family_part: str) -> str | None:
    return _join(_groups(_tokens(family_part), conjunctions_after=1))


@lru_cache(maxsize=_PART_CACHE)
def _given_and_middle(given_part: str) -> tuple[str | None, str | None]:
    firsts = _groups(_tokens(given_part), conjunctions_after=_NEVER)
    cut = 1
    while cut < len(firsts) and _particle_led(firsts[cut]):
        cut += 1
    return _join(firsts[:cut]), _join(firsts[cut:])


def _split_unmarked(groups: list[str], head: int = 1, tail: int = 1) -> tuple[str | None, ...]:
    """FIRST [MIDDLE...] LAST1 [LAST2] without a comma (Spanish order by default).

    `head` / `tail`: how many groups the given name / the surnames hold at least (a
    hyphenated first / last word), unless the name is written surnames first.

    One group: a surname if it is a known surname and no known given name, else given.
    The given name takes following DEL CARMEN style groups. Of the remaining groups,
    leading given-like ones and initials are middle names (JUAN CARLOS LOPEZ, the
    U.S. forms' JOSE L GARCIA: an initial is never a surname); with three or more
    left, all but the last two are middle (FIRST MIDDLE LAST1 LAST2) unless the first of
    them is clearly a surname (JUAN LOPEZ GARCIA MARTINEZ). With two left and no
    evidence, both are surnames: the Hispanic default.
    """
    if not groups:
        return None, None, None
    if len(groups) == 1:
        if _surname_like(groups[0]) and not _given_like(groups[0]):
            return None, None, groups[0]
        return groups[0], None, None
    if _surname_like(groups[0]) and _given_like(groups[-1]):
        return _split_surnames_first(groups)
    cut = min(head, len(groups))
    while cut < len(groups) - 1 and _particle_led(groups[cut]) and _given_like(groups[cut]):
        cut += 1
    given, rest = groups[:cut], groups[cut:]
    leading = 0
    while leading < len(rest) - 1 and (_given_like(rest[leading]) or _initial(rest[leading])):
        leading += 1
    if len(rest) >= 3:
        middle_count = 0 if _surname_like(rest[0]) else max(leading, len(rest) - 2)
    else:
        middle_count = leading
    middle_count = max(0, min(middle_count, len(rest) - tail))
    return _join(given), _join(rest[:middle_count]), _join(rest[middle_count:])


def _split_surnames_first(groups: list[str]) -> tuple[str | None, ...]:
    """LAST1 [LAST2] FIRST [MIDDLE] without a comma, as Latin American lists write a
    name (GARCIA LOPEZ JOSE LUIS): chosen when the first group is clearly a surname and
    the last clearly a given name. The surnames run to the first given-like group; the
    given name then takes DE JESUS style groups, as in the other order."""
    family = 1
    while family < len(groups) - 1 and not _given_like(groups[family]):
        family += 1
    cut = family + 1
    while cut < len(groups) and _particle_led(groups[cut]) and _given_like(groups[cut]):
        cut += 1
    return _join(groups[family:cut]), _join(groups[cut:]), _join(groups[:family])


def _split_full(text: str) -> tuple[str | None, ...]:
    """(given, middle, family) of one full-name text.

    Without a comma, a leading FNU / NFN says the rest is the family name ("FNU
    MOHAMMED ALI": one name, no given name) and a trailing LNU / NLN that the rest is
    the given and middle names ("JOSE LUIS LNU"); other placeholders just drop out.
    """
    text = _without_remarks(ascii_upper(text))  # a fullwidth or Arabic comma is a comma too
    if "," in text:
        family_part, _, given_part = text.partition(",")
        if not family_part.strip():
            # ", JUAN CARLOS LOPEZ": nothing before the comma, so the name is what
            # follows it, read as a given-name column holding it would be read (a
            # placeholder there, "LNU, JUAN CARLOS", still says there is no surname)
            split = _whole_in_given(given_part)
            return split if split != _NO_SPLIT else (*_given_and_middle(given_part), None)
        return _split_commaed(family_part, given_part)
    tokens = _tokens(text, keep_placeholders=True)
    if tokens and tokens[0] in NO_GIVEN_NAME:
        return None, None, _surname_text(" ".join(tokens[1:]))
    if tokens and tokens[-1] in NO_FAMILY_NAME:
        return (*_given_and_middle(" ".join(tokens[:-1])), None)
    kept = [t for t in tokens if t not in NAME_PLACEHOLDERS]
    words = text.split()
    head, tail = (_hyphenated(words[0]), _hyphenated(words[-1])) if words else (1, 1)
    return _split_unmarked(_groups(kept, conjunctions_after=2), head, tail)


_HYPHENATED: Final = re.compile(r"[A-Z]+(?:-[A-Z]+)+")


def _hyphenated(word: str) -> int:
    """How many name groups one word of an unmarked full name holds together: a hyphen
    joins a compound given name first (JEAN-PIERRE DORVIL) and a compound surname last
    (JEAN-ROBERT JEAN-BAPTISTE), which the clean text would otherwise split into a given
    name and a surname, or a middle name and a surname."""
    if _HYPHENATED.fullmatch(word) is None:
        return 1
    return len(_groups(_tokens(word), conjunctions_after=_NEVER))


def _whole_in_given(text: str) -> tuple[str | None, ...]:
    """(given, middle, family) of a given-name text that is plainly a whole name (see
    the module rules), else no name at all: the caller then keeps the text as given.
    A comma that does not split it ("Y LOPEZ ,", "Y , LOPEZ") marks nothing: the text
    is then read as unmarked, as the given name it would be kept as is read again."""
    text = ascii_upper(text).strip(" ,")
    if "," in text:
        split = _whole_split(text)
        if split != _NO_SPLIT:
            return split
        text = text.replace(",", " ")
    groups = _groups(_tokens(text), conjunctions_after=2)
    if len(groups) < 2:
        return _NO_SPLIT
    first, last = _surname_like(groups[0]), groups[-1]
    if not (_given_like(last) if first else _surname_like(last)):
        return _NO_SPLIT
    return _whole_split(text)


def _whole_in_family(text: str) -> tuple[str | None, ...]:
    """(given, middle, family) of a family-name text written "LAST, FIRST", else none."""
    return _whole_split(text) if "," in ascii_upper(text) else _NO_SPLIT


def _whole_split(text: str) -> tuple[str | None, ...]:
    """`_split_full`, kept only when it finds both a given (or middle) and a family
    name whose first part is no known surname (GARCIA LOPEZ is two surnames)."""
    given, middle, family = _split_full(text)
    first = given or middle
    if first is None or family is None or _surname_like(first.split(" ", 1)[0]):
        return _NO_SPLIT
    return given, middle, family


_NO_SPLIT: Final[tuple[str | None, ...]] = (None, None, None)


def _second_given(tokens: list[str]) -> str | None:
    """The next distinctive token after a compound head: no particle, no initial."""
    for token in tokens:
        if token not in PARTICLES and token not in CONJUNCTIONS and len(token) > 1:
            return formal_given_name(token).split(" ", 1)[0]
    return None


def _canonical(tokens: list[str]) -> tuple[str | None, bool]:
    """(canonical given name from these tokens alone, whether a second token may follow).

    The flag is True when the head is a compound head and the tokens hold no second
    distinctive token, so the middle name's first token completes it.
    """
    if not tokens:
        return None, False
    head = formal_given_name(tokens[0])
    if " " in head or head not in COMPOUND_HEADS:
        return head, False
    second = _second_given(tokens[1:])
    if second is None:
        return head, True
    return f"{head} {second}", False


# Everything one part of a name yields, computed once per distinct raw value.
# Phonetic keys are added later, once per distinct token (tokens repeat far more).
GivenFields = tuple[str | None, str | None, bool]
MiddleFields = tuple[str | None, str | None, str | None]
FamilyFields = tuple[str | None, str | None, str | None]
_NO_GIVEN: Final[GivenFields] = (None, None, False)
_NO_MIDDLE: Final[MiddleFields] = (None, None, None)
_NO_FAMILY: Final[FamilyFields] = (None, None, None)


def _given_fields(text: str | None) -> GivenFields:
    """(given name, canonical, whether a middle token may complete the canonical)."""
    if text is None:
        return _NO_GIVEN
    tokens = _tokens(text)
    canonical, open_head = _canonical(tokens)
    return _join(tokens), canonical, open_head


def _middle_fields(text: str | None) -> MiddleFields:
    """(middle name, token completing an open head, canonical when no given name)."""
    if text is None:
        return _NO_MIDDLE
    tokens = _tokens(text)
    return _join(tokens), _second_given(tokens), _canonical(tokens)[0]


def _family_fields(text: str | None) -> FamilyFields:
    """(family name 1, family name 2, family name)."""
    return _NO_FAMILY if text is None else _parse_family(text)


def _phonetic_tokens(text: str) -> str | None:
    cleaned = clean_text(text, keep_digits=False)
    if cleaned is None:
        return None
    return _join([k for k in (phonetic_code(t) for t in cleaned.split()) if k])


# --- public, vectorized ------------------------------------------------------------


def phonetic_key(values: pd.Series) -> pd.Series:
    """`phonetic_code` of each token of each value, space-joined; None when empty."""
    return pd.Series(map_unique(values, _phonetic_tokens), index=values.index, dtype=object)


def canonical_given_name(values: pd.Series) -> pd.Series:
    """Canonical form of given-name texts (PEPE -> JOSE, MA DEL CARMEN -> MARIA CARMEN)."""
    canonical = map_unique(values, lambda text: _canonical(_tokens(text))[0])
    return pd.Series(canonical, index=values.index, dtype=object)


def split_family_names(family: pd.Series) -> pd.DataFrame:
    """Family-name texts -> first surname and the other surname(s)."""
    first, second, _ = map_unique_columns(family, _parse_family, 3)
    return pd.DataFrame({C.FAMILY_NAME_1: first, C.FAMILY_NAME_2: second}, index=family.index)


def split_full_name(full: pd.Series) -> pd.DataFrame:
    """Full-name texts -> normalized given, middle and family (both surnames) texts."""
    given, middle, family = map_unique_columns(full, _split_full, 3)
    return pd.DataFrame(
        {SPLIT_GIVEN: given, SPLIT_MIDDLE: middle, SPLIT_FAMILY: family}, index=full.index
    )


class _Part:
    """One name part per row, stored as an id into one fields tuple per distinct value.

    Keeping ids instead of strings lets later steps work per distinct combination
    (given x middle, ... x family) with integer factorization, never per row in Python.
    """

    def __init__(self, ids: np.ndarray, rows: list[tuple[Any, ...]]) -> None:
        self.ids = ids  # intp, >= 0
        self.rows = rows  # rows[0] is the all-null tuple

    @classmethod
    def parse(
        cls, values: pd.Series | np.ndarray | None, func: Any, empty: tuple[Any, ...], n: int
    ) -> _Part:
        if values is None:
            return cls(np.zeros(n, dtype=np.intp), [empty])
        codes, uniques = factorize(values)
        rows = [empty, *(func(v if isinstance(v, str) else str(v)) for v in uniques)]
        return cls(codes + 1, rows)

    def replace(self, mask: np.ndarray, other: _Part) -> None:
        """Take `other` (parsed from the rows under `mask`) for those rows."""
        self.ids[mask] = other.ids + len(self.rows)
        self.rows.extend(other.rows)

    def table(self, field: int) -> np.ndarray:
        table = np.empty(len(self.rows), dtype=object)
        table[:] = [row[field] for row in self.rows]
        return table

    def column(self, field: int) -> np.ndarray:
        return self.table(field)[self.ids]

    def present(self, field: int) -> np.ndarray:
        """Boolean per row: the field is not null."""
        return np.array([row[field] is not None for row in self.rows], dtype=bool)[self.ids]


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
    rows = [_NO_FAMILY]
    for i, j in zip(ids_1, ids_2, strict=True):
        parts = [str(t) for t in (firsts[i], seconds[j]) if t is not None]
        rows.append(_family_fields(" ".join(parts)) if parts else _NO_FAMILY)
    return _Part(codes + 1, rows)


class _PhoneticMemo:
    """`phonetic_code` once per distinct token within one call (no global cache)."""

    def __init__(self) -> None:
        self._keys: dict[str, str | None] = {}

    def key(self, token: str) -> str | None:
        if token not in self._keys:
            self._keys[token] = phonetic_code(token) or None
        return self._keys[token]

    def of_tokens(self, names: np.ndarray, *, first: bool) -> np.ndarray:
        """Key of each name's first (given) or last (surname: DE LA CRUZ -> CRUZ) token."""
        codes, distinct = factorize(names)
        keys = np.empty(len(distinct) + 1, dtype=object)  # the last slot (null) stays None
        keys[:-1] = [
            self.key(name.split(" ", 1)[0] if first else name.rsplit(" ", 1)[-1])
            for name in distinct
        ]
        return keys[codes]


def _take_split(
    g: _Part,
    m: _Part,
    f: _Part,
    texts: pd.Series,
    rows: np.ndarray,
    split: Callable[[str], tuple[str | None, ...]],
) -> None:
    """The given, middle and family names that `split` finds in `texts`, for the
    `rows` (a mask) where it finds a name; the other rows keep what they had."""
    if not rows.any():
        return
    parsed = _Part.parse(np.asarray(texts, dtype=object)[rows], split, _NO_SPLIT, 0)
    found = parsed.present(2) | parsed.present(0)
    if not found.any():
        return
    use = rows.copy()
    use[rows] = found
    ids = parsed.ids[found]
    for part, func, empty, k in (
        (g, _given_fields, _NO_GIVEN, 0),
        (m, _middle_fields, _NO_MIDDLE, 1),
        (f, _family_fields, _NO_FAMILY, 2),
    ):
        # one row per distinct text (not per distinct whole name), so that the steps
        # after work per distinct given name, surname...
        codes, distinct = factorize(np.array([r[k] for r in parsed.rows], dtype=object))
        fields = [empty, *(func(text) for text in distinct)]
        part.replace(use, _Part((codes + 1)[ids], fields))


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
    g = _Part.parse(given, _given_fields, _NO_GIVEN, n)
    m = _Part.parse(middle, _middle_fields, _NO_MIDDLE, n)
    f = _Part.parse(family, _family_fields, _NO_FAMILY, n)
    if family_1 is not None or family_2 is not None:
        from_columns = _family_from_columns(family_1, family_2, n)
        use = from_columns.present(2)
        f.replace(use, _Part(from_columns.ids[use], from_columns.rows))
    # A whole name in the given or family column (plainly one: module rules).
    if given is not None:
        _take_split(g, m, f, given, g.present(0) & ~m.present(0) & ~f.present(2), _whole_in_given)
    if family is not None:
        _take_split(g, m, f, family, f.present(2) & ~g.present(0) & ~m.present(0), _whole_in_family)
    if full is not None:
        _take_split(g, m, f, full, ~g.present(0) & ~m.present(0) & ~f.present(2), _split_full)

    # canonical given name, once per distinct (given, middle) pair
    gm_codes, gm_g, gm_m = _pairs(g.ids, m.ids, len(m.rows))
    canonical = np.empty(len(gm_g), dtype=object)
    for k, (i, j) in enumerate(zip(gm_g, gm_m, strict=True)):
        text, head, open_head = g.rows[i]
        if text is None:
            head = m.rows[j][2]
        elif open_head and m.rows[j][1] is not None:
            head = f"{head} {m.rows[j][1]}"
        canonical[k] = head

    # full name, once per distinct (given, middle, family) triple
    full_codes, full_gm, full_f = _pairs(gm_codes, f.ids, len(f.rows))
    full_name = np.empty(len(full_gm), dtype=object)
    givens, middles, families = g.table(0)[gm_g], m.table(0)[gm_m], f.table(2)
    for k, (pair, f_id) in enumerate(zip(full_gm.tolist(), full_f.tolist(), strict=True)):
        parts = (givens[pair], middles[pair], families[f_id])  # text or None, never ""
        full_name[k] = " ".join(filter(None, parts)) or None

    keys = _PhoneticMemo()
    return pd.DataFrame(
        {
            C.GIVEN_NAME: g.column(0),
            C.MIDDLE_NAME: m.column(0),
            C.FAMILY_NAME: f.column(2),
            C.FAMILY_NAME_1: f.column(0),
            C.FAMILY_NAME_2: f.column(1),
            C.GIVEN_NAME_CANONICAL: canonical[gm_codes],
            C.FULL_NAME: full_name[full_codes],
            C.GIVEN_PHONETIC: keys.of_tokens(canonical, first=True)[gm_codes],
            C.FAMILY_1_PHONETIC: keys.of_tokens(f.table(0), first=False)[f.ids],
            C.FAMILY_2_PHONETIC: keys.of_tokens(f.table(1), first=False)[f.ids],
        },
        index=index,
    )
