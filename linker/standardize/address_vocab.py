"""Words of U.S. addresses as extracts write them, each mapped to one normal form.

Blocking on ADDRESS_KEY and comparing address parts only work if one place is always
spelled one way, so every word is reduced to the USPS form: street types and unit
designators to their Publication 28 abbreviations, directionals to N/NE/..., states
(codes, English or Spanish names) to USPS codes, ZIPs to ZIP5. The tables are plain
data, apart from the grammar that reads them, so a spelling newly seen in an extract is
a one-line edit here. Country names tell a foreign line from a U.S. one; null words
("DESCONOCIDO", "SIN DOMICILIO") say there is no address at all.

Every key is compared through `alnum` (upper-case letters and digits only), so "N.E.",
"N E" and "NE" are one key.
"""

from __future__ import annotations

import re

import pycountry
from unidecode import unidecode

from linker.standardize.text import spreadsheet_text

_NON_ALNUM = re.compile(r"[^A-Z0-9]")


def alnum(text: str) -> str:
    """Letters and digits only: the key every table is looked up by."""
    return text if text.isalnum() and text.isascii() else _NON_ALNUM.sub("", text)


def _table(spec: str) -> dict[str, str]:
    """'CODE VARIANT|VARIANT; ...' entries -> {alnum(variant): CODE}, codes included."""
    out: dict[str, str] = {}
    for entry in re.split(r"[;\n]", spec):
        code, _, rest = entry.strip().partition(" ")
        for variant in [code, *rest.split("|")]:
            if variant.strip():
                out[alnum(variant)] = code
    return out


# --- tables ---------------------------------------------------------------------------

# USPS codes with English names, AP abbreviations and Spanish names.
STATES = _table("""
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
STATE_CODES = frozenset(STATES.values())

US_NAMES = frozenset(
    alnum(n)
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
COUNTRIES = frozenset(
    key
    for key in (
        *(
            alnum(unidecode(getattr(c, attr)).upper())
            for c in pycountry.countries
            for attr in ("name", "common_name", "official_name")
            if "," not in getattr(c, attr, ",")
        ),
        *(alnum(n) for n in _SPANISH_COUNTRIES.split("|")),
    )
    if key and key not in STATES and key not in US_NAMES
)

# Street types: USPS Publication 28 standard abbreviation first, then the spellings seen.
SUFFIXES = _table("""
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
FAST_SUFFIXES = frozenset(
    "ST STREET AVE AVENUE BLVD BOULEVARD DR DRIVE RD ROAD LN LANE CT COURT PL PLACE "
    "AV CIR CIRCLE PKWY PARKWAY TER TERRACE TRL TRAIL WAY HWY HIGHWAY".split()
)

DIRECTIONS = _table("""
N NORTH|NORTE; S SOUTH|SUR; E EAST|ESTE; W WEST|OESTE; NE NORTHEAST|NORTH EAST|NORESTE
NW NORTHWEST|NORTH WEST|NOROESTE; SE SOUTHEAST|SOUTH EAST|SURESTE
SW SOUTHWEST|SOUTH WEST|SUROESTE
""")

# One designator per kind of unit. Residential ones (APT, UNIT, #, NO) are one kind:
# extracts write the same flat all three ways.
UNITS = _table("""
APT APARTMENT|APTO|APARTAMENTO|DEPTO|DEPARTAMENTO|UNIT|UNT|UNIDAD|NO|NUM|NUMBER|NUMERO
STE SUITE|SUIT; BLDG BUILDING|BLD|EDIFICIO; FL FLOOR|FLR|PISO; RM ROOM|CUARTO; LOT
SPC SPACE; TRLR TRAILER; DEPT DEPARTMENT; OFC OFFICE; PH PENTHOUSE; BSMT BASEMENT; REAR
FRNT FRONT; UPPR UPPER; LOWR LOWER
""")
FAST_UNITS = frozenset("APT APARTMENT UNIT STE SUITE".split())

ORDINAL_WORDS = dict(
    zip(
        "FIRST SECOND THIRD FOURTH FIFTH SIXTH SEVENTH EIGHTH NINTH TENTH".split(),
        "1ST 2ND 3RD 4TH 5TH 6TH 7TH 8TH 9TH 10TH".split(),
        strict=True,
    )
)
_CITY_WORDS = {"SAINT": "ST", "FORT": "FT", "MOUNT": "MT"}
BOX_TYPES = frozenset(alnum(t) for t in "PO BOX|POST OFFICE BOX|BOX|POB|P O B".split("|"))

# Never a street-name word in the fast grammar: these make the shape ambiguous.
RESERVED = frozenset(
    {*FAST_SUFFIXES, *DIRECTIONS, *UNITS, *ORDINAL_WORDS}
    | set(
        "PO BOX HIGHWAY ROUTE COUNTY STATE US FM RR HC CR SR IH INTERSTATE CALLE AVENIDA "
        "CAMINO CARRETERA KM COLONIA BARRIO ZONA AND OF AT".split()
    )
)

# Values that say "no address" (compared without punctuation or spaces).
NULL_TOKENS = frozenset(
    alnum(t)
    for t in (
        "|NA|NAN|NONE|NULL|NIL|UNKNOWN|UNK|UNKN|DESCONOCIDO|DESCONOCIDA|SIN DOMICILIO|"
        "SIN DOMICILIO FIJO|SIN DIRECCION|NO DOMICILIO|NO ADDRESS|NOT AVAILABLE|NO APLICA|"
        "NOT APPLICABLE|NO DATA|SIN DATOS|X|XX|XXX|HOMELESS|SIN HOGAR|NO FIXED ADDRESS|"
        # a pointer to another field or form: shared by strangers, it says nothing
        "SAME|SAME AS ABOVE|SEE ABOVE|SAME ADDRESS|SAME AS SPONSOR|SAME AS CHILD|"
        "SAME AS PARENT|MISMO|MISMA|LA MISMA|MISMA DIRECCION|IGUAL|"
        # not given
        "TBD|PENDING|REFUSED|DECLINED|NOT GIVEN|NONE GIVEN|NOT PROVIDED|NO PROPORCIONADO|"
        "NO PROPORCIONADA|UNKNOWN ADDRESS|ADDRESS UNKNOWN|DIRECCION DESCONOCIDA|NO TIENE|"
        "NINGUNO|NINGUNA|SIN INFORMACION"
    ).split("|")
)


# --- written form -> normal form ------------------------------------------------------


def state_code(text: str) -> str | None:
    """USPS code of a state written as a code, an English or Spanish name; else None."""
    return STATES.get(alnum(text.upper()))


_ZIP = re.compile(r"(\d{5})(?: ?-? ?\d{4})?|(\d{4})(?: ?- ?\d{4}|\d{4})?|(\d{3})(?:-?\d{4})?")


def zip5(text: str) -> str | None:
    """ZIP5 of a ZIP, ZIP+4 or 9-digit ZIP; leading zeros put back; else None.

    Spreadsheets drop leading zeros: 4 digits ("2134") or 8 ("21341234") are New
    England ZIPs, 3 digits from 501 up are 005xx-009xx (Holtsville, Puerto Rico).
    A ZIP of one repeated digit ("00000", "99999") is a placeholder.
    """
    match = _ZIP.fullmatch(spreadsheet_text(text.strip()))
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


def plain_text(text: str) -> str | None:
    """Words without commas: how text that is no U.S. address part is kept."""
    return " ".join(text.replace(",", " ").split()) or None


def direction_code(value: str | None) -> str | None:
    """N, NE, ... for a directional however written; other text as it was."""
    return DIRECTIONS.get(alnum(value), value) if value else None


def street_type_code(value: str | None) -> str | None:
    """Each word of a street type as its USPS abbreviation (AVENUE -> AVE)."""
    return " ".join(SUFFIXES.get(w, w) for w in value.split()) if value else None


def unit_code(designator: str, ident: str) -> str | None:
    """'APT 4B', 'STE 200', 'BLDG 5'; '#4' and a bare identifier are apartments."""
    code = None
    if designator:
        key = alnum(designator)
        code = UNITS.get(key, key) if key else "APT"
    if ident:
        ident = ident.replace("#", "").replace(" ", "").replace("-", "")
        if ident.isdigit():
            ident = ident.lstrip("0") or "0"
    if ident and code is None:
        code = "APT"
    return " ".join(p for p in (code, ident) if p) or None
