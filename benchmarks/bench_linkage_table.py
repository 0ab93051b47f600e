"""The linkage benchmark's table: one row per tool and data set, and its footnotes.

Kept apart from the runs so that formatting is testable without running anything. The
footnotes are written from the measured rows (standardizing time, chained entities,
recordlinkage's measured rate), so they stay true when the numbers change.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

SKIPPED_SLOW = "skipped (too slow at this size)"
GIANT_FACTOR = 10  # an entity this many times the largest true person is worth a footnote
HEADER = (
    "dataset",
    "tool",
    "records",
    "pairs compared",
    "pairwise precision",
    "pairwise recall",
    "pairwise F1",
    "B-cubed F1",
    "wall time (s)",
    "peak memory (MB)",
)


@dataclass(frozen=True)
class Limits:
    """Per-run limits, and the size above which recordlinkage is not run."""

    timeout_s: float
    max_memory_mb: float
    rl_max_records: int | None  # None: recordlinkage runs at every size


@dataclass(frozen=True)
class Row:
    """One tool on one data set: the table's row, or why there is none."""

    dataset: str
    tool: str
    records: int | None = None
    pairs_compared: int | None = None
    precision: float | None = None
    recall: float | None = None
    f1: float | None = None
    bcubed_f1: float | None = None
    seconds: float | None = None
    peak_mb: float | None = None
    note: str = ""
    detail: dict[str, Any] | None = None  # stage seconds, process totals, versions


def format_table(rows: Sequence[Row], footnotes: Sequence[str] = ()) -> str:
    """The rows as a markdown table, then numbered footnotes."""
    lines = [
        "| " + " | ".join(HEADER) + " |",
        "| --- | --- | " + " | ".join("---:" for _ in HEADER[2:]) + " |",
    ]
    for row in rows:
        lines.append("| " + " | ".join(_cells(row)) + " |")
    if footnotes:
        lines.append("")
        lines += [f"{i}. {text}" for i, text in enumerate(footnotes, start=1)]
    return "\n".join(lines)


def _cells(row: Row) -> list[str]:
    records = "" if row.records is None else f"{row.records:,}"
    if row.note:
        return [row.dataset, row.tool, records, row.note, *([""] * (len(HEADER) - 4))]
    return [
        row.dataset,
        row.tool,
        records,
        _int(row.pairs_compared),
        _ratio(row.precision),
        _ratio(row.recall),
        _ratio(row.f1),
        _ratio(row.bcubed_f1),
        "" if row.seconds is None else f"{row.seconds:,.1f}",
        "" if row.peak_mb is None else f"{row.peak_mb:,.0f}",
    ]


def _int(value: int | None) -> str:
    return "" if value is None else f"{value:,}"


def _ratio(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def footnotes_for(rows: Sequence[Row], limits: Limits) -> list[str]:
    """What the numbers mean, with the measured facts behind the skipped rows."""
    notes = [
        "Wall time: `linker` is what `linker reconcile MAPPING --out DIR` does, from the raw "
        "extracts to the last output file (read, standardize, block, compare, train, score, "
        "cluster, A-number recovery, review queue, then report.html, entities.csv, "
        "pairs.parquet, relations.csv, records.parquet). Splink and recordlinkage start from "
        "our standardized records (Parquet written by our run, so the cleaning is identical) "
        "and are timed from reading them to clusters: their times do NOT include "
        "standardizing or writing outputs." + _standardize_share(rows),
        "Each tool runs in a fresh `python -m benchmarks.<tool>_runner` process; imports "
        "are not timed. Peak memory is the larger of the runner's own peak resident set "
        "(VmHWM) at the end of its timed section and the resident memory of its whole "
        "process group, polled every 0.2 s (our standardizing workers count; DuckDB's "
        "memory is inside Splink's "
        f"process). Limits per run: {limits.timeout_s / 60:,.0f} min, "
        f"{limits.max_memory_mb / 1024:,.0f} GB. Machine: {os.cpu_count()} CPU cores.",
        "Scores: pairwise and B-cubed, from `linker.evaluate.evaluate_entities` against "
        "truth/records.csv (FEBRL: rec-<n> is the person). FEBRL 4 is linked as two files "
        "(link-only) by every tool. Splink 5 (DuckDB): NameComparison with term "
        "frequencies on given and family names, DateOfBirthComparison, Levenshtein on "
        "A-number / document id, exact postcode, sex, country, phone, Jaro-Winkler street; "
        "trained with deterministic rules, u by random sampling (5e6 pairs), EM on "
        "given+family and on dob; linked at match probability 0.5. recordlinkage 0.16: "
        "Index blocks + sorted neighbourhood, binary Compare features (one process, its "
        "default n_jobs=1), ECMClassifier, connected components.",
    ]
    notes += [n for n in (_giant_entities_note(rows), _rl_skip_note(rows, limits)) if n]
    return notes


def _giant_entities_note(rows: Sequence[Row]) -> str:
    """Name runs whose clustering chained many people into one entity: pairwise precision
    collapses (pairs grow with the square of the size) while B-cubed degrades gently."""
    giants = []
    for row in rows:
        detail = row.detail or {}
        largest, person = detail.get("largest_entity", 0), detail.get("largest_true_person", 0)
        if person and largest > GIANT_FACTOR * person:
            giants.append(
                f"{row.tool} on {row.dataset}: one entity of {largest:,} records "
                f"(the largest true person has {person:,})"
            )
    if not giants:
        return ""
    return (
        "Chained entities: "
        + "; ".join(giants)
        + ". Connected components join every record reachable through links above the "
        "threshold, so a chain of wrong links makes one large entity; pairwise precision "
        "counts every pair inside it (quadratic in its size), B-cubed counts per record."
    )


def _standardize_share(rows: Sequence[Row]) -> str:
    parts = []
    for row in rows:
        stages = (row.detail or {}).get("stage_seconds") or {}
        if row.tool == "linker" and "standardize" in stages:
            outputs = stages.get("outputs", 0.0)
            parts.append(f"{row.dataset} {stages['standardize']:,.1f} s + {outputs:,.1f} s")
    if not parts:
        return ""
    return " Of our time, standardizing and writing outputs took: " + ", ".join(parts) + "."


def _rl_skip_note(rows: Sequence[Row], limits: Limits) -> str:
    skipped = [r for r in rows if r.tool == "recordlinkage" and r.note == SKIPPED_SLOW]
    if not skipped:
        return ""
    ran = [r for r in rows if r.tool == "recordlinkage" and r.seconds and r.pairs_compared]
    text = (
        f"recordlinkage is not run above {limits.rl_max_records or 0:,} records: its Compare "
        "step calls jellyfish once per pair in Python (`Series.apply`), holds every "
        "candidate pair as a pandas MultiIndex plus a float feature frame, and runs "
        "single-threaded."
    )
    if not ran:
        return text
    biggest = max(ran, key=lambda r: (r.dataset.startswith("sample"), r.records or 0))
    rate = biggest.pairs_compared / biggest.seconds  # type: ignore[operator]
    text += (
        f" Measured on {biggest.dataset}: {biggest.pairs_compared:,} pairs in "
        f"{biggest.seconds:,.1f} s ({rate:,.0f} pairs/s end to end)."
    )
    for row in skipped:
        pairs = [
            r.pairs_compared
            for r in rows
            if r.dataset == row.dataset and r.tool != "recordlinkage" and r.pairs_compared
        ]
        if pairs:
            estimate = min(pairs) / rate
            text += (
                f" On {row.dataset} the other tools compare {min(pairs):,}+ pairs: at that "
                f"rate about {estimate / 60:,.0f} min, assuming linear scaling (an estimate)."
            )
    return text
