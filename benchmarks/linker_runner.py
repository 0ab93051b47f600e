"""Benchmark runner for this project: the whole batch, from the extracts to entities.

Usage: python -m benchmarks.linker_runner MAPPING --out-dir DIR [--link-only]
                                          [--records-out PARQUET] [--standardize-only]

Timed: what `linker reconcile MAPPING --out DIR` does (`linker.batch.run_batch`), from
reading the extracts to the last output file: standardize, block, compare, train, score,
cluster, the review queue, then the report, entities.csv, pairs.parquet, relations.csv
and records.parquet (in DIR/run). `--records-out` also writes the standardized records
(without the raw row) after the timed section, so the other tools start from exactly the
same cleaned records.
`--standardize-only` does only that, for runs that leave this tool out.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from benchmarks.bench_measure import finish_run, peak_memory_mb
from linker import columns as C
from linker.batch import run_batch
from linker.mapping import load_mapping
from linker.reconcile import ReconcileSettings
from linker.standardize import standardize_mapping

TOOL = "linker"


def write_records(records: pd.DataFrame, path: Path) -> None:
    """The standardized records the other tools read (the raw JSON row left out)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records.drop(columns=[C.RAW], errors="ignore").to_parquet(path, index=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mapping", type=Path)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--link-only", action="store_true")
    parser.add_argument("--records-out", type=Path)
    parser.add_argument("--standardize-only", action="store_true")
    args = parser.parse_args()

    started = time.perf_counter()
    if args.standardize_only:
        mapping = load_mapping(args.mapping)
        records, _, _ = standardize_mapping(mapping)
        records = records.sort_values(C.RECORD_ID).reset_index(drop=True)
        seconds, peak = time.perf_counter() - started, peak_memory_mb()
        if args.records_out is not None:
            write_records(records, args.records_out)
        empty = pd.DataFrame({C.SOURCE: [], C.RECORD_KEY: [], C.ENTITY_ID: []})
        finish_run(
            args.out_dir,
            tool="standardize",
            entities=empty,
            seconds=seconds,
            peak_mb=peak,
            records=len(records),
            pairs_compared=0,
        )
        return
    result = run_batch(
        args.mapping, args.out_dir / "run", settings=ReconcileSettings(link_only=args.link_only)
    )
    seconds, peak = time.perf_counter() - started, peak_memory_mb()

    if args.records_out is not None:
        write_records(result.records, args.records_out)
    finish_run(
        args.out_dir,
        tool=TOOL,
        entities=result.entities[[C.SOURCE, C.RECORD_KEY, C.ENTITY_ID]],
        seconds=seconds,
        peak_mb=peak,
        records=len(result.records),
        pairs_compared=result.counts["pairs_compared"],
        stage_seconds=result.stage_seconds,
    )


if __name__ == "__main__":
    main()
