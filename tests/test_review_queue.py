"""The review queue (linker/review_queue.py): uncertain pairs, most consequential first."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import canonical
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.review_queue import PRIORITY, REASON, REVIEW_COLUMNS, build_review_queue
from linker.rules import CONTRADICTION

ENTITY_A_NUMBER = "entity_a_number"
BAND = (0.2, 0.9)
ADULT = {C.DOB_YEAR: 1980, C.EVENT_DATE: "2024-03-01"}
CHILD = {C.DOB_YEAR: 2012, C.EVENT_DATE: "2024-03-01"}


def people(*rows: tuple[str, str, dict[str, object]]) -> pd.DataFrame:
    """Records from (source, key, more columns)."""
    return canonical([{C.SOURCE: s, C.RECORD_KEY: k, C.ROW_KEY: k, **more} for s, k, more in rows])


def entities(a_numbers: list[str | None], ids: list[int] | None = None) -> pd.DataFrame:
    """Each record its own entity (unless ids say otherwise), with the entity's A-number."""
    n = len(a_numbers)
    return pd.DataFrame(
        {
            C.RECORD_ID: np.arange(n),
            C.ENTITY_ID: ids if ids is not None else list(range(n)),
            ENTITY_A_NUMBER: pd.Series(a_numbers, dtype=object),
        }
    )


def scored(*pairs: tuple[int, int, float], contradiction: list[str] | None = None) -> pd.DataFrame:
    left, right, probability = zip(*pairs, strict=True) if pairs else ((), (), ())
    p = np.asarray(probability, dtype=float)
    return pd.DataFrame(
        {
            C.RECORD_ID_L: np.asarray(left, dtype=np.int64),
            C.RECORD_ID_R: np.asarray(right, dtype=np.int64),
            C.MATCH_PROBABILITY: p,
            C.MATCH_WEIGHT: np.log2(p / (1 - p)),
            CONTRADICTION: contradiction or [""] * len(p),
        }
    )


def queue_pairs(queue: pd.DataFrame) -> list[tuple[int, int]]:
    return list(zip(queue[C.RECORD_ID_L].tolist(), queue[C.RECORD_ID_R].tolist(), strict=True))


@pytest.fixture()
def records() -> pd.DataFrame:
    return people(
        ("cbp", "C0", ADULT),  # 0: has an A-number
        ("cbp", "C1", ADULT),  # 1
        ("ice", "K2", ADULT),  # 2
        ("cbp", "C3", ADULT),  # 3
        ("ice", "K4", ADULT),  # 4: has an A-number
        ("hhs", "H5", CHILD),  # 5: a minor
    )


A_NUMBERS = ["012345678", None, None, None, "087654321", None]


def test_gives_an_a_number_then_joins_agencies_then_within_a_source(
    records: pd.DataFrame,
) -> None:
    pairs = scored(
        (1, 3, 0.5),  # within cbp, nothing at stake: last, however uncertain
        (1, 2, 0.6),  # joins cbp and ice
        (0, 1, 0.8),  # gives record 1 an A-number (within cbp)
    )
    queue = build_review_queue(pairs, records, entities(A_NUMBERS), band=BAND)
    assert queue_pairs(queue) == [(0, 1), (1, 2), (1, 3)]
    assert queue[PRIORITY].tolist() == [4, 2, 0]
    assert queue[REASON].tolist() == ["gives an A-number", "joins two agencies", ""]


def test_an_a_number_outranks_two_agencies_and_a_minor(records: pd.DataFrame) -> None:
    pairs = scored((2, 5, 0.5), (0, 3, 0.85))  # ice-hhs with a child vs cbp-cbp A-number
    queue = build_review_queue(pairs, records, entities(A_NUMBERS), band=BAND)
    assert queue_pairs(queue) == [(0, 3), (2, 5)]
    assert queue[REASON].tolist() == ["gives an A-number", "joins two agencies; involves a minor"]


def test_both_with_a_number_gives_none(records: pd.DataFrame) -> None:
    queue = build_review_queue(scored((0, 4, 0.5)), records, entities(A_NUMBERS), band=BAND)
    assert queue[PRIORITY].tolist() == [2]  # only cross-agency


def test_more_uncertain_first_within_a_rank(records: pd.DataFrame) -> None:
    pairs = scored((1, 2, 0.85), (3, 4, 0.45), (1, 4, 0.3), (2, 3, 0.52))
    queue = build_review_queue(pairs, records, entities([None] * 6), band=BAND)
    assert queue[C.MATCH_PROBABILITY].tolist() == [0.52, 0.45, 0.3, 0.85]
    assert set(queue[PRIORITY]) == {2}


def test_minor_is_judged_at_the_event(records: pd.DataFrame) -> None:
    grown = people(
        ("cbp", "C0", {C.DOB_YEAR: 2000, C.EVENT_DATE: "2010-06-01"}),  # a minor then
        ("cbp", "C1", {C.DOB_YEAR: 2000, C.EVENT_DATE: "2023-06-01"}),
        ("cbp", "C2", {C.DOB_YEAR: None, C.EVENT_DATE: None}),
    )
    pairs = scored((0, 2, 0.5), (1, 2, 0.5))
    queue = build_review_queue(pairs, grown, entities([None] * 3), band=BAND)
    assert queue_pairs(queue) == [(0, 2), (1, 2)]
    assert queue[PRIORITY].tolist() == [1, 0]
    assert queue[REASON].tolist() == ["involves a minor", ""]


@pytest.mark.parametrize(
    ("p", "kept"),
    [(0.19, False), (0.2, True), (0.5, True), (0.899, True), (0.9, False), (0.99, False)],
)
def test_band_is_low_inclusive_high_exclusive(records: pd.DataFrame, p: float, kept: bool) -> None:
    queue = build_review_queue(scored((1, 2, p)), records, entities([None] * 6), band=BAND)
    assert len(queue) == int(kept)


def test_contradictions_are_left_out(records: pd.DataFrame) -> None:
    pairs = scored((1, 2, 0.5), (1, 3, 0.5), contradiction=["given_names_differ", ""])
    queue = build_review_queue(pairs, records, entities([None] * 6), band=BAND)
    assert queue_pairs(queue) == [(1, 3)]


def test_decided_pairs_are_left_out(records: pd.DataFrame) -> None:
    pairs = scored((1, 2, 0.5), (1, 3, 0.5), (2, 4, 0.5))
    decided = pd.DataFrame({C.RECORD_ID_L: [1, 2], C.RECORD_ID_R: [2, 5], "decision": ["x"] * 2})
    queue = build_review_queue(pairs, records, entities([None] * 6), band=BAND, decided=decided)
    assert queue_pairs(queue) == [(1, 3), (2, 4)]  # same rank: by left record key
    none = build_review_queue(pairs, records, entities([None] * 6), band=BAND, decided=decided[:0])
    assert len(none) == 3


def test_pair_already_in_one_entity_says_so(records: pd.DataFrame) -> None:
    queue = build_review_queue(
        scored((1, 3, 0.5)), records, entities([None] * 6, ids=[0, 1, 2, 1, 4, 5]), band=BAND
    )
    assert queue[REASON].tolist() == ["already one entity"]
    assert queue["left_entity"].tolist() == queue["right_entity"].tolist() == [1]


def test_columns_and_keys(records: pd.DataFrame) -> None:
    queue = build_review_queue(scored((2, 3, 0.5)), records, entities(A_NUMBERS), band=BAND)
    assert list(queue.columns) == list(REVIEW_COLUMNS)
    first = queue.iloc[0]
    assert (first["left_source"], first["left_record_key"]) == ("ice", "K2")
    assert (first["right_source"], first["right_record_key"]) == ("cbp", "C3")


def test_nothing_uncertain_is_an_empty_queue(records: pd.DataFrame) -> None:
    queue = build_review_queue(scored((1, 2, 0.99)), records, entities([None] * 6), band=BAND)
    assert queue.empty and list(queue.columns) == list(REVIEW_COLUMNS)


def test_entities_are_looked_up_by_record_id_not_position(records: pd.DataFrame) -> None:
    shuffled = entities(A_NUMBERS).iloc[::-1].reset_index(drop=True)  # same rows, reversed
    queue = build_review_queue(scored((1, 2, 0.5)), records, shuffled, band=BAND)
    assert queue[["left_entity", "right_entity"]].iloc[0].tolist() == [1, 2]
    assert queue[PRIORITY].tolist() == [2]  # neither has an A-number; cbp-ice


@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 5), st.floats(0.01, 0.99)),
        max_size=15,
    ),
    st.lists(st.sampled_from(["012345678", None]), min_size=6, max_size=6),
)
def test_queue_is_ranked_and_in_band(pairs: list[tuple[int, int, float]], a_numbers: list) -> None:
    records = people(
        ("cbp", "C0", ADULT),
        ("cbp", "C1", CHILD),
        ("ice", "K2", ADULT),
        ("ice", "K3", CHILD),
        ("hhs", "H4", CHILD),
        ("hhs", "H5", ADULT),
    )
    pairs = [(a, b, p) for a, b, p in pairs if a < b]
    queue = build_review_queue(scored(*pairs), records, entities(a_numbers), band=BAND)
    p = queue[C.MATCH_PROBABILITY].to_numpy()
    assert ((p >= BAND[0]) & (p < BAND[1])).all()
    assert len(queue) == sum(BAND[0] <= q < BAND[1] for _, _, q in pairs)
    uncertainty = 1 - np.abs(p - 0.5) * 2
    rank = list(zip(-queue[PRIORITY].to_numpy(), -uncertainty, strict=True))
    assert rank == sorted(rank)
    has = np.array([a is not None for a in a_numbers])
    gives = has[queue[C.RECORD_ID_L]] != has[queue[C.RECORD_ID_R]]
    np.testing.assert_array_equal(queue[PRIORITY].to_numpy() >= 4, gives)
