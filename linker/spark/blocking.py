"""The blocking rules of `linker.blocking_rules` as Spark joins.

The rules are data (`blocking.BlockingRule`, `blocking.SortedNeighbourhoodRule`); this
module runs the same data on Spark, with the same meaning as `blocking.generate_pairs`:

* a `BlockingRule` is an equi-join of the records on its keys, records with a null key
  left out, blocks larger than the rule's size guard (else the run's) skipped and
  counted, left id < right id, and in link-only mode only pairs across sources;
* a `SortedNeighbourhoodRule` numbers the records with non-null keys in (keys, record
  id) order with one global window (Spark moves them to one partition to sort: an
  O(n log n) sort of three columns, which fits one executor well past 10^8 records) and
  joins each number with the next ``window - 1``. Spark orders strings by their UTF-8
  bytes, which is code-point order, as the local engine's sort;
* the union keeps each pair once with the lowest rule index that produced it, as the
  local engine credits the first rule.

The derived keys (phonetic name pair, sorted surnames, unordered day/month ...) come from
`linker.blocking_rules.blocking_frame`, run per partition: one definition of every key.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import reduce
from typing import TYPE_CHECKING

import pandas as pd

from blocking import BlockingRule, SortedNeighbourhoodRule
from blocking.pairs import RULE
from linker import columns as C
from linker.blocking_rules import DEFAULT_RULES, DOB_MONTH_DAY_UNORDERED, blocking_frame
from linker.spark.session import to_pandas
from linker.spark.standardize import as_record_dtypes

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import StructType

_GROUP_L, _GROUP_R = "_group_l", "_group_r"
_NUMBER = "_number"
_KEY = "_key"
_LIMIT = "_limit"


@dataclass(frozen=True)
class OversizedBlocks:
    """Blocks a rule's size guard skipped: counted for the run's warnings."""

    rule: str
    blocks: int
    records: int


@dataclass
class SparkBlocking:
    pairs: DataFrame  # RECORD_ID_L < RECORD_ID_R, RULE (byte), one row per pair
    oversized: list[OversizedBlocks]


def _frame_schema() -> StructType:
    from pyspark.sql import types as T

    empty = pd.DataFrame({c: pd.Series(dtype=object) for c in C.RECORD_COLUMNS})
    kinds = {
        C.RECORD_ID: T.LongType(),
        C.DOB_YEAR: T.ShortType(),
        DOB_MONTH_DAY_UNORDERED: T.LongType(),
    }
    return T.StructType(
        [T.StructField(c, kinds.get(c, T.StringType())) for c in blocking_frame(empty).columns]
    )


def _blocking_frames(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
    for records in batches:
        frame = blocking_frame(as_record_dtypes(records))
        # Arrow wants one type per column: key columns are text (not categories) or null.
        text = {c: object for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)}
        yield frame.astype(text | {C.DOB_YEAR: "Int16", DOB_MONTH_DAY_UNORDERED: "Int64"})


def _not_null(columns: Sequence[str]) -> Column:
    from pyspark.sql import functions as F

    return reduce(lambda a, b: a & b, [F.col(c).isNotNull() for c in columns])


def _block_pairs(
    frame: DataFrame, rules: Sequence[tuple[int, BlockingRule, int | None]], link_only: bool
) -> tuple[DataFrame, DataFrame]:
    """Every equi-join rule's pairs at once, and the oversized blocks (RULE, count).

    Each record is listed (one explode) once per rule whose keys it fills, with the rule's index and
    its key values as one array (array equality is value equality, with no separator to
    collide with). One groupBy sizes every block of every rule and one self-join on
    (rule, key) pairs the members: three shuffles whatever the number of rules.
    """
    from pyspark.sql import functions as F

    listed = (
        frame.select(
            C.RECORD_ID,
            C.SOURCE,
            F.explode(
                F.array(
                    *[
                        F.when(
                            _not_null(rule.keys),
                            F.struct(
                                F.lit(index).cast("byte").alias(RULE),
                                F.array(*[F.col(k).cast("string") for k in rule.keys]).alias(_KEY),
                            ),
                        )
                        for index, rule, _ in rules
                    ]
                )
            ).alias("_listed"),
        )
        .where(F.col("_listed").isNotNull())
        .select(f"_listed.{RULE}", f"_listed.{_KEY}", C.RECORD_ID, C.SOURCE)
    )
    limits = frame.sparkSession.createDataFrame(
        [(index, limit) for index, _, limit in rules], f"{RULE} byte, {_LIMIT} int"
    )
    sizes = listed.groupBy(RULE, _KEY).count().join(F.broadcast(limits), RULE)
    too_big = sizes.where(F.col(_LIMIT).isNotNull() & (F.col("count") > F.col(_LIMIT)))
    wanted = sizes.where(
        (F.col("count") >= 2) & (F.col(_LIMIT).isNull() | (F.col("count") <= F.col(_LIMIT)))
    )
    kept = listed.join(wanted.select(RULE, _KEY), [RULE, _KEY], "left_semi")
    left = kept.select(
        RULE, _KEY, F.col(C.RECORD_ID).alias(C.RECORD_ID_L), F.col(C.SOURCE).alias(_GROUP_L)
    )
    right = kept.select(
        RULE, _KEY, F.col(C.RECORD_ID).alias(C.RECORD_ID_R), F.col(C.SOURCE).alias(_GROUP_R)
    )
    pairs = left.join(right, [RULE, _KEY]).where(F.col(C.RECORD_ID_L) < F.col(C.RECORD_ID_R))
    if link_only:
        pairs = pairs.where(F.col(_GROUP_L) != F.col(_GROUP_R))
    return pairs.select(C.RECORD_ID_L, C.RECORD_ID_R, RULE), too_big.select(RULE, "count")


def _neighbourhood_pairs(
    frame: DataFrame, rule: SortedNeighbourhoodRule, index: int, link_only: bool
) -> DataFrame:
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    keys = list(rule.sort_keys)
    order = Window.orderBy(*[F.col(k).asc() for k in keys], F.col(C.RECORD_ID).asc())
    numbered = (
        frame.where(_not_null(keys))
        .select(*keys, C.RECORD_ID, C.SOURCE)
        .withColumn(_NUMBER, F.row_number().over(order))
        .select(_NUMBER, C.RECORD_ID, C.SOURCE)
    )
    parts = []
    for distance in range(1, rule.window):
        a = numbered.select(
            _NUMBER, F.col(C.RECORD_ID).alias("_a"), F.col(C.SOURCE).alias(_GROUP_L)
        )
        b = numbered.select(
            (F.col(_NUMBER) - distance).alias(_NUMBER),
            F.col(C.RECORD_ID).alias("_b"),
            F.col(C.SOURCE).alias(_GROUP_R),
        )
        joined = a.join(b, _NUMBER)
        if link_only:
            joined = joined.where(F.col(_GROUP_L) != F.col(_GROUP_R))
        parts.append(
            joined.select(
                F.least("_a", "_b").alias(C.RECORD_ID_L),
                F.greatest("_a", "_b").alias(C.RECORD_ID_R),
                F.lit(index).cast("byte").alias(RULE),
            )
        )
    return reduce(lambda x, y: x.unionAll(y), parts)


def block_on_spark(
    records: DataFrame,
    rules: Sequence[BlockingRule | SortedNeighbourhoodRule] = DEFAULT_RULES,
    *,
    max_block_size: int,
    link_only: bool = False,
) -> SparkBlocking:
    """Candidate pairs of the records: what `linker.blocking_rules.block_records` gives."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    columns = list(dict.fromkeys([C.RECORD_ID, C.SOURCE, *(c for r in rules for c in r.columns)]))
    needed = [c for c in C.RECORD_COLUMNS if c not in (C.RAW, C.A_NUMBER_RAW)]
    frame = (
        records.select(*needed)
        .mapInPandas(_blocking_frames, _frame_schema())
        .select(*columns)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    filled = frame.select([F.count(c).alias(c) for c in columns]).first()
    assert filled is not None
    # As the local engine: a rule whose keys are empty everywhere is skipped, and rules
    # are numbered among those kept.
    usable = [r for r in rules if all(filled[c] > 0 for c in r.columns)]
    joins = [
        (index, rule, rule.max_block_size if rule.max_block_size is not None else max_block_size)
        for index, rule in enumerate(usable)
        if isinstance(rule, BlockingRule)
    ]
    if not usable:
        raise ValueError("no blocking rule has a filled key column")
    parts: list[DataFrame] = [
        _neighbourhood_pairs(frame, rule, index, link_only)
        for index, rule in enumerate(usable)
        if isinstance(rule, SortedNeighbourhoodRule)
    ]
    oversized = []
    if joins:
        joined, too_big = _block_pairs(frame, joins, link_only)
        parts.append(joined)
        skipped = to_pandas(
            too_big.groupBy(RULE).agg(F.count("*").alias("blocks"), F.sum("count").alias("records"))
        ).sort_values(RULE)
        oversized = [
            OversizedBlocks(usable[int(row[RULE])].name, int(row["blocks"]), int(row["records"]))
            for _, row in skipped.iterrows()
        ]
    union = reduce(lambda x, y: x.unionAll(y), parts)
    pairs = union.groupBy(C.RECORD_ID_L, C.RECORD_ID_R).agg(F.min(RULE).alias(RULE))
    return SparkBlocking(pairs=pairs, oversized=oversized)
