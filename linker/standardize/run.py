"""The standardize stage over a whole mapping: read, standardize, count, write.

Two ways out: `standardize_mapping` keeps the records in memory for the linkage run;
`write_standardized` streams them to one Parquet file, chunk by chunk, so a file of
millions of rows standardizes in flat memory. Both count what an analyst must see:
rows read, persons emitted, rows set aside, and how often each field is missing.

On a large input the chunks are read and standardized in worker processes while this
process numbers, counts and writes the results (`linker.standardize.pipeline`).
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from linker import columns as C
from linker.errors import DataContractError
from linker.ingest import DEFAULT_CHUNK_ROWS, Reject, check_mapping_files
from linker.ingest import rejects_frame as _rejects_frame
from linker.mapping import Mapping, SourceMapping
from linker.standardize.addresses import parse_in_this_process
from linker.standardize.pipeline import Stage, Tasks, record_schema
from linker.standardize.records import FieldIssues
from linker.standardize.settle import date_orders, settle_readings
from linker.standardize.shared_tables import spill_directory
from linker.standardize.text import ARROW_TEXT, sorted_codes

__all__ = [
    "PARALLEL_MIN_BYTES",
    "SourceSummary",
    "StandardizeSummary",
    "iter_standardized",
    "record_schema",
    "records_frame",
    "standardize_mapping",
    "write_standardized",
]

Progress = Callable[[str, int], None]

# Fields whose missing share the summary reports (what a reviewer would look at).
SUMMARY_FIELDS: tuple[str, ...] = (
    C.A_NUMBER,
    C.GIVEN_NAME,
    C.FAMILY_NAME,
    C.DOB_YEAR,
    C.SEX,
    C.COUNTRY,
    C.ADDRESS,
    C.POSTAL_CODE,
    C.PHONE,
    C.EVENT_DATE,
    C.FAMILY_GROUP,
    C.PERSON_ID,
    C.DOCUMENT_ID,
    C.CROSS_REFERENCE,
)


@dataclass
class SourceSummary:
    source: str
    file: str
    rows_read: int = 0
    persons: int = 0
    rejects: int = 0
    dob_invalid: int = 0
    event_date_invalid: int = 0
    present: dict[str, int] = field(default_factory=dict)
    # How the extract was read where the mapping may leave it open, declared or settled
    # (`linker.standardize.settle`): date field -> day first; the sex column's codes.
    day_first: dict[str, bool] = field(default_factory=dict)
    sex_codes: str | None = None

    def readings(self) -> str:
        """The date orders and sex codes in words, for the terminal."""
        orders = [
            f"{name} {'day' if first else 'month'} first"
            for name, first in sorted(self.day_first.items())
        ]
        if self.sex_codes:
            orders.append(f"sex as {self.sex_codes}")
        return "; ".join(orders) or "-"

    def missing_share(self) -> dict[str, float]:
        if not self.persons:
            return {f: 1.0 for f in SUMMARY_FIELDS}
        return {f: 1.0 - self.present.get(f, 0) / self.persons for f in SUMMARY_FIELDS}

    def add(self, records: pa.Table, rejects: int, rows: int, issues: FieldIssues) -> None:
        self.rows_read += rows
        self.persons += records.num_rows
        self.rejects += rejects
        self.dob_invalid += issues.dob_invalid
        self.event_date_invalid += issues.event_date_invalid
        for name in SUMMARY_FIELDS:  # Arrow keeps each column's null count
            present = records.num_rows - records.column(name).null_count
            self.present[name] = self.present.get(name, 0) + present


@dataclass
class StandardizeSummary:
    sources: list[SourceSummary]
    seconds: float = 0.0

    @property
    def records(self) -> int:
        return sum(s.persons for s in self.sources)

    @property
    def rejects(self) -> int:
        return sum(s.rejects for s in self.sources)

    @property
    def date_orders(self) -> dict[str, dict[str, bool]]:
        """Source -> date field -> read day first (the sources that tell)."""
        return {s.source: dict(s.day_first) for s in self.sources if s.day_first}

    @property
    def sex_codes(self) -> dict[str, str]:
        """Source -> the codes its sex column was read in (the sources with one)."""
        return {s.source: s.sex_codes for s in self.sources if s.sex_codes}

    def to_dict(self) -> dict[str, object]:
        return {
            "records": self.records,
            "rejects": self.rejects,
            "seconds": round(self.seconds, 3),
            "sources": [
                asdict(s)
                | {"missing_share": {k: round(v, 4) for k, v in s.missing_share().items()}}
                for s in self.sources
            ],
        }

    def format_table(self) -> str:
        """A plain-text table per source, for the terminal."""
        head = f"{'source':<10}{'rows read':>11}{'persons':>10}{'rejects':>9}{'bad dob':>9}"
        lines = [head, "-" * len(head)]
        for s in self.sources:
            lines.append(
                f"{s.source:<10}{s.rows_read:>11,}{s.persons:>10,}{s.rejects:>9,}"
                f"{s.dob_invalid:>9,}"
            )
        lines.append("")
        lines.append("share missing per field:")
        names = [s.source for s in self.sources]
        lines.append(f"  {'field':<17}" + "".join(f"{n:>9}" for n in names))
        shares = [s.missing_share() for s in self.sources]
        for f in SUMMARY_FIELDS:
            lines.append(f"  {f:<17}" + "".join(f"{sh[f]:>9.1%}" for sh in shares))
        lines.append("")
        lines.append("read as (declared in the mapping, or settled from the first rows):")
        lines.extend(f"  {s.source:<10}{s.readings()}" for s in self.sources)
        return "\n".join(lines)


# Below this much input a process pool costs more than it saves.
PARALLEL_MIN_BYTES = 16 << 20


def iter_standardized(
    mapping: Mapping,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    summary: StandardizeSummary | None = None,
    workers: int | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
) -> Iterator[tuple[pd.DataFrame, list[Reject]]]:
    """Yield (records, rejects) per chunk of every source, record ids numbered from 0.

    Chunks are read and standardized in `workers` processes (default: one per core, for
    inputs of at least `parallel_min_bytes`) while this process cuts the next ones;
    results come back in file order, and at most `workers + 1` chunks are in flight at
    once. Records and rejects are the same with or without workers.
    """
    for table, rejects in _iter_tables(
        mapping,
        chunk_rows=chunk_rows,
        progress=progress,
        summary=summary,
        workers=workers,
        parallel_min_bytes=parallel_min_bytes,
    ):
        yield records_frame(table), rejects


def _iter_tables(
    mapping: Mapping,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    summary: StandardizeSummary | None = None,
    workers: int | None = None,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
) -> Iterator[tuple[pa.Table, list[Reject]]]:
    """`iter_standardized` with the records as Arrow tables, as the workers send them."""
    check_mapping_files(mapping)
    mapping = settle_readings(mapping)  # undeclared date orders and sex codes, per extract
    orders = date_orders(mapping)
    size = sum(s.path.stat().st_size for s in mapping.sources)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = _process_pool(workers) if workers > 1 and size >= parallel_min_bytes else None
    sources = mapping.sources
    summaries: list[SourceSummary] = []
    id_field = record_schema().field(C.RECORD_ID)
    next_id = 0

    def reach(index: int) -> SourceSummary:
        """The summary of source `index`, checking every source finished on the way."""
        while len(summaries) <= index:
            if summaries:
                _check_not_empty(sources[len(summaries) - 1], summaries[-1])
            source = sources[len(summaries)]
            sex = source.field("sex")
            summaries.append(
                SourceSummary(
                    source.name,
                    str(source.path),
                    day_first=orders.get(source.name, {}),
                    sex_codes=sex.sex_codes if sex is not None else None,
                )
            )
            if summary is not None:
                summary.sources.append(summaries[-1])
        return summaries[index]

    spill = contextlib.ExitStack()
    try:
        directory = spill.enter_context(spill_directory()) if pool is not None else None
        stage = Stage(sources, chunk_rows, Tasks(pool, depth=workers, spill=directory))
        for index, records, rejects, rows, issues in stage.results():
            ids = pa.array(np.arange(next_id, next_id + records.num_rows, dtype=np.int64))
            records = records.set_column(records.schema.get_field_index(C.RECORD_ID), id_field, ids)
            next_id += records.num_rows
            reach(index).add(records, len(rejects), rows, issues)
            if progress is not None:
                progress(sources[index].name, rows)
            yield records, rejects
        if sources:
            _check_not_empty(sources[-1], reach(len(sources) - 1))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        spill.close()  # after the workers stopped: nothing is written into it any more


def _check_not_empty(source: SourceMapping, summary: SourceSummary) -> None:
    if summary.rows_read == 0:
        raise DataContractError(
            f"[{source.name}] {source.path} has a header but no rows: an empty "
            "extract cannot be linked; check the export"
        )


def _process_pool(workers: int) -> Executor:
    # fork is cheapest, but forking a process that runs other threads (a web server,
    # a progress monitor) can deadlock; forkserver starts clean children then.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    return ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context(method),
        initializer=parse_in_this_process,
    )


# Columns whose values are (nearly) all distinct: no dictionary encoding in Parquet.
_NEARLY_UNIQUE = frozenset(
    {
        C.RECORD_ID,
        C.RECORD_KEY,
        C.ROW_KEY,
        C.LINE,
        C.RAW,
        C.FULL_NAME,
        C.ADDRESS,
        C.ADDRESS_KEY,
        C.A_NUMBER,
        C.A_NUMBER_RAW,
        C.PHONE,
    }
)


class _ParquetSink:
    """records.parquet written by a thread: encoding and compressing a chunk (Arrow lets
    go of the GIL) overlaps this thread's work on the next one."""

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        # Dictionary pages only for columns whose values repeat, and statistics only for
        # the keys: on the raw rows, addresses and ids both cost a quarter of the writer's
        # time for nothing (no reader filters on them), and the file comes out smaller.
        self._writer = pq.ParquetWriter(
            path,
            schema,
            compression="zstd",
            use_dictionary=[c for c in schema.names if c not in _NEARLY_UNIQUE],
            write_statistics=[C.RECORD_ID, C.SOURCE, C.RECORD_KEY, C.ROW_KEY],
        )
        self._queue: queue.Queue[pa.Table | None] = queue.Queue(maxsize=1)
        self._thread: threading.Thread | None = None
        self._error: Exception | None = None

    def write(self, table: pa.Table) -> None:
        if self._error is not None:
            raise self._error
        if self._thread is None:
            # Started at the first chunk, once the worker processes are forked: forking
            # a process that runs another thread can deadlock the child.
            self._thread = threading.Thread(target=self._drain, name="records-parquet")
            self._thread.start()
        self._queue.put(table)

    def _drain(self) -> None:
        while (table := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write_table(table)
                except Exception as e:  # raised in the main thread
                    self._error = e

    def __enter__(self) -> _ParquetSink:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        self._writer.close()
        if exc_type is None and self._error is not None:
            raise self._error


def standardize_mapping(
    mapping: Mapping,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    records_path: Path | None = None,
    keep_in_memory: Sequence[str] | None = None,
    categories: Sequence[str] = (),
    workers: int | None = None,
    text_in_arrow: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, StandardizeSummary]:
    """All canonical records in memory, with the rejects table and the summary; chunks are
    standardized in `workers` processes, as `iter_standardized` says.

    With `records_path`, every column is also streamed to that Parquet file, and only
    the `keep_in_memory` columns are held: a million raw rows kept for reviewers need
    not sit in memory while the linkage runs. Each chunk's columns become pandas as the
    chunk arrives, while the workers standardize the next ones: making a Python string
    per value is most of that, and at the end it would run alone. The `categories`
    columns are kept in Arrow and come out as categoricals over all chunks at the end
    (see `records_frame`). With `text_in_arrow`, the other text columns stay in Arrow
    (`ARROW_TEXT`): turning each chunk's text into Python strings took about 3 of the
    stage's 45 CPU-seconds at a million records, on the same two cores the workers need.
    """
    started = time.perf_counter()
    summary = StandardizeSummary([])
    frames: list[pd.DataFrame] = []
    coded: list[pa.Table] = []
    order: list[str] = []
    rejects: list[Reject] = []
    with contextlib.ExitStack() as stack:
        sink = (
            stack.enter_context(_ParquetSink(records_path, record_schema()))
            if records_path is not None
            else None
        )
        for records, bad in _iter_tables(
            mapping, chunk_rows=chunk_rows, progress=progress, summary=summary, workers=workers
        ):
            if sink is not None and records.num_rows:
                sink.write(records)
            kept = records.select(list(keep_in_memory)) if keep_in_memory else records
            # Category columns, and text kept in Arrow, are put together at the end.
            late = [
                f.name
                for f in kept.schema
                if f.name in categories or (text_in_arrow and pa.types.is_string(f.type))
            ]
            frames.append(records_frame(kept.drop(late)))
            order = kept.column_names
            coded.append(kept.select(late))
            rejects.extend(bad)
    threads = workers if workers is not None else (os.cpu_count() or 1)
    records_out = _joined_frames(frames, coded, categories, order, threads, text_in_arrow)
    summary.seconds = time.perf_counter() - started
    return records_out, _rejects_frame(rejects), summary


def _joined_frames(
    frames: list[pd.DataFrame],
    coded: list[pa.Table],
    categories: Sequence[str],
    order: list[str],
    threads: int = 1,
    text_in_arrow: bool = False,
) -> pd.DataFrame:
    """The chunks' frames as one, with the `coded` columns put back in `order`.

    This runs after the last chunk, with nothing else to do: the category columns are
    encoded, and the text kept in Arrow made one array per column, side by side in
    `threads`; the frame is put together over the arrays already made (selecting the
    columns in order copied every one of them). An object column is handed over as its
    numpy array, not as `.array`: pandas takes that wrapper apart with a null scan of
    every value it never uses (1.2 of 30 CPU-seconds at a million records). The chunks
    are joined column by column, as `pd.concat` would, but at the same cost whatever
    blocks pandas keeps the chunks' columns in (it took five times as long over a
    frame of one block per column, as `records_frame` makes).
    """
    if not frames:
        return pd.DataFrame()
    out = {name: _joined([_values(frame[name]) for frame in frames]) for name in frames[0]}
    frames.clear()
    encoded = records_frame(
        pa.concat_tables(coded), categories, threads=threads, text_in_arrow=text_in_arrow
    )
    coded.clear()
    return pd.DataFrame(
        {name: _values(encoded[name]) if name in encoded.columns else out[name] for name in order},
        copy=False,
    )


def _joined(parts: list[Any]) -> Any:
    """One column's chunks as one array: numpy, or the chunks' extension array type."""
    if len(parts) == 1:
        return parts[0]
    if isinstance(parts[0], np.ndarray):
        return np.concatenate(parts)
    return type(parts[0])._concat_same_type(parts)


def _values(column: pd.Series) -> object:
    """A column's values without its index: the extension array (Int16, categorical,
    Arrow text), else the numpy array itself."""
    extension = isinstance(column.dtype, pd.api.extensions.ExtensionDtype)
    return column.array if extension else column.to_numpy()


_PANDAS_TYPES = {pa.int16(): pd.Int16Dtype(), pa.int8(): pd.Int8Dtype()}
_ARROW_TEXT_TYPES = _PANDAS_TYPES | {pa.string(): ARROW_TEXT}


def records_frame(
    records: pa.Table,
    categories: Sequence[str] = (),
    *,
    threads: int = 1,
    text_in_arrow: bool = False,
) -> pd.DataFrame:
    """Records as pandas, with the dtypes of `RECORD_DTYPES` (nullable date parts).

    The `categories` columns come out as categoricals with sorted categories, exactly as
    `astype("category")` makes them, but encoded by Arrow: no Python string is made per
    row, only one per distinct value. Arrow holds no GIL while it encodes and sorts, so
    `threads` columns are encoded at once. With `text_in_arrow` the other text columns
    come out as `ARROW_TEXT` over the same Arrow buffers, not as Python strings.
    """
    present = [name for name in categories if records.schema.get_field_index(name) >= 0]
    if text_in_arrow:  # one array each: every later `text_array` of it is then free
        present += [
            f.name for f in records.schema if pa.types.is_string(f.type) and f.name not in present
        ]

    def encode(name: str) -> pa.Array:
        whole = records.column(name).combine_chunks()
        return _sorted_dictionary(whole) if name in categories else whole

    if threads > 1 and len(present) > 1:
        with ThreadPoolExecutor(min(threads, len(present))) as pool:
            encoded = list(pool.map(encode, present))
    else:
        encoded = [encode(name) for name in present]
    for name, column in zip(present, encoded, strict=True):
        records = records.set_column(records.schema.get_field_index(name), name, column)
    types = _ARROW_TEXT_TYPES if text_in_arrow else _PANDAS_TYPES
    # Nearly unique text becomes Python strings without pandas' deduplication, which
    # hashes every value to share the few repeats: 0.06 of 0.2 CPU-seconds a 100,000
    # records' chunk. Text that repeats is still shared (one string per value).
    unique = [
        f.name
        for f in records.schema
        if f.name in _NEARLY_UNIQUE and pa.types.is_string(f.type) and f.name not in present
    ]
    if not unique:
        return records.to_pandas(types_mapper=types.get)
    rest = records.drop_columns(unique).to_pandas(types_mapper=types.get)
    columns = {
        name: records.column(name).to_numpy() if name in unique else _values(rest[name])
        for name in records.column_names
    }
    return pd.DataFrame(columns, copy=False)


def _sorted_dictionary(column: pa.Array) -> pa.DictionaryArray:
    """The column dictionary-encoded with its dictionary in sorted order (bytewise UTF-8
    is code-point order, Python's), as pandas orders a category's values."""
    encoded = pc.dictionary_encode(column)
    indices = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    codes, dictionary = sorted_codes(indices, encoded.dictionary)
    return pa.DictionaryArray.from_arrays(
        pa.array(codes.astype(np.int32), mask=codes < 0), dictionary
    )


def write_standardized(
    mapping: Mapping,
    out_dir: str | Path,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> StandardizeSummary:
    """Stream records.parquet, rejects.csv and summary.json into out_dir.

    Files are written in a temporary folder beside out_dir and moved in at the end, so a
    failure leaves the previous outputs untouched rather than half overwritten.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    summary = StandardizeSummary([])
    tmp = Path(tempfile.mkdtemp(prefix=".standardize-", dir=out))
    try:
        rejects: list[Reject] = []
        with _ParquetSink(tmp / "records.parquet", record_schema()) as sink:
            for records, bad in _iter_tables(
                mapping, chunk_rows=chunk_rows, progress=progress, summary=summary
            ):
                rejects.extend(bad)
                if records.num_rows:
                    sink.write(records)
        _rejects_frame(rejects).to_csv(tmp / "rejects.csv", index=False)
        summary.seconds = time.perf_counter() - started
        (tmp / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
        for name in ("records.parquet", "rejects.csv", "summary.json"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary
