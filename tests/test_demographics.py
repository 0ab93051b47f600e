from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker.errors import ConfigError
from linker.standardize.demographics import (
    COUNTRY_ALIASES,
    FIPS_TO_ISO,
    RELATIONSHIPS,
    SPANISH_COUNTRY_NAMES,
    column_sex_codes,
    standardize_countries,
    standardize_relationship,
    standardize_sex,
)

NULLS = [None, np.nan, pd.NA, "", "   ", "\t"]


def one(func: Callable[..., pd.Series], value: object, **kwargs: object) -> object:
    out = func(pd.Series([value], index=["k"], dtype=object), **kwargs)
    assert out.index.tolist() == ["k"]
    return out.iloc[0]


# --- sex ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        *[(v, "M") for v in ["M", "m", " M ", "m.", "Male", "MALE", "Masculino", "hombre"]],
        *[(v, "M") for v in ["Varón", "VARON", "boy", "Niño"]],
        *[(v, "F") for v in ["F", "f", "Female", "FEMENINO", "Femenina", "mujer", "Niña"]],
        *[(v, "F") for v in ["girl", "F (female)", "Femme"]],
        *[(v, None) for v in ["H", "h", "U", "X", "UNKNOWN", "Desconocido", "N/A", "1", "?"]],
        *[(v, None) for v in NULLS],
    ],
)
def test_sex_cases(raw: object, expected: str | None) -> None:
    assert one(standardize_sex, raw) == expected


@pytest.mark.parametrize(
    ("codes", "raw", "expected"),
    [
        ("iso5218", "1", "M"),
        ("iso5218", " 2 ", "F"),
        ("iso5218", "0", None),  # not known
        ("iso5218", "9", None),  # not applicable
        ("iso5218", "3", None),
        ("iso5218", "Female", "F"),  # a word still reads in a column of digits
        ("spanish", "H", "M"),  # hombre
        ("spanish", "m", "F"),  # mujer
        ("spanish", "Masculino", "M"),
        ("spanish", "F", "F"),
        ("letters", "M", "M"),
        ("letters", "1", None),
        ("letters", "H", None),  # hombre or hembra: no telling
    ],
)
def test_sex_code_sets(codes: str, raw: str, expected: str | None) -> None:
    assert one(standardize_sex, raw, codes=codes) == expected


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["M", "F", "M", None], "letters"),
        (["Male", "Female", "Unknown"], "letters"),
        (["1", "2", "9", "1", None], "iso5218"),
        (["1", "2", "0", "U"], "iso5218"),
        (["2", "1", "M", "F"], "iso5218"),  # digits and letters mixed: both read
        (["1", "1"], "letters"),  # one code alone says nothing
        (["1", "2", "3"], "letters"),  # not ISO 5218's codes
        (["H", "M", "H"], "spanish"),
        (["h", "m", "Hombre"], "spanish"),
        (["H", "M", "F"], "letters"),  # an F: M is male, H a stray
        (["M", "M"], "letters"),  # without an H, M stays male
        ([], "letters"),
    ],
)
def test_a_sex_column_s_codes_come_from_its_values(values: list[str | None], expected: str) -> None:
    assert column_sex_codes(pd.Series(values, dtype=object)) == expected


# --- country ------------------------------------------------------------------------------

SPANISH = {
    "Guatemala": "GT", "El Salvador": "SV", "Honduras": "HN", "México": "MX", "Mexico": "MX",
    "Estados Unidos": "US", "EE.UU.": "US", "Venezuela": "VE", "Haití": "HT", "Brasil": "BR",
    "Cuba": "CU", "Nicaragua": "NI", "Ecuador": "EC", "Colombia": "CO", "Perú": "PE",
    "Rusia": "RU", "Ucrania": "UA", "Turquía": "TR", "Rumania": "RO", "Rumanía": "RO",
    "China": "CN", "India": "IN", "República Dominicana": "DO", "Costa Rica": "CR",
    "Panamá": "PA", "Chile": "CL", "Argentina": "AR", "Bolivia": "BO", "Paraguay": "PY",
    "Uruguay": "UY", "Jamaica": "JM", "Senegal": "SN", "Mauritania": "MR", "Angola": "AO",
    "Ghana": "GH", "Nigeria": "NG", "Camerún": "CM", "Afganistán": "AF", "Bangladés": "BD",
    "Nepal": "NP", "Pakistán": "PK", "Uzbekistán": "UZ", "Georgia": "GE", "Kazajistán": "KZ",
    "España": "ES", "Francia": "FR", "Alemania": "DE", "Reino Unido": "GB", "Canadá": "CA",
    "Italia": "IT", "Portugal": "PT", "Japón": "JP", "Corea del Sur": "KR", "Vietnam": "VN",
    "Filipinas": "PH", "Costa de Marfil": "CI",
}  # fmt: skip
ENGLISH = {
    "USA": "US", "U.S.A.": "US", "United States": "US", "UNITED STATES OF AMERICA": "US",
    "RUSSIA": "RU", "Russian Federation": "RU", "SOUTH KOREA": "KR", "Korea, Republic of": "KR",
    "Republic of Korea": "KR", "North Korea": "KP", "VIETNAM": "VN", "Viet Nam": "VN",
    "TURKEY": "TR", "TURKIYE": "TR", "Türkiye": "TR", "BURMA": "MM", "Myanmar": "MM",
    "IVORY COAST": "CI", "Côte d'Ivoire": "CI", "CAPE VERDE": "CV", "Cabo Verde": "CV",
    "CZECH REPUBLIC": "CZ", "Czechia": "CZ", "BOLIVIA": "BO",
    "Bolivia (Plurinational State of)": "BO", "IRAN": "IR", "Iran, Islamic Republic of": "IR",
    "Venezuela, Bolivarian Republic of": "VE", "TANZANIA": "TZ", "The Gambia": "GM",
    "Democratic Republic of the Congo": "CD", "Taiwan": "TW", "Laos": "LA", "Syria": "SY",
    "Moldova": "MD", "United Kingdom": "GB", "England": "GB", "Germany": "DE",
    "Kosovo": "XK", "Honduran": "HN", "guatemalteca": "GT", "Salvadoreño": "SV",
    # a list's inverted form: "NAME, qualifier"
    "Congo, Democratic Republic of the": "CD", "China, People's Republic of": "CN",
    "Korea, Democratic People's Republic of": "KP", "Gambia, The": "GM",
    # names cut to a legacy field's width, when they begin one country's names only
    "GUAT": "GT", "EL SALV": "SV", "HOND": "HN", "DOMINICAN REP": "DO", "NICARAG": "NI",
    "VENEZ": "VE", "Guatemal": "GT",
}  # fmt: skip
# Cuts that begin several countries' names, or too short to say: no country.
AMBIGUOUS_CUTS = ["NIGE", "CONG", "GUIN", "KORE", "UNITED", "SOUTH", "GUA", "ELS"]
CODES = {
    "GT": "GT", "gt": "GT", " hn ": "HN", "SV": "SV", "ES": "ES", "MX": "MX", "UK": "GB",
    "XK": "XK", "GTM": "GT", "hnd": "HN", "SLV": "SV", "USA": "US", "DEU": "DE",
    "320": "GT", "340": "HN", "222": "SV", "484": "MX", "840": "US", "012": "DZ",
}  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), [*SPANISH.items(), *ENGLISH.items()])
def test_country_names(raw: str, expected: str) -> None:
    assert one(standardize_countries, raw) == expected
    assert one(standardize_countries, raw, codes="fips") == expected  # names still work


@pytest.mark.parametrize("raw", AMBIGUOUS_CUTS)
def test_a_cut_name_of_several_countries_is_no_country(raw: str) -> None:
    assert one(standardize_countries, raw) is None


@pytest.mark.parametrize(("raw", "expected"), CODES.items())
def test_iso_codes(raw: str, expected: str) -> None:
    assert one(standardize_countries, raw) == expected


FIPS = {
    "HO": "HN", "ES": "SV", "GT": "GT", "MX": "MX", "NU": "NI", "HA": "HT", "VE": "VE",
    "CU": "CU", "EC": "EC", "CO": "CO", "BR": "BR", "IN": "IN", "CH": "CN", "RS": "RU",
    "UP": "UA", "RO": "RO", "TU": "TR", "DR": "DO", "CS": "CR", "PM": "PA", "CI": "CL",
    "AR": "AR", "BL": "BO", "PA": "PY", "UY": "UY", "PE": "PE", "JM": "JM", "SG": "SN",
    "MR": "MR", "AO": "AO", "GH": "GH", "NI": "NG", "CM": "CM", "AF": "AF", "BG": "BD",
    "NP": "NP", "PK": "PK", "UZ": "UZ", "GG": "GE", "KZ": "KZ", "SP": "ES", "FR": "FR",
    "GM": "DE", "UK": "GB", "CA": "CA", "IT": "IT", "PO": "PT", "JA": "JP", "KS": "KR",
    "VM": "VN", "RP": "PH", "ho": "HN", " es ": "SV", "KV": "XK",
    "HN": "HN", "SV": "SV",  # not FIPS codes: read as ISO
}  # fmt: skip


@pytest.mark.parametrize(("raw", "expected"), FIPS.items())
def test_fips_codes(raw: str, expected: str) -> None:
    assert one(standardize_countries, raw, codes="fips") == expected


@pytest.mark.parametrize(("raw", "iso", "fips"), [("ES", "ES", "SV"), ("NI", "NI", "NG")])
def test_code_set_decides_two_letters(raw: str, iso: str, fips: str) -> None:
    assert one(standardize_countries, raw) == iso
    assert one(standardize_countries, raw, codes="fips") == fips


@pytest.mark.parametrize(
    "raw",
    [*NULLS, "Narnia", "UNKNOWN", "Desconocido", "N/A", "XX", "ZZ", "QQ", "12", "999", "Korea X"],
)
def test_unknown_country_is_null(raw: object) -> None:
    assert one(standardize_countries, raw) is None
    assert one(standardize_countries, raw, codes="fips") is None


def test_bad_code_set() -> None:
    with pytest.raises(ConfigError):
        standardize_countries(pd.Series(["GT"]), codes="iso2")  # type: ignore[arg-type]


def test_tables_point_at_real_iso_codes() -> None:
    iso = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    for table in (FIPS_TO_ISO, SPANISH_COUNTRY_NAMES, COUNTRY_ALIASES):
        assert set(table.values()) <= iso
    assert len(FIPS_TO_ISO) >= 80


def test_every_iso_country_name_and_code_is_read() -> None:
    countries = list(pycountry.countries)
    for column in ("alpha_2", "alpha_3", "name"):
        values = pd.Series([getattr(c, column) for c in countries])
        assert standardize_countries(values).tolist() == [c.alpha_2 for c in countries]


# --- relationship -------------------------------------------------------------------------

RELATIONSHIP_CASES = {
    "MOTHER": ["Mother", "mom", "Madre", "Mamá", "Biological mother", "Child's mother"],
    "FATHER": ["Father", "Dad", "Padre", "Papá", "PAPA", "father (bio)"],
    "PARENT": ["Parent", "Parents", "Padres", "Mother/Father"],
    "STEPPARENT": ["Step-father", "Stepmother", "step mom", "Padrastro", "Madrastra"],
    "SIBLING": ["Brother", "Sister", "Hermano", "Hermana", "Half-brother", "half sister",
                "Medio hermano", "Adult sibling", "Hermanos"],
    "GRANDPARENT": ["Grandmother", "grandpa", "Abuela", "Abuelo", "Maternal grandmother",
                    "Abuela por parte de madre", "Great grandmother", "Bisabuela"],
    "AUNT_UNCLE": ["Uncle", "Aunt", "Tío", "Tía", "tia", "Maternal aunt", "Aunt/Uncle",
                   "Tío paterno", "Aunt (godmother)"],
    "COUSIN": ["Cousin", "First cousin", "Primo", "Prima", "Prima hermana"],
    "SPOUSE": ["Husband", "Wife", "Esposo", "Esposa", "Spouse", "Common-law wife"],
    "OTHER_RELATIVE": ["Brother-in-law", "Cuñado", "Hermano político", "Nephew", "Sobrina",
                       "Great aunt", "Tía abuela", "Stepbrother", "Relative", "Son"],
    "FAMILY_FRIEND": ["Family friend", "Amigo de la familia", "Friend", "Friend of the family",
                      "amiga", "Godmother", "Padrino", "Neighbor"],
    "NONE": ["Unrelated", "No relation", "Not related", "None", "Ninguno", "Sin parentesco",
             "No es familiar"],
    "OTHER": ["Sponsor", "Other", "Otro", "Legal guardian", "Tutor", "Boyfriend",
              "something else entirely"],
}  # fmt: skip


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(raw, code) for code, raws in RELATIONSHIP_CASES.items() for raw in raws],
)
def test_relationship_cases(raw: str, expected: str) -> None:
    assert one(standardize_relationship, raw) == expected


@pytest.mark.parametrize("raw", [*NULLS, "N/A", "Unknown", "Desconocido", "???", "--", "123"])
def test_relationship_nulls(raw: object) -> None:
    assert one(standardize_relationship, raw) is None


def test_vocabulary_maps_to_itself() -> None:
    codes = pd.Series(list(RELATIONSHIPS))
    assert standardize_relationship(codes).tolist() == list(RELATIONSHIPS)
    assert len(RELATIONSHIPS) == 13


# --- properties ---------------------------------------------------------------------------

texts = st.lists(st.one_of(st.text(), st.none()), max_size=8)
FUNCTIONS: list[Callable[[pd.Series], pd.Series]] = [
    standardize_sex,
    standardize_countries,
    lambda s: standardize_countries(s, codes="fips"),
    standardize_relationship,
]


@given(texts)
def test_never_raise_keep_index_and_stay_in_vocabulary(values: list[str | None]) -> None:
    index = pd.RangeIndex(10, 10 + len(values))
    series = pd.Series(values, index=index, dtype=object)
    outs = [func(series) for func in FUNCTIONS]
    for out in outs:
        assert out.index.equals(index)
    assert set(outs[0].dropna()) <= {"M", "F"}
    iso = {c.alpha_2 for c in pycountry.countries} | {"XK"}
    assert set(outs[1].dropna()) <= iso and set(outs[2].dropna()) <= iso
    assert set(outs[3].dropna()) <= set(RELATIONSHIPS)
    for codes in ("letters", "iso5218", "spanish", column_sex_codes(series)):
        sex = standardize_sex(series, codes=codes)
        assert sex.index.equals(index) and set(sex.dropna()) <= {"M", "F"}


@given(texts)
def test_idempotent(values: list[str | None]) -> None:
    series = pd.Series(values, dtype=object)
    sex = standardize_sex(series)
    assert standardize_sex(sex).tolist() == sex.tolist()
    country = standardize_countries(series)
    assert standardize_countries(country).tolist() == country.tolist()
    relation = standardize_relationship(series)
    assert standardize_relationship(relation).tolist() == relation.tolist()


@given(texts, texts)
def test_each_value_is_read_on_its_own(values: list[str | None], others: list[str | None]) -> None:
    """The same values read alone, or reversed after other values, read the same."""
    for func in FUNCTIONS:
        alone = func(pd.Series(values, dtype=object))
        mixed = func(pd.Series(others + values[::-1], dtype=object))
        assert mixed.iloc[len(others) :].iloc[::-1].tolist() == alone.tolist()


@given(st.sampled_from(sorted(ENGLISH.items()) + sorted(SPANISH.items())))
def test_country_names_survive_case_and_spacing(item: tuple[str, str]) -> None:
    raw, expected = item
    variants = pd.Series([raw.lower(), raw.upper(), f"  {raw}  ", raw.replace(" ", "  ")])
    assert standardize_countries(variants).tolist() == [expected] * 4
