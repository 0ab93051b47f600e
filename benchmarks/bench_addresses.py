"""Address standardization's CPU time, the batch reader against one line at a time.

Usage: python -m benchmarks.bench_addresses [--mapping PATH] [--repeat 3]

Standardizes the mapping once with one worker, keeping what `standardize_addresses` is
handed for each chunk; then, each in a fresh process (the readers remember tokens and
lines per process), times `standardize_addresses` over those chunks with the batch
reader (`address_vector`) and without it (`vector=False`), and checks that both give
the same rows. CPU seconds (`time.process_time`): the machine's cores are shared, so
wall time says little. Prints the median of `--repeat` runs of each.
"""

from __future__ import annotations

import argparse
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

from linker.mapping import load_mapping
from linker.standardize import addresses, records, standardize_mapping

DEFAULT_MAPPING = Path(tempfile.gettempdir()) / "linker-bench/sample-580000-7/mapping.toml"


def capture(mapping: Path, out: Path) -> None:
    """The inputs of every `standardize_addresses` call of a one-worker run, pickled."""
    handed: list[dict[str, Any]] = []
    original = records.standardize_addresses

    def keeping(**inputs: Any) -> pd.DataFrame:
        handed.append(inputs)
        return original(**inputs)

    records.standardize_addresses = keeping
    try:
        standardize_mapping(load_mapping(mapping), workers=1)
    finally:
        records.standardize_addresses = original
    out.write_bytes(pickle.dumps(handed))


def run(inputs: Path, vector: bool, result: Path) -> None:
    """One timed pass over the captured chunks (the child process's work)."""
    chunks = pickle.loads(inputs.read_bytes())
    started = time.process_time()
    frames = [addresses.standardize_addresses(**c, workers=1, vector=vector) for c in chunks]
    seconds = time.process_time() - started
    pd.concat(frames, ignore_index=True).to_pickle(result)
    print(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description="address standardization benchmark")
    parser.add_argument("--mapping", type=Path, default=DEFAULT_MAPPING)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--run", nargs=3, help=argparse.SUPPRESS)  # inputs, vector, result
    args = parser.parse_args()
    if args.run:
        run(Path(args.run[0]), args.run[1] == "1", Path(args.run[2]))
        return

    with tempfile.TemporaryDirectory() as work:
        inputs = Path(work) / "inputs.pickle"
        capture(args.mapping, inputs)
        seconds: dict[bool, list[float]] = {True: [], False: []}
        for _ in range(args.repeat):
            for vector in (False, True):  # interleaved: both see the same machine load
                result = Path(work) / f"result-{int(vector)}.pickle"
                child = [sys.executable, "-m", "benchmarks.bench_addresses"]
                child += ["--run", str(inputs), str(int(vector)), str(result)]
                out = subprocess.run(child, check=True, capture_output=True, text=True)
                seconds[vector].append(float(out.stdout.split()[-1]))
        batch = pd.read_pickle(Path(work) / "result-1.pickle")
        one_by_one = pd.read_pickle(Path(work) / "result-0.pickle")
        pd.testing.assert_frame_equal(batch, one_by_one)

    print("| reader | CPU seconds (median) | runs |")
    print("| --- | ---: | --- |")
    for vector, name in ((False, "one line at a time"), (True, "batch (address_vector)")):
        runs = ", ".join(f"{s:.2f}" for s in seconds[vector])
        print(f"| {name} | {statistics.median(seconds[vector]):.2f} | {runs} |")
    print(f"\n({len(batch):,} rows; both readers gave the same rows)")


if __name__ == "__main__":
    main()
