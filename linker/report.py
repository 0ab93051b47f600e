"""The run report: one self-contained HTML page an analyst opens from the run folder.

No JavaScript, no stylesheet or font from elsewhere: the file must open on an air-gapped
workstation and be safe to attach to a ticket. Charts are inline SVG. The functions that
draw them are pure and return geometry (:class:`Chart`, a list of rectangles, lines and
texts); the Jinja template turns that geometry into SVG elements, so every piece of text,
chart labels included, passes through Jinja's autoescaping and nothing is built by string
concatenation. Bars carry their numbers as ``data-*`` attributes, so tests (and anyone
curious) can read the figures back from the page.

Personal data: the page holds counts, model parameters and, for one example pair, the
display fields the caller chose to pass. Nothing else about any person.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, Final

import jinja2
import numpy as np
import pandas as pd

from linker.columns import MATCH_WEIGHT
from linker.errors import DataContractError
from models import COMPARISON, LABEL, LOG2_BAYES_FACTOR, M_PROBABILITY, PRIOR_WEIGHT, U_PROBABILITY
from models import bf_column as _bf_column

TEMPLATES: Final = Path(__file__).with_name("templates")
TEMPLATE: Final = "report.html.j2"
CHART_COLUMNS: Final = (COMPARISON, LABEL, M_PROBABILITY, U_PROBABILITY, LOG2_BAYES_FACTOR)
WIDTH: Final = 760.0


# --- what the caller passes -----------------------------------------------------------------
@dataclass(frozen=True)
class SourceCounts:
    """Records read from one source and rows set aside (rejects.csv)."""

    source: str
    records: int
    rejects: int


@dataclass(frozen=True)
class PairExplanation:
    """Why one pair scored what it did: prior, each comparison's log2 Bayes factor, total.

    ``left`` and ``right`` are the two records' display fields (field -> text), in the
    order to show them; keep them to what a reviewer needs (name, date of birth, source).
    """

    prior_weight: float
    contributions: Mapping[str, float]
    match_weight: float
    left: Mapping[str, str] = field(default_factory=dict)
    right: Mapping[str, str] = field(default_factory=dict)

    @property
    def match_probability(self) -> float:
        return _probability(self.match_weight)

    @classmethod
    def from_explain_row(
        cls,
        row: Mapping[str, Any] | pd.Series,
        comparisons: Sequence[str],
        left: Mapping[str, str],
        right: Mapping[str, str],
    ) -> PairExplanation:
        """From one row of ``FellegiSunterModel.explain()`` (prior_weight, bf_*, match_weight)."""
        return cls(
            prior_weight=float(row[PRIOR_WEIGHT]),
            contributions={name: float(row[_bf_column(name)]) for name in comparisons},
            match_weight=float(row[MATCH_WEIGHT]),
            left=dict(left),
            right=dict(right),
        )


@dataclass(frozen=True, eq=False)
class ReportContext:
    """Everything the report shows; the run assembles it, the report only draws it.

    ``chart_data`` is ``FellegiSunterModel.match_weight_chart_data()`` (comparison, gamma,
    label, m_probability, u_probability, log2_bayes_factor); ``match_weights`` the weight
    of every scored pair (binned here); ``threshold`` the weight at which a pair links.
    """

    started: datetime | str
    stage_seconds: Mapping[str, float]
    mapping_path: str
    sources: Sequence[SourceCounts]
    pairs_compared: int
    entities: int
    a_numbers_recovered: int
    a_numbers_pending_review: int  # linked only through a link in the review band
    lost_files_reconciled: int  # records without an A-number now in an entity spanning agencies
    a_number_conflicts: int
    review_queue_size: int
    chart_data: pd.DataFrame
    match_weights: np.ndarray
    threshold: float
    example: PairExplanation | None = None
    title: str = "Reconciliation run"
    log_counts: bool = True
    bins: int = 50
    review_band: tuple[float, float] | None = None  # weights sent to review, shaded

    def __post_init__(self) -> None:
        missing = [c for c in CHART_COLUMNS if c not in self.chart_data.columns]
        if missing:
            raise DataContractError(
                f"report chart_data lacks column(s) {', '.join(missing)}; expected the frame "
                "of FellegiSunterModel.match_weight_chart_data()"
            )
        if self.bins < 1:
            raise DataContractError(f"report bins must be at least 1 (got {self.bins})")


# --- chart geometry -------------------------------------------------------------------------
@dataclass(frozen=True)
class Rect:
    kind: ClassVar[str] = "rect"
    x: float
    y: float
    width: float
    height: float
    css: str
    tip: str = ""
    data: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Line:
    kind: ClassVar[str] = "line"
    x1: float
    y1: float
    x2: float
    y2: float
    css: str


@dataclass(frozen=True)
class Text:
    kind: ClassVar[str] = "text"
    x: float
    y: float
    text: str
    css: str = ""
    anchor: str = "start"


Shape = Rect | Line | Text


@dataclass(frozen=True)
class Chart:
    """One SVG picture: a name (the element id is ``chart-<name>``), a size, its shapes."""

    name: str
    title: str
    width: float
    height: float
    shapes: tuple[Shape, ...]
    note: str = ""


class _Scale:
    """Linear map from data units to pixels."""

    def __init__(self, lo: float, hi: float, px_lo: float, px_hi: float) -> None:
        self.lo, self.hi, self.px_lo, self.px_hi = lo, hi, px_lo, px_hi

    def __call__(self, value: float) -> float:
        share = (value - self.lo) / (self.hi - self.lo)
        return round(self.px_lo + share * (self.px_hi - self.px_lo), 2)


def histogram_chart(
    weights: np.ndarray,
    threshold: float,
    *,
    bins: int = 50,
    log_counts: bool = True,
    review_band: tuple[float, float] | None = None,
) -> Chart:
    """Pairs per match-weight bin, the link threshold as a line, the review band shaded.

    Counts span orders of magnitude (millions of clear non-matches, thousands of
    matches), so heights are log(1 + count) by default; ``log_counts=False`` is linear.
    """
    w = np.asarray(weights, dtype=np.float64)
    finite = w[np.isfinite(w)]
    dropped = len(w) - len(finite)
    note = f"{dropped:,} pairs with a non-finite weight not shown" if dropped else ""
    height, left, right, top, bottom = 260.0, 56.0, 16.0, 24.0, 40.0
    if len(finite) == 0:
        text = Text(WIDTH / 2, height / 2, "no scored pairs", "empty", "middle")
        return Chart(
            "histogram", "Match weights of the pairs compared", WIDTH, height, (text,), note
        )
    lo = math.floor(min(finite.min(), threshold))
    hi = math.ceil(max(finite.max(), threshold))
    hi = hi if hi > lo else lo + 1
    counts, edges = np.histogram(finite, bins=bins, range=(lo, hi))
    x = _Scale(lo, hi, left, WIDTH - right)
    base, peak = height - bottom, max(int(counts.max()), 1)
    tall = base - top

    def bar_height(c: float) -> float:
        share = math.log1p(c) / math.log1p(peak) if log_counts else c / peak
        return round(share * tall, 2)

    shapes: list[Shape] = []
    if review_band is not None:
        band_lo, band_hi = sorted(min(max(float(v), lo), hi) for v in review_band)
        shapes.append(Rect(x(band_lo), top, x(band_hi) - x(band_lo), tall, "band", "review band"))
    for c, e0, e1 in zip(counts.tolist(), edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        h = bar_height(c)
        css = "bar link" if e0 >= threshold else "bar"
        shapes.append(
            Rect(
                x(e0),
                round(base - h, 2),
                max(x(e1) - x(e0) - 1, 0.5),
                h,
                css,
                f"{c:,} pairs with weight {e0:.1f} to {e1:.1f}",
                (("count", str(c)), ("lo", repr(e0)), ("hi", repr(e1))),
            )
        )
    shapes += _x_axis(x, lo, hi, base, "match weight (log2 odds)")
    shapes.append(Line(left, top, left, base, "axis"))
    y_label = "pairs (log scale)" if log_counts else "pairs"
    ticks = [1, *(10**k for k in range(1, 10) if 10**k <= peak)] if log_counts else [0]
    placed: list[float] = []
    for t in [peak, *ticks]:  # the peak first; a tick too close to a placed one is skipped
        y = round(base - bar_height(t), 2)
        if all(abs(y - other) >= 12 for other in placed):
            placed.append(y)
            shapes += [
                Line(left - 4, y, left, y, "axis"),
                Text(left - 6, y + 4, f"{t:,}", "tick", "end"),
            ]
    shapes.append(Text(left, top - 8, y_label, "axis-label"))
    tx = x(threshold)
    shapes += [
        Line(tx, top - 4, tx, base, "threshold"),
        Text(tx + 4, top + 6, f"threshold {threshold:g}", "threshold-label"),
    ]
    return Chart(
        "histogram", "Match weights of the pairs compared", WIDTH, height, tuple(shapes), note
    )


def bayes_factor_chart(chart_data: pd.DataFrame) -> Chart:
    """Per comparison, one horizontal bar per level: log2(m/u), green for evidence of a
    match, red against; the number at the bar's end, m and u in the tooltip."""
    label_w, row_h, head_h, gap = 250.0, 18.0, 20.0, 8.0
    values = chart_data[LOG2_BAYES_FACTOR].to_numpy(dtype=np.float64)
    finite = values[np.isfinite(values)]
    reach = max(1.0, math.ceil(float(np.abs(finite).max()))) if len(finite) else 1.0
    x = _Scale(-reach, reach, label_w + 40, WIDTH - 50)
    shapes: list[Shape] = []
    y = 8.0
    for name, levels in chart_data.groupby(COMPARISON, sort=False):
        shapes.append(Text(8, y + 14, str(name), "comparison"))
        y += head_h
        for level in levels.itertuples(index=False):
            row = level._asdict()
            value = float(row[LOG2_BAYES_FACTOR])
            m, u = float(row[M_PROBABILITY]), float(row[U_PROBABILITY])
            shapes.append(Text(label_w, y + 13, str(row[LABEL]), "level", "end"))
            tip = f"{name} / {row[LABEL]}: m = {m:.4g}, u = {u:.4g}"
            if math.isnan(value):
                shapes.append(Text(x(0) + 4, y + 13, "n/a", "value"))
            else:
                end = x(max(-reach, min(reach, value)))
                start = x(0)
                css = "pos" if value >= 0 else "neg"
                shapes.append(
                    Rect(
                        min(start, end),
                        y + 2,
                        max(abs(end - start), 0.5),
                        row_h - 4,
                        css,
                        tip,
                        (
                            ("comparison", str(name)),
                            ("label", str(row[LABEL])),
                            ("log2bf", repr(value)),
                        ),
                    )
                )
                text_x, anchor = (end + 4, "start") if value >= 0 else (end - 4, "end")
                shapes.append(Text(text_x, y + 13, f"{value:+.2f}", "value", anchor))
            y += row_h
        y += gap
    top, bottom = 8.0, y
    shapes.append(Line(x(0), top, x(0), bottom, "axis"))
    shapes += _x_axis(
        x, -reach, reach, bottom, "log2(m / u): evidence for (+) or against (-) a match"
    )
    return Chart(
        "bayes-factors", "Evidence each comparison level gives", WIDTH, bottom + 40, tuple(shapes)
    )


def waterfall_chart(example: PairExplanation) -> Chart:
    """The example pair's weight built step by step: the prior, each comparison's log2
    Bayes factor added in model order, and the total with its probability."""
    steps: list[tuple[str, str, float]] = [("prior", "prior (log2 odds)", example.prior_weight)]
    steps += [("comparison", name, float(v)) for name, v in example.contributions.items()]
    itemized = example.prior_weight + sum(float(v) for v in example.contributions.values())
    if not math.isclose(itemized, example.match_weight, rel_tol=1e-9, abs_tol=1e-9):
        steps.append(("other", "other (not itemized)", example.match_weight - itemized))
    running, spans = 0.0, []
    for kind, name, value in steps:
        spans.append((kind, name, value, running, running + value))
        running += value
    spans.append(("total", "match weight", example.match_weight, 0.0, example.match_weight))
    ends = [0.0, *(s for *_, s, _ in spans), *(e for *_, e in spans)]
    lo, hi = math.floor(min(ends)), math.ceil(max(ends))
    hi = hi if hi > lo else lo + 1
    label_w, row_h, top = 200.0, 22.0, 8.0
    x = _Scale(lo, hi, label_w + 20, WIDTH - 60)
    shapes: list[Shape] = []
    for i, (kind, name, value, start, end) in enumerate(spans):
        y = top + i * row_h
        css = kind if kind in ("prior", "total") else ("pos" if value >= 0 else "neg")
        x0, x1 = sorted((x(start), x(end)))
        data = (
            ("step", kind),
            ("name", name),
            ("value", repr(value)),
            ("start", repr(start)),
            ("end", repr(end)),
        )
        shapes += [
            Text(label_w, y + 15, name, "level total" if kind == "total" else "level", "end"),
            Rect(x0, y + 3, max(x1 - x0, 0.5), row_h - 6, css, f"{name}: {value:+.3f}", data),
            Text(x1 + 4, y + 15, f"{value:+.2f}", "value"),
        ]
        if kind != "total":
            shapes.append(Line(x(end), y + row_h - 3, x(end), y + row_h + 3, "connector"))
    bottom = top + len(spans) * row_h + 4
    shapes.append(Line(x(0), top, x(0), bottom, "axis"))
    shapes += _x_axis(x, lo, hi, bottom, "match weight (log2 odds)")
    p = example.match_probability
    summary = f"match weight {example.match_weight:+.2f}, match probability {p:.4f}"
    shapes.append(Text(label_w + 20, bottom + 56, summary, "total"))
    title = "How the example pair's weight adds up"
    return Chart("waterfall", title, WIDTH, bottom + 66, tuple(shapes))


def _x_axis(x: _Scale, lo: float, hi: float, y: float, label: str) -> list[Shape]:
    shapes: list[Shape] = [Line(x.px_lo, y, x.px_hi, y, "axis")]
    for t in _ticks(lo, hi):
        px = x(t)
        shapes += [Line(px, y, px, y + 4, "axis"), Text(px, y + 16, f"{t:g}", "tick", "middle")]
    shapes.append(Text((x.px_lo + x.px_hi) / 2, y + 32, label, "axis-label", "middle"))
    return shapes


def _ticks(lo: float, hi: float, target: int = 8) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten apart) covering [lo, hi]."""
    raw = (hi - lo) / target
    power = 10 ** math.floor(math.log10(raw))
    step = next(k * power for k in (1, 2, 5, 10) if k * power >= raw)
    first = math.ceil(lo / step) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _probability(weight: float) -> float:
    """2^w / (1 + 2^w), without overflow for large |w|."""
    if weight >= 0:
        return 1.0 / (1.0 + 2.0 ** (-weight))
    odds = 2.0**weight
    return odds / (1.0 + odds)


# --- the page -------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,  # the name ends in .j2, so select_autoescape would miss it
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["count"] = lambda n: f"{int(n):,}"
    env.filters["px"] = lambda v: f"{float(v):.2f}".rstrip("0").rstrip(".")
    return env


def render_report(context: ReportContext) -> str:
    """The report as one HTML string (inline CSS and SVG, no scripts, no external links)."""
    weights = np.asarray(context.match_weights, dtype=np.float64)
    total_seconds = float(sum(context.stage_seconds.values()))
    stages = [
        (name, float(s), float(s) / total_seconds if total_seconds else 0.0)
        for name, s in context.stage_seconds.items()
    ]
    started = (
        context.started.isoformat(sep=" ", timespec="seconds")
        if isinstance(context.started, datetime)
        else str(context.started)
    )
    charts = {
        "histogram": histogram_chart(
            weights,
            context.threshold,
            bins=context.bins,
            log_counts=context.log_counts,
            review_band=context.review_band,
        ),
        "bayes": bayes_factor_chart(context.chart_data),
        "waterfall": waterfall_chart(context.example) if context.example else None,
    }
    example_fields = (
        list(dict.fromkeys([*context.example.left, *context.example.right]))
        if context.example
        else []
    )
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            c=context,
            started=started,
            stages=stages,
            total_seconds=total_seconds,
            total_records=sum(s.records for s in context.sources),
            total_rejects=sum(s.rejects for s in context.sources),
            pairs_linked=int(np.count_nonzero(weights >= context.threshold)),
            charts=charts,
            example_fields=example_fields,
        )
    )


def write_report(path: str | Path, context: ReportContext) -> Path:
    """Render the report and write it to ``path`` (UTF-8); return the path."""
    path = Path(path)
    path.write_text(render_report(context), encoding="utf-8")
    return path
