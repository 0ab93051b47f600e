"""Two versions of the batch, head to head: `linker reconcile` of each, alternating.

Usage: python -m benchmarks.bench_ab BASE [NEW] [--records 1000000] [--seed 7]
       [--rounds 3] [--work DIR]

BASE and NEW are git revisions; NEW defaults to "." (this checkout as it is, uncommitted
changes included). Each revision is exported (`git archive`) into a folder of its own
and runs from there, with that folder first on PYTHONPATH and as the working directory:
`python -m` puts the working directory ahead of PYTHONPATH, so a run started from this
checkout would import this checkout's code whatever PYTHONPATH says (an A/B that
compares a version with itself). Each child checks which `linker` it imported.

Rounds alternate the order (base-new, then new-base) so that a machine slowing down or
warming up during the measurement does not favour one side. Printed per stage (from
each run's summary.json) and for the whole process: the median and the range over the
rounds, wall seconds, CPU seconds (user + system of the process and its workers, from
`wait4`) and peak memory as `bench_linkage` measures it (`bench_measure.watch_child`:
the run's process group, workers included, polled; a parent's peak carried into the
child's `ru_maxrss` would count the sample generation). On a shared
machine a single run's wall time moves by 10% or more, which hides most changes;
CPU time moves less, and the range says how far to trust a median.

Last, whether the two versions wrote the same entities, relations, review queue,
shared contacts and rejects, byte for byte: a speed change should say so.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import attrgetter
from pathlib import Path

from benchmarks.bench_linkage import sample_dataset
from benchmarks.bench_measure import watch_child

REPO = Path(__file__).resolve().parent.parent
CURRENT = "."
COMPARED_OUTPUTS = (
    "entities.csv",
    "relations.csv",
    "review_queue.csv",
    "shared_contacts.csv",
    "rejects.csv",
)
# Runs `linker reconcile` after checking that the code is the version's own.
_CHILD = (
    "import sys, linker; from pathlib import Path\n"
    "tree = Path(sys.argv.pop(1)).resolve()\n"
    "if not Path(linker.__file__).resolve().is_relative_to(tree):\n"
    "    sys.exit(f'imported {linker.__file__}, not the code in {tree}')\n"
    "from linker.cli import main\n"
    "sys.argv[0] = 'linker'\n"
    "main()\n"
)


@dataclass(frozen=True)
class Run:
    """One `linker reconcile` process as measured."""

    wall: float
    cpu: float
    peak_mb: float
    stages: dict[str, float]
    outputs: dict[str, str]  # file name -> sha256 of its bytes


@dataclass
class Arm:
    """One version under test and its runs."""

    label: str
    tree: Path
    runs: list[Run] = field(default_factory=list)


def export_revision(revision: str, into: Path) -> Path:
    """The files of `revision` (a commit, tag or branch) in a fresh folder under `into`;
    "." is this checkout itself, as it is."""
    if revision == CURRENT:
        return REPO
    commit = _git("rev-parse", "--verify", f"{revision}^{{commit}}").strip()
    folder = into / commit[:12]
    if not folder.is_dir():
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", commit],
            check=True,
            capture_output=True,
        ).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
    return folder


def run_reconcile(tree: Path, mapping: Path, out_dir: Path) -> Run:
    """`linker reconcile MAPPING --out OUT_DIR --quiet` with the code in `tree`."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, "-c", _CHILD, str(tree), "reconcile", str(mapping)]
    command += ["--out", str(out_dir), "--quiet"]
    out_dir.mkdir(parents=True, exist_ok=True)
    log_path = out_dir.with_name(out_dir.name + ".log")  # a file, not a pipe nobody reads
    started = time.perf_counter()
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            command, cwd=tree, env=env, stdout=log, stderr=log, start_new_session=True
        )
        watched = watch_child(child, started, math.inf, math.inf)
    wall = time.perf_counter() - started
    if watched.returncode != 0:
        error = log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        raise RuntimeError(f"reconcile with {tree} failed ({watched.returncode}):\n{error}")
    summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    return Run(
        wall=wall,
        cpu=watched.cpu_seconds,
        peak_mb=watched.peak_mb,
        stages={k: float(v) for k, v in summary["stage_seconds"].items()},
        outputs={
            name: hashlib.sha256((out_dir / name).read_bytes()).hexdigest()
            for name in COMPARED_OUTPUTS
            if (out_dir / name).is_file()
        },
    )


def alternate(arms: Sequence[Arm], mapping: Path, rounds: int, work: Path) -> None:
    """`rounds` runs of each arm, the order reversed every other round."""
    for round_number in range(rounds):
        order = arms if round_number % 2 == 0 else list(reversed(arms))
        for arm in order:
            out_dir = Path(tempfile.mkdtemp(prefix=f"ab-{arm.label}-", dir=work))
            run = run_reconcile(arm.tree, mapping, out_dir)
            arm.runs.append(run)
            print(
                f"round {round_number + 1} {arm.label}: {run.wall:.1f} s wall, {run.cpu:.1f} s CPU",
                flush=True,
            )
            _remove(out_dir)


def table(arms: Sequence[Arm]) -> str:
    """Markdown: per stage and in all, each arm's median [min-max] over its runs."""
    stages = list(dict.fromkeys(s for arm in arms for run in arm.runs for s in run.stages))
    rows: list[tuple[str, Callable[[Run], float]]] = [
        (f"{stage} (s)", partial(_stage_seconds, stage)) for stage in stages
    ]
    rows += [
        ("process wall (s)", attrgetter("wall")),
        ("process CPU (s)", attrgetter("cpu")),
        ("peak memory (MB)", attrgetter("peak_mb")),
    ]
    lines = [
        "| | " + " | ".join(arm.label for arm in arms) + " |",
        "| --- |" + " ---: |" * len(arms),
    ]
    for name, value in rows:
        cells = [_spread([value(run) for run in arm.runs]) for arm in arms]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def same_outputs(arms: Sequence[Arm]) -> list[str]:
    """The compared output files that are not byte-identical across every run."""
    runs = [run for arm in arms for run in arm.runs]
    names = dict.fromkeys(name for run in runs for name in run.outputs)
    return [name for name in names if len({run.outputs.get(name) for run in runs}) > 1]


def _stage_seconds(stage: str, run: Run) -> float:
    return run.stages.get(stage, math.nan)


def _spread(values: list[float]) -> str:
    values = [v for v in values if not math.isnan(v)]  # a stage this version lacks
    if not values:
        return ""
    digits = 0 if max(values) >= 1000 else 2 if max(values) < 1 else 1
    median = f"{statistics.median(values):,.{digits}f}"
    if len(values) == 1:
        return median
    return f"{median} [{min(values):,.{digits}f}-{max(values):,.{digits}f}]"


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(REPO), *args], check=True, capture_output=True, text=True
    ).stdout


def _remove(folder: Path) -> None:
    subprocess.run(["rm", "-rf", str(folder)], check=False)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A/B of two versions of linker reconcile")
    parser.add_argument("base", help="git revision of the baseline")
    parser.add_argument("new", nargs="?", default=CURRENT, help='revision, "." = this checkout')
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "linker-bench")
    args = parser.parse_args(argv)

    args.work.mkdir(parents=True, exist_ok=True)
    mapping = sample_dataset(args.work, args.records, args.seed).folder / "mapping.toml"
    scratch = Path(tempfile.mkdtemp(prefix="ab-trees-", dir=args.work))
    try:
        arms = [
            Arm(f"base {args.base}", export_revision(args.base, scratch)),
            Arm(f"new {args.new}", export_revision(args.new, scratch)),
        ]
        alternate(arms, mapping, args.rounds, scratch)
    finally:
        _remove(scratch)
    print()
    print(table(arms))
    differing = same_outputs(arms)
    print()
    if differing:
        print("outputs differ between runs: " + ", ".join(differing))
    else:
        print("outputs identical in every run: " + ", ".join(COMPARED_OUTPUTS))


if __name__ == "__main__":
    main()
