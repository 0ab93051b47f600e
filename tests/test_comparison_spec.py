"""The comparison spec as data, and the generic level evaluator (models/comparison.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker.errors import ConfigError, DataContractError
from models import Comparison, ComparisonLevel, evaluate_levels

L = ComparisonLevel


def name_comparison() -> Comparison:
    return Comparison(
        "given_name",
        (
            L("null", is_null=True),
            L("exact", tf_adjusted=True),
            L("jaro_winkler >= 0.92"),
            L("jaro_winkler >= 0.8"),
            L("else"),
        ),
        column="given_name",
        tf_column="given_name",
    )


# --- spec position -> gamma -------------------------------------------------------------


def test_gamma_mapping_most_similar_first_else_zero() -> None:
    c = name_comparison()
    assert c.num_levels == 4
    assert [level.label for level in c.levels_by_gamma] == [
        "else",
        "jaro_winkler >= 0.8",
        "jaro_winkler >= 0.92",
        "exact",
    ]
    assert c.gamma_of("exact") == 3
    assert c.gamma_of("else") == 0
    assert c.gamma_of("null") == -1
    assert c.label_of(-1) == "null"
    assert c.label_of(2) == "jaro_winkler >= 0.92"
    assert c.tf_gammas == (3,)
    assert c.gamma_column == "gamma_given_name"


def test_gamma_mapping_without_null_level() -> None:
    c = Comparison("sex", (L("same"), L("else")))
    assert c.null_level is None
    assert c.label_of(-1) == "null"
    assert c.gamma_of("same") == 1
    with pytest.raises(KeyError, match="no level 'nope'"):
        c.gamma_of("nope")
    with pytest.raises(KeyError, match="-1..1"):
        c.label_of(2)


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "levels", "tf_column", "message"),
    [
        ("bad name", (L("a"), L("else")), None, "letters, digits and underscores"),
        ("", (L("a"), L("else")), None, "letters, digits and underscores"),
        ("x", (L("else"),), None, "at least two non-null levels"),
        ("x", (L("null", is_null=True), L("else")), None, "at least two non-null levels"),
        ("x", (L("a"), L("a"), L("else")), None, "labels must be unique"),
        ("x", (L("a"), L("null", is_null=True), L("else")), None, "must come first"),
        ("x", (L("a"), L("else", tf_adjusted=True)), "col", "only a similarity level"),
        ("x", (L("n", is_null=True, tf_adjusted=True), L("a"), L("b")), "c", "only a similarity"),
        ("x", (L("a", tf_adjusted=True), L("else")), None, "no tf_column"),
    ],
)
def test_invalid_specs_are_rejected_with_a_reason(
    name: str, levels: tuple[ComparisonLevel, ...], tf_column: str | None, message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Comparison(name, levels, tf_column=tf_column)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as info:
        Comparison("a b", (L("x", tf_adjusted=True), L("x", is_null=True)))
    assert len(info.value.problems) >= 4


def test_from_json_reports_unknown_keys_and_bad_levels_together() -> None:
    data = {
        "name": "dob",
        "colum": "dob",  # typo
        "levels": [{"label": "exact", "tf": True}, {"label": ""}, "else"],
    }
    with pytest.raises(ConfigError) as info:
        Comparison.from_json(data)
    text = str(info.value)
    assert "'colum'" in text and "'tf'" in text and "non-empty" in text and "level 2" in text


def test_from_json_accepts_missing_optional_keys() -> None:
    c = Comparison.from_json({"name": "sex", "levels": [{"label": "same"}, {"label": "else"}]})
    assert c == Comparison("sex", (L("same"), L("else")))


def test_levels_given_as_list_become_a_tuple() -> None:
    c = Comparison("sex", [L("same"), L("else")])  # type: ignore[arg-type]
    assert isinstance(c.levels, tuple)
    assert hash(c) == hash(Comparison("sex", (L("same"), L("else"))))


# --- JSON round trips (hypothesis) --------------------------------------------------------

_labels = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=12
)


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    name = draw(st.from_regex(r"[a-z_][a-z0-9_]{0,15}", fullmatch=True))
    labels = draw(st.lists(_labels, min_size=2, max_size=7, unique=True))
    with_null = draw(st.booleans()) and len(labels) >= 3
    levels = []
    for i, label in enumerate(labels):
        if with_null and i == 0:
            levels.append(L(label, is_null=True))
        elif i == len(labels) - 1:
            levels.append(L(label))
        else:
            levels.append(L(label, tf_adjusted=draw(st.booleans())))
    needs_tf = any(level.tf_adjusted for level in levels)
    tf_column = draw(st.just("col_tf") if needs_tf else st.none() | st.just("col_tf"))
    column = draw(st.none() | st.text(min_size=1, max_size=8))
    return Comparison(name, tuple(levels), column=column, tf_column=tf_column)


@given(comparisons())
def test_spec_json_round_trip(c: Comparison) -> None:
    text = json.dumps(c.to_json())
    back = Comparison.from_json(json.loads(text))
    assert back == c
    assert back.levels_by_gamma == c.levels_by_gamma
    assert [back.gamma_of(level.label) for level in back.levels] == [
        c.gamma_of(level.label) for level in c.levels
    ]


@given(comparisons())
def test_gammas_cover_exactly_minus_one_to_k_minus_one(c: Comparison) -> None:
    gammas = sorted(c.gamma_of(level.label) for level in c.levels)
    expected = ([-1] if c.null_level is not None else []) + list(range(c.num_levels))
    assert gammas == expected
    assert c.levels_by_gamma[0] == c.levels[-1]  # "else" is written last and is gamma 0


# --- evaluate_levels ------------------------------------------------------------------------

T, F = True, False


@pytest.mark.parametrize(
    ("conditions", "null", "expected"),
    [
        # one row per pair; conditions are [exact, fuzzy], most similar first
        ([[T], [T]], [F], [2]),  # first true wins: exact, though fuzzy holds too
        ([[F], [T]], [F], [1]),
        ([[F], [F]], [F], [0]),  # nothing holds: "else"
        ([[T], [T]], [T], [-1]),  # null wins over every condition
        ([[F], [F]], [T], [-1]),
        ([[T, F, F, F], [F, T, F, T]], [F, F, F, T], [2, 1, 0, -1]),
        ([[], []], [], []),  # no pairs
    ],
)
def test_evaluate_levels_table(
    conditions: list[list[bool]], null: list[bool], expected: list[int]
) -> None:
    arrays = [np.array(c, dtype=bool) for c in conditions]
    result = evaluate_levels(arrays, np.array(null, dtype=bool))
    assert result.dtype == np.int8
    assert result.tolist() == expected


def test_evaluate_levels_missing_values_in_conditions_count_as_false() -> None:
    exact = pd.Series([True, pd.NA, None, False], dtype="boolean")
    fuzzy = pd.Series([False, True, pd.NA, pd.NA], dtype="boolean")
    null = pd.Series([False, False, False, False])
    assert evaluate_levels([exact, fuzzy], null).tolist() == [2, 1, 0, 0]


def test_evaluate_levels_null_mask_from_isna() -> None:
    left = pd.Series(["ANA", None, "José", "", np.nan])
    right = pd.Series(["ANA", "ANA", "JOSE", "", "X"])
    null = left.isna() | right.isna() | left.eq("") | right.eq("")
    exact = (left == right).to_numpy()
    assert evaluate_levels([exact], null).tolist() == [1, -1, 0, -1, -1]


def test_evaluate_levels_without_null_mask() -> None:
    assert evaluate_levels([np.array([True, False])]).tolist() == [1, 0]


def test_evaluate_levels_does_not_mutate_inputs() -> None:
    exact = np.array([True, False])
    null = np.array([False, True])
    evaluate_levels([exact], null)
    assert exact.tolist() == [True, False] and null.tolist() == [False, True]


@pytest.mark.parametrize(
    ("conditions", "null", "message"),
    [
        ([np.array([True, False])], np.array([False]), "one length"),
        ([np.array([1, 0])], None, "boolean"),
        ([pd.Series([0.5, 1.0])], None, "boolean"),
        ([np.array([[True]])], None, "one-dimensional"),
        ([], None, "at least one condition"),
    ],
)
def test_evaluate_levels_rejects_bad_arrays(conditions: list, null: object, message: str) -> None:
    with pytest.raises(DataContractError, match=message):
        evaluate_levels(conditions, null)


def test_comparison_evaluate_checks_the_number_of_conditions() -> None:
    c = name_comparison()  # 4 non-null levels: 3 conditions between null and "else"
    ok = [np.array([False]), np.array([True]), np.array([True])]
    assert c.evaluate(ok, np.array([False])).tolist() == [2]
    with pytest.raises(DataContractError, match="3 levels between null and 'else'"):
        c.evaluate(ok[:2], np.array([False]))


@given(
    st.integers(min_value=1, max_value=5).flatmap(
        lambda k: st.lists(
            st.tuples(st.booleans(), st.lists(st.booleans(), min_size=k, max_size=k)),
            max_size=30,
        ).map(lambda rows: (k, rows))
    )
)
def test_evaluate_levels_matches_a_row_by_row_oracle(case: tuple[int, list]) -> None:
    k, rows = case
    null = np.array([r[0] for r in rows], dtype=bool)
    conditions = [np.array([r[1][i] for r in rows], dtype=bool) for i in range(k)]
    expected = []
    for is_null, flags in rows:
        if is_null:
            expected.append(-1)
        else:
            expected.append(next((k - i for i, flag in enumerate(flags) if flag), 0))
    assert evaluate_levels(conditions, null).tolist() == expected
