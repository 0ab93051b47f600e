"""The standardize stage over a whole mapping: read, standardize, count, write.

Two ways out: `standardize_mapping` keeps the records in memory for the linkage run;
`write_standardized` streams them to one Parquet file, chunk by chunk, so a file of
millions of rows standardizes in flat memory. Both count what an analyst must see:
rows read, persons emitted, rows set aside, and how often each field is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linker import columns as C
from linker.errors import DataContractError
from linker.ingest import DEFAULT_CHUNK_ROWS, Reject, check_mapping_files, iter_chunks
from linker.ingest import rejects_frame as _rejects_frame
from linker.mapping import Mapping, SourceMapping
from linker.standardize.records import RECORD_DTYPES, FieldIssues, standardize_chunk

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


def iter_standardized(
    mapping: Mapping,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
    summary: StandardizeSummary | None = None,
) -> Iterator[tuple[pd.DataFrame, list[Reject]]]:
    """Yield (records, rejects) per chunk of every source, record ids numbered from 0."""
    check_mapping_files(mapping)
    next_id = 0
    for source in mapping.sources:
        src_summary = SourceSummary(source.name, str(source.path))
        if summary is not None:
            summary.sources.append(src_summary)
        for records, rejects, rows, issues in _standardize_source(source, chunk_rows):
            records[C.RECORD_ID] = pd.RangeIndex(next_id, next_id + len(records)).to_numpy()
            next_id += len(records)
            src_summary.add(records, len(rejects), rows, issues)
            if progress is not None:
                progress(source.name, rows)
            yield records, rejects
        if src_summary.rows_read == 0:
            raise DataContractError(
                f"[{source.name}] {source.path} has a header but no rows: an empty extract "
                "cannot be linked; check the export"
            )


def _standardize_source(
    source: SourceMapping, chunk_rows: int
) -> Iterator[tuple[pd.DataFrame, list[Reject], int, FieldIssues]]:
    for chunk in iter_chunks(source, chunk_rows=chunk_rows):
        if chunk.frame.empty:
            records = pd.DataFrame({c: pd.Series(dtype=t) for c, t in RECORD_DTYPES.items()})
            yield records, list(chunk.rejects), chunk.rows_read, FieldIssues()
            continue
        records, issues = standardize_chunk(chunk.frame, source)
        yield records, list(chunk.rejects), chunk.rows_read, issues


def standardize_mapping(
    mapping: Mapping,
    *,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    progress: Progress | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, StandardizeSummary]:
    """All canonical records in memory, with the rejects table and the summary."""
    started = time.perf_counter()
    summary = StandardizeSummary([])
    frames: list[pd.DataFrame] = []
    rejects: list[Reject] = []
    for records, bad in iter_standardized(
        mapping, chunk_rows=chunk_rows, progress=progress, summary=summary
    ):
        frames.append(records)
        rejects.extend(bad)
    records = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
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
