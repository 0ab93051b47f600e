"""The name rules applied to one value: the vocabulary and the parsers of one given,
middle, family or full-name text.

These are the specification of `names` (its docstring states the rules): every bulk
path (`name_bulk`) must give exactly what these give for each value, and falls back to
them for any value it cannot show to be plain.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Final

from linker.standardize.nicknames import (
    COMMON_GIVEN_NAMES,
    COMMON_SURNAMES,
    COMPOUND_HEADS,
    formal_given_name,
)
from linker.standardize.text import ascii_upper, clean_text, phonetic_code

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


def may_hold_remark(text: str) -> bool:
    """Whether `_without_remarks` would look for a remark in this text at all."""
    return _MAYBE_REMARK.search(text) is not None


def _without_remarks(text: str) -> str:
    """The name without remarks in brackets or quotes, and without an alias after AKA
    (the alias is another name, not more of this one)."""
    if not may_hold_remark(text):
        return text
    return _ALIAS.sub(" ", _REMARK.sub(" ", text)).strip()


def name_tokens(text: str, *, keep_placeholders: bool = False) -> list[str]:
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


def parse_family(text: str) -> tuple[str | None, str | None, str | None]:
    """(family_name_1, family_name_2, family_name) of one family-name text."""
    groups = _groups(name_tokens(text), conjunctions_after=1)
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
    return _join(_groups(name_tokens(family_part), conjunctions_after=1))


@lru_cache(maxsize=_PART_CACHE)
def _given_and_middle(given_part: str) -> tuple[str | None, str | None]:
    firsts = _groups(name_tokens(given_part), conjunctions_after=_NEVER)
    cut = 1
    while cut < len(firsts) and _particle_led(firsts[cut]):
        cut += 1
    return _join(firsts[:cut]), _join(firsts[cut:])


def split_unmarked(groups: list[str], head: int = 1, tail: int = 1) -> tuple[str | None, ...]:
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


def split_full(text: str) -> tuple[str | None, ...]:
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
            split = whole_in_given(given_part)
            return split if split != NO_SPLIT else (*_given_and_middle(given_part), None)
        return _split_commaed(family_part, given_part)
    tokens = name_tokens(text, keep_placeholders=True)
    if tokens and tokens[0] in NO_GIVEN_NAME:
        return None, None, _surname_text(" ".join(tokens[1:]))
    if tokens and tokens[-1] in NO_FAMILY_NAME:
        return (*_given_and_middle(" ".join(tokens[:-1])), None)
    kept = [t for t in tokens if t not in NAME_PLACEHOLDERS]
    words = text.split()
    head, tail = (_hyphenated(words[0]), _hyphenated(words[-1])) if words else (1, 1)
    return split_unmarked(_groups(kept, conjunctions_after=2), head, tail)


_HYPHENATED: Final = re.compile(r"[A-Z]+(?:-[A-Z]+)+")


def _hyphenated(word: str) -> int:
    """How many name groups one word of an unmarked full name holds together: a hyphen
    joins a compound given name first (JEAN-PIERRE DORVIL) and a compound surname last
    (JEAN-ROBERT JEAN-BAPTISTE), which the clean text would otherwise split into a given
    name and a surname, or a middle name and a surname."""
    if _HYPHENATED.fullmatch(word) is None:
        return 1
    return len(_groups(name_tokens(word), conjunctions_after=_NEVER))


def whole_in_given(text: str) -> tuple[str | None, ...]:
    """(given, middle, family) of a given-name text that is plainly a whole name (see
    the module rules), else no name at all: the caller then keeps the text as given.
    A comma that does not split it ("Y LOPEZ ,", "Y , LOPEZ") marks nothing: the text
    is then read as unmarked, as the given name it would be kept as is read again."""
    text = ascii_upper(text).strip(" ,")
    if "," in text:
        split = _whole_split(text)
        if split != NO_SPLIT:
            return split
        text = text.replace(",", " ")
    groups = _groups(name_tokens(text), conjunctions_after=2)
    if len(groups) < 2:
        return NO_SPLIT
    first, last = _surname_like(groups[0]), groups[-1]
    if not (_given_like(last) if first else _surname_like(last)):
        return NO_SPLIT
    return _whole_split(text)


def whole_in_family(text: str) -> tuple[str | None, ...]:
    """(given, middle, family) of a family-name text written "LAST, FIRST", else none."""
    return _whole_split(text) if "," in ascii_upper(text) else NO_SPLIT


def _whole_split(text: str) -> tuple[str | None, ...]:
    """`split_full`, kept only when it finds both a given (or middle) and a family
    name whose first part is no known surname (GARCIA LOPEZ is two surnames)."""
    given, middle, family = split_full(text)
    first = given or middle
    if first is None or family is None or _surname_like(first.split(" ", 1)[0]):
        return NO_SPLIT
    return given, middle, family


NO_SPLIT: Final[tuple[str | None, ...]] = (None, None, None)


def second_given(tokens: list[str]) -> str | None:
    """The next distinctive token after a compound head: no particle, no initial."""
    for token in tokens:
        if token not in PARTICLES and token not in CONJUNCTIONS and len(token) > 1:
            return formal_given_name(token).split(" ", 1)[0]
    return None


def given_canonical(tokens: list[str]) -> tuple[str | None, bool]:
    """(canonical given name from these tokens alone, whether a second token may follow).

    The flag is True when the head is a compound head and the tokens hold no second
    distinctive token, so the middle name's first token completes it.
    """
    if not tokens:
        return None, False
    head = formal_given_name(tokens[0])
    if " " in head or head not in COMPOUND_HEADS:
        return head, False
    second = second_given(tokens[1:])
    if second is None:
        return head, True
    return f"{head} {second}", False


# Everything one part of a name yields, computed once per distinct raw value.
# Phonetic keys are added later, once per distinct token (tokens repeat far more).
GivenFields = tuple[str | None, str | None, bool]
MiddleFields = tuple[str | None, str | None, str | None]
FamilyFields = tuple[str | None, str | None, str | None]
NO_GIVEN: Final[GivenFields] = (None, None, False)
NO_MIDDLE: Final[MiddleFields] = (None, None, None)
NO_FAMILY: Final[FamilyFields] = (None, None, None)


def given_fields(text: str | None) -> GivenFields:
    """(given name, canonical, whether a middle token may complete the canonical)."""
    if text is None:
        return NO_GIVEN
    tokens = name_tokens(text)
    canonical, open_head = given_canonical(tokens)
    return _join(tokens), canonical, open_head


def middle_fields(text: str | None) -> MiddleFields:
    """(middle name, token completing an open head, canonical when no given name)."""
    if text is None:
        return NO_MIDDLE
    tokens = name_tokens(text)
    return _join(tokens), second_given(tokens), given_canonical(tokens)[0]


def family_fields(text: str | None) -> FamilyFields:
    """(family name 1, family name 2, family name)."""
    return NO_FAMILY if text is None else parse_family(text)


def phonetic_tokens(text: str) -> str | None:
    cleaned = clean_text(text, keep_digits=False)
    if cleaned is None:
        return None
    return _join([k for k in (phonetic_code(t) for t in cleaned.split()) if k])
