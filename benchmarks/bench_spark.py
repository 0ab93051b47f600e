"""Local engine vs the Spark engine (local[2]) on large sample extracts.

    ./dev python -m benchmarks.bench_spark --people 580000            # ~1M records
    ./dev python -m benchmarks.bench_spark --people 580000 --people 2900000

Each engine runs the whole batch (`linker reconcile`, from the raw extracts to every
output) in its own process. Wall time is measured around that process; peak memory is
the largest sum of resident memory over the process and all its descendants (the Spark
engine is a Python driver, a JVM and Python workers), sampled every 0.2 s from /proc.
The two runs' entities.csv are compared: the engines must agree record for record.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd

from linker.sampledata import generate_sample

RECORDS_PER_PERSON = 1.72  # what the sample generator emits on average
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _tree_rss_kb(root: int) -> int:
    tree = _children()
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * PAGE_KB
        except OSError:
            continue
    return total


def run_engine(mapping: Path, out: Path, engine: str, master: str) -> dict[str, float]:
    """One `linker reconcile` in a child process: wall seconds and peak tree memory."""
    args = [sys.executable, "-c", "import sys; from linker.cli import main; sys.exit(main())"]
    args += ["reconcile", str(mapping), "--out", str(out), "--quiet", "--engine", engine]
    if engine == "spark":
        args += ["--spark-master", master, "--spark-conf", "spark.driver.memory=8g"]
    started = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = [0]

    def sample() -> None:
        while child.poll() is None:
            peak[0] = max(peak[0], _tree_rss_kb(child.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = child.communicate()
    seconds = time.perf_counter() - started
    sampler.join()
    if child.returncode != 0:
        raise RuntimeError(f"{engine} run failed:\n{stderr[-3000:]}")
    print(stdout.strip().splitlines()[-2], file=sys.stderr)  # the stage timings
    return {"wall_s": seconds, "peak_mb": peak[0] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, action="append", help="population size (repeat)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/linker-bench-spark"))
    parser.add_argument("--master", default="local[2]")
    parser.add_argument(
        "--skip-local-above",
        type=int,
        default=None,
        help="records above which the local engine is not run (it would not fit in memory)",
    )
    options = parser.parse_args()
    rows = []
    for people in options.people or [580_000]:
        sample = options.work / f"sample-{people}"
        if not (sample / "mapping.toml").is_file():
            generate_sample(people=people, seed=7, out_dir=sample)
        mapping = sample / "mapping.toml"
        runs = {}
        for engine in ("local", "spark"):
            expected = int(people * RECORDS_PER_PERSON)
            if (
                engine == "local"
                and options.skip_local_above
                and expected > options.skip_local_above
            ):
                continue
            out = options.work / f"run-{people}-{engine}"
            runs[engine] = run_engine(mapping, out, engine, options.master)
            entities = pd.read_csv(out / "entities.csv", dtype=str, keep_default_na=False)
            runs[engine]["records"] = len(entities)
        same = ""
        if len(runs) == 2:
            a = pd.read_csv(options.work / f"run-{people}-local" / "entities.csv", dtype=str)
            b = pd.read_csv(options.work / f"run-{people}-spark" / "entities.csv", dtype=str)
            same = "yes" if a.equals(b) else "NO"
        for engine, run in runs.items():
            rows.append(
                {
                    "records": f"{int(run['records']):,}",
                    "engine": engine if engine == "local" else f"spark {options.master}",
                    "wall time (s)": f"{run['wall_s']:.0f}",
                    "peak memory (MB)": f"{run['peak_mb']:,.0f}",
                    "same entities": same,
                }
            )
    table = pd.DataFrame(rows)
    print("| " + " | ".join(table.columns) + " |")
    print("| " + " | ".join("---:" for _ in table.columns) + " |")
    for row in table.itertuples(index=False):
        print("| " + " | ".join(str(v) for v in row) + " |")


if __name__ == "__main__":
    main()
