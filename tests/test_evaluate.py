from __future__ import annotations

import itertools
import math
import random

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker.errors import DataContractError
from linker.evaluate import (
    A_NUMBER_ORIGINAL,
    a_number_values,
    bcubed_scores,
    evaluate_a_numbers,
    evaluate_entities,
    format_evaluation,
    pairwise_scores,
    person_a_numbers,
)


def frames(entity: list, person: list, source: str = "cbp") -> tuple[pd.DataFrame, pd.DataFrame]:
    keys = [f"R{i}" for i in range(len(entity))]
    predicted = pd.DataFrame({"source": source, "record_key": keys, "entity_id": entity})
    truth = pd.DataFrame({"source": source, "record_key": keys, "person_id": person})
    return predicted, truth


# --- hand cases ---------------------------------------------------------------------------
TRUTH6 = ["a", "a", "b", "c", "c", "c"]

# (predicted, truth, pairwise (p, r, f1), b-cubed (p, r, f1))
HAND_CASES = {
    "perfect": ([1, 1, 2, 3, 3, 3], TRUTH6, (1, 1, 1), (1, 1, 1)),
    # 15 predicted pairs, 4 true, all 4 found; b-cubed precision (2*2 + 1 + 3*3) / 36
    "all merged": ([0] * 6, TRUTH6, (4 / 15, 1, 8 / 19), (7 / 18, 1, 14 / 25)),
    # no predicted pairs: precision is vacuously 1; b-cubed recall (2*1/2 + 1 + 3*1/3) / 6
    "all split": ([0, 1, 2, 3, 4, 5], TRUTH6, (1, 0, 0), (1, 0.5, 2 / 3)),
    # true pairs {01,02,12,34}, predicted {01,23,24,34}: 2 in common
    "small": ([1, 1, 2, 2, 2], ["a", "a", "a", "b", "b"], (0.5, 0.5, 0.5), (11 / 15,) * 3),
    "labels with diacritics and blanks": (
        ["é", "é", " ", "x"],
        ["José", "José", "", "Zoë"],
        (1, 1, 1),
        (1, 1, 1),
    ),
    "mixed label types": ([1, "1", 2.5, 2.5], [0, 1, 2, 2], (1, 1, 1), (1, 1, 1)),
    "one record": (["e"], ["p"], (1, 1, 1), (1, 1, 1)),
}


@pytest.mark.parametrize(
    ("entity", "person", "pairwise", "bcubed"), HAND_CASES.values(), ids=HAND_CASES
)
def test_hand_cases(entity: list, person: list, pairwise: tuple, bcubed: tuple) -> None:
    predicted, truth = frames(entity, person)
    result = evaluate_entities(predicted, truth)
    pw, b3 = result["pairwise"], result["bcubed"]
    assert (pw["precision"], pw["recall"], pw["f1"]) == pytest.approx(pairwise)
    assert (b3["precision"], b3["recall"], b3["f1"]) == pytest.approx(bcubed)
    assert result["records"] == len(entity)
    assert result["entities"] == len(set(map(repr, entity)))
    assert result["true_persons"] == len(set(person))


def test_small_case_pair_counts() -> None:
    result = evaluate_entities(*frames([1, 1, 2, 2, 2], ["a", "a", "a", "b", "b"]))
    pw = result["pairwise"]
    assert (pw["true_positive_pairs"], pw["predicted_pairs"], pw["true_pairs"]) == (2, 4, 4)
    assert (pw["false_positive_pairs"], pw["false_negative_pairs"]) == (2, 2)


def test_empty_frames_are_vacuously_perfect() -> None:
    result = evaluate_entities(*frames([], []))
    assert result["records"] == result["entities"] == result["true_persons"] == 0
    assert result["pairwise"]["precision"] == result["bcubed"]["recall"] == 1.0


# --- oracle: brute-force pair enumeration -------------------------------------------------
def brute_force(pred: list[int], true: list[int]) -> tuple[int, int, int, float, float]:
    pairs = list(itertools.combinations(range(len(pred)), 2))
    same_p = {(i, j) for i, j in pairs if pred[i] == pred[j]}
    same_t = {(i, j) for i, j in pairs if true[i] == true[j]}
    n = len(pred)
    b3p = sum(
        sum(1 for j in range(n) if pred[j] == pred[i] and true[j] == true[i])
        / sum(1 for j in range(n) if pred[j] == pred[i])
        for i in range(n)
    )
    b3r = sum(
        sum(1 for j in range(n) if pred[j] == pred[i] and true[j] == true[i])
        / sum(1 for j in range(n) if true[j] == true[i])
        for i in range(n)
    )
    return len(same_p & same_t), len(same_p), len(same_t), b3p / max(n, 1), b3r / max(n, 1)


labelings = st.integers(min_value=0, max_value=30).flatmap(
    lambda n: st.tuples(
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
        st.lists(st.integers(0, 5), min_size=n, max_size=n),
    )
)


@given(labelings)
def test_contingency_counts_equal_brute_force(labels: tuple[list[int], list[int]]) -> None:
    pred, true = labels
    tp, n_pred, n_true, b3p, b3r = brute_force(pred, true)
    pw = pairwise_scores(pred, true)
    assert (pw["true_positive_pairs"], pw["predicted_pairs"], pw["true_pairs"]) == (
        tp,
        n_pred,
        n_true,
    )
    assert pw["precision"] == (tp / n_pred if n_pred else 1.0)
    assert pw["recall"] == (tp / n_true if n_true else 1.0)
    if pred:
        b3 = bcubed_scores(pred, true)
        assert b3["precision"] == pytest.approx(b3p)
        assert b3["recall"] == pytest.approx(b3r)


@given(labelings, st.randoms(use_true_random=False))
def test_scores_do_not_depend_on_row_order(
    labels: tuple[list[int], list[int]], rnd: random.Random
) -> None:
    pred, true = labels
    order = list(range(len(pred)))
    rnd.shuffle(order)
    predicted, truth = frames(pred, true)
    shuffled = evaluate_entities(predicted.iloc[order], truth)
    plain = evaluate_entities(predicted, truth)
    assert shuffled["pairwise"] == pytest.approx(plain["pairwise"])
    assert shuffled["bcubed"] == pytest.approx(plain["bcubed"])
    assert (shuffled["entities"], shuffled["true_persons"]) == (
        plain["entities"],
        plain["true_persons"],
    )


def test_large_input_is_counted_not_enumerated() -> None:
    # One cluster of 200,000 records holds 2e10 pairs: only counting can finish.
    n = 200_000
    result = pairwise_scores(np.zeros(n, dtype=np.int64), np.arange(n) % 2)
    assert result["predicted_pairs"] == n * (n - 1) // 2
    assert result["true_pairs"] == 2 * (n // 2) * (n // 2 - 1) // 2
    assert result["true_positive_pairs"] == result["true_pairs"]


# --- records on one side only, and contract errors -----------------------------------------
def test_records_on_one_side_are_reported_not_scored() -> None:
    predicted, truth = frames([1, 1, 2], ["a", "a", "b"])
    predicted = pd.concat(
        [predicted, pd.DataFrame({"source": ["ice"], "record_key": ["X9"], "entity_id": [1]})]
    )
    truth = pd.concat(
        [
            truth,
            pd.DataFrame(
                {"source": ["hhs", "hhs"], "record_key": ["H1", "H1:sponsor"], "person_id": "a"}
            ),
        ]
    )
    result = evaluate_entities(predicted, truth)
    assert result["only_in_predicted"] == {"count": 1, "examples": ["ice:X9"]}
    assert result["only_in_truth"] == {"count": 2, "examples": ["hhs:H1", "hhs:H1:sponsor"]}
    assert result["records"] == 3
    assert result["pairwise"]["precision"] == 1.0  # the stray ice record merged nothing scored
    text = format_evaluation(result)
    assert "1 records only in the run" in text and "ice:X9" in text
    assert "2 records only in the truth" in text


def test_same_key_in_another_source_is_another_record() -> None:
    predicted = pd.DataFrame({"source": ["cbp", "ice"], "record_key": ["1", "1"], "entity_id": 7})
    truth = pd.DataFrame({"source": ["cbp", "ice"], "record_key": ["1", "1"], "person_id": "p"})
    assert evaluate_entities(predicted, truth)["pairwise"]["true_positive_pairs"] == 1


def test_int_keys_on_one_side_align_with_text_keys() -> None:
    predicted = pd.DataFrame({"source": "f", "record_key": [10, 11, 12], "entity_id": [1, 1, 2]})
    truth = pd.DataFrame(
        {"source": "f", "record_key": ["10", "11", "12"], "person_id": list("abb")}
    )
    result = evaluate_entities(predicted, truth)
    assert result["records"] == 3 and result["only_in_truth"]["count"] == 0
    assert result["pairwise"]["true_positive_pairs"] == 0


@pytest.mark.parametrize("null", [None, np.nan, pd.NA])
@pytest.mark.parametrize("column", ["entity_id", "record_key", "source"])
def test_null_identity_is_a_contract_error(column: str, null: object) -> None:
    predicted, truth = frames([1, 2], ["a", "b"])
    predicted[column] = predicted[column].astype(object)
    predicted.loc[1, column] = null
    with pytest.raises(DataContractError, match=r"row 1"):
        evaluate_entities(predicted, truth)


def test_repeated_record_is_a_contract_error() -> None:
    predicted, truth = frames([1, 2, 3], ["a", "b", "c"])
    truth.loc[2, "record_key"] = "R0"
    with pytest.raises(DataContractError, match=r"truth: 2 rows share"):
        evaluate_entities(predicted, truth)


def test_missing_column_is_named() -> None:
    predicted, truth = frames([1], ["a"])
    with pytest.raises(DataContractError, match="entity_id"):
        evaluate_entities(predicted.drop(columns="entity_id"), truth)


def test_inputs_are_not_mutated() -> None:
    predicted, truth = frames([1, 1, 2], ["a", "b", "b"])
    before = predicted.copy(), truth.copy()
    evaluate_entities(predicted, truth)
    pd.testing.assert_frame_equal(predicted, before[0])
    pd.testing.assert_frame_equal(truth, before[1])


# --- A-numbers ----------------------------------------------------------------------------
A1, A2, A4, A5 = "111111111", "222222222", "044444444", "555555555"


def a_number_case() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """r1 right, r2 and r3 someone else's, r4 not given one, r5 had its own, r6 overridden."""
    predicted = pd.DataFrame(
        {
            "source": "cbp",
            "record_key": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "entity_id": [1, 1, 2, 3, 1, 4],
            "a_number": [A1, A1, "333333333", None, A1, "999999999"],
            A_NUMBER_ORIGINAL: [None, "", np.nan, pd.NA, A1, A5],
        }
    )
    truth_records = pd.DataFrame(
        {
            "source": "cbp",
            "record_key": ["r1", "r2", "r3", "r4", "r5", "r6"],
            "person_id": ["P1", "P2", "P3", "P4", "P1", "P5"],
        }
    )
    truth_persons = pd.DataFrame(
        {"person_id": ["P1", "P2", "P3", "P4", "P5"], "a_number": [A1, A2, "", A4, A5]}
    )
    return predicted, truth_records, truth_persons


def test_a_numbers_hand_example_with_truth_column() -> None:
    predicted, truth_records, truth_persons = a_number_case()
    r = evaluate_a_numbers(predicted, truth_records, truth_persons=truth_persons)
    assert {k: r[k] for k in ("missing", "recoverable", "assigned", "correct", "wrong")} == {
        "missing": 4,
        "recoverable": 3,  # P3 has no A-number
        "assigned": 3,
        "correct": 1,
        "wrong": 2,
    }
    assert r["not_assigned"] == 1 and r["original_overridden"] == 1
    assert (r["coverage"], r["precision"], r["wrong_rate"], r["recall"]) == pytest.approx(
        (3 / 4, 1 / 3, 2 / 3, 1 / 3)
    )
    text = format_evaluation({"a_numbers": r})
    assert "someone else's" in text and "66.7%" in text


def test_a_numbers_truth_derived_from_the_records_original_a_numbers() -> None:
    predicted, truth_records, _ = a_number_case()
    r = evaluate_a_numbers(predicted, truth_records)  # P1 and P5 known from r5 / r6 only
    assert (r["recoverable"], r["correct"], r["wrong"]) == (1, 1, 2)


def test_a_numbers_read_as_numbers_still_compare_equal() -> None:
    predicted, truth_records, truth_persons = a_number_case()
    as_float = predicted.assign(a_number=pd.to_numeric(predicted["a_number"]).astype(float))
    as_int = truth_persons.assign(a_number=[111111111, 222222222, 0, 44444444, 555555555])
    r = evaluate_a_numbers(as_float, truth_records, truth_persons=as_int)
    assert (r["correct"], r["wrong"], r["recoverable"]) == (1, 2, 3)


def test_person_a_number_is_the_most_frequent_valid_one() -> None:
    truth_records = pd.DataFrame(
        {"source": "s", "record_key": list("abcdefg"), "person_id": list("XXXYYZZ")}
    )
    records = pd.DataFrame(
        {
            "source": "s",
            "record_key": list("abcdefgh"),  # h is not in the truth: ignored
            "a_number": [A2, A1, A2, A5, A4, "bad", None, A1],
        }
    )
    result = person_a_numbers(truth_records, records=records)
    assert result.to_dict() == {"X": int(A2), "Y": int(A4)}  # Y ties: the smaller wins


def test_person_a_numbers_needs_a_source_of_truth() -> None:
    with pytest.raises(DataContractError, match="a_number"):
        person_a_numbers(pd.DataFrame({"source": [], "record_key": [], "person_id": []}))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("012345678", 12345678),
        (" 012345678 ", 12345678),
        ("A-012 345 678", 12345678),
        ("12345678.0", 12345678),
        (12345678, 12345678),
        (12345678.0, 12345678),
        (None, None),
        (np.nan, None),
        (pd.NA, None),
        ("", None),
        ("   ", None),
        ("000000000", None),
        ("n/a", None),
        ("Ñ", None),
    ],
)
def test_a_number_values(value: object, expected: int | None) -> None:
    result = a_number_values(pd.Series([value, "987654321"], dtype=object))
    assert result.dtype == "Int64"
    got = result.iloc[0]
    assert (got is pd.NA) if expected is None else got == expected
    assert result.iloc[1] == 987654321


def test_format_evaluation_of_both_results() -> None:
    predicted, truth_records, truth_persons = a_number_case()
    text = format_evaluation(
        {
            "entities": evaluate_entities(predicted, truth_records),
            "a_numbers": evaluate_a_numbers(predicted, truth_records, truth_persons=truth_persons),
        }
    )
    lines = text.splitlines()
    pairwise = next(line for line in lines if line.startswith("pairwise"))
    assert [float(x) for x in pairwise.split()[1:]] == pytest.approx([1 / 3, 1.0, 0.5], abs=1e-4)
    assert any(line.startswith("B-cubed") for line in lines)
    assert "A-numbers over 6 records" in text
    assert not math.isnan(float(pairwise.split()[1]))


def test_a_numbers_evaluated_when_no_record_carries_one() -> None:
    # FEBRL-like data: no A-numbers anywhere; nothing can be assigned, nothing is wrong.
    predicted = pd.DataFrame(
        {
            "source": ["f", "f"],
            "record_key": ["a", "b"],
            "entity_id": ["E1", "E1"],
            "a_number": [None, None],
            "a_number_original": [None, None],
        }
    )
    truth = pd.DataFrame({"source": ["f", "f"], "record_key": ["a", "b"], "person_id": ["p", "p"]})
    result = evaluate_a_numbers(predicted, truth)
    assert result["missing"] == 2 and result["assigned"] == 0 and result["wrong"] == 0
