"""`reconcile` on Spark: the local engine's stages, distributed where the work is.

| stage       | where                                                                   |
| ----------- | ----------------------------------------------------------------------- |
| standardize | extracts read on the driver (`linker.ingest`), `standardize_chunk` per partition |
| block       | the default rules as Spark equi-joins; sorted neighbourhood by a window |
| compare     | `compare_in_batches` per partition, features broadcast                  |
| train       | pattern counts by a Spark groupBy; u sampling and EM on the driver      |
| score       | `score_pairs` per partition                                             |
| cluster ... | on the driver: `linker.reconcile.link_scored_pairs`, as the local engine |

The driver holds the standardized records' linkage columns (clustering, A-number
recovery and the review queue read them) and the scored pairs, as the local engine
does; the standardizing, the joins and the comparisons, which are most of the time,
run on the executors. The result is the local engine's `ReconcileResult`, pair for pair.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from blocking.pairs import RULE
from linker import columns as C
from linker.decisions import Constraints
from linker.errors import DataContractError, LinkerError
from linker.features import prepare_features
from linker.linkage import choose_comparisons, rebuild_comparisons, train_model_on_patterns
from linker.mapping import Mapping
from linker.reconcile import (
    LINKAGE_COLUMNS,
    Progress,
    ReconcileResult,
    ReconcileSettings,
    as_linkage_records,
    link_scored_pairs,
    load_constraints,
    oversized_warning,
    timed_stage,
    with_decided_pairs,
)
from linker.spark.blocking import block_on_spark
from linker.spark.compare import compare_on_spark, pattern_counts, score_on_spark, scored_frame
from linker.spark.session import SparkEngineError, SparkSettings, spark_session, to_pandas
from linker.spark.standardize import as_record_dtypes, standardize_on_spark
from linker.standardize.run import record_schema
from models import FellegiSunterModel

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

logger = logging.getLogger(__name__)


def reconcile_on_spark(
    mapping: Mapping,
    *,
    settings: ReconcileSettings | None = None,
    decisions_path: Path | None = None,
    model_path: Path | None = None,
    progress: Progress | None = None,
    records_path: Path | None = None,
    decisions: pd.DataFrame | None = None,
    spark: SparkSession | SparkSettings | None = None,
) -> ReconcileResult:
    """`linker.reconcile.reconcile`, with the heavy stages on Spark; same arguments, same
    result. `spark` is a running session, or where to start one (default `local[*]`),
    which is stopped at the end. Spark failures are raised as SparkEngineError."""
    if spark is None or isinstance(spark, SparkSettings):
        with spark_session(spark or SparkSettings()) as session:
            return reconcile_on_spark(
                mapping,
                settings=settings,
                decisions_path=decisions_path,
                model_path=model_path,
                progress=progress,
                records_path=records_path,
                decisions=decisions,
                spark=session,
            )
    try:
        return _reconcile(
            spark,
            mapping,
            settings=settings or ReconcileSettings(),
            decisions_path=decisions_path,
            model_path=model_path,
            progress=progress,
            records_path=records_path,
            decisions=decisions,
        )
    except LinkerError:
        raise
    except Exception as e:
        if type(e).__module__.split(".")[0] not in ("py4j", "pyspark"):
            raise
        raise SparkEngineError(
            f"a Spark job failed ({type(e).__name__}): {_last_line(e)}; see the Spark log "
            "above for the executor's error"
        ) from e


def _reconcile(
    spark: SparkSession,
    mapping: Mapping,
    *,
    settings: ReconcileSettings,
    decisions_path: Path | None,
    model_path: Path | None,
    progress: Progress | None,
    records_path: Path | None,
    decisions: pd.DataFrame | None,
) -> ReconcileResult:
    from pyspark import StorageLevel

    seconds: dict[str, float] = {}
    warnings: list[str] = []
    with timed_stage("standardize", seconds, progress):
        standardized = standardize_on_spark(spark, mapping)
        if records_path is not None:
            _write_records(standardized.records, records_path)
        kept = LINKAGE_COLUMNS if records_path is not None else C.RECORD_COLUMNS
        records = _collect_records(standardized.records, kept)
    if records.empty:
        raise DataContractError("no readable records in any extract: nothing to link")
    constraints = load_constraints(decisions_path, decisions, records, warnings)
    with timed_stage("block", seconds, progress):
        blocked = block_on_spark(
            standardized.records,
            max_block_size=settings.max_block_size,
            link_only=settings.link_only,
        )
        warnings.extend(oversized_warning(o.rule, o.blocks, o.records) for o in blocked.oversized)
        pairs = _with_decided(spark, blocked.pairs, constraints.decided)
        pairs = pairs.persist(StorageLevel.MEMORY_AND_DISK)
        pairs.count()
        standardized.records.unpersist()
    with timed_stage("compare", seconds, progress):
        features = prepare_features(records)
        if model_path is not None:
            model = FellegiSunterModel.load(model_path)
            comparisons = rebuild_comparisons(model)
        else:
            comparisons = choose_comparisons(records)
        shared = spark.sparkContext.broadcast(features)
        compared = compare_on_spark(
            pairs, shared, comparisons, batch=settings.batch_pairs, rules=settings.model.rules
        ).persist(StorageLevel.MEMORY_AND_DISK)
        compared.count()
        pairs.unpersist()
    with timed_stage("train", seconds, progress):
        if model_path is None:
            model = train_model_on_patterns(
                features,
                pattern_counts(compared, comparisons),
                comparisons,
                settings.model,
                link_only=settings.link_only,
            )
    with timed_stage("score", seconds, progress):
        collected = to_pandas(
            score_on_spark(compared, shared, model, comparisons, batch=settings.batch_pairs)
        )
        compared.unpersist()
        shared.destroy()
        scored = _in_local_order(scored_frame(collected, comparisons), constraints)
        del collected
    spark.catalog.clearCache()
    return link_scored_pairs(
        records,
        scored,
        model=model,
        features=features,
        constraints=constraints,
        settings=settings,
        rejects=standardized.rejects,
        rejected_rows=standardized.rejected_rows,
        date_orders=standardized.date_orders,
        sex_codes=standardized.sex_codes,
        seconds=seconds,
        warnings=warnings,
        progress=progress,
    )


def _collect_records(records: DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """The standardized records on the driver, in id order, typed as the local engine's."""
    frame = to_pandas(records.select(*columns))
    frame = frame.sort_values(C.RECORD_ID, kind="stable").reset_index(drop=True)
    return as_linkage_records(as_record_dtypes(frame))


def _write_records(records: DataFrame, path: Path) -> None:
    """records.parquet as the local engine writes it: one file, in id order, its schema.

    Spark writes part files into a folder beside `path`; they are copied in order into
    the one file and the folder removed, so memory stays flat whatever the size.
    """
    staging = Path(tempfile.mkdtemp(prefix=".spark-records-", dir=path.parent))
    try:
        target = staging / "parts"
        records.select(*C.RECORD_COLUMNS).orderBy(C.RECORD_ID).write.parquet(str(target))
        schema = record_schema()
        with pq.ParquetWriter(path, schema, compression="zstd") as writer:
            for part in sorted(target.glob("part-*.parquet")):
                table = pq.read_table(part).select(schema.names)
                if table.num_rows:
                    writer.write_table(table.cast(schema))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _with_decided(spark: SparkSession, pairs: DataFrame, decided: pd.DataFrame) -> DataFrame:
    """Reviewed pairs blocking missed, added with rule -1 (as `with_decided_pairs`)."""
    from pyspark.sql import functions as F

    ids = decided[[C.RECORD_ID_L, C.RECORD_ID_R]].drop_duplicates().astype(np.int64)
    if ids.empty:
        return pairs
    extra = spark.createDataFrame(ids).join(pairs, [C.RECORD_ID_L, C.RECORD_ID_R], "left_anti")
    return pairs.unionByName(extra.withColumn(RULE, F.lit(-1).cast("byte")))


def _in_local_order(scored: pd.DataFrame, constraints: Constraints) -> pd.DataFrame:
    """Rows in the local engine's order: blocked pairs by (left, right) id, then the
    decided pairs blocking missed in decision order (what `with_decided_pairs` gives).

    Clustering breaks ties of weight by row order, so the order is part of the answer.
    """
    ordered = scored.loc[scored[RULE].to_numpy() >= 0].sort_values(
        [C.RECORD_ID_L, C.RECORD_ID_R], kind="stable"
    )
    expected = with_decided_pairs(
        ordered[[C.RECORD_ID_L, C.RECORD_ID_R, RULE]].reset_index(drop=True),
        constraints,
    )
    if len(expected) == len(ordered):
        return ordered.reset_index(drop=True)
    position = pd.MultiIndex.from_frame(scored[[C.RECORD_ID_L, C.RECORD_ID_R]]).get_indexer(
        pd.MultiIndex.from_frame(expected[[C.RECORD_ID_L, C.RECORD_ID_R]].astype(np.int64))
    )
    if (position < 0).any():
        raise SparkEngineError("internal: a decided pair was not scored on Spark")
    return scored.iloc[position].reset_index(drop=True)


def _last_line(error: BaseException) -> str:
    """The cause in a Spark error: the last line of the worker's traceback."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__
