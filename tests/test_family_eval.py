"""Relation scoring against truth, and the batch + CLI end to end on a small sample."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from linker.cli import main
from linker.family import kinds as K
from linker.family.scoring import evaluate_relations

# Floors on a 600-person sample (the README reports the 2,000-person figures, which are
# higher: a small sample has few families, so one miss weighs more).
FLOORS = {
    K.CO_TRAVELER: (0.9, 0.9),
    K.SPONSOR_OF: (0.9, 0.9),
    # Recall before the unit rules (only adult, couple, unknown ages by a sibling or
    # the mother's surname) was 0.9257 for parents and 0.9531 for siblings here.
    K.PARENT_OF: (0.9, 0.96),
    K.SIBLING_OF: (0.8, 0.96),
}


def test_evaluate_relations_counts_per_kind() -> None:
    entities = pd.DataFrame(
        {
            "source": ["cbp"] * 5,
            "record_key": ["r1", "r2", "r3", "r4", "r5"],
            "entity_id": ["E1", "E2", "E3", "E4", "E4"],  # E4 holds persons P4 and P5: P4 wins
        }
    )
    truth_records = pd.DataFrame(
        {
            "source": ["cbp"] * 5,
            "record_key": ["r1", "r2", "r3", "r4", "r5"],
            "person_id": ["P1", "P2", "P3", "P4", "P5"],
        }
    )
    truth = pd.DataFrame(
        {
            "person_a": ["P1", "P1", "P2", "P3"],
            "person_b": ["P2", "P3", "P3", "P5"],
            "relation": ["parent_of", "parent_of", "sibling_of", "sibling_of"],
        }
    )
    predicted = pd.DataFrame(
        {
            "entity_a": ["E1", "E2", "E3", "E2", "E1"],
            "entity_b": ["E2", "E1", "E2", "E4", "E3"],
            "relation": ["parent_of", "parent_of", "sibling_of", "co_traveler", "shared_phone"],
        }
    )
    result = evaluate_relations(predicted, entities, truth_records, truth)
    parent, sibling = result["per_kind"][K.PARENT_OF], result["per_kind"][K.SIBLING_OF]
    # parent_of is directed: P2 -> P1 is wrong; P1 -> P3 is missed.
    assert (parent["predicted"], parent["true_positive"], parent["true"]) == (2, 1, 2)
    assert parent["precision"] == 0.5 and parent["recall"] == 0.5
    # sibling_of is symmetric: (E3, E2) is (P2, P3).
    assert sibling["precision"] == 1.0 and sibling["recall"] == 0.5
    assert result["per_kind"][K.CO_TRAVELER]["precision"] == 0.0
    assert result["unscored"] == {"shared_phone": 1}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from linker.sampledata import generate_sample

    base = tmp_path_factory.mktemp("family")
    sample, out = base / "sample", base / "run"
    generate_sample(people=600, seed=7, out_dir=sample)
    result = CliRunner().invoke(
        main, ["reconcile", str(sample / "mapping.toml"), "--out", str(out), "--quiet"]
    )
    assert result.exit_code == 0, result.output
    return sample, out


def test_batch_writes_relations_and_family_counts(run: tuple[Path, Path]) -> None:
    _, out = run
    relations = pd.read_csv(out / "relations.csv", dtype=str)
    assert list(relations.columns) == list(K.RELATION_COLUMNS)
    counts = json.loads((out / "summary.json").read_text())["counts"]
    for kind in K.RELATION_KINDS:
        assert counts[f"relations_{kind}"] == int((relations["relation"] == kind).sum())
    assert counts["family_groups"] > 0 and (out / "shared_contacts.csv").is_file()


def test_evaluate_scores_relations_above_floors(run: tuple[Path, Path]) -> None:
    sample, out = run
    result = CliRunner().invoke(main, ["evaluate", str(out), "--truth", str(sample / "truth")])
    assert result.exit_code == 0, result.output
    assert "relations" in result.output and "sibling_of" in result.output
    scores = json.loads((out / "evaluation.json").read_text())["relations"]["per_kind"]
    for kind, (precision, recall) in FLOORS.items():
        assert scores[kind]["precision"] >= precision, (kind, scores[kind])
        assert scores[kind]["recall"] >= recall, (kind, scores[kind])


def test_family_commands(run: tuple[Path, Path], tmp_path: Path) -> None:
    _, out = run
    relations = pd.read_csv(out / "relations.csv", dtype=str)
    sponsor = relations.loc[relations["relation"] == "sponsor_of"].iloc[0]
    child, adult = sponsor["entity_b"], sponsor["entity_a"]
    runner = CliRunner()

    shown = runner.invoke(main, ["family", "show", str(out), "--entity", child])
    assert shown.exit_code == 0, shown.output
    assert "sponsor_of" in shown.output and child in shown.output
    as_json = json.loads(runner.invoke(main, ["family", "show", str(out), "--entity", child,
                                              "--json"]).output)  # fmt: skip
    assert as_json["center"] == child

    path = runner.invoke(main, ["family", "path", str(out), adult, child])
    assert path.exit_code == 0 and (
        " is sponsor of " in path.output or " is parent of " in path.output
    )

    status = runner.invoke(main, ["family", "child", str(out), child])
    assert status.exit_code == 0 and "sponsor:" in status.output

    flags = runner.invoke(main, ["family", "flags", str(out), "--min-children", "3"])
    assert flags.exit_code == 0 and "children with no known relative" in flags.output

    svg = tmp_path / "f.svg"
    drawn = runner.invoke(main, ["family", "draw", str(out), "--entity", child, "--out", str(svg)])
    assert drawn.exit_code == 0 and svg.read_text().startswith("<svg")

    missing = runner.invoke(main, ["family", "show", str(out), "--entity", "E000000000000"])
    assert missing.exit_code == 1 and "not in this run" in missing.output
