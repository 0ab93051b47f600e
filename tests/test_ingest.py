"""Reading extracts: encodings, malformed rows set aside with their line, Parquet, chunks."""

from __future__ import annotations

import codecs
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker import columns as C
from linker import ingest
from linker.errors import ConfigError
from linker.ingest import (
    Chunk,
    CsvLayout,
    RawBlock,
    RowsFrom,
    detect_encoding,
    iter_chunks,
    iter_csv_blocks,
    iter_csv_rows,
    parse_block,
    read_csv_layout,
    rejects_frame,
)
from linker.mapping import load_mapping
from linker.standardize.records import standardize_chunk

MAPPING = """
[[sources]]
name = "ice"
path = "{file}"
key = "CASE"
{encoding}
  [sources.fields]
  full_name = "NAME"
  dob = "DOB"
"""


def source_for(tmp_path: Path, file: str, encoding: str | None = None):
    enc = f'encoding = "{encoding}"' if encoding else ""
    path = tmp_path / "m.toml"
    path.write_text(MAPPING.format(file=file, encoding=enc), encoding="utf-8")
    return load_mapping(path).sources[0]


def read_all(source, chunk_rows: int = 1000):
    chunks = list(iter_chunks(source, chunk_rows=chunk_rows))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    rejects = [r for c in chunks for r in c.rejects]
    return frame, rejects, sum(c.rows_read for c in chunks)


ROWS = 'CASE,NAME,DOB\nI-1,"PÉREZ, JOSÉ",2001-02-03\nI-2,"NÚÑEZ, MARÍA",1999-12-31\n'


@pytest.mark.parametrize(
    ("encoding_written", "declared", "expected"),
    [
        ("utf-8", None, "utf-8"),
        ("utf-8-sig", None, "utf-8-sig"),
        ("utf-8-sig", "utf-8", "utf-8-sig"),
        ("cp1252", None, "cp1252"),
        ("cp1252", "cp1252", "cp1252"),
        ("latin-1", "latin-1", "latin-1"),
        # Excel's "Unicode text": UTF-16 with a byte-order mark, declared or not
        ("utf-16", None, "utf-16"),
        ("utf-16", "utf-16-le", "utf-16"),
        ("utf-32", None, "utf-32"),
    ],
)
def test_encodings_read_accented_names(
    tmp_path: Path, encoding_written: str, declared: str | None, expected: str
) -> None:
    (tmp_path / "ice.csv").write_bytes(ROWS.encode(encoding_written))
    source = source_for(tmp_path, "ice.csv", declared)
    assert codec(detect_encoding(source.path, source.encoding)) == codec(expected)
    frame, rejects, read = read_all(source)
    assert rejects == [] and read == 2
    assert frame["NAME"].tolist() == ["PÉREZ, JOSÉ", "NÚÑEZ, MARÍA"]
    assert frame["CASE"].tolist() == ["I-1", "I-2"]  # BOM not glued to the first header
    assert frame[C.LINE].tolist() == [2, 3]


def codec(name: str) -> str:
    import codecs

    return codecs.lookup(name).name


def test_undetected_cp1252_sniffed_from_later_bytes(tmp_path: Path) -> None:
    body = "CASE,NAME,DOB\n" + "".join(
        f'I-{i},"LOPEZ, ANA",2001-01-0{i % 9 + 1}\n' for i in range(50)
    )
    body += 'I-99,"MUÑOZ, JOSÉ",2001-02-03\n'
    (tmp_path / "ice.csv").write_bytes(body.encode("cp1252"))
    frame, rejects, _ = read_all(source_for(tmp_path, "ice.csv"))
    assert rejects == []
    assert frame["NAME"].iloc[-1] == "MUÑOZ, JOSÉ"


def test_malformed_rows_go_to_rejects_with_line_and_rest_is_ingested(tmp_path: Path) -> None:
    text = (
        "CASE,NAME,DOB\n"
        'I-1,"PEREZ, JOSE",2001-02-03\n'
        'I-2,"LOPEZ, ANA",2001-02-03,EXTRA\n'  # line 3: one field too many
        "\n"  # blank line 4: skipped, not a reject
        'I-3,"GARCIA, LUIS",2000-01-01\n'
        ',"NO KEY",2000-01-01\n'  # line 6: empty key
        'I-1,"DUPLICATE",2000-01-01\n'  # line 7: repeated key
        'I-4,"CRUZ, EVA",1990-05-05\n'
    )
    (tmp_path / "ice.csv").write_text(text, encoding="utf-8")
    frame, rejects, read = read_all(source_for(tmp_path, "ice.csv"))
    assert frame["CASE"].tolist() == ["I-1", "I-3", "I-4"]
    assert frame[C.LINE].tolist() == [2, 5, 8]
    by_line = {r.line: r for r in rejects}
    assert set(by_line) == {3, 6, 7}
    assert "expected 3 fields, found 4" in by_line[3].reason
    assert by_line[3].raw.startswith("I-2")  # the row's text is kept: nothing lost
    assert by_line[6].column == "CASE" and by_line[6].reason == "empty key"
    assert by_line[7].column == "CASE" and "duplicate key" in by_line[7].reason
    assert all(r.file.endswith("ice.csv") and r.source == "ice" for r in rejects)
    assert read == 6
    table = rejects_frame(rejects)
    assert list(table.columns) == ["source", "file", "line", "column", "reason", "raw"]


def test_undecodable_bytes_reject_only_that_row_naming_the_column(tmp_path: Path) -> None:
    good = 'CASE,NAME,DOB\nI-1,"PEREZ, JOSE",2001-02-03\n'.encode()
    bad = b'I-2,"MU\xd1OZ, ANA",2001-02-03\n'  # cp1252 byte in a utf-8 declared file
    tail = 'I-3,"CRUZ, EVA",1990-05-05\n'.encode()
    (tmp_path / "ice.csv").write_bytes(good + bad + tail)
    frame, rejects, _ = read_all(source_for(tmp_path, "ice.csv", "utf-8"))
    assert frame["CASE"].tolist() == ["I-1", "I-3"]
    (reject,) = rejects
    assert (reject.line, reject.column) == (3, "NAME")
    assert "not valid utf-8" in reject.reason and "cp1252" in reject.reason


def test_unclosed_quote_is_one_reject_spanning_lines(tmp_path: Path) -> None:
    text = 'CASE,NAME,DOB\nI-1,"PEREZ, JOSE,2001-02-03\nI-2,"LOPEZ, ANA",2001-02-03\n'
    (tmp_path / "ice.csv").write_text(text, encoding="utf-8")
    frame, rejects, _ = read_all(source_for(tmp_path, "ice.csv"))
    assert len(rejects) == 1 and rejects[0].line == 2
    assert "found" in rejects[0].reason
    assert frame.empty or "I-1" not in frame["CASE"].tolist()


def test_a_quote_never_closed_sets_aside_only_its_line(tmp_path: Path) -> None:
    # Read as csv.reader reads it, I-3's quote would swallow every line up to the quote
    # in I-7 (one reject, four records lost); with it taken literally, I-3 alone has the
    # file's width, so only its line is set aside.
    rows = [f"I-{i},PEREZ JOSE,2001-01-0{i}\n" for i in range(1, 9)]
    rows[2] = 'I-3,"PEREZ JOSE,2001-01-03\n'
    rows[6] = 'I-7,"LOPEZ, ANA",2001-01-07\n'
    (tmp_path / "ice.csv").write_text("CASE,NAME,DOB\n" + "".join(rows), encoding="utf-8")
    source = source_for(tmp_path, "ice.csv")
    for chunk_rows in (1000, 3, 1):  # one block; blocks cut around and inside the quote
        frame, rejects, read = read_all(source, chunk_rows=chunk_rows)
        assert [(r.line, r.reason, r.raw) for r in rejects] == [
            (4, ingest.UNCLOSED_QUOTE, 'I-3,"PEREZ JOSE,2001-01-03')
        ]
        assert frame["CASE"].tolist() == ["I-1", "I-2", "I-4", "I-5", "I-6", "I-7", "I-8"]
        assert frame[C.LINE].tolist() == [2, 3, 5, 6, 7, 8, 9]
        assert frame.loc[frame["CASE"] == "I-7", "NAME"].tolist() == ["LOPEZ, ANA"]
        assert read == 8
    expected, expected_rejects = row_by_row(source)
    pd.testing.assert_frame_equal(frame, expected)
    assert rejects == expected_rejects


def test_a_quote_never_closed_to_the_end_of_the_file_loses_no_later_row(tmp_path: Path) -> None:
    rows = [f"I-{i},PEREZ JOSE,2001-01-01\n" for i in range(40)]
    rows[5] = 'I-5,"PEREZ JOSE,2001-01-01\n'  # no quote after it: it runs to the end
    (tmp_path / "ice.csv").write_text("CASE,NAME,DOB\n" + "".join(rows), encoding="utf-8")
    frame, rejects, read = read_all(source_for(tmp_path, "ice.csv"), chunk_rows=7)
    assert [r.line for r in rejects] == [7] and read == 40
    assert len(frame) == 39 and "I-5" not in frame["CASE"].tolist()


def test_a_quoted_field_over_lines_in_a_row_too_wide_is_still_one_reject(tmp_path: Path) -> None:
    # The first line alone is short of fields: a real multi-line field, not a stray quote.
    text = 'CASE,NAME,DOB\nI-1,"PEREZ\nJOSE",2001-02-03,EXTRA\nI-2,LOPEZ ANA,2001-02-03\n'
    (tmp_path / "ice.csv").write_text(text, encoding="utf-8")
    frame, rejects, _ = read_all(source_for(tmp_path, "ice.csv"))
    (reject,) = rejects
    assert reject.line == 2 and "spans lines 2-3" in reject.reason
    assert frame["CASE"].tolist() == ["I-2"] and frame[C.LINE].tolist() == [4]


def test_chunks_keep_memory_flat_and_lines_right(tmp_path: Path) -> None:
    n = 2500
    body = "CASE,NAME,DOB\n" + "".join(f'I-{i},"X, Y",2001-01-01\n' for i in range(n))
    (tmp_path / "ice.csv").write_text(body, encoding="utf-8")
    chunks = list(iter_chunks(source_for(tmp_path, "ice.csv"), chunk_rows=1000))
    assert [len(c.frame) for c in chunks] == [1000, 1000, 500]
    assert chunks[2].frame[C.LINE].iloc[-1] == n + 1


def test_duplicate_keys_caught_across_chunks(tmp_path: Path) -> None:
    body = "CASE,NAME,DOB\n" + "".join(f'I-{i % 1500},"X, Y",2001-01-01\n' for i in range(2000))
    (tmp_path / "ice.csv").write_text(body, encoding="utf-8")
    frame, rejects, _ = read_all(source_for(tmp_path, "ice.csv"), chunk_rows=1000)
    assert len(frame) == 1500 and len(rejects) == 500
    assert frame["CASE"].is_unique


def test_parquet_extract_reads_with_dates_as_iso(tmp_path: Path) -> None:
    pd.DataFrame(
        {
            "CASE": ["I-1", "I-2"],
            "NAME": ["PÉREZ, JOSÉ", None],
            "DOB": pd.to_datetime(["2001-02-03", "1999-12-31"]),
        }
    ).to_parquet(tmp_path / "ice.parquet")
    frame, rejects, read = read_all(source_for(tmp_path, "ice.parquet"))
    assert read == 2 and rejects == []
    assert frame["DOB"].tolist() == ["2001-02-03", "1999-12-31"]
    assert frame["NAME"].tolist() == ["PÉREZ, JOSÉ", None]
    assert frame[C.LINE].tolist() == [1, 2]


def test_blank_values_become_none_and_whitespace_is_null_once_standardized(
    tmp_path: Path,
) -> None:
    (tmp_path / "ice.csv").write_text("CASE,NAME,DOB\nI-1,   ,\n", encoding="utf-8")
    source = source_for(tmp_path, "ice.csv")
    frame, _, _ = read_all(source)
    assert frame["DOB"].iloc[0] is None
    records, _ = standardize_chunk(frame, source)
    assert records[C.GIVEN_NAME].iloc[0] is None and records[C.FAMILY_NAME_1].iloc[0] is None


def test_missing_column_at_read_time_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "ice.csv").write_text("CASE,NAME\nI-1,X\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="column 'DOB' is not in"):
        read_all(source_for(tmp_path, "ice.csv"))


def row_by_row(source, chunk_rows: int = 1000):
    """The rows as csv.reader reads the whole file in one pass: the blocks' oracle."""
    layout = read_csv_layout(source)
    chunks = list(iter_csv_rows(layout, RowsFrom(None, layout.header_lines + 1), chunk_rows))
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    return frame, [r for c in chunks for r in c.rejects]


def parsed_blocks(source, chunk_rows: int):
    layout = read_csv_layout(source)
    blocks = list(iter_csv_blocks(layout, chunk_rows))
    assert all(isinstance(b, RawBlock) for b in blocks)
    parsed = [parse_block(layout, b) for b in blocks]
    frame = pd.concat([chunk.frame for chunk, _ in parsed], ignore_index=True)
    return layout, blocks, frame, [r for chunk, _ in parsed for r in chunk.rejects], parsed


MULTILINE = (
    "CASE,NAME,DOB\r\n"
    'I-1,"PEREZ,\r\nJOSE",2001-02-03\r\n'  # a quoted field over two lines
    'I-2,"LOPEZ, ""LA\nNEGRA""\n ANA",2001-02-03\r\n'  # escaped quotes, three lines
    "I-3,CRUZ,2001-02-03,EXTRA\r\n"
    "\r\n"
    'I-4,"GARCIA\rLUIS",2000-01-01\r\n'  # a lone carriage return is a line too
    "I-5,DIAZ,1990-05-05"  # no newline at the end of the file
)


@pytest.mark.parametrize("chunk_rows", [1, 2, 3, 1000])
def test_blocks_are_cut_between_records_never_inside_quotes(
    tmp_path: Path, chunk_rows: int
) -> None:
    (tmp_path / "ice.csv").write_bytes(MULTILINE.encode())
    source = source_for(tmp_path, "ice.csv")
    layout, blocks, frame, rejects, parsed = parsed_blocks(source, chunk_rows)
    assert all(whole for _, whole in parsed)
    assert b"".join(b.data for b in blocks) == MULTILINE.encode()[layout.body_offset :]
    assert [b.last for b in blocks] == [False] * (len(blocks) - 1) + [True]
    if chunk_rows == 1:
        assert [b.first_line for b in blocks] == [2, 4, 7, 8, 9, 11]
    expected, expected_rejects = row_by_row(source)
    pd.testing.assert_frame_equal(frame, expected)
    assert rejects == expected_rejects
    assert frame["NAME"].tolist() == [
        "PEREZ,\r\nJOSE",
        'LOPEZ, "LA\nNEGRA"\n ANA',
        "GARCIA\rLUIS",
        "DIAZ",
    ]
    assert frame[C.LINE].tolist() == [2, 4, 9, 11]
    assert [(r.line, r.reason) for r in rejects] == [(7, "expected 3 fields, found 4")]


@pytest.mark.parametrize(
    ("bytes_after", "sizes"),
    [
        # less than four blocks left: quarter blocks to the end
        (0, [8, 8, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]),
        (10_000, [8, 8, 8, 8, 8]),  # another extract follows: its blocks end the run
        (None, [8, 8, 8, 8, 8]),  # not for workers: blocks of chunk_rows to the end
    ],
)
def test_the_blocks_that_end_the_run_are_cut_smaller(
    tmp_path: Path, bytes_after: int | None, sizes: list[int]
) -> None:
    rows = [f'I-{i:03d},"LOPEZ\nANA",2001-01-01\n' for i in range(40)]
    text = "CASE,NAME,DOB\n" + "".join(rows)
    (tmp_path / "ice.csv").write_text(text, encoding="utf-8")
    layout = read_csv_layout(source_for(tmp_path, "ice.csv"))
    blocks = list(iter_csv_blocks(layout, 8, bytes_after=bytes_after))
    assert [b.data.count(b"I-") for b in blocks] == sizes
    assert b"".join(b.data for b in blocks) == text.encode()[layout.body_offset :]


def test_a_quote_in_an_unquoted_field_sends_the_rest_row_by_row(tmp_path: Path) -> None:
    rows = [f'I-{i},"X, Y",2001-01-01\n' for i in range(12)]
    rows[4] = 'I-4,JOSE "PEPE,2001-01-01\n'  # a literal quote: parity is wrong from here
    rows[6] = 'I-6,"LOPEZ\nANA",2001-01-01\n'  # so this newline looks like a record end
    text = "CASE,NAME,DOB\n" + "".join(rows)
    (tmp_path / "ice.csv").write_text(text, encoding="utf-8")
    source = source_for(tmp_path, "ice.csv")
    _, blocks, _, _, parsed = parsed_blocks(source, 5)
    # The 5th record end the parity sees is inside I-6's quotes: that block knows it.
    assert [whole for _, whole in parsed] == [False, True]
    assert blocks[0].data.endswith(b'I-6,"LOPEZ\n')
    frame, rejects, read = read_all(source, chunk_rows=5)
    expected, expected_rejects = row_by_row(source)
    pd.testing.assert_frame_equal(frame, expected)
    assert rejects == expected_rejects == [] and read == 12
    assert frame.loc[frame["CASE"] == "I-6", "NAME"].tolist() == ["LOPEZ\nANA"]
    assert frame[C.LINE].iloc[-1] == 14


def test_a_big_endian_utf16_mark_is_read_without_a_declared_encoding(tmp_path: Path) -> None:
    (tmp_path / "ice.csv").write_bytes(codecs.BOM_UTF16_BE + ROWS.encode("utf-16-be"))
    source = source_for(tmp_path, "ice.csv")
    assert detect_encoding(source.path) == "utf-16"
    frame, rejects, read = read_all(source)
    assert rejects == [] and read == 2
    assert frame["CASE"].tolist() == ["I-1", "I-2"]
    assert frame["NAME"].tolist() == ["PÉREZ, JOSÉ", "NÚÑEZ, MARÍA"]


def test_a_declared_encoding_of_another_family_wins_over_a_mark(tmp_path: Path) -> None:
    (tmp_path / "ice.csv").write_bytes(ROWS.encode("utf-16"))
    assert detect_encoding(tmp_path / "ice.csv", "cp1252") == "cp1252"


def test_an_encoding_with_wide_newlines_is_read_row_by_row(tmp_path: Path) -> None:
    (tmp_path / "ice.csv").write_bytes(ROWS.encode("utf-16"))
    source = source_for(tmp_path, "ice.csv", "utf-16")
    assert read_csv_layout(source).body_offset is None
    frame, rejects, read = read_all(source)
    assert rejects == [] and read == 2
    assert frame["NAME"].tolist() == ["PÉREZ, JOSÉ", "NÚÑEZ, MARÍA"]
    assert frame[C.LINE].tolist() == [2, 3]


def test_bad_bytes_in_a_later_block_keep_their_line(tmp_path: Path) -> None:
    body = "".join(f'I-{i},"PEREZ, JOSE",2001-02-03\n' for i in range(10)).encode()
    body += b'I-10,"MU\xd1OZ, ANA",2001-02-03\n'
    (tmp_path / "ice.csv").write_bytes(b"CASE,NAME,DOB\n" + body)
    source = source_for(tmp_path, "ice.csv", "utf-8")
    frame, rejects, _ = read_all(source, chunk_rows=3)
    assert len(frame) == 10
    (reject,) = rejects
    assert (reject.line, reject.column) == (12, "NAME") and "not valid utf-8" in reject.reason
    assert rejects == row_by_row(source)[1]


# --- the Arrow path: the row loop's chunk exactly, or it declines ------------------------


def block_layout(encoding: str = "utf-8", delimiter: str = ",", width: int = 4) -> CsvLayout:
    """CASE, NAME, DOB mapped; a fourth, unmapped NOTE column last (Arrow reads it only
    to see whether a quote is left open at the cut)."""
    positions = {"CASE": 0, "NAME": 1, "DOB": 2} if width > 2 else {"CASE": 0}
    return CsvLayout("ice", "ice.csv", encoding, encoding, delimiter, width, positions, 1, 20)


def both_paths(
    layout: CsvLayout, body: bytes, last: bool
) -> tuple[tuple[Chunk, bool] | None, tuple[Chunk, bool]]:
    block = RawBlock(body, 20, 2, last)
    text = body.decode(layout.body_encoding)
    return ingest._parse_arrow(layout, block, text), ingest._parse_rows(
        layout, block, text, undecoded=False
    )


def assert_same_chunk(got: tuple[Chunk, bool], expected: tuple[Chunk, bool]) -> None:
    pd.testing.assert_frame_equal(got[0].frame, expected[0].frame)
    assert got[0].rejects == expected[0].rejects
    assert (got[0].rows_read, got[1]) == (expected[0].rows_read, expected[1])


BLOCKS_ARROW_READS = [
    pytest.param("I-1,ANA,d1,x\nI-2,LUIS,d2,y\n", False, [2, 3], id="lf"),
    pytest.param("I-1,ANA,d1,x\r\nI-2,LUIS,d2,y\r\n", False, [2, 3], id="crlf"),
    pytest.param("I-1,ANA,d1,x\rI-2,LUIS,d2,y\r", True, [2, 3], id="lone-cr"),
    pytest.param("I-1,A,d,x\r\nI-2,B,d,y\nI-3,C,d,z\rI-4,D,d,w\n", False, [2, 3, 4, 5], id="mixed"),
    pytest.param("I-1,A,d,x\nI-2,B,d,y", True, [2, 3], id="no-final-newline"),
    pytest.param(
        'I-1,"PEREZ,\r\nJOSE",d,x\nI-2,"A\nB\rC",d,"n1\nn2"\nI-3,C,d,z\n',
        False,
        [2, 4, 8],
        id="quoted-line-ends",
    ),
    pytest.param('I-1,"LOPEZ, ""LA NEGRA"" ANA",d,""""\n', False, [2], id="doubled-quotes"),
    pytest.param(
        'I-1,JOSE "PEPE" X,d,x\nI-2,JOSE "PEPE,d,x\n', False, [2, 3], id="quote-in-unquoted"
    ),
    pytest.param('I-1,"ANA"MARIA,d,"x"""y\n', False, [2], id="text-after-closing-quote"),
    pytest.param('I-1,"ANA" ,d,"x" \n', False, [2], id="space-after-closing-quote"),
    pytest.param('I-1, "ANA",d, x\n', False, [2], id="space-before-opening-quote"),
    pytest.param('I-1,,"",\nI-2,"",,""\n,,,\n', False, [2, 3, 4], id="empty-and-quoted-empty"),
    pytest.param("I-1,NA,NULL,nan\nI-2,N/A,null,NaN\n", False, [2, 3], id="null-words-stay"),
    pytest.param("I-1,   ,\t,x\n", False, [2], id="whitespace-values"),
    pytest.param("I-1,A\x00B\x85C\u2028D\x0bE,d,x\n", False, [2], id="control-chars"),
    pytest.param("I-1,MUÑOZ JOSÉ 🙂,d,x\n", False, [2], id="accents-emoji"),
    pytest.param("I-1,\ufeffANA,d,x\n\ufeffI-2,B,d,y\n", False, [2, 3], id="bom-later"),
    pytest.param("I-1,A,d,x\n\n\r\n", True, [2], id="trailing-blank-lines"),
    pytest.param('I-1,A,d,"open\nstill', True, [2], id="quote-open-at-eof"),
    pytest.param('I-1,A,d,"open\n\n', True, [2], id="quote-open-at-eof-newlines"),
]


@pytest.mark.parametrize(("body", "last", "lines"), BLOCKS_ARROW_READS)
def test_arrow_path_gives_the_row_loops_chunk(body: str, last: bool, lines: list[int]) -> None:
    layout = block_layout()
    fast, slow = both_paths(layout, body.encode(), last)
    assert fast is not None, "the Arrow path declined a block it can read"
    assert_same_chunk(fast, slow)
    assert fast[0].frame[C.LINE].tolist() == lines
    assert_same_chunk(parse_block(layout, RawBlock(body.encode(), 20, 2, last)), slow)


def test_arrow_path_values_empty_cells_none_and_text_kept_as_is() -> None:
    body = 'I-1,,"",x\nI-2," a ""b"" ","NA",y\nI-3,"c\r\nd"e,   ,z\n'
    fast, _ = both_paths(block_layout(), body.encode(), last=False)
    assert fast is not None
    frame = fast[0].frame
    assert list(frame.columns) == ["CASE", "NAME", "DOB", C.LINE]
    assert frame["NAME"].tolist() == [None, ' a "b" ', "c\r\nde"]
    assert frame["DOB"].tolist() == [None, "NA", "   "]
    assert frame[C.LINE].tolist() == [2, 3, 4]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "body"),
    [
        ("cp1252", ",", 'I-1,"MUÑOZ, JOSÉ",d,€ – ‘x’\nI-2,"A\r\nB",d,y\n'),
        ("latin-1", ",", "I-1,NÚÑEZ,d,\xa0x\n"),
        ("utf-8", ";", 'I-1;"A;B";d;x\nI-2;A,B;d;y\n'),
        ("utf-8", "\t", 'I-1\t"A\tB"\td\tx\nI-2\tA B\td\ty\n'),
        ("utf-8", "|", 'I-1|"A|B"|d|x\n'),
    ],
)
def test_arrow_path_reads_code_pages_and_other_delimiters(
    encoding: str, delimiter: str, body: str
) -> None:
    layout = block_layout(encoding, delimiter)
    fast, slow = both_paths(layout, body.encode(encoding), last=False)
    assert fast is not None
    assert_same_chunk(fast, slow)


BLOCKS_ARROW_DECLINES = [
    pytest.param("I-1,A,d,x\n\nI-2,B,d,y\n", False, ",", 4, id="blank-line-between"),
    pytest.param("\nI-1,A,d,x\n", False, ",", 4, id="blank-line-first"),
    pytest.param("I-1,A,d,x\n   \nI-2,B,d,y\n", False, ",", 4, id="whitespace-line"),
    pytest.param('I-1,"A\nB",d,x\n\nI-2,B,d,y\n', False, ",", 4, id="blank-and-quoted-newline"),
    pytest.param("I-1,A,d,x,EXTRA\nI-2,B,d,y\n", False, ",", 4, id="too-many-fields"),
    pytest.param("I-1,A,d,x\nI-2,B,d\n", False, ",", 4, id="too-few-fields"),
    pytest.param("\ufeffI-1,A,d,x\n", False, ",", 4, id="leading-bom"),
    pytest.param('I-1,A,d,"open\n', False, ",", 4, id="quote-open-at-cut"),
    pytest.param('I-1,A,d,"x\n"\n', False, ",", 4, id="quoted-newline-last-at-cut"),
    pytest.param('I-1,A,d,x\n\nI-2,B,d,"\n', True, ",", 4, id="blank-line-and-quote-open-at-eof"),
    pytest.param("I-1,A,d,x", False, ",", 4, id="cut-without-newline"),
    pytest.param("I-1¦A¦d¦x\n", False, "¦", 4, id="non-ascii-delimiter"),
    pytest.param("I-1,A\n  \n", True, ",", 2, id="whitespace-line-two-columns"),
    pytest.param("I-1\n  \n", True, ",", 1, id="one-column"),
]


@pytest.mark.parametrize(("body", "last", "delimiter", "width"), BLOCKS_ARROW_DECLINES)
def test_arrow_path_declines_what_it_cannot_prove(
    body: str, last: bool, delimiter: str, width: int
) -> None:
    layout = block_layout(delimiter=delimiter, width=width)
    fast, slow = both_paths(layout, body.encode(), last)
    assert fast is None
    assert_same_chunk(parse_block(layout, RawBlock(body.encode(), 20, 2, last)), slow)


def test_undecodable_block_goes_to_the_row_loop_with_its_rejects() -> None:
    layout = block_layout()
    body = b"I-1,ANA,d,x\nI-2,MU\xd1OZ,d,y\n"
    chunk, whole = parse_block(layout, RawBlock(body, 20, 2, False))
    assert whole and chunk.frame["CASE"].tolist() == ["I-1"]
    assert [(r.line, r.column) for r in chunk.rejects] == [(3, "NAME")]


_TRICKY = ["", " ", "ANA", "NA", "a,b", "a;b", 'say "hi"', '"', '""', "\n", "\r\n", "\r"]
_TRICKY += ["x\ny", " lead", "trail ", "\x00", "é", "€", "\t"]
_CHARS = 'ab "\r\n,;\t\x00é€'


@st.composite
def csv_text(draw: st.DrawFn, extra_chars: str, delimiter: str) -> tuple[str, bool]:
    """Rows of tricky fields, most well quoted, some raw or with text around the quotes;
    now and then a row of another width or a blank line; any line ends."""
    value = st.one_of(st.sampled_from(_TRICKY), st.text(_CHARS + extra_chars, max_size=6))
    style = st.sampled_from(["quoted"] * 6 + ["raw", "after", "before"])
    width = st.sampled_from([4] * 10 + [3, 5])
    lines = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 19)) == 0:
            lines.append(draw(st.sampled_from(["", " "])))
        fields = []
        for v in draw(st.lists(value, min_size=(n := draw(width)), max_size=n)):
            quoted = '"' + v.replace('"', '""') + '"'
            fields.append(
                {"quoted": quoted, "raw": v, "after": quoted + v, "before": v + quoted}[draw(style)]
            )
        lines.append(delimiter.join(fields))
    ends = st.sampled_from(["\n", "\r\n", "\r"])
    text = "".join(line + draw(ends) for line in lines)
    last = draw(st.booleans())
    if last and draw(st.booleans()):
        text = text.rstrip("\r\n")
    elif not last:
        text = text.rstrip("\r\n") + "\n"  # blocks not last are cut after a newline
    return text, last


@pytest.mark.parametrize(
    ("encoding", "delimiter", "extra_chars"),
    [("utf-8", ",", "\ufeff\u2028🙂"), ("cp1252", ";", "ÑŽ")],
)
@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_arrow_path_declines_or_equals_the_row_loop(
    encoding: str, delimiter: str, extra_chars: str, data: st.DataObject
) -> None:
    text, last = data.draw(csv_text(extra_chars, delimiter))
    layout = block_layout(encoding, delimiter)
    fast, slow = both_paths(layout, text.encode(encoding), last)
    if fast is not None:
        assert_same_chunk(fast, slow)


def test_clean_blocks_go_through_arrow_and_messy_ones_through_the_row_loop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [f'I-{i},"PEREZ, JOSE {i}",2001-02-03\r\n' for i in range(40)]
    rows[3] = 'I-3,"PEREZ\nJOSE",2001-02-03\r\n'  # block 1: a quoted newline, read by Arrow
    rows[12] = "I-12,LOPEZ,2001-02-03,EXTRA\n"  # block 2: wrong width
    rows[25] = "\n"  # block 3: a blank line
    rows[33] = "I-1,REPEATED,2001-02-03\n"  # block 4: a repeated key, read by Arrow
    (tmp_path / "ice.csv").write_text("CASE,NAME,DOB\n" + "".join(rows), encoding="utf-8")
    source = source_for(tmp_path, "ice.csv")
    outcomes: list[bool] = []
    arrow = ingest._parse_arrow

    def spy(
        layout: CsvLayout, block: RawBlock, text: str, *more: object
    ) -> tuple[Chunk, bool] | None:
        parsed = arrow(layout, block, text, *more)
        outcomes.append(parsed is not None)
        return parsed

    monkeypatch.setattr(ingest, "_parse_arrow", spy)
    frame, rejects, read = read_all(source, chunk_rows=10)
    assert outcomes == [True, False, False, True]
    expected, expected_rejects = row_by_row(source)  # no key checks there
    repeated = expected["NAME"] == "REPEATED"
    pd.testing.assert_frame_equal(frame, expected[~repeated].reset_index(drop=True))
    assert rejects[:-1] == expected_rejects and read == 39
    # Lines count the quoted newline of row 3 (line 5 is its second line).
    assert [(r.line, r.column) for r in rejects] == [(15, ""), (36, "CASE")]
