"""U.S. addresses parsed into comparable parts; anything else kept as normalized text.

Addresses are evidence twice: ADDRESS_KEY blocks candidate pairs ("same house number,
same street, same ZIP") and the parts feed fuzzy comparisons. Both only work if one
place is always spelled one way, so every part is reduced to a normal form: upper-case
ASCII, USPS suffix and directional abbreviations, one designator per kind of unit, USPS
state codes (from codes, English or Spanish names), ZIP5.

Parsing uses `usaddress`, a CRF that reads only 4,000-6,000 lines a second on one core.
Extracts repeat addresses heavily (shelters, sponsors, copy-pasted batches), so each
distinct line is parsed once. The common well-formed shape ("123 N MAIN ST APT 4[,
HOUSTON, TX 77001]") is read first by a strict token grammar (about 50,000 lines a
second) that declines anything it could misread; only the rest goes to the CRF. The
two agree on such lines (tests check it; where they differed on generated addresses it
was the CRF misreading, e.g. "EL" of "EL PASO" as a directional). Many distinct lines
are parsed in chunks over a process pool.

A line that is not a U.S. street address (no street, a foreign country or state, an
intersection, repeated parts) keeps only ADDRESS, as normalized text: a wrong parse would
invent a key that blocks strangers together, while a missing key only costs a pair.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Literal, NamedTuple

import numpy as np
import pandas as pd
import pycountry
import usaddress
from unidecode import unidecode

from linker import columns as C
from linker.errors import DataContractError

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


_NO_PARTS = Parts("text", None)

# --- vocabularies ---------------------------------------------------------------------


_NON_ALNUM = re.compile(r"[^A-Z0-9]")


def _alnum(text: str) -> str:
    return text if text.isalnum() and text.isascii() else _NON_ALNUM.sub("", text)


def _table(spec: str) -> dict[str, str]:
    """'CODE VARIANT|VARIANT; ...' entries -> {alnum(variant): CODE}, codes included."""
    out: dict[str, str] = {}
    for entry in re.split(r"[;\n]", spec):
        code, _, rest = entry.strip().partition(" ")
        for variant in [code, *rest.split("|")]:
            if variant.strip():
                out[_alnum(variant)] = code
    return out


# USPS codes with English names, AP abbreviations and Spanish names.
_STATES = _table("""
AL ALABAMA|ALA; AK ALASKA; AZ ARIZONA|ARIZ; AR ARKANSAS|ARK; CA CALIFORNIA|CALIF|CAL
CO COLORADO|COLO; CT CONNECTICUT|CONN; DE DELAWARE|DEL
DC DISTRICT OF COLUMBIA|WASHINGTON DC|DISTRITO DE COLUMBIA|WASHINGTON DISTRITO DE COLUMBIA
FL FLORIDA|FLA; GA GEORGIA; HI HAWAII|HAWAI; ID IDAHO; IL ILLINOIS|ILL; IN INDIANA|IND
IA IOWA; KS KANSAS|KAN|KANS; KY KENTUCKY; LA LOUISIANA|LUISIANA; ME MAINE; MD MARYLAND
MA MASSACHUSETTS|MASS|MASACHUSETTS|MASSACHUSETS; MI MICHIGAN|MICH|MICHIGAN
MN MINNESOTA|MINN|MINESOTA; MS MISSISSIPPI|MISS|MISISIPI|MISISIPPI; MO MISSOURI|MISURI
MT MONTANA|MONT; NE NEBRASKA|NEB|NEBR; NV NEVADA|NEV
NH NEW HAMPSHIRE|NUEVO HAMPSHIRE|NUEVA HAMPSHIRE; NJ NEW JERSEY|NUEVA JERSEY|NUEVO JERSEY
NM NEW MEXICO|NUEVO MEXICO; NY NEW YORK|NUEVA YORK
NC NORTH CAROLINA|CAROLINA DEL NORTE|N CAROLINA; ND NORTH DAKOTA|DAKOTA DEL NORTE|N DAKOTA
OH OHIO; OK OKLAHOMA|OKLA; OR OREGON|ORE|OREG; PA PENNSYLVANIA|PENN|PENNA|PENSILVANIA
RI RHODE ISLAND|ISLA DE RHODE|ISLA RHODE; SC SOUTH CAROLINA|CAROLINA DEL SUR|S CAROLINA
SD SOUTH DAKOTA|DAKOTA DEL SUR|S DAKOTA; TN TENNESSEE|TENN|TENESI|TENNESEE
TX TEXAS|TEX|TEJAS; UT UTAH; VT VERMONT; VA VIRGINIA; WA WASHINGTON|WASH|WASHINGTON STATE
WV WEST VIRGINIA|W VA|VIRGINIA OCCIDENTAL; WI WISCONSIN|WIS|WISC; WY WYOMING|WYO
PR PUERTO RICO; GU GUAM; VI VIRGIN ISLANDS|US VIRGIN ISLANDS|ISLAS VIRGENES
AS AMERICAN SAMOA|SAMOA AMERICANA; MP NORTHERN MARIANA ISLANDS|ISLAS MARIANAS DEL NORTE
AA ARMED FORCES AMERICAS; AE ARMED FORCES EUROPE; AP ARMED FORCES PACIFIC
""")
_STATE_CODES = frozenset(_STATES.values())

_US_NAMES = frozenset(
    _alnum(n)
    for n in (
        "US|USA|U S A|UNITED STATES|UNITED STATES OF AMERICA|AMERICA|EEUU|EE UU|EUA|"
        "ESTADOS UNIDOS|ESTADOS UNIDOS DE AMERICA"
    ).split("|")
)

# Country names that end a foreign address (English from ISO 3166, common Spanish ones).
# A U.S. state name wins over a country (GEORGIA), so states are removed here.
_SPANISH_COUNTRIES = (
    "REPUBLICA DOMINICANA|BRASIL|BELICE|HAITI|ESPANA|PERU|ALEMANIA|FRANCIA|INGLATERRA|"
    "REINO UNIDO|CANADA|RUSIA|UCRANIA|TURQUIA|AFGANISTAN|CAMERUN|EGIPTO|ETIOPIA|"
    "TRINIDAD Y TOBAGO|SURINAM|FILIPINAS|JAPON|COREA|PAKISTAN|BANGLADES|RUMANIA|"
    "KAZAJISTAN|KIRGUISTAN|TAYIKISTAN|UZBEKISTAN|RUSSIA|VIETNAM|SOUTH KOREA|IRAN|SYRIA|"
    "BOLIVIA|VENEZUELA|TURKEY|ENGLAND|GREAT BRITAIN|UK|BURMA|IVORY COAST|CAPE VERDE|LAOS"
)
_COUNTRIES = frozenset(
    key
    for key in (
        *(
            _alnum(unidecode(getattr(c, attr)).upper())
            for c in pycountry.countries
            for attr in ("name", "common_name", "official_name")
            if "," not in getattr(c, attr, ",")
        ),
        *(_alnum(n) for n in _SPANISH_COUNTRIES.split("|")),
    )
    if key and key not in _STATES and key not in _US_NAMES
)

# Street types: USPS Publication 28 standard abbreviation first, then the spellings seen.
_SUFFIXES = _table("""
ALY ALLEY|ALLEE|ALLY; ANX ANNEX|ANEX; ARC ARCADE; AVE AVENUE|AV|AVEN|AVENU|AVN|AVNUE
BYU BAYOU|BAYOO; BCH BEACH; BND BEND; BLF BLUFF; BLVD BOULEVARD|BOUL|BOULV|BLV
BR BRANCH|BRNCH; BRG BRIDGE|BRDGE; BRK BROOK; BYP BYPASS|BYPAS|BYPS; CSWY CAUSEWAY|CAUSWA
CTR CENTER|CENTRE|CENT|CENTR|CNTER|CNTR; CIR CIRCLE|CIRC|CIRCL|CRCL|CRCLE; CLF CLIFF
COR CORNER; CRSE COURSE; CT COURT|CRT; CV COVE; CRK CREEK; CRES CRESCENT|CRSENT|CRSNT
CRST CREST; XING CROSSING|CRSSNG; CURV CURVE; DL DALE; DR DRIVE|DRIV|DRV; EST ESTATE
ESTS ESTATES; EXPY EXPRESSWAY|EXPR|EXPRESS|EXPW; EXT EXTENSION|EXTN|EXTNSN; FLS FALLS
FRY FERRY|FRRY; FLD FIELD; FLDS FIELDS; FLT FLAT; FRD FORD; FRST FOREST|FORESTS; FRK FORK
FWY FREEWAY|FREEWY|FRWAY|FRWY; GDN GARDEN|GARDN|GRDEN|GRDN; GDNS GARDENS|GRDNS
GTWY GATEWAY|GATEWY|GATWAY|GTWAY; GLN GLEN; GRN GREEN; GRV GROVE|GROV
HBR HARBOR|HARB|HARBR|HRBOR; HVN HAVEN; HTS HEIGHTS|HT; HWY HIGHWAY|HIGHWY|HIWAY|HIWY|HWAY
HL HILL; HLS HILLS; HOLW HOLLOW|HLLW|HOLWS; IS ISLAND|ISLND
JCT JUNCTION|JCTION|JCTN|JUNCTN|JUNCTON; KNL KNOLL|KNOL; LK LAKE; LKS LAKES
LNDG LANDING|LNDNG; LN LANE; LOOP LOOPS; MALL; MNR MANOR; MDW MEADOW; MDWS MEADOWS|MEDOWS
ML MILL; MTN MOUNTAIN|MNTAIN|MNTN|MOUNTIN|MTIN; ORCH ORCHARD|ORCHRD; OVAL OVL; PARK PRK
PKWY PARKWAY|PARKWY|PKWAY|PKY; PASS; PATH PATHS; PIKE PIKES; PNES PINES; PL PLACE
PLNS PLAINS; PLZ PLAZA|PLZA; PT POINT; PRT PORT; PR PRAIRIE|PRR; RNCH RANCH|RANCHES|RNCHS
RDG RIDGE|RDGE; RIV RIVER|RVR|RIVR; RD ROAD; RTE ROUTE; ROW; RUN; SHR SHORE; SHRS SHORES
SPG SPRING|SPNG|SPRNG; SPGS SPRINGS|SPNGS|SPRNGS; SQ SQUARE|SQR|SQRE|SQU
STA STATION|STATN|STN; ST STREET|STR|STRT; SMT SUMMIT|SUMIT|SUMITT; TER TERRACE|TERR
TRCE TRACE|TRACES; TRL TRAIL|TRAILS|TRLS; TPKE TURNPIKE|TRNPK|TURNPK; VLY VALLEY|VALLY|VLLY
VW VIEW; VLG VILLAGE|VILL|VILLAG|VILLG; VIS VISTA|VIST|VST|VSTA; WALK WALKS; WAY WY
""")
# The unambiguous types the fast grammar accepts (PARK, VIEW, LAKE ... are often names).
_FAST_SUFFIXES = frozenset(
    "ST STREET AVE AVENUE BLVD BOULEVARD DR DRIVE RD ROAD LN LANE CT COURT PL PLACE "
    "AV CIR CIRCLE PKWY PARKWAY TER TERRACE TRL TRAIL WAY HWY HIGHWAY".split()
)

_DIRECTIONS = _table("""
N NORTH|NORTE; S SOUTH|SUR; E EAST|ESTE; W WEST|OESTE; NE NORTHEAST|NORTH EAST|NORESTE
NW NORTHWEST|NORTH WEST|NOROESTE; SE SOUTHEAST|SOUTH EAST|SURESTE
SW SOUTHWEST|SOUTH WEST|SUROESTE
""")

# One designator per kind of unit. Residential ones (APT, UNIT, #, NO) are one kind:
# extracts write the same flat all three ways.
_UNITS = _table("""
APT APARTMENT|APTO|APARTAMENTO|DEPTO|DEPARTAMENTO|UNIT|UNT|UNIDAD|NO|NUM|NUMBER|NUMERO
STE SUITE|SUIT; BLDG BUILDING|BLD|EDIFICIO; FL FLOOR|FLR|PISO; RM ROOM|CUARTO; LOT
SPC SPACE; TRLR TRAILER; DEPT DEPARTMENT; OFC OFFICE; PH PENTHOUSE; BSMT BASEMENT; REAR
FRNT FRONT; UPPR UPPER; LOWR LOWER
""")
_FAST_UNITS = frozenset("APT APARTMENT UNIT STE SUITE".split())

_ORDINAL_WORDS = dict(
    zip(
        "FIRST SECOND THIRD FOURTH FIFTH SIXTH SEVENTH EIGHTH NINTH TENTH".split(),
        "1ST 2ND 3RD 4TH 5TH 6TH 7TH 8TH 9TH 10TH".split(),
        strict=True,
    )
)
_CITY_WORDS = {"SAINT": "ST", "FORT": "FT", "MOUNT": "MT"}
_BOX_TYPES = frozenset(_alnum(t) for t in "PO BOX|POST OFFICE BOX|BOX|POB|P O B".split("|"))

# Never a street-name word in the fast grammar: these make the shape ambiguous.
_RESERVED = frozenset(
    {*_FAST_SUFFIXES, *_DIRECTIONS, *_UNITS, *_ORDINAL_WORDS}
    | set(
        "PO BOX HIGHWAY ROUTE COUNTY STATE US FM RR HC CR SR IH INTERSTATE CALLE AVENIDA "
        "CAMINO CARRETERA KM COLONIA BARRIO ZONA AND OF AT".split()
    )
)

# Values that say "no address" (compared without punctuation or spaces).
_NULL_TOKENS = frozenset(
    _alnum(t)
    for t in (
        "|NA|NAN|NONE|NULL|NIL|UNKNOWN|UNK|UNKN|DESCONOCIDO|DESCONOCIDA|SIN DOMICILIO|"
        "SIN DOMICILIO FIJO|SIN DIRECCION|NO DOMICILIO|NO ADDRESS|NOT AVAILABLE|NO APLICA|"
        "NOT APPLICABLE|NO DATA|SIN DATOS|X|XX|XXX|HOMELESS|SIN HOGAR|NO FIXED ADDRESS"
    ).split("|")
)

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
        text = unidecode(text)
    text = _NOT_TEXT.sub(" ", text.upper().translate(_DROP))
    text = " ".join(_COMMAS.sub(", ", text).split()).strip(" ,-/&")
    if _alnum(text) in _NULL_TOKENS:
        return None
    return text


def state_code(text: str) -> str | None:
    """USPS code of a state written as a code, an English or Spanish name; else None."""
    return _STATES.get(_alnum(text.upper()))


_ZIP = re.compile(r"(\d{5})(?: ?-? ?\d{4})?|(\d{4})(?: ?- ?\d{4}|\d{4})?|(\d{3})(?:-?\d{4})?")


def zip5(text: str) -> str | None:
    """ZIP5 of a ZIP, ZIP+4 or 9-digit ZIP; leading zeros put back; else None.

    Spreadsheets drop leading zeros: 4 digits ("2134") or 8 ("21341234") are New
    England ZIPs, 3 digits from 501 up are 005xx-009xx (Holtsville, Puerto Rico).
    A ZIP of one repeated digit ("00000", "99999") is a placeholder.
    """
    match = _ZIP.fullmatch(text.strip())
    if not match:
        return None
    five, four, three = match.groups()
    if five:
        code = five
    elif four:
        code = "0" + four
    elif three and int(three) >= 501:
        code = "00" + three
    else:
        return None
    return None if len(set(code)) == 1 else code


def city_name(text: str) -> str | None:
    """City words with SAINT/FORT/MOUNT abbreviated the USPS way."""
    words = text.replace(",", " ").split()
    return " ".join(_CITY_WORDS.get(w, w) for w in words) or None


def _plain(text: str) -> str | None:
    return " ".join(text.replace(",", " ").split()) or None


# --- one line ---------------------------------------------------------------------------


def parse_line(text: str, *, fast_path: bool = True) -> Parts:
    """Parts of one line already through `clean_text`.

    `fast_path=False` forces the CRF, for tests that check both readings agree.
    """
    cheap = _parse_cheap(text, fast_path=fast_path)
    return cheap if cheap is not None else _assemble(_crf_pairs(text), text)


def _parse_cheap(text: str, *, fast_path: bool = True) -> Parts | None:
    """A result without the CRF: foreign text, or the fast grammar; None if neither."""
    if _is_foreign(text):
        return Parts("text", _plain(text))
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
        if key in _STATES or key in _US_NAMES:
            return False
        if key in _COUNTRIES:
            return True
    return False


_NUMBER = re.compile(r"\d{1,6}")
_NOT_CITY = frozenset({"AND", "AT"})  # "MAIN ST AND ELM CT" is an intersection
_ORDINAL = re.compile(r"\d{1,4}(?:ST|ND|RD|TH)")
_UNIT_ID = re.compile(r"\d{1,5}[A-Z]?|[A-Z]\d{0,4}")
_ZIP_TOKEN = re.compile(r"\d{5}(?:-\d{4})?")


def _is_name(token: str) -> bool:
    return (token.isalpha() and token not in _RESERVED) or bool(_ORDINAL.fullmatch(token))


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
    if toks[i] in _DIRECTIONS and i + 1 < n and _is_name(toks[i + 1]):
        fields["StreetNamePreDirectional"] = toks[i]
        i += 1
    j = i  # the run of words that may belong to the street name and type
    while j < n and (_is_name(toks[j]) or toks[j] in _FAST_SUFFIXES):
        j += 1
    types = [k for k in range(i, j) if toks[k] in _FAST_SUFFIXES]
    if not types:
        return None
    t = types[-1]
    if len(types) > 1 and (
        t != j - 1 or (not _ends_street(toks[j]) if j < n else toks[t] in _STATE_CODES)
    ):  # "CORAL WAY ST" is a name and a type only where the street visibly ends;
        t = types[0]  # else the first type ends it ("LAKE ST HARTFORD CT"), if the
        # city that follows has no type word (checked by `_fast_place`)
    if not 1 <= t - i <= 4:
        return None
    fields["StreetName"], fields["StreetNamePostType"] = " ".join(toks[i:t]), toks[t]
    i = t + 1
    post_dir = i < n and toks[i] in _DIRECTIONS
    if post_dir:
        fields["StreetNamePostDirectional"] = toks[i]
        i += 1
    i += i < n and toks[i] == ","
    units: list[list[str]] = []
    if i < n and (toks[i] in _FAST_UNITS or toks[i].startswith("#")):
        designator = ""
        if toks[i] in _FAST_UNITS:
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
    return token == "," or token in _FAST_UNITS or token[0] == "#" or token in _DIRECTIONS


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
    if len(rest) < 2 or rest[-1] not in _STATE_CODES:
        return None
    city = rest[:-1]
    if city and city[-1] == ",":
        city = city[:-1]
    if not 1 <= len(city) <= 4 or not all(w.isalpha() and w not in _NOT_CITY for w in city):
        return None
    if not after_comma and any(w in _FAST_SUFFIXES for w in city):
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
        return Parts("text", _plain(text))
    fields, units = collected
    _repair(fields, units, ends_with_unit=bool(pairs) and pairs[-1][0] in _UNIT_LABELS)
    return _build(fields, units, text)


def _build(fields: dict[str, str], units: list[list[str]], text: str) -> Parts:
    """Parts in normal form from labelled text (StateName already a USPS code)."""
    street = _street(fields)
    number = _number(fields)
    unit = " ".join(u for u in (_unit(d, i) for d, i in units) if u) or None
    box = fields.get("USPSBoxID")
    if box and not fields.get("StreetName"):
        number, street = box, _box(fields)
        head = f"{street} {number}"
    elif fields.get("StreetName") and (number or _has_type(fields)):
        head = " ".join(p for p in (number, street) if p)
    else:
        return Parts("text", _plain(text))
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
    return not country or _alnum(country) in _US_NAMES


def _repair(fields: dict[str, str], units: list[list[str]], *, ends_with_unit: bool) -> None:
    """Undo the CRF's usual misreadings of well-formed addresses (found by comparing it
    with the fast grammar on generated addresses)."""
    building = fields.get("BuildingName", "").split()
    if len(building) == 2 and building[0] in _UNITS:  # "APARTMENT 7" read as a name
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
        and pre_type[-1] in _SUFFIXES
    ):  # "E 1ST ROAD" read as one pre-type
        del fields["StreetNamePreType"]
        fields["StreetName"], fields["StreetNamePostType"] = " ".join(pre_type[:-1]), pre_type[-1]
    post_dir = fields.get("StreetNamePostDirectional")
    if post_dir and _alnum(post_dir) not in _DIRECTIONS:  # "EL" of "EL PASO"
        del fields["StreetNamePostDirectional"]
        fields["PlaceName"] = f"{post_dir} {fields.get('PlaceName', '')}".strip()


def _has_type(fields: dict[str, str]) -> bool:
    return any(
        _alnum(fields.get(label, "")) in _SUFFIXES
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
        _direction(fields.get("StreetNamePreDirectional")),
        _street_type(fields.get("StreetNamePreType")),
        _ORDINAL_WORDS.get(name, name),
        _street_type(fields.get("StreetNamePostType")),
        _direction(fields.get("StreetNamePostDirectional")),
        fields.get("StreetNamePostModifier"),
    ]
    return " ".join(w for w in words if w) or None


def _direction(value: str | None) -> str | None:
    return _DIRECTIONS.get(_alnum(value), value) if value else None


def _street_type(value: str | None) -> str | None:
    return " ".join(_SUFFIXES.get(w, w) for w in value.split()) if value else None


def _unit(designator: str, ident: str) -> str | None:
    """'APT 4B', 'STE 200', 'BLDG 5'; '#4' and a bare identifier are apartments."""
    code = None
    if designator:
        key = _alnum(designator)
        code = _UNITS.get(key, key) if key else "APT"
    if ident:
        ident = ident.replace("#", "").replace(" ", "").replace("-", "")
        if ident.isdigit():
            ident = ident.lstrip("0") or "0"
    if ident and code is None:
        code = "APT"
    return " ".join(p for p in (code, ident) if p) or None


def _box(fields: dict[str, str]) -> str:
    """'PO BOX' however written; a rural route keeps its own words ('RR 2 BOX')."""
    kind = fields.get("USPSBoxType", "BOX")
    group = " ".join(
        fields[label] for label in ("USPSBoxGroupType", "USPSBoxGroupID") if label in fields
    )
    if group:
        return f"{group} {kind}"
    return "PO BOX" if _alnum(kind) in _BOX_TYPES else kind


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
) -> pd.DataFrame:
    """Parsed and normalized address parts, one row per input row, same index.

    `line` holds the street part ("123 Main St Apt 4") or the whole address in one line
    ("123 Main St Apt 4, Houston, TX 77001"); `city`, `state` and `postal_code`, when
    given and usable, win over what was parsed from the line. Any input may be None;
    the given ones must share one index (`index` names it when none is given).
    `workers`: processes for the CRF (None = one per available core, 1 = none), used
    from `PARALLEL_MIN_LINES` distinct lines the fast grammar left to it. `fast_path=
    False` sends every line to the CRF (for measurements and tests).

    Columns `OUTPUT_COLUMNS`, object dtype, None for null. ADDRESS_KEY is
    "<number> <street> <zip5>", else "<number> <street> <city> <state>", and null when
    any of those is missing, so an incomplete address never blocks strangers together.
    """
    inputs = {"line": line, "city": city, "state": state, "postal_code": postal_code}
    idx = _common_index(inputs, index)
    n = len(idx)
    line_codes, line_values = _normalized_codes(line, n)
    city_codes, city_values = _normalized_codes(city, n)
    state_codes, state_values = _normalized_codes(state, n)
    zip_codes, zip_values = _normalized_codes(postal_code, n)

    parsed = _parse_distinct(line_values, workers, fast_path)

    combo, firsts = _combinations([line_codes, city_codes, state_codes, zip_codes])
    rows = [
        _combine(
            parsed[a] if a >= 0 else _NO_PARTS,
            city_values[c] if c >= 0 else None,
            state_values[s] if s >= 0 else None,
            zip_values[z] if z >= 0 else None,
        )
        for a, c, s, z in zip(*(f.tolist() for f in firsts), strict=True)
    ]
    table = np.empty((len(rows), len(OUTPUT_COLUMNS)), dtype=object)
    if rows:
        table[:] = rows
    columns = {name: table[combo, j] for j, name in enumerate(OUTPUT_COLUMNS)}
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


def _normalized_codes(values: pd.Series | None, n: int) -> tuple[np.ndarray, list[str]]:
    """Per-row codes into the distinct normalized texts (-1 for null)."""
    if values is None:
        return np.full(n, -1, dtype=np.int64), []
    raw_codes, raw_uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    cleaned = np.array([clean_text(v) for v in raw_uniques] + [None], dtype=object)
    norm_codes, norm_uniques = pd.factorize(cleaned, use_na_sentinel=True)
    # raw code -> normalized code; the appended None sends raw code -1 to -1.
    return norm_codes.astype(np.int64)[raw_codes], list(norm_uniques)


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


def _parse_distinct(texts: list[str], workers: int | None, fast_path: bool) -> list[Parts]:
    """Parts of each distinct line: the cheap readings here, the CRF's over processes
    when enough lines need it (only there does a pool repay its start-up and pickling:
    the fast grammar is about as cheap as sending a line to a worker)."""
    parsed = [_parse_cheap(t, fast_path=fast_path) for t in texts]
    todo = [i for i, p in enumerate(parsed) if p is None]
    hard = [texts[i] for i in todo]
    n_workers = _worker_count(workers)
    if n_workers > 1 and len(hard) >= PARALLEL_MIN_LINES:
        done = _crf_lines_parallel(hard, n_workers)
    else:
        done = _crf_lines(hard)
    for i, parts in zip(todo, done, strict=True):
        parsed[i] = parts
    return [p if p is not None else _NO_PARTS for p in parsed]


def _crf_lines(texts: Sequence[str]) -> list[Parts]:
    """The CRF's reading of each line: the unit of work sent to a worker process."""
    return [_assemble(_crf_pairs(t), t) for t in texts]


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
    parsed: list[Parts] = [_NO_PARTS] * len(texts)
    for i, chunk in enumerate(results):
        parsed[i::n_chunks] = chunk
    return parsed


def _worker_count(workers: int | None) -> int:
    if workers is not None:
        return max(1, int(workers))
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


def _combine(
    parts: Parts, city: str | None, state: str | None, postal: str | None
) -> tuple[str | None, ...]:
    """Output row for a parsed line and the separately given city / state / ZIP texts.

    Given columns win when usable. Text that is no U.S. state or ZIP still goes into
    ADDRESS, so a foreign address keeps every piece the extract had.
    """
    city_out = (city_name(city) if city else None) or parts.city
    state_out = (state_code(state) if state else None) or parts.state
    zip_out = (zip5(postal) if postal else None) or parts.zip
    state_text = state_out or (_plain(state) if state else None)
    # A foreign postal code has letters; digits that are no ZIP are junk ("00000").
    zip_text = zip_out or (_plain(postal) if postal and _has_letter(postal) else None)
    pieces = (parts.head, city_out, state_text, zip_text)
    address = " ".join(p for p in pieces if p) or None
    key = None
    if parts.kind == "us" and parts.number and parts.street:
        if zip_out:
            key = f"{parts.number} {parts.street} {zip_out}"
        elif city_out and state_out:
            key = f"{parts.number} {parts.street} {city_out} {state_out}"
    return (address, parts.number, parts.street, parts.unit, city_out, state_out, zip_out, key)


def _has_letter(text: str) -> bool:
    return any(ch.isalpha() for ch in text)
