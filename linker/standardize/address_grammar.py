"""One cleaned address line read into labelled parts, then assembled in normal form.

`usaddress` is a CRF that reads only 4,000-6,000 lines a second on one core. The
common well-formed shape ("123 N MAIN ST APT 4[, HOUSTON, TX 77001]") is first read
by a strict token grammar (about 50,000 lines a second) that declines anything it
could misread; only the rest goes to the CRF. The two agree on such lines (tests check
it; where they differed on generated addresses it was the CRF misreading, e.g. "EL" of
"EL PASO" as a directional), and `_repair` undoes the CRF's usual misreadings of the
lines it does get. Both readings give usaddress's labels, so one `_build` turns either
into `Parts`.

A line that is not one U.S. street address (no street, a foreign country or state, an
intersection, a part that exists once appearing twice) comes back as "text": a wrong
parse would invent a key that blocks strangers together, while a missing key only costs
a pair. This module reads one line at a time; deduplication and worker processes are
`addresses`' business.
"""

from __future__ import annotations

import re
from typing import Literal, NamedTuple

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

# --- one line ---------------------------------------------------------------------------


def parse_line(text: str, *, fast_path: bool = True) -> Parts:
    """Parts of one line already through `clean_text`.

    `fast_path=False` forces the CRF, for tests that check both readings agree.
    """
    cheap = parse_cheap(text, fast_path=fast_path)
    return cheap if cheap is not None else read_crf(text)


def read_crf(text: str) -> Parts:
    """The CRF's reading of one line (the work `addresses` spreads over processes)."""
    return _assemble(_crf_pairs(text), text)


def parse_cheap(text: str, *, fast_path: bool = True) -> Parts | None:
    """A result without the CRF: foreign text, or the fast grammar; None if neither."""
    if _is_foreign(text):
        return Parts("text", plain_text(text))
    if not fast_path:
        return None
    found = _fast_fields(text)
    return None if found is None else _build(*found, text)


def _is_foreign(text: str) -> bool:
    """True when the line ends with a country other than the U.S. (postal code aside)."""
    words = text.replace(",", " ").split()
    while words and words[-1].isdigit():
        words.pop()
    for k in range(min(4, len(words)), 0, -1):
        key = "".join(words[-k:])
        if key in STATES or key in US_NAMES:
            return False
        if key in COUNTRIES:
            return True
    return False


_NUMBER = re.compile(r"\d{1,6}")
_NOT_CITY = frozenset({"AND", "AT"})  # "MAIN ST AND ELM CT" is an intersection
_ORDINAL = re.compile(r"\d{1,4}(?:ST|ND|RD|TH)")
_UNIT_ID = re.compile(r"\d{1,5}[A-Z]?|[A-Z]\d{0,4}")
_ZIP_TOKEN = re.compile(r"\d{5}(?:-\d{4})?")


def _is_name(token: str) -> bool:
    return (token.isalpha() and token not in RESERVED) or bool(_ORDINAL.fullmatch(token))


def _fast_fields(text: str) -> tuple[dict[str, str], list[list[str]]] | None:
    """Labelled parts of "[number] [dir] <name> <type> [dir] [unit][, city, ST [ZIP]]",
    or None for anything else (then the CRF reads it).

    Strict on purpose: the type must be one of the unambiguous common ones; a word of
    the name may be such a type only where the street visibly ends after the last one
    ("CORAL WAY ST, ..."); no word may be a directional or a unit designator. So the
    shape has exactly one reading. Labels are usaddress's, for the shared `_build`.
    """
    toks = text.replace(",", " , ").split()
    n = len(toks)
    fields: dict[str, str] = {}
    i = 0
    if n and _NUMBER.fullmatch(toks[0]):
        fields["AddressNumber"] = toks[0]
        i = 1
    if n < i + 2:
        return None
    if toks[i] in DIRECTIONS and i + 1 < n and _is_name(toks[i + 1]):
        fields["StreetNamePreDirectional"] = toks[i]
        i += 1
    j = i  # the run of words that may belong to the street name and type
    while j < n and (_is_name(toks[j]) or toks[j] in FAST_SUFFIXES):
        j += 1
    types = [k for k in range(i, j) if toks[k] in FAST_SUFFIXES]
    if not types:
        return None
    t = types[-1]
    if len(types) > 1 and (
        t != j - 1 or (not _ends_street(toks[j]) if j < n else toks[t] in STATE_CODES)
    ):  # "CORAL WAY ST" is a name and a type only where the street visibly ends;
        t = types[0]  # else the first type ends it ("LAKE ST HARTFORD CT"), if the
        # city that follows has no type word (checked by `_fast_place`)
    if not 1 <= t - i <= 4:
        return None
    fields["StreetName"], fields["StreetNamePostType"] = " ".join(toks[i:t]), toks[t]
    i = t + 1
    post_dir = i < n and toks[i] in DIRECTIONS
    if post_dir:
        fields["StreetNamePostDirectional"] = toks[i]
        i += 1
    i += i < n and toks[i] == ","
    units: list[list[str]] = []
    if i < n and (toks[i] in FAST_UNITS or toks[i].startswith("#")):
        designator = ""
        if toks[i] in FAST_UNITS:
            designator, i = toks[i], i + 1
        i += i < n and toks[i] == "#"
        if i >= n or not _UNIT_ID.fullmatch(toks[i].removeprefix("#")):
            return None
        units.append([designator, toks[i].removeprefix("#")])
        i += 1
        i += i < n and toks[i] == ","
    if i == n:
        return fields, units
    comma = toks[i - 1] == ","
    if post_dir and not comma:  # "MAIN ST W PALM BEACH": direction or city?
        return None
    return _fast_place(toks[i:], fields, units, after_comma=comma)


def _ends_street(token: str) -> bool:
    return token == "," or token in FAST_UNITS or token[0] == "#" or token in DIRECTIONS


def _fast_place(
    toks: list[str], fields: dict[str, str], units: list[list[str]], *, after_comma: bool
) -> tuple[dict[str, str], list[list[str]]] | None:
    """City words, a USPS state code and an optional ZIP, commas optional.

    Without a comma after the street, a street type among the city words means the
    street may go on ("CORAL WAY BLVD OMAHA"): declined. "ST LOUIS" needs the comma.
    """
    zip_code = toks[-1] if _ZIP_TOKEN.fullmatch(toks[-1]) else None
    rest = toks[:-1] if zip_code else toks
    if rest and rest[-1] == ",":
        rest = rest[:-1]
    if len(rest) < 2 or rest[-1] not in STATE_CODES:
        return None
    city = rest[:-1]
    if city and city[-1] == ",":
        city = city[:-1]
    if not 1 <= len(city) <= 4 or not all(w.isalpha() and w not in _NOT_CITY for w in city):
        return None
    if not after_comma and any(w in FAST_SUFFIXES for w in city):
        return None
    fields["PlaceName"], fields["StateName"] = " ".join(city), rest[-1]
    if zip_code:
        fields["ZipCode"] = zip_code
    return fields, units


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
    unit = " ".join(u for u in (unit_code(d, i) for d, i in units) if u) or None
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
        city_name(city) if city else None,
        fields.get("StateName"),
        zip5(fields["ZipCode"]) if "ZipCode" in fields else None,
    )


def _collect(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], list[list[str]]] | None:
    """Labels -> {label: text} and the units in order as [designator, identifier]
    ("" when absent); None when a part that exists once (number, street, city...)
    appears twice or the line is an intersection: not one U.S. address."""
    fields: dict[str, str] = {}
    units: list[list[str]] = []
    for label, raw in pairs:
        value = " ".join(raw.replace(",", " ").split())
        if not value:
            continue
        if label in _UNIT_LABELS:
            is_type = label.endswith("Type")
            if is_type or not units or units[-1][1]:
                units.append(["", ""])
            units[-1][0 if is_type else 1] = value
        elif label not in fields:
            fields[label] = value
        elif label in _SINGLE_LABELS:
            return None
        else:
            fields[label] += " " + value
    return None if "IntersectionSeparator" in fields else (fields, units)


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
    parts = [
        fields.get(label, "").strip("#- ")
        for label in ("AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix")
    ]
    if parts[1].isdigit():
        parts[1] = parts[1].lstrip("0") or "0"
    return " ".join(p for p in parts if p) or None


def _street(fields: dict[str, str]) -> str | None:
    name = fields.get("StreetName", "")
    words = [
        fields.get("StreetNamePreModifier"),
        direction_code(fields.get("StreetNamePreDirectional")),
        street_type_code(fields.get("StreetNamePreType")),
        ORDINAL_WORDS.get(name, name),
        street_type_code(fields.get("StreetNamePostType")),
        direction_code(fields.get("StreetNamePostDirectional")),
        fields.get("StreetNamePostModifier"),
    ]
    return " ".join(w for w in words if w) or None


def _box(fields: dict[str, str]) -> str:
    """'PO BOX' however written; a rural route keeps its own words ('RR 2 BOX')."""
    kind = fields.get("USPSBoxType", "BOX")
    group = " ".join(
        fields[label] for label in ("USPSBoxGroupType", "USPSBoxGroupID") if label in fields
    )
    if group:
        return f"{group} {kind}"
    return "PO BOX" if alnum(kind) in BOX_TYPES else kind
