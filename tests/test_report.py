from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linker.errors import DataContractError
from linker.report import (
    PairExplanation,
    ReportContext,
    SourceCounts,
    bayes_factor_chart,
    histogram_chart,
    render_report,
    waterfall_chart,
    write_report,
)
from models import PRIOR_WEIGHT, bf_column

SCRIPT = "<script>alert(1)</script>"


class Elements(HTMLParser):
    """Every start tag with its attributes, in order, and the text of elements by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str | None] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        self.tags.append((tag, attributes))
        if tag not in ("meta", "line", "br"):
            self._open.append(attributes.get("id"))
            if attributes.get("id"):
                self.text_by_id[attributes["id"]] = ""

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def handle_endtag(self, tag: str) -> None:
        if self._open:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id:
                self.text_by_id[element_id] += data

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())
        ]


def chart_data() -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "comparison": ["name", "name", "name", "dob", "dob"],
            "gamma": [2, 1, 0, 1, 0],
            "label": ["exact", "jaro-winkler >= 0.9", "else", "exact", "else"],
            "m_probability": [0.8, 0.15, 0.05, 0.9, 0.1],
            "u_probability": [0.01, 0.04, 0.95, 0.02, 0.98],
        }
    )
    frame["log2_bayes_factor"] = np.log2(frame["m_probability"] / frame["u_probability"])
    return frame


EXAMPLE = PairExplanation(
    prior_weight=-8.25,
    contributions={"name": 6.321928094887363, "dob": 5.491853096329675, "sex": -1.5},
    match_weight=-8.25 + 6.321928094887363 + 5.491853096329675 - 1.5,
    left={"source": "cbp", "name": "JOSÉ PÉREZ", "dob": "1990-03-04"},
    right={"source": "ice", "name": "JOSE PEREZ", "dob": "1990-03-04", "a_number": "012345678"},
)


def context(**changes: object) -> ReportContext:
    rng = np.random.default_rng(3)
    weights = np.concatenate([rng.normal(-10, 4, 3000), rng.normal(12, 3, 200)])
    base = ReportContext(
        started=datetime(2025, 5, 6, 7, 8, 9),
        stage_seconds={"standardize": 1.5, "block": 0.25, "compare": 2.0, "cluster": 0.25},
        mapping_path="sample/mapping.toml",
        sources=[SourceCounts("cbp", 12_345, 17), SourceCounts("ice", 6_789, 0)],
        pairs_compared=3200,
        entities=9_876,
        a_numbers_recovered=1_234,
        a_numbers_pending_review=321,
        lost_files_reconciled=2_345,
        a_number_conflicts=56,
        review_queue_size=789,
        chart_data=chart_data(),
        match_weights=weights,
        threshold=5.0,
        example=EXAMPLE,
    )
    return replace(base, **changes)


@pytest.fixture(scope="module")
def page() -> Elements:
    return Elements(render_report(context()))


def test_the_three_charts_are_inline_svg(page: Elements) -> None:
    ids = {a.get("id") for a in page.all("svg")}
    assert {"chart-histogram", "chart-bayes-factors", "chart-waterfall"} <= ids


@pytest.mark.parametrize(
    ("element_id", "shown"),
    [
        ("count-records", "19,134"),
        ("count-rejects", "17"),
        ("count-pairs", "3,200"),
        ("count-entities", "9,876"),
        ("count-a-numbers", "1,234"),
        ("count-a-numbers-pending", "321"),
        ("count-lost-files", "2,345"),
        ("count-conflicts", "56"),
        ("count-review", "789"),
    ],
)
def test_counts_are_shown(page: Elements, element_id: str, shown: str) -> None:
    assert page.text_by_id[element_id].strip().startswith(shown)


def test_sources_and_stages_are_tabulated(page: Elements) -> None:
    sources = page.text_by_id["sources"]
    assert "cbp" in sources and "12,345" in sources and "6,789" in sources
    stages = page.text_by_id["stages"]
    assert "compare" in stages and "50%" in stages and "4.00" in stages


def waterfall_steps(page: Elements) -> list[dict[str, str]]:
    return [a for a in page.all("rect") if "data-step" in a]


def test_waterfall_bars_sum_to_the_total(page: Elements) -> None:
    steps = waterfall_steps(page)
    assert [s["data-step"] for s in steps] == [
        "prior",
        "comparison",
        "comparison",
        "comparison",
        "total",
    ]
    parts = [float(s["data-value"]) for s in steps[:-1]]
    total = float(steps[-1]["data-value"])
    assert math.fsum(parts) == pytest.approx(total, abs=1e-12)
    assert total == pytest.approx(EXAMPLE.match_weight)
    # Each step starts where the last one ended; the total bar spans 0 to the total.
    for before, after in zip(steps[:-2], steps[1:-1], strict=True):
        assert float(after["data-start"]) == pytest.approx(float(before["data-end"]))
    assert float(steps[-2]["data-end"]) == pytest.approx(total)
    assert (float(steps[-1]["data-start"]), float(steps[-1]["data-end"])) == (0.0, total)
    classes = [s["class"] for s in steps]
    assert classes == ["prior", "pos", "pos", "neg", "total"]


def test_waterfall_shows_what_the_items_do_not_explain() -> None:
    example = replace(EXAMPLE, match_weight=EXAMPLE.match_weight + 0.75)  # e.g. a tf adjustment
    steps = [dict(s.data) for s in waterfall_chart(example).shapes if getattr(s, "data", ())]
    assert steps[-2]["step"] == "other" and float(steps[-2]["value"]) == pytest.approx(0.75)
    assert math.fsum(float(s["value"]) for s in steps[:-1]) == pytest.approx(example.match_weight)


def test_histogram_counts_every_finite_weight_and_draws_the_threshold(page: Elements) -> None:
    svg_rects = [a for a in page.all("rect") if "data-count" in a]
    assert len(svg_rects) == 50
    assert sum(int(a["data-count"]) for a in svg_rects) == 3200
    assert page.all("line", **{"class": "threshold"})
    linked = [a for a in svg_rects if a["class"] == "bar link"]
    assert linked and all(float(a["data-lo"]) >= 5.0 for a in linked)


def test_histogram_log_and_linear_heights() -> None:
    weights = np.array([0.5] * 1000 + [1.5] * 10)
    heights = {}
    for log in (True, False):
        chart = histogram_chart(weights, 1.0, bins=2, log_counts=log)
        bars = [s for s in chart.shapes if dict(getattr(s, "data", ())).get("count")]
        heights[log] = [b.height for b in bars]
    assert heights[False][1] / heights[False][0] == pytest.approx(10 / 1000, abs=1e-3)
    assert heights[True][1] / heights[True][0] == pytest.approx(
        math.log1p(10) / math.log1p(1000), abs=1e-3
    )


def test_histogram_of_nothing_and_of_non_finite_weights() -> None:
    html = render_report(context(match_weights=np.array([np.inf, -np.inf, np.nan])))
    assert "no scored pairs" in html
    assert "3 pairs with a non-finite weight not shown" in html


def test_bayes_factor_bars_one_per_level_coloured_by_sign(page: Elements) -> None:
    bars = [a for a in page.all("rect") if "data-log2bf" in a]
    expected = chart_data()
    assert [b["data-label"] for b in bars] == expected["label"].tolist()
    for bar, value in zip(bars, expected["log2_bayes_factor"], strict=True):
        assert float(bar["data-log2bf"]) == pytest.approx(value)
        assert bar["class"] == ("pos" if value >= 0 else "neg")


def test_bayes_factor_chart_survives_infinite_and_missing_values() -> None:
    data = chart_data()
    data.loc[0, "log2_bayes_factor"] = np.inf
    data.loc[1, "log2_bayes_factor"] = np.nan
    texts = [s.text for s in bayes_factor_chart(data).shapes if hasattr(s, "text")]
    assert "+inf" in texts and "n/a" in texts


def test_text_is_escaped_everywhere() -> None:
    data = chart_data()
    data.loc[0, "label"] = SCRIPT
    example = replace(EXAMPLE, left={"name": SCRIPT}, right={SCRIPT: "x"})
    html = render_report(
        context(
            title=SCRIPT,
            mapping_path=SCRIPT,
            sources=[SourceCounts(SCRIPT, 1, 0)],
            stage_seconds={SCRIPT: 1.0},
            chart_data=data,
            example=example,
        )
    )
    assert "<script" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 7


def test_page_is_self_contained(page: Elements) -> None:
    html = render_report(context())
    assert not page.all("script") and not page.all("link") and not page.all("img")
    assert "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "https://" not in html and "@import" not in html and "url(" not in html


def test_example_pair_fields_side_by_side(page: Elements) -> None:
    text = page.text_by_id["example"]
    assert "JOSÉ PÉREZ" in text and "JOSE PEREZ" in text and "012345678" in text
    assert "probability" in text


def test_without_an_example_there_is_no_waterfall() -> None:
    page = Elements(render_report(context(example=None)))
    assert "chart-waterfall" not in {a.get("id") for a in page.all("svg")}
    assert "example" not in page.text_by_id


def test_pair_explanation_from_an_explain_row() -> None:
    row = pd.Series(
        {PRIOR_WEIGHT: -3.0, bf_column("name"): 4.0, bf_column("dob"): -1.0, "match_weight": 0.0}
    )
    example = PairExplanation.from_explain_row(row, ["name", "dob"], {"n": "A"}, {"n": "B"})
    assert example.contributions == {"name": 4.0, "dob": -1.0}
    assert example.match_probability == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("weight", "probability"), [(0, 0.5), (1, 2 / 3), (-1, 1 / 3), (2000, 1.0), (-2000, 0.0)]
)
def test_match_probability(weight: float, probability: float) -> None:
    assert replace(EXAMPLE, match_weight=weight).match_probability == pytest.approx(probability)


def test_chart_data_without_required_columns_is_refused() -> None:
    with pytest.raises(DataContractError, match="log2_bayes_factor"):
        context(chart_data=chart_data().drop(columns="log2_bayes_factor"))


def test_write_report(tmp_path: Path) -> None:
    path = write_report(tmp_path / "report.html", context(started="2025-05-06T07:08:09"))
    html = path.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "2025-05-06T07:08:09" in html
