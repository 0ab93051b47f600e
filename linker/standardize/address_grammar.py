"""One cleaned address line read into labelled parts, then assembled in normal form.

`usaddress` is a CRF that reads only 4,000-10,000 lines a second on one core. The
common well-formed shapes ("123 N MAIN ST APT 4[, HOUSTON, TX 77001]", "PO BOX
12[, LAREDO, TX]", "12345 FM 1472[, LAREDO, TX]", the state also written out after a
comma: ", HOUSTON, TEXAS", or missing: ", HOUSTON[ 77002]") are first read by a strict
token grammar (40,000-90,000 lines a second) that declines anything it could misread;
only the rest goes to the CRF. The two agree on such lines (tests check it; where they
differed on generated addresses it was the CRF misreading, e.g. "EL" of "EL PASO" as a
directional, "NORTH CAROLINA" as part of the city, "FM 1472 # 12" as the street), and
`_repair` and `_collect` undo the CRF's usual misreadings of the lines it does get
("APT 5, BRONX" read as unit "5BRONX"). Both readings come to usaddress's labels,
and one `_build` turns labels into `Parts`; the fast grammar's `_FastReading` assembles
its few labels itself the same way (a test holds the two equal), as building label
dictionaries for it cost a quarter of its time.

A line that is not one U.S. street address (no street, a foreign country or state, an
intersection, a part that exists once appearing twice) comes back as "text": a wrong
parse would invent a key that blocks strangers together, while a missing key only costs
a pair. This module reads one line at a time; deduplication and worker processes are
`addresses`' business, and `address_vector` reads the common lines many at once with
this module's own pieces: the fast grammar's positions (`_fast_shape`, which looks at
a token only through `token_tests`), the place (`_place_fields`), the normal forms.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Final, Literal, NamedTuple

import usaddress

from linker.standardize.address_vocab import (
    BOX_TYPES,
    COUNTRIES,
    DIRECTIONS,
    FAST_SUFFIXES,
    FAST_UNITS,
    ORDINAL_WORDS,
    RESERVED,
    STATE_CODES,
    STATES,
    SUFFIXES,
    UNITS,
    US_NAMES,
    alnum,
    city_name,
    direction_code,
    plain_text,
    state_code,
    street_type_code,
    unit_code,
    zip5,
)


class Parts(NamedTuple):
    """One parsed line. `head` is its one-line street part (the whole text if "text")."""

    kind: Literal["us", "text"]
    head: str | None
    number: str | None = None
    street: str | None = None
    unit: str | None = None
    city: str | None = None
    state: str | None = None
    zip: str | None = None


NO_PARTS = Parts("text", None)

# Lines are nearly all distinct, their pieces are not: a street name, a unit, a city
# with its state and ZIP recur across thousands of lines. The pure functions of such
# pieces remember their results (per process, bounded); each returns immutable values.
_PIECE_CACHE: Final = 1 << 15
_city_name = lru_cache(maxsize=_PIECE_CACHE)(city_name)
_zip5 = lru_cache(maxsize=_PIECE_CACHE)(zip5)
_unit_code = lru_cache(maxsize=_PIECE_CACHE)(unit_code)

# --- one line ---------------------------------------------------------------------------


def parse_line(text: str, *, fast_path: bool = True) -> Parts:
    """Parts of one line already through `clean_text`.

    `fast_path=False` forces the CRF, for tests that check both readings agree.
    """
    cheap = parse_cheap(text, fast_path=fast_path)
    return cheap if cheap is not None else read_crf(text)


def read_crf(text: str) -> Parts:
    """The CRF's reading of one line (the work `addresses` spreads over processes)."""
    text = floors_designated(text)
    return _assemble(_crf_pairs(text), text)


def parse_cheap(text: str, *, fast_path: bool = True) -> Parts | None:
    """A result without the CRF: foreign text, or the fast grammar; None if neither."""
    text = floors_designated(text)
    if _is_foreign(text):
        return Parts("text", plain_text(text))
    if not fast_path:
        return None
    reading = _fast_reading(text)
    if reading is not None:
        return reading.parts(text)
    return _fast_box(text) or _fast_route(text)


# "2ND FLOOR", "THIRD FLR", "2DO PISO": a floor written identifier first. Both readers
# expect the designator first (the CRF took "APT 4, 2ND FLOOR" for the one unit
# "APT 42ND" and a unit "FL"), so the floor is turned round to "FL 2" before either reads.
# A bare "FL" is also Florida: "1200 SW 8TH FL 33130" is a numbered street and the state,
# so "FL" counts as a floor only when neither a ZIP nor the end of the line follows it.
_ORDINAL_FLOOR: Final = re.compile(
    r"\b(?:([0-9]+)(?:ST|ND|RD|TH|ER|DO|RO|TO|VO|MO|NO)|({}))[ ]"
    r"(?:FLOOR|FLR|PISO|FL(?![ ,]*(?:[0-9]{{5}}(?:-[0-9]{{4}})?)?$))\b".format(
        "|".join(ORDINAL_WORDS)
    )
)


def floors_designated(text: str) -> str:
    """The line with each ordinal floor written designator first ("2ND FLOOR" -> "FL 2");
    unchanged without one. Idempotent, so either reader may apply it."""
    if "FL" not in text and "PISO" not in text:  # nearly every line: no regex run
        return text
    return _ORDINAL_FLOOR.sub(_designated_floor, text)


def _designated_floor(match: re.Match[str]) -> str:
    number = match[1] if match[1] is not None else ORDINAL_WORDS[match[2]][:-2]
    return f"FL {number.lstrip('0') or '0'}"


def _is_foreign(text: str) -> bool:
    """True when the line ends with a country other than the U.S. (postal code aside).

    The last one to four words, joined, are looked up as a state, a U.S. name or a
    country, longest first. Only joins that end some key of those tables can be one,
    and a join that is no such ending cannot become one by taking more words, so the
    joins are built from the last word back and stop at the first that ends no key.
    """
    words = text.replace(",", " ").split()
    while words and words[-1].isdigit():
        words.pop()
    joins = []
    joined = ""
    for word in reversed(words[-4:]):
        joined = word + joined
        if joined not in _KEY_ENDINGS:
            break
        joins.append(joined)
    for key in reversed(joins):
        if key in STATES or key in US_NAMES:
            return False
        if key in COUNTRIES:
            return True
    return False


_KEY_ENDINGS: Final = frozenset(
    key[i:] for table in (STATES, US_NAMES, COUNTRIES) for key in table for i in range(len(key))
)


_NUMBER = re.compile(r"\d{1,6}")
_NOT_CITY = frozenset({"AND", "AT"})  # "MAIN ST AND ELM CT" is an intersection
_ORDINAL = re.compile(r"\d{1,4}(?:ST|ND|RD|TH)")
_UNIT_ID = re.compile(r"\d{1,5}[A-Z]?|[A-Z]\d{0,4}")
_ZIP_TOKEN = re.compile(r"\d{5}(?:-\d{4})?")


def _is_name(token: str) -> bool:
    return (token.isalpha() and token not in RESERVED) or bool(_ORDINAL.fullmatch(token))


def _is_street_word(token: str) -> bool:
    return _is_name(token) or token in FAST_SUFFIXES


class _WordTest(dict[str, bool]):
    """`test(token)` remembered per token (forgotten all at once past a bound)."""

    def __init__(self, test: Callable[[str], bool]) -> None:
        super().__init__()
        self._test = test

    def __missing__(self, token: str) -> bool:
        if len(self) >= _PIECE_CACHE:
            self.clear()
        self[token] = result = self._test(token)
        return result


_NAME_WORD = _WordTest(_is_name)
_STREET_WORD = _WordTest(_is_street_word)


class _FastReading(NamedTuple):
    """What the fast grammar read: a subset of usaddress's labels, one unit at most."""

    number: str | None  # AddressNumber
    pre_direction: str | None  # StreetNamePreDirectional
    name: str  # StreetName
    post_type: str  # StreetNamePostType
    post_direction: str | None  # StreetNamePostDirectional
    unit: tuple[str, str] | None  # [designator, identifier], as `_collect` gives units
    place: tuple[tuple[str, str], ...]  # PlaceName, StateName, ZipCode when read

    def labels(self) -> tuple[dict[str, str], list[list[str]]]:
        """The reading as `_build` takes it."""
        labelled = {
            "AddressNumber": self.number,
            "StreetNamePreDirectional": self.pre_direction,
            "StreetName": self.name,
            "StreetNamePostType": self.post_type,
            "StreetNamePostDirectional": self.post_direction,
        }
        fields = {label: value for label, value in labelled.items() if value is not None}
        fields.update(self.place)
        return fields, [list(self.unit)] if self.unit else []

    def parts(self, text: str) -> Parts:
        """`_build(*self.labels(), text)`, without the dictionaries: the name is never
        empty, the number is digits, and there is no box, pre-type or modifier."""
        street = _street_words(
            None, self.pre_direction, None, self.name, self.post_type, self.post_direction, None
        )
        number = self.number
        if number:
            number = number.lstrip("0") or "0"
            head = f"{number} {street}" if street else number
        elif alnum(self.post_type) in SUFFIXES or _EMPTY_IS_TYPE:
            head = street or ""
        else:
            return Parts("text", plain_text(text))
        unit = _unit_code(*self.unit) if self.unit else None
        if unit:
            head = f"{head} {unit}"
        if not self.place:
            return Parts("us", head, number, street, unit)
        return Parts("us", head, number, street, unit, *_place_parts(self.place))


def _fast_reading(text: str) -> _FastReading | None:
    """Labelled parts of "[number] [dir] <name> <type> [dir] [unit][, city, ST [ZIP]]",
    or None for anything else (then the CRF reads it): `_fast_shape`'s positions, the
    place read by `_place_fields`."""
    toks = text.replace(",", " , ").split()
    shape = _fast_shape(toks)
    if shape is None:
        return None
    place: tuple[tuple[str, str], ...] = ()
    if shape.place < len(toks):
        found = _place_fields(tuple(toks[shape.place :]), shape.after_comma)
        if found is None:
            return None
        place = found
    unit = None
    if shape.identifier >= 0:
        designator = toks[shape.designator] if shape.designator >= 0 else ""
        unit = (designator, toks[shape.identifier].removeprefix("#"))
    return _FastReading(
        toks[0] if shape.number else None,
        toks[shape.pre_direction] if shape.pre_direction >= 0 else None,
        " ".join(toks[shape.name : shape.post_type]),
        toks[shape.post_type],
        toks[shape.post_direction] if shape.post_direction >= 0 else None,
        unit,
        place,
    )


class _Shape(NamedTuple):
    """Where the fast grammar found each part among a line's tokens (-1: absent)."""

    number: bool  # token 0 is the house number
    pre_direction: int
    name: int  # the name's first token; it runs up to the street type
    post_type: int
    post_direction: int
    designator: int  # "APT", "SUITE"...; absent in "#4" and "# 4"
    identifier: int  # the unit's identifier (maybe with its "#"); -1: no unit
    place: int  # the place's first token; the token count when there is none
    after_comma: bool  # a comma before the place


def _fast_shape(toks: Sequence[str]) -> _Shape | None:
    """The fast grammar proper: where number, direction, name, type, direction, unit
    and place sit, or None when the line is not that shape.

    Strict on purpose: the type must be one of the unambiguous common ones; a word of
    the name may be such a type only where the street visibly ends after the last one
    ("CORAL WAY ST, ..."); no word may be a directional or a unit designator. So the
    shape has exactly one reading. It looks at tokens only through the tests
    `token_tests` names, so lines whose tokens pass the same tests have one shape
    (`address_vector` reads lines by that).
    """
    n = len(toks)
    i = 0
    number = bool(n and _NUMBER.fullmatch(toks[0]))
    i += number
    if n < i + 2:
        return None
    pre_direction = -1
    if toks[i] in DIRECTIONS and i + 1 < n and _NAME_WORD[toks[i + 1]]:
        pre_direction = i
        i += 1
    j = i  # the run of words that may belong to the street name and type
    while j < n and _STREET_WORD[toks[j]]:
        j += 1
    types = [k for k in range(i, j) if toks[k] in FAST_SUFFIXES]
    if not types:
        return None
    t = types[-1]
    if len(types) > 1 and (
        t != j - 1 or (not _ends_street(toks[j]) if j < n else toks[t] in STATE_CODES)
    ):  # "CORAL WAY ST" is a name and a type only where the street visibly ends;
        t = types[0]  # else the first type ends it ("LAKE ST HARTFORD CT"), if the
        # city that follows has no type word (checked by `_place_fields`)
    if not 1 <= t - i <= 4:
        return None
    name = i
    i = t + 1
    post_direction = -1
    if i < n and toks[i] in DIRECTIONS:
        post_direction = i
        i += 1
    i += i < n and toks[i] == ","
    span = _unit_span(toks, i)
    if span is None:
        return None
    designator, identifier, i = span
    after_comma = i < n and toks[i - 1] == ","
    if i < n and post_direction >= 0 and not after_comma and identifier < 0:
        return None  # "MAIN ST W PALM BEACH": direction or city? (a unit between tells)
    return _Shape(
        number, pre_direction, name, t, post_direction, designator, identifier, i, after_comma
    )


# Each test `_fast_shape` (with `_unit_span` and `_ends_street`) makes of one token, as
# a bit of `token_tests`. Adding a test there means adding its bit here.
_TOKEN_TESTS: Final = (
    lambda t: bool(_NUMBER.fullmatch(t)),
    lambda t: t in DIRECTIONS,
    _is_name,
    lambda t: t in FAST_SUFFIXES,
    lambda t: t in STATE_CODES,
    lambda t: t in FAST_UNITS,
    lambda t: t.startswith("#"),
    lambda t: t == "#",
    lambda t: t == ",",
    lambda t: bool(_UNIT_ID.fullmatch(t.removeprefix("#"))),
)


def token_tests(token: str) -> int:
    """The outcomes of every test the fast grammar makes of a token, one bit each: two
    token lists whose tokens agree here, position by position, get one `_fast_shape`."""
    return sum(1 << bit for bit, test in enumerate(_TOKEN_TESTS) if test(token))


TOKEN_TEST_BITS: Final = len(_TOKEN_TESTS)


def _unit_at(toks: list[str], i: int) -> tuple[tuple[str, str] | None, int] | None:
    """The unit starting at token `i` ("APT 4", "# 4", "#4", "STE 200") as [designator,
    identifier], or no unit, and the index after it (and a comma); None for a unit word
    without a plain identifier."""
    span = _unit_span(toks, i)
    if span is None:
        return None
    designator, identifier, i = span
    if identifier < 0:
        return None, i
    return (toks[designator] if designator >= 0 else "", toks[identifier].removeprefix("#")), i


def _unit_span(toks: Sequence[str], i: int) -> tuple[int, int, int] | None:
    """`_unit_at` as positions: the designator's and the identifier's (-1 when absent)
    and the index after the unit (and a comma)."""
    n = len(toks)
    if i >= n or not (toks[i] in FAST_UNITS or toks[i].startswith("#")):
        return -1, -1, i
    designator = -1
    if toks[i] in FAST_UNITS:
        designator, i = i, i + 1
    i += i < n and toks[i] == "#"
    if i >= n or not _UNIT_ID.fullmatch(toks[i].removeprefix("#")):
        return None
    identifier = i
    i += 1
    i += i < n and toks[i] == ","
    return designator, identifier, i


# Box types the CRF reads the same way in every place it was tried (a test holds the two
# readings equal): "BOX 5, ST LOUIS" and "POB 5" it reads as text, "P O B 5" as a street.
_FAST_BOX_TYPES: Final = frozenset({"POBOX", "POSTOFFICEBOX"})
_BOX_ID = re.compile(r"\d{1,6}")


def _fast_box(text: str) -> Parts | None:
    """A post office box: "PO BOX <digits>[, city, ST [ZIP]]" (P O BOX, POST OFFICE BOX),
    the place read as the fast street grammar reads it; None for any other shape."""
    toks = text.replace(",", " , ").split()
    for size in (3, 2):  # POST OFFICE BOX / P O BOX, then PO BOX
        kind = " ".join(toks[:size])
        if alnum(kind) in _FAST_BOX_TYPES and len(toks) > size and _BOX_ID.fullmatch(toks[size]):
            break
    else:
        return None
    box, rest = toks[size], toks[size + 1 :]
    after_comma = bool(rest) and rest[0] == ","
    place: tuple[tuple[str, str], ...] = ()
    if rest:
        found = _place_fields(tuple(rest[after_comma:]), after_comma)
        if found is None:
            return None
        place = found
    street = _box({"USPSBoxType": kind})
    return Parts("us", f"{street} {box}", box, street, None, *_place_parts(place))


# Numbered roads, as the CRF labels them when it reads them right: these words a
# StreetNamePreType, the route's number the StreetName (a test holds the grammar to the
# CRF's reading, or shows the CRF's wrong). Longest first. ("INTERSTATE 35" it reads
# as a name, "FARM TO MARKET ROAD 1472" as a street with a unit: both stay with it.)
_ROUTE_TYPES: Final = tuple(
    tuple(t.split())
    for t in (
        "US HIGHWAY|US HWY|STATE HIGHWAY|STATE HWY|COUNTY ROAD|COUNTY RD|RANCH ROAD|"
        "STATE ROAD|HIGHWAY|HWY|FM|CR|SH|LOOP|ROUTE"
    ).split("|")
)
_ROUTE_NUMBER = re.compile(r"\d{1,4}")


def _fast_route(text: str) -> Parts | None:
    """A house on a numbered road: "<number> [dir] <road type> <route number> [dir]
    [unit][, city, ST [ZIP]]" ("12345 FM 1472, LAREDO, TX 78045", "210 HWY 83 APT 4"),
    common in the border counties; None for any other shape."""
    toks = text.replace(",", " , ").split()
    if len(toks) < 3 or not _NUMBER.fullmatch(toks[0]):
        return None
    number, i = toks[0], 1
    pre_direction = None
    if toks[i] in DIRECTIONS:
        pre_direction, i = toks[i], i + 1
    for road in _ROUTE_TYPES:
        if tuple(toks[i : i + len(road)]) == road:
            break
    else:
        return None
    i += len(road)
    if i >= len(toks) or not _ROUTE_NUMBER.fullmatch(toks[i]):
        return None
    route, i = toks[i], i + 1
    post_direction = None
    if i < len(toks) and toks[i] in DIRECTIONS:
        post_direction, i = toks[i], i + 1
    i += i < len(toks) and toks[i] == ","
    read = _unit_at(toks, i)
    if read is None:
        return None
    designated, i = read
    unit = _unit_code(*designated) if designated else None
    place: tuple[tuple[str, str], ...] = ()
    if i < len(toks):
        if toks[i - 1] != ",":  # "HWY 83 W LAREDO TX": no comma, no telling where it ends
            return None
        found = _place_fields(tuple(toks[i:]), True)
        if found is None:
            return None
        place = found
    street = _street_words(None, pre_direction, " ".join(road), route, None, post_direction, None)
    number = number.lstrip("0") or "0"
    head = f"{number} {street} {unit}" if unit else f"{number} {street}"
    return Parts("us", head, number, street, unit, *_place_parts(place))


def _place_parts(place: tuple[tuple[str, str], ...]) -> tuple[str | None, ...]:
    """City, state and ZIP5 in normal form from the fast grammar's place labels."""
    fields = dict(place)
    city, zip_code = fields.get("PlaceName"), fields.get("ZipCode")
    return (
        _city_name(city) if city else None,
        fields.get("StateName"),
        _zip5(zip_code) if zip_code is not None else None,
    )


# `_has_type` of fields without a pre-type looks up an empty key too.
_EMPTY_IS_TYPE: Final = alnum("") in SUFFIXES


def _ends_street(token: str) -> bool:
    return token == "," or token in FAST_UNITS or token[0] == "#" or token in DIRECTIONS


@lru_cache(maxsize=_PIECE_CACHE)
def _place_fields(toks: tuple[str, ...], after_comma: bool) -> tuple[tuple[str, str], ...] | None:
    """City words, a state (its USPS code, or its name after a comma) and an optional
    ZIP, commas optional: the labels PlaceName, StateName (as the code) and ZipCode of
    the words after the street, or None.

    Without a comma after the street, a street type among the city words means the
    street may go on ("CORAL WAY BLVD OMAHA"): declined. "ST LOUIS" needs the comma.
    """
    zip_code = toks[-1] if _ZIP_TOKEN.fullmatch(toks[-1]) else None
    rest = toks[:-1] if zip_code else toks
    if rest and rest[-1] == ",":
        rest = rest[:-1]
    if after_comma and _city_alone(rest):  # "123 MAIN ST, HOUSTON[ 77002]": no state
        city_only = (("PlaceName", " ".join(rest)),)
        return (*city_only, ("ZipCode", zip_code)) if zip_code else city_only
    if len(rest) < 2:
        return None
    if rest[-1] in STATE_CODES:
        state, city = rest[-1], rest[:-1]
        if city and city[-1] == ",":
            city = city[:-1]
    else:  # a state's name, after a comma: "HOUSTON, TEXAS", "SANTA FE, NEW MEXICO"
        found = _state_name(rest)
        if found is None:
            return None
        state, city = found
    if not 1 <= len(city) <= 4 or not all(w.isalpha() and w not in _NOT_CITY for w in city):
        return None
    if not after_comma and any(w in FAST_SUFFIXES for w in city):
        return None
    place = (("PlaceName", " ".join(city)), ("StateName", state))
    return (*place, ("ZipCode", zip_code)) if zip_code else place


def _city_alone(toks: tuple[str, ...]) -> bool:
    """True for one to three plain words that can only be a city: no address word
    (direction, unit, street type, "COLONIA"), no state code, and no state, U.S. or
    country name at the end ("NEW YORK" could be the state; "GUATEMALA" abroad).

    The CRF reads such a place inconsistently: "SAINT PAUL" as the city, "SAINT PAUL
    77002" or "SANTA ANA" as no address at all."""
    if not 1 <= len(toks) <= 3 or not all(w.isalpha() and w not in RESERVED for w in toks):
        return False
    if any(w in STATE_CODES for w in toks):
        return False
    ends = ("".join(toks[k:]) for k in range(len(toks)))
    return not any(e in STATES or e in US_NAMES or e in COUNTRIES for e in ends)


def _state_name(toks: tuple[str, ...]) -> tuple[str, tuple[str, ...]] | None:
    """The USPS code of the state named by the words after the last comma, and the
    words before it; None without such a comma or name. A name needs the comma: in
    "SANTA FE NEW MEXICO" only the table of states could tell where the city ends."""
    if "," not in toks:
        return None
    k = len(toks) - 1 - toks[::-1].index(",")
    name = toks[k + 1 :]
    if not 1 <= len(name) <= _LONGEST_STATE_NAME or not all(w.isalpha() for w in name):
        return None
    code = STATES.get("".join(name))
    return None if code is None else (code, toks[:k])


_LONGEST_STATE_NAME: Final = 4  # "WASHINGTON DISTRITO DE COLUMBIA"


def _crf_pairs(text: str) -> list[tuple[str, str]]:
    """usaddress labels in address order; repeated labels kept as separate runs."""
    try:
        tagged, _ = usaddress.tag(text)
        return list(tagged.items())
    except usaddress.RepeatedLabelError as error:
        # The exception carries the token-level parse (what usaddress.parse returns).
        runs: list[tuple[str, str]] = []
        for token, label in error.parsed_string:
            if runs and runs[-1][0] == label:
                runs[-1] = (label, f"{runs[-1][1]} {token}")
            else:
                runs.append((label, token))
        return runs


_UNIT_LABELS = frozenset(
    {"OccupancyType", "OccupancyIdentifier", "SubaddressType", "SubaddressIdentifier"}
)
_SINGLE_LABELS = frozenset(
    {
        "AddressNumber",
        "StreetName",
        "PlaceName",
        "StateName",
        "ZipCode",
        "USPSBoxID",
        "StreetNamePostType",
        "StreetNamePreType",
    }
)


def _assemble(pairs: list[tuple[str, str]], text: str) -> Parts:
    """Normalized parts from usaddress labels, or the text alone if not a U.S. address."""
    collected = _collect(pairs)
    if collected is None or not _us_place(collected[0]):
        return Parts("text", plain_text(text))
    fields, units = collected
    _repair(fields, units, ends_with_unit=bool(pairs) and pairs[-1][0] in _UNIT_LABELS)
    return _build(fields, units, text)


def _build(fields: dict[str, str], units: list[list[str]], text: str) -> Parts:
    """Parts in normal form from labelled text (StateName already a USPS code)."""
    street = _street(fields)
    number = _number(fields)
    unit = " ".join(u for u in (_unit_code(d, i) for d, i in units) if u) or None
    box = fields.get("USPSBoxID")
    if box and not fields.get("StreetName"):
        number, street = box, _box(fields)
        head = f"{street} {number}"
    elif fields.get("StreetName") and (number or _has_type(fields)):
        head = " ".join(p for p in (number, street) if p)
    else:
        return Parts("text", plain_text(text))
    city = fields.get("PlaceName")
    return Parts(
        "us",
        f"{head} {unit}" if unit else head,
        number,
        street,
        unit,
        _city_name(city) if city else None,
        fields.get("StateName"),
        _zip5(fields["ZipCode"]) if "ZipCode" in fields else None,
    )


def _collect(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[list[str]]] | None:
    """Labels -> {label: text} and the units in order as [designator, identifier]
    ("" when absent); None when a part that exists once (number, street, city...)
    appears twice or the line is an intersection: not one U.S. address."""
    fields: dict[str, str] = {}
    units: list[list[str]] = []
    place_after_unit = None
    for position, (label, raw) in enumerate(pairs):
        last = position == len(pairs) - 1
        value = " ".join(raw.replace(",", " ").split())
        if not value:
            continue
        if label in _UNIT_LABELS:
            is_type = label.endswith("Type")
            after = None
            if not is_type and last and "," in raw:
                raw, after = _split_after_comma(raw)
                value = " ".join(raw.split())
            if is_type or not units or units[-1][1]:
                units.append(["", ""])
            units[-1][0 if is_type else 1] = value
            if after is not None and len(after) == 1 and after[0] in UNITS:  # "APT 4, REAR"
                units.append([after[0], " ".join(after[1:])])
            elif after is not None:
                place_after_unit = " ".join(after)
        elif label not in fields:
            fields[label] = value
        elif label in _SINGLE_LABELS:
            return None
        else:
            fields[label] += " " + value
    if place_after_unit is not None and "PlaceName" not in fields:
        fields["PlaceName"] = place_after_unit
    return None if "IntersectionSeparator" in fields else (fields, units)


def _split_after_comma(identifier: str) -> tuple[str, list[str] | None]:
    """A unit's identifier and the words after its first comma, when the CRF ran a city
    or a second unit into the unit of the line's end ("APT 5, BRONX" read as unit
    "5BRONX", "APT 4, REAR" as "4REAR"); the identifier as it is otherwise.

    The comma is the writer's own boundary. Only words can follow it (a city or a unit
    designator): numbers, a state or nothing after it keep the CRF's reading.
    """
    head, _, tail = identifier.partition(",")
    words = tail.replace(",", " ").split()
    if (
        not head.strip()
        or not words
        or not all(w.isalpha() for w in words)
        or state_code(" ".join(words)) is not None
        or state_code(words[-1]) is not None
    ):
        return identifier, None
    return head, words


def _us_place(fields: dict[str, str]) -> bool:
    """Put the state's USPS code in StateName; False for a foreign state or country."""
    raw = fields.get("StateName")
    if raw:
        code = state_code(raw)
        words = raw.split()
        for k in range(1, len(words)):  # "FE NEW MEXICO": the city's last word
            if code:
                break
            code = state_code(" ".join(words[k:]))
            if code:
                fields["PlaceName"] = " ".join([fields.get("PlaceName", ""), *words[:k]])
        if not code:
            return False
        fields["StateName"] = code
    country = fields.get("CountryName")
    return not country or alnum(country) in US_NAMES


def _repair(fields: dict[str, str], units: list[list[str]], *, ends_with_unit: bool) -> None:
    """Undo the CRF's usual misreadings of well-formed addresses (found by comparing it
    with the fast grammar on generated addresses)."""
    building = fields.get("BuildingName", "").split()
    if len(building) == 2 and building[0] in UNITS:  # "APARTMENT 7" read as a name
        units.append(building)
    tail = units[-1] if units else None
    if (
        "PlaceName" not in fields
        and ends_with_unit
        and tail is not None
        and not tail[0]
        and len(tail[1]) > 1
        and tail[1].replace(" ", "").isalpha()
    ):  # "742 EVERGREEN TER SPRINGFIELD": the trailing word is a city, not a unit
        fields["PlaceName"] = units.pop()[1]
    if fields.get("StreetName", "").startswith("#"):  # "3RD RD # 12": type, name, unit
        units.append(["", fields.pop("StreetName")])
    pre_type = fields.get("StreetNamePreType", "").split()
    if (
        "StreetName" not in fields
        and "StreetNamePostType" not in fields
        and len(pre_type) > 1
        and pre_type[-1] in SUFFIXES
    ):  # "E 1ST ROAD" read as one pre-type
        del fields["StreetNamePreType"]
        fields["StreetName"], fields["StreetNamePostType"] = " ".join(pre_type[:-1]), pre_type[-1]
    post_dir = fields.get("StreetNamePostDirectional")
    if post_dir and alnum(post_dir) not in DIRECTIONS:  # "EL" of "EL PASO"
        del fields["StreetNamePostDirectional"]
        fields["PlaceName"] = f"{post_dir} {fields.get('PlaceName', '')}".strip()


def _has_type(fields: dict[str, str]) -> bool:
    return any(
        alnum(fields.get(label, "")) in SUFFIXES
        for label in ("StreetNamePostType", "StreetNamePreType")
    )


def _number(fields: dict[str, str]) -> str | None:
    number = fields.get("AddressNumber", "").strip("#- ")
    if number.isdigit():
        number = number.lstrip("0") or "0"
    prefix = fields.get("AddressNumberPrefix")
    suffix = fields.get("AddressNumberSuffix")
    if prefix is None and suffix is None:  # the usual case
        return number or None
    parts = [(prefix or "").strip("#- "), number, (suffix or "").strip("#- ")]
    return " ".join(p for p in parts if p) or None


_STREET_LABELS: Final = (
    "StreetNamePreModifier",
    "StreetNamePreDirectional",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
    "StreetNamePostModifier",
)


def _street(fields: dict[str, str]) -> str | None:
    return _street_words(*map(fields.get, _STREET_LABELS))


# Numbered-road types with a short form in common use, to the long one's USPS form, so
# "100 CR 12" and "100 COUNTY ROAD 12" are one street.
_ROUTE_ALIASES: Final = {
    "CR": "COUNTY RD",
    "SH": "STATE HWY",
}


@lru_cache(maxsize=_PIECE_CACHE)
def _street_words(
    pre_modifier: str | None,
    pre_direction: str | None,
    pre_type: str | None,
    name: str | None,
    post_type: str | None,
    post_direction: str | None,
    post_modifier: str | None,
) -> str | None:
    name = name or ""
    if name.startswith("SAINT "):  # ST JAMES PL, as the city's SAINT is ST
        name = "ST" + name[5:]
    words = [
        pre_modifier,
        direction_code(pre_direction),
        street_type_code(pre_type),
        ORDINAL_WORDS.get(name, name),
        street_type_code(post_type),
        direction_code(post_direction),
        post_modifier,
    ]
    street = " ".join(w for w in words if w)
    if not street:
        return None
    # The road type may come as a pre-type (the fast grammar) or inside the name (the
    # CRF reads "SH 1472" as a name): expanded on the words, both readings agree.
    tokens = street.split(" ")
    for i, token in enumerate(tokens[:-1]):
        if token in _ROUTE_ALIASES and tokens[i + 1].isdigit():
            tokens[i] = _ROUTE_ALIASES[token]
            return " ".join(tokens)
    return street


def _box(fields: dict[str, str]) -> str:
    """'PO BOX' however written; a rural route keeps its own words ('RR 2 BOX')."""
    kind = fields.get("USPSBoxType", "BOX")
    group = " ".join(
        fields[label] for label in ("USPSBoxGroupType", "USPSBoxGroupID") if label in fields
    )
    if group:
        return f"{group} {kind}"
    return "PO BOX" if alnum(kind) in BOX_TYPES else kind
