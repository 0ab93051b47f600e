"""Single-record lookup latency (`POST /api/match`) against a store of about a million
records, through the Flask app as an integrator calls it.

The store is a real batch: sample extracts of N people (580,000 give about a million
records), reconciled and persisted to SQLite (or PostgreSQL with --db). Building it is
timed stage by stage; pass --db URL of a store built earlier to skip the build. Lookups
are copies of stored records perturbed the way a check-in differs from the file: a
letter swap in a surname, day and month swapped, the A-number left out. Latency is per
request through the test client (JSON parsing, auth, audit write included); the first
request, which builds the per-run index (model, name frequencies), is reported apart.

    ./dev python -m benchmarks.bench_lookup --people 580000 --out /tmp/bench-lookup
    ./dev python -m benchmarks.bench_lookup --db sqlite:////tmp/bench-lookup/linker.db
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from linker import columns as C
from linker.store import Store
from linker.store.schema import Record, User
from linker.store.users import add_user, issue_token

BENCH_USER = "bench-lookup"


def build_store(people: int, seed: int, out: Path, url: str) -> dict[str, float]:
    """Sample extracts -> reconcile -> persist; seconds per stage."""
    from linker.mapping import load_mapping
    from linker.reconcile import reconcile
    from linker.sampledata import generate_sample
    from linker.store.runs import persist_run

    seconds: dict[str, float] = {}
    start = time.perf_counter()
    generate_sample(people, seed, out / "sample")
    seconds["sample data"] = time.perf_counter() - start
    start = time.perf_counter()
    records_path = out / "records.parquet"
    result = reconcile(load_mapping(out / "sample" / "mapping.toml"), records_path=records_path)
    seconds["reconcile"] = time.perf_counter() - start
    start = time.perf_counter()
    store = Store.open(url)
    persist_run(store, result, pd.read_parquet(records_path))
    store.close()
    seconds["persist"] = time.perf_counter() - start
    return seconds


def _typo(name: str) -> str:
    i = len(name) // 2
    return name[: i - 1] + name[i] + name[i - 1] + name[i + 1 :] if len(name) > 3 else name


def perturbed_queries(store: Store, count: int, seed: int) -> list[tuple[dict[str, str], str]]:
    """(query, the stored record's entity id) for `count` random named, dated records."""
    rng = np.random.default_rng(seed)
    with store.session() as session:
        top = int(session.scalar(select(func.max(Record.id))) or 0)
        picked = rng.choice(np.arange(1, top + 1), size=min(count * 3, top), replace=False)
        rows = session.scalars(
            select(Record).where(
                Record.id.in_([int(i) for i in picked]),
                Record.dob.is_not(None),
                Record.family_1_phonetic.is_not(None),
            )
        ).all()
    queries = []
    for record in rows[:count]:
        std = record.standardized_values()
        year, month, day = str(std[C.DOB]).split("-")
        query = {
            "given_name": std[C.GIVEN_NAME],
            "family_name": _typo(str(std[C.FAMILY_NAME])),
            "dob": f"{year}-{day}-{month}" if int(day) <= 12 else std[C.DOB],
            "sex": std[C.SEX],
            "country": std[C.COUNTRY],
            "postal_code": std[C.POSTAL_CODE],
        }
        queries.append(({k: v for k, v in query.items() if v}, record.entity_id))
    return queries


def bench_token(store: Store) -> str:
    with store.session() as session:
        user = session.scalar(select(User).where(User.username == BENCH_USER))
        if user is None:
            return str(add_user(session, BENCH_USER, "analyst", token=True).token)
        return issue_token(session, user)


def measure(url: str, lookups: int, seed: int) -> dict[str, Any]:
    from service import create_app

    store = Store.open(url)
    with store.session() as session:
        records = int(session.scalar(select(func.count()).select_from(Record)) or 0)
    queries = perturbed_queries(store, lookups, seed)
    headers = {"Authorization": f"Bearer {bench_token(store)}"}
    store.close()
    client = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False}).test_client()
    timings, hits, candidates = [], 0, []
    cold = 0.0
    for i, (query, entity_id) in enumerate(queries):
        start = time.perf_counter()
        response = client.post("/api/match", json={"record": query, "k": 10}, headers=headers)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"lookup {i} answered {response.status_code}: {response.text}")
        found = response.get_json()["candidates"]
        if i == 0:
            cold = elapsed  # builds the run's lookup index
            continue
        timings.append(elapsed)
        candidates.append(len(found))
        hits += bool(found) and found[0]["entity_id"] == entity_id
    ms = np.array(timings)
    return {
        "records": records,
        "lookups": len(timings),
        "cold_ms": cold,
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "p99": float(np.percentile(ms, 99)),
        "max": float(ms.max()),
        "hit_at_1": hits / max(len(timings), 1),
        "mean_candidates": float(np.mean(candidates)),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="a store built earlier (skips the build)")
    parser.add_argument("--people", type=int, default=580_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-lookup"))
    parser.add_argument("--lookups", type=int, default=300)
    args = parser.parse_args(argv)
    url = args.db
    if url is None:
        args.out.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{args.out / 'linker.db'}"
        seconds = build_store(args.people, args.seed, args.out, url)
        print("building the store")
        print(f"{'stage':<14}{'seconds':>10}")
        for stage, value in seconds.items():
            print(f"{stage:<14}{value:>10.1f}")
        print(f"{'total':<14}{sum(seconds.values()):>10.1f}\n")
    result = measure(url, args.lookups + 1, args.seed)
    print(f"POST /api/match against {result['records']:,} stored records ({url.split(':')[0]})")
    print(f"first lookup (builds the run's index): {result['cold_ms']:.0f} ms")
    print(
        f"{'lookups':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} "
        f"{'hit@1':>7} {'cands':>6}"
    )
    print(
        f"{result['lookups']:>8} {result['p50']:>8.1f} {result['p95']:>8.1f} "
        f"{result['p99']:>8.1f} {result['max']:>8.1f} {result['hit_at_1']:>7.1%} "
        f"{result['mean_candidates']:>6.1f}"
    )


if __name__ == "__main__":
    main(sys.argv[1:])
