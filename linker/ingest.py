"""Reading extracts: CSV in any common encoding, or Parquet, in chunks, with rejects.

Agency extracts are exported by hand from old systems: a byte in the wrong code page,
a row with a stray delimiter, an unclosed quote, a repeated key. None of those may stop
a batch or vanish silently. A row that cannot be read becomes a `Reject` naming the file,
the line, the column where known, and the reason; every other row is ingested. Memory
stays flat because rows are yielded in chunks of a fixed size.
"""

from __future__ import annotations

import codecs
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import charset_normalizer
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linker import columns as C
from linker.errors import ConfigError, DataContractError
from linker.mapping import Mapping, SourceMapping

DEFAULT_CHUNK_ROWS = 100_000
_SNIFF_BYTES = 4 << 20
REJECT_COLUMNS = ("source", "file", "line", "column", "reason", "raw")
# Bytes that do not decode are kept as lone surrogates, found per column, and rejected.
_UNDECODED = r"[\udc80-\udcff]"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_undecodable_seen = [0]


def _count_and_escape(error: UnicodeError) -> tuple[str | bytes, int]:
    """surrogateescape that also counts: rows are scanned for bad bytes only if any."""
    _undecodable_seen[0] += 1
    return codecs.lookup_error("surrogateescape")(error)


codecs.register_error("linker-surrogateescape", _count_and_escape)


@dataclass(frozen=True)
class Reject:
    """A row set aside: where it was and why. `raw` keeps the text so nothing is lost."""

    source: str
    file: str
    line: int
    column: str
    reason: str
    raw: str = ""


@dataclass(frozen=True)
class Chunk:
    """Rows read from one extract: the mapped columns as strings (None when empty) + LINE."""

    frame: pd.DataFrame
    rejects: tuple[Reject, ...]
    rows_read: int


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The encoding to read a CSV with: declared wins; a BOM means UTF-8; else sniff.

    UTF-8 is tried on the first megabytes, then cp1252 (what Windows exports of U.S.
    agency systems use; statistical detectors confuse it with Mac code pages on short
    Spanish text), and only when neither decodes does charset-normalizer choose.
    """
    with path.open("rb") as f:
        sample = f.read(_SNIFF_BYTES)
    if sample.startswith(codecs.BOM_UTF8):
        if declared is None or codecs.lookup(declared).name == "utf-8":
            return "utf-8-sig"
    if declared is not None:
        return declared
    for candidate in ("utf-8", "cp1252"):
        try:
            codecs.getincrementaldecoder(candidate)().decode(sample, final=False)
            return candidate
        except UnicodeDecodeError:
            continue
    best = charset_normalizer.from_bytes(sample).best()
    return best.encoding if best is not None else "latin-1"


def read_header(source: SourceMapping) -> list[str]:
    """Column names of an extract, without reading its rows."""
    if source.format == "parquet":
        return list(pq.ParquetFile(source.path).schema_arrow.names)
    encoding = detect_encoding(source.path, source.encoding)
    with source.path.open(encoding=encoding, errors="surrogateescape", newline="") as f:
        header = next(csv.reader(f, delimiter=source.delimiter), None)
    if header is None:
        raise DataContractError(f"{source.path}: the file is empty (no header line)")
    return [h.strip() for h in header]


def check_mapping_files(mapping: Mapping) -> None:
    """Check every mapped column exists in its file; report all missing columns at once."""
    problems: list[str] = []
    for source in mapping.sources:
        try:
            header = read_header(source)
        except (OSError, DataContractError, pa.ArrowException) as e:
            problems.append(f"[{source.name}] cannot read {source.path}: {e}")
            continue
        present = set(header)
        for col in source.columns_used():
            if col not in present:
                problems.append(
                    f"[{source.name}] column {col!r} is not in {source.path} "
                    f"(its columns: {', '.join(header[:40])})"
                )
    if problems:
        raise ConfigError(problems, path=str(mapping.path))


def iter_chunks(source: SourceMapping, *, chunk_rows: int = DEFAULT_CHUNK_ROWS) -> Iterator[Chunk]:
    """Yield the mapped columns of an extract, chunk by chunk, with the rows set aside."""
    reader = _iter_parquet if source.format == "parquet" else _iter_csv
    seen_keys: set[str] = set()
    for chunk in reader(source, chunk_rows):
        yield _reject_bad_keys(chunk, source, seen_keys)


def _iter_csv(source: SourceMapping, chunk_rows: int) -> Iterator[Chunk]:
    encoding = detect_encoding(source.path, source.encoding)
    wanted = source.columns_used()
    errors_before = _undecodable_seen[0]

    def bad_bytes() -> bool:
        # Sticky for the file: decoding runs ahead of the rows handed out, so a bad byte
        # counted now may belong to a later chunk.
        return _undecodable_seen[0] > errors_before

    with source.path.open(encoding=encoding, errors="linker-surrogateescape", newline="") as f:
        reader = csv.reader(f, delimiter=source.delimiter)
        header = [h.strip() for h in next(reader, [])]
        if not header:
            raise DataContractError(f"{source.path}: the file is empty (no header line)")
        positions = {name: i for i, name in enumerate(header)}
        missing = [c for c in wanted if c not in positions]
        if missing:
            raise ConfigError([f"column {c!r} is not in {source.path}" for c in missing], path=None)
        width = len(header)
        rows: list[list[str]] = []
        lines: list[int] = []
        rejects: list[Reject] = []
        read = 0
        last_line = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as e:
                rejects.append(
                    Reject(source.name, str(source.path), last_line + 1, "", f"unreadable: {e}")
                )
                last_line = reader.line_num
                read += 1
                continue
            start = last_line + 1
            last_line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            read += 1
            if len(row) != width:
                span = f" (spans lines {start}-{last_line})" if last_line > start else ""
                rejects.append(
                    Reject(
                        source.name,
                        str(source.path),
                        start,
                        "",
                        f"expected {width} fields, found {len(row)}{span}",
                        source.delimiter.join(row).encode("utf-8", "replace").decode(),
                    )
                )
                continue
            rows.append(row)
            lines.append(start)
            if len(rows) >= chunk_rows:
                yield _csv_chunk(
                    source, rows, lines, rejects, read, positions, wanted, encoding, bad_bytes()
                )
                rows, lines, rejects, read = [], [], [], 0
        if rows or rejects or read:
            yield _csv_chunk(
                source, rows, lines, rejects, read, positions, wanted, encoding, bad_bytes()
            )


def _csv_chunk(
    source: SourceMapping,
    rows: list[list[str]],
    lines: list[int],
    rejects: list[Reject],
    read: int,
    positions: dict[str, int],
    wanted: list[str],
    encoding: str,
    scan: bool,
) -> Chunk:
    frame = pd.DataFrame(rows, dtype=object)
    if frame.empty:
        frame = pd.DataFrame(columns=range(len(positions)), dtype=object)
    frame = frame[[positions[c] for c in wanted]]
    frame.columns = wanted
    frame[C.LINE] = pd.array(lines, dtype="int64")
    bad = pd.Series(False, index=frame.index)
    extra: list[Reject] = []
    for col in wanted if scan else ():
        undecoded = frame[col].str.contains(_UNDECODED, regex=True, na=False) & ~bad
        for line, value_row in zip(
            frame.loc[undecoded, C.LINE], frame.index[undecoded], strict=True
        ):
            raw = ",".join(str(v) for v in rows[value_row])
            extra.append(
                Reject(
                    source.name,
                    str(source.path),
                    int(line),
                    col,
                    f"bytes that are not valid {encoding}; declare the file's encoding "
                    'in the mapping (e.g. encoding = "cp1252")',
                    raw.encode("utf-8", "backslashreplace").decode("utf-8", "replace"),
                )
            )
        bad |= undecoded
    frame = frame.loc[~bad].reset_index(drop=True)
    frame = _blank_to_none(frame, wanted)
    return Chunk(frame, tuple(rejects) + tuple(extra), read)


def _iter_parquet(source: SourceMapping, chunk_rows: int) -> Iterator[Chunk]:
    pfile = pq.ParquetFile(source.path)
    wanted = source.columns_used()
    missing = [c for c in wanted if c not in pfile.schema_arrow.names]
    if missing:
        raise ConfigError([f"column {c!r} is not in {source.path}" for c in missing])
    offset = 0
    for batch in pfile.iter_batches(batch_size=chunk_rows, columns=wanted):
        frame = pd.DataFrame({name: _arrow_to_text(batch.column(name)) for name in wanted})
        frame[C.LINE] = pd.array(range(offset + 1, offset + 1 + len(frame)), dtype="int64")
        offset += len(frame)
        yield Chunk(_blank_to_none(frame, wanted), (), len(frame))


def _arrow_to_text(column: pa.Array) -> pd.Series:
    """Any Parquet column as text; dates as ISO so the date parser reads them."""
    if pa.types.is_timestamp(column.type) or pa.types.is_date(column.type):
        column = column.cast(pa.date32()) if pa.types.is_timestamp(column.type) else column
        return pd.Series(column.cast(pa.string()).to_pylist(), dtype=object)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return pd.Series(column.to_pylist(), dtype=object)


def _blank_to_none(frame: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """Empty cells become None. Whitespace-only cells are left to the normalizers, which
    strip every value anyway: stripping 20 columns of a million rows here doubled the
    time to read a file."""
    for col in wanted:
        values = frame[col].to_numpy(dtype=object)
        values[values == ""] = None
        frame[col] = values
    return frame


def _reject_bad_keys(chunk: Chunk, source: SourceMapping, seen: set[str]) -> Chunk:
    """Rows with an empty or repeated key cannot be told apart later: set them aside."""
    frame = chunk.frame
    if frame.empty:
        return chunk
    keys = frame[source.key].str.strip()
    empty = keys.isna()
    dup_inside = keys.duplicated(keep="first") & ~empty
    dup_before = keys.isin(seen) & ~empty
    bad = empty | dup_inside | dup_before
    rejects = list(chunk.rejects)
    for line, is_empty in zip(frame.loc[bad, C.LINE], empty[bad], strict=True):
        reason = "empty key" if is_empty else "duplicate key (an earlier row has the same key)"
        rejects.append(Reject(source.name, str(source.path), int(line), source.key, reason))
    seen.update(keys[~bad].tolist())
    kept = frame.loc[~bad].reset_index(drop=True)
    kept[source.key] = keys[~bad].to_numpy()
    return Chunk(kept, tuple(rejects), chunk.rows_read)


def rejects_frame(rejects: list[Reject] | tuple[Reject, ...]) -> pd.DataFrame:
    """Rejects as the flat table written to rejects.csv."""
    return pd.DataFrame(
        [(r.source, r.file, r.line, r.column, r.reason, r.raw) for r in rejects],
        columns=list(REJECT_COLUMNS),
    )
