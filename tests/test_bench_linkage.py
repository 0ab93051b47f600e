"""Smoke tests for the linkage benchmark's own machinery (no Splink needed).

The table formatting, the per-child measurement (time, memory, time limit, memory cap)
and one real run of our tool's runner on a slice of FEBRL 1, scored as the bench does.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from benchmarks import bench_measure
from benchmarks.bench_linkage import Dataset, bench_dataset, people_for, size_label
from benchmarks.bench_linkage_table import (
    HEADER,
    SKIPPED_SLOW,
    Limits,
    Row,
    footnotes_for,
    format_table,
)
from benchmarks.febrl import export_febrl

LIMITS = Limits(timeout_s=120, max_memory_mb=8_000, rl_max_records=200_000)


# --- table ----------------------------------------------------------------------------------
def test_table_has_header_alignment_and_formatted_cells() -> None:
    row = Row("febrl1", "linker", 1000, 2950, 1.0, 0.998, 0.99899, 0.99951, 3.456, 327.4, detail={})
    lines = format_table([row]).splitlines()
    assert lines[0] == "| " + " | ".join(HEADER) + " |"
    assert lines[1].count("---:") == len(HEADER) - 2
    assert lines[2] == (
        "| febrl1 | linker | 1,000 | 2,950 | 1.0000 | 0.9980 | 0.9990 | 0.9995 | 3.5 | 327 |"
    )


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            Row("sample ~1M", "recordlinkage", 995_972, note=SKIPPED_SLOW),
            f"| sample ~1M | recordlinkage | 995,972 | {SKIPPED_SLOW} |",
        ),
        (
            Row("sample ~1M", "splink", note="stopped after 1,800 s (time limit)"),
            "| sample ~1M | splink |  | stopped after 1,800 s (time limit) |",
        ),
    ],
)
def test_rows_without_results_keep_every_column(row: Row, expected: str) -> None:
    line = format_table([row]).splitlines()[2]
    assert line.startswith(expected)
    assert line.count("|") == len(HEADER) + 1


def test_footnotes_are_numbered_and_explain_the_skip_with_measured_rates() -> None:
    rows = [
        Row("sample ~10k", "recordlinkage", 10_000, 10_000, 1, 1, 1, 1, 2.0, 100.0),
        Row("sample ~1M", "linker", 1_000_000, 30_000_000, 1, 1, 1, 1, 500.0, 9000.0),
        Row("sample ~1M", "splink", 1_000_000, 15_000_000, 1, 1, 1, 1, 200.0, 5000.0),
        Row("sample ~1M", "recordlinkage", 1_000_000, note=SKIPPED_SLOW),
    ]
    notes = footnotes_for(rows, LIMITS)
    text = format_table(rows, notes)
    assert "\n1. Wall time" in text
    assert "5,000 pairs/s" in text  # 10,000 pairs in 2 s
    assert "15,000,000+ pairs" in text and "about 50 min" in text  # 15e6 / 5e3 s


def test_a_chained_entity_gets_a_footnote_naming_its_size() -> None:
    giant = {"largest_entity": 96_120, "largest_true_person": 11}
    normal = {"largest_entity": 11, "largest_true_person": 11}
    rows = [
        Row("sample ~1M", "splink", 1, 1, 0.0001, 1, 0.0002, 0.87, 1.0, 1.0, detail=giant),
        Row("sample ~1M", "linker", 1, 1, 1, 1, 1, 1, 1.0, 1.0, detail=normal),
    ]
    text = "\n".join(footnotes_for(rows, LIMITS))
    assert "splink on sample ~1M: one entity of 96,120 records" in text
    assert "linker on" not in text


def test_peak_memory_counts_worker_processes(child_module: str, tmp_path: Path) -> None:
    run = bench_measure.run_measured(
        child_module, ["worker", "300"], tmp_path / "w", timeout_s=60, max_memory_mb=4_000
    )
    assert run.status == "ok"
    assert run.result["peak_mb"] < 200  # the runner's own peak misses the worker ...
    assert run.process_peak_mb > 300  # ... the process group's does not


@pytest.mark.parametrize(
    ("size", "label", "people"),
    [(10_000, "10k", 5_814), (1_000_000, "1M", 580_000), (12_345, "12,345", 7_177)],
)
def test_sizes(size: int, label: str, people: int) -> None:
    assert size_label(size) == label
    assert people_for(size) == people


# --- measurement ----------------------------------------------------------------------------
def _write_module(tmp_path: Path, body: str) -> str:
    package = tmp_path / "fakebench"
    package.mkdir(exist_ok=True)
    (package / "__init__.py").write_text("", encoding="utf-8")
    (package / "child.py").write_text(body, encoding="utf-8")
    return "fakebench.child"


CHILD = """
import sys, time
from pathlib import Path
mode, out = sys.argv[1], Path(sys.argv[sys.argv.index("--out-dir") + 1])
if mode == "sleep":
    time.sleep(30)
if mode == "fail":
    raise SystemExit(3)
if mode == "worker":  # a worker process holds the memory; this one stays small
    import subprocess
    alloc = "import time; b = bytearray(%s * 2**20); b[::4096] = b'x' * len(b[::4096]); "
    alloc += "time.sleep(1)"
    subprocess.run([sys.executable, "-c", alloc % sys.argv[2]], check=True)
    sys.argv[2] = "1"
block = bytearray(int(sys.argv[2]) * 2**20)  # touch the pages
block[:: 4096] = b"x" * len(block[:: 4096])
time.sleep(0.4)  # long enough for the parent's poll to see the peak
import pandas as pd
from benchmarks.bench_measure import finish_run, peak_memory_mb
finish_run(out, tool="fake", entities=pd.DataFrame({"source": ["a"], "record_key": ["1"],
           "entity_id": [0]}), seconds=0.1, peak_mb=peak_memory_mb(), records=1,
           pairs_compared=0)
"""


@pytest.fixture
def child_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    module = _write_module(tmp_path, CHILD)
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    return module


def test_child_peak_memory_is_its_own(child_module: str, tmp_path: Path) -> None:
    big = bench_measure.run_measured(
        child_module, ["alloc", "200"], tmp_path / "b", timeout_s=60, max_memory_mb=4_000
    )
    small = bench_measure.run_measured(
        child_module, ["alloc", "10"], tmp_path / "a", timeout_s=60, max_memory_mb=4_000
    )
    assert small.status == big.status == "ok"
    # each child is measured alone: a small run after a big one stays small
    assert big.result["peak_mb"] - small.result["peak_mb"] > 150
    assert big.process_peak_mb - small.process_peak_mb > 150
    assert small.result["peak_mb"] < 200
    assert json.loads((tmp_path / "a" / bench_measure.RESULT_FILE).read_text())["tool"] == "fake"


@pytest.mark.parametrize(
    ("args", "timeout_s", "max_mb", "status"),
    [
        (["sleep"], 1.0, 4_000, "timeout"),
        (["alloc", "600"], 60, 300, "memory"),
        (["fail"], 60, 4_000, "failed"),
    ],
)
def test_runs_that_do_not_finish_are_reported(
    child_module: str, tmp_path: Path, args: list[str], timeout_s: float, max_mb: float, status: str
) -> None:
    m = bench_measure.run_measured(
        child_module, args, tmp_path / "x", timeout_s=timeout_s, max_memory_mb=max_mb
    )
    assert m.status == status
    assert m.result == {}
    assert m.message
    assert m.process_seconds < 30


# --- one real run of our tool ---------------------------------------------------------------
@pytest.fixture(scope="module")
def tiny_febrl1(tmp_path_factory: pytest.TempPathFactory) -> Dataset:
    """FEBRL 1 cut to its first 300 rows (and their truth), exported as the bench does."""
    root = tmp_path_factory.mktemp("febrl")
    folder = export_febrl("febrl1", root)
    frame = pd.read_csv(folder / "febrl1.csv", dtype=str).head(300)
    frame.to_csv(folder / "febrl1.csv", index=False)
    truth = pd.read_csv(folder / "truth" / "records.csv", dtype=str)
    truth[truth["record_key"].isin(frame["rec_id"])].to_csv(
        folder / "truth" / "records.csv", index=False
    )
    return Dataset("febrl1-300", folder, link_only=False)


def test_our_tool_runs_measured_and_scored(tiny_febrl1: Dataset, tmp_path: Path) -> None:
    rows = bench_dataset(tiny_febrl1, ["linker"], tmp_path, LIMITS)
    assert len(rows) == 1
    row = rows[0]
    assert row.note == "", row
    assert row.records == 300
    assert row.pairs_compared and row.pairs_compared > 0
    assert row.f1 is not None and row.f1 > 0.9
    assert row.bcubed_f1 is not None and row.bcubed_f1 > 0.9
    assert row.seconds is not None and 0 < row.seconds < 60
    assert row.peak_mb is not None and row.peak_mb > 50
    assert "standardize" in (row.detail or {})["stage_seconds"]
    records = pd.read_parquet(tmp_path / "records.parquet")
    assert len(records) == 300 and "raw" not in records.columns
