"""Accuracy of inferred relations against the sample truth (truth/relations.csv).

Relations are between entities on one side and true persons on the other. Each entity
stands for the person most of its records belong to (records matched on
``(source, record_key)``); a predicted relation is then a (person, person, kind) triple,
symmetric kinds with the smaller person first, and the two sides are compared as sets.
A linkage mistake that splits a person in two makes one true relation appear twice: it
is counted once. Kinds without truth (the weak shared-contact links) are counted, not
scored.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd

from linker import columns as C
from linker.errors import DataContractError
from linker.family import kinds as K

TRUTH_PERSON_A: Final = "person_a"
TRUTH_PERSON_B: Final = "person_b"
TRUTH_PERSON_ID: Final = "person_id"
SCORED_KINDS: Final = K.STRONG_KINDS


def evaluate_relations(
    predicted: pd.DataFrame,
    entities: pd.DataFrame,
    truth_records: pd.DataFrame,
    truth_relations: pd.DataFrame,
) -> dict[str, Any]:
    """Precision and recall per relation kind.

    Arguments:
        predicted: ``entity_a, entity_b, relation`` (``relations.csv``).
        entities: ``source, record_key, entity_id`` (``entities.csv``).
        truth_records: ``source, record_key, person_id`` (``truth/records.csv``).
        truth_relations: ``person_a, person_b, relation`` (``truth/relations.csv``).

    Returns ``{"kind": "relations", "per_kind": {kind: {"predicted", "true",
    "true_positive", "precision", "recall", "f1"}}, "unscored": {kind: count}}``.
    """
    _require(predicted, (K.ENTITY_A, K.ENTITY_B, K.RELATION), "predicted relations")
    _require(entities, (C.SOURCE, C.RECORD_KEY, C.ENTITY_ID), "entities")
    _require(truth_records, (C.SOURCE, C.RECORD_KEY, TRUTH_PERSON_ID), "truth records")
    _require(truth_relations, (TRUTH_PERSON_A, TRUTH_PERSON_B, K.RELATION), "truth relations")
    person_of = entity_persons(entities, truth_records)
    pa = person_of.reindex(predicted[K.ENTITY_A].astype(str).to_numpy()).to_numpy(dtype=object)
    pb = person_of.reindex(predicted[K.ENTITY_B].astype(str).to_numpy()).to_numpy(dtype=object)
    known = pd.notna(pa) & pd.notna(pb)
    guessed = _triples(pa[known], pb[known], predicted[K.RELATION].to_numpy(dtype=object)[known])
    truth = _triples(
        truth_relations[TRUTH_PERSON_A].to_numpy(dtype=object),
        truth_relations[TRUTH_PERSON_B].to_numpy(dtype=object),
        truth_relations[K.RELATION].to_numpy(dtype=object),
    )
    hit = guessed.merge(truth, how="inner").drop_duplicates()
    per_kind: dict[str, dict[str, float | int]] = {}
    for kind in SCORED_KINDS:
        n_pred = int((guessed[K.RELATION] == kind).sum())
        n_true = int((truth[K.RELATION] == kind).sum())
        tp = int((hit[K.RELATION] == kind).sum())
        precision = tp / n_pred if n_pred else 1.0
        recall = tp / n_true if n_true else 1.0
        total = precision + recall
        per_kind[kind] = {
            "predicted": n_pred,
            "true": n_true,
            "true_positive": tp,
            "precision": precision,
            "recall": recall,
            "f1": 2 * precision * recall / total if total else 0.0,
        }
    unscored = predicted.loc[~predicted[K.RELATION].isin(list(SCORED_KINDS)), K.RELATION]
    return {
        "kind": "relations",
        "per_kind": per_kind,
        "unscored": {str(k): int(v) for k, v in unscored.value_counts().items()},
        "unmapped_relations": int((~known).sum()),
    }


def entity_persons(entities: pd.DataFrame, truth_records: pd.DataFrame) -> pd.Series:
    """The true person each entity stands for: the one most of its records belong to
    (ties to the smallest person id); entities with no record in the truth are absent."""
    keys = [C.SOURCE, C.RECORD_KEY]
    left = entities[[*keys, C.ENTITY_ID]].astype(str)
    right = truth_records[[*keys, TRUTH_PERSON_ID]].astype(str)
    both = left.merge(right, on=keys, how="inner")
    counts = both.groupby([C.ENTITY_ID, TRUTH_PERSON_ID]).size().rename("n").reset_index()
    counts = counts.sort_values(
        [C.ENTITY_ID, "n", TRUTH_PERSON_ID], ascending=[True, False, True], kind="stable"
    ).drop_duplicates(C.ENTITY_ID)
    return pd.Series(
        counts[TRUTH_PERSON_ID].to_numpy(), index=counts[C.ENTITY_ID].to_numpy(), dtype=object
    )


def format_relations(result: Mapping[str, Any]) -> list[str]:
    """A plain-text table of :func:`evaluate_relations`' result."""
    lines = [
        "relations",
        "",
        f"{'kind':14}{'precision':>11}{'recall':>9}{'F1':>9}{'predicted':>11}{'true':>8}",
    ]
    for kind, r in result["per_kind"].items():
        lines.append(
            f"{kind:14}{r['precision']:>11.4f}{r['recall']:>9.4f}{r['f1']:>9.4f}"
            f"{r['predicted']:>11,}{r['true']:>8,}"
        )
    if result["unscored"]:
        shown = ", ".join(f"{k} {v:,}" for k, v in result["unscored"].items())
        lines.append(f"not scored (no truth for these kinds): {shown}")
    return lines


def _triples(a: np.ndarray, b: np.ndarray, kind: np.ndarray) -> pd.DataFrame:
    a, b = a.astype(str), b.astype(str)
    sym = ~np.isin(kind, list(K.DIRECTED_KINDS))
    lo, hi = np.where(a <= b, a, b), np.where(a <= b, b, a)
    frame = pd.DataFrame(
        {"pa": np.where(sym, lo, a), "pb": np.where(sym, hi, b), K.RELATION: kind.astype(str)}
    )
    return frame.drop_duplicates().reset_index(drop=True)


def _require(frame: pd.DataFrame, columns: tuple[str, ...], side: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"{side} lack column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


def evaluate_run_relations(
    run_dir: Path, truth_dir: Path, entities: pd.DataFrame, truth_records: pd.DataFrame
) -> dict[str, Any] | None:
    """:func:`evaluate_relations` for a run folder and a truth folder, or None when
    either has no relations.csv (a run from before the family graph, a truth without)."""
    predicted_path, truth_path = run_dir / "relations.csv", truth_dir / "relations.csv"
    if not (predicted_path.is_file() and truth_path.is_file()):
        return None
    predicted = pd.read_csv(predicted_path, dtype=str, keep_default_na=False)
    truth = pd.read_csv(truth_path, dtype=str, keep_default_na=False)
    return evaluate_relations(predicted, entities, truth_records, truth)
