from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.errors import DataContractError
from linker.standardize.names import (
    NAME_COLUMNS,
    SPLIT_FAMILY,
    SPLIT_GIVEN,
    SPLIT_MIDDLE,
    canonical_given_name,
    phonetic_code,
    phonetic_key,
    split_family_names,
    split_full_name,
    standardize_names,
)
from linker.standardize.nicknames import NICKNAMES, TRANSLITERATIONS, formal_given_name

NULLS = [None, np.nan, pd.NA, "", "   ", "--", "Sr.", "123"]
UPPER_ASCII = re.compile(r"[A-Z]+( [A-Z]+)*")


def one(**inputs: object) -> dict[str, object]:
    """Standardize one record given as scalars; the result as a dict of columns."""
    series = {k: pd.Series([v], dtype=object) for k, v in inputs.items()}
    return standardize_names(**series).iloc[0].to_dict()


# --- family names -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "first", "second"),
    [
        ("Pérez-López", "PEREZ", "LOPEZ"),
        ("GARCIA DE LA CRUZ", "GARCIA", "DE LA CRUZ"),
        ("de la Cruz", "DE LA CRUZ", None),
        ("De La Cruz García", "DE LA CRUZ", "GARCIA"),
        ("DE LEON GARCIA", "DE LEON", "GARCIA"),
        ("Hernández y López", "HERNANDEZ", "LOPEZ"),
        ("da Silva e Souza", "DA SILVA", "SOUZA"),
        ("dos Santos", "DOS SANTOS", None),
        ("van der Berg", "VAN DER BERG", None),
        ("von Trapp Díaz", "VON TRAPP", "DIAZ"),
        ("San Martín", "SAN MARTIN", None),
        ("Núñez", "NUNEZ", None),
        ("Müller", "MULLER", None),
        ("O'Brien", "OBRIEN", None),
        ("García López Martínez", "GARCIA", "LOPEZ MARTINEZ"),  # 3+: first, then the rest
        ("LOPEZ JR.", "LOPEZ", None),
        ("Lopez III", "LOPEZ", None),
        ("GARCIA DE", "GARCIA", "DE"),  # trailing particle kept, not lost
        ("Y LOPEZ", "Y", "LOPEZ"),  # a leading Y is no conjunction
        ("Шевченко", "SHEVCHENKO", None),
        ("Ľubica-Ñandú", "LUBICA", "NANDU"),
        *[(null, None, None) for null in NULLS],
    ],
)
def test_split_family_names(raw: object, first: str | None, second: str | None) -> None:
    out = split_family_names(pd.Series([raw], dtype=object, index=[42]))
    assert out.index.tolist() == [42]
    assert out.iloc[0].tolist() == [first, second]
    assert list(out.columns) == [C.FAMILY_NAME_1, C.FAMILY_NAME_2]


# --- full names ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "given_", "middle", "family"),
    [
        # LAST, FIRST MIDDLE
        ("García López, María José", "MARIA", "JOSE", "GARCIA LOPEZ"),
        ("LOPEZ, JUAN", "JUAN", None, "LOPEZ"),
        ("Pérez, María de los Ángeles", "MARIA DE LOS ANGELES", None, "PEREZ"),
        ("DE LA CRUZ, JOSE LUIS", "JOSE", "LUIS", "DE LA CRUZ"),
        ("Hernández y López, Ana", "ANA", None, "HERNANDEZ LOPEZ"),
        ("O'Brien, Pat", "PAT", None, "OBRIEN"),
        ("LOPEZ,", None, None, "LOPEZ"),
        (", JUAN", "JUAN", None, None),
        # nothing before the comma: what follows is read as a given-name column holding
        # it would be, so the name reads the same when its parts are read again
        (", JUAN CARLOS", "JUAN", "CARLOS", None),
        (", JUAN CARLOS LOPEZ", "JUAN", "CARLOS", "LOPEZ"),
        ("LNU, JUAN CARLOS LOPEZ", "JUAN", "CARLOS LOPEZ", None),  # no surname, it says
        ("LOPEZ, JUAN, JR", "JUAN", None, "LOPEZ"),
        ("ЛОПЕС，ХУАН", "KHUAN", None, "LOPES"),  # fullwidth comma, Cyrillic
        # FIRST [MIDDLE] LAST1 [LAST2]
        ("Juan López", "JUAN", None, "LOPEZ"),
        ("Juan López García", "JUAN", None, "LOPEZ GARCIA"),
        ("JUAN CARLOS LOPEZ", "JUAN", "CARLOS", "LOPEZ"),
        ("MARIA GUADALUPE LOPEZ GARCIA", "MARIA", "GUADALUPE", "LOPEZ GARCIA"),
        ("ANA MARIA DEL CARMEN LOPEZ", "ANA", "MARIA DEL CARMEN", "LOPEZ"),
        ("XXA YYB ZZC WWD", "XXA", "YYB", "ZZC WWD"),  # 4 unknown: given middle f1 f2
        ("XXA YYB ZZC", "XXA", None, "YYB ZZC"),  # 3 unknown: Hispanic default
        ("JUAN LOPEZ GARCIA MARTINEZ", "JUAN", None, "LOPEZ GARCIA MARTINEZ"),
        ("MARIA DEL CARMEN HERNANDEZ Y LOPEZ", "MARIA DEL CARMEN", None, "HERNANDEZ LOPEZ"),
        ("JOSE DE JESUS GARCIA", "JOSE DE JESUS", None, "GARCIA"),
        ("JUAN DE JESUS", "JUAN", None, "DE JESUS"),
        ("Sr. José de la Cruz", "JOSE", None, "DE LA CRUZ"),
        ("MARIA DE LA CRUZ GARCIA", "MARIA", None, "DE LA CRUZ GARCIA"),
        ("Ma. de los Ángeles Pérez", "MA DE LOS ANGELES", None, "PEREZ"),
        ("JOHN Y SMITH", "JOHN", "Y", "SMITH"),  # an initial, not a surname
        # U.S. forms write a middle initial between given name and surname
        ("JOSE L GARCIA", "JOSE", "L", "GARCIA"),
        ("JOSE L. GARCIA LOPEZ", "JOSE", "L", "GARCIA LOPEZ"),
        ("MARIA E. PEREZ", "MARIA", "E", "PEREZ"),
        ("ANA M. DE LA CRUZ", "ANA", "M", "DE LA CRUZ"),
        ("JUAN CARLOS M LOPEZ", "JUAN", "CARLOS M", "LOPEZ"),
        ("MARIA E GARCIA E IBARRA", "MARIA", "E", "GARCIA IBARRA"),
        # a hyphen holds a compound given name together (as its own column reads it)
        ("JEAN-PIERRE DORVIL", "JEAN PIERRE", None, "DORVIL"),
        ("Marie-Ange Joseph", "MARIE ANGE", None, "JOSEPH"),
        ("JEAN-CLAUDE SAINT-FLEUR", "JEAN CLAUDE", None, "SAINT FLEUR"),
        ("JEAN-PIERRE", "JEAN PIERRE", None, None),
        ("GARCIA-LOPEZ JUAN", "JUAN", None, "GARCIA LOPEZ"),  # surnames first: no given
        ("JOSE CRUZ-HERNANDEZ", "JOSE", None, "CRUZ HERNANDEZ"),
        # and a compound surname last, though its first part is a given name too
        ("JEAN-ROBERT JEAN-BAPTISTE", "JEAN ROBERT", None, "JEAN BAPTISTE"),
        ("MARIE JEAN-BAPTISTE", "MARIE", None, "JEAN BAPTISTE"),
        # LAST1 LAST2 FIRST without a comma: a known surname first, a known given name last
        ("GARCIA LOPEZ JOSE LUIS", "JOSE", "LUIS", "GARCIA LOPEZ"),
        ("Hernández Gaitán Miguel", "MIGUEL", None, "HERNANDEZ GAITAN"),
        ("HERNANDEZ MARIA DEL CARMEN", "MARIA DEL CARMEN", None, "HERNANDEZ"),
        ("DE LA CRUZ GARCIA JOSE DE JESUS", "JOSE DE JESUS", None, "DE LA CRUZ GARCIA"),
        ("SANTIAGO GARCIA", "SANTIAGO", None, "GARCIA"),  # SANTIAGO is a given name too
        ("XXA GARCIA JOSE", "XXA", None, "GARCIA JOSE"),  # unknown first word: FIRST order
        ("LOPEZ", None, None, "LOPEZ"),  # one known surname
        ("JUAN", "JUAN", None, None),  # one given name
        ("Dr. Ľubica Müller", "LUBICA", None, "MULLER"),
        ("Олена Шевченко", "OLENA", None, "SHEVCHENKO"),
        # placeholders for a missing part: their place says which part is missing
        ("FNU SINGH", None, None, "SINGH"),
        ("NFN MOHAMMED ALI", None, None, "MOHAMMED ALI"),  # one name, never a given name
        ("JOSE LUIS LNU", "JOSE", "LUIS", None),
        ("JOSE NLN", "JOSE", None, None),
        ("SINGH, FNU", None, None, "SINGH"),
        ("LNU, MARIA", "MARIA", None, None),
        ("JOSE NMN GARCIA", "JOSE", None, "GARCIA"),
        ("Sr. FNU Kaur", None, None, "KAUR"),
        ("UNKNOWN UNKNOWN", None, None, None),
        ("FNU LNU", None, None, None),
        # a clerk's remarks and aliases are no part of the name
        ("GARCIA LOPEZ, MARIA (MOTHER)", "MARIA", None, "GARCIA LOPEZ"),
        ("LOPEZ, ANA [UAC]", "ANA", None, "LOPEZ"),
        ('MARTINEZ, JOSE "PEPE"', "JOSE", None, "MARTINEZ"),
        ("JUAN PEREZ AKA JUAN LOPEZ", "JUAN", None, "PEREZ"),
        ("Perez, Juan a.k.a. Juanito", "JUAN", None, "PEREZ"),
        ("PEREZ, JUAN (AKA LOPEZ, JUAN)", "JUAN", None, "PEREZ"),  # the comma inside too
        ("PEREZ, JUAN ALIAS EL FLACO", "JUAN", None, "PEREZ"),
        ("KAKA, ALIASGAR", "ALIASGAR", None, "KAKA"),  # AKA and ALIAS inside a word stay
        ("ALIAS", "ALIAS", None, None),  # a name (one word: given), nothing before it to alias
        ("Alias, Maria", "MARIA", None, "ALIAS"),
        ("(UNKNOWN)", None, None, None),
        *[(null, None, None, None) for null in NULLS],
    ],
)
def test_split_full_name(
    raw: object, given_: str | None, middle: str | None, family: str | None
) -> None:
    out = split_full_name(pd.Series([raw], dtype=object))
    assert list(out.columns) == [SPLIT_GIVEN, SPLIT_MIDDLE, SPLIT_FAMILY]
    assert out.iloc[0].tolist() == [given_, middle, family]


# --- nicknames, romanizations, canonical given names -----------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Lupe", "GUADALUPE"),
        ("Pepe", "JOSE"),
        ("Chepe", "JOSE"),
        ("Paco", "FRANCISCO"),
        ("Pancho", "FRANCISCO"),
        ("Chuy", "JESUS"),
        ("Memo", "GUILLERMO"),
        ("Lalo", "EDUARDO"),
        ("Beto", "ALBERTO"),
        ("Nacho", "IGNACIO"),
        ("Toño", "ANTONIO"),
        ("Quique", "ENRIQUE"),
        ("Concha", "CONCEPCION"),
        ("Chabela", "ISABEL"),
        ("Charo", "ROSARIO"),
        ("Chayo", "ROSARIO"),
        ("Lulú", "LUZ"),
        ("Alex", "ALEJANDRO"),
        ("Juanca", "JUAN CARLOS"),
        ("Chema", "JOSE MARIA"),
        ("Joseph", "JOSEPH"),  # English forms are not merged with Spanish ones
        ("Güero", "GUERO"),  # not a name: left alone
        ("Mohamed Ali", "MUHAMMAD"),
        ("Oleksandr", "ALEXANDER"),
        ("Yevgeniy", "EVGENY"),
        # compound heads keep their second distinctive token
        ("María José", "MARIA JOSE"),
        ("MARIA ELENA", "MARIA ELENA"),
        ("Ma. del Carmen", "MARIA CARMEN"),
        ("MARIA DE LOS ANGELES", "MARIA ANGELES"),
        ("MA LUPE", "MARIA GUADALUPE"),
        ("JOSE MA", "JOSE MARIA"),
        ("MARIA J", "MARIA"),  # an initial is not distinctive
        ("Juan Carlos", "JUAN CARLOS"),
        ("Carlos Alberto", "CARLOS"),  # CARLOS is not a compound head
        ("Jean-Pierre", "JEAN PIERRE"),
        ("MRS ANA", "ANA"),
        *[(null, None) for null in NULLS],
    ],
)
def test_canonical_given_name(raw: object, expected: str | None) -> None:
    assert canonical_given_name(pd.Series([raw], dtype=object)).tolist() == [expected]


TRANSLITERATION_GROUPS = [
    ("MUHAMMAD", ["MOHAMMED", "MUHAMMAD", "MOHAMED", "MOHAMMAD"]),
    ("ALEXANDER", ["ALEKSANDR", "ALEXANDR", "OLEKSANDR"]),
    ("EVGENY", ["YEVGENIY", "EVGENY", "EVGENII", "YEVGENY"]),
    ("SERGEI", ["SERGEY", "SERGEI", "SERHIY"]),
    ("VLADIMIR", ["VOLODYMYR", "VLADIMIR"]),
    ("ELENA", ["OLENA", "ELENA", "ALYONA"]),
    ("DMITRY", ["DMYTRO", "DMITRY", "DMITRIY"]),
    ("ANDREI", ["ANDRIY", "ANDREY", "ANDREI"]),
    ("NIKOLAI", ["MYKOLA", "NIKOLAI", "NIKOLAY"]),
    ("YURI", ["YURIY", "YURI", "YURII"]),
    ("ALEXEI", ["OLEKSIY", "ALEKSEY", "ALEXEI"]),
    ("TATIANA", ["TATYANA", "TATIANA", "TETIANA"]),
]


@pytest.mark.parametrize(("canonical", "variants"), TRANSLITERATION_GROUPS)
def test_transliteration_groups(canonical: str, variants: list[str]) -> None:
    out = canonical_given_name(pd.Series(variants + [v.title() for v in variants]))
    assert set(out) == {canonical}


def test_name_tables_are_large_enough_and_normalized() -> None:
    assert len(NICKNAMES) >= 60
    assert len(set(TRANSLITERATIONS.values())) >= 30
    for table in (NICKNAMES, TRANSLITERATIONS):
        for key, value in table.items():
            assert UPPER_ASCII.fullmatch(key) and UPPER_ASCII.fullmatch(value)
            assert formal_given_name(value) == value  # formal names resolve to themselves
    assert formal_given_name("JOSEPH") != formal_given_name("JOSE")


# --- phonetic keys ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "variants",
    [
        ["HERNANDEZ", "ERNANDEZ", "HERNANDES"],
        ["VASQUEZ", "VAZQUEZ", "BASQUEZ", "VASKEZ"],
        ["GONZALEZ", "GONSALES", "GONZALES"],
        ["YOLANDA", "LLOLANDA"],
        ["JIMENEZ", "GIMENEZ", "XIMENEZ", "JIMENES"],
        ["CERVANTES", "SERVANTES", "ZERVANTEZ"],
        ["GUILLERMO", "GUIYERMO"],
        ["QUINTANILLA", "KINTANILLA", "QUINTANIYA"],
        ["ELIZABETH", "ELISABET"],
        ["MUNOZ", "MUNNOZ"],
        ["JOHN", "JON"],
    ],
)
def test_phonetic_variants_share_a_key(variants: list[str]) -> None:
    assert len({phonetic_code(v) for v in variants}) == 1


@pytest.mark.parametrize(
    ("left", "right"),
    [("GARCIA", "GARZA"), ("MUNOZ", "MUNIZ"), ("RAMOS", "RAMIREZ"), ("JOSE", "JOSEPH")],
)
def test_phonetic_distinct_names_differ(left: str, right: str) -> None:
    assert phonetic_code(left) != phonetic_code(right)


def test_phonetic_key_series() -> None:
    out = phonetic_key(pd.Series(["Vázquez López", None, "", "H"], index=[5, 6, 7, 8]))
    assert out.tolist() == ["BASKES LOPES", None, None, None]
    assert out.index.tolist() == [5, 6, 7, 8]


# --- standardize_names -------------------------------------------------------------------


def test_columns_from_separate_fields() -> None:
    out = one(given="María José", middle=None, family="García-López")
    assert out == {
        C.GIVEN_NAME: "MARIA JOSE",
        C.MIDDLE_NAME: None,
        C.FAMILY_NAME: "GARCIA LOPEZ",
        C.FAMILY_NAME_1: "GARCIA",
        C.FAMILY_NAME_2: "LOPEZ",
        C.GIVEN_NAME_CANONICAL: "MARIA JOSE",
        C.FULL_NAME: "MARIA JOSE GARCIA LOPEZ",
        C.GIVEN_PHONETIC: "MARIA",
        C.FAMILY_1_PHONETIC: "GARSIA",
        C.FAMILY_2_PHONETIC: "LOPES",
    }


@pytest.mark.parametrize(
    ("inputs", "expected"),
    [
        # a compound given name in the given column stays the given name
        (
            {"given": "JUAN CARLOS", "family": "LOPEZ"},
            {
                C.GIVEN_NAME: "JUAN CARLOS",
                C.MIDDLE_NAME: None,
                C.GIVEN_NAME_CANONICAL: "JUAN CARLOS",
            },
        ),
        # the middle column completes a compound head
        (
            {"given": "Maria", "middle": "Elena"},
            {C.GIVEN_NAME: "MARIA", C.MIDDLE_NAME: "ELENA", C.GIVEN_NAME_CANONICAL: "MARIA ELENA"},
        ),
        (
            {"given": "Pepe", "middle": "Luis"},
            {C.GIVEN_NAME_CANONICAL: "JOSE LUIS", C.GIVEN_PHONETIC: "JOSE"},
        ),
        ({"given": "Carlos", "middle": "Alberto"}, {C.GIVEN_NAME_CANONICAL: "CARLOS"}),
        ({"given": None, "middle": "Beto"}, {C.GIVEN_NAME_CANONICAL: "ALBERTO"}),
        # titles and suffixes
        (
            {"given": "Sr. Juan", "family": "Lopez Jr."},
            {C.GIVEN_NAME: "JUAN", C.FAMILY_NAME: "LOPEZ", C.FULL_NAME: "JUAN LOPEZ"},
        ),
        # placeholders typed where a name is unknown are no name
        (
            {"given": "FNU", "middle": "NMN", "family": "Singh"},
            {
                C.GIVEN_NAME: None,
                C.MIDDLE_NAME: None,
                C.GIVEN_NAME_CANONICAL: None,
                C.GIVEN_PHONETIC: None,
                C.FAMILY_NAME: "SINGH",
                C.FULL_NAME: "SINGH",
            },
        ),
        (
            {"given": "Jose", "middle": "NMN", "family": "LNU"},
            {C.GIVEN_NAME_CANONICAL: "JOSE", C.FAMILY_NAME: None, C.FULL_NAME: "JOSE"},
        ),
        ({"given": "Desconocido", "family": "Unknown"}, {C.FULL_NAME: None}),
        (
            {"given": "Ana (aunt)", "family": "Garcia (mother's side)"},
            {C.GIVEN_NAME: "ANA", C.FAMILY_NAME: "GARCIA", C.FULL_NAME: "ANA GARCIA"},
        ),
        ({"family": "LOPEZ AKA LOPES"}, {C.FAMILY_NAME_1: "LOPEZ", C.FAMILY_NAME_2: None}),
        # two family columns
        (
            {"family_1": "de la Cruz", "family_2": "Núñez"},
            {
                C.FAMILY_NAME_1: "DE LA CRUZ",
                C.FAMILY_NAME_2: "NUNEZ",
                C.FAMILY_NAME: "DE LA CRUZ NUNEZ",
                C.FAMILY_1_PHONETIC: "KRUS",
                C.FAMILY_2_PHONETIC: "NUNES",
            },
        ),
        ({"family_1": None, "family_2": "LOPEZ"}, {C.FAMILY_NAME_1: "LOPEZ"}),
        (
            {"family_1": "GARCIA LOPEZ", "family_2": None},
            {C.FAMILY_NAME_1: "GARCIA", C.FAMILY_NAME_2: "LOPEZ"},
        ),
        # family_1 / family_2 win over family; family wins over full
        (
            {"family": "PEREZ", "family_1": "GOMEZ", "full": "X Y"},
            {C.FAMILY_NAME: "GOMEZ", C.GIVEN_NAME: None},
        ),
        # the full name is used only when every other part is empty
        (
            {"given": "", "family": None, "full": "Hernández y López, Ana María"},
            {
                C.GIVEN_NAME: "ANA",
                C.MIDDLE_NAME: "MARIA",
                C.FAMILY_NAME_1: "HERNANDEZ",
                C.FAMILY_NAME_2: "LOPEZ",
                C.GIVEN_NAME_CANONICAL: "ANA MARIA",
                C.FULL_NAME: "ANA MARIA HERNANDEZ LOPEZ",
                C.FAMILY_1_PHONETIC: "ERNANDES",
            },
        ),
        # a whole name in the given column of a row with no middle or family name is
        # split where it plainly is one: a comma, or a known surname after no surname
        (
            {"given": "Juan Carlos López", "family": None},
            {
                C.GIVEN_NAME: "JUAN",
                C.MIDDLE_NAME: "CARLOS",
                C.FAMILY_NAME_1: "LOPEZ",
                C.GIVEN_NAME_CANONICAL: "JUAN CARLOS",
                C.FULL_NAME: "JUAN CARLOS LOPEZ",
            },
        ),
        (
            {"given": "Pérez López, Ana", "family": ""},
            {C.GIVEN_NAME: "ANA", C.FAMILY_NAME_1: "PEREZ", C.FAMILY_NAME_2: "LOPEZ"},
        ),
        (
            {"given": "LOPEZ GARCIA JUAN", "family_1": None, "family_2": None},
            {C.GIVEN_NAME: "JUAN", C.FAMILY_NAME_1: "LOPEZ", C.FAMILY_NAME_2: "GARCIA"},
        ),
        ({"given": "JUAN PEREZ", "family": "LNU"}, {C.GIVEN_NAME: "JUAN", C.FAMILY_NAME: "PEREZ"}),
        # ... and kept as the given name where it may be one (a compound given name, two
        # surnames, unknown words), or where the row has a middle or family name
        ({"given": "MARIA JOSE"}, {C.GIVEN_NAME: "MARIA JOSE", C.FAMILY_NAME: None}),
        ({"given": "MARIA DEL CARMEN"}, {C.GIVEN_NAME: "MARIA DEL CARMEN", C.FAMILY_NAME: None}),
        ({"given": "JOSE LUIS", "family": "LNU"}, {C.GIVEN_NAME: "JOSE LUIS", C.FAMILY_NAME: None}),
        ({"given": "GARCIA LOPEZ"}, {C.GIVEN_NAME: "GARCIA LOPEZ", C.FAMILY_NAME: None}),
        ({"given": "XOCHITL TZOMPA"}, {C.GIVEN_NAME: "XOCHITL TZOMPA", C.FAMILY_NAME: None}),
        ({"given": "GARCIA, LOPEZ"}, {C.GIVEN_NAME: "GARCIA LOPEZ", C.FAMILY_NAME: None}),
        # a comma that does not split the name reads as if it were not there: the given
        # name kept must not split when read again (hypothesis found "Y LOPEZ ,")
        ({"given": "JUAN LOPEZ ,"}, {C.GIVEN_NAME: "JUAN", C.FAMILY_NAME: "LOPEZ"}),
        ({"given": "JUAN , LOPEZ"}, {C.GIVEN_NAME: "JUAN", C.FAMILY_NAME: "LOPEZ"}),
        ({"given": "MARIA JOSE ,"}, {C.GIVEN_NAME: "MARIA JOSE", C.FAMILY_NAME: None}),
        # an alias marker once accents fold ("ÀKA") ends the name in a column too
        ({"given": "ANA", "family_1": "LOPEZ ÀKA PEREZ"}, {C.FAMILY_NAME: "LOPEZ"}),
        (
            {"given": "JUAN LOPEZ", "middle": "Luis"},
            {C.GIVEN_NAME: "JUAN LOPEZ", C.MIDDLE_NAME: "LUIS", C.FAMILY_NAME: None},
        ),
        (
            {"given": "JUAN LOPEZ", "family": "Ruiz"},
            {C.GIVEN_NAME: "JUAN LOPEZ", C.FAMILY_NAME: "RUIZ"},
        ),
        # a family column holding "LAST, FIRST" with no given or middle name is split too;
        # without a comma it may be a single-named person's one name
        (
            {"given": "FNU", "family": "Pérez López, Juan Carlos"},
            {
                C.GIVEN_NAME: "JUAN",
                C.MIDDLE_NAME: "CARLOS",
                C.FAMILY_NAME_1: "PEREZ",
                C.FAMILY_NAME_2: "LOPEZ",
            },
        ),
        (
            {"given": "FNU", "family": "MOHAMMED ALI"},
            {C.GIVEN_NAME: None, C.FAMILY_NAME_1: "MOHAMMED", C.FAMILY_NAME_2: "ALI"},
        ),
        # non-Latin scripts are transliterated, and romanizations resolved
        (
            {"given": "Олена", "family": "Шевченко"},
            {C.GIVEN_NAME: "OLENA", C.GIVEN_NAME_CANONICAL: "ELENA", C.FAMILY_NAME: "SHEVCHENKO"},
        ),
        ({"given": "王小明"}, {C.GIVEN_NAME: "WANG XIAO MING"}),
        ({"given": "José", "family": "Ñandú"}, {C.GIVEN_NAME: "JOSE", C.FAMILY_NAME: "NANDU"}),
    ],
)
def test_standardize_names_rules(inputs: dict[str, object], expected: dict[str, object]) -> None:
    out = one(**inputs)
    assert {k: out[k] for k in expected} == expected


@pytest.mark.parametrize("null", NULLS)
def test_all_null_inputs_give_null_outputs(null: object) -> None:
    out = one(given=null, middle=null, family=null, family_1=null, family_2=null, full=null)
    assert list(out) == list(NAME_COLUMNS)
    assert all(v is None for v in out.values())


def test_no_inputs_needs_an_index() -> None:
    out = standardize_names(index=pd.Index([3, 4]))
    assert out.index.tolist() == [3, 4]
    assert list(out.columns) == list(NAME_COLUMNS)
    assert out.isna().all().all()
    with pytest.raises(DataContractError):
        standardize_names()


def test_misaligned_inputs_are_rejected_without_values() -> None:
    with pytest.raises(DataContractError) as err:
        standardize_names(
            given=pd.Series(["SECRET"], index=[0]), family=pd.Series(["NAME"], index=[1])
        )
    assert "family" in str(err.value) and "SECRET" not in str(err.value)


def test_precedence_is_per_row() -> None:
    index = pd.Index(["a", "b", "c", "d"])
    out = standardize_names(
        given=pd.Series(["Ana", None, None, "  "], index=index),
        family=pd.Series(["Ruiz", "Soto", None, None], index=index),
        family_1=pd.Series([None, "Gómez", None, None], index=index),
        family_2=pd.Series([None, "Díaz", None, None], index=index),
        full=pd.Series(["IGNORED, X", "IGNORED, Y", "Pérez, Lupe", None], index=index),
    )
    assert out.index.equals(index)
    assert out[C.FAMILY_NAME].tolist() == ["RUIZ", "GOMEZ DIAZ", "PEREZ", None]
    assert out[C.GIVEN_NAME].tolist() == ["ANA", None, "LUPE", None]
    assert out[C.GIVEN_NAME_CANONICAL].tolist() == ["ANA", None, "GUADALUPE", None]
    assert out[C.FULL_NAME].tolist() == ["ANA RUIZ", "GOMEZ DIAZ", "LUPE PEREZ", None]


def test_empty_frames() -> None:
    empty = pd.Series([], dtype=object)
    out = standardize_names(given=empty, family_1=empty, full=empty)
    assert out.empty and list(out.columns) == list(NAME_COLUMNS)


@pytest.mark.parametrize("dtype", ["object", "string", "category"])
def test_dtypes_and_repeated_values(dtype: str) -> None:
    given_ = pd.Series(["Paco", None, "Paco", "Lupe"] * 3, dtype=dtype)
    out = standardize_names(given=given_, family=pd.Series(["Núñez"] * 12, dtype=dtype))
    assert out[C.GIVEN_NAME_CANONICAL].tolist() == ["FRANCISCO", None, "FRANCISCO", "GUADALUPE"] * 3
    assert (out[C.FAMILY_NAME] == "NUNEZ").all()
    assert all(out[c].dtype == object for c in NAME_COLUMNS)


# --- properties --------------------------------------------------------------------------

INPUT_NAMES = ("given", "middle", "family", "family_1", "family_2", "full")
name_text = st.one_of(
    st.none(),
    st.text(max_size=30),
    st.sampled_from(
        [
            "María José",
            "GARCIA DE LA CRUZ",
            "Hernández y López",
            "LOPEZ, JUAN CARLOS",
            "Y",
            "DE",
            "Sr.",
            "MA. DEL CARMEN",
            "van der",
            "E SOUZA",
            "Олена",
            "PEPE",
            " , ",
        ]
    ),
    st.lists(
        st.sampled_from(["DE", "LA", "Y", "E", "JUAN", "MARIA", "LOPEZ", "CRUZ", "JR", ",", "-"]),
        max_size=6,
    ).map(" ".join),
)


@st.composite
def name_frames(draw: st.DrawFn) -> dict[str, pd.Series | None]:
    size = draw(st.integers(min_value=0, max_value=8))
    index = pd.Index(draw(st.lists(st.integers(), min_size=size, max_size=size)))
    inputs: dict[str, pd.Series | None] = {}
    for name in INPUT_NAMES:
        if draw(st.booleans()):
            values = draw(st.lists(name_text, min_size=size, max_size=size))
            inputs[name] = pd.Series(values, index=index, dtype=object)
        else:
            inputs[name] = None
    inputs["index"] = index  # type: ignore[assignment]
    return inputs


@given(name_frames())
def test_properties(inputs: dict[str, object]) -> None:
    out = standardize_names(**inputs)  # type: ignore[arg-type]
    assert out.index.equals(inputs["index"])
    assert list(out.columns) == list(NAME_COLUMNS)
    for column in NAME_COLUMNS:
        for value in out[column]:
            assert value is None or UPPER_ASCII.fullmatch(value), (column, value)

    # idempotence: outputs fed back as inputs give the same outputs, both ways
    index = out.index
    split_back = standardize_names(
        given=out[C.GIVEN_NAME],
        middle=out[C.MIDDLE_NAME],
        family_1=out[C.FAMILY_NAME_1],
        family_2=out[C.FAMILY_NAME_2],
        index=index,
    )
    pd.testing.assert_frame_equal(split_back, out)
    joined_back = standardize_names(
        given=out[C.GIVEN_NAME], middle=out[C.MIDDLE_NAME], family=out[C.FAMILY_NAME], index=index
    )
    pd.testing.assert_frame_equal(joined_back, out)

    # a row's result does not depend on the other rows (reversed order)
    reversed_inputs = {
        k: (v.iloc[::-1] if isinstance(v, pd.Series) else v) for k, v in inputs.items()
    }
    reversed_inputs["index"] = index[::-1]
    backwards = standardize_names(**reversed_inputs)  # type: ignore[arg-type]
    pd.testing.assert_frame_equal(backwards.iloc[::-1], out)


@given(st.text(max_size=40))
def test_split_functions_never_raise(text: str) -> None:
    series = pd.Series([text])
    for frame in (split_full_name(series), split_family_names(series)):
        for value in frame.iloc[0]:
            assert value is None or UPPER_ASCII.fullmatch(value)
    for out in (phonetic_key(series), canonical_given_name(series)):
        assert out.iloc[0] is None or UPPER_ASCII.fullmatch(out.iloc[0])
