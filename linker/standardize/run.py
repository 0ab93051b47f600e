"""The standardize stage over a whole mapping: read, standardize, count, write.

Two ways out: `standardize_mapping` keeps the records in memory for the linkage run;
`write_standardized` streams them to one Parquet file, chunk by chunk, so a file of
millions of rows standardizes in flat memory. Both count what an analyst must see:
rows read, persons emitted, rows set aside, and how often each field is missing.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import shutil
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linker import columns as C
from linker.errors import DataContractError
from linker.ingest import DEFAULT_CHUNK_ROWS, Chunk, Reject, check_mapping_files, iter_chunks
from linker.ingest import rejects_frame as _rejects_frame
from linker.mapping import Mapping, SourceMapping
from linker.standardize.records import RECORD_DTYPES, FieldIssues, standardize_chunk

logger = logging.getLogger(__name__)
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

    def missing_share(self) -> dict[str, float]:
        if not self.persons:
            return {f: 1.0 for f in SUMMARY_FIELDS}
        return {f: 1.0 - self.present.get(f, 0) / self.persons for f in SUMMARY_FIELDS}

    def add(self, records: pd.DataFrame, rejects: int, rows: int, issues: FieldIssues) -> None:
        self.rows_read += rows
        self.persons += len(records)
        self.rejects += rejects
        self.dob_invalid += issues.dob_invalid
        self.event_date_invalid += issues.event_date_invalid
        counts = records[list(SUMMARY_FIELDS)].notna().sum()
        for name, n in counts.items():
            self.present[str(name)] = self.present.get(str(name), 0) + int(n)


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
) -> Iterator[tuple[pd.DataFrame, list[Reject]]]:
    """Yield (records, rejects) per chunk of every source, record ids numbered from 0.

    Chunks are standardized in `workers` processes (default: one per core, for inputs
    large enough to pay for it) while this process reads the next ones; results come
    back in file order, and at most `workers + 1` chunks are in memory at once.
    """
    check_mapping_files(mapping)
    size = sum(s.path.stat().st_size for s in mapping.sources)
    workers = workers if workers is not None else (os.cpu_count() or 1)
    pool = _process_pool(workers) if workers > 1 and size >= PARALLEL_MIN_BYTES else None
    next_id = 0
    try:
        for source in mapping.sources:
            src_summary = SourceSummary(source.name, str(source.path))
            if summary is not None:
                summary.sources.append(src_summary)
            for records, rejects, rows, issues in _standardize_source(
                source, chunk_rows, pool, workers
            ):
                records[C.RECORD_ID] = pd.RangeIndex(next_id, next_id + len(records)).to_numpy()
                next_id += len(records)
                src_summary.add(records, len(rejects), rows, issues)
                if progress is not None:
                    progress(source.name, rows)
                yield records, rejects
            if src_summary.rows_read == 0:
                raise DataContractError(
                    f"[{source.name}] {source.path} has a header but no rows: an empty "
                    "extract cannot be linked; check the export"
                )
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _process_pool(workers: int) -> Executor:
    # fork is cheapest, but forking a process that runs other threads (a web server,
    # a progress monitor) can deadlock; forkserver starts clean children then.
    method = "fork" if threading.active_count() == 1 else "forkserver"
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method))


def _standardize_source(
    source: SourceMapping, chunk_rows: int, pool: Executor | None, workers: int
) -> Iterator[tuple[pd.DataFrame, list[Reject], int, FieldIssues]]:
    pending: deque[tuple[Chunk, Future[tuple[pd.DataFrame, FieldIssues]] | None]] = deque()
    broken = [pool is None]

    def finish(
        chunk: Chunk, future: Future[tuple[pd.DataFrame, FieldIssues]] | None
    ) -> tuple[pd.DataFrame, list[Reject], int, FieldIssues]:
        if future is None:
            records = pd.DataFrame({c: pd.Series(dtype=t) for c, t in RECORD_DTYPES.items()})
            return records, list(chunk.rejects), chunk.rows_read, FieldIssues()
        try:
            records, issues = future.result()
        except BrokenProcessPool:
            # A worker died (killed, or a script without a __main__ guard under
            # forkserver): finish in this process rather than lose the run.
            if not broken[0]:
                logger.warning("standardize workers failed; continuing in one process")
            broken[0] = True
            records, issues = standardize_chunk(chunk.frame, source)
        return records, list(chunk.rejects), chunk.rows_read, issues

    for chunk in iter_chunks(source, chunk_rows=chunk_rows):
        future: Future[tuple[pd.DataFrame, FieldIssues]] | None = None
        if not chunk.frame.empty:
            if broken[0] or pool is None:
                future = Future()
                future.set_result(standardize_chunk(chunk.frame, source))
            else:
                try:
                    future = pool.submit(standardize_chunk, chunk.frame, source)
                except BrokenProcessPool:
                    broken[0] = True
                    future = Future()
                    future.set_result(standardize_chunk(chunk.frame, source))
        pending.append((chunk, future))
        if len(pending) > max(workers, 1):
            yield finish(*pending.popleft())
    while pending:
        yield finish(*pending.popleft())


def standardize_mapping(
    mapping: Mapping,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    records_path: Path | None = None,
    keep_in_memory: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, StandardizeSummary]:
    """All canonical records in memory, with the rejects table and the summary.

    With `records_path`, every column is also streamed to that Parquet file, and only
    the `keep_in_memory` columns are held: a million raw rows kept for reviewers need
    not sit in memory while the linkage runs.
    """
    started = time.perf_counter()
    summary = StandardizeSummary([])
    frames: list[pd.DataFrame] = []
    rejects: list[Reject] = []
    schema = record_schema()
    writer = pq.ParquetWriter(records_path, schema, compression="zstd") if records_path else None
    try:
        for records, bad in iter_standardized(
            mapping, chunk_rows=chunk_rows, progress=progress, summary=summary
        ):
            if writer is not None and len(records):
                writer.write_table(
                    pa.Table.from_pandas(records, schema=schema, preserve_index=False)
                )
            frames.append(records[list(keep_in_memory)] if keep_in_memory else records)
            rejects.extend(bad)
    finally:
        if writer is not None:
            writer.close()
    records = pd.concat(frames, ignore_index=True, copy=False) if frames else pd.DataFrame()
    frames.clear()
    summary.seconds = time.perf_counter() - started
    return records, _rejects_frame(rejects), summary


def record_schema() -> pa.Schema:
    """The Arrow schema of records.parquet, fixed so every chunk writes the same types."""
    arrow = {"int64": pa.int64(), "Int16": pa.int16(), "Int8": pa.int8(), "object": pa.string()}
    return pa.schema([(c, arrow[RECORD_DTYPES[c]]) for c in C.RECORD_COLUMNS])


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
    schema = record_schema()
    tmp = Path(tempfile.mkdtemp(prefix=".standardize-", dir=out))
    try:
        rejects: list[Reject] = []
        with pq.ParquetWriter(tmp / "records.parquet", schema, compression="zstd") as writer:
            for records, bad in iter_standardized(
                mapping, chunk_rows=chunk_rows, progress=progress, summary=summary
            ):
                rejects.extend(bad)
                if len(records):
                    writer.write_table(
                        pa.Table.from_pandas(records, schema=schema, preserve_index=False)
                    )
        _rejects_frame(rejects).to_csv(tmp / "rejects.csv", index=False)
        summary.seconds = time.perf_counter() - started
        (tmp / "summary.json").write_text(json.dumps(summary.to_dict(), indent=2) + "\n")
        for name in ("records.parquet", "rejects.csv", "summary.json"):
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return summary
