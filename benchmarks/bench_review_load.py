"""Reviewer API under load: 50 concurrent reviewers for 60 s, on SQLite and PostgreSQL.

Usage: python -m benchmarks.bench_review_load [--reviewers 50] [--seconds 60]
       [--people 1500] [--backend sqlite --backend postgresql] [--workers 2] [--threads 8]

Builds one real run (sample extracts for --people people, reconciled), persists it into
a SQLite file and into a database on a throwaway PostgreSQL server (tests/infra), adds
the reviewers with API tokens, and serves each store with gunicorn as in production
(`gunicorn -w 2 -k gthread --threads 8 'service:create_app()'`). Every reviewer loops
GET /api/review/next -> POST /api/decisions on its own keep-alive connection; when the
queue is empty it decides a random known pair, so the load lasts the whole run.

Afterwards the decisions table is counted: stored, lost (acknowledged with 201 but not
stored), duplicated (one reviewer's note stored twice). Latencies are client-side, per
route, of every answered request. Prints a table; the README quotes it.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests import loadkit as L
from tests.infra import postgres

BACKENDS = ("sqlite", "postgresql")
HEADER = (
    "backend",
    "reviewers",
    "seconds",
    "requests",
    "req/s",
    "errors",
    "acknowledged",
    "stored",
    "lost",
    "duplicated",
    "next p50/p95/p99 ms",
    "decide p50/p95/p99 ms",
)


@dataclass(frozen=True)
class Row:
    backend: str
    reviewers: int
    report: L.LoadReport
    count: L.Tally

    def cells(self) -> list[str]:
        r, c = self.report, self.count
        return [
            self.backend,
            f"{self.reviewers}",
            f"{r.duration_s:.0f}",
            f"{r.requests:,}",
            f"{r.requests / r.duration_s:,.0f}",
            f"{sum(r.errors.values()):,}",
            f"{c.acknowledged:,}",
            f"{c.stored:,}",
            f"{len(c.lost):,}",
            f"{c.duplicated:,}",
            _percentiles(r, L.REVIEW_NEXT),
            _percentiles(r, L.DECIDE),
        ]


def _percentiles(report: L.LoadReport, route: str) -> str:
    values = [report.percentile_ms(route, q) for q in (50, 95, 99)]
    return " / ".join("-" if math.isnan(v) else f"{v:.0f}" for v in values)


def format_table(rows: list[Row]) -> str:
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "| --- | " + " | ".join("---:" for _ in HEADER[1:]) + " |",
    ]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


@contextmanager
def database(backend: str, work: Path, stack: ExitStack) -> Iterator[str]:
    """An empty store URL: a SQLite file, or a fresh database on a throwaway server."""
    if backend == "sqlite":
        path = work / "linker.db"
        path.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    server = stack.enter_context(postgres.postgres_server())
    with postgres.fresh_database(server) as url:
        yield url.render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description="reviewer API load benchmark")
    parser.add_argument("--reviewers", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--people", type=int, default=1500)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--backend", action="append", choices=BACKENDS)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()

    rows = []
    with ExitStack() as stack:
        work = args.work or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        result, records = L.reconciled_sample(work / "run", people=args.people, seed=args.seed)
        print(
            f"run: {len(records):,} records, {len(result.pairs):,} pairs, "
            f"{len(result.review_queue):,} queued, built in {time.perf_counter() - started:.1f}s"
        )
        for backend in args.backend or BACKENDS:
            with database(backend, work, stack) as url:
                reviewers = L.seed_store(url, result, records, reviewers=args.reviewers)
                fallback = L.known_pairs(url)
                with L.gunicorn_server(
                    url, work / "logs" / backend, workers=args.workers, threads=args.threads
                ) as server:
                    report = L.run_load(
                        server.base_url, reviewers, fallback, duration_s=args.seconds
                    )
                count = L.tally(report.acknowledged, L.stored_decisions(url))
            rows.append(Row(backend, len(reviewers), report, count))
            for kind, n in sorted(report.errors.items()):
                print(f"{backend}: {n:,} x {kind}")
            print(
                f"{backend}: {rows[-1].cells()[3:10]} "
                f"({report.queue_empty:,} times the queue was empty)"
            )
    print()
    print(
        f"gunicorn -w {args.workers} -k gthread --threads {args.threads}, loopback; "
        f"{args.people:,} sample people"
    )
    print(format_table(rows))


if __name__ == "__main__":
    main()
