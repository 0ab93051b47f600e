"""Standardizing speed: records per second on sample extracts of about N records.

Usage: python -m benchmarks.bench_standardize [--records 1000000] [--seed 7] [--work DIR]

Generates the sample extracts once (cached in --work by size and seed), then times
`linker standardize`'s library call end to end: read, standardize every field, write
Parquet. Prints a table; the README quotes it.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from linker.mapping import load_mapping
from linker.sampledata import generate_sample
from linker.standardize import write_standardized

# Records the generator writes per simulated person (measured; used to size the run).
RECORDS_PER_PERSON = 1.72


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description="standardize benchmark")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "linker-bench")
    args = parser.parse_args()

    people = int(args.records / RECORDS_PER_PERSON)
    sample = args.work / f"sample-{people}-{args.seed}"
    if not (sample / "mapping.toml").is_file():
        started = time.perf_counter()
        generate_sample(people=people, seed=args.seed, out_dir=sample)
        print(f"generated sample for {people:,} people in {time.perf_counter() - started:.1f}s")
    out = args.work / f"standardized-{people}-{args.seed}"
    started = time.perf_counter()
    summary = write_standardized(load_mapping(sample / "mapping.toml"), out)
    seconds = time.perf_counter() - started

    rows = sum(s.rows_read for s in summary.sources)
    print()
    print("| source | rows read | records | rejects |")
    print("| --- | ---: | ---: | ---: |")
    for s in summary.sources:
        print(f"| {s.source} | {s.rows_read:,} | {s.persons:,} | {s.rejects:,} |")
    print()
    print("| records | seconds | records / s | peak RSS (MB) |")
    print("| ---: | ---: | ---: | ---: |")
    print(
        f"| {summary.records:,} | {seconds:.1f} | {summary.records / seconds:,.0f} "
        f"| {peak_rss_mb():,.0f} |"
    )
    print(f"\n({rows:,} rows in {len(summary.sources)} extracts)")


if __name__ == "__main__":
    main()
