"""Reading extracts: CSV in any common encoding, or Parquet, in chunks, with rejects.

Agency extracts are exported by hand from old systems: a byte in the wrong code page,
a row with a stray delimiter, an unclosed quote, a repeated key. None of those may stop
a batch or vanish silently. A row that cannot be read becomes a `Reject` naming the file,
the line, the column where known, and the reason; every other row is ingested. Memory
stays flat because rows are yielded in chunks of a fixed size.

A CSV is read in two steps so that the costly one can run in any process:
`iter_csv_blocks` cuts the file's bytes into blocks of whole records (a record ends at a
newline with an even number of quotes before it) and numbers each block's first line,
looking at the bytes only through numpy; `parse_block` decodes a block and parses it with
Arrow's C++ CSV reader where that provably gives the chunk the one row loop
(`_RowParser`) gives, and with the row loop otherwise (rejects, blank lines, bytes that
do not decode: see `_parse_arrow`). The standardize stage ships blocks to worker processes;
`iter_chunks` parses them here. Quote parity is fooled by a quote inside an unquoted
field, so a parsed block proves its own cut (a row appended after it must come back
alone); where it cannot, the rest of the file is read row by row from that block on
(`iter_csv_rows`), as is a file whose encoding does not keep newlines and quotes as
single bytes (UTF-16).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import itertools
import json
import os
import re
import sys
from collections.abc import Callable, Collection, Generator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import charset_normalizer
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from linker import columns as C
from linker.arrow_csv import count_lines, read_block
from linker.errors import ConfigError, DataContractError
from linker.mapping import Mapping, SourceMapping

DEFAULT_CHUNK_ROWS = 100_000
# Blocks' worth left to read below which `iter_csv_blocks` cuts quarter blocks: enough
# for the workers of a machine of up to four cores to finish together.
TAIL_BLOCKS = 4
_SNIFF_BYTES = 4 << 20
_READ_BYTES = 4 << 20  # bytes read at a time while cutting blocks
# A block of fewer records is cut when this many bytes hold no more (very wide rows);
# with no record end at all in them (old Mac line ends, a runaway quote), the rest of the
# file is read row by row.
_MAX_BLOCK_BYTES = 128 << 20
REJECT_COLUMNS = ("source", "file", "line", "column", "reason", "raw")
EMPTY_KEY = "empty key"
REPEATED_KEY = "duplicate key (an earlier row has the same key)"
UNCLOSED_QUOTE = (
    "a quote opens a field and never closes; this line is set aside and the lines after "
    "it are read as rows of their own"
)
# Bytes that do not decode are kept as lone surrogates, found per column, and rejected.
_UNDECODED = r"[\udc80-\udcff]"
_LINE_END = re.compile(rb"\r\n|\r|\n")  # what csv.reader counts as a line (newline="")
_NEWLINE, _QUOTE = ord("\n"), ord('"')
# One field of the row appended to a block that is not the file's last (private-use
# characters no extract holds); the row has one field more than the header.
_END_FIELD = "\ue000\uf8ff\ue000"

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

_undecodable_seen = [0]

# Text pandas holds in Arrow, missing value NaN: `linker.standardize.text.ARROW_TEXT`
# (this module is read before that package).
ARROW_TEXT_DTYPE: Final = pd.StringDtype("pyarrow", na_value=np.nan)


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


# Byte-order marks and the codec that reads past them, longest first (a UTF-32 LE mark
# begins with the UTF-16 LE one). Excel's "Unicode text" export is UTF-16 with a mark.
_BOMS: Final = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def detect_encoding(path: Path, declared: str | None = None) -> str:
    """The encoding to read a CSV with: a byte-order mark of the declared encoding's
    family (or of any, when none is declared) wins; then the declared one; else sniff.

    UTF-8 is tried on the first megabytes, then cp1252 (what Windows exports of U.S.
    agency systems use; statistical detectors confuse it with Mac code pages on short
    Spanish text), and only when neither decodes does charset-normalizer choose.
    """
    with path.open("rb") as f:
        sample = f.read(_SNIFF_BYTES)
    for bom, marked in _BOMS:
        if sample.startswith(bom):
            family = codecs.lookup(marked).name.removesuffix("-sig")
            if declared is None or codecs.lookup(declared).name.startswith(family):
                return marked
            break
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
        positions: dict[str, list[int]] = {}
        for number, name in enumerate(header, start=1):
            positions.setdefault(name, []).append(number)
        hint = _delimiter_hint(header, source.delimiter)
        for col in source.columns_used():
            found = positions.get(col, [])
            if not found:
                problems.append(
                    f"[{source.name}] column {col!r} is not in {source.path}"
                    f"{_did_you_mean(col, header)} (its columns: {', '.join(header[:40])}){hint}"
                )
            elif len(found) > 1:
                problems.append(
                    f"[{source.name}] column {col!r} appears {len(found)} times in the header "
                    f"of {source.path} (columns {', '.join(map(str, found))}); rename the "
                    "copies so the mapping names exactly one"
                )
    if problems:
        raise ConfigError(problems, path=str(mapping.path))


def _did_you_mean(column: str, header: list[str]) -> str:
    """'; did you mean 'FIRST_NAME'?' for a column written in another case or spacing,
    or misspelled ('FIRST_NMAE'); empty when no header name is close."""
    folded = {h.casefold().replace(" ", "_"): h for h in header}
    same = folded.get(column.casefold().replace(" ", "_"))
    if same is None:
        close = difflib.get_close_matches(column.casefold(), list(folded), n=1, cutoff=0.8)
        same = folded[close[0]] if close else None
    return f"; did you mean {same!r}?" if same is not None else ""


_OTHER_DELIMITERS: Final = (";", "\t", "|", ",")


def _delimiter_hint(header: list[str], delimiter: str) -> str:
    """Why the mapped columns are missing when the header is one run-together column.

    An extract saved with semicolons (Excel in Spanish locales), tabs or pipes, read with
    the default comma, has a single column named "ID;FIRST;LAST": every mapped column is
    "missing", and the fix is the mapping's `delimiter`, which the message then names.
    """
    if len(header) != 1:
        return ""
    for other in _OTHER_DELIMITERS:
        if other != delimiter and other in header[0]:
            toml = json.dumps(other)  # a TOML basic string: "\t" stays one character
            return f"; the header looks {toml}-separated: set delimiter = {toml}"
    return ""


def iter_chunks(
    source: SourceMapping, *, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Generator[Chunk, None, None]:
    """Yield the mapped columns of an extract, chunk by chunk, with the rows set aside.

    A CSV chunk holds the rows of `chunk_rows` records of the file (blank and rejected
    ones included), so it is the same chunk whichever process parses it.
    """
    seen: set[str] = set()
    for chunk in _iter_rows(source, chunk_rows):
        yield reject_bad_keys(chunk, source, seen)


def _iter_rows(source: SourceMapping, chunk_rows: int) -> Iterator[Chunk]:
    if source.format == "parquet":
        yield from _iter_parquet(source, chunk_rows)
        return
    layout = read_csv_layout(source)
    blocks = iter_csv_blocks(layout, chunk_rows)
    for item in blocks:
        if isinstance(item, RawBlock):
            chunk, whole = parse_block(layout, item)
            if whole:
                if chunk.rows_read or chunk.rejects:
                    yield chunk
                continue
            item = RowsFrom(item.offset, item.first_line)
        blocks.close()
        yield from iter_csv_rows(layout, item, chunk_rows)
        return


@dataclass(frozen=True)
class CsvLayout:
    """What reading the rows of one CSV needs besides their bytes; travels with each block."""

    source: str
    file: str
    encoding: str  # as detected or declared: rejects name it
    body_encoding: str  # decodes the rows (a UTF-8 BOM went with the header)
    delimiter: str
    width: int  # fields in the header
    positions: dict[str, int]  # mapped column -> its field position
    header_lines: int  # physical lines the header takes
    body_offset: int | None  # byte where the rows start; None when bytes cannot be cut

    @property
    def wanted(self) -> list[str]:
        return list(self.positions)


@dataclass(frozen=True)
class RawBlock:
    """Whole records of a CSV as undecoded bytes, and where they start in the file."""

    data: bytes
    offset: int
    first_line: int
    last: bool  # the file ends with this block


@dataclass(frozen=True)
class RowsFrom:
    """Where cutting stops: the rest of the file is read row by row from here."""

    offset: int | None  # None: from the start of the file, header included
    first_line: int


def read_csv_layout(source: SourceMapping) -> CsvLayout:
    """The header of a CSV extract, checked against the mapping, and where its rows start."""
    encoding = detect_encoding(source.path, source.encoding)
    with source.path.open(encoding=encoding, errors="linker-surrogateescape", newline="") as f:
        reader = csv.reader(f, delimiter=source.delimiter)
        header = [h.strip() for h in next(reader, [])]
        header_lines = reader.line_num
    if not header:
        raise DataContractError(f"{source.path}: the file is empty (no header line)")
    positions = {name: i for i, name in enumerate(header)}
    missing = [c for c in source.columns_used() if c not in positions]
    if missing:
        raise ConfigError([f"column {c!r} is not in {source.path}" for c in missing], path=None)
    cuttable = _cuts_as_bytes(encoding)
    return CsvLayout(
        source=source.name,
        file=str(source.path),
        encoding=encoding,
        body_encoding="utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding,
        delimiter=source.delimiter,
        width=len(header),
        positions={c: positions[c] for c in source.columns_used()},
        header_lines=header_lines,
        body_offset=_line_offset(source.path, header_lines) if cuttable else None,
    )


def _cuts_as_bytes(encoding: str) -> bool:
    """True when newline, carriage return and quote are single bytes that no other
    character uses (UTF-8, the code pages): then bytes can be cut before decoding."""
    if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
        return True
    every_byte = bytes(range(256))
    try:
        text = every_byte.decode(encoding, "replace")
    except (UnicodeError, LookupError):
        return False
    return len(text) == 256 and text[:128] == every_byte[:128].decode("ascii")


def _line_offset(path: Path, lines: int) -> int:
    """Byte offset just after the first `lines` physical lines of a file."""
    data = b""
    with path.open("rb") as f:
        while True:
            more = f.read(1 << 20)
            data += more
            ends = [m.end() for m in itertools.islice(_LINE_END.finditer(data), lines)]
            # A carriage return ending the bytes read may start a CRLF: read on.
            if len(ends) == lines and (ends[-1] < len(data) or not more):
                return ends[-1]
            if not more:
                return len(data)


def iter_csv_blocks(
    layout: CsvLayout, chunk_rows: int, *, bytes_after: int | None = None
) -> Generator[RawBlock | RowsFrom, None, None]:
    """Cut the rows of a CSV into blocks of `chunk_rows` records, as bytes.

    Only newlines with an even number of quotes before them end a record, so a quoted
    field spanning lines stays whole. Ends with a `RowsFrom` when the bytes cannot be
    cut (see the module docstring).

    For worker processes (`bytes_after` given), the blocks that end the run are cut
    smaller: the run's last block keeps one worker busy while the others wait. Once what
    is left to read (the rest of this file and `bytes_after` more, the extracts read
    after it) is less than `TAIL_BLOCKS` blocks, blocks are a quarter as long, and so is
    the wait. The cut does not depend on the number of workers: blocks set the order of
    a row's related persons, and so the records' ids.
    """
    if layout.body_offset is None:
        yield RowsFrom(None, layout.header_lines + 1)
        return
    offset, line = layout.body_offset, layout.header_lines + 1
    pending = b""
    ends = np.empty(0, dtype=np.int64)  # record ends found in `pending`
    odd = 0  # quote parity at the end of `pending`
    eof = False
    with open(layout.file, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        f.seek(offset)
        while True:
            while len(ends) < chunk_rows and not eof and len(pending) < _MAX_BLOCK_BYTES:
                more = f.read(_READ_BYTES)
                if not more:
                    eof = True
                    break
                found, odd = _record_ends(more, odd)
                ends = np.concatenate((ends, found + len(pending)))
                pending += more
            rows = chunk_rows
            if bytes_after is not None and len(ends):
                seen = min(chunk_rows, len(ends))
                block_bytes = (int(ends[seen - 1]) + 1) / seen * chunk_rows
                if (size - offset) + bytes_after < TAIL_BLOCKS * block_bytes:
                    rows = max(1, chunk_rows // 4)
            if len(ends) >= rows:
                cut = int(ends[rows - 1]) + 1
            elif eof:
                cut = len(pending)
            elif len(ends):
                cut = int(ends[-1]) + 1
            else:
                yield RowsFrom(offset, line)
                return
            if cut == 0:
                return
            block, pending = pending[:cut], pending[cut:]
            ends = ends[ends >= cut] - cut
            yield RawBlock(block, offset, line, last=eof and not pending)
            offset += cut
            line += count_lines(block)


def _record_ends(data: bytes, odd: int) -> tuple[np.ndarray, int]:
    """Positions of the newlines outside quotes, and the quote parity after `data`."""
    octets = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(octets == _NEWLINE)
    quotes = np.flatnonzero(octets == _QUOTE)
    outside = (np.searchsorted(quotes, newlines) + odd) % 2 == 0
    return newlines[outside], (odd + len(quotes)) % 2


def parse_block(
    layout: CsvLayout, block: RawBlock, *, in_arrow: Collection[str] = ()
) -> tuple[Chunk, bool]:
    """The rows of a block, and whether its cut fell between records.

    When it did not (a quote inside an unquoted field fooled the parity), the chunk is
    wrong and the file must be read row by row from this block on. Arrow's C++ reader
    parses the block when it provably gives the row loop's chunk (`_parse_arrow`);
    otherwise, and always when bytes do not decode, the row loop does.

    The `in_arrow` columns of a block Arrow parsed stay as it read them (pandas text
    over Arrow, `ARROW_TEXT_DTYPE`), for a reader that can take them so: no Python
    string is made per cell. Every other column holds Python strings and None.
    """
    try:
        text = block.data.decode(layout.body_encoding)
    except UnicodeDecodeError:
        text = block.data.decode(layout.body_encoding, "surrogateescape")
        return _parse_rows(layout, block, text, undecoded=True)
    parsed = _parse_arrow(layout, block, text, in_arrow)
    if parsed is not None:
        return parsed
    return _parse_rows(layout, block, text, undecoded=False)


def _parse_rows(
    layout: CsvLayout, block: RawBlock, text: str, *, undecoded: bool
) -> tuple[Chunk, bool]:
    """`parse_block` by the row loop: the reference the Arrow path must equal."""
    lines: Iterable[str] = io.StringIO(text, newline="")
    end_row = None if block.last else [_END_FIELD] * (layout.width + 1)
    if end_row is not None:
        lines = itertools.chain(lines, [layout.delimiter.join(end_row) + "\n"])
    parser = _RowParser(layout, lines, block.first_line - 1, end_row)
    chunk = parser.next_chunk(sys.maxsize, lambda: undecoded)
    return chunk, block.last or parser.at_end_row


def _parse_arrow(
    layout: CsvLayout, block: RawBlock, text: str, in_arrow: Collection[str] = ()
) -> tuple[Chunk, bool] | None:
    """The block's chunk as Arrow parses it, or None where it might differ from the
    row loop's (the caller then runs the row loop on the whole block); see
    `linker.arrow_csv.read_block` for when that is."""
    fields = list(layout.positions.values())
    read = read_block(
        block.data,
        text,
        encoding=layout.body_encoding,
        delimiter=layout.delimiter,
        width=layout.width,
        fields=fields,
        first_line=block.first_line,
        last=block.last,
    )
    if read is None:
        return None
    columns, lines = read
    frame = pd.DataFrame(
        {
            name: ARROW_TEXT_DTYPE.__from_arrow__(column)
            if name in in_arrow
            else column.to_numpy(zero_copy_only=False)
            for name, column in zip(layout.wanted, columns, strict=True)
        }
    )
    frame[C.LINE] = pd.array(lines, dtype="int64")
    return Chunk(frame, (), len(lines)), True


def iter_csv_rows(layout: CsvLayout, start: RowsFrom, chunk_rows: int) -> Iterator[Chunk]:
    """Chunks of `chunk_rows` records read row by row from `start` to the end of the file."""
    errors_before = _undecodable_seen[0]

    def bad_bytes() -> bool:
        # Sticky for the file: decoding runs ahead of the rows handed out, so a bad byte
        # counted now may belong to a later chunk.
        return _undecodable_seen[0] > errors_before

    errors = "linker-surrogateescape"
    if start.offset is None:
        text = open(layout.file, encoding=layout.encoding, errors=errors, newline="")
        parser = _RowParser(layout, text, 0)
        parser.skip_header()
    else:
        raw = open(layout.file, "rb")
        raw.seek(start.offset)
        text = io.TextIOWrapper(raw, encoding=layout.body_encoding, errors=errors, newline="")
        parser = _RowParser(layout, text, start.first_line - 1)
    with text:
        while not parser.exhausted:
            chunk = parser.next_chunk(chunk_rows, bad_bytes)
            if chunk.rows_read or chunk.rejects:
                yield chunk


class _LineFeed:
    """The lines csv.reader reads, keeping those of the record being read, so that the
    parser can hand all but the first back to be read again (see `_RowParser`)."""

    __slots__ = ("_again", "_lines", "count", "record")

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._again: list[str] = []  # lines handed back, the next one last
        self.record: list[str] = []  # lines read since `start_record`
        self.count = 0  # physical lines read, less those handed back

    def __iter__(self) -> _LineFeed:
        return self

    def __next__(self) -> str:
        line = self._again.pop() if self._again else next(self._lines)
        self.record.append(line)
        self.count += 1
        return line

    def start_record(self) -> None:
        self.record.clear()

    def hand_back(self, lines: list[str]) -> None:
        self._again.extend(reversed(lines))
        self.count -= len(lines)


class _RowParser:
    """The one row loop: csv.reader over lines of text, each row with its physical line.

    Rows of the wrong width and rows the reader cannot parse become rejects; blank lines
    are skipped. `line_base` is the physical line before the first one given. A row
    equal to `end_row` stops the loop and proves the lines before it were whole records.

    A quote opening a field that never closes makes csv.reader run on through the next
    lines (to the next quote, or to the end of the file) and return one long wrong-width
    row: read that way, one typo would set aside every row after it. So when a row that
    spans lines has the wrong width but its first line alone, quotes taken as plain
    characters, has the right one, only that line is set aside (`UNCLOSED_QUOTE`) and
    the lines after it are read again as rows of their own. A quoted field that really
    spans lines keeps the first line short of fields, so such a row is rejected whole,
    as before.
    """

    def __init__(
        self,
        layout: CsvLayout,
        lines: Iterable[str],
        line_base: int,
        end_row: list[str] | None = None,
    ) -> None:
        self.layout = layout
        self.feed = _LineFeed(lines)
        self.reader = csv.reader(self.feed, delimiter=layout.delimiter)
        self.line_base = line_base
        self.last_line = line_base
        self.end_row = end_row
        self.at_end_row = False
        self.exhausted = False

    def skip_header(self) -> None:
        next(self.reader, None)
        self.last_line = self.line_base + self.feed.count

    def next_chunk(self, max_records: int, scan: Callable[[], bool]) -> Chunk:
        layout, reader, feed, base = self.layout, self.reader, self.feed, self.line_base
        width = layout.width
        rows: list[list[str]] = []
        lines: list[int] = []
        rejects: list[Reject] = []
        read = records = 0
        last_line = self.last_line
        while records < max_records:
            feed.start_record()
            try:
                row = next(reader)
            except StopIteration:
                self.exhausted = True
                break
            except csv.Error as e:
                records += 1
                read += 1
                if self._unclosed_quote(rejects, last_line + 1):
                    last_line += 1
                    continue
                rejects.append(
                    Reject(layout.source, layout.file, last_line + 1, "", f"unreadable: {e}")
                )
                last_line = base + feed.count
                continue
            records += 1
            start = last_line + 1
            last_line = base + feed.count
            if not row or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            if len(row) != width:
                if row == self.end_row:
                    self.at_end_row = self.exhausted = True
                    break
                read += 1
                if last_line > start and self._unclosed_quote(rejects, start):
                    last_line = start
                    continue
                span = f" (spans lines {start}-{last_line})" if last_line > start else ""
                rejects.append(
                    Reject(
                        layout.source,
                        layout.file,
                        start,
                        "",
                        f"expected {width} fields, found {len(row)}{span}",
                        layout.delimiter.join(row).encode("utf-8", "replace").decode(),
                    )
                )
                continue
            read += 1
            rows.append(row)
            lines.append(start)
        self.last_line = last_line
        return _csv_chunk(layout, rows, lines, rejects, read, scan() if rows else False)

    def _unclosed_quote(self, rejects: list[Reject], line: int) -> bool:
        """Set aside the record's first line, and hand the rest back to be read again,
        when that line alone (quotes as plain characters) has the file's width."""
        first, *rest = self.feed.record or [""]
        if not rest:
            return False
        text = first.rstrip("\r\n")
        alone = next(csv.reader([text], delimiter=self.layout.delimiter, quoting=csv.QUOTE_NONE))
        if len(alone) != self.layout.width:
            return False
        self.feed.hand_back(rest)
        raw = text.encode("utf-8", "replace").decode()
        rejects.append(Reject(self.layout.source, self.layout.file, line, "", UNCLOSED_QUOTE, raw))
        return True


def _csv_chunk(
    layout: CsvLayout,
    rows: list[list[str]],
    lines: list[int],
    rejects: list[Reject],
    read: int,
    scan: bool,
) -> Chunk:
    wanted = layout.wanted
    frame = pd.DataFrame(rows, dtype=object)
    if frame.empty:
        frame = pd.DataFrame(columns=range(layout.width), dtype=object)
    frame = frame[list(layout.positions.values())]
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
                    layout.source,
                    layout.file,
                    int(line),
                    col,
                    f"bytes that are not valid {layout.encoding}; declare the file's encoding "
                    'in the mapping (e.g. encoding = "cp1252")',
                    raw.encode("utf-8", "backslashreplace").decode("utf-8", "replace"),
                )
            )
        bad |= undecoded
    if bad.any():
        frame = frame.loc[~bad].reset_index(drop=True)
    frame = _blank_to_none(frame, wanted)
    return Chunk(frame, tuple(rejects) + tuple(extra), read)


def reject_bad_keys(chunk: Chunk, source: SourceMapping, seen: set[str] | None) -> Chunk:
    """Rows with an empty or repeated key cannot be told apart later: set them aside.

    `seen` holds the keys of earlier chunks and gains this chunk's; None when earlier
    chunks are checked elsewhere (a worker process sees one chunk only). The kept keys
    are stripped; the first row with a key wins.
    """
    frame = chunk.frame
    if frame.empty:
        return chunk
    keys = frame[source.key].str.strip()
    empty = keys.isna()
    bad = empty | (keys.duplicated(keep="first") & ~empty)
    if seen:
        # Set operations in C on this chunk's keys only: `isin(seen)` rebuilt a table of
        # every key so far for each chunk.
        earlier = seen.intersection(keys.to_numpy()[~bad.to_numpy()])
        if earlier:
            bad |= keys.isin(earlier)
    rejects = list(chunk.rejects)
    if bad.any():
        for line, is_empty in zip(frame.loc[bad, C.LINE], empty[bad], strict=True):
            reason = EMPTY_KEY if is_empty else REPEATED_KEY
            rejects.append(Reject(source.name, str(source.path), int(line), source.key, reason))
        kept = frame.loc[~bad].reset_index(drop=True)
        keys = keys[~bad]
    else:
        kept = frame.copy(deep=False)
    kept[source.key] = keys.to_numpy()
    if seen is not None:
        seen.update(kept[source.key].tolist())
    return Chunk(kept, tuple(rejects), chunk.rows_read)


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
        return pd.Series(column.cast(pa.string()).to_numpy(zero_copy_only=False), dtype=object)
    if not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
        column = column.cast(pa.string())
    return pd.Series(column.to_numpy(zero_copy_only=False), dtype=object)


def _blank_to_none(frame: pd.DataFrame, wanted: list[str]) -> pd.DataFrame:
    """Empty cells become None. Whitespace-only cells are left to the normalizers, which
    strip every value anyway: stripping 20 columns of a million rows here doubled the
    time to read a file."""
    for col in wanted:
        values = frame[col].to_numpy(dtype=object)
        values[values == ""] = None
        frame[col] = values
    return frame


def rejects_frame(rejects: list[Reject] | tuple[Reject, ...]) -> pd.DataFrame:
    """Rejects as the flat table written to rejects.csv."""
    return pd.DataFrame(
        [(r.source, r.file, r.line, r.column, r.reason, r.raw) for r in rejects],
        columns=list(REJECT_COLUMNS),
    )
