"""How the standardize stage spreads its work over processes, keeping file order.

This process should do little per row. It cuts each CSV into blocks of bytes
(`linker.ingest.iter_csv_blocks`); worker processes parse a block, set aside its
unreadable rows and the empty or repeated keys within it, standardize the rest and send
the records back as an Arrow table (cheap to send, written to Parquet as it is). Here,
results are taken in file order and their keys checked against the chunks before them.
Every source of a mapping is one stream of tasks, so the workers go on to the next
extract while the last chunks of one come back. With no pool, the same tasks run here
one by one, so the records and rejects never depend on the number of processes.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from linker import columns as C
from linker.ingest import (
    REPEATED_KEY,
    Chunk,
    CsvLayout,
    RawBlock,
    Reject,
    RowsFrom,
    iter_chunks,
    iter_csv_blocks,
    iter_csv_rows,
    parse_block,
    read_csv_layout,
    reject_bad_keys,
)
from linker.mapping import SourceMapping
from linker.standardize.in_arrow import columns_in_arrow
from linker.standardize.records import (
    RECORD_DTYPES,
    FieldIssues,
    record_columns,
    standardize_chunk,
)
from linker.standardize.shared_tables import (
    read_spilled,
    read_spilled_bytes,
    write_spilled,
    write_spilled_bytes,
)

logger = logging.getLogger(__name__)


def record_schema() -> pa.Schema:
    """The Arrow schema of records.parquet, fixed so every chunk writes the same types."""
    arrow = {"int64": pa.int64(), "Int16": pa.int16(), "Int8": pa.int8(), "object": pa.string()}
    return pa.schema([(c, arrow[RECORD_DTYPES[c]]) for c in C.RECORD_COLUMNS])


def records_table(columns: dict[str, Any]) -> pa.Table:
    """`record_columns` as an Arrow table of `record_schema()`, each column converted
    once: a pandas frame in between cost as much again (consolidating the columns into
    one block, then taking them apart for Arrow)."""
    schema = record_schema()
    arrays = [
        column.cast(f.type)
        if isinstance(column := columns[f.name], pa.Array)
        else pa.array(column, f.type, from_pandas=True)
        for f in schema
    ]
    return pa.Table.from_arrays(arrays, schema=schema)


@dataclass(frozen=True)
class Standardized:
    """One chunk's outcome as a worker sends it back, before the run numbers its records."""

    records: pa.Table  # record_schema(), record ids not yet assigned
    issues: FieldIssues
    rejects: tuple[Reject, ...]  # unreadable rows, in file order
    key_rejects: tuple[Reject, ...]  # rows set aside for their key, in file order
    rows_read: int
    whole: bool = True  # False: a block cut inside a quoted field; nothing in it counts
    # Set in a worker: pickling writes the records to a file there, not into the pipe
    # (see `linker.standardize.shared_tables`).
    spill: Path | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        fields = (self.issues, self.rejects, self.key_rejects, self.rows_read, self.whole)
        if self.spill is not None and self.records.num_rows:
            path = write_spilled(self.records, self.spill)
            if path is not None:
                return (_unspilled, (path, *fields))
        return (Standardized, (self.records, *fields))


def _unspilled(path: Path, *fields: Any) -> Standardized:
    return Standardized(read_spilled(path), *fields)


def _spilling(spill: Path, fn: Callable[..., Standardized], *args: Any) -> Standardized:
    """Worker: run `fn` (its blocks read from their files) and send its records back
    through a file in `spill`."""
    loaded = [arg.load() if isinstance(arg, _SpilledBlock) else arg for arg in args]
    return dataclasses.replace(fn(*loaded), spill=spill)


@dataclass(frozen=True)
class _SpilledBlock:
    """A `RawBlock` whose bytes wait in a file for the worker (see `_spilling`)."""

    path: Path
    offset: int
    first_line: int
    last: bool

    @classmethod
    def of(cls, arg: Any, spill: Path) -> Any:
        """`arg` with its bytes moved to a file in `spill` if it is a block (as it is
        where writing fails)."""
        if not isinstance(arg, RawBlock):
            return arg
        path = write_spilled_bytes(arg.data, spill)
        return arg if path is None else cls(path, arg.offset, arg.first_line, arg.last)

    def load(self) -> RawBlock:
        return RawBlock(read_spilled_bytes(self.path), self.offset, self.first_line, self.last)


@dataclass(frozen=True)
class Task:
    """A function and its arguments, run in a worker or, failing that, here."""

    fn: Callable[..., Standardized]
    args: tuple[Any, ...]
    source: int  # index of the source in the mapping
    resume: RowsFrom | None = None  # where to read row by row if the result is not whole
    here: bool = False  # too small to ship to a worker

    def run(self) -> Standardized:
        return self.fn(*self.args)


class Tasks:
    """Runs tasks in a process pool, at most `depth` ahead of the one awaited, results in
    submission order. Without a pool, or once it broke, a task runs in this process when
    its turn comes: a worker that died (killed, or a script without a __main__ guard
    under forkserver) costs speed, not the run."""

    def __init__(self, pool: Executor | None, depth: int, spill: Path | None = None) -> None:
        self.pool = pool
        self.spill = spill  # a RAM-backed directory the workers send records through
        self.depth = depth if pool is not None else 0
        self.broken = pool is None

    def in_order(self, tasks: Iterable[Task]) -> Generator[tuple[Task, Standardized], None, None]:
        todo = iter(tasks)
        pending = deque(
            (task, self._submit(task)) for task in itertools.islice(todo, self.depth + 1)
        )
        try:
            while pending:
                task, future = pending.popleft()
                upcoming = next(todo, None)  # cut the next block while the workers run
                result = self._result(task, future)
                if upcoming is not None:
                    # Submitted before this result is handed on: a worker that finished
                    # with it finds work queued.
                    pending.append((upcoming, self._submit(upcoming)))
                yield task, result
        finally:
            for _, future in pending:
                if future is not None:
                    future.cancel()

    def _submit(self, task: Task) -> Future[Standardized] | None:
        if self.pool is None or self.broken or task.here:
            return None
        try:
            if self.spill is not None:
                args = [_SpilledBlock.of(arg, self.spill) for arg in task.args]
                return self.pool.submit(_spilling, self.spill, task.fn, *args)
            return self.pool.submit(task.fn, *task.args)
        except BrokenProcessPool:
            self._break()
            return None

    def _result(self, task: Task, future: Future[Standardized] | None) -> Standardized:
        if future is None:
            return task.run()
        try:
            return future.result()
        except BrokenProcessPool:
            self._break()
            return task.run()

    def _break(self) -> None:
        if not self.broken:
            logger.warning("standardize workers failed; continuing in one process")
        self.broken = True


class Stage:
    """Every source of a mapping as one stream of tasks, so that the workers go on to the
    next extract while the last chunks of one come back.

    CSV blocks are parsed in the workers and their keys checked against earlier chunks
    here, as their results are accepted in file order. A block not cut between records
    (or a file that cannot be cut) restarts the stream from it: the rest of that file is
    read row by row here, keys checked as each chunk is read, and the later sources are
    read again from their start.
    """

    def __init__(self, sources: Sequence[SourceMapping], chunk_rows: int, tasks: Tasks) -> None:
        self.sources = sources
        self.chunk_rows = chunk_rows
        self.tasks = tasks
        self.seen: dict[int, set[str]] = {}  # keys accepted so far, per CSV source
        self.layouts: dict[int, CsvLayout] = {}

    def results(self) -> Iterator[tuple[int, pa.Table, list[Reject], int, FieldIssues]]:
        """(source index, records, rejects, rows read, field issues) per chunk, in order."""
        first, resume = 0, None
        while True:
            stream = self.tasks.in_order(self._tasks(first, resume))
            restart: tuple[int, RowsFrom] | None = None
            for task, result in stream:
                if not result.whole:
                    assert task.resume is not None
                    restart = (task.source, task.resume)
                    break
                yield (task.source, *self._accept(task, result))
            stream.close()  # cancels what was queued after a block that was not whole
            if restart is None:
                return
            first, resume = restart

    def _tasks(self, first: int, resume: RowsFrom | None) -> Iterator[Task]:
        for index in range(first, len(self.sources)):
            source = self.sources[index]
            if index == first and resume is not None:
                seen = self.seen[index]
                chunks = iter_csv_rows(self.layout(index), resume, self.chunk_rows)
                for chunk in chunks:
                    yield self._keyed(index, reject_bad_keys(chunk, source, seen))
            elif source.format == "parquet":
                for chunk in iter_chunks(source, chunk_rows=self.chunk_rows):
                    yield self._keyed(index, chunk)
            else:
                self.seen[index] = set()
                layout = self.layout(index)
                blocks = iter_csv_blocks(
                    layout,
                    self.chunk_rows,
                    bytes_after=sum(_file_bytes(s) for s in self.sources[index + 1 :]),
                )
                for item in blocks:
                    if isinstance(item, RowsFrom):
                        # Nothing after this is cut ahead: its turn restarts the stream.
                        yield Task(not_whole, (), index, item, here=True)
                        return
                    block_start = RowsFrom(item.offset, item.first_line)
                    yield Task(standardize_block, (layout, item, source), index, block_start)

    def _keyed(self, index: int, chunk: Chunk) -> Task:
        return Task(standardize_keyed, (chunk, self.sources[index], len(chunk.rejects)), index)

    def layout(self, index: int) -> CsvLayout:
        if index not in self.layouts:
            self.layouts[index] = read_csv_layout(self.sources[index])
        return self.layouts[index]

    def _accept(
        self, task: Task, result: Standardized
    ) -> tuple[pa.Table, list[Reject], int, FieldIssues]:
        if task.fn is standardize_block:
            layout, block, source = task.args
            return drop_keys_seen_before(result, self.seen[task.source], layout, block, source)
        rejects = [*result.rejects, *result.key_rejects]
        return result.records, rejects, result.rows_read, result.issues


def _file_bytes(source: SourceMapping) -> int:
    """The size of a source's file (0 if it cannot be read: its own turn reports that)."""
    try:
        return source.path.stat().st_size
    except OSError:
        return 0


def not_whole() -> Standardized:
    return Standardized(record_schema().empty_table(), FieldIssues(), (), (), 0, whole=False)


def standardize_block(layout: CsvLayout, block: RawBlock, source: SourceMapping) -> Standardized:
    """Worker: parse a block of a CSV, set aside the bad keys within it, standardize.

    Every column but the key stays as Arrow parsed it (`linker.standardize.in_arrow`)."""
    chunk, whole = parse_block(layout, block, in_arrow=columns_in_arrow(source))
    if not whole:
        return not_whole()
    return standardize_keyed(reject_bad_keys(chunk, source, None), source, len(chunk.rejects))


def standardize_keyed(chunk: Chunk, source: SourceMapping, read_rejects: int) -> Standardized:
    """Worker: standardize rows whose keys are checked; the first `read_rejects` rejects
    are the unreadable rows, the rest were set aside for their key."""
    if chunk.frame.empty:
        records, issues = record_schema().empty_table(), FieldIssues()
    else:
        columns, issues = record_columns(chunk.frame, source)
        records = records_table(columns)
    return Standardized(
        records,
        issues,
        chunk.rejects[:read_rejects],
        chunk.rejects[read_rejects:],
        chunk.rows_read,
    )


def drop_keys_seen_before(
    result: Standardized,
    seen: set[str],
    layout: CsvLayout,
    block: RawBlock,
    source: SourceMapping,
) -> tuple[pa.Table, list[Reject], int, FieldIssues]:
    """Set aside the rows of a block whose key an earlier chunk already had.

    The worker saw its block only. The first row with a key wins, as when one process
    reads the file: the later row is rejected at its line and its records (the primary
    and the related persons, which share its row key) are dropped before numbering. Its
    unusable dates are taken out of the counts by reading those few rows again here.
    """
    records = result.records
    keys = records.column(C.ROW_KEY).to_numpy()  # Python strings, 10x faster than to_pylist
    if seen.isdisjoint(keys):
        seen.update(keys)
        return records, [*result.rejects, *result.key_rejects], result.rows_read, result.issues
    earlier = pa.array(sorted(seen.intersection(keys)), pa.string())
    drop = pc.is_in(records.column(C.ROW_KEY), value_set=earlier)
    rows = pc.and_(drop, pc.equal(records.column(C.ROLE), C.PRIMARY_ROLE))
    lines = records.column(C.LINE).filter(rows).to_pylist()
    repeated = [Reject(source.name, str(source.path), n, source.key, REPEATED_KEY) for n in lines]
    key_rejects = sorted([*result.key_rejects, *repeated], key=lambda r: r.line)
    dropped = issues_of_rows(layout, block, source, lines)
    issues = FieldIssues(
        result.issues.dob_invalid - dropped.dob_invalid,
        result.issues.event_date_invalid - dropped.event_date_invalid,
    )
    seen.update(keys)
    kept = records.filter(pc.invert(drop))
    return kept, [*result.rejects, *key_rejects], result.rows_read, issues


def issues_of_rows(
    layout: CsvLayout, block: RawBlock, source: SourceMapping, lines: list[int]
) -> FieldIssues:
    """The field issues the rows of a block at `lines` contributed (standardizing is row
    by row, so they are those of the rows standardized alone)."""
    frame = parse_block(layout, block)[0].frame
    rows = frame.loc[frame[C.LINE].isin(lines)].reset_index(drop=True)
    return standardize_chunk(rows, source)[1]
