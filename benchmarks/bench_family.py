"""Family-graph speed: building the graph for a run, and answering family queries.

Usage: python -m benchmarks.bench_family --run RUN_DIR [--truth TRUTH_DIR] [--queries 500]
       python -m benchmarks.bench_family --people 580000 [--seed 7] [--work DIR]

With --run, a finished `linker reconcile` folder is reused; otherwise sample extracts for
--people persons are generated and reconciled (cached in --work by size and seed). Times:
reading the run's records and entities, inferring the relations, building the networkx
graph (the batch does the first two and writes relations.csv), then --queries random
family, path and child queries on the loaded graph (p50 / p95 / max in ms) and one
red-flag scan. With --truth, also prints precision / recall per relation kind.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from linker import columns as C
from linker.family import build_family_graph, infer_relations, red_flags
from linker.family import kinds as K
from linker.family.people import FACT_INPUT_COLUMNS
from linker.family.queries import child_status, explain_path, family_of
from linker.family.scoring import evaluate_relations, format_relations


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _prepared_run(args: argparse.Namespace) -> tuple[Path, Path | None]:
    if args.run is not None:
        return args.run, args.truth
    sample = args.work / f"sample-{args.people}-{args.seed}"
    run = args.work / f"run-{args.people}-{args.seed}"
    if not (sample / "mapping.toml").is_file():
        from linker.sampledata import generate_sample

        generate_sample(people=args.people, seed=args.seed, out_dir=sample)
    if not (run / "entities.csv").is_file():
        command = [sys.executable, "-m", "linker.cli", "reconcile", str(sample / "mapping.toml")]
        subprocess.run([*command, "--out", str(run), "--quiet"], check=True)
    return run, sample / "truth"


def _timed(call: Callable[[], object], repeat: int) -> np.ndarray:
    out = np.empty(repeat)
    for i in range(repeat):
        started = time.perf_counter()
        call()
        out[i] = (time.perf_counter() - started) * 1000
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="family graph benchmark")
    parser.add_argument("--run", type=Path, help="a finished reconcile folder")
    parser.add_argument("--truth", type=Path, help="truth folder of --run's sample")
    parser.add_argument("--people", type=int, default=580_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "linker-bench")
    args = parser.parse_args()
    run, truth = _prepared_run(args)

    started = time.perf_counter()
    records = pd.read_parquet(run / "records.parquet", columns=list(FACT_INPUT_COLUMNS))
    entities = pd.read_csv(run / "entities.csv", dtype=str, keep_default_na=False)
    entities[C.A_NUMBER] = entities[C.A_NUMBER].replace("", None)
    read_s = time.perf_counter() - started
    started = time.perf_counter()
    family = infer_relations(records, entities)
    infer_s = time.perf_counter() - started
    started = time.perf_counter()
    fg = build_family_graph(family)
    graph_s = time.perf_counter() - started

    rng = np.random.default_rng(args.seed)
    rel = family.relations
    strong = rel.loc[rel[K.STRENGTH] == K.STRONG]
    members = strong[K.ENTITY_A].to_numpy(dtype=object)
    centres = rng.choice(members, size=args.queries)
    children = rel.loc[rel[K.RELATION] == K.SPONSOR_OF, K.ENTITY_B].to_numpy(dtype=object)
    kids = rng.choice(children, size=args.queries) if len(children) else centres
    others = rng.choice(members, size=args.queries)
    it = iter(range(10**9))

    def one_family() -> object:
        return family_of(fg, centres[next(it) % args.queries])

    family_ms = _timed(one_family, args.queries)
    it = iter(range(10**9))

    def one_path() -> object:
        i = next(it) % args.queries
        return explain_path(fg, centres[i], others[i])

    path_ms = _timed(one_path, args.queries)
    it = iter(range(10**9))

    def one_child() -> object:
        return child_status(fg, kids[next(it) % args.queries])

    child_ms = _timed(one_child, args.queries)
    flags_ms = _timed(lambda: red_flags(fg, min_children=3), 1)

    print()
    print(
        f"{len(records):,} records, {len(family.people):,} entities, {len(rel):,} relations "
        f"({len(strong):,} strong), {fg.graph.number_of_edges():,} edges"
    )
    print()
    print("| build step | seconds |")
    print("| --- | ---: |")
    for name, secs in (
        ("read records + entities", read_s),
        ("infer relations", infer_s),
        ("build networkx graph", graph_s),
        ("total", read_s + infer_s + graph_s),
    ):
        print(f"| {name} | {secs:.1f} |")
    print()
    print("| query | n | p50 (ms) | p95 (ms) | max (ms) |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, ms in (
        ("family (ego graph, radius 2)", family_ms),
        ("path between two people", path_ms),
        ("child location + sponsor", child_ms),
        ("red flags (whole run)", flags_ms),
    ):
        p50, p95 = np.percentile(ms, [50, 95])
        print(f"| {name} | {len(ms)} | {p50:.1f} | {p95:.1f} | {ms.max():.1f} |")
    print(f"\npeak RSS {peak_rss_mb():,.0f} MB")
    if truth is not None and (truth / "relations.csv").is_file():
        truth_records = pd.read_csv(truth / "records.csv", dtype=str, keep_default_na=False)
        truth_rel = pd.read_csv(truth / "relations.csv", dtype=str, keep_default_na=False)
        print()
        print(
            "\n".join(format_relations(evaluate_relations(rel, entities, truth_records, truth_rel)))
        )


if __name__ == "__main__":
    main()
