"""The domain comparisons (linker/comparisons.py): which level each kind of pair lands on.

Level cases are one table. Every case is a pair of rows, raw extract values run through
the real standardizer (`raw=True`, the realistic path: accents, nicknames, date formats)
or canonical values written directly. All cases are compared in one batch, as the
pipeline does, and each case then checks its own level, both ways round.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest
from helpers import (
    FRAME_PROPERTY,
    canonical,
    concat_records,
    gammas_of,
    label,
    ordered_pairs,
    random_records,
    standardized,
)
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.comparisons import (
    REGISTRY,
    DomainComparison,
    comparison,
    comparisons_for,
    jaro_winkler,
    jaro_winkler_at_least,
)
from linker.features import PairFeatures, prepare_features
from linker.linkage import compare_in_batches


@dataclass(frozen=True)
class Case:
    comparison: str
    level: str
    left: dict[str, object]
    right: dict[str, object] = field(default_factory=dict)
    raw: bool = True  # through the standardizer; False: canonical columns as written


def names(given: object, family: object = "LOPEZ", **more: object) -> dict[str, object]:
    return {"given_name": given, "family_name": family, **more}


def fam(family: object) -> dict[str, object]:
    return {"given_name": "ANA", "family_name": family}


HOUSTON = {"city": "Houston", "state": "TX", "postal_code": "77001"}

CASES: dict[str, Case] = {
    # --- given_name -----------------------------------------------------------------
    "given/null-none": Case("given_name", "null", names(None), names("ANA")),
    "given/null-empty": Case("given_name", "null", names(""), names("ANA")),
    "given/null-blank": Case("given_name", "null", names("   "), names("ANA")),
    "given/null-both": Case("given_name", "null", names(None), names(None)),
    "given/exact-accent": Case("given_name", "exact", names("José"), names("JOSE")),
    "given/exact-nickname": Case("given_name", "exact", names("Pepe"), names("JOSE")),
    "given/exact-nickname-paco": Case("given_name", "exact", names("PACO"), names("Francisco")),
    "given/exact-ma-abbrev": Case(
        "given_name", "exact", names("Ma. del Carmen"), names("MARIA CARMEN")
    ),
    "given/contained-compound": Case(
        "given_name", "tokens_contained", names("María José"), names("MARIA")
    ),
    "given/contained-juan-carlos": Case(
        "given_name", "tokens_contained", names("JUAN CARLOS"), names("JUAN")
    ),
    "given/contained-middle": Case(
        "given_name",
        "tokens_contained",
        names("JOSE", middle_name="LUIS"),
        names("LUIS"),
    ),
    "given/jw92-typo": Case("given_name", "jaro_winkler_0.92", names("JONATHAN"), names("JONATAN")),
    "given/jw92-josue": Case("given_name", "jaro_winkler_0.92", names("JOSE"), names("JOSUE")),
    "given/phonetic": Case("given_name", "phonetic", names("Catalina"), names("Katalina")),
    "given/jw80": Case("given_name", "jaro_winkler_0.80", names("GERARDO"), names("GERMAN")),
    "given/swapped": Case(
        "given_name", "swapped_with_surname", names("JUAN", "LOPEZ"), names("LOPEZ", "JUAN")
    ),
    "given/swapped-two-surnames": Case(
        "given_name",
        "swapped_with_surname",
        names("JUAN", "LOPEZ GARCIA"),
        names("GARCIA", "JUAN"),
    ),
    # the whole columns swapped: a surname pair with particles in the given column, and
    # a compound given name against its first part (neither canonical name matches)
    "given/swapped-whole-columns": Case(
        "given_name",
        "swapped_with_surname",
        names("DOS SANTOS DA SILVA", "ANTONIO"),
        names("ANTONIO", "DOS SANTOS DA SILVA", middle_name="TIAGO"),
    ),
    "given/swapped-whole-compound": Case(
        "given_name",
        "swapped_with_surname",
        names("MENDEZ TREJO", "JOSE", middle_name="EMILIO"),
        names("JOSE", "MENDEZ TREJO", middle_name="EMILIO"),
    ),
    # one side's surnames in its given column, but the other's given name is not its
    # family name: no swap
    "given/else-half-swapped": Case(
        "given_name",
        "else",
        names("DOS SANTOS DA SILVA", "PEDRO"),
        names("ANTONIO", "DOS SANTOS DA SILVA"),
    ),
    "given/else-siblings": Case("given_name", "else", names("ANA"), names("LUIS")),
    "given/else-compound-head-differs": Case(
        "given_name", "else", names("JUAN CARLOS"), names("LUIS CARLOS")
    ),
    # --- family_name ----------------------------------------------------------------
    "family/null-none": Case("family_name", "null", fam(None), fam("GARCIA")),
    "family/null-empty": Case("family_name", "null", fam(""), fam("GARCIA")),
    "family/both-accents": Case(
        "family_name", "both_surnames", fam("Núñez García"), fam("NUNEZ GARCIA")
    ),
    "family/both-reversed": Case(
        "family_name", "both_surnames", fam("Núñez García"), fam("GARCIA NUNEZ")
    ),
    "family/both-one-surname": Case("family_name", "both_surnames", fam("Núñez"), fam("NUNEZ")),
    "family/first-second-dropped": Case(
        "family_name", "first_surname", fam("HERNANDEZ LOPEZ"), fam("HERNANDEZ")
    ),
    "family/first-second-differs": Case(
        "family_name", "first_surname", fam("HERNANDEZ LOPEZ"), fam("HERNANDEZ PEREZ")
    ),
    "family/shared-first-dropped": Case(
        "family_name", "one_surname_shared", fam("HERNANDEZ LOPEZ"), fam("LOPEZ")
    ),
    "family/shared-second": Case(
        "family_name", "one_surname_shared", fam("HERNANDEZ LOPEZ"), fam("PEREZ LOPEZ")
    ),
    "family/jw90": Case("family_name", "jaro_winkler_0.90", fam("RODRIGUEZ"), fam("RODRIGEZ")),
    "family/phonetic": Case("family_name", "phonetic", fam("VASQUEZ"), fam("BASQUES")),
    "family/phonetic-z-s": Case("family_name", "phonetic", fam("ZUNIGA"), fam("SUNIGA")),
    "family/swapped": Case(
        "family_name", "swapped_with_given", names("JUAN", "LOPEZ"), names("LOPEZ", "JUAN")
    ),
    "family/swapped-whole-columns": Case(
        "family_name",
        "swapped_with_given",
        names("DOS SANTOS DA SILVA", "ANTONIO"),
        names("ANTONIO", "DOS SANTOS DA SILVA"),
    ),
    "family/else": Case("family_name", "else", fam("GARCIA"), fam("PEREZ")),
    # --- dob --------------------------------------------------------------------------
    "dob/null-none": Case("dob", "null", {"dob": None}, {"dob": "2010-05-06"}),
    "dob/null-empty": Case("dob", "null", {"dob": ""}, {"dob": "2010-05-06"}),
    "dob/null-unreadable": Case("dob", "null", {"dob": "unknown"}, {"dob": "2010-05-06"}),
    "dob/null-unreadable-year": Case("dob", "null", {"dob": "1850-02-03"}, {"dob": "1990-02-28"}),
    # an impossible date keeps its year: it agrees as a partial date would
    "dob/impossible-keeps-its-year": Case(
        "dob", "partial_agrees", {"dob": "1990-02-30"}, {"dob": "1990-02-28"}
    ),
    "dob/impossible-another-year": Case(
        "dob", "partial_within_a_year", {"dob": "1990-13-13"}, {"dob": "1991-02-28"}
    ),
    "dob/exact-formats": Case("dob", "exact", {"dob": "1990-03-04"}, {"dob": "03/04/1990"}),
    "dob/exact-month-names": Case("dob", "exact", {"dob": "March 4, 1990"}, {"dob": "4 Mar 1990"}),
    "dob/swapped": Case("dob", "day_month_swapped", {"dob": "1990-03-04"}, {"dob": "1990-04-03"}),
    "dob/swapped-both-valid-months": Case(
        "dob", "day_month_swapped", {"dob": "1990-12-11"}, {"dob": "1990-11-12"}
    ),
    "dob/typo-day": Case("dob", "one_digit_typo", {"dob": "1990-03-04"}, {"dob": "1990-03-05"}),
    "dob/typo-year": Case("dob", "one_digit_typo", {"dob": "1990-03-04"}, {"dob": "1991-03-04"}),
    "dob/typo-transposed": Case(
        "dob", "one_digit_typo", {"dob": "1990-03-12"}, {"dob": "1990-03-21"}
    ),
    "dob/partial-placeholder-vs-full": Case(
        "dob", "partial_agrees", {"dob": "01/01/2010"}, {"dob": "2010-05-06"}
    ),
    "dob/partial-placeholder-vs-jan1": Case(
        "dob", "partial_agrees", {"dob": "01/01/2010"}, {"dob": "2010-01-01"}
    ),
    "dob/partial-year-only": Case("dob", "partial_agrees", {"dob": "2010"}, {"dob": "2010-05-06"}),
    "dob/partial-year-month": Case(
        "dob", "partial_agrees", {"dob": "2010-05"}, {"dob": "2010-05-06"}
    ),
    "dob/partial-estimate-plus-1": Case(
        "dob", "partial_agrees", {"dob": "2010", "dob_estimated": "Y"}, {"dob": "2011-05-06"}
    ),
    "dob/partial-estimate-minus-1": Case(
        "dob", "partial_agrees", {"dob": "2010", "dob_estimated": "Y"}, {"dob": "2009-05-06"}
    ),
    "dob/partial-two-estimates": Case(
        "dob",
        "partial_agrees",
        {"dob": "2010", "dob_estimated": "Y"},
        {"dob": "2011", "dob_estimated": "Y"},
    ),
    "dob/within-year-placeholders": Case(
        "dob", "partial_within_a_year", {"dob": "01/01/2010"}, {"dob": "01/01/2011"}
    ),
    "dob/within-year-year-only": Case(
        "dob", "partial_within_a_year", {"dob": "2010"}, {"dob": "2011-05-06"}
    ),
    "dob/within-year-month-differs": Case(
        "dob", "partial_within_a_year", {"dob": "2010-05"}, {"dob": "2010-06-06"}
    ),
    "dob/else-full-same-year": Case("dob", "else", {"dob": "1990-03-04"}, {"dob": "1990-07-09"}),
    "dob/else-full-next-year": Case("dob", "else", {"dob": "1990-03-04"}, {"dob": "1991-07-09"}),
    "dob/else-estimate-plus-2": Case(
        "dob", "else", {"dob": "2010", "dob_estimated": "Y"}, {"dob": "2012-05-06"}
    ),
    "dob/else-partial-far": Case("dob", "else", {"dob": "01/01/2010"}, {"dob": "1985-05-06"}),
    # --- a_number ---------------------------------------------------------------------
    "anum/null-none": Case("a_number", "null", {"a_number": None}, {"a_number": "A012345678"}),
    "anum/null-empty": Case("a_number", "null", {"a_number": ""}, {"a_number": "A012345678"}),
    "anum/null-invalid": Case("a_number", "null", {"a_number": "A12"}, {"a_number": "A012345678"}),
    "anum/exact-formats": Case(
        "a_number", "exact", {"a_number": "A 012-345-678"}, {"a_number": "12345678"}
    ),
    "anum/typo-one-digit": Case(
        "a_number", "one_digit_typo", {"a_number": "A012345678"}, {"a_number": "A012345679"}
    ),
    "anum/typo-adjacent-swap": Case(
        "a_number", "one_digit_typo", {"a_number": "A012345678"}, {"a_number": "A013245678"}
    ),
    "anum/else": Case("a_number", "else", {"a_number": "A012345678"}, {"a_number": "A098765432"}),
    "anum/else-two-digits": Case(
        "a_number", "else", {"a_number": "A012345678"}, {"a_number": "A012345699"}
    ),
    # --- document_id ------------------------------------------------------------------
    "doc/null-none": Case("document_id", "null", {"document_id": None}, {"document_id": "G1234"}),
    "doc/null-empty": Case("document_id", "null", {"document_id": ""}, {"document_id": "G1234"}),
    "doc/exact-case-punct": Case(
        "document_id", "exact", {"document_id": "G123456"}, {"document_id": "g-123456"}
    ),
    "doc/typo": Case(
        "document_id", "one_character_typo", {"document_id": "G123456"}, {"document_id": "G123457"}
    ),
    "doc/typo-swap": Case(
        "document_id", "one_character_typo", {"document_id": "G123456"}, {"document_id": "G124356"}
    ),
    "doc/else": Case("document_id", "else", {"document_id": "G123456"}, {"document_id": "X98765"}),
    # --- person_id (scoped to its source) ---------------------------------------------
    "pid/null-none": Case("person_id", "null", {"person_id": None}, {"person_id": "P1"}),
    "pid/null-empty": Case("person_id", "null", {"person_id": ""}, {"person_id": "P1"}),
    "pid/null-other-source": Case(
        "person_id", "null", {"person_id": "P1"}, {"person_id": "P1", "source": "ice"}
    ),
    "pid/null-same-id-other-source-canonical": Case(
        "person_id",
        "null",
        {C.PERSON_ID: "x:P1", C.SOURCE: "cbp"},
        {C.PERSON_ID: "x:P1", C.SOURCE: "ice"},
        raw=False,
    ),
    "pid/exact": Case("person_id", "exact", {"person_id": "P1"}, {"person_id": "P1"}),
    "pid/else": Case("person_id", "else", {"person_id": "P1"}, {"person_id": "P2"}),
    # --- sex, country -------------------------------------------------------------------
    "sex/null-none": Case("sex", "null", {"sex": None}, {"sex": "M"}),
    "sex/null-empty": Case("sex", "null", {"sex": ""}, {"sex": "M"}),
    "sex/null-unknown-code": Case("sex", "null", {"sex": "X"}, {"sex": "M"}),
    "sex/exact-words": Case("sex", "exact", {"sex": "male"}, {"sex": "M"}),
    "sex/exact-spanish": Case("sex", "exact", {"sex": "Hombre"}, {"sex": "M"}),
    "sex/else": Case("sex", "else", {"sex": "F"}, {"sex": "M"}),
    "country/null-none": Case("country", "null", {"country": None}, {"country": "MX"}),
    "country/null-empty": Case("country", "null", {"country": ""}, {"country": "MX"}),
    "country/null-unknown": Case("country", "null", {"country": "Unknown"}, {"country": "MX"}),
    "country/exact-names": Case("country", "exact", {"country": "México"}, {"country": "MEX"}),
    "country/else": Case("country", "else", {"country": "Guatemala"}, {"country": "Honduras"}),
    # --- address ------------------------------------------------------------------------
    "addr/null-none": Case(
        "address", "null", {"address": None}, {"address": "9 Oak Ave", **HOUSTON}
    ),
    "addr/null-empty": Case(
        "address", "null", {"address": ""}, {"address": "9 Oak Ave", **HOUSTON}
    ),
    "addr/exact-spelling": Case(
        "address",
        "exact",
        {"address": "123 Main St", **HOUSTON},
        {
            "address": "123 MAIN STREET",
            "city": "HOUSTON",
            "state": "Texas",
            "postal_code": "77001-1234",
        },
    ),
    "addr/exact-one-line": Case(
        "address",
        "exact",
        {"address": "123 Main St Houston TX 77001"},
        {"address": "123 Main St", **HOUSTON},
    ),
    "addr/exact-unit-dropped": Case(
        "address",
        "exact",
        {"address": "123 Main St Apt 4", **HOUSTON},
        {"address": "123 Main St", **HOUSTON},
    ),
    "addr/jw90-house-number": Case(
        "address",
        "jaro_winkler_0.90",
        {"address": "123 Main St", **HOUSTON},
        {"address": "125 Main St", **HOUSTON},
    ),
    "addr/same-zip": Case(
        "address",
        "same_postal_code",
        {"address": "123 Main St", **HOUSTON},
        {"address": "9 Oak Ave", **HOUSTON},
    ),
    "addr/same-zip-no-street": Case(
        "address",
        "same_postal_code",
        {"address": None, **HOUSTON},
        {"address": "9 Oak Ave", **HOUSTON},
    ),
    "addr/same-city": Case(
        "address",
        "same_city",
        {"address": "123 Main St", **HOUSTON},
        {"address": "9 Oak Ave", "city": "Houston", "state": "TX", "postal_code": "77002"},
    ),
    "addr/same-city-state-unknown": Case(
        "address",
        "same_city",
        {"address": "123 Main St", **HOUSTON},
        {"address": "9 Oak Ave", "city": "Houston"},
    ),
    "addr/else-other-city": Case(
        "address",
        "else",
        {"address": "123 Main St", **HOUSTON},
        {"address": "9 Oak Ave", "city": "Dallas", "state": "TX"},
    ),
    "addr/else-same-city-name-other-state": Case(
        "address",
        "else",
        {"address": "123 Main St", **HOUSTON},
        {"address": "9 Oak Ave", "city": "Houston", "state": "MS"},
    ),
    # --- phone --------------------------------------------------------------------------
    "phone/null-none": Case("phone", "null", {"phone": None}, {"phone": "713-555-1234"}),
    "phone/null-empty": Case("phone", "null", {"phone": ""}, {"phone": "713-555-1234"}),
    "phone/null-too-short": Case("phone", "null", {"phone": "555-1234"}, {"phone": "713-555-1234"}),
    "phone/exact-formats": Case(
        "phone", "exact", {"phone": "(713) 555-1234"}, {"phone": "+1 713 555 1234"}
    ),
    "phone/last7": Case(
        "phone", "last_seven_digits", {"phone": "713-555-1234"}, {"phone": "281-555-1234"}
    ),
    "phone/else": Case("phone", "else", {"phone": "713-555-1234"}, {"phone": "713-555-9999"}),
    # bare digits read in the record's own country agree with the number written in full
    "phone/exact-home-country": Case(
        "phone",
        "exact",
        {"phone": "50255551234", "country": "Guatemala"},
        {"phone": "+502 5555 1234"},
    ),
    "phone/exact-national-at-home": Case(
        "phone", "exact", {"phone": "5555 1234", "country": "GTM"}, {"phone": "+502 5555 1234"}
    ),
    "phone/null-bare-digits-no-country": Case(
        "phone", "null", {"phone": "50255551234"}, {"phone": "+502 5555 1234"}
    ),
    # --- cross_reference ----------------------------------------------------------------
    "xref/cites-other": Case(
        "cross_reference",
        "cites_the_other",
        {"source": "cbp", "key": "C1", "cross_reference": "K9"},
        {"source": "ice", "key": "K9"},
    ),
    "xref/cites-other-padded": Case(
        "cross_reference",
        "cites_the_other",
        {"source": "cbp", "key": "C2", "cross_reference": " K8 "},
        {"source": "ice", "key": "K8"},
    ),
    "xref/cites-other-typed-by-hand": Case(
        "cross_reference",
        "cites_the_other",
        {"source": "cbp", "key": "C9", "cross_reference": "rgv-19-000287"},
        {"source": "ice", "key": "RGV19000287"},
    ),
    "xref/cites-other-whose-key-has-dashes": Case(
        "cross_reference",
        "cites_the_other",
        {"source": "hhs", "key": "UC-0000001", "cross_reference": "ERO14 0000001"},
        {"source": "ice", "key": "ERO14-0000001"},
    ),
    "xref/cites-each-other": Case(
        "cross_reference",
        "cites_the_other",
        {"source": "cbp", "key": "C3", "cross_reference": "K7"},
        {"source": "ice", "key": "K7", "cross_reference": "C3"},
    ),
    "xref/cite-the-same": Case(
        "cross_reference",
        "cite_the_same",
        {"source": "cbp", "key": "C4", "cross_reference": "K6"},
        {"source": "hhs", "key": "H4", "cross_reference": "K6"},
    ),
    "xref/else-cite-different": Case(
        "cross_reference",
        "else",
        {"source": "cbp", "key": "C5", "cross_reference": "K5"},
        {"source": "hhs", "key": "H5", "cross_reference": "K4"},
    ),
    "xref/null-cites-someone-else": Case(
        "cross_reference",
        "null",
        {"source": "cbp", "key": "C6", "cross_reference": "K3"},
        {"source": "ice", "key": "K2"},
    ),
    "xref/null-same-key-wrong-source": Case(
        "cross_reference",
        "null",
        {"source": "cbp", "key": "C7", "cross_reference": "K1"},
        {"source": "hhs", "key": "K1"},
    ),
    "xref/null-empty": Case(
        "cross_reference",
        "null",
        {"source": "cbp", "key": "C8", "cross_reference": ""},
        {"source": "ice", "key": "K0"},
    ),
    "xref/null-both-empty": Case(
        "cross_reference",
        "null",
        {"source": "cbp", "key": "C9", "cross_reference": ""},
        {"source": "cbp", "key": "C10", "cross_reference": None},
    ),
}


@pytest.fixture(scope="module")
def landed() -> dict[str, tuple[str, str]]:
    """Per case: (level of (left, right), level of (right, left)), all cases in one batch."""
    raw = [(k, c) for k, c in CASES.items() if c.raw]
    written = [(k, c) for k, c in CASES.items() if not c.raw]
    records = concat_records(
        standardized([row for _, c in raw for row in (c.left, c.right)]),
        canonical([row for _, c in written for row in (c.left, c.right)]),
    )
    cases = raw + written  # case i is rows 2i and 2i + 1
    n = len(cases)
    left = np.arange(0, 2 * n, 2)
    pairs = PairFeatures(prepare_features(records), np.r_[left, left + 1], np.r_[left + 1, left])
    gammas = {name: spec.gammas(pairs) for name, spec in REGISTRY.items()}
    return {
        key: (
            label(c.comparison, gammas[c.comparison][i]),
            label(c.comparison, gammas[c.comparison][n + i]),
        )
        for i, (key, c) in enumerate(cases)
    }


@pytest.mark.parametrize("case_id", list(CASES))
def test_level(case_id: str, landed: dict[str, tuple[str, str]]) -> None:
    case = CASES[case_id]
    forward, backward = landed[case_id]
    assert forward == case.level
    assert backward == case.level  # the same level with the sides swapped


def test_every_level_of_every_comparison_has_a_case() -> None:
    for name, spec in REGISTRY.items():
        covered = {c.level for c in CASES.values() if c.comparison == name}
        assert covered == {level.label for level in spec.spec.levels}, name


def test_a_pair_alone_lands_where_it_lands_in_the_batch(landed: dict[str, tuple[str, str]]) -> None:
    # Batching shares code spaces and distinct-value scoring across cases; alone, no sharing.
    for case_id in ("given/exact-nickname", "dob/typo-transposed", "xref/cites-other"):
        case = CASES[case_id]
        records = standardized([case.left, case.right])
        assert label(case.comparison, gammas_of(records, case.comparison)[0]) == case.level


def test_batches_and_threads_do_not_change_any_level() -> None:
    # Every case's records, all pairs among them: one batch, small batches in one thread
    # and small batches in three threads give the same levels and hard-rule verdicts.
    rows = [row for c in CASES.values() if c.raw for row in (c.left, c.right)]
    records = standardized(rows)
    left, right = np.triu_indices(len(records), k=1)
    pairs = pd.DataFrame({C.RECORD_ID_L: left, C.RECORD_ID_R: right})
    features, chosen = prepare_features(records), list(REGISTRY.values())
    whole = compare_in_batches(features, pairs, chosen, batch=len(pairs))
    for workers in (1, 3):
        batch = len(pairs) // 5 + 1  # five batches, each split among the workers
        batched = compare_in_batches(features, pairs, chosen, batch=batch, workers=workers)
        pd.testing.assert_frame_equal(batched, whole)


# --- the registry and its specs ------------------------------------------------------


@pytest.mark.parametrize("name", list(REGISTRY))
def test_levels_run_null_first_else_last(name: str) -> None:
    spec = REGISTRY[name].spec
    assert spec.levels[0].is_null and spec.levels[0].label == "null"
    assert spec.levels[-1].label == "else"
    assert spec.gamma_of("null") == -1 and spec.gamma_of("else") == 0
    most_similar = spec.levels[1].label
    assert spec.gamma_of(most_similar) == spec.num_levels - 1


def test_gammas_are_int8_one_per_pair() -> None:
    records = standardized([names("ANA"), names("ANA"), names(None)])
    g = gammas_of(records, "given_name", [0, 0, 1], [1, 2, 2])
    assert g.dtype == np.int8
    assert g.tolist() == [REGISTRY["given_name"].spec.gamma_of("exact"), -1, -1]


def test_comparisons_for_keeps_those_whose_columns_have_data() -> None:
    chosen = comparisons_for({C.GIVEN_NAME, C.FAMILY_NAME_1, C.DOB_YEAR})
    assert [c.name for c in chosen] == ["given_name", "family_name", "dob"]
    assert len(comparisons_for(set(C.RECORD_COLUMNS))) == len(REGISTRY)
    assert comparisons_for(set()) == []


def test_comparison_lookup_names_the_known_ones() -> None:
    assert isinstance(comparison("phone"), DomainComparison)
    with pytest.raises(KeyError, match="known: given_name"):
        comparison("shoe_size")


def test_term_frequency_is_the_share_of_the_left_value() -> None:
    records = standardized([names("ANA"), names("ANA"), names("ANA"), names("LUIS"), names(None)])
    pairs = PairFeatures(prepare_features(records), np.array([0, 3, 4]), np.array([1, 0, 0]))
    tf = REGISTRY["given_name"].term_frequencies(pairs)
    assert tf is not None
    np.testing.assert_allclose(tf, [3 / 5, 1 / 5, np.nan])
    assert REGISTRY["dob"].term_frequencies(pairs) is None


def test_a_given_name_is_as_common_as_it_is_in_the_country_both_records_name() -> None:
    # OKSANA is 1 in 6 records, but 2 in 3 of the Ukrainian ones; two Ukrainians named
    # OKSANA agreeing says what 2 in 3 says. Across countries, or without one, the
    # share over all records stands; the surname always keeps it.
    rows = [
        names("OKSANA", "BONDARENKO", country="UA"),
        names("OKSANA", "BONDARENKO", country="UA"),
        names("IRYNA", "BONDARENKO", country="UA"),
        names("OKSANA", "BONDARENKO", country=None),
        names("JOSE", "BONDARENKO", country="MX"),
        names("JOSE", "BONDARENKO", country="MX"),
        names("LUIS", "BONDARENKO", country="MX"),
        names("MARIA", "BONDARENKO", country="MX"),
        names("ANA", "BONDARENKO", country="GT"),
        names("ANA", "BONDARENKO", country="GT"),
        names("ANA", "BONDARENKO", country="GT"),
        names("ANA", "BONDARENKO", country="GT"),
    ]
    features = prepare_features(standardized(rows))
    left, right = np.array([0, 0, 3, 4, 8]), np.array([1, 4, 0, 5, 9])
    tf = REGISTRY["given_name"].term_frequencies(PairFeatures(features, left, right))
    np.testing.assert_allclose(tf, [2 / 3, 3 / 12, 3 / 12, 2 / 4, 4 / 4])
    family = REGISTRY["family_name"].term_frequencies(PairFeatures(features, left, right))
    np.testing.assert_allclose(family, [1.0] * 5)


# --- properties on random small frames -----------------------------------------------


@FRAME_PROPERTY
@given(random_records)
def test_every_comparison_is_symmetric_and_bounded(records: pd.DataFrame) -> None:
    # One batch holds every ordered pair, then the same pairs reversed, then shuffled:
    # a pair's gamma must not depend on its side or on the other pairs in the batch.
    left, right = ordered_pairs(len(records))
    order = np.random.default_rng(0).permutation(len(left))
    batch = PairFeatures(
        prepare_features(records),
        np.r_[left, right, left[order]],
        np.r_[right, left, right[order]],
    )
    for name, spec in REGISTRY.items():
        forward, backward, shuffled = np.split(spec.gammas(batch), 3)
        assert forward.dtype == np.int8
        assert ((forward >= -1) & (forward < spec.spec.num_levels)).all(), name
        np.testing.assert_array_equal(forward, backward, err_msg=name)
        np.testing.assert_array_equal(forward[order], shuffled, err_msg=name)


@pytest.mark.parametrize("cutoff", [0.80, 0.90, 0.92])
@given(
    pairs=st.lists(
        st.tuples(
            st.text(alphabet="ARSUNOXM ", max_size=8), st.text(alphabet="ARSUNOXM ", max_size=8)
        ),
        max_size=40,
    )
)
def test_jaro_winkler_cutoff_keeps_every_level_decision(
    cutoff: float, pairs: list[tuple[str, str]]
) -> None:
    # RUSANA / ROXANA score exactly 0.8: below the cutoff in double precision, at it in
    # the float32 the levels read. The cutoff must not move such a pair down a level.
    a = np.array(["RUSANA", *(x for x, _ in pairs)], dtype=object)
    b = np.array(["ROXANA", *(y for _, y in pairs)], dtype=object)
    full = jaro_winkler(a, b)
    cut = jaro_winkler_at_least(cutoff)(a, b)
    for threshold in (0.80, 0.90, 0.92):
        if threshold >= cutoff:
            assert ((cut >= threshold) == (full >= threshold)).all()
    assert ((cut == 0) | (cut == full)).all()
