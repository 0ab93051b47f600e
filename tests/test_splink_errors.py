"""The Splink error breakdown's own arithmetic (no Splink needed): truth alignment, the
agreement of two records per field, the pattern counts and the level weights."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from benchmarks.bench_inputs import UNIQUE_ID
from benchmarks.splink_errors import (
    AGREEMENT_FIELDS,
    agreement_patterns,
    level_weights,
    pattern_table,
    person_of,
)
from linker import columns as C


def _table(rows: list[dict[str, object]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for field in AGREEMENT_FIELDS:
        if field not in frame:
            frame[field] = None
    return frame.astype({f: object for f in AGREEMENT_FIELDS})


def test_agreement_needs_both_values_present_and_equal() -> None:
    table = _table(
        [
            {UNIQUE_ID: 10, "given_name": "ANA", "family_name": "PEREZ", "phone": None},
            {UNIQUE_ID: 11, "given_name": "ANA", "family_name": "LOPEZ", "phone": None},
            {UNIQUE_ID: 12, "given_name": "ANA", "family_name": "PEREZ", "phone": "+1713"},
        ]
    )
    agree = agreement_patterns(table, np.array([10, 10, 12]), np.array([11, 12, 10]))
    assert agree["given_name"].tolist() == [True, True, True]
    assert agree["family_name"].tolist() == [False, True, True]
    # both missing is not agreement, nor is one missing
    assert agree["phone"].tolist() == [False, False, False]
    assert list(agree.columns) == list(AGREEMENT_FIELDS)


def test_pattern_table_counts_each_combination_most_frequent_first() -> None:
    agree = pd.DataFrame(
        {
            "given_name": [True, True, True, False],
            "family_name": [True, True, False, False],
            "dob": [False, False, False, False],
        }
    )
    table = pattern_table(agree, top=5)
    assert table["agree on"].tolist() == ["given_name + family_name", "given_name", "(nothing)"]
    assert table["links"].tolist() == [2, 1, 1]
    assert table["share"].tolist() == pytest.approx([0.5, 0.25, 0.25])
    assert len(pattern_table(agree, top=1)) == 1


def test_person_of_aligns_truth_by_source_and_key() -> None:
    records = pd.DataFrame(
        {C.RECORD_ID: [5, 6, 7], C.SOURCE: ["cbp", "ice", "hhs"], C.RECORD_KEY: ["a", "a", "z"]}
    )
    truth = pd.DataFrame(
        {C.SOURCE: ["ice", "cbp"], C.RECORD_KEY: ["a", "a"], "person_id": ["P2", "P1"]}
    )
    person = person_of(records, truth)
    assert person.to_dict() == {5: "P1", 6: "P2", 7: ""}


def test_level_weights_are_log2_m_over_u_and_skip_null_levels() -> None:
    settings = {
        "comparisons": [
            {
                "output_column_name": "dob",
                "comparison_levels": [
                    {"is_null_level": True, "label_for_charts": "null"},
                    {"label_for_charts": "exact", "m_probability": 0.8, "u_probability": 0.01},
                    {"label_for_charts": "other", "m_probability": 0.2, "u_probability": 0.99},
                    {"label_for_charts": "untrained", "u_probability": 0.5},
                ],
            }
        ]
    }
    weights = level_weights(settings)
    assert weights["level"].tolist() == ["exact", "other", "untrained"]
    assert weights["weight"].iloc[0] == pytest.approx(math.log2(80))
    assert weights["weight"].iloc[1] < 0
    assert math.isnan(weights["weight"].iloc[2])
