"""Assemble a run's report from its results: the numbers an analyst reads first, and
the pictures (match-weight histogram, m/u chart, an example pair's waterfall)."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from linker import columns as C
from linker.reconcile import ReconcileResult, example_pair, explain_example
from linker.report import PairExplanation, ReportContext, SourceCounts, render_report

DISPLAY_FIELDS = (C.SOURCE, C.RECORD_KEY, C.FULL_NAME, C.DOB, C.A_NUMBER, C.COUNTRY, C.ADDRESS)


def _display(record: pd.Series) -> dict[str, str]:
    return {f: ("" if pd.isna(record[f]) else str(record[f])) for f in DISPLAY_FIELDS}


def _probability_to_weight(p: float) -> float:
    return float(np.log2(p / (1.0 - p)))


def build_report(
    result: ReconcileResult, mapping_path: str, threshold: float, review_band: tuple[float, float]
) -> str:
    records = result.records
    per_source = records.groupby(C.SOURCE, sort=False).size()
    rejected = (
        result.rejects.groupby("source").size() if len(result.rejects) else pd.Series(dtype=int)
    )
    sources = [SourceCounts(str(s), int(n), int(rejected.get(s, 0))) for s, n in per_source.items()]
    example = None
    pair = example_pair(result, threshold)
    if pair is not None:
        example = PairExplanation.from_explain_row(
            explain_example(result, pair),
            result.model.comparison_names,
            _display(records.iloc[pair[0]]),
            _display(records.iloc[pair[1]]),
        )
    context = ReportContext(
        started=datetime.now(UTC).isoformat(timespec="seconds"),
        stage_seconds=result.stage_seconds,
        mapping_path=mapping_path,
        sources=sources,
        pairs_compared=result.counts["pairs_compared"],
        entities=result.counts["entities"],
        a_numbers_recovered=result.counts["a_numbers_recovered"],
        a_numbers_pending_review=result.counts["a_numbers_pending_review"],
        lost_files_reconciled=result.counts["lost_files_reconciled"],
        a_number_conflicts=result.counts["a_number_conflicts"],
        review_queue_size=result.counts["review_queue"],
        chart_data=result.model.match_weight_chart_data(),
        match_weights=result.all_weights,
        threshold=_probability_to_weight(threshold),
        example=example,
        review_band=(
            _probability_to_weight(review_band[0]),
            _probability_to_weight(review_band[1]),
        ),
    )
    return render_report(context)
