"""The standardize stage in worker processes: same records and rejects as one process.

The oracle is the plain reading: `iter_chunks` (keys checked before standardizing) and
`standardize_chunk` per chunk, numbered in order. The pipeline instead parses blocks in
workers and rejects keys seen in earlier chunks afterwards; every difference between
the two would be a bug.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import pickle
import subprocess
import time
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from linker import columns as C
from linker.ingest import iter_chunks
from linker.mapping import Mapping, load_mapping
from linker.standardize import pipeline, run, shared_tables
from linker.standardize.records import RECORD_DTYPES, FieldIssues, standardize_chunk
from linker.standardize.run import iter_standardized, record_schema, standardize_mapping
from linker.standardize.settle import date_orders, settle_readings, sex_codes
from linker.standardize.text import ARROW_TEXT

MAPPING = """
[[sources]]
name = "hhs"
path = "hhs.csv"
key = "REF"
encoding = "utf-8"
  [sources.fields]
  given_name = "FIRST"
  family_name = "LAST"
  dob = { column = "DOB", format = "%Y-%m-%d" }
  [[sources.related]]
  role = "sponsor"
  relation = "sponsor_of"
    [sources.related.fields]
    full_name = "SPONSOR"
    dob = { column = "SPONSOR_DOB", format = "%Y-%m-%d" }

[[sources]]
name = "ice"
path = "ice.csv"
key = "CASE"
encoding = "cp1252"
  [sources.fields]
  full_name = "NAME"
  dob = "DOB"

[[sources]]
name = "cbp"
path = "cbp.parquet"
key = "EVENT"
  [sources.fields]
  full_name = "NAME"
"""


def hhs_csv(rows: int) -> bytes:
    """Referrals with every kind of trouble, spread over many chunks of 20 records."""
    out = [b"REF,FIRST,LAST,DOB,SPONSOR,SPONSOR_DOB\r\n"]  # CRLF ends: lines still counted
    for i in range(rows):
        key = f"R-{i}"
        if i % 37 == 36:
            key = f"R-{i - 25}"  # repeats a key of an earlier chunk
        if i % 53 == 52:
            key = ""
        first = "ANA\r\nMARIA" if i % 41 == 3 else f"ANA{i % 7}"  # a quoted field on two lines
        dob = "2001-13-40" if i % 6 == 0 else f"19{80 + i % 20}-0{1 + i % 9}-1{i % 10}"
        sponsor = f'"PEREZ{i % 5}, JOSE"' if i % 2 else ""
        sponsor_dob = "1970-02-30" if i % 10 == 1 else "1970-02-03"
        line = f'{key},"{first}",LOPEZ,{dob},{sponsor},{sponsor_dob}'
        if i % 29 == 5:
            line += ",EXTRA"  # one field too many
        data = line.encode()
        if i == 151:
            data = data.replace(b"LOPEZ", b"L\xd1PEZ")  # not UTF-8
        out.append(data + b"\r\n")
        if i % 31 == 7:
            out.append(b"\r\n")  # blank line
    return b"".join(out)


def ice_csv(rows: int) -> bytes:
    """Releases in cp1252 where a quote inside an unquoted field fools quote parity."""
    out = ["CASE,NAME,DOB\n"]
    for i in range(rows):
        name = f'"NÚÑEZ, MARÍA{i}"'
        if i == 79:
            name = 'JOSE "PEPE PEREZ'  # one literal quote: parity is odd from here
        if i == 85:
            # Its newline looks like a record end to the parity, the 80th: a block of
            # 20 records is cut inside the quoted field.
            name = '"LOPEZ\nANA"'
        key = "I-3" if i == 95 else f"I-{i}"  # repeats a key accepted before the fallback
        out.append(f"{key},{name},2001-0{1 + i % 9}-0{1 + i % 9}\n")
    return "".join(out).encode("cp1252")


@pytest.fixture(scope="module")
def mapping(tmp_path_factory: pytest.TempPathFactory) -> Mapping:
    root = tmp_path_factory.mktemp("messy")
    (root / "hhs.csv").write_bytes(hhs_csv(400))
    (root / "ice.csv").write_bytes(ice_csv(120))
    pd.DataFrame({"EVENT": [f"E-{i % 45}" for i in range(50)], "NAME": ["X, Y"] * 50}).to_parquet(
        root / "cbp.parquet"
    )
    (root / "m.toml").write_text(MAPPING, encoding="utf-8")
    return load_mapping(root / "m.toml")


def one_process_reading(mapping: Mapping, chunk_rows: int):
    """Records, rejects and issues of the plain reading, the pipeline's oracle."""
    frames, rejects, issues = [], [], []
    for source in settle_readings(mapping).sources:
        found = FieldIssues()
        for chunk in iter_chunks(source, chunk_rows=chunk_rows):
            rejects.extend(chunk.rejects)
            if not chunk.frame.empty:
                records, more = standardize_chunk(chunk.frame, source)
                frames.append(records)
                found += more
        issues.append(found)
    records = pd.concat(frames, ignore_index=True)
    records[C.RECORD_ID] = np.arange(len(records), dtype=np.int64)
    return records, rejects, issues


def run_stage(mapping: Mapping, chunk_rows: int, workers: int):
    summary = run.StandardizeSummary([])
    frames, rejects = [], []
    for records, bad in iter_standardized(
        mapping, chunk_rows=chunk_rows, summary=summary, workers=workers, parallel_min_bytes=0
    ):
        frames.append(records)
        rejects.extend(bad)
    return pd.concat(frames, ignore_index=True), rejects, summary


@pytest.mark.parametrize("workers", [1, 2])
def test_pipeline_matches_one_process_reading(mapping: Mapping, workers: int) -> None:
    expected, expected_rejects, expected_issues = one_process_reading(mapping, 20)
    records, rejects, summary = run_stage(mapping, 20, workers)
    pd.testing.assert_frame_equal(records, expected)
    assert rejects == expected_rejects
    assert [s.dob_invalid for s in summary.sources] == [i.dob_invalid for i in expected_issues]
    # The file really had every kind of trouble the pipeline must get right.
    reasons = {(r.source, r.reason.split(" (")[0].split(";")[0]) for r in rejects}
    assert reasons >= {
        ("hhs", "duplicate key"),
        ("hhs", "empty key"),
        ("hhs", "expected 6 fields, found 7"),
        ("hhs", "bytes that are not valid utf-8"),
        ("ice", "duplicate key"),
        ("cbp", "duplicate key"),
    }
    assert records.loc[records[C.RECORD_KEY] == "R-3", C.GIVEN_NAME].tolist() == ["ANA MARIA"]
    ice = records[records[C.SOURCE] == "ice"].set_index(C.RECORD_KEY)[C.LINE]
    assert (ice["I-85"], ice["I-86"]) == (87, 89)


def test_pipeline_records_have_the_record_dtypes(mapping: Mapping) -> None:
    records, _, _ = run_stage(mapping, 20, 2)
    assert records.dtypes.astype(str).to_dict() == {c: RECORD_DTYPES[c] for c in records.columns}
    assert list(records.columns) == list(C.RECORD_COLUMNS)


def test_key_repeated_from_an_earlier_chunk_drops_the_whole_row(mapping: Mapping) -> None:
    records, rejects, summary = run_stage(mapping, 20, 2)
    # Row 36 (in the second chunk) repeats R-11 of the first; the header, row 3's second
    # line and a blank line put them at lines 40 and 15. Row 11 wins, its sponsor too.
    repeated = [r for r in rejects if r.source == "hhs" and r.reason.startswith("duplicate")]
    first = repeated[0]
    assert (first.line, first.column) == (40, "REF")
    hhs = records[records[C.SOURCE] == "hhs"]
    lines = hhs.loc[hhs[C.ROW_KEY] == "R-11", C.LINE].tolist()
    assert lines == [15, 15]  # primary and sponsor, both from the first row
    assert 40 not in set(hhs[C.LINE])
    assert hhs[C.RECORD_KEY].is_unique
    # The dropped row's impossible dates are not counted: every sixth DOB is impossible.
    assert summary.sources[0].dob_invalid == one_process_reading(mapping, 20)[2][0].dob_invalid


def test_a_dead_worker_costs_speed_not_the_run(
    mapping: Mapping, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def dying_pool(workers: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("fork")
        return ProcessPoolExecutor(workers, mp_context=context, initializer=os._exit, initargs=(3,))

    monkeypatch.setattr(run, "_process_pool", dying_pool)
    expected, expected_rejects, _ = one_process_reading(mapping, 20)
    with caplog.at_level(logging.WARNING, logger=pipeline.__name__):
        records, rejects, _ = run_stage(mapping, 20, 2)
    assert "continuing in one process" in caplog.text
    pd.testing.assert_frame_equal(records, expected)
    assert rejects == expected_rejects


def test_workers_send_records_through_the_spill_directory(
    mapping: Mapping, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    spill = tmp_path / "spill"
    spill.mkdir()
    read: list[Path] = []

    @contextlib.contextmanager
    def here(base: Path = spill) -> object:
        yield spill

    def counted(path: Path) -> pa.Table:
        assert path.parent == spill and path.is_file()
        read.append(path)
        return shared_tables.read_spilled(path)

    blocks: list[Path] = []

    def sent(data: bytes, directory: Path) -> Path | None:
        path = shared_tables.write_spilled_bytes(data, directory)
        assert path is not None and path.read_bytes() == data
        blocks.append(path)
        return path

    monkeypatch.setattr(run, "spill_directory", here)
    monkeypatch.setattr(pipeline, "read_spilled", counted)
    monkeypatch.setattr(pipeline, "write_spilled_bytes", sent)
    expected, expected_rejects, _ = one_process_reading(mapping, 20)
    records, rejects, _ = run_stage(mapping, 20, 2)
    pd.testing.assert_frame_equal(records, expected)
    assert rejects == expected_rejects
    # Every CSV block went to a worker as a file, and its records came back as one...
    assert len(read) >= 10 and len(blocks) >= 10
    assert list(spill.iterdir()) == []  # ...each gone once read


def test_a_spill_directory_that_cannot_be_written_falls_back_to_the_pipe(
    mapping: Mapping, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    @contextlib.contextmanager
    def gone(base: Path = tmp_path) -> object:
        yield tmp_path / "never-made"

    monkeypatch.setattr(run, "spill_directory", gone)
    expected, expected_rejects, _ = one_process_reading(mapping, 20)
    records, rejects, _ = run_stage(mapping, 20, 2)
    pd.testing.assert_frame_equal(records, expected)
    assert rejects == expected_rejects


def test_a_spilled_result_pickles_to_the_same_records_and_leaves_no_file(
    mapping: Mapping, tmp_path: Path
) -> None:
    records, _, _ = standardize_mapping(mapping, chunk_rows=20)
    table = pa.Table.from_pandas(records, schema=record_schema(), preserve_index=False)
    result = pipeline.Standardized(table, FieldIssues(3, 1), (), (), 7, spill=tmp_path)
    sent = pickle.dumps(result)
    assert len(sent) < table.nbytes / 10  # the path went, not the table
    assert len(list(tmp_path.iterdir())) == 1
    back = pickle.loads(sent)
    assert back.records.equals(table) and back.spill is None
    assert (back.issues, back.rows_read) == (FieldIssues(3, 1), 7)
    assert list(tmp_path.iterdir()) == []
    empty = pipeline.Standardized(table.slice(0, 0), FieldIssues(), (), (), 0, spill=tmp_path)
    assert pickle.loads(pickle.dumps(empty)).records.num_rows == 0
    assert list(tmp_path.iterdir()) == []  # nothing to spill: sent through the pipe


def test_spill_directory_needs_room_and_cleans_up(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with shared_tables.spill_directory(tmp_path) as spill:
        assert spill is not None and spill.parent == tmp_path
        (spill / "left-by-a-cancelled-task.arrow").write_bytes(b"x")
    assert list(tmp_path.iterdir()) == []
    with shared_tables.spill_directory(tmp_path / "missing") as spill:
        assert spill is None
    monkeypatch.setattr(shared_tables, "MIN_FREE_BYTES", 1 << 62)
    with shared_tables.spill_directory(tmp_path) as spill:
        assert spill is None  # a small /dev/shm (a container's 64 MiB) is not used


def test_spill_directory_removes_what_a_killed_run_left(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])  # a process that is gone: its pid names the orphan
    dead.wait()
    long_ago = time.time() - shared_tables.ORPHAN_AFTER_SECONDS - 60
    orphan = tmp_path / f"linker-{dead.pid}-abc"
    orphan.mkdir()
    (orphan / "raw-rows.arrow").write_bytes(b"personal data")
    os.utime(orphan, (long_ago, long_ago))
    recent = tmp_path / f"linker-{dead.pid}-def"  # written to lately: maybe a process
    recent.mkdir()  # this one cannot see (another container sharing /dev/shm)
    alive = tmp_path / f"linker-{os.getpid()}-xyz"  # a run in progress: left alone
    alive.mkdir()
    os.utime(alive, (long_ago, long_ago))
    with shared_tables.spill_directory(tmp_path) as spill:
        assert spill is not None and spill.name.startswith(f"linker-{os.getpid()}-")
        assert spill.stat().st_mode & 0o777 == 0o700
    assert not orphan.exists()
    assert recent.is_dir() and alive.is_dir()


def _address_workers() -> int:
    from linker.standardize import addresses

    return addresses._worker_count(None)


def test_standardize_workers_parse_addresses_without_a_pool_of_their_own() -> None:
    pool = run._process_pool(2)
    try:
        assert pool.submit(_address_workers).result() == 1
    finally:
        pool.shutdown()
    if len(os.sched_getaffinity(0)) > 1:  # this process keeps its CRF pool
        assert _address_workers() > 1


def test_parquet_written_by_the_thread_holds_every_record(mapping: Mapping, tmp_path: Path) -> None:
    keep = [C.RECORD_ID, C.RECORD_KEY, C.DOB_YEAR]
    records, rejects, summary = standardize_mapping(
        mapping, chunk_rows=20, records_path=tmp_path / "r.parquet", keep_in_memory=keep
    )
    written = pq.read_table(tmp_path / "r.parquet")
    assert written.schema.equals(record_schema())
    assert written.num_rows == summary.records == len(records)
    assert list(records.columns) == keep and records[C.DOB_YEAR].dtype == "Int16"
    full = run.records_frame(written)
    pd.testing.assert_frame_equal(full[keep], records)
    assert len(rejects) == summary.rejects > 0


def _plain_and_kept(
    mapping: Mapping, tmp_path: Path, keep: list[str], categories: list[str], **options: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every column as standardized, and the `keep` columns as the batch holds them
    (records streamed to Parquet, `categories` encoded at the end), chunks of 20."""
    plain, _, _ = standardize_mapping(mapping, chunk_rows=20, workers=2)
    records, _, _ = standardize_mapping(
        mapping,
        chunk_rows=20,
        records_path=tmp_path / "r.parquet",
        keep_in_memory=keep,
        categories=categories,
        workers=2,
        **options,
    )
    return plain, records


def test_kept_columns_come_back_in_order_with_categories(mapping: Mapping, tmp_path: Path) -> None:
    # category columns are encoded at the end, apart from the rest; the frame is put
    # back together in the order asked, each column as standardized
    keep = [C.RECORD_ID, C.GIVEN_NAME, C.RECORD_KEY, C.SEX, C.DOB_YEAR]
    plain, records = _plain_and_kept(mapping, tmp_path, keep, [C.GIVEN_NAME, C.SEX])
    assert list(records.columns) == keep and isinstance(records.index, pd.RangeIndex)
    assert records[C.GIVEN_NAME].dtype == "category" and records[C.SEX].dtype == "category"
    expected = plain[keep].astype({C.GIVEN_NAME: "category", C.SEX: "category"})
    pd.testing.assert_frame_equal(records, expected)


def test_text_kept_in_arrow_holds_the_same_values_in_one_array(
    mapping: Mapping, tmp_path: Path
) -> None:
    # The linkage keeps ids, names and references in Arrow; each column is one array
    # (later stages take it without copying) and reads as the object frame does.
    keep = [C.RECORD_ID, C.GIVEN_NAME, C.RECORD_KEY, C.FULL_NAME, C.RELATED_TO, C.A_NUMBER]
    plain, records = _plain_and_kept(mapping, tmp_path, keep, [C.GIVEN_NAME], text_in_arrow=True)
    assert list(records.columns) == keep
    assert records[C.GIVEN_NAME].dtype == "category"
    for name in (C.RECORD_KEY, C.FULL_NAME, C.RELATED_TO, C.A_NUMBER):
        assert records[name].dtype == ARROW_TEXT, name
        assert pa.Table.from_pandas(records[[name]]).column(0).num_chunks == 1, name
        assert records[name].isna().tolist() == plain[name].isna().tolist(), name
        assert records[name].dropna().tolist() == plain[name].dropna().tolist(), name
    assert plain[C.RELATED_TO].isna().any() and plain[C.RELATED_TO].notna().any()
    assert records[C.RECORD_ID].tolist() == plain[C.RECORD_ID].tolist()


@pytest.mark.parametrize("threads", [1, 3])
def test_records_frame_categories_are_astype_category(mapping: Mapping, threads: int) -> None:
    records, _, _ = standardize_mapping(mapping, chunk_rows=20)
    table = pa.Table.from_pandas(records, schema=record_schema(), preserve_index=False)
    columns = [C.GIVEN_NAME, C.DOB, C.SEX, "not_a_column"]
    chunked = pa.concat_tables([table.slice(0, 7), table.slice(7)])
    made = run.records_frame(chunked, columns, threads=threads)
    for name in columns[:-1]:
        expected = records[name].astype("category")
        assert list(made[name].cat.categories) == list(expected.cat.categories), name
        assert made[name].cat.codes.tolist() == expected.cat.codes.tolist(), name
    plain = [c for c in records.columns if c not in columns]
    pd.testing.assert_frame_equal(made[plain], records[plain])


record_texts = st.none() | st.text(st.sampled_from('aZé王 \x00\n"') | st.characters(codec="utf-8"))


@given(
    st.lists(st.tuples(record_texts, record_texts, record_texts), max_size=12),
    st.integers(min_value=1, max_value=4),
)
def test_records_frame_is_arrows_own_conversion(rows: list[tuple], cut: int) -> None:
    # Nearly unique text (keys, RAW) is converted without pandas' deduplication; the
    # frame must be the one `to_pandas` makes, None for null, in the table's order.
    keys, sexes, raws = ([row[k] for row in rows] for k in range(3))
    table = pa.table(
        {
            C.RECORD_KEY: pa.array(keys, pa.string()),
            C.SEX: pa.array(sexes, pa.string()),
            C.DOB_YEAR: pa.array([len(rows)] * len(rows), pa.int16()),
            C.RAW: pa.array(raws, pa.string()),
            C.RECORD_ID: pa.array(range(len(rows)), pa.int64()),
        }
    )
    table = pa.concat_tables([table.slice(0, cut), table.slice(cut)])  # chunked columns
    made = run.records_frame(table)
    expected = table.to_pandas(types_mapper={pa.int16(): pd.Int16Dtype()}.get)
    pd.testing.assert_frame_equal(made, expected)
    for name in (C.RECORD_KEY, C.SEX, C.RAW):
        assert [type(v) for v in made[name]] == [type(v) for v in expected[name]], name
    with_categories = run.records_frame(table, [C.RAW], text_in_arrow=True)
    assert with_categories[C.RAW].dtype == "category"
    assert with_categories[C.RECORD_KEY].dtype == ARROW_TEXT


def _referrals_with_sponsor(tmp_path: Path, rows: list[str], fields: str) -> Mapping:
    """An HHS-like extract of `rows` (columns K, NAME, SPONSOR_DOB and what `fields`
    maps), the child's fields as `fields` says, the sponsor's birth date month first."""
    (tmp_path / "hhs.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(
        f"""
[[sources]]
name = "hhs"
path = "hhs.csv"
key = "K"
  [sources.fields]
  full_name = "NAME"
  {fields}
  [[sources.related]]
  role = "sponsor"
  relation = "sponsor_of"
    [sources.related.fields]
    full_name = "NAME"
    dob = {{ column = "SPONSOR_DOB", format = "%m/%d/%Y" }}
""",
        encoding="utf-8",
    )
    return load_mapping(tmp_path / "m.toml")


def test_an_undeclared_date_order_is_the_extracts_in_every_chunk(tmp_path: Path) -> None:
    """Day-first dates with no format in the mapping: the extract's first rows settle the
    order, so a last chunk holding only 05/08/2010 still reads it as 5 August, in one
    process and in workers alike; a declared format is left as it is."""
    rows = ["K,NAME,DOB,SPONSOR_DOB", "1,ANA LOPEZ,17/02/1964,03/04/1970"]
    rows += [f"{i},ANA LOPEZ,25/12/1990,03/04/1970" for i in range(2, 5)]
    rows += ["6,ANA LOPEZ,05/08/2010,03/04/1970"]
    mapping = _referrals_with_sponsor(tmp_path, rows, 'dob = "DOB"')
    settled = settle_readings(mapping).sources[0]
    assert settled.field("dob").day_first is True
    assert settled.related[0].field("dob").day_first is None  # declared: not needed
    for workers in (1, 2):
        records, _, _ = run_stage(mapping, 2, workers)  # the last chunk is row 5 alone
        primary = records[records[C.ROLE] == C.PRIMARY_ROLE]
        assert primary[C.DOB].iloc[-1] == "2010-08-05"
        assert primary[C.DOB].iloc[0] == "1964-02-17"
        sponsors = records[records[C.ROLE] == "sponsor"]
        assert set(sponsors[C.DOB]) == {"1970-03-04"}  # the declared month-first order


@pytest.mark.parametrize(
    ("sex", "expected", "codes"),
    [
        ('"SEX"', ["M", "F", "M", "F", "F"], "spanish"),  # settled: H and M, no F
        ('{ column = "SEX", codes = "letters" }', [None, "M", None, "M", "M"], "letters"),
    ],
)
def test_a_sex_column_s_codes_are_the_extracts_in_every_chunk(
    tmp_path: Path, sex: str, expected: list[str | None], codes: str
) -> None:
    """A Mexican-style H/M column: its first rows settle that "M" is mujer, so a last
    chunk holding only "M" reads it so too, in one process and in workers alike. The
    summary keeps the codes, as a run does for the lookup of one new record."""
    rows = ["K,NAME,SEX", "1,ANA LOPEZ,H", "2,ANA LOPEZ,M", "3,ANA LOPEZ,H"]
    rows += ["4,ANA LOPEZ,M", "5,ANA LOPEZ,M"]
    (tmp_path / "cbp.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(
        f'[[sources]]\nname = "cbp"\npath = "cbp.csv"\nkey = "K"\n'
        f'  [sources.fields]\n  full_name = "NAME"\n  sex = {sex}\n',
        encoding="utf-8",
    )
    mapping = load_mapping(tmp_path / "m.toml")
    for workers in (1, 2):
        records, _, _ = run_stage(mapping, 2, workers)  # the last chunk is row 5 alone
        assert records[C.SEX].tolist() == expected
    assert sex_codes(settle_readings(mapping)) == {"cbp": codes}
    assert standardize_mapping(mapping)[2].sex_codes == {"cbp": codes}


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ('dob = "DOB"', {"hhs": {"dob": True}}),  # settled from 17/02/1964
        ('dob = { column = "DOB", format = "%d/%m/%Y" }', {"hhs": {"dob": True}}),
        ('dob = { column = "DOB", format = "%m/%d/%Y" }', {"hhs": {"dob": False}}),
        ('dob = { column = "DOB", format = "%Y-%m-%d" }', {"hhs": {"dob": False}}),
        ('dob = { column = "DOB", format = "%Y" }', {}),  # nothing to order
        (
            'dob = "DOB"\n  event_date = { column = "SEEN", format = "%d.%m.%Y" }',
            {"hhs": {"dob": True, "event_date": True}},
        ),
    ],
)
def test_the_summary_says_how_each_source_read_its_dates(
    tmp_path: Path, fields: str, expected: dict[str, dict[str, bool]]
) -> None:
    """What a lookup of one new record of the source follows: declared by the format,
    else settled from the values; the related persons' own dates do not count."""
    rows = ["K,NAME,DOB,SEEN,SPONSOR_DOB", "1,ANA LOPEZ,17/02/1964,03.04.2020,03/04/1970"]
    rows += ["2,ANA LOPEZ,05/08/2010,03.04.2020,03/04/1970"]
    mapping = _referrals_with_sponsor(tmp_path, rows, fields)
    assert date_orders(settle_readings(mapping)) == expected
    _, _, summary = standardize_mapping(mapping)
    assert summary.date_orders == expected
    assert [s["day_first"] for s in summary.to_dict()["sources"]] == [expected.get("hhs", {})]


def test_a_column_of_spreadsheet_serial_dates_is_read_so_in_every_chunk(tmp_path: Path) -> None:
    """DOBs exported as spreadsheet serial numbers: the extract's first rows settle that
    the column holds them, so a last chunk of two rows reads them too."""
    born = [date(1960, 1, 2) + timedelta(days=397 * i) for i in range(25)]
    serial = [(d - date(1899, 12, 30)).days for d in born]
    rows = ["K,NAME,DOB,EVENT"] + [
        f"{i},ANA LOPEZ,{n},{n + 12000}" for i, n in enumerate(serial, start=1)
    ]
    (tmp_path / "cbp.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tmp_path / "m.toml").write_text(
        """
[[sources]]
name = "cbp"
path = "cbp.csv"
key = "K"
  [sources.fields]
  full_name = "NAME"
  dob = "DOB"
  event_date = "EVENT"
""",
        encoding="utf-8",
    )
    mapping = load_mapping(tmp_path / "m.toml")
    assert settle_readings(mapping).sources[0].field("dob").serial is True
    for workers in (1, 2):
        records, _, _ = run_stage(mapping, 23, workers)  # the last chunk: two rows
        placeholder = [(d.month, d.day) == (1, 1) for d in born]  # 1 January: year only
        assert records[C.DOB].tolist() == [
            None if jan1 else d.isoformat() for d, jan1 in zip(born, placeholder, strict=True)
        ]
        assert records[C.DOB_YEAR].tolist() == [d.year for d in born]
        events = [(d + timedelta(days=12000)).isoformat() for d in born]
        assert records[C.EVENT_DATE].tolist() == events
