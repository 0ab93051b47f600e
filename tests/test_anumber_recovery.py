"""A-number recovery: the entity's A-number, where it came from, conflicts, the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.anumber_recovery import (
    A_NUMBER_CONFLICT,
    A_NUMBER_SOURCE,
    ENTITY_A_NUMBER,
    RECOVERY_COLUMNS,
    a_numbers_as_int,
    recover_a_numbers,
    summarize_recovery,
)
from linker.errors import DataContractError

A = "123456789"
B = "123456780"  # A with a typo in the last digit
Z = "000000012"


def recover(a_numbers, entity_ids, sure=None):
    """`sure`: the (left, right) record positions of the sure links; None trusts all."""
    n = len(a_numbers)
    records = pd.DataFrame(
        {C.RECORD_ID: np.arange(n), C.A_NUMBER: pd.Series(a_numbers, dtype=object)}
    )
    entities = pd.DataFrame({C.RECORD_ID: np.arange(n), C.ENTITY_ID: entity_ids})
    links = None
    if sure is not None:
        links = pd.DataFrame(
            sure or np.empty((0, 2), np.int64), columns=[C.RECORD_ID_L, C.RECORD_ID_R]
        )
    return recover_a_numbers(records, entities, sure_links=links)


@pytest.mark.parametrize(
    ("a_numbers", "entity_a_number", "sources", "conflict"),
    [
        # recovered: the record without one gets the entity's
        ([A, None], [A, A], ["original", "recovered"], False),
        ([A, A, A], [A, A, A], ["original"] * 3, False),
        # every kind of absent value, and invalid ones, count as absent
        (
            [A, np.nan, pd.NA, "", "  ", "12345", "A12345678"],
            [A] * 7,
            ["original"] + ["recovered"] * 6,
            False,
        ),
        # the majority wins; the minority is a conflict
        ([A, B, A, None], [A] * 4, ["original", "conflict", "original", "recovered"], True),
        # no member has one: nothing to recover
        ([None, np.nan], [None, None], [None, None], False),
        # a tie goes to the lexicographically smallest on the records that carry one
        ([A, B], [B, B], ["conflict", "original"], True),
        ([Z, A], [Z, Z], ["original", "conflict"], True),
        # ... but a record without one gets none from a tie: it could be the wrong person's
        ([A, B, None], [B, B, None], ["conflict", "original", None], True),
        # a majority settles it even with two values present
        ([A, B, B, None], [B] * 4, ["conflict", "original", "original", "recovered"], True),
    ],
)
def test_recovery_table(a_numbers, entity_a_number, sources, conflict):
    out = recover(a_numbers, ["E1"] * len(a_numbers))
    assert out[ENTITY_A_NUMBER].tolist() == entity_a_number
    assert out[A_NUMBER_SOURCE].tolist() == sources
    assert out[A_NUMBER_CONFLICT].tolist() == [conflict] * len(a_numbers)


@pytest.mark.parametrize(
    ("a_numbers", "sure", "entity_a_number", "sources"),
    [
        # no sure link: the entity keeps its A-number, the record waits for a reviewer
        ([A, None], [], [A, None], ["original", "pending"]),
        # a sure link passes it on
        ([A, None], [(0, 1)], [A, A], ["original", "recovered"]),
        # ... along a chain of them, whichever way round each is given
        ([A, None, None], [(2, 1), (1, 0)], [A, A, A], ["original", "recovered", "recovered"]),
        # a chain broken by an unsure link stops at the break
        ([A, None, None], [(0, 1)], [A, A, None], ["original", "recovered", "pending"]),
        # two records without one, surely one person, but unsure of the carrier: both wait
        ([A, None, None], [(1, 2)], [A, None, None], ["original", "pending", "pending"]),
        # surely the person who carries the minority A-number is not enough
        (
            [A, A, B, None],
            [(2, 3)],
            [A, A, A, None],
            ["original", "original", "conflict", "pending"],
        ),
        # an entity without an A-number has nothing to wait for
        ([None, None], [], [None, None], [None, None]),
        # a tie is held, whatever the links
        ([A, B, None], [(0, 2)], [B, B, None], ["conflict", "original", None]),
    ],
)
def test_an_a_number_crosses_sure_links_only(a_numbers, sure, entity_a_number, sources):
    out = recover(a_numbers, ["E1"] * len(a_numbers), sure)
    assert out[ENTITY_A_NUMBER].tolist() == entity_a_number
    assert out[A_NUMBER_SOURCE].tolist() == sources


def test_sure_links_naming_unknown_records_are_ignored():
    # A sure link may name a record of another run's records (a decisions file keyed by
    # a record no longer present has been dropped before; this guards the join itself).
    out = recover([A, None], ["E1", "E1"], [(0, 7), (7, 1)])
    assert out[A_NUMBER_SOURCE].tolist() == ["original", "pending"]


def test_entities_are_independent_and_records_keep_their_order():
    records = pd.DataFrame({C.RECORD_ID: [30, 10, 20, 40], C.A_NUMBER: [None, A, Z, None]})
    entities = pd.DataFrame(  # a different order than the records
        {C.RECORD_ID: [40, 20, 10, 30], C.ENTITY_ID: ["E3", "E2", "E1", "E1"]}
    )
    out = recover_a_numbers(records, entities)
    assert list(out.columns) == list(RECOVERY_COLUMNS)
    assert out[C.RECORD_ID].tolist() == [30, 10, 20, 40]
    assert out[C.ENTITY_ID].tolist() == ["E1", "E1", "E2", "E3"]
    assert out[ENTITY_A_NUMBER].tolist() == [A, A, Z, None]
    assert out[A_NUMBER_SOURCE].tolist() == ["recovered", "original", "original", None]
    assert out[A_NUMBER_CONFLICT].dtype == bool


def test_leading_zeros_survive():
    out = recover([Z, None], ["E1", "E1"])
    assert out[ENTITY_A_NUMBER].tolist() == [Z, Z]


def test_summary_counts():
    out = recover(
        [A, None, B, A, None, None, "999999999", None, None, A, B],
        ["E1", "E1", "E1", "E1", "E2", "E2", "E3", "E3", "E4", "E4", "E4"],
    )  # E4: a tie, and its first record is held without an A-number
    summary = summarize_recovery(out)
    assert summary.to_dict() == {
        "records": 11,
        "with_a_number": 6,
        "without_a_number": 5,
        "recovered": 2,
        "pending": 0,
        "still_missing": 3,
        "conflicting_records": 2,
        "entities": 4,
        "entities_with_a_number": 3,
        "conflicting_entities": 2,
    }


def test_summary_counts_the_a_numbers_waiting_for_review():
    out = recover([A, None, None, None], ["E1", "E1", "E1", "E2"], [(0, 1)])
    summary = summarize_recovery(out)
    assert (summary.recovered, summary.pending, summary.still_missing) == (1, 1, 1)
    assert summary.without_a_number == 3


def _summary_by_frames(recovered: pd.DataFrame) -> dict[str, int]:
    """The summary's counts the slow way, with pandas frame operations (its first form)."""
    source = recovered[A_NUMBER_SOURCE]
    had = source.isin(["original", "conflict"]).to_numpy()
    per_entity = recovered.drop_duplicates(C.ENTITY_ID)
    return {
        "records": len(recovered),
        "with_a_number": int(had.sum()),
        "without_a_number": int((~had).sum()),
        "recovered": int((source == "recovered").sum()),
        "pending": int((source == "pending").sum()),
        "still_missing": int(source.isna().sum()),
        "conflicting_records": int((source == "conflict").sum()),
        "entities": len(per_entity),
        "entities_with_a_number": recovered.loc[
            recovered[ENTITY_A_NUMBER].notna(), C.ENTITY_ID
        ].nunique(),
        "conflicting_entities": int(per_entity[A_NUMBER_CONFLICT].sum()),
    }


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["E1", "E2", "E3", "E10", None]),
            st.sampled_from([A, B, None]),
            st.sampled_from(["original", "recovered", "pending", "conflict", None]),
            st.booleans(),
        ),
        max_size=30,
    )
)
def test_summary_counts_match_the_frame_definitions(rows) -> None:
    # Any frame of the recovery's columns, even one no run makes (an entity's rows
    # disagreeing on the conflict flag, null ids): the counts follow the definitions.
    entity, number, source, conflict = (
        (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
    )
    recovered = pd.DataFrame(
        {
            C.RECORD_ID: np.arange(len(rows)),
            C.ENTITY_ID: pd.Series(entity, dtype=object),
            ENTITY_A_NUMBER: pd.Series(number, dtype=object),
            A_NUMBER_SOURCE: pd.Series(source, dtype=object),
            A_NUMBER_CONFLICT: pd.Series(conflict, dtype=bool),
        }
    )
    assert summarize_recovery(recovered).to_dict() == _summary_by_frames(recovered)


def test_empty_input():
    out = recover([], [])
    assert out.empty and list(out.columns) == list(RECOVERY_COLUMNS)
    assert summarize_recovery(out).records == 0


def test_inputs_are_not_mutated():
    records = pd.DataFrame({C.RECORD_ID: [0, 1], C.A_NUMBER: [A, None]})
    entities = pd.DataFrame({C.RECORD_ID: [0, 1], C.ENTITY_ID: ["E1", "E1"]})
    before = records.copy(), entities.copy()
    recover_a_numbers(records, entities)
    pd.testing.assert_frame_equal(records, before[0])
    pd.testing.assert_frame_equal(entities, before[1])


@pytest.mark.parametrize(
    ("records", "entities", "message"),
    [
        (
            {C.RECORD_ID: [0, 1], C.A_NUMBER: [A, None]},
            {C.RECORD_ID: [0], C.ENTITY_ID: ["E"]},
            "no entity",
        ),
        (
            {C.RECORD_ID: [0], C.A_NUMBER: [A]},
            {C.RECORD_ID: [0, 0], C.ENTITY_ID: ["E", "F"]},
            "more than one",
        ),
        ({C.RECORD_ID: [0], C.A_NUMBER: [A]}, {C.RECORD_ID: [0], C.ENTITY_ID: [None]}, "null"),
        ({C.RECORD_ID: [0]}, {C.RECORD_ID: [0], C.ENTITY_ID: ["E"]}, "a_number"),
        ({C.RECORD_ID: [0], C.A_NUMBER: [A]}, {C.RECORD_ID: [0]}, "entity_id"),
        (
            {C.RECORD_ID: [0, 0], C.A_NUMBER: [A, A]},
            {C.RECORD_ID: [0], C.ENTITY_ID: ["E"]},
            "unique",
        ),
    ],
)
def test_bad_input_is_a_data_contract_error(records, entities, message):
    with pytest.raises(DataContractError, match=message):
        recover_a_numbers(pd.DataFrame(records), pd.DataFrame(entities))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (A, 123456789),
        (Z, 12),
        (None, -1),
        (np.nan, -1),
        (pd.NA, -1),
        ("", -1),
        (" 123456789", -1),  # standardized values only: no stripping here
        ("12345678", -1),
        ("1234567890", -1),
        ("A12345678", -1),
        ("１２３４５６７８９", -1),  # full-width digits
        (123456789, -1),  # not a string
    ],
)
def test_a_numbers_as_int(value, expected):
    assert a_numbers_as_int(pd.Series([value, A], dtype=object)).tolist() == [expected, 123456789]


@given(st.lists(st.one_of(st.none(), st.text(alphabet="0129١\n a", max_size=10)), max_size=30))
def test_a_numbers_read_by_arrow_as_by_python(values: list[str | None]) -> None:
    # Arrow's RE2 check must say exactly what str.isascii() and str.isdigit() say
    series = pd.Series(values, dtype=object)
    expected = [
        int(v) if v is not None and len(v) == 9 and v.isascii() and v.isdigit() else -1
        for v in values
    ]
    assert a_numbers_as_int(series).tolist() == expected


POOL = [A, B, Z, "999999999", None, None, None]


@given(
    st.lists(st.tuples(st.sampled_from(POOL), st.sampled_from(["E1", "E2", "E3"])), max_size=30),
    st.randoms(use_true_random=False),
)
def test_entity_a_number_is_a_most_frequent_member_value_whatever_the_order(rows, rnd):
    a_numbers = [a for a, _ in rows]
    entity_ids = [e for _, e in rows]
    out = recover(a_numbers, entity_ids)
    for entity, group in out.groupby(C.ENTITY_ID):
        own = [a_numbers[i] for i in group[C.RECORD_ID]]
        counts = pd.Series([a for a in own if a is not None]).value_counts()
        carried = group.loc[group[A_NUMBER_SOURCE].isin(["original", "conflict"]), ENTITY_A_NUMBER]
        if counts.empty:
            assert group[ENTITY_A_NUMBER].isna().all()
            continue
        best = min(counts[counts == counts.max()].index)
        assert set(carried) <= {best}
        assert set(group[ENTITY_A_NUMBER].dropna()) == {best}
        assert group[A_NUMBER_CONFLICT].all() == (len(counts) > 1), entity
    order = list(range(len(rows)))
    rnd.shuffle(order)
    records = pd.DataFrame(
        {
            C.RECORD_ID: np.array(order, dtype=np.int64),
            C.A_NUMBER: pd.Series([a_numbers[i] for i in order], dtype=object),
        }
    )
    entities = pd.DataFrame({C.RECORD_ID: range(len(rows)), C.ENTITY_ID: entity_ids})
    shuffled = recover_a_numbers(records, entities).set_index(C.RECORD_ID).sort_index()
    pd.testing.assert_frame_equal(shuffled, out.set_index(C.RECORD_ID).sort_index())
