"""The standardize stage on Spark: the local engine's chunk function, per partition.

The extracts are read on the driver by `linker.ingest` (encodings, malformed rows,
repeated keys and their rejects are one sequential pass over each file, and the rejects
must name the file's line), and shipped to Spark chunk by chunk. Standardizing, the
expensive part, runs per partition with `mapInPandas` calling
`linker.standardize.records.standardize_chunk`, the function the local engine runs.

Record ids must be those the local engine gives, so that both engines number, order and
tie-break the same records alike. Locally a chunk yields its primary persons in row
order, then each related role's persons in row order, and ids run on across chunks and
sources. Each raw row carries its source, chunk and position, so every record gets the
key (source, chunk, role, position) whichever partition standardized it; counting the
records per (source, chunk, role) gives each group's first id, and a row number inside
the group the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from linker import columns as C
from linker.errors import DataContractError
from linker.ingest import DEFAULT_CHUNK_ROWS, Reject, check_mapping_files, iter_chunks
from linker.ingest import rejects_frame as to_rejects_frame
from linker.mapping import Mapping, SourceMapping
from linker.spark.session import to_pandas
from linker.standardize.records import RECORD_DTYPES, standardize_chunk
from linker.standardize.settle import date_orders, settle_readings, sex_codes

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import DataType, StructType

# Columns that place a record in the local engine's order.
SOURCE_INDEX = "_source_index"
CHUNK = "_chunk"
POSITION = "_position"
ROLE_RANK = "_role_rank"
_ORDER = (SOURCE_INDEX, CHUNK, ROLE_RANK)


@dataclass
class StandardizedOnSpark:
    """Standardized records as a persisted Spark DataFrame with the local engine's ids."""

    records: DataFrame  # every RECORD_COLUMNS column, RECORD_ID set
    rejects: pd.DataFrame
    rejected_rows: int
    date_orders: dict[str, dict[str, bool]]  # as `StandardizeSummary.date_orders`
    sex_codes: dict[str, str]  # as `StandardizeSummary.sex_codes`


def spark_type(dtype: str) -> DataType:
    """The Spark type of a RECORD_DTYPES dtype."""
    from pyspark.sql import types as T

    kinds: dict[str, DataType] = {
        "int64": T.LongType(),
        "Int16": T.ShortType(),
        "Int8": T.ByteType(),
        "object": T.StringType(),
    }
    return kinds[dtype]


def record_struct(columns: tuple[str, ...] = C.RECORD_COLUMNS) -> StructType:
    from pyspark.sql import types as T

    return T.StructType([T.StructField(c, spark_type(RECORD_DTYPES[c])) for c in columns])


def as_record_dtypes(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame from Spark with the local engine's dtypes (Arrow gives float for Int16 + null)."""
    wanted = {c: RECORD_DTYPES[c] for c in frame.columns if c in RECORD_DTYPES}
    return frame.astype(wanted)


def _role_ranks(source: SourceMapping) -> dict[str, int]:
    return {C.PRIMARY_ROLE: 0} | {r.role: i + 1 for i, r in enumerate(source.related)}


def _standardizer(
    source: SourceMapping, source_index: int
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The mapInPandas function for one source (a closure: pickled to the executors)."""
    ranks = _role_ranks(source)

    def standardize(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for frame in batches:
            if frame.empty:
                continue
            rows = frame.drop(columns=[CHUNK, POSITION])
            records, _ = standardize_chunk(rows, source)
            # Each record's row, found by its row key (unique within a source).
            row = pd.Index(frame[source.key]).get_indexer(records[C.ROW_KEY])
            records[SOURCE_INDEX] = np.int32(source_index)
            records[CHUNK] = frame[CHUNK].to_numpy()[row]
            records[POSITION] = frame[POSITION].to_numpy()[row]
            records[ROLE_RANK] = records[C.ROLE].map(ranks).astype(np.int32)
            yield records

    return standardize


def standardize_on_spark(
    spark: SparkSession, mapping: Mapping, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> StandardizedOnSpark:
    """Read every extract, standardize it per partition, and number the records."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    check_mapping_files(mapping)
    # Each undeclared date column's day/month order and serial reading, and each sex
    # column's codes, from its first rows, as the local engine settles them: every
    # partition then reads them alike.
    mapping = settle_readings(mapping)
    order_fields = [T.StructField(c, T.IntegerType()) for c in _ORDER] + [
        T.StructField(POSITION, T.IntegerType())
    ]
    out_schema = T.StructType(list(record_struct().fields) + order_fields)
    rejects: list[Reject] = []
    mapped: list[DataFrame] = []
    for index, source in enumerate(mapping.sources):
        wanted = source.columns_used()
        raw_schema = T.StructType(
            [T.StructField(c, T.StringType()) for c in wanted]
            + [T.StructField(C.LINE, T.LongType())]
            + [T.StructField(CHUNK, T.IntegerType()), T.StructField(POSITION, T.IntegerType())]
        )
        rows_read = 0
        chunks: list[DataFrame] = []
        for number, chunk in enumerate(iter_chunks(source, chunk_rows=chunk_rows)):
            rows_read += chunk.rows_read
            rejects.extend(chunk.rejects)
            if chunk.frame.empty:
                continue
            frame = chunk.frame[[*wanted, C.LINE]].assign(
                **{CHUNK: np.int32(number), POSITION: np.arange(len(chunk.frame), dtype=np.int32)}
            )
            chunks.append(spark.createDataFrame(frame, schema=raw_schema))
        if rows_read == 0:
            raise DataContractError(
                f"[{source.name}] {source.path} has a header but no rows: an empty "
                "extract cannot be linked; check the export"
            )
        if not chunks:
            continue
        raw = chunks[0]
        for more in chunks[1:]:
            raw = raw.unionByName(more)
        mapped.append(raw.mapInPandas(_standardizer(source, index), out_schema))
    if not mapped:
        raise DataContractError("no readable records in any extract: nothing to link")
    standardized = mapped[0]
    for more in mapped[1:]:
        standardized = standardized.unionByName(more)
    standardized = standardized.persist(StorageLevel.MEMORY_AND_DISK)
    # First id of each (source, chunk, role) group, in the local engine's order.
    sizes = to_pandas(standardized.groupBy(*_ORDER).count()).sort_values(list(_ORDER))
    sizes["_first"] = (sizes["count"].cumsum() - sizes["count"]).astype(np.int64)
    first = spark.createDataFrame(sizes[[*_ORDER, "_first"]])
    within = Window.partitionBy(*_ORDER).orderBy(POSITION)
    numbered = (
        standardized.join(F.broadcast(first), list(_ORDER))
        .withColumn(C.RECORD_ID, F.col("_first") + F.row_number().over(within) - 1)
        .select(*C.RECORD_COLUMNS)
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    numbered.count()
    standardized.unpersist()
    return StandardizedOnSpark(
        records=numbered,
        rejects=to_rejects_frame(rejects),
        rejected_rows=len(rejects),
        date_orders=date_orders(mapping),
        sex_codes=sex_codes(mapping),
    )
