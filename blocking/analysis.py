"""How many pairs do rules make, and how many true matches do they keep?

Choosing blocking rules is a trade: every rule added costs comparisons and may find
matches the others miss. `count_pairs` answers the cost side per rule *before* the
pairs exist (block sizes alone give each rule's count, s*(s-1)/2 per block, also in
link-only mode and for sorted neighbourhood), then, optionally, the exact union after
de-duplication, which needs the pairs. `blocking_recall` with
`true_pairs_from_clusters` answers the benefit side against ground truth.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from blocking._index import INT, expand_plan, plan_blocks
from blocking._prepare import PreparedRecords
from blocking.errors import BlockingError
from blocking.pairs import RULE, generate_pairs
from blocking.rules import Rule
from linker.columns import RECORD_ID_L, RECORD_ID_R

COUNT_COLUMNS = (
    "rule",
    "kind",
    "records",
    "blocks",
    "largest_block",
    "oversized_blocks",
    "oversized_records",
    "pairs",
    "cumulative_upper_bound",
    "new_pairs",
    "cumulative_pairs",
)


def count_pairs(
    records: pd.DataFrame,
    rules: Sequence[Rule],
    *,
    group_column: str | None = None,
    link_within_groups: bool = True,
    default_max_block_size: int | None = 5000,
    exact: bool = True,
) -> pd.DataFrame:
    """One row per rule: its block statistics and pair counts.

    ``pairs`` is each rule's own count (after the size guard and group filter),
    computed without materialising any pair; ``cumulative_upper_bound`` is their running
    sum, an upper bound of the union that is cheap on any data size. With `exact`
    (default) the rules are also run through `generate_pairs` to fill ``new_pairs``
    and ``cumulative_pairs``, the exact de-duplicated union; otherwise those are null.
    Arguments are those of `generate_pairs`.
    """
    prepared = PreparedRecords(
        records,
        rules,
        group_column=group_column,
        link_within_groups=link_within_groups,
        default_max_block_size=default_max_block_size,
    )
    rows: list[dict[str, Any]] = []
    for plan in (prepared.plan(rule) for rule in prepared.rules):
        rows.append(
            {
                "rule": plan.rule.name,
                "kind": plan.rule.kind,
                "records": plan.records,
                "blocks": plan.blocks,
                "largest_block": plan.largest_block,
                "oversized_blocks": plan.oversized_blocks,
                "oversized_records": plan.oversized_records,
                "pairs": plan.pairs,
            }
        )
    table = pd.DataFrame(rows, columns=list(COUNT_COLUMNS[:8]))
    for column in COUNT_COLUMNS[2:8]:
        table[column] = table[column].astype(np.int64)
    table["cumulative_upper_bound"] = table["pairs"].cumsum().astype(np.int64)
    new = pd.array([None] * len(table), dtype="Int64")
    cumulative = pd.array([None] * len(table), dtype="Int64")
    if exact:
        result = generate_pairs(
            records,
            rules,
            group_column=group_column,
            link_within_groups=link_within_groups,
            default_max_block_size=default_max_block_size,
        )
        new = pd.array([s.new_pairs for s in result.stats], dtype="Int64")
        cumulative = pd.array([s.cumulative_pairs for s in result.stats], dtype="Int64")
    table["new_pairs"] = new
    table["cumulative_pairs"] = cumulative
    return table


def _unique_int_ids(record_ids: Any, what: str) -> np.ndarray:
    ids = pd.Series(record_ids)
    if not pd.api.types.is_integer_dtype(ids.dtype) or ids.isna().any():
        raise BlockingError(f"{what} must be integers without nulls, got dtype {ids.dtype}")
    if ids.duplicated().any():
        raise BlockingError(f"{what} must be unique; {int(ids.duplicated().sum())} repeat")
    return ids.to_numpy(dtype=INT)


def true_pairs_from_clusters(record_ids: Any, cluster_ids: Any) -> pd.DataFrame:
    """Every pair of records in the same truth cluster (``record_id_l < record_id_r``).

    A null cluster id means "known to match nothing" (no pairs). Uses the same
    within-block generator as blocking, so a million records in small clusters is fast.
    """
    ids = _unique_int_ids(record_ids, "record_ids")
    clusters = pd.Series(cluster_ids)
    if len(clusters) != len(ids):
        raise BlockingError(
            f"record_ids and cluster_ids differ in length ({len(ids)} vs {len(clusters)})"
        )
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    codes, _ = pd.factorize(clusters, use_na_sentinel=True)
    plan = plan_blocks(np.asarray(codes, dtype=INT)[order], max_block_size=None)
    left, right = expand_plan(plan)
    return pd.DataFrame({RECORD_ID_L: ids[left], RECORD_ID_R: ids[right]})


def _pair_columns(frame: pd.DataFrame, what: str) -> tuple[np.ndarray, np.ndarray]:
    missing = [c for c in (RECORD_ID_L, RECORD_ID_R) if c not in frame.columns]
    if missing:
        raise BlockingError(f"{what} has no column(s) {missing!r}")
    left = frame[RECORD_ID_L].to_numpy(dtype=INT)
    right = frame[RECORD_ID_R].to_numpy(dtype=INT)
    return np.minimum(left, right), np.maximum(left, right)


def blocking_recall(pairs: pd.DataFrame, true_pairs: pd.DataFrame) -> float:
    """Share of the distinct true pairs that are among `pairs` (NaN if there are none).

    Both frames need ``record_id_l`` / ``record_id_r``; each pair is read unordered, so
    a true pair written (r, l) still counts.
    """
    truth, found = _packed_pairs(pairs, true_pairs)
    if len(truth) == 0:
        return float("nan")
    return float(np.isin(truth, found).mean())


def recall_by_rule(
    pairs: pd.DataFrame, true_pairs: pd.DataFrame, rule_names: Sequence[str]
) -> pd.DataFrame:
    """Per rule, in rule order: the distinct true pairs it finds first (``true_new``) and
    the blocking recall of it and every rule before it (``cumulative_recall``).

    `pairs` is a blocking result's frame, whose RULE column names the first rule that
    produced each pair (an index into `rule_names`); summed, the rows give
    :func:`blocking_recall`. It tells which rule earns its pairs: one that adds a million
    pairs and a handful of true ones is a candidate for a tighter key or a smaller guard.
    """
    if RULE not in pairs.columns:
        raise BlockingError(f"pairs has no {RULE!r} column: pass a blocking result's pairs")
    truth, found = _packed_pairs(pairs, true_pairs)
    rules = pairs[RULE].to_numpy()
    seen = pd.Index(found)
    if not seen.is_unique:  # pairs added after blocking (decided ones): the first counts
        first_seen = ~seen.duplicated()
        seen, rules = seen[first_seen], rules[first_seen]
    at = seen.get_indexer(truth)
    first = rules[at[at >= 0]].astype(INT)
    if len(first) and not 0 <= first.min() <= first.max() < len(rule_names):
        raise BlockingError(f"a pair names rule {int(first.max())} of {len(rule_names)}")
    new = np.bincount(first, minlength=len(rule_names))
    total = len(truth)
    cumulative = np.cumsum(new) / total if total else np.full(len(new), np.nan)
    return pd.DataFrame(
        {"rule": list(rule_names), "true_new": new, "cumulative_recall": cumulative}
    )


def _packed_pairs(pairs: pd.DataFrame, true_pairs: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The distinct true pairs and the candidate pairs (in their order), each unordered
    pair one int64 over dense codes of every id seen (so it cannot overflow)."""
    cand_l, cand_r = _pair_columns(pairs, "pairs")
    true_l, true_r = _pair_columns(true_pairs, "true_pairs")
    codes, uniques = pd.factorize(np.concatenate([true_l, true_r, cand_l, cand_r]))
    m = len(uniques)
    codes = codes.astype(INT)
    k, c = len(true_l), len(cand_l)
    truth = pd.unique(codes[:k] * m + codes[k : 2 * k])  # np.unique hashes slowly (2.3)
    found = codes[2 * k : 2 * k + c] * m + codes[2 * k + c :]
    return truth, found
