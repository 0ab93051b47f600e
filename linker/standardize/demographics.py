"""Sex, country and stated relationship: free text onto small closed vocabularies.

These fields are short, repeat heavily and arrive in English or Spanish (some
Portuguese and French), so each is an exact lookup after one normalization:
transliterated to ASCII, upper-cased, punctuation turned into spaces. No fuzzy
matching: a wrong country or sex is evidence against a true match, a null is not.

Country codes: ISO 3166-1 alpha-2 out, always. DHS systems historically stored FIPS
10-4 codes, which reuse ISO letters for other countries (FIPS "ES" is El Salvador, ISO
"ES" is Spain), so a source declares `codes = "fips"` and its two-letter values are
read as FIPS first. Kosovo, absent from ISO, is "XK" as in most agency systems.
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from typing import Final, Literal, get_args

import pandas as pd
import pycountry
from unidecode import unidecode

from linker.errors import ConfigError
from linker.mapping import SexCodes
from linker.standardize.text import map_unique

Sex = Literal["M", "F"]
CountryCodes = Literal["iso", "fips"]
Relationship = Literal[
    "MOTHER", "FATHER", "PARENT", "STEPPARENT", "SIBLING", "GRANDPARENT", "AUNT_UNCLE",
    "COUSIN", "SPOUSE", "OTHER_RELATIVE", "FAMILY_FRIEND", "NONE", "OTHER",
]  # fmt: skip
RELATIONSHIPS: Final[tuple[str, ...]] = get_args(Relationship)

_APOSTROPHES = re.compile(r"['`\u2019\u00b4]")
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def _normalize(text: str) -> str:
    """ASCII, upper case, apostrophes deleted, other punctuation as single spaces."""
    if not text.isascii():
        text = unidecode(text)
    return _NOT_ALNUM.sub(" ", _APOSTROPHES.sub("", text.upper())).strip()


# --- sex ------------------------------------------------------------------------------

# "H" (hombre? hembra?) is left out on purpose: both readings occur.
_SEX: Final[dict[str, Sex]] = {
    **dict.fromkeys(
        ["M", "MALE", "MAN", "BOY", "MASC", "MASCULINO", "MASCULINE", "MASCULIN", "HOMBRE",
         "VARON", "NINO", "HOMME", "MALE M", "M MALE"],
        "M",
    ),
    **dict.fromkeys(
        ["F", "FEMALE", "WOMAN", "GIRL", "FEM", "FEMENINO", "FEMENINA", "FEMININE", "FEMININ",
         "MUJER", "NINA", "FEMME", "FEMALE F", "F FEMALE"],
        "F",
    ),
}  # fmt: skip


_UNKNOWN_SEX: Final = frozenset({"U", "X", "UNK", "UNKNOWN", "DESCONOCIDO", "NA", "N A"})

# What single codes mean in the other code sets; words and the rest read as letters.
_SEX_CODE_SETS: Final[dict[SexCodes, dict[str, Sex | None]]] = {
    "letters": {},
    "iso5218": {"1": "M", "2": "F", "0": None, "9": None},
    "spanish": {"H": "M", "M": "F"},
}


def standardize_sex(values: pd.Series, codes: SexCodes | None = None) -> pd.Series:
    """Sex as "M", "F" or null; unknown codes ("U", "X", "UNKNOWN", "DESCONOCIDO") are null.

    `codes` is how the column writes it (`linker.mapping.SexCodes`; default letters):
    in "iso5218" 1 and 2 are male and female, in "spanish" H is hombre and M mujer.
    """
    table = _SEX_CODE_SETS[codes or "letters"]

    def read(text: str) -> Sex | None:
        key = _normalize(text)
        return table[key] if key in table else _SEX.get(key)

    return pd.Series(map_unique(values, read), index=values.index, dtype=object)


def column_sex_codes(values: pd.Series) -> SexCodes:
    """How a sex column writes it, from its values (settled per extract, as a date
    column's order is): ISO/IEC 5218 when its codes are digits and both 1 and 2 occur;
    Spanish initials when H and M occur and F never does (a column holding "H" reads
    "M" as mujer); letters otherwise, "M" being male."""
    present = {_normalize(str(v)) for v in pd.unique(values.dropna())}
    present.discard("")
    if {"1", "2"} <= present and present - set(_SEX) - _UNKNOWN_SEX <= {"0", "1", "2", "9"}:
        return "iso5218"
    if {"H", "M"} <= present and "F" not in present:
        return "spanish"
    return "letters"


# --- country --------------------------------------------------------------------------

# FIPS 10-4 (as kept in DHS systems) -> ISO 3166-1 alpha-2, for every sovereign country
# and the inhabited territories; the uninhabited FIPS-only islands are left out, and so
# is Svalbard (FIPS "SV"): in a column that mixes code sets "SV" is El Salvador.
FIPS_TO_ISO: Final[dict[str, str]] = {
    "AF": "AF", "AL": "AL", "AG": "DZ", "AQ": "AS", "AN": "AD", "AO": "AO", "AV": "AI",
    "AC": "AG", "AR": "AR", "AM": "AM", "AA": "AW", "AS": "AU", "AU": "AT", "AJ": "AZ",
    "BF": "BS", "BA": "BH", "BG": "BD", "BB": "BB", "BO": "BY", "BE": "BE", "BH": "BZ",
    "BN": "BJ", "BD": "BM", "BT": "BT", "BL": "BO", "BK": "BA", "BC": "BW", "BR": "BR",
    "VI": "VG", "BX": "BN", "BU": "BG", "UV": "BF", "BM": "MM", "BY": "BI", "CV": "CV",
    "CB": "KH", "CM": "CM", "CA": "CA", "CJ": "KY", "CT": "CF", "CD": "TD", "CI": "CL",
    "CH": "CN", "CO": "CO", "CN": "KM", "CF": "CG", "CG": "CD", "CW": "CK", "CS": "CR",
    "IV": "CI", "HR": "HR", "CU": "CU", "UC": "CW", "CY": "CY", "EZ": "CZ", "DA": "DK",
    "DJ": "DJ", "DO": "DM", "DR": "DO", "EC": "EC", "EG": "EG", "ES": "SV", "EK": "GQ",
    "ER": "ER", "EN": "EE", "WZ": "SZ", "ET": "ET", "FK": "FK", "FO": "FO", "FJ": "FJ",
    "FI": "FI", "FR": "FR", "FG": "GF", "FP": "PF", "GB": "GA", "GA": "GM", "GZ": "PS",
    "GG": "GE", "GM": "DE", "GH": "GH", "GI": "GI", "GR": "GR", "GL": "GL", "GJ": "GD",
    "GP": "GP", "GQ": "GU", "GT": "GT", "GK": "GG", "GV": "GN", "PU": "GW", "GY": "GY",
    "HA": "HT", "HO": "HN", "HK": "HK", "HU": "HU", "IC": "IS", "IN": "IN", "ID": "ID",
    "IR": "IR", "IZ": "IQ", "EI": "IE", "IM": "IM", "IS": "IL", "IT": "IT", "JM": "JM",
    "JA": "JP", "JE": "JE", "JO": "JO", "KZ": "KZ", "KE": "KE", "KR": "KI", "KN": "KP",
    "KS": "KR", "KV": "XK", "KU": "KW", "KG": "KG", "LA": "LA", "LG": "LV", "LE": "LB",
    "LT": "LS", "LI": "LR", "LY": "LY", "LS": "LI", "LH": "LT", "LU": "LU", "MC": "MO",
    "MK": "MK", "MA": "MG", "MI": "MW", "MY": "MY", "MV": "MV", "ML": "ML", "MT": "MT",
    "RM": "MH", "MB": "MQ", "MR": "MR", "MP": "MU", "MF": "YT", "MX": "MX", "FM": "FM",
    "MD": "MD", "MN": "MC", "MG": "MN", "MJ": "ME", "MH": "MS", "MO": "MA", "MZ": "MZ",
    "WA": "NA", "NR": "NR", "NP": "NP", "NL": "NL", "NC": "NC", "NZ": "NZ", "NU": "NI",
    "NG": "NE", "NI": "NG", "NE": "NU", "NF": "NF", "CQ": "MP", "NO": "NO", "MU": "OM",
    "PK": "PK", "PS": "PW", "WE": "PS", "PM": "PA", "PP": "PG", "PA": "PY", "PE": "PE",
    "RP": "PH", "PC": "PN", "PL": "PL", "PO": "PT", "RQ": "PR", "QA": "QA", "RE": "RE",
    "RO": "RO", "RS": "RU", "RW": "RW", "TB": "BL", "SH": "SH", "SC": "KN", "ST": "LC",
    "RN": "MF", "SB": "PM", "VC": "VC", "WS": "WS", "SM": "SM", "TP": "ST", "SA": "SA",
    "SG": "SN", "RI": "RS", "SE": "SC", "SL": "SL", "SN": "SG", "NN": "SX", "LO": "SK",
    "SI": "SI", "BP": "SB", "SO": "SO", "SF": "ZA", "OD": "SS", "SP": "ES", "CE": "LK",
    "SU": "SD", "NS": "SR", "SW": "SE", "SZ": "CH", "SY": "SY", "TW": "TW",
    "TI": "TJ", "TZ": "TZ", "TH": "TH", "TT": "TL", "TO": "TG", "TL": "TK", "TN": "TO",
    "TD": "TT", "TS": "TN", "TU": "TR", "TX": "TM", "TK": "TC", "TV": "TV", "UG": "UG",
    "UP": "UA", "AE": "AE", "UK": "GB", "US": "US", "UY": "UY", "UZ": "UZ", "NH": "VU",
    "VT": "VA", "VE": "VE", "VM": "VN", "VQ": "VI", "WF": "WF", "WI": "EH", "YM": "YE",
    "ZA": "ZM", "ZI": "ZW",
}  # fmt: skip

# Spanish country names, written without accents (the lookup strips them).
SPANISH_COUNTRY_NAMES: Final[dict[str, str]] = {
    "AFGANISTAN": "AF", "ALBANIA": "AL", "ALEMANIA": "DE", "ANGOLA": "AO",
    "ANTIGUA Y BARBUDA": "AG", "ARABIA SAUDITA": "SA", "ARABIA SAUDI": "SA", "ARGELIA": "DZ",
    "ARGENTINA": "AR", "ARMENIA": "AM", "AUSTRALIA": "AU", "AUSTRIA": "AT",
    "AZERBAIYAN": "AZ", "BAHAMAS": "BS", "BANGLADES": "BD", "BANGLADESH": "BD",
    "BARBADOS": "BB", "BELGICA": "BE", "BELICE": "BZ", "BENIN": "BJ", "BIELORRUSIA": "BY",
    "BIRMANIA": "MM", "BOLIVIA": "BO", "BOSNIA Y HERZEGOVINA": "BA", "BRASIL": "BR",
    "BULGARIA": "BG", "BURKINA FASO": "BF", "BURUNDI": "BI", "BUTAN": "BT",
    "CABO VERDE": "CV", "CAMBOYA": "KH", "CAMERUN": "CM", "CANADA": "CA", "CHAD": "TD",
    "CHEQUIA": "CZ", "CHILE": "CL", "CHINA": "CN", "CHIPRE": "CY", "COLOMBIA": "CO",
    "CONGO": "CG", "COREA": "KR", "COREA DEL NORTE": "KP", "COREA DEL SUR": "KR",
    "COSTA DE MARFIL": "CI", "COSTA RICA": "CR", "CROACIA": "HR", "CUBA": "CU",
    "DINAMARCA": "DK", "DOMINICA": "DM", "ECUADOR": "EC", "EGIPTO": "EG",
    "EL SALVADOR": "SV", "SALVADOR": "SV", "EMIRATOS ARABES UNIDOS": "AE", "ERITREA": "ER",
    "ESLOVAQUIA": "SK", "ESLOVENIA": "SI", "ESPANA": "ES", "ESTADOS UNIDOS": "US",
    "ESTADOS UNIDOS DE AMERICA": "US", "EEUU": "US", "EE UU": "US", "EUA": "US",
    "ESTONIA": "EE", "ETIOPIA": "ET", "FILIPINAS": "PH", "FINLANDIA": "FI", "FRANCIA": "FR",
    "GABON": "GA", "GAMBIA": "GM", "GEORGIA": "GE", "GHANA": "GH", "GRANADA": "GD",
    "GRECIA": "GR", "GUATEMALA": "GT", "GUAYANA FRANCESA": "GF", "GUINEA": "GN",
    "GUINEA BISAU": "GW", "GUINEA ECUATORIAL": "GQ", "GUYANA": "GY", "HAITI": "HT",
    "HOLANDA": "NL", "HONDURAS": "HN", "HUNGRIA": "HU", "INDIA": "IN", "INDONESIA": "ID",
    "INGLATERRA": "GB", "GRAN BRETANA": "GB", "IRAK": "IQ", "IRAN": "IR", "IRLANDA": "IE",
    "ISLANDIA": "IS", "ISRAEL": "IL", "ITALIA": "IT", "JAMAICA": "JM", "JAPON": "JP",
    "JORDANIA": "JO", "KAZAJISTAN": "KZ", "KAZAJSTAN": "KZ", "KENIA": "KE",
    "KIRGUISTAN": "KG", "KOSOVO": "XK", "KUWAIT": "KW", "LAOS": "LA", "LETONIA": "LV",
    "LIBANO": "LB", "LIBERIA": "LR", "LIBIA": "LY", "LITUANIA": "LT", "MADAGASCAR": "MG",
    "MALASIA": "MY", "MALI": "ML", "MARRUECOS": "MA", "MAURITANIA": "MR", "MEXICO": "MX",
    "MEJICO": "MX", "ESTADOS UNIDOS MEXICANOS": "MX", "MOLDAVIA": "MD", "MONGOLIA": "MN",
    "MONTENEGRO": "ME", "MOZAMBIQUE": "MZ", "NEPAL": "NP", "NICARAGUA": "NI", "NIGER": "NE",
    "NIGERIA": "NG", "NORUEGA": "NO", "NUEVA ZELANDA": "NZ", "PAISES BAJOS": "NL",
    "PAKISTAN": "PK", "PANAMA": "PA", "PARAGUAY": "PY", "PERU": "PE", "POLONIA": "PL",
    "PORTUGAL": "PT", "PUERTO RICO": "PR", "REINO UNIDO": "GB", "REPUBLICA CHECA": "CZ",
    "REPUBLICA DEMOCRATICA DEL CONGO": "CD", "REPUBLICA DOMINICANA": "DO",
    "REP DOMINICANA": "DO", "RUANDA": "RW", "RUMANIA": "RO", "RUSIA": "RU",
    "SAN CRISTOBAL Y NIEVES": "KN", "SAN VICENTE Y LAS GRANADINAS": "VC",
    "SANTA LUCIA": "LC", "SENEGAL": "SN", "SERBIA": "RS", "SIERRA LEONA": "SL",
    "SIRIA": "SY", "SOMALIA": "SO", "SRI LANKA": "LK", "SUDAFRICA": "ZA", "SUDAN": "SD",
    "SUDAN DEL SUR": "SS", "SUECIA": "SE", "SUIZA": "CH", "SURINAM": "SR",
    "TAILANDIA": "TH", "TAIWAN": "TW", "TANZANIA": "TZ", "TAYIKISTAN": "TJ", "TOGO": "TG",
    "TRINIDAD Y TOBAGO": "TT", "TUNEZ": "TN", "TURKMENISTAN": "TM", "TURQUIA": "TR",
    "UCRANIA": "UA", "UGANDA": "UG", "URUGUAY": "UY", "UZBEKISTAN": "UZ",
    "VENEZUELA": "VE", "VIETNAM": "VN", "YEMEN": "YE", "ZAMBIA": "ZM", "ZIMBABUE": "ZW",
}  # fmt: skip

# English short forms, old names, abbreviations and the nationalities officers write in
# a country column ("MEXICAN", "HONDURENA"). "KOREA" alone is South Korea, as in DHS data.
COUNTRY_ALIASES: Final[dict[str, str]] = {
    "USA": "US", "UNITED STATES": "US", "UNITED STATES OF AMERICA": "US", "AMERICA": "US",
    "UK": "GB", "GREAT BRITAIN": "GB", "BRITAIN": "GB", "ENGLAND": "GB", "SCOTLAND": "GB",
    "WALES": "GB", "NORTHERN IRELAND": "GB", "RUSSIA": "RU", "KOREA": "KR",
    "SOUTH KOREA": "KR", "KOREA SOUTH": "KR", "ROK": "KR", "NORTH KOREA": "KP",
    "KOREA NORTH": "KP", "DPRK": "KP", "VIETNAM": "VN", "TURKEY": "TR", "TURKIYE": "TR",
    "BURMA": "MM", "MYANMAR": "MM", "IVORY COAST": "CI", "COTE DIVOIRE": "CI",
    "CAPE VERDE": "CV", "CZECH REPUBLIC": "CZ", "CZECHIA": "CZ", "BOLIVIA": "BO",
    "IRAN": "IR", "VENEZUELA": "VE", "TANZANIA": "TZ", "SYRIA": "SY", "LAOS": "LA",
    "MOLDOVA": "MD", "MACEDONIA": "MK", "NORTH MACEDONIA": "MK", "PALESTINE": "PS",
    "VATICAN": "VA", "VATICAN CITY": "VA", "HOLY SEE": "VA", "BRUNEI": "BN",
    "CONGO KINSHASA": "CD", "DRC": "CD", "DR CONGO": "CD", "ZAIRE": "CD",
    "DEMOCRATIC REPUBLIC OF CONGO": "CD", "DEMOCRATIC REPUBLIC OF THE CONGO": "CD",
    "CONGO BRAZZAVILLE": "CG", "REPUBLIC OF THE CONGO": "CG", "EAST TIMOR": "TL",
    "SWAZILAND": "SZ", "ESWATINI": "SZ", "HOLLAND": "NL", "NETHERLANDS": "NL",
    "GAMBIA": "GM", "BAHAMAS": "BS", "MICRONESIA": "FM", "ST LUCIA": "LC",
    "ST KITTS AND NEVIS": "KN", "ST VINCENT AND THE GRENADINES": "VC",
    "TRINIDAD": "TT", "DOMINICAN REP": "DO", "DOM REP": "DO", "KYRGYZ REPUBLIC": "KG",
    "SLOVAK REPUBLIC": "SK", "PRC": "CN", "PEOPLES REPUBLIC OF CHINA": "CN", "UAE": "AE",
    "KSA": "SA", "MACAO": "MO", "MACAU": "MO", "KOSOVO": "XK", "SERBIA AND MONTENEGRO": "RS",
    "MEXICAN": "MX", "MEXICANO": "MX", "MEXICANA": "MX", "GUATEMALAN": "GT",
    "GUATEMALTECO": "GT", "GUATEMALTECA": "GT", "HONDURAN": "HN", "HONDURENO": "HN",
    "HONDURENA": "HN", "SALVADORAN": "SV", "SALVADORIAN": "SV", "SALVADORENO": "SV",
    "SALVADORENA": "SV", "NICARAGUAN": "NI", "NICARAGUENSE": "NI", "CUBAN": "CU",
    "CUBANO": "CU", "CUBANA": "CU", "HAITIAN": "HT", "HAITIANO": "HT", "HAITIANA": "HT",
    "VENEZUELAN": "VE", "VENEZOLANO": "VE", "VENEZOLANA": "VE", "COLOMBIAN": "CO",
    "COLOMBIANO": "CO", "COLOMBIANA": "CO", "ECUADORIAN": "EC", "ECUATORIANO": "EC",
    "ECUATORIANA": "EC", "PERUVIAN": "PE", "PERUANO": "PE", "PERUANA": "PE",
    "BRAZILIAN": "BR", "BRASILENO": "BR", "BRASILENA": "BR", "DOMINICAN": "DO",
    "DOMINICANO": "DO", "DOMINICANA": "DO", "CHINESE": "CN", "INDIAN": "IN",
    "RUSSIAN": "RU", "UKRAINIAN": "UA", "AMERICAN": "US", "ESTADOUNIDENSE": "US",
}  # fmt: skip

_COUNTRY_NULLS: Final = frozenset(
    {"N A", "NONE", "NULL", "UNKNOWN", "UNK", "DESCONOCIDO", "XX", "ZZ", "OTHER", "OTRO"}
)
_NAME_PREFIXES: Final = ("THE ", "REPUBLIC OF ", "REPUBLICA DE ", "REPUBLICA DEL ")


def standardize_countries(values: pd.Series, codes: CountryCodes = "iso") -> pd.Series:
    """ISO 3166-1 alpha-2 codes from codes (alpha-2, alpha-3 or three-digit numeric) or
    names in English or Spanish; null if unknown.

    With codes="fips", two-letter values are read as FIPS 10-4 codes first (HO ->
    HN Honduras, ES -> SV El Salvador, SP -> ES Spain), then as ISO; names still work.
    """
    if codes not in ("iso", "fips"):
        raise ConfigError(f"country codes must be 'iso' or 'fips' (got {codes!r})")
    fips = codes == "fips"
    return pd.Series(
        map_unique(values, lambda text: _country(text, fips)), index=values.index, dtype=object
    )


def _country(text: str, fips: bool) -> str | None:
    key = _normalize(text)
    if not key or key in _COUNTRY_NULLS:
        return None
    alpha2, three, names = _country_tables()
    if len(key) == 2:
        if fips and key in FIPS_TO_ISO:
            return FIPS_TO_ISO[key]
        if key in alpha2:
            return alpha2[key]
    if len(key) == 3 and key in three:  # alpha-3 ("GTM") or numeric ("320")
        return three[key]
    if key in names:
        return names[key]
    compact = key.replace(" ", "")  # "U S A", "E E U U"
    if compact != key and compact in names:
        return names[compact]
    for prefix in _NAME_PREFIXES:
        if key.startswith(prefix) and key[len(prefix) :] in names:
            return names[key[len(prefix) :]]
    head, comma, tail = text.partition(",")
    if comma and tail.strip():  # "Congo, Democratic Republic of the": a list's inverted form
        return _country(f"{tail} {head}", fips)
    return _truncated_country(key)


# Legacy systems cut names to a field width ("GUAT", "EL SALV", "DOMINICAN REP"); a cut
# at least this long that begins the names of one country only is read as that country.
_MIN_TRUNCATED: Final = 4


def _truncated_country(key: str) -> str | None:
    """The one country whose names begin with `key`, or None ("NIGE": Niger, Nigeria)."""
    if len(key) < _MIN_TRUNCATED:
        return None
    names, codes = _sorted_names()
    start = bisect.bisect_left(names, key)
    end = bisect.bisect_left(names, key + "\uffff", lo=start)
    found = set(codes[start:end])
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _sorted_names() -> tuple[list[str], list[str]]:
    names = _country_tables()[2]
    ordered = sorted(names)
    return ordered, [names[n] for n in ordered]


@lru_cache(maxsize=1)
def _country_tables() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """The alpha-2 and the three-character (alpha-3 and numeric) code lookups and the
    normalized-name table, built once.

    pycountry names give several spellings per country ("KOREA REPUBLIC OF", "SOUTH
    KOREA", "BOLIVIA" from "Bolivia (Plurinational State of)"); a spelling that would
    point at two countries ("KOREA", "CONGO" from the parenthesis-free forms) is kept
    only when one of our own tables decides it.
    """
    alpha2 = {c.alpha_2: c.alpha_2 for c in pycountry.countries}
    alpha2["UK"] = "GB"
    alpha2["XK"] = "XK"
    three = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
    three["XKX"] = "XK"
    # ISO 3166-1 numeric, three digits as the standard writes them ("320" Guatemala);
    # a shorter number ("12") is too likely something else to be read as one.
    three.update({c.numeric: c.alpha_2 for c in pycountry.countries})
    candidates: dict[str, set[str]] = {}
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            name = getattr(country, attr, None)
            if name:
                for spelling in _spellings(name):
                    candidates.setdefault(spelling, set()).add(country.alpha_2)
    names = {k: next(iter(v)) for k, v in candidates.items() if len(v) == 1}
    for table in (SPANISH_COUNTRY_NAMES, COUNTRY_ALIASES):
        names.update({_normalize(k): v for k, v in table.items()})
    return alpha2, three, names


def _spellings(name: str) -> set[str]:
    """A pycountry name, its parenthesis-free form and its "X, Y OF" reversed form."""
    out = {_normalize(name)}
    bare = re.sub(r"\s*\(.*?\)", "", name).strip()
    out.add(_normalize(bare))
    if "," in bare:
        head, tail = (part.strip() for part in bare.split(",", 1))
        out.add(_normalize(f"{tail} {head}"))
        out.add(_normalize(head))
    out.discard("")
    return out


# --- stated relationship ----------------------------------------------------------------

_R: Final[dict[str, list[str]]] = {
    "MOTHER": ["MOTHER", "MOM", "MOMMY", "MUM", "MAMA", "MADRE", "MAMI", "MAMITA", "MERE",
               "MAMAN", "MAE"],
    "FATHER": ["FATHER", "DAD", "DADDY", "PAPA", "PADRE", "PAPI", "PAPITO", "PERE", "PAI",
               "PAPAI"],
    "PARENT": ["PARENT", "PARENTS", "PADRES", "PROGENITOR", "PROGENITORA", "MOTHERFATHER",
               "FATHERMOTHER", "PARENTGUARDIAN", "MADREPADRE", "PADREMADRE"],
    "STEPPARENT": ["STEPPARENT", "STEPPARENTS", "STEPFATHER", "STEPMOTHER", "STEPDAD",
                   "STEPMOM", "PADRASTRO", "MADRASTRA"],
    "SIBLING": ["SIBLING", "SIBLINGS", "BROTHER", "SISTER", "BROTHERS", "SISTERS", "BRO",
                "SIS", "HERMANO", "HERMANA", "HERMANOS", "HERMANAS", "TWIN", "GEMELO",
                "GEMELA", "MELLIZO", "MELLIZA", "IRMAO", "IRMA", "FRERE", "SOEUR"],
    "GRANDPARENT": ["GRANDPARENT", "GRANDPARENTS", "GRANDMOTHER", "GRANDFATHER", "GRANDMA",
                    "GRANDPA", "GRANNY", "ABUELA", "ABUELO", "ABUELOS", "ABUELITA",
                    "ABUELITO", "BISABUELA", "BISABUELO", "AVO", "AVOS"],
    "AUNT_UNCLE": ["AUNTUNCLE", "UNCLEAUNT", "AUNT", "UNCLE", "AUNTIE", "AUNTY", "TIA", "TIO",
                   "TIOS", "TIAS", "TIATIO", "TIOTIA", "TANTE", "ONCLE"],
    "COUSIN": ["COUSIN", "COUSINS", "PRIMO", "PRIMA", "PRIMOS", "PRIMAS", "COUSINE",
               "PRIMOHERMANO", "PRIMAHERMANA"],
    "SPOUSE": ["SPOUSE", "HUSBAND", "WIFE", "ESPOSO", "ESPOSA", "MARIDO", "CONYUGE",
               "PARTNER", "DOMESTICPARTNER", "CONCUBINO", "CONCUBINA", "COMPANERO",
               "COMPANERA", "PAREJA", "COMMONLAWSPOUSE", "COMMONLAWWIFE",
               "COMMONLAWHUSBAND", "MARI", "EPOUSE"],
    "OTHER_RELATIVE": ["OTHERRELATIVE", "RELATIVE", "RELATIVES", "FAMILY", "FAMILYMEMBER",
                       "FAMILIAR", "PARIENTE", "OTHERFAMILY", "DISTANTRELATIVE",
                       "EXTENDEDFAMILY", "NEPHEW", "NIECE", "SOBRINO", "SOBRINA", "SON",
                       "DAUGHTER", "HIJO", "HIJA", "CHILD", "GRANDSON", "GRANDDAUGHTER",
                       "GRANDCHILD", "NIETO", "NIETA", "CUNADO", "CUNADA", "SUEGRO",
                       "SUEGRA", "YERNO", "NUERA", "STEPBROTHER", "STEPSISTER",
                       "STEPSIBLING", "HERMANASTRO", "HERMANASTRA", "STEPSON",
                       "STEPDAUGHTER", "HIJASTRO", "HIJASTRA", "TIOABUELO", "TIAABUELA"],
    "FAMILY_FRIEND": ["FAMILYFRIEND", "FAMILYFRIENDS", "FRIENDFAMILY", "FRIEND", "FRIENDS",
                      "AMIGO", "AMIGA", "AMIGOS", "AMIGOFAMILIA", "AMIGAFAMILIA",
                      "AMIGOSFAMILIA", "AMISTAD", "CONOCIDO", "CONOCIDA", "ACQUAINTANCE",
                      "GODMOTHER", "GODFATHER", "GODPARENT", "MADRINA", "PADRINO", "COMADRE",
                      "COMPADRE", "NEIGHBOR", "NEIGHBOUR", "VECINO", "VECINA", "AMI", "AMIE"],
    "NONE": ["NONE", "UNRELATED", "NORELATION", "NORELATIONSHIP", "NOTRELATED", "NONRELATED",
             "NONRELATIVE", "NORELATIVE", "NOFAMILY", "NINGUNO", "NINGUNA",
             "NINGUNARELACION", "SINRELACION", "SINPARENTESCO", "NOFAMILIAR", "NOESFAMILIAR",
             "NOPARIENTE"],
    "OTHER": ["OTHER", "OTRO", "OTRA", "SPONSOR", "PATROCINADOR", "PATROCINADORA", "GUARDIAN",
              "TUTOR", "TUTORA", "CUSTODIAN", "CAREGIVER", "FOSTERPARENT", "FOSTERMOTHER",
              "FOSTERFATHER", "EMPLOYER", "BOYFRIEND", "GIRLFRIEND", "NOVIO", "NOVIA",
              "FIANCE", "FIANCEE", "SELF"],
}  # fmt: skip
_RELATIONSHIP: Final[dict[str, str]] = {word: code for code, words in _R.items() for word in words}

# Qualifiers that do not change the category ("maternal aunt", "half-brother",
# "hermano de sangre", "abuela por parte de madre", "child's mother").
_REL_FILLER: Final = frozenset(
    {
        "BIOLOGICAL", "BIO", "NATURAL", "BIRTH", "MATERNAL", "PATERNAL", "BIOLOGICO",
        "BIOLOGICA", "MATERNO", "MATERNA", "PATERNO", "PATERNA", "DE", "DEL", "LA", "EL",
        "LOS", "LAS", "MY", "MI", "SU", "THE", "OF", "A", "AN", "CHILDS", "MINORS", "UCS",
        "ADULT", "FULL", "FIRST", "SECOND", "OLDER", "YOUNGER", "MAYOR", "MENOR", "BLOOD",
        "SANGRE", "CARNAL", "LEGAL", "ADOPTIVE", "ADOPTED", "ADOPTIVO", "ADOPTIVA", "HALF",
        "MEDIO", "MEDIA", "REAL", "OWN", "IS", "ES",
    }
)  # fmt: skip
_REL_NULLS: Final = frozenset({"UNKNOWN", "UNK", "DESCONOCIDO", "DESCONOCIDA", "NA", "NULL"})
_SIDE_OF_FAMILY = re.compile(r"\bPOR PARTE (?:DE|DEL) (?:SU |LA |EL )?(?:MADRE|PADRE|MAMA|PAPA)\b")
_IN_LAW = re.compile(r"\bIN LAW\b|\bPOLITIC[OA]\b|INLAW\b")
_SEGMENTS = re.compile(r"[/,;(]")


def standardize_relationship(values: pd.Series) -> pd.Series:
    """The stated relationship as one of `RELATIONSHIPS`, or null when blank or unknown.

    English and Spanish, with qualifiers dropped ("maternal aunt" -> AUNT_UNCLE,
    "half-brother" -> SIBLING, "step-father" -> STEPPARENT, in-laws -> OTHER_RELATIVE).
    Text that names no relationship we know but has letters is OTHER: something was
    stated, it just does not fit a category the family graph uses.
    """
    return pd.Series(map_unique(values, _relationship), index=values.index, dtype=object)


def _relationship(text: str) -> str | None:
    if not text.isascii():
        text = unidecode(text)
    text = _APOSTROPHES.sub("", text.upper())
    # the whole text first ("Mother/Father" is PARENT), then each part ("Aunt/Godmother")
    for segment in [text, *_SEGMENTS.split(text)]:
        code = _relationship_phrase(_NOT_ALNUM.sub(" ", segment).strip())
        if code is not None:
            return code
    key = _NOT_ALNUM.sub("", text.upper())
    if not key or key in _REL_NULLS or not any(ch.isalpha() for ch in key):
        return None
    return "OTHER"


def _relationship_phrase(phrase: str) -> str | None:
    if not phrase:
        return None
    if (code := _RELATIONSHIP.get(phrase.replace(" ", ""))) is not None:
        return code
    if _IN_LAW.search(phrase):
        return "OTHER_RELATIVE"
    phrase = _SIDE_OF_FAMILY.sub(" ", phrase)
    key = "".join(t for t in phrase.split() if t not in _REL_FILLER)
    if (code := _RELATIONSHIP.get(key)) is not None:
        return code
    for prefix in ("HALF", "MEDIO", "MEDIA"):
        if key.startswith(prefix) and _RELATIONSHIP.get(key[len(prefix) :]) == "SIBLING":
            return "SIBLING"
    if key.startswith("STEP"):
        base = _RELATIONSHIP.get(key[4:])
        if base in ("MOTHER", "FATHER", "PARENT"):
            return "STEPPARENT"
        return "OTHER_RELATIVE" if base else None
    if key.startswith("GREAT"):
        base = _RELATIONSHIP.get(key[5:].removeprefix("GREAT"))
        if base == "GRANDPARENT":
            return "GRANDPARENT"
        return "OTHER_RELATIVE" if base else None
    return None
