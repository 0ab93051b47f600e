"""Arrow's C++ CSV reader, held to what `csv.reader` gives on the same bytes.

Reading a block of records with Arrow is several times cheaper than the row loop in
`linker.ingest`, but Arrow skips blank lines silently and numbers no lines. These
helpers read text columns and recover each row's physical line, and return None
wherever the answer could differ from the row loop's, so the caller falls back to it.
"""

from __future__ import annotations

import codecs

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv


def count_lines(data: bytes, end: int | None = None) -> int:
    """Physical lines as csv.reader counts them: CRLF, LF and a lone CR each end one.
    Only the bytes before `end` are counted when it is given."""
    end = len(data) if end is None else end
    lines = data.count(b"\n", 0, end)
    if data.find(b"\r", 0, end) >= 0:
        lines += data.count(b"\r", 0, end) - data.count(b"\r\n", 0, end)
    return lines


def read_text_columns(
    data: bytes, delimiter: str, names: list[str], columns: list[str]
) -> pa.Table | None:
    """Columns of CSV bytes as text, empty cells (quoted or not) null; None when Arrow
    finds a row of the wrong width (or anything else it will not parse)."""
    try:
        return pa_csv.read_csv(
            pa.py_buffer(data),
            read_options=pa_csv.ReadOptions(
                column_names=names,
                use_threads=False,  # one worker per core already
                block_size=len(data) + 1,  # one block: no chunker between rows
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=True
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()),
                include_columns=columns,
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
                check_utf8=False,  # valid by construction
            ),
        )
    except pa.ArrowInvalid:
        return None


def one_line_rows(data: bytes, rows: int, first_line: int) -> np.ndarray | None:
    """The physical line each row starts on when every row takes one line and no blank
    line comes before the last row (blank lines after it change no row's line); None
    when the lines of the block up to its trailing line ends are not exactly `rows`.

    Every row starts with a character that is not a line end, so each has a line of its
    own before the trailing line ends; the count is exactly `rows` only when no row has
    a second line there and no blank line lies between them.
    """
    end = len(data)
    while end and data[end - 1] in b"\r\n":
        end -= 1
    if end == 0 or count_lines(data, end) + 1 != rows:
        return None
    return np.arange(first_line, first_line + rows, dtype=np.int64)


def spanned_lines(table: pa.Table | None, data: bytes, first_line: int) -> np.ndarray | None:
    """The physical line each row starts on, from every column of the rows; None when a
    blank line was skipped somewhere among them.

    A row takes one line plus the line ends inside its quoted values (CRLF, CR and LF
    each one, as csv.reader counts lines). When those add up to every line of the
    block, no blank line lies between rows. That holds unless the last value ends in a
    line end: then it may be a quote left open at the end of the file, whose last line
    end is the row's own, and the sum would be one too many, hiding a blank line.
    """
    if table is None:
        return None
    final = table.column(table.num_columns - 1)[-1].as_py()
    if final is not None and final.endswith(("\n", "\r")):
        return None
    spans = np.ones(table.num_rows, dtype=np.int64)
    for column in table.columns:
        ends = pc.subtract(
            pc.add(pc.count_substring(column, "\n"), pc.count_substring(column, "\r")),
            pc.count_substring(column, "\r\n"),
        )
        spans += pc.fill_null(ends, 0).to_numpy()
    physical = count_lines(data) + (not data.endswith((b"\n", b"\r")))
    if int(spans.sum()) != physical:
        return None
    return first_line + np.concatenate(([0], np.cumsum(spans)[:-1]))


def read_block(
    data: bytes,
    text: str,
    *,
    encoding: str,
    delimiter: str,
    width: int,
    fields: list[int],
    first_line: int,
    last: bool,
) -> tuple[list[pa.Array], np.ndarray] | None:
    """The `fields` (column positions) of a block of whole CSV records as Arrow text
    (null for empty cells) and each row's physical line, or None where Arrow's reading
    might differ from the row loop's.

    `data` is the block's bytes in `encoding`, `text` the same decoded strictly; the
    block is the file's last when `last`, and its first line is `first_line`.

    Arrow splits fields as csv.reader does: a quote opens a quoted field only at its
    start, a doubled quote inside one is a quote, text after the closing quote is kept,
    and CR, LF and CRLF each end a line. It runs on the UTF-8 bytes of the decoded text,
    where quote, delimiter and line ends are single bytes no other character contains,
    so it sees the characters the row loop sees. Where the two differ it declines:
    a one-column file (a whitespace-only row is blank to the row loop, a value to
    Arrow), a leading BOM (Arrow drops it), a row of another width (a reject), a blank
    line (Arrow skips it without saying where, so the line numbers could not be told),
    and a block that is not the file's last whose final record is still inside quotes
    (the row loop finds that cut with its end row).
    """
    if width < 2 or len(delimiter) != 1 or not delimiter.isascii() or delimiter in '"\r\n':
        return None
    if text.startswith("\ufeff"):
        return None
    if codecs.lookup(encoding).name != "utf-8":
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:  # a codec that decodes to lone surrogates
            return None
    if not last and not data.endswith(b"\n"):
        return None  # not cut as iter_csv_blocks cuts
    names = [str(i) for i in range(width)]  # the block has no header
    wanted = [names[i] for i in fields]
    table = read_text_columns(data, delimiter, names, [*dict.fromkeys([*wanted, names[-1]])])
    if table is None or table.num_rows == 0:
        return None
    if not last:
        final = table.column(names[-1])[-1].as_py()
        if final is not None and final.endswith("\n"):
            return None  # perhaps a quote left open at the cut, as the row loop would see
    lines = one_line_rows(data, table.num_rows, first_line)
    if lines is None:  # line ends inside quoted values, or blank lines between rows
        every = read_text_columns(data, delimiter, names, names)
        lines = spanned_lines(every, data, first_line)
        if lines is None:
            return None
    return [table.column(name).combine_chunks() for name in wanted], lines
