"""Hard "cannot be one person" rules (linker/rules.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import FRAME_PROPERTY, ordered_pairs, random_records, standardized
from hypothesis import given
from hypothesis import strategies as st

from linker.columns import gamma_column
from linker.comparisons import REGISTRY
from linker.features import prepare_features
from linker.linkage import LABEL, compare_pairs, labelled_pattern_counts, year_gaps
from linker.rules import (
    CONTRADICTION,
    RuleSettings,
    contradictions,
    identifier_agrees,
    near_identifier_with_surname,
)
from models import pattern_counts

RULES = ("a_numbers_differ", "birth_years_far_apart", "given_names_differ")
NAN = float("nan")


def gamma(comparison: str, level: str) -> int:
    return REGISTRY[comparison].spec.gamma_of(level)


def gammas(rows: list[dict[str, str]]) -> pd.DataFrame:
    """A gammas frame from level labels per pair; unnamed comparisons are null."""
    return pd.DataFrame(
        {
            gamma_column(name): np.array(
                [gamma(name, row.get(name, "null")) for row in rows], dtype=np.int8
            )
            for name in REGISTRY
        }
    )


def fired(levels: dict[str, str], gap: float = NAN, settings: RuleSettings | None = None) -> str:
    return str(contradictions(gammas([levels]), np.array([gap]), settings)[0])


FAR = 10.0  # years between two birth dates: more than any typo explains

CASES = {
    # a_numbers_differ
    "anum-differ": ({"a_number": "else"}, NAN, "a_numbers_differ"),
    "anum-typo": ({"a_number": "one_digit_typo"}, NAN, ""),
    "anum-exact": ({"a_number": "exact"}, NAN, ""),
    "anum-null": ({"a_number": "null"}, NAN, ""),
    # birth_years_far_apart
    "years-far": ({"dob": "else"}, FAR, "birth_years_far_apart"),
    "years-just-over": ({"dob": "else"}, 5.0, "birth_years_far_apart"),
    "years-at-limit": ({"dob": "else"}, 4.0, ""),
    "years-unknown-gap": ({"dob": "else"}, NAN, ""),
    "years-dob-null": ({"dob": "null"}, FAR, ""),
    "years-anum-agrees": ({"dob": "else", "a_number": "exact"}, FAR, ""),
    "years-document-agrees": ({"dob": "else", "document_id": "exact"}, FAR, ""),
    "years-person-id-agrees": ({"dob": "else", "person_id": "exact"}, FAR, ""),
    "years-cross-reference": ({"dob": "else", "cross_reference": "cites_the_other"}, FAR, ""),
    "years-same-citation-protects-not": (
        {"dob": "else", "cross_reference": "cite_the_same"},
        FAR,
        "birth_years_far_apart",
    ),
    "years-anum-typo-same-surname": (
        {"dob": "else", "a_number": "one_digit_typo", "family_name": "first_surname"},
        FAR,
        "",
    ),
    "years-document-typo-both-surnames": (
        {"dob": "else", "document_id": "one_character_typo", "family_name": "both_surnames"},
        FAR,
        "",
    ),
    "years-anum-typo-other-surname": (
        {"dob": "else", "a_number": "one_digit_typo", "family_name": "one_surname_shared"},
        FAR,
        "birth_years_far_apart",
    ),
    # ... but not for one name and one place: that is how a mistyped birth year looks
    "years-same-name-same-place": (
        {"dob": "else", "given_name": "exact", "family_name": "both_surnames", "address": "exact"},
        FAR,
        "",
    ),
    "years-same-name-same-postcode": (
        {
            "dob": "else",
            "given_name": "jaro_winkler_0.92",
            "family_name": "jaro_winkler_0.90",
            "address": "same_postal_code",
        },
        FAR,
        "",
    ),
    "years-same-name-other-place": (
        {"dob": "else", "given_name": "exact", "family_name": "both_surnames", "address": "else"},
        FAR,
        "birth_years_far_apart",
    ),
    "years-parent-child-same-place": (
        {"dob": "else", "given_name": "exact", "family_name": "first_surname", "address": "exact"},
        FAR,
        "birth_years_far_apart",
    ),
    # given_names_differ
    "given-differ": ({"given_name": "else"}, NAN, "given_names_differ"),
    "given-differ-dob-partial": (
        {"given_name": "else", "dob": "partial_agrees"},
        0.0,
        "given_names_differ",
    ),
    "given-differ-dob-exact": ({"given_name": "else", "dob": "exact"}, 0.0, ""),
    "given-differ-dob-swapped": ({"given_name": "else", "dob": "day_month_swapped"}, 0.0, ""),
    "given-differ-dob-typo": ({"given_name": "else", "dob": "one_digit_typo"}, 0.0, ""),
    "given-near": ({"given_name": "jaro_winkler_0.80"}, NAN, ""),
    "given-null": ({"given_name": "null"}, NAN, ""),
    "given-differ-anum-agrees": ({"given_name": "else", "a_number": "exact"}, NAN, ""),
    "given-differ-document-agrees": ({"given_name": "else", "document_id": "exact"}, NAN, ""),
    "given-differ-person-id-agrees": ({"given_name": "else", "person_id": "exact"}, NAN, ""),
    "given-differ-cited": ({"given_name": "else", "cross_reference": "cites_the_other"}, NAN, ""),
    "given-differ-anum-typo-same-surname": (
        {"given_name": "else", "a_number": "one_digit_typo", "family_name": "both_surnames"},
        NAN,
        "",
    ),
    # the first rule that fires is named
    "order-all-three": (
        {"a_number": "else", "dob": "else", "given_name": "else"},
        FAR,
        "a_numbers_differ",
    ),
    "order-years-before-given": (
        {"dob": "else", "given_name": "else"},
        FAR,
        "birth_years_far_apart",
    ),
    # nothing against
    "nothing": ({}, NAN, ""),
}


@pytest.mark.parametrize("case", list(CASES))
def test_rule(case: str) -> None:
    levels, gap, expected = CASES[case]
    assert fired(levels, gap) == expected


@pytest.mark.parametrize(
    "agreeing",
    [{"document_id": "exact"}, {"person_id": "exact"}, {"cross_reference": "cites_the_other"}],
)
def test_a_numbers_differ_yields_to_another_agreeing_identifier(agreeing: dict[str, str]) -> None:
    # rules.py docstring: the rules "apply only when no strong identifier (A-number,
    # document, agency person id, a cross-reference) agrees".
    assert fired({"a_number": "else", **agreeing}) == ""


@pytest.mark.parametrize("rule", RULES)
def test_a_rule_switched_off_does_not_fire(rule: str) -> None:
    levels = {"a_number": "else", "dob": "else", "given_name": "else"}
    off = RuleSettings(**{rule: False})
    got = contradictions(gammas([levels]), np.array([FAR]), off)[0]
    assert got != rule and got in RULES


def test_max_year_gap_is_a_setting() -> None:
    assert fired({"dob": "else"}, 3.0, RuleSettings(max_year_gap=2)) == "birth_years_far_apart"
    assert fired({"dob": "else"}, 5.0, RuleSettings(max_year_gap=5)) == ""


def test_a_missing_comparison_column_never_fires() -> None:
    frame = gammas([{"a_number": "else", "dob": "else", "given_name": "else"}])
    frame = frame.drop(columns=[gamma_column(c) for c in ("a_number", "dob", "given_name")])
    assert contradictions(frame, np.array([FAR])).tolist() == [""]


def test_identifier_helpers() -> None:
    frame = gammas(
        [
            {"a_number": "exact"},
            {"cross_reference": "cite_the_same"},
            {"a_number": "one_digit_typo", "family_name": "first_surname"},
            {"document_id": "one_character_typo", "family_name": "jaro_winkler_0.90"},
        ]
    )
    assert identifier_agrees(frame).tolist() == [True, False, False, False]
    assert near_identifier_with_surname(frame).tolist() == [False, False, True, False]


# --- on standardized records, through the pipeline's compare step --------------------


def rule_for(left: dict[str, object], right: dict[str, object]) -> str:
    records = standardized([left, right])
    features = prepare_features(records)
    i, j = np.array([0]), np.array([1])
    g = compare_pairs(features, i, j, list(REGISTRY.values()))
    return str(contradictions(g, year_gaps(features, i, j))[0])


FAMILY = {"family_name": "López García", "address": "9 Oak Ave Houston TX", "phone": "7135551234"}


@pytest.mark.parametrize(
    ("left", "right", "expected"),
    [
        pytest.param(
            {"given_name": "Ana", "dob": "2010-05-06", **FAMILY},
            {"given_name": "LUIS", "dob": "2012-08-09", **FAMILY},
            "given_names_differ",
            id="siblings",
        ),
        pytest.param(
            # Spanish naming: the daughter's second surname is her mother's first.
            {"given_name": "María", "dob": "1985-02-03", **FAMILY},
            {
                "given_name": "MARIA",
                "dob": "2012-08-09",
                **FAMILY,
                "family_name": "Hernández López",
            },
            "birth_years_far_apart",
            id="mother-and-daughter-namesake",
        ),
        pytest.param(
            # Same given name, both surnames and home, years apart: a wrong year, which
            # the model weighs rather than a rule forbidding.
            {"given_name": "María", "dob": "1985-02-03", **FAMILY},
            {"given_name": "MARIA", "dob": "1962-07-03", **FAMILY},
            "",
            id="wrong-year-same-name-and-home",
        ),
        pytest.param(
            {"given_name": "José", "a_number": "A012345678", **FAMILY},
            {"given_name": "JOSE", "a_number": "A087654321", **FAMILY},
            "a_numbers_differ",
            id="two-a-numbers",
        ),
        pytest.param(
            {"given_name": "Pepe", "dob": "2010-05-06", **FAMILY},
            {"given_name": "JOSE", "dob": "2010-05-06", **FAMILY},
            "",
            id="nickname",
        ),
        pytest.param(
            {"given_name": "Guadalupe", "dob": "2010-05-06", **FAMILY},
            {"given_name": "ROSA", "dob": "06/05/2010", **FAMILY},
            "",
            id="other-given-name-same-dob-swapped",
        ),
        pytest.param(
            {"given_name": "Ana", "dob": "2010-05-06", "a_number": "A012345678", **FAMILY},
            {"given_name": "ROSA", "dob": "1990-08-09", "a_number": "12345678", **FAMILY},
            "",
            id="a-number-agrees",
        ),
        pytest.param(
            {"given_name": "Ana", "dob": "2010-05-06", "a_number": "A012345678", **FAMILY},
            {"given_name": "ROSA", "dob": "2010-08-09", "a_number": "A012345687", **FAMILY},
            "",
            id="a-number-transposed-same-surnames",
        ),
    ],
)
def test_rules_on_standardized_records(
    left: dict[str, object], right: dict[str, object], expected: str
) -> None:
    assert rule_for(left, right) == expected


# --- properties -------------------------------------------------------------------------


@FRAME_PROPERTY
@given(random_records)
def test_rules_are_symmetric(records: pd.DataFrame) -> None:
    features = prepare_features(records)
    left, right = ordered_pairs(len(records))
    both_l, both_r = np.r_[left, right], np.r_[right, left]  # each pair, then reversed
    g = compare_pairs(features, both_l, both_r, list(REGISTRY.values()))
    forward, backward = np.split(contradictions(g, year_gaps(features, both_l, both_r)), 2)
    np.testing.assert_array_equal(forward, backward)


def reference_rule(row: dict[str, int], gap: float, settings: RuleSettings) -> str:
    """The rules written out one pair at a time."""
    agrees = (
        row["a_number"] >= gamma("a_number", "exact")
        or row["document_id"] >= gamma("document_id", "exact")
        or row["person_id"] >= gamma("person_id", "exact")
        or row["cross_reference"] >= gamma("cross_reference", "cites_the_other")
    )
    near = (
        row["a_number"] >= gamma("a_number", "one_digit_typo")
        or row["document_id"] >= gamma("document_id", "one_character_typo")
    ) and row["family_name"] >= gamma("family_name", "first_surname")
    protected = agrees or near
    # a wrong birth year looks like this; a parent and child under Spanish naming do not
    same_name_same_place = (
        row["family_name"]
        in (gamma("family_name", "both_surnames"), gamma("family_name", "jaro_winkler_0.90"))
        and row["given_name"] >= gamma("given_name", "jaro_winkler_0.92")
        and row["address"] >= gamma("address", "same_postal_code")
    )
    if settings.a_numbers_differ and row["a_number"] == 0 and not protected:
        return "a_numbers_differ"
    if (
        settings.birth_years_far_apart
        and row["dob"] == 0
        and gap > settings.max_year_gap
        and not protected
        and not same_name_same_place
    ):
        return "birth_years_far_apart"
    if (
        settings.given_names_differ
        and row["given_name"] == 0
        and row["dob"] < gamma("dob", "one_digit_typo")
        and not protected
    ):
        return "given_names_differ"
    return ""


gamma_rows = st.fixed_dictionaries(
    {name: st.integers(-1, spec.spec.num_levels - 1) for name, spec in REGISTRY.items()}
)


@given(
    rows=st.lists(st.tuples(gamma_rows, st.one_of(st.just(NAN), st.integers(0, 8))), max_size=20),
    switches=st.tuples(st.booleans(), st.booleans(), st.booleans()),
    max_gap=st.integers(0, 6),
)
def test_contradictions_match_a_pair_by_pair_reference(
    rows: list[tuple[dict[str, int], float]], switches: tuple[bool, bool, bool], max_gap: int
) -> None:
    settings = RuleSettings(*switches, max_year_gap=max_gap)
    frame = pd.DataFrame(
        {gamma_column(n): np.array([r[n] for r, _ in rows], dtype=np.int8) for n in REGISTRY}
    )
    gaps = np.array([g for _, g in rows], dtype=float)
    got = contradictions(frame, gaps, settings)
    assert got.tolist() == [reference_rule(r, g, settings) for r, g in rows]


@given(
    st.lists(
        st.tuples(
            st.integers(-1, 2), st.integers(-1, 1), st.sampled_from(["", "a_numbers_differ"])
        ),
        max_size=40,
    )
)
def test_labelled_patterns_are_the_rejected_counts_then_the_others(
    rows: list[tuple[int, int, str]],
) -> None:
    """EM's input: rejected pairs' patterns (label 0) first, then the rest (NaN), each
    part sorted by its vector, counted as two separate counts would count them."""
    columns = ["gamma_a", "gamma_b"]
    frame = pd.DataFrame(rows, columns=[*columns, CONTRADICTION]).astype(
        {c: np.int8 for c in columns}
    )
    got = labelled_pattern_counts(frame, columns)
    parts = []
    for rejected, label in ((True, 0.0), (False, np.nan)):
        part = frame[(frame[CONTRADICTION] != "") == rejected]
        if len(part):
            parts.append(pattern_counts(part[columns]).assign(**{LABEL: label}))
    expected = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pattern_counts(frame[columns]).assign(**{LABEL: np.zeros(0)})
    )
    pd.testing.assert_frame_equal(got, expected)
