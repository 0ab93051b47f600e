"""Constrained clustering: oracle against networkx, constraint properties, stable ids."""

from __future__ import annotations

import hashlib
import itertools

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import OSA

from linker import cluster as cluster_module
from linker import columns as C
from linker.cluster import (
    A_NUMBER_TYPO,
    CONSTRAINT,
    LINK_REASON,
    ClusterSettings,
    cluster_records,
)
from linker.errors import ConfigError, DataContractError

# --- helpers --------------------------------------------------------------------------


def make_records(n, *, a=None, person=None, family=None, row=None, source=None, keys=None):
    """n records of source "cbp" with unique keys and rows and no identifiers."""
    return pd.DataFrame(
        {
            C.RECORD_ID: np.arange(n, dtype=np.int64),
            C.SOURCE: source or ["cbp"] * n,
            C.RECORD_KEY: keys or [f"K{i}" for i in range(n)],
            C.ROW_KEY: row or [f"R{i}" for i in range(n)],
            C.A_NUMBER: a or [None] * n,
            C.PERSON_ID: person or [None] * n,
            C.FAMILY_GROUP: family or [None] * n,
        }
    )


def make_pairs(edges):
    """Pairs from (l, r, weight); probability from the weight (log2 odds)."""
    frame = pd.DataFrame(edges, columns=[C.RECORD_ID_L, C.RECORD_ID_R, C.MATCH_WEIGHT])
    frame = frame.astype({C.RECORD_ID_L: "int64", C.RECORD_ID_R: "int64", C.MATCH_WEIGHT: float})
    frame[C.MATCH_PROBABILITY] = 1.0 / (1.0 + 2.0 ** -frame[C.MATCH_WEIGHT])
    return frame


def id_pairs(pairs):
    return pd.DataFrame(pairs, columns=[C.RECORD_ID_L, C.RECORD_ID_R], dtype="int64")


def groups(result):
    """The partition as a set of frozensets of record ids."""
    by_entity = result.entities.groupby(C.ENTITY_ID)[C.RECORD_ID]
    return {frozenset(v.tolist()) for _, v in by_entity}


def typo_distance(x, y):
    """Optimal string alignment: a wrong digit or two adjacent digits swapped count one."""
    return OSA.distance(x, y)


def violations(records, members, distance=1, cannot=()):
    """Every hard constraint broken between two records of one entity."""
    found = []
    columns = [C.SOURCE, C.A_NUMBER, C.PERSON_ID, C.FAMILY_GROUP, C.ROW_KEY]
    rows = dict(zip(records[C.RECORD_ID], records[columns].itertuples(index=False), strict=True))
    cannot = {frozenset(p) for p in cannot}
    for x, y in itertools.combinations(sorted(members), 2):
        (s1, a1, p1, f1, r1), (s2, a2, p2, f2, r2) = rows[x], rows[y]
        if frozenset((x, y)) in cannot:
            found.append("cannot_link")
        if isinstance(a1, str) and isinstance(a2, str) and typo_distance(a1, a2) > distance:
            found.append("a_number")
        if s1 == s2 and p1 and p2 and p1 != p2:
            found.append("person_id")
        if f1 and f1 == f2:
            found.append("family_group")
        if s1 == s2 and r1 == r2:
            found.append("same_row")
    return found


def entity_of(result):
    return dict(zip(result.entities[C.RECORD_ID], result.entities[C.ENTITY_ID], strict=True))


# --- greedy order and each constraint ----------------------------------------------------


@pytest.mark.parametrize(
    ("weight_bc", "expected", "blocked"),
    [
        (5.0, {frozenset({0, 1}), frozenset({2})}, (1, 2)),
        (12.0, {frozenset({1, 2}), frozenset({0})}, (0, 1)),
    ],
)
def test_greedy_merges_by_descending_weight(weight_bc, expected, blocked):
    # A and C carry different A-numbers: only one of them can join B.
    records = make_records(3, a=["111111111", None, "999999999"])
    result = cluster_records(records, make_pairs([(0, 1, 10.0), (1, 2, weight_bc)]))
    assert groups(result) == expected
    rejected = result.rejected_links
    assert list(zip(rejected[C.RECORD_ID_L], rejected[C.RECORD_ID_R], strict=True)) == [blocked]
    assert rejected[CONSTRAINT].tolist() == ["a_number"]
    assert result.stats["components_examined"] == 1


def test_constraint_holds_across_the_cluster_not_only_the_pair():
    # B has no A-number, so the pair B-C alone is fine; A (already with B) forbids it.
    records = make_records(3, a=["111111111", None, "222222222"])
    result = cluster_records(records, make_pairs([(0, 1, 9.0), (1, 2, 8.0)]))
    assert groups(result) == {frozenset({0, 1}), frozenset({2})}


@pytest.mark.parametrize(
    ("column", "values", "constraint"),
    [
        (C.FAMILY_GROUP, ["cbp:G1", "cbp:G1"], "family_group"),
        (C.ROW_KEY, ["UC-001", "UC-001"], "same_row"),
        (C.PERSON_ID, ["cbp:P1", "cbp:P2"], "person_id"),
        (C.A_NUMBER, ["123456789", "123456700"], "a_number"),
    ],
)
def test_each_constraint_keeps_a_strong_pair_apart(column, values, constraint):
    records = make_records(2).assign(**{column: values})
    result = cluster_records(records, make_pairs([(0, 1, 30.0)]))
    assert groups(result) == {frozenset({0}), frozenset({1})}
    assert result.rejected_links[CONSTRAINT].tolist() == [constraint]
    assert result.links.empty


@pytest.mark.parametrize(
    ("column", "values"),
    [
        (C.PERSON_ID, ["cbp:P1", "cbp:P1"]),  # same agency person: fine
        (C.PERSON_ID, ["cbp:P1", None]),
        (C.FAMILY_GROUP, ["cbp:G1", "cbp:G2"]),
        (C.FAMILY_GROUP, [None, np.nan]),
        (C.A_NUMBER, ["123456789", "123456789"]),
        (C.A_NUMBER, ["123456789", None]),
        (C.A_NUMBER, ["123456789", np.nan]),
        (C.A_NUMBER, ["123456789", pd.NA]),
        (C.A_NUMBER, ["123456789", ""]),
        (C.A_NUMBER, ["123456789", "   "]),
        (C.A_NUMBER, ["123456789", "12345"]),  # invalid: not an A-number, no constraint
        (C.A_NUMBER, ["123456789", "A98765432"]),
        (C.A_NUMBER, ["123456789", "９８７６５４３２１"]),  # full-width digits are not ASCII
    ],
)
def test_values_that_do_not_constrain(column, values):
    records = make_records(2).assign(**{column: values})
    result = cluster_records(records, make_pairs([(0, 1, 30.0)]))
    assert groups(result) == {frozenset({0, 1})}


def test_person_ids_of_different_sources_do_not_clash():
    records = make_records(2, source=["cbp", "ice"], person=["cbp:P1", "ice:P1"])
    assert groups(cluster_records(records, make_pairs([(0, 1, 20.0)]))) == {frozenset({0, 1})}


def test_rows_of_different_sources_do_not_clash():
    records = make_records(2, source=["cbp", "hhs"], row=["001", "001"])
    assert groups(cluster_records(records, make_pairs([(0, 1, 20.0)]))) == {frozenset({0, 1})}


def test_child_and_sponsor_on_one_referral_stay_apart():
    records = make_records(
        2,
        source=["hhs", "hhs"],
        keys=["UC-001", "UC-001:sponsor"],
        row=["UC-001", "UC-001"],
    )
    result = cluster_records(records, make_pairs([(0, 1, 15.0)]))
    assert result.entities[C.ENTITY_ID].nunique() == 2
    assert result.rejected_links[CONSTRAINT].tolist() == ["same_row"]


# --- A-number typos ------------------------------------------------------------------------


def test_one_digit_typo_is_merged_and_reported():
    records = make_records(2, a=["123456789", "123456780"])
    result = cluster_records(records, make_pairs([(0, 1, 12.0)]))
    assert groups(result) == {frozenset({0, 1})}
    assert result.links[A_NUMBER_TYPO].tolist() == [True]
    assert result.stats["a_number_typo_links"] == 1


def test_adjacent_digits_swapped_is_a_typo_not_another_person():
    # 248446891 vs 284446891: two digits differ, but as one transposition (a typist's
    # error), so the records merge; two unrelated digits changed do not.
    records = make_records(3, a=["248446891", "284446891", "248446811"])
    result = cluster_records(records, make_pairs([(0, 1, 12.0), (0, 2, 11.0)]))
    assert groups(result) == {frozenset({0, 1}), frozenset({2})}
    assert result.links[A_NUMBER_TYPO].tolist() == [True]


def test_typo_distance_zero_forbids_even_one_digit():
    records = make_records(2, a=["123456789", "123456780"])
    settings = ClusterSettings(a_number_typo_distance=0)
    result = cluster_records(records, make_pairs([(0, 1, 12.0)]), settings=settings)
    assert result.rejected_links[CONSTRAINT].tolist() == ["a_number"]


def test_typos_do_not_chain_beyond_the_distance():
    # A-B and B-C are one digit apart, A-C two: C cannot join {A, B}.
    records = make_records(3, a=["123456789", "123456788", "123456688"])
    result = cluster_records(records, make_pairs([(0, 1, 12.0), (1, 2, 11.0)]))
    assert groups(result) == {frozenset({0, 1}), frozenset({2})}
    assert result.rejected_links[CONSTRAINT].tolist() == ["a_number"]


def test_no_typo_flag_when_a_numbers_agree():
    records = make_records(3, a=["123456789", "123456789", "999999999"])
    result = cluster_records(records, make_pairs([(0, 1, 12.0), (1, 2, 3.0)]))
    assert result.links[A_NUMBER_TYPO].tolist() == [False]


# --- reviewer constraints ------------------------------------------------------------------


def test_must_link_joins_records_below_the_threshold():
    records = make_records(3)
    pairs = make_pairs([(0, 1, -5.0)])
    result = cluster_records(records, pairs, must_link=id_pairs([(0, 1), (2, 1)]))
    assert groups(result) == {frozenset({0, 1, 2})}
    links = result.links.sort_values(C.RECORD_ID_R).reset_index(drop=True)
    assert links[LINK_REASON].tolist() == ["must_link", "must_link"]
    assert links[C.MATCH_WEIGHT].iloc[0] == -5.0  # the scored must-link carries its score
    assert np.isnan(links[C.MATCH_WEIGHT].iloc[1])  # never scored
    assert result.conflicts.empty


def test_cannot_link_separates_a_strong_pair():
    records = make_records(3)
    pairs = make_pairs([(0, 1, 20.0), (1, 2, 20.0)])
    result = cluster_records(records, pairs, cannot_link=id_pairs([(2, 0)]))
    assert len(groups(result)) == 2
    assert result.rejected_links[CONSTRAINT].tolist() == ["cannot_link"]
    assert violations(records, [0, 2], cannot=[(0, 2)]) == ["cannot_link"]  # helper sees it
    for members in groups(result):
        assert not violations(records, members, cannot=[(0, 2)])


def test_must_links_win_over_a_cannot_link_and_the_conflict_is_reported():
    records = make_records(3)
    result = cluster_records(
        records,
        make_pairs([]),
        must_link=id_pairs([(0, 1), (1, 2)]),
        cannot_link=id_pairs([(0, 2)]),
    )
    assert groups(result) == {frozenset({0, 1, 2})}
    assert result.conflicts[CONSTRAINT].tolist() == ["cannot_link"]
    assert result.stats["conflicts"] == 1


def test_must_link_against_different_a_numbers_is_a_conflict():
    records = make_records(2, a=["111111111", "999999999"])
    result = cluster_records(records, make_pairs([]), must_link=id_pairs([(0, 1)]))
    assert groups(result) == {frozenset({0, 1})}
    assert result.conflicts.to_dict("records") == [
        {C.RECORD_ID_L: 0, C.RECORD_ID_R: 1, CONSTRAINT: "a_number"}
    ]


def test_must_link_cluster_still_blocks_later_scored_merges():
    records = make_records(3, a=["111111111", None, "999999999"])
    result = cluster_records(records, make_pairs([(1, 2, 30.0)]), must_link=id_pairs([(0, 1)]))
    assert groups(result) == {frozenset({0, 1}), frozenset({2})}
    assert result.rejected_links[CONSTRAINT].tolist() == ["a_number"]


# --- threshold and inputs --------------------------------------------------------------------


def test_threshold_is_inclusive_and_nan_never_links():
    records = make_records(4)
    pairs = pd.DataFrame(
        {
            C.RECORD_ID_L: [0, 2],
            C.RECORD_ID_R: [1, 3],
            C.MATCH_WEIGHT: [0.0, np.nan],
            C.MATCH_PROBABILITY: [0.5, np.nan],
        }
    )
    result = cluster_records(records, pairs, settings=ClusterSettings(threshold=0.5))
    assert groups(result) == {frozenset({0, 1}), frozenset({2}), frozenset({3})}
    higher = cluster_records(records, pairs, settings=ClusterSettings(threshold=0.51))
    assert len(groups(higher)) == 4


def test_pairs_in_either_order_and_duplicates_keep_their_best_weight():
    records = make_records(3, a=["111111111", None, "999999999"])
    # (1, 0) is given twice, once weak: its best weight (10) beats B-C (8).
    pairs = make_pairs([(1, 0, 1.0), (1, 2, 8.0), (1, 0, 10.0)])
    result = cluster_records(records, pairs)
    assert groups(result) == {frozenset({0, 1}), frozenset({2})}
    assert result.links[[C.RECORD_ID_L, C.RECORD_ID_R, C.MATCH_WEIGHT]].values.tolist() == [
        [0, 1, 10.0]
    ]


def test_record_ids_need_not_be_positions():
    records = make_records(3).assign(**{C.RECORD_ID: [100, 7, 42]})
    result = cluster_records(records, make_pairs([(7, 100, 9.0)]))
    assert groups(result) == {frozenset({7, 100}), frozenset({42})}
    assert result.entities[C.RECORD_ID].tolist() == [100, 7, 42]  # order of the records


def test_inputs_are_not_mutated():
    records = make_records(3, a=["111111111", None, "999999999"])
    pairs = make_pairs([(1, 0, 10.0), (1, 2, 5.0)])
    before_records, before_pairs = records.copy(), pairs.copy()
    cluster_records(records, pairs, cannot_link=id_pairs([(0, 2)]))
    pd.testing.assert_frame_equal(records, before_records)
    pd.testing.assert_frame_equal(pairs, before_pairs)


def test_empty_records():
    result = cluster_records(make_records(0), make_pairs([]))
    assert result.entities.empty and result.links.empty and result.rejected_links.empty
    assert result.stats["entities"] == 0


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r, p: (r.drop(columns=[C.FAMILY_GROUP]), p), "family_group"),
        (lambda r, p: (r, p.drop(columns=[C.MATCH_WEIGHT])), "match_weight"),
        (lambda r, p: (r, p.assign(**{C.RECORD_ID_R: [99]})), "absent from records"),
        (lambda r, p: (r, p.assign(**{C.RECORD_ID_R: [0]})), "itself"),
        (lambda r, p: (r.assign(**{C.RECORD_ID: [0, 0]}), p), "unique"),
        (lambda r, p: (r.assign(**{C.RECORD_KEY: ["K", "K"]}), p), "unique"),
        (lambda r, p: (r.assign(**{C.RECORD_KEY: ["K", None]}), p), "null"),
    ],
)
def test_bad_input_is_a_data_contract_error(mutate, message):
    records, pairs = mutate(make_records(2), make_pairs([(0, 1, 5.0)]))
    with pytest.raises(DataContractError, match=message):
        cluster_records(records, pairs)


def test_a_hash_collision_between_distinct_keys_is_not_a_duplicate(monkeypatch):
    # Keys are checked for repeats through their hashes; equal hashes alone (a collision)
    # must not be taken for a repeated key.
    monkeypatch.setattr(pd.util, "hash_array", lambda values, **_: np.zeros(len(values), np.uint64))
    result = cluster_records(make_records(3), make_pairs([(0, 1, 5.0)]))
    assert result.stats["entities"] == 2


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 1.5},
        {"threshold": float("nan")},
        {"a_number_typo_distance": -1},
        {"a_number_typo_distance": 9},
        {"a_number_typo_distance": 1.0},
    ],
)
def test_bad_settings_are_a_config_error(kwargs):
    with pytest.raises(ConfigError):
        ClusterSettings(**kwargs)


# --- entity ids --------------------------------------------------------------------------------


def test_entity_id_is_a_hash_of_the_sorted_member_keys():
    records = make_records(3, source=["hhs", "cbp", "ice"], keys=["UC-1:sponsor", "Núñez-9", "7"])
    result = cluster_records(records, make_pairs([(0, 1, 9.0)]))
    ids = entity_of(result)

    def expected(*keys):
        text = "\x1e".join(sorted(keys))
        return "E" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]

    assert ids[0] == ids[1] == expected("hhs\x1fUC-1:sponsor", "cbp\x1fNúñez-9")
    assert ids[2] == expected("ice\x1f7")


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 6), st.text(alphabet="aZé\u00ff\U0001f600\x1f-9", max_size=5)),
        min_size=1,
        max_size=30,
        unique_by=lambda member: member[1],
    )
)
def test_member_texts_by_arrow_match_the_per_entity_sort(members):
    labels = np.array([label for label, _ in members], dtype=np.int64)
    keys = np.array([key for _, key in members], dtype=object)
    fast, fast_order, fast_sizes = cluster_module._member_texts(labels, keys)
    slow, slow_order, slow_sizes = cluster_module._member_texts_one_by_one(labels, keys)
    assert fast.tolist() == slow.tolist()
    assert fast_sizes.tolist() == slow_sizes.tolist()
    assert sorted(fast_order.tolist()) == list(range(len(members)))
    for label, text in zip(sorted(set(labels.tolist())), fast, strict=True):
        assert text == "\x1e".join(sorted(keys[labels == label]))


def test_keys_arrow_cannot_hold_take_the_per_entity_way():
    labels = np.array([0, 0, 1], dtype=np.int64)
    keys = np.array(["b", "a\udcff", "c"], dtype=object)  # a lone surrogate
    texts, _, sizes = cluster_module._member_texts(labels, keys)
    assert texts.tolist() == ["a\udcff\x1eb", "c"] and sizes.tolist() == [2, 1]


def test_colliding_short_ids_fall_back_to_the_full_digest(monkeypatch):
    monkeypatch.setattr(cluster_module, "ENTITY_HEX_DIGITS", 0)  # every short id is "E"
    result = cluster_records(make_records(3), make_pairs([]))
    ids = result.entities[C.ENTITY_ID]
    assert ids.nunique() == 3
    assert ids.str.len().tolist() == [41, 41, 41]


# --- properties --------------------------------------------------------------------------------

# A-numbers pairwise one digit apart (only the last digit varies): never a constraint.
TYPO_POOL = [f"12345678{d}" for d in range(10)]


def maybe(values, null_share):
    """A value from ``values``, or None about ``null_share`` of the time."""
    nulls = max(1, round(len(values) * null_share / (1 - null_share)))
    return st.sampled_from([None] * nulls + list(values))


@st.composite
def random_graphs(draw, *, constrained):
    n = draw(st.integers(0, 40))
    items = {"min_size": n, "max_size": n}
    src = person = family = row = None
    if constrained:
        a_pool = ["111111111", "111111112", "111111122", "999999999"]
        a = draw(st.lists(maybe(a_pool, 0.5), **items))
        src = draw(st.lists(st.sampled_from(["cbp", "ice"]), **items))
        person = draw(st.lists(maybe(["P1", "P2"], 0.5), **items))
        person = [f"{s}:{p}" if p else None for s, p in zip(src, person, strict=True)]
        family = draw(st.lists(maybe(["G1", "G2"], 0.5), **items))
        family = [f"{s}:{g}" if g else None for s, g in zip(src, family, strict=True)]
        row = draw(st.lists(st.sampled_from(["R1", "R2", None]), **items))
        row = [r or f"own{i}" for i, r in enumerate(row)]
    else:
        a = draw(st.lists(maybe(TYPO_POOL, 0.7), **items))
    records = make_records(n, a=a, source=src, person=person, family=family, row=row)
    edges, cannot = [], []
    if n >= 2:
        ends = st.integers(0, n - 1)
        weights = st.sampled_from([-4.0, 0.5, 3.0, 3.0, 7.0])  # repeated weights: ties
        raw = draw(st.lists(st.tuples(ends, ends, weights), max_size=3 * n))
        edges = [(x, y, w) for x, y, w in raw if x != y]
        if constrained:
            cannot = [
                (x, y) for x, y in draw(st.lists(st.tuples(ends, ends), max_size=4)) if x != y
            ]
    return records, make_pairs(edges), cannot


@given(random_graphs(constrained=False))
def test_without_constraints_entities_are_the_connected_components(case):
    records, pairs, _ = case
    result = cluster_records(records, pairs)
    graph = nx.Graph()
    graph.add_nodes_from(records[C.RECORD_ID].tolist())
    strong = pairs[pairs[C.MATCH_PROBABILITY] >= 0.5]
    graph.add_edges_from(zip(strong[C.RECORD_ID_L], strong[C.RECORD_ID_R], strict=True))
    assert groups(result) == {frozenset(c) for c in nx.connected_components(graph)}
    assert result.rejected_links.empty
    assert len(result.links) == len(records) - result.stats["entities"]  # a spanning forest


@given(random_graphs(constrained=True))
def test_no_entity_breaks_a_constraint_and_greedy_is_maximal(case):
    records, pairs, cannot = case
    result = cluster_records(records, pairs, cannot_link=id_pairs(cannot))
    entities = result.entities
    assert sorted(entities[C.RECORD_ID]) == sorted(records[C.RECORD_ID])  # each exactly once
    members = groups(result)
    for group in members:
        assert violations(records, group, cannot=cannot) == []
    ids = entity_of(result)
    strong = pairs[pairs[C.MATCH_PROBABILITY] >= 0.5]
    apart = {
        frozenset((ids[x], ids[y]))
        for x, y in zip(strong[C.RECORD_ID_L], strong[C.RECORD_ID_R], strict=True)
        if ids[x] != ids[y]
    }
    for both in apart:  # kept apart: joining the two entities must break something
        assert violations(records, [r for r, e in ids.items() if e in both], cannot=cannot)
    for x, y in zip(result.links[C.RECORD_ID_L], result.links[C.RECORD_ID_R], strict=True):
        assert ids[x] == ids[y]
    for x, y in zip(
        result.rejected_links[C.RECORD_ID_L], result.rejected_links[C.RECORD_ID_R], strict=True
    ):
        assert ids[x] != ids[y]
    assert len(result.links) == len(records) - len(members)


@given(random_graphs(constrained=True), st.randoms(use_true_random=False))
def test_entity_ids_do_not_depend_on_row_order_or_record_numbering(case, rnd):
    records, pairs, cannot = case
    before = cluster_records(records, pairs, cannot_link=id_pairs(cannot))
    n = len(records)
    renumber = list(range(n))
    rnd.shuffle(renumber)
    shuffled = records.assign(**{C.RECORD_ID: renumber}).sample(
        frac=1, random_state=rnd.randint(0, 99)
    )
    moved = pairs.copy()
    mapping = np.array(renumber, dtype=np.int64)
    swap = np.array([rnd.random() < 0.5 for _ in range(len(pairs))], dtype=bool)
    left, right = mapping[pairs[C.RECORD_ID_L]], mapping[pairs[C.RECORD_ID_R]]
    moved[C.RECORD_ID_L] = np.where(swap, right, left)
    moved[C.RECORD_ID_R] = np.where(swap, left, right)
    moved = moved.sample(frac=1, random_state=rnd.randint(0, 99))
    cannot_moved = [(renumber[y], renumber[x]) for x, y in cannot]
    after = cluster_records(shuffled, moved, cannot_link=id_pairs(cannot_moved))

    key = dict(zip(records[C.RECORD_ID], records[C.RECORD_KEY], strict=True))
    key_after = dict(zip(shuffled[C.RECORD_ID], shuffled[C.RECORD_KEY], strict=True))
    ids_before = {key[r]: e for r, e in entity_of(before).items()}
    ids_after = {key_after[r]: e for r, e in entity_of(after).items()}
    assert ids_before == ids_after


@given(random_graphs(constrained=True), random_graphs(constrained=True))
def test_entity_ids_unchanged_when_an_unrelated_part_changes(case, other):
    records, pairs, cannot = case
    alone = cluster_records(records, pairs, cannot_link=id_pairs(cannot))
    # Another, disconnected part of the graph: records of another source, new ids.
    extra, extra_pairs, _ = other
    offset = len(records)
    extra = extra.assign(
        **{C.RECORD_ID: extra[C.RECORD_ID] + offset, C.SOURCE: "hhs", C.PERSON_ID: None}
    )
    extra_pairs = extra_pairs.assign(
        **{
            C.RECORD_ID_L: extra_pairs[C.RECORD_ID_L] + offset,
            C.RECORD_ID_R: extra_pairs[C.RECORD_ID_R] + offset,
        }
    )
    both = cluster_records(
        pd.concat([extra, records], ignore_index=True),
        pd.concat([extra_pairs, pairs], ignore_index=True),
        cannot_link=id_pairs(cannot),
    )
    together = entity_of(both)
    assert {r: together[r] for r in records[C.RECORD_ID]} == entity_of(alone)
