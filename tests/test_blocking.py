"""Tests for the generic blocking package: keys, rules, pairs, analysis.

The core check is an oracle: on small random frames, `generate_pairs` must equal a
brute-force loop over every pair of records that applies each rule's definition
literally (equal non-null keys, size guard, sorted neighbourhood window, group filter).
"""

from __future__ import annotations

import itertools
import logging
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from blocking import (
    RULE,
    BlockingError,
    BlockingRule,
    KeySpec,
    SortedNeighbourhoodRule,
    blocking_recall,
    count_pairs,
    derive_keys,
    generate_pairs,
    get_key_function,
    key_functions,
    recall_by_rule,
    register_key,
    rule_from_json,
    rules_from_json,
    rules_to_json,
    true_pairs_from_clusters,
)
from blocking import keys as keys_module
from blocking import pairs as pairs_module
from linker.columns import RECORD_ID, RECORD_ID_L, RECORD_ID_R

NA = pd.NA
NULLS = [None, np.nan, pd.NA]

# --- key functions ---------------------------------------------------------------

KEY_CASES = [
    # (function, args, input, expected)
    ("prefix", {"n": 3}, "HERNANDEZ", "HER"),
    ("prefix", {"n": 3}, "LI", "LI"),
    ("prefix", {"n": 2}, "  ÁLVAREZ ", "ÁL"),
    ("prefix", {"n": 3}, "", None),
    ("prefix", {"n": 3}, "   ", None),
    ("suffix", {"n": 2}, "GARCÍA", "ÍA"),
    ("suffix", {"n": 4}, "ROS", "ROS"),
    ("suffix", {"n": 2}, "", None),
    ("year", {}, "2001-03-05", 2001),
    ("year", {}, "1999-12", 1999),
    ("year", {}, "1987", 1987),
    ("year", {}, "2001-03-05T10:00:00", 2001),
    ("year", {}, "03/05/2001", None),
    ("year", {}, "", None),
    ("year", {}, "unknown", None),
    ("sorted_tokens", {}, "LOPEZ GARCIA", "GARCIA LOPEZ"),
    ("sorted_tokens", {}, "GARCIA  LOPEZ ", "GARCIA LOPEZ"),
    ("sorted_tokens", {}, "MARÍA JOSÉ", "JOSÉ MARÍA"),
    ("sorted_tokens", {}, "SOLO", "SOLO"),
    ("sorted_tokens", {}, "  ", None),
    ("first_token", {}, "DE LA CRUZ", "DE"),
    ("first_token", {}, "  JOSÉ\tLUIS", "JOSÉ"),
    ("first_token", {}, "", None),
    ("last_token", {}, "DE LA CRUZ", "CRUZ"),
    ("last_token", {}, "PEÑA ", "PEÑA"),
    ("last_token", {}, " ", None),
    ("digits", {}, "(713) 555-0100", "7135550100"),
    ("digits", {}, "A 123 456 789", "123456789"),
    ("digits", {}, "N/A", None),
    ("digits", {}, "", None),
    ("digits", {}, "٣٤٥", None),  # Arabic-Indic digits are not ASCII digits
    ("swap_day_month", {}, "2001-03-05", "2001-05-03"),
    ("swap_day_month", {}, "2001-03-03", "2001-03-03"),
    ("swap_day_month", {}, "2001-03-25", None),  # month 25 does not exist
    ("swap_day_month", {}, "2001-02-12", "2001-12-02"),
    ("swap_day_month", {}, "2001-01-31", None),
    ("swap_day_month", {}, "2001-3-5", None),
    ("swap_day_month", {}, "", None),
    ("day_month_unordered", {}, "2001-05-03", "2001-03-05"),
    ("day_month_unordered", {}, "2001-03-05", "2001-03-05"),
    ("day_month_unordered", {}, "2001-03-25", "2001-03-25"),
    ("day_month_unordered", {}, "2001-02-30", None),  # not a real date
    ("day_month_unordered", {}, "", None),
]


@pytest.mark.parametrize(("function", "args", "value", "expected"), KEY_CASES)
def test_key_function_values(function, args, value, expected):
    values = pd.Series(["PAD", value, *NULLS], dtype=object, index=[10, 11, 12, 13, 14])
    out = get_key_function(function)(values, **args)
    assert list(out.index) == [10, 11, 12, 13, 14]
    got = out.iloc[1]
    if expected is None:
        assert pd.isna(got)
    else:
        assert got == expected
    assert out.iloc[2:].isna().all(), "nulls must stay null"


@pytest.mark.parametrize("function", ["prefix", "suffix"])
@pytest.mark.parametrize("bad", [0, -1, 1.5, "3", True])
def test_prefix_suffix_reject_bad_n(function, bad):
    with pytest.raises(BlockingError, match="n must be an integer"):
        get_key_function(function)(pd.Series(["ABC"]), n=bad)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (pd.Series([1990, 2001], dtype="int64"), [1990, 2001]),
        (pd.Series([1990, None], dtype="Int16"), [1990, None]),
        (pd.Series([1990.0, np.nan, 1990.5]), [1990, None, None]),
        (pd.Series(pd.to_datetime(["1990-05-01", None])), [1990, None]),
        (pd.Series(["1990-05-01", None, pd.NA], dtype="string"), [1990, None, None]),
    ],
)
def test_year_from_numbers_dates_and_strings(values, expected):
    out = get_key_function("year")(values)
    assert str(out.dtype) == "Int64"
    assert [None if pd.isna(v) else int(v) for v in out] == expected


def test_swapped_dobs_share_one_unordered_key():
    dobs = pd.Series(["2001-03-05", "2001-05-03", "2001-03-06"])
    key = get_key_function("day_month_unordered")(dobs)
    assert key[0] == key[1] != key[2]


def test_key_functions_are_listed():
    assert {
        "prefix",
        "suffix",
        "year",
        "sorted_tokens",
        "first_token",
        "last_token",
        "digits",
        "swap_day_month",
        "day_month_unordered",
    } <= set(key_functions())


def test_derive_keys_chains_specs_and_leaves_input_alone():
    frame = pd.DataFrame({"name": ["LOPEZ GARCIA", "GARCIA LOPEZ", None, ""]}, index=[5, 6, 7, 8])
    before = frame.copy()
    specs = [
        KeySpec("name_sorted", "name", "sorted_tokens"),
        KeySpec("name_sorted_p3", "name_sorted", "prefix", {"n": 3}),
    ]
    out = derive_keys(frame, specs)
    pd.testing.assert_frame_equal(frame, before)
    assert list(out.columns) == ["name", "name_sorted", "name_sorted_p3"]
    assert list(out.index) == [5, 6, 7, 8]
    assert out.loc[5, "name_sorted"] == out.loc[6, "name_sorted"] == "GARCIA LOPEZ"
    assert out.loc[5, "name_sorted_p3"] == "GAR"
    assert out.loc[[7, 8], "name_sorted_p3"].isna().all()


def test_derive_keys_works_with_a_duplicated_index():
    frame = pd.DataFrame({"x": ["AB", "CD"]}, index=[1, 1])
    out = derive_keys(frame, [KeySpec("x1", "x", "prefix", {"n": 1})])
    assert list(out["x1"]) == ["A", "C"]


def test_derive_keys_reports_every_problem_at_once():
    frame = pd.DataFrame({"name": ["A"], "taken": ["B"]})
    specs = [
        KeySpec("k1", "missing", "prefix", {"n": 2}),
        KeySpec("k2", "name", "no_such_function"),
        KeySpec("k3", "name", "prefix", {"width": 2}),
        KeySpec("taken", "name", "first_token"),
    ]
    with pytest.raises(BlockingError) as info:
        derive_keys(frame, specs)
    assert len(info.value.problems) == 4
    message = str(info.value)
    for needle in ("'missing'", "no_such_function", "bad args", "already exists"):
        assert needle in message


def test_register_key_adds_a_function_and_refuses_a_duplicate(monkeypatch):
    monkeypatch.setattr(keys_module, "_REGISTRY", dict(keys_module._REGISTRY))

    @register_key("initial_test")
    def initial(values: pd.Series) -> pd.Series:
        return values.str[:1]

    out = derive_keys(pd.DataFrame({"n": ["ANA", "ABEL"]}), [KeySpec("i", "n", "initial_test")])
    assert list(out["i"]) == ["A", "A"]
    with pytest.raises(BlockingError, match="already registered"):
        register_key("prefix")(initial)


def test_key_spec_json_round_trip():
    spec = KeySpec("dob_year", "dob", "year")
    spec2 = KeySpec("p", "name", "prefix", {"n": 4})
    for s in (spec, spec2):
        assert KeySpec.from_json(s.to_json()) == s
    with pytest.raises(BlockingError, match="unknown field"):
        KeySpec.from_json({"name": "a", "column": "b", "function": "year", "extra": 1})


# --- rules as data ------------------------------------------------------------------

names = st.text(alphabet="abcdefgh_é", min_size=1, max_size=8)


@st.composite
def any_rule(draw):
    if draw(st.booleans()):
        return BlockingRule(
            draw(names),
            tuple(draw(st.lists(names, min_size=1, max_size=3, unique=True))),
            draw(st.none() | st.integers(2, 10_000)),
        )
    return SortedNeighbourhoodRule(
        draw(names),
        tuple(draw(st.lists(names, min_size=1, max_size=3, unique=True))),
        draw(st.integers(2, 50)),
    )


@given(st.lists(any_rule(), max_size=4))
def test_rules_json_round_trip(rules):
    import json

    data = json.loads(json.dumps(rules_to_json(rules)))
    assert rules_from_json(data) == rules
    for rule in rules:
        assert type(rule).from_json(rule.to_json()) == rule


def test_rule_accepts_a_single_key_and_lists():
    assert BlockingRule("dob", "dob").keys == ("dob",)
    assert BlockingRule("n", ["a", "b"]).keys == ("a", "b")
    assert rule_from_json({"name": "d", "keys": ["dob"]}) == BlockingRule("d", ("dob",))


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda: BlockingRule("", ("a",)), "non-empty string name"),
        (lambda: BlockingRule("r", ()), "at least one column"),
        (lambda: BlockingRule("r", ("a", "a")), "twice"),
        (lambda: BlockingRule("r", ("a",), max_block_size=1), "max_block_size"),
        (lambda: BlockingRule("r", ("a",), max_block_size=True), "max_block_size"),
        (lambda: SortedNeighbourhoodRule("r", ("a",), 1), "window"),
        (lambda: rule_from_json({"kind": "fuzzy", "name": "x"}), "unknown rule kind"),
        (lambda: rule_from_json({"kind": "blocking", "name": "x"}), "missing field"),
        (lambda: BlockingRule.from_json({"kind": "sorted_neighbourhood"}), "kind"),
    ],
)
def test_bad_rules_are_refused(make, needle):
    with pytest.raises(BlockingError, match=needle):
        make()


def test_rules_from_json_reports_every_bad_rule():
    with pytest.raises(BlockingError) as info:
        rules_from_json([{"name": "ok", "keys": ["a"]}, {"kind": "x"}, {"name": "", "keys": []}])
    assert len(info.value.problems) >= 3
    assert "rule #1" in str(info.value) and "rule #2" in str(info.value)


# --- oracle ---------------------------------------------------------------------------

VALUES = ["x", "y", "é", "E", "", None, np.nan, NA]


def brute_force(frame, rules, *, group_column, link_within_groups, default_max_block_size):
    """Apply each rule's definition literally to every pair of records."""
    rows = frame.to_dict("records")

    def key(row, columns):
        values = tuple(row[c] for c in columns)
        return None if any(pd.isna(v) for v in values) else values

    def same_group(a, b):
        if group_column is None or link_within_groups:
            return False
        ga, gb = a[group_column], b[group_column]
        return not pd.isna(ga) and not pd.isna(gb) and ga == gb

    per_rule = []
    for rule in rules:
        found = set()
        if isinstance(rule, BlockingRule):
            limit = rule.max_block_size or default_max_block_size
            sizes: dict = {}
            for row in rows:
                k = key(row, rule.keys)
                if k is not None:
                    sizes[k] = sizes.get(k, 0) + 1
            for a, b in itertools.combinations(rows, 2):
                ka, kb = key(a, rule.keys), key(b, rule.keys)
                if ka is None or ka != kb or (limit is not None and sizes[ka] > limit):
                    continue
                if not same_group(a, b):
                    found.add(tuple(sorted((a[RECORD_ID], b[RECORD_ID]))))
        else:
            keyed = [r for r in rows if key(r, rule.sort_keys) is not None]
            keyed.sort(key=lambda r: (key(r, rule.sort_keys), r[RECORD_ID]))
            for i, a in enumerate(keyed):
                for b in keyed[i + 1 : i + rule.window]:
                    if not same_group(a, b):
                        found.add(tuple(sorted((a[RECORD_ID], b[RECORD_ID]))))
        per_rule.append(found)
    first_rule: dict = {}
    for index, found in enumerate(per_rule):
        for pair in found:
            first_rule.setdefault(pair, index)
    return first_rule, per_rule


@st.composite
def frames_and_rules(draw):
    n = draw(st.integers(0, 40))
    ids = draw(st.lists(st.integers(-50, 10**9), min_size=n, max_size=n, unique=True))
    column = st.lists(st.sampled_from(VALUES), min_size=n, max_size=n)
    frame = pd.DataFrame(
        {
            RECORD_ID: pd.Series(ids, dtype="int64"),
            "a": pd.Series(draw(column), dtype=object),
            "b": pd.Series(draw(column), dtype=object),
            "c": pd.Series(
                draw(st.lists(st.sampled_from([1, 2, None]), min_size=n, max_size=n)),
                dtype="Int64",
            ),
            "g": pd.Series(
                draw(st.lists(st.sampled_from(["s1", "s2", None]), min_size=n, max_size=n)),
                dtype=object,
            ),
        }
    )
    rules = []
    for i in range(draw(st.integers(1, 3))):
        keys = tuple(draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=2, unique=True)))
        if draw(st.booleans()):
            rules.append(BlockingRule(f"r{i}", keys, draw(st.none() | st.integers(2, 6))))
        else:
            rules.append(SortedNeighbourhoodRule(f"r{i}", keys, draw(st.integers(2, 4))))
    options = {
        "group_column": draw(st.none() | st.just("g")),
        "default_max_block_size": draw(st.none() | st.integers(2, 8)),
    }
    options["link_within_groups"] = options["group_column"] is None or draw(st.booleans())
    return frame, rules, options


def pair_map(result):
    pairs = result.pairs
    ids = zip(pairs[RECORD_ID_L], pairs[RECORD_ID_R], strict=True)
    return dict(zip(ids, pairs[RULE], strict=True))


@given(frames_and_rules(), st.integers(1, 3))
def test_generate_pairs_equals_brute_force(case, workers):
    frame, rules, options = case
    result = generate_pairs(frame, rules, **options, workers=workers)
    expected, per_rule = brute_force(frame, rules, **options)
    assert pair_map(result) == expected
    assert [s.pairs for s in result.stats] == [len(found) for found in per_rule]
    new = [sum(1 for r in expected.values() if r == i) for i in range(len(rules))]
    assert [s.new_pairs for s in result.stats] == new
    assert [s.cumulative_pairs for s in result.stats] == list(itertools.accumulate(new))
    counts = count_pairs(frame, rules, **options)
    assert list(counts["pairs"]) == [len(found) for found in per_rule]
    assert list(counts["cumulative_pairs"]) == list(itertools.accumulate(new))


@given(frames_and_rules(), st.randoms(use_true_random=False))
def test_pairs_are_ordered_unique_typed_and_row_order_free(case, rnd):
    frame, rules, options = case
    pairs = generate_pairs(frame, rules, **options).pairs
    assert list(pairs.columns) == [RECORD_ID_L, RECORD_ID_R, RULE]
    assert [str(t) for t in pairs.dtypes] == ["int64", "int64", "int8"]
    assert (pairs[RECORD_ID_L] < pairs[RECORD_ID_R]).all()  # so never a record with itself
    assert not pairs.duplicated([RECORD_ID_L, RECORD_ID_R]).any()
    assert set(pairs[RECORD_ID_L]).union(pairs[RECORD_ID_R]) <= set(frame[RECORD_ID])
    order = list(range(len(frame)))
    rnd.shuffle(order)
    shuffled = frame.iloc[order].reset_index(drop=True)
    again = generate_pairs(shuffled, rules, **options).pairs
    pd.testing.assert_frame_equal(again, pairs)


def test_threads_split_the_union_sort_and_give_the_same_pairs(monkeypatch):
    """Many rules over overlapping keys, enough pairs that each thread sorts a slice and
    a pair found by several rules straddles the slices: the pairs, the rule credited
    and the stats are those of one thread."""
    rng = np.random.default_rng(3)
    n = 3_000
    frame = pd.DataFrame(
        {
            RECORD_ID: rng.permutation(n).astype("int64") * 7,
            **{k: pd.Series(rng.integers(0, 40, n).astype(str), dtype=object) for k in "abc"},
        }
    )
    rules = [
        BlockingRule("a", ("a",)),
        SortedNeighbourhoodRule("sn_b", ("b", "a"), 4),
        BlockingRule("ab", ("a", "b")),
        BlockingRule("c", ("c",), max_block_size=60),
        BlockingRule("b", ("b",)),
    ]
    sorts = []  # (threads, whether the keys are enough to sort in slices)
    real_sort = pairs_module._sort_in_place

    def spy(keys, pool, threads):
        sorts.append((threads, len(keys) >= 2 * pairs_module._PARALLEL_SORT_MIN))
        real_sort(keys, pool, threads)

    monkeypatch.setattr(pairs_module, "_PARALLEL_SORT_MIN", 10_000)
    monkeypatch.setattr(pairs_module, "_sort_in_place", spy)
    one = generate_pairs(frame, rules, workers=1)
    for workers in (2, 3):
        many = generate_pairs(frame, rules, workers=workers)
        pd.testing.assert_frame_equal(many.pairs, one.pairs)
        assert many.stats == one.stats
    assert sorts == [(1, True), (2, True), (3, True)]
    assert one.stats[1].pairs > 0 and one.stats[1].new_pairs < one.stats[1].pairs
    assert len(one.pairs) > 2 * 10_000


def test_sort_in_place_sorts_every_slice_split():
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**40, 2 * pairs_module._PARALLEL_SORT_MIN + 7)
    expected = np.sort(keys)
    with ThreadPoolExecutor(3) as pool:
        pairs_module._sort_in_place(keys, pool, 3)
    np.testing.assert_array_equal(keys, expected)


# --- examples ---------------------------------------------------------------------------


def records(**columns):
    n = len(next(iter(columns.values())))
    return pd.DataFrame({RECORD_ID: np.arange(n, dtype="int64"), **columns})


def test_rule_column_names_the_first_rule_that_matches():
    frame = records(a=["p", "p", "q", "q"], b=["s", "s", "s", "t"])
    result = generate_pairs(frame, [BlockingRule("a", "a"), BlockingRule("b", "b")])
    # (0, 1) shares both keys: credited to rule 0, and counted once
    assert pair_map(result) == {(0, 1): 0, (2, 3): 0, (0, 2): 1, (1, 2): 1}
    assert [s.pairs for s in result.stats] == [2, 3]
    assert [s.new_pairs for s in result.stats] == [2, 2]


def test_null_in_any_key_means_not_blocked():
    frame = records(a=["p", "p", "p", None], b=["s", None, "s", "s"])
    result = generate_pairs(frame, [BlockingRule("ab", ("a", "b"))])
    assert pair_map(result) == {(0, 2): 0}
    assert result.stats[0].records == 2


def test_size_guard_skips_a_block_counts_it_and_logs_counts_only(caplog):
    frame = records(a=["BIG"] * 4 + ["small"] * 2 + ["MID"] * 3)
    rules = [BlockingRule("a", "a", max_block_size=3)]
    with caplog.at_level(logging.WARNING, logger="blocking.pairs"):
        result = generate_pairs(frame, rules)
    assert pair_map(result) == {(4, 5): 0, (6, 7): 0, (6, 8): 0, (7, 8): 0}
    stats = result.stats[0]
    assert (stats.oversized_blocks, stats.oversized_records, stats.largest_block) == (1, 4, 4)
    assert stats.blocks == 3
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 1 and "1 block(s)" in messages[0] and "4 records" in messages[0]
    assert "BIG" not in messages[0]


def test_default_size_guard_applies_unless_the_rule_sets_its_own():
    frame = records(a=["K"] * 5)
    assert generate_pairs(frame, [BlockingRule("a", "a")], default_max_block_size=4).pairs.empty
    own = generate_pairs(frame, [BlockingRule("a", "a", 10)], default_max_block_size=4)
    assert len(own.pairs) == 10
    assert len(generate_pairs(frame, [BlockingRule("a", "a")], default_max_block_size=None).pairs)


def test_link_only_drops_same_group_pairs():
    frame = records(a=["k"] * 5, src=["cbp", "cbp", "ice", "ice", None])
    rules = [BlockingRule("a", "a")]
    assert len(generate_pairs(frame, rules, group_column="src").pairs) == 10
    result = generate_pairs(frame, rules, group_column="src", link_within_groups=False)
    # (0,1) and (2,3) share a source; the null-source record pairs with everyone
    assert set(pair_map(result)) == {(0, 2), (0, 3), (1, 2), (1, 3), (0, 4), (1, 4), (2, 4), (3, 4)}


def test_sorted_neighbourhood_pairs_each_record_with_the_next_window_minus_one():
    surnames = ["DIAZ", "DIAS", "ZAPATA", "DIAZ", None, "ABAD", "DIEZ", "ZAPATO"]
    frame = records(s=surnames)
    result = generate_pairs(frame, [SortedNeighbourhoodRule("sn", ("s",), 3)])
    order = sorted((s, i) for i, s in enumerate(surnames) if s is not None)
    ids = [i for _, i in order]
    expected = {
        tuple(sorted((ids[k], ids[j])))
        for k in range(len(ids))
        for j in range(k + 1, min(k + 3, len(ids)))
    }
    assert set(pair_map(result)) == expected
    assert result.stats[0].records == 7
    assert len(expected) == 2 * 7 - 3


def test_empty_and_ruleless_inputs_give_typed_empty_frames():
    empty = records(a=pd.Series([], dtype=object))
    for frame, rules in ((empty, [BlockingRule("a", "a")]), (records(a=["x", "x"]), [])):
        result = generate_pairs(frame, rules)
        assert result.pairs.empty
        assert [str(t) for t in result.pairs.dtypes] == ["int64", "int64", "int8"]


def test_generate_pairs_does_not_modify_its_input():
    frame = records(a=["x", "y", "x"])[::-1]
    before = frame.copy()
    generate_pairs(frame, [BlockingRule("a", "a")])
    pd.testing.assert_frame_equal(frame, before)


def test_bad_records_and_options_report_every_problem():
    frame = pd.DataFrame({RECORD_ID: [1, 1], "a": ["x", "y"]})
    rules = [BlockingRule("r", ("a", "nope")), BlockingRule("r", "a")]
    with pytest.raises(BlockingError) as info:
        generate_pairs(frame, rules, link_within_groups=False, default_max_block_size=0)
    message = str(info.value)
    for needle in ("unique", "'nope'", "used twice", "group_column", "default_max_block_size"):
        assert needle in message
    with pytest.raises(BlockingError, match="no 'record_id' column"):
        generate_pairs(pd.DataFrame({"a": ["x"]}), [BlockingRule("a", "a")])
    with pytest.raises(BlockingError, match="must be integer"):
        generate_pairs(pd.DataFrame({RECORD_ID: [0.5], "a": ["x"]}), [BlockingRule("a", "a")])


def test_stats_frame_has_one_row_per_rule():
    frame = records(a=["x", "x", "y"], b=["u", "v", "v"])
    result = generate_pairs(frame, [BlockingRule("a", "a"), SortedNeighbourhoodRule("b", "b", 2)])
    table = result.stats_frame()
    assert list(table["name"]) == ["a", "b"]
    assert list(table["kind"]) == ["blocking", "sorted_neighbourhood"]
    # the neighbourhood pairs (0, 1) and (1, 2); (0, 1) is rule "a"'s already
    assert list(table["pairs"]) == [1, 2]
    assert list(table["cumulative_pairs"]) == [1, 2]
    assert result.stats[1].to_json()["new_pairs"] == 1


def test_count_pairs_without_exact_leaves_union_null():
    frame = records(a=["x", "x", "x", "y"], b=["u", "u", "v", "v"])
    table = count_pairs(frame, [BlockingRule("a", "a"), BlockingRule("b", "b")], exact=False)
    assert list(table["pairs"]) == [3, 2]
    assert list(table["cumulative_upper_bound"]) == [3, 5]
    assert table["cumulative_pairs"].isna().all()


# --- analysis ---------------------------------------------------------------------------


def test_true_pairs_from_clusters():
    truth = true_pairs_from_clusters([30, 10, 20, 40, 50], ["A", "A", "B", "A", None])
    assert [str(t) for t in truth.dtypes] == ["int64", "int64"]
    assert set(zip(truth[RECORD_ID_L], truth[RECORD_ID_R], strict=True)) == {
        (10, 30),
        (10, 40),
        (30, 40),
    }
    with pytest.raises(BlockingError, match="unique"):
        true_pairs_from_clusters([1, 1], ["A", "A"])


def test_blocking_recall_hand_example():
    truth = pd.DataFrame({RECORD_ID_L: [1, 1, 2, 5], RECORD_ID_R: [2, 3, 3, 9]})
    found = pd.DataFrame({RECORD_ID_L: [1, 3, 4, 9], RECORD_ID_R: [2, 2, 7, 5]})
    # (1,2) found; (2,3) found written (3,2); (5,9) found written (9,5); (1,3) missed
    assert blocking_recall(found, truth) == pytest.approx(3 / 4)
    assert blocking_recall(found.iloc[:0], truth) == 0.0
    assert math.isnan(blocking_recall(found, truth.iloc[:0]))


def test_recall_by_rule_hand_example():
    truth = pd.DataFrame({RECORD_ID_L: [1, 1, 2, 5], RECORD_ID_R: [2, 3, 3, 9]})
    found = pd.DataFrame({RECORD_ID_L: [1, 4, 3, 9], RECORD_ID_R: [2, 7, 2, 5], RULE: [0, 0, 2, 2]})
    table = recall_by_rule(found, truth, ["a", "b", "c"])
    assert table["rule"].tolist() == ["a", "b", "c"]
    assert table["true_new"].tolist() == [1, 0, 2]  # (1,2) by a; (2,3) and (5,9) by c
    assert table["cumulative_recall"].tolist() == pytest.approx([1 / 4, 1 / 4, 3 / 4])
    # a pair appended after blocking (a reviewer's decision) counts once, for its first rule
    again = pd.concat([found, found.iloc[[2]].assign(**{RULE: 1})], ignore_index=True)
    assert recall_by_rule(again, truth, ["a", "b", "c"])["true_new"].tolist() == [1, 0, 2]
    with pytest.raises(BlockingError, match="rule"):
        recall_by_rule(found.drop(columns=[RULE]), truth, ["a", "b", "c"])
    with pytest.raises(BlockingError, match="rule 2 of 2"):
        recall_by_rule(found, truth, ["a", "b"])


def test_recall_by_rule_adds_up_to_the_blocking_recall():
    i = np.arange(200)
    frame = pd.DataFrame({RECORD_ID: i * 3 + 7, "k1": i // 4, "k2": (i + 2) // 4})
    rules = [BlockingRule("by_k1", ("k1",)), BlockingRule("by_k2", ("k2",))]
    result = generate_pairs(frame, rules)
    truth = true_pairs_from_clusters(frame[RECORD_ID], i // 8)
    table = recall_by_rule(result.pairs, truth, [r.name for r in rules])
    # by brute force: each rule's pairs, credited to the first rule that makes them
    ids, person = frame[RECORD_ID].to_numpy(), i // 8
    true_set = {(ids[a], ids[b]) for a in i for b in i if a < b and person[a] == person[b]}
    seen: set[tuple[int, int]] = set()
    expected = []
    for key in ("k1", "k2"):
        k = frame[key].to_numpy()
        made = {(ids[a], ids[b]) for a in i for b in i if a < b and k[a] == k[b]}
        expected.append(len((made - seen) & true_set))
        seen |= made
    assert table["true_new"].tolist() == expected and all(expected)
    assert table["cumulative_recall"].iloc[-1] == pytest.approx(
        blocking_recall(result.pairs, truth)
    )
