"""Validate a records frame against rules, and hand each rule its block plan.

Shared by `generate_pairs` (which materialises the pairs) and `count_pairs` (which only
counts them), so both see exactly the same blocks, size guard and group filter.

Records are put in record-id order once and every key column is factorized once (a
column used by several rules is hashed once); the rules then work on int64 codes only.
No copy of the frame is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from blocking._index import (
    INT,
    BlockPlan,
    count_neighbourhood_pairs,
    expand_plan,
    factorize_columns,
    neighbourhood_order,
    neighbourhood_pairs,
    null_safe_groups,
    plan_blocks,
)
from blocking.errors import BlockingError
from blocking.rules import BlockingRule, Rule, SortedNeighbourhoodRule
from linker.columns import RECORD_ID
from linker.standardize.text import sorted_codes, text_codes

MAX_RULES = int(np.iinfo(np.int8).max)  # the `rule` column is int8


def _check(
    records: pd.DataFrame,
    rules: Sequence[Rule],
    group_column: str | None,
    link_within_groups: bool,
    default_max_block_size: int | None,
) -> list[str]:
    if not isinstance(records, pd.DataFrame):
        return [f"records must be a pandas DataFrame, got {type(records).__name__}"]
    problems: list[str] = []
    if RECORD_ID not in records.columns:
        problems.append(f"records have no {RECORD_ID!r} column (int64, unique per record)")
    else:
        ids = records[RECORD_ID]
        if not pd.api.types.is_integer_dtype(ids.dtype):
            problems.append(f"column {RECORD_ID!r} must be integer, got dtype {ids.dtype}")
        elif ids.isna().any():
            problems.append(f"column {RECORD_ID!r} has {int(ids.isna().sum())} null(s)")
        elif ids.duplicated().any():
            problems.append(
                f"column {RECORD_ID!r} must be unique; {int(ids.duplicated().sum())} "
                "row(s) repeat an earlier id"
            )
    if len(rules) > MAX_RULES:
        problems.append(f"at most {MAX_RULES} rules are supported, got {len(rules)}")
    names: set[str] = set()
    for i, rule in enumerate(rules):
        if not isinstance(rule, BlockingRule | SortedNeighbourhoodRule):
            problems.append(f"rule #{i} is a {type(rule).__name__}, not a blocking rule")
            continue
        if rule.name in names:
            problems.append(f"rule name {rule.name!r} is used twice; names must be unique")
        names.add(rule.name)
        missing = [c for c in rule.columns if c not in records.columns]
        if missing:
            problems.append(f"rule {rule.name!r}: records have no column(s) {missing!r}")
    if group_column is not None and group_column not in records.columns:
        problems.append(f"group_column {group_column!r} is not a column of the records")
    if not link_within_groups and group_column is None:
        problems.append("link_within_groups=False needs a group_column to say what a group is")
    size = default_max_block_size
    if size is not None and (not isinstance(size, int) or isinstance(size, bool) or size < 2):
        problems.append(f"default_max_block_size must be an integer >= 2 or None, got {size!r}")
    return problems


def _factorize_text(values: pd.Series, sort: bool) -> np.ndarray | None:
    """Codes of an all-string column via Arrow's dictionary encoding, else None.

    Hashing a million Python string objects is the slowest step of blocking; Arrow
    encodes the same column 2-4x faster (see `text_codes`). Arrow sorts UTF-8
    bytewise, which is code-point order, as Python does.
    """
    encoded = text_codes(values)
    if encoded is None:
        return None
    codes, dictionary = encoded
    return sorted_codes(codes, dictionary)[0] if sort else codes


def factorize(values: pd.Series, *, sort: bool = False) -> np.ndarray:
    """int64 codes of a column, -1 for null; with `sort`, codes follow value order."""
    codes = _factorize_text(values, sort)
    if codes is None:
        codes, _ = pd.factorize(values, sort=sort, use_na_sentinel=True)
    return np.asarray(codes, dtype=INT)


class PreparedRecords:
    """Records in id order, with per-column codes computed on first use."""

    def __init__(
        self,
        records: pd.DataFrame,
        rules: Sequence[Rule],
        *,
        group_column: str | None,
        link_within_groups: bool,
        default_max_block_size: int | None,
    ) -> None:
        rules = tuple(rules)
        problems = _check(records, rules, group_column, link_within_groups, default_max_block_size)
        if problems:
            raise BlockingError(problems)
        self._records = records
        self.rules = rules
        self.default_max_block_size = default_max_block_size
        ids = records[RECORD_ID].to_numpy(dtype=INT)
        self._order: np.ndarray | None = None
        if len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1])):
            self._order = np.argsort(ids, kind="stable")
            ids = ids[self._order]
        self.ids = ids  # ascending; position p is the record with id ids[p]
        self._codes: dict[tuple[str, bool], np.ndarray] = {}
        self.groups: np.ndarray | None = None
        if group_column is not None and not link_within_groups:
            self.groups = null_safe_groups(self.codes(group_column))

    @property
    def n(self) -> int:
        return len(self.ids)

    def codes(self, column: str, *, sort: bool = False) -> np.ndarray:
        """Factorized codes of `column` in position order (-1 = null); `sort` makes the
        codes follow the order of the values, as sorted neighbourhood needs."""
        key = (column, sort)
        if key not in self._codes:
            self._codes[key] = self._factorized(column, sort)
        return self._codes[key]

    def _factorized(self, column: str, sort: bool) -> np.ndarray:
        try:
            codes = factorize(self._records[column], sort=sort)
        except TypeError as e:
            raise BlockingError(
                f"column {column!r} mixes values that cannot be compared or hashed "
                f"({type(e).__name__}); make it one type (e.g. strings)"
            ) from e
        return codes if self._order is None else codes[self._order]

    def compute_codes(self, pool: Executor) -> None:
        """Factorize every key column the rules use, in `pool`'s threads, so rules
        planned in parallel find their codes ready (and no column twice)."""
        needed = dict.fromkeys(
            (column, isinstance(rule, SortedNeighbourhoodRule))
            for rule in self.rules
            for column in rule.columns
        )
        missing = [key for key in needed if key not in self._codes]
        computed = pool.map(lambda key: self._factorized(*key), missing)
        self._codes.update(zip(missing, computed, strict=True))

    def forget_codes(self) -> None:
        """Drop the cached column codes (8 bytes per record per column) once every
        rule is planned, before the pairs take the memory."""
        self._codes.clear()

    def limit(self, rule: BlockingRule) -> int | None:
        """The size guard for `rule`: its own, else the run's default."""
        if rule.max_block_size is not None:
            return rule.max_block_size
        return self.default_max_block_size

    def plan(self, rule: Rule) -> RulePlan:
        """What `rule` will do, counted but not yet expanded into pairs."""
        if isinstance(rule, BlockingRule):
            block_codes = factorize_columns([self.codes(c) for c in rule.keys])
            block = plan_blocks(block_codes, self.limit(rule), self.groups)
            return RulePlan(
                rule=rule,
                records=block.records,
                blocks=block.blocks,
                largest_block=block.largest_block,
                oversized_blocks=block.oversized_blocks,
                oversized_records=block.oversized_records,
                pairs=block.pairs,
                _block=block,
            )
        ordered = neighbourhood_order([self.codes(c, sort=True) for c in rule.sort_keys])
        return RulePlan(
            rule=rule,
            records=len(ordered),
            blocks=0,
            largest_block=0,
            oversized_blocks=0,
            oversized_records=0,
            pairs=count_neighbourhood_pairs(ordered, rule.window, self.groups),
            _ordered=ordered,
            _groups=self.groups,
        )


@dataclass(frozen=True)
class RulePlan:
    """One rule's blocks and pair count, before any pair exists.

    Counting is O(records); only `expand` costs memory proportional to the pairs, so a
    caller can size buffers (or just report counts) first.
    """

    rule: Rule
    records: int  # records with every key of the rule non-null
    blocks: int  # 0 for sorted neighbourhood
    largest_block: int
    oversized_blocks: int
    oversized_records: int
    pairs: int
    _block: BlockPlan | None = None
    _ordered: np.ndarray | None = None
    _groups: np.ndarray | None = None

    def counts_only(self) -> RulePlan:
        """This plan without its arrays, to keep the counts after expanding."""
        return replace(self, _block=None, _ordered=None, _groups=None)

    def expand(self) -> tuple[np.ndarray, np.ndarray]:
        """The rule's pairs as two int64 position arrays, left < right."""
        if self._block is not None:
            return expand_plan(self._block)
        assert self._ordered is not None and isinstance(self.rule, SortedNeighbourhoodRule)
        return neighbourhood_pairs(self._ordered, self.rule.window, self._groups)
