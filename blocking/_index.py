"""The numpy engine under `generate_pairs`, `count_pairs` and the truth pairs.

Everything works on *positions*: the records are ordered by record id once, and a
record is its position 0..n-1 in that order. Positions are dense and increase with the
id, so a pair of positions (p, q) with p < q is a pair of ids with l < r, and two
positions pack into one int64 for de-duplication across rules (see `blocking.pairs`).

Pairs inside blocks are generated without a Python loop or a self-merge: sort the
members by block, and a member at sorted index k pairs with every index from
``first[k]`` to the end of its block. ``count[k] = block_end[k] - first[k]`` partners
each; repeating k ``count[k]`` times and adding a running offset spells all pairs out in
one pass of numpy arithmetic, memory proportional to the pairs. Within-group mode has
``first[k] = k + 1`` (all i < j); link-only mode sorts each block by group and starts
at the end of k's group run, so same-group pairs are never generated at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

INT = np.int64


def factorize_columns(columns: Sequence[np.ndarray]) -> np.ndarray:
    """One dense code per row for the tuple of per-column codes; -1 if any code is -1.

    Each input is the `pd.factorize` code array of one key column (-1 for null). The
    tuple code is re-factorized after each column, so it stays below n however many
    columns there are (no overflow from multiplying cardinalities).
    """
    codes = np.asarray(columns[0], dtype=INT)
    null = codes < 0
    for nxt in columns[1:]:
        nxt = np.asarray(nxt, dtype=INT)
        null |= nxt < 0
        width = int(nxt.max(initial=0)) + 1
        codes, _ = pd.factorize(codes * width + nxt)
        codes = codes.astype(INT, copy=False)
    if null.any():
        codes = codes.copy()
        codes[null] = -1
    return codes


def null_safe_groups(group_codes: np.ndarray) -> np.ndarray:
    """Group codes where each null (-1) becomes its own group: unknown is never 'same'."""
    codes = np.asarray(group_codes, dtype=INT).copy()
    null = codes < 0
    if null.any():
        start = int(codes.max(initial=-1)) + 1
        codes[null] = np.arange(start, start + int(null.sum()), dtype=INT)
    return codes


@dataclass(frozen=True)
class BlockPlan:
    """Who pairs with whom inside blocks, before any pair is materialised.

    `members` are record positions sorted by block (by group inside a block in
    link-only mode); the member at sorted index k pairs with sorted indices
    ``first[k] .. first[k] + count[k] - 1``.
    """

    members: np.ndarray
    first: np.ndarray
    count: np.ndarray
    records: int  # positions with a non-null block code
    blocks: int  # distinct blocks (any size)
    largest_block: int
    oversized_blocks: int
    oversized_records: int
    across_groups: bool  # link-only: pairs may come out as (right, left)

    @property
    def pairs(self) -> int:
        return int(self.count.sum())


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Indices where a run of equal (key, ...) tuples starts, in sorted arrays."""
    m = len(keys[0])
    change = np.zeros(m, dtype=bool)
    if m:
        change[0] = True
        for key in keys:
            change[1:] |= key[1:] != key[:-1]
    return np.flatnonzero(change)


def plan_blocks(
    block_codes: np.ndarray,
    max_block_size: int | None,
    group_codes: np.ndarray | None = None,
) -> BlockPlan:
    """Plan all pairs inside blocks of equal code (code -1 = not blocked).

    Blocks above `max_block_size` are dropped and counted. With `group_codes` (null-safe,
    see `null_safe_groups`) only pairs across groups are planned.
    """
    positions = np.flatnonzero(block_codes >= 0).astype(INT)
    codes = block_codes[positions]
    if group_codes is None:
        order = np.argsort(codes, kind="stable")  # positions stay ascending inside a block
        members, codes = positions[order], codes[order]
        groups = None
    else:
        groups_all = group_codes[positions]
        order = np.lexsort((positions, groups_all, codes))
        members, codes, groups = positions[order], codes[order], groups_all[order]

    starts = _run_starts(codes)
    sizes = np.diff(np.append(starts, len(codes))).astype(INT)
    oversized = sizes > max_block_size if max_block_size is not None else np.zeros(len(sizes), bool)
    keep_block = (sizes >= 2) & ~oversized
    keep = np.repeat(keep_block, sizes)
    members, codes = members[keep], codes[keep]
    kept_sizes = sizes[keep_block]
    block_end = np.repeat(np.cumsum(kept_sizes), kept_sizes)
    if groups is None:
        first = np.arange(1, len(members) + 1, dtype=INT)
    else:
        groups = groups[keep]
        run_starts = _run_starts(codes, groups)
        run_sizes = np.diff(np.append(run_starts, len(codes)))
        first = np.repeat(run_starts + run_sizes, run_sizes).astype(INT)
    return BlockPlan(
        members=members,
        first=first,
        count=(block_end - first).astype(INT),
        records=len(positions),
        blocks=len(sizes),
        largest_block=int(sizes.max(initial=0)),
        oversized_blocks=int(oversized.sum()),
        oversized_records=int(sizes[oversized].sum()),
        across_groups=groups is not None,
    )


def expand_plan(plan: BlockPlan) -> tuple[np.ndarray, np.ndarray]:
    """All planned pairs as two position arrays (left < right)."""
    count = plan.count
    total = int(count.sum())
    left = np.repeat(np.arange(len(count), dtype=INT), count)
    right = np.arange(total, dtype=INT)
    right += np.repeat(plan.first - (np.cumsum(count) - count), count)
    np.take(plan.members, left, out=left, mode="clip")
    np.take(plan.members, right, out=right, mode="clip")
    if plan.across_groups:
        # groups reorder members inside a block, so order each pair
        lo = np.minimum(left, right)
        np.maximum(left, right, out=right)
        left = lo
    return left, right


def neighbourhood_order(sort_codes: Sequence[np.ndarray]) -> np.ndarray:
    """Positions with all sort keys non-null, in key order, ties by position (= id).

    Each input is the `pd.factorize(..., sort=True)` code array of one sort key, so
    comparing codes is comparing values.
    """
    valid = np.ones(len(sort_codes[0]), dtype=bool)
    for codes in sort_codes:
        valid &= codes >= 0
    positions = np.flatnonzero(valid).astype(INT)
    keys = [np.asarray(c)[positions] for c in reversed(sort_codes)]
    return positions[np.lexsort((positions, *keys))]


def neighbourhood_pairs(
    ordered: np.ndarray, window: int, group_codes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Each record with the next ``window - 1`` in `ordered` (left < right), optionally
    dropping same-group pairs. At most ``len(ordered) * (window - 1)`` pairs."""
    lefts, rights = [], []
    for d in range(1, min(window, len(ordered))):
        a, b = ordered[:-d], ordered[d:]
        if group_codes is not None:
            cross = group_codes[a] != group_codes[b]
            a, b = a[cross], b[cross]
        lefts.append(np.minimum(a, b))
        rights.append(np.maximum(a, b))
    if not lefts:
        return np.empty(0, INT), np.empty(0, INT)
    return np.concatenate(lefts), np.concatenate(rights)


def count_neighbourhood_pairs(
    ordered: np.ndarray, window: int, group_codes: np.ndarray | None = None
) -> int:
    """`len(neighbourhood_pairs(...)[0])` without building the pairs."""
    total = 0
    for d in range(1, min(window, len(ordered))):
        if group_codes is None:
            total += len(ordered) - d
        else:
            total += int(np.count_nonzero(group_codes[ordered[:-d]] != group_codes[ordered[d:]]))
    return total
