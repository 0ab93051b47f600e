"""Compare and score candidate pairs per partition, with the local engine's functions.

Every partition of pairs runs `linker.linkage.compare_in_batches` (PairFeatures, the
comparisons, the hard rules) and later `linker.linkage.score_pairs` (term frequencies,
the Fellegi-Sunter model), exactly as the local engine does, so a pair gets the same
levels and the same weight on both engines: each value is a function of the pair alone.

The records' features (`linker.features.RecordFeatures`: codes, distinct strings and
population frequencies of every compared column) are built once on the driver, which
needs them anyway for the report, and broadcast: each executor's Python workers load
them once and look both records of a pair up by id. That is a map-side join; it costs
about 300 bytes per record per worker, so it suits tens of millions of records. Past
that, join the pairs with the records' columns in Spark instead and build the features
per partition (the frequencies must then come from a Spark count over all records).

EM needs no pairs, only how many pairs share each comparison vector: `pattern_counts`
groups the levels in Spark and returns the frame `linkage.labelled_pattern_counts`
builds locally, row for row, so both engines train the same model.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from blocking.pairs import RULE
from linker import columns as C
from linker.comparisons import DomainComparison
from linker.features import RecordFeatures
from linker.linkage import LABEL, compare_in_batches, score_pairs
from linker.rules import CONTRADICTION, RULE_NAMES, RuleSettings
from linker.spark.session import to_pandas
from models import COUNT, FellegiSunterModel

if TYPE_CHECKING:
    from pyspark.sql import DataFrame
    from pyspark.sql.types import StructType

_REJECTED = "_rejected"


def gamma_columns(comparisons: Sequence[DomainComparison]) -> list[str]:
    return [c.spec.gamma_column for c in comparisons]


def _compared_schema(comparisons: Sequence[DomainComparison]) -> StructType:
    from pyspark.sql import types as T

    return T.StructType(
        [
            T.StructField(C.RECORD_ID_L, T.LongType()),
            T.StructField(C.RECORD_ID_R, T.LongType()),
            T.StructField(RULE, T.ByteType()),
        ]
        + [T.StructField(g, T.ByteType()) for g in gamma_columns(comparisons)]
        # The contradiction as its code in RULE_NAMES: one byte through Arrow, not a string.
        + [T.StructField(CONTRADICTION, T.ByteType())]
    )


def _scored_schema(comparisons: Sequence[DomainComparison]) -> StructType:
    from pyspark.sql import types as T

    return T.StructType(
        list(_compared_schema(comparisons).fields)
        + [
            T.StructField(C.MATCH_WEIGHT, T.DoubleType()),
            T.StructField(C.MATCH_PROBABILITY, T.DoubleType()),
        ]
    )


def compare_on_spark(
    pairs: DataFrame,
    features: Any,  # a Spark Broadcast of RecordFeatures
    comparisons: Sequence[DomainComparison],
    *,
    batch: int,
    rules: RuleSettings,
) -> DataFrame:
    """Levels and the contradiction rule per pair, per partition (lazy)."""
    comparisons = list(comparisons)

    def compare(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        records: RecordFeatures = features.value
        for frame in frames:
            gammas = compare_in_batches(records, frame, comparisons, batch=batch, rules=rules)
            out = frame[[C.RECORD_ID_L, C.RECORD_ID_R, RULE]].reset_index(drop=True)
            for column in gamma_columns(comparisons):
                out[column] = gammas[column].to_numpy()
            out[CONTRADICTION] = gammas[CONTRADICTION].cat.codes.to_numpy(dtype=np.int8)
            yield out

    return pairs.mapInPandas(compare, _compared_schema(comparisons))


def score_on_spark(
    compared: DataFrame,
    features: Any,  # a Spark Broadcast of RecordFeatures
    model: FellegiSunterModel,
    comparisons: Sequence[DomainComparison],
    *,
    batch: int,
) -> DataFrame:
    """Match weight and probability per compared pair, per partition (lazy)."""
    comparisons = list(comparisons)
    columns = gamma_columns(comparisons)

    def score(frames: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        records: RecordFeatures = features.value
        for frame in frames:
            scores = score_pairs(model, records, frame, frame[columns], comparisons, batch=batch)
            frame[C.MATCH_WEIGHT] = scores[C.MATCH_WEIGHT].to_numpy()
            frame[C.MATCH_PROBABILITY] = scores[C.MATCH_PROBABILITY].to_numpy()
            yield frame

    return compared.mapInPandas(score, _scored_schema(comparisons))


def pattern_counts(compared: DataFrame, comparisons: Sequence[DomainComparison]) -> pd.DataFrame:
    """The labelled pattern counts EM trains on, counted by Spark.

    Row for row what `linkage.labelled_pattern_counts` gives for the same pairs:
    rule-rejected patterns first (LABEL 0), then the rest (LABEL NaN), each sorted by
    its vector (the local count sorts by a mixed-radix code of the levels, which is
    the same lexicographic order).
    """
    from pyspark.sql import functions as F

    columns = gamma_columns(comparisons)
    grouped = to_pandas(
        compared.groupBy((F.col(CONTRADICTION) != 0).alias(_REJECTED), *columns).agg(
            F.count("*").alias(COUNT)
        )
    )
    parts = []
    for rejected, label in ((True, 0.0), (False, np.nan)):
        part = grouped[grouped[_REJECTED] == rejected]
        if part.empty:
            continue
        part = part.sort_values(columns, kind="stable").reset_index(drop=True)
        frame = pd.DataFrame({c: part[c].to_numpy(dtype=np.int8) for c in columns})
        frame[COUNT] = part[COUNT].to_numpy(dtype=np.int64)
        frame[LABEL] = label
        parts.append(frame)
    if not parts:
        empty = pd.DataFrame({c: np.zeros(0, dtype=np.int8) for c in columns})
        return empty.assign(**{COUNT: np.zeros(0, dtype=np.int64), LABEL: np.zeros(0)})
    return pd.concat(parts, ignore_index=True)


def scored_frame(collected: pd.DataFrame, comparisons: Sequence[DomainComparison]) -> pd.DataFrame:
    """Scored pairs from Spark with the local engine's columns and dtypes."""
    out = pd.DataFrame(
        {
            C.RECORD_ID_L: collected[C.RECORD_ID_L].to_numpy(dtype=np.int64),
            C.RECORD_ID_R: collected[C.RECORD_ID_R].to_numpy(dtype=np.int64),
            RULE: collected[RULE].to_numpy(dtype=np.int8),
        }
    )
    for column in gamma_columns(comparisons):
        out[column] = collected[column].to_numpy(dtype=np.int8)
    # A categorical of the rule names, as the local engine's scored frame holds it.
    out[CONTRADICTION] = pd.Categorical.from_codes(
        collected[CONTRADICTION].to_numpy(dtype=np.int8), categories=RULE_NAMES
    )
    out[C.MATCH_WEIGHT] = collected[C.MATCH_WEIGHT].to_numpy(dtype=np.float64)
    out[C.MATCH_PROBABILITY] = collected[C.MATCH_PROBABILITY].to_numpy(dtype=np.float64)
    return out
