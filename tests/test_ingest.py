"""Reading extracts: encodings, malformed rows set aside with their line, Parquet, chunks."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linker import columns as C
from linker.errors import ConfigError
from linker.ingest import (
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
