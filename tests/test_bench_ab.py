"""The A/B benchmark: each version runs its own code, and the table reads its runs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from benchmarks import bench_ab
from benchmarks.bench_ab import Arm, Run

REPO = Path(__file__).resolve().parent.parent


def _run(wall: float, stages: dict[str, float], entities: str = "a") -> Run:
    return Run(
        wall=wall, cpu=2 * wall, peak_mb=100.0, stages=stages, outputs={"entities.csv": entities}
    )


def test_table_gives_median_and_range_per_stage_and_arm() -> None:
    base = Arm(
        "base",
        Path("."),
        [_run(10, {"block": 4.0}), _run(12, {"block": 6.0}), _run(11, {"block": 5.5})],
    )
    new = Arm("new", Path("."), [_run(8, {"block": 3.0, "extra": 1.0})])
    text = bench_ab.table([base, new])
    lines = text.splitlines()
    assert lines[0] == "| | base | new |"
    assert "| block (s) | 5.5 [4.0-6.0] | 3.0 |" in lines
    assert "| extra (s) |  | 1.0 |" in lines  # a stage one version lacks: left blank
    assert "| process wall (s) | 11.0 [10.0-12.0] | 8.0 |" in lines
    assert "| process CPU (s) | 22.0 [20.0-24.0] | 16.0 |" in lines


def test_outputs_that_differ_between_any_two_runs_are_named() -> None:
    same = [Arm("a", Path("."), [_run(1, {})]), Arm("b", Path("."), [_run(1, {})])]
    assert bench_ab.same_outputs(same) == []
    differ = [Arm("a", Path("."), [_run(1, {})]), Arm("b", Path("."), [_run(1, {}, "b")])]
    assert bench_ab.same_outputs(differ) == ["entities.csv"]


def test_a_run_that_imports_other_code_than_its_tree_is_refused(tmp_path: Path) -> None:
    # An empty folder holds no linker: the child imports the installed one and must say so
    # rather than measure the wrong version.
    tree = tmp_path / "tree"
    tree.mkdir()
    with pytest.raises(RuntimeError, match="not the code in"):
        bench_ab.run_reconcile(tree, tmp_path / "mapping.toml", tmp_path / "out")


@pytest.mark.skipif(not (REPO / ".git").exists(), reason="needs the git repository")
def test_head_against_this_checkout_end_to_end(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = bench_ab.export_revision("HEAD", tmp_path)
    assert (exported / "linker" / "cli.py").is_file()
    assert exported != REPO
    head = subprocess.run(
        ["git", "-C", str(REPO), "show", "HEAD:linker/cli.py"], capture_output=True, check=True
    ).stdout
    assert (exported / "linker" / "cli.py").read_bytes() == head
    bench_ab.main(["HEAD", ".", "--records", "300", "--rounds", "1", "--work", str(tmp_path)])
    out = capsys.readouterr().out
    assert "round 1 base HEAD:" in out and "round 1 new .:" in out
    assert "| | base HEAD | new . |" in out
    for stage in ("standardize", "block", "compare", "cluster", "outputs"):
        assert f"| {stage} (s) |" in out
    peak = next(line for line in out.splitlines() if line.startswith("| peak memory (MB) |"))
    assert all(float(cell.replace(",", "")) > 50 for cell in peak.split("|")[2:4])
    assert "outputs identical in every run" in out or "outputs differ between runs" in out
    assert not list(tmp_path.glob("ab-trees-*"))  # the exports are removed
