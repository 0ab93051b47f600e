"""Accuracy of a run against ground truth: entities (pairwise, B-cubed) and A-numbers.

Everything here is counted from contingency tables, never from enumerated pairs: a
cluster of n records holds n*(n-1)/2 pairs, so one large cluster on a million records
would hold 10^11 of them. The table of (entity, person) counts n_ij gives every figure:

    true-positive pairs  = sum_ij C(n_ij, 2)
    predicted pairs      = sum_i  C(n_i., 2)       (pairs in the same entity)
    true pairs           = sum_j  C(n_.j, 2)       (pairs of the same person)
    B-cubed precision    = (1/N) sum_ij n_ij^2 / n_i.
    B-cubed recall       = (1/N) sum_ij n_ij^2 / n_.j

Records are matched between the run and the truth on ``(source, record_key)``. A record
present on one side only is counted and named in the result (``only_in_predicted`` /
``only_in_truth``), never silently dropped; the metrics are computed over the records
present on both sides.

A ratio with nothing to count (0/0: a run that links nothing has no predicted pairs) is
1.0, "no claim made, none wrong"; the F1 of a precision and recall that are both 0 is 0.

Functions are pure: the caller reads the files (``entities.csv``, ``truth/records.csv``,
``truth/persons.csv``) and passes frames; read identifiers as strings (``dtype=str``) so
that A-numbers keep their leading zeros, though numbers read as int or float still work.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import pandas as pd

from linker.columns import A_NUMBER, ENTITY_ID, RECORD_KEY, SOURCE
from linker.errors import DataContractError

# Truth columns (truth/records.csv and truth/persons.csv written by `linker sample-data`).
TRUTH_PERSON_ID: Final = "person_id"
# The record's own A-number as the extract gave it (standardized; null when absent).
# Not yet in linker.columns: the lead may move it there.
A_NUMBER_ORIGINAL: Final = "a_number_original"

EXAMPLES: Final = 10  # record keys named per one-sided group; the full count is kept
KEYS: Final = (SOURCE, RECORD_KEY)


# --- entities -----------------------------------------------------------------------------
def evaluate_entities(predicted: pd.DataFrame, truth: pd.DataFrame) -> dict[str, Any]:
    """Pairwise and B-cubed precision / recall / F1 of predicted entities against true persons.

    ``predicted`` has ``source, record_key, entity_id`` (as ``entities.csv``); ``truth``
    has ``source, record_key, person_id`` (as ``truth/records.csv``). Each record may
    appear once per side. Returns a JSON-ready dict::

        {"kind": "entities", "records": N, "entities": E, "true_persons": P,
         "pairwise": {"precision", "recall", "f1", "true_positive_pairs",
                      "predicted_pairs", "true_pairs", "false_positive_pairs",
                      "false_negative_pairs"},
         "bcubed": {"precision", "recall", "f1"},
         "only_in_predicted": {"count", "examples"}, "only_in_truth": {"count", "examples"}}

    ``records``, ``entities`` and ``true_persons`` count the records scored (present on
    both sides) and the entities and persons they fall in.
    """
    _require(predicted, (*KEYS, ENTITY_ID), "predicted")
    _require(truth, (*KEYS, TRUTH_PERSON_ID), "truth")
    _require_labels(predicted, ENTITY_ID, "predicted")
    _require_labels(truth, TRUTH_PERSON_ID, "truth")
    aligned = _align(predicted, truth)
    entity = _codes(predicted[ENTITY_ID].to_numpy()[aligned.left])
    person = _codes(truth[TRUTH_PERSON_ID].to_numpy()[aligned.right])
    return {
        "kind": "entities",
        "records": len(entity),
        "entities": int(entity.max(initial=-1)) + 1,
        "true_persons": int(person.max(initial=-1)) + 1,
        "pairwise": pairwise_scores(entity, person),
        "bcubed": bcubed_scores(entity, person),
        **aligned.one_sided,
    }


def pairwise_scores(predicted: Any, truth: Any) -> dict[str, Any]:
    """Pair counts and pairwise precision / recall / F1 of two labelings of the same records.

    ``predicted`` and ``truth`` are aligned array-likes of cluster labels (any hashable,
    no nulls).
    """
    p_code, t_code = _paired_codes(predicted, truth)
    cells = _cell_counts(p_code, t_code)[1]
    tp = _pairs(cells)
    pred_pairs, true_pairs = _pairs(np.bincount(p_code)), _pairs(np.bincount(t_code))
    precision, recall = _ratio(tp, pred_pairs), _ratio(tp, true_pairs)
    return {
        "precision": precision,
        "recall": recall,
        "f1": _f1(precision, recall),
        "true_positive_pairs": tp,
        "predicted_pairs": pred_pairs,
        "true_pairs": true_pairs,
        "false_positive_pairs": pred_pairs - tp,
        "false_negative_pairs": true_pairs - tp,
    }


def bcubed_scores(predicted: Any, truth: Any) -> dict[str, float]:
    """B-cubed precision / recall / F1: per record, the share of its entity that is its person
    (precision) and the share of its person that is in its entity (recall), averaged.

    Unlike pairwise scores, which large clusters dominate quadratically, every record
    weighs the same here: a singleton wrongly merged into a family counts once.
    """
    p_code, t_code = _paired_codes(predicted, truth)
    n = len(p_code)
    if n == 0:
        return {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    width = int(t_code.max()) + 1
    cell, cell_count = _cell_counts(p_code, t_code)
    n_ij = cell_count.astype(np.float64)
    row_size = np.bincount(p_code)[cell // width]
    col_size = np.bincount(t_code)[cell % width]
    precision = float(np.sum(n_ij * n_ij / row_size) / n)
    recall = float(np.sum(n_ij * n_ij / col_size) / n)
    return {"precision": precision, "recall": recall, "f1": _f1(precision, recall)}


# --- A-numbers ----------------------------------------------------------------------------
def evaluate_a_numbers(
    predicted: pd.DataFrame,
    truth_records: pd.DataFrame,
    *,
    truth_persons: pd.DataFrame | None = None,
    records: pd.DataFrame | None = None,
) -> dict[str, Any]:
    """How well the run gave A-numbers to records whose extract had none.

    Arguments:
        predicted: ``source, record_key, a_number, a_number_original`` per record, where
            ``a_number`` is the A-number of the record's entity (recovered or original)
            and ``a_number_original`` the record's own, null or empty when it had none.
        truth_records: ``source, record_key, person_id`` (``truth/records.csv``).
        truth_persons: ``person_id, a_number`` (``truth/persons.csv``); empty when the
            person has no A-number. When it has that column, it is the truth.
        records: ``source, record_key, a_number`` of the standardized records, used only
            when ``truth_persons`` is absent or has no ``a_number`` column: a person's
            A-number is then the most frequent valid one among their records (ties go to
            the smallest). Defaults to ``predicted``'s ``a_number_original``.

    Among the records present on both sides that had no A-number (``missing``):
    ``assigned`` got one, ``correct`` got their person's, ``wrong`` got someone else's
    (including a person who has none), ``recoverable`` belong to a person who has one.
    Rates: ``coverage`` = assigned / missing, ``precision`` = correct / assigned,
    ``wrong_rate`` = wrong / assigned, ``recall`` = correct / recoverable. Also
    ``original_overridden``: records that had an A-number and whose entity shows another.
    Records on one side only are reported as in :func:`evaluate_entities`.
    """
    _require(predicted, (*KEYS, A_NUMBER, A_NUMBER_ORIGINAL), "predicted")
    _require(truth_records, (*KEYS, TRUTH_PERSON_ID), "truth_records")
    _require_labels(truth_records, TRUTH_PERSON_ID, "truth_records")
    aligned = _align(predicted, truth_records)
    assigned_a = _a_number_array(predicted[A_NUMBER], aligned.left)
    original_a = _a_number_array(predicted[A_NUMBER_ORIGINAL], aligned.left)
    person, persons = pd.factorize(truth_records[TRUTH_PERSON_ID].to_numpy()[aligned.right])
    if records is None and (truth_persons is None or A_NUMBER not in truth_persons.columns):
        truth_a = _most_frequent_a_number(person, persons, original_a)  # alignment reused
    else:
        truth_a = person_a_numbers(truth_records, truth_persons=truth_persons, records=records)
    # Look up each distinct person once, then spread to the records by code.
    where = pd.Index(truth_a.index).get_indexer(persons)
    # A trailing 0 is what a person without a known A-number (index -1) looks up.
    table = np.append(truth_a.to_numpy(dtype=np.int64, na_value=0), 0)
    per_person = table[where]
    true_a = per_person[person]

    missing = original_a == 0
    assigned = missing & (assigned_a > 0)
    correct = assigned & (true_a > 0) & (assigned_a == true_a)
    recoverable = missing & (true_a > 0)
    overridden = ~missing & (assigned_a > 0) & (assigned_a != original_a)
    n_missing, n_assigned, n_correct = int(missing.sum()), int(assigned.sum()), int(correct.sum())
    n_wrong, n_recoverable = n_assigned - n_correct, int(recoverable.sum())
    return {
        "kind": "a_numbers",
        "records": len(person),
        "missing": n_missing,
        "recoverable": n_recoverable,
        "assigned": n_assigned,
        "correct": n_correct,
        "wrong": n_wrong,
        "not_assigned": n_missing - n_assigned,
        "coverage": _ratio(n_assigned, n_missing),
        "precision": _ratio(n_correct, n_assigned),
        "wrong_rate": n_wrong / n_assigned if n_assigned else 0.0,
        "recall": _ratio(n_correct, n_recoverable),
        "original_overridden": int(overridden.sum()),
        **aligned.one_sided,
    }


def person_a_numbers(
    truth_records: pd.DataFrame,
    *,
    truth_persons: pd.DataFrame | None = None,
    records: pd.DataFrame | None = None,
) -> pd.Series:
    """Each true person's A-number (Int64, indexed by person_id; a person without one is absent).

    From ``truth_persons.a_number`` when that column exists; otherwise the most frequent
    valid A-number among the person's ``records`` (``source, record_key, a_number``),
    ties to the smallest. Records absent from ``truth_records`` are ignored.
    """
    if truth_persons is not None and A_NUMBER in truth_persons.columns:
        _require(truth_persons, (TRUTH_PERSON_ID, A_NUMBER), "truth_persons")
        if truth_persons[TRUTH_PERSON_ID].duplicated().any():
            raise DataContractError("truth_persons: a person_id appears on more than one row")
        person, persons = pd.factorize(truth_persons[TRUTH_PERSON_ID].to_numpy())
        values = _a_number_array(truth_persons[A_NUMBER])
    else:
        if records is None:
            raise DataContractError(
                "person_a_numbers needs truth_persons with an 'a_number' column, or the "
                "records ('source, record_key, a_number') to derive each person's A-number"
            )
        _require(records, (*KEYS, A_NUMBER), "records")
        aligned = _align(records, truth_records, sides=("records", "truth_records"))
        person, persons = pd.factorize(truth_records[TRUTH_PERSON_ID].to_numpy()[aligned.right])
        values = _a_number_array(records[A_NUMBER], aligned.left)
    return _most_frequent_a_number(person, persons, values)


def _most_frequent_a_number(person: np.ndarray, persons: Any, values: np.ndarray) -> pd.Series:
    """Per person (codes into ``persons``), the A-number most of their records carry, ties
    to the smallest; persons with no valid A-number are left out."""
    keep = values > 0
    counts = (
        pd.DataFrame({"p": person[keep], "a": values[keep]})
        .value_counts()
        .rename("n")
        .reset_index()
        .sort_values(["p", "n", "a"], ascending=[True, False, True], kind="stable")
        .drop_duplicates("p")
    )
    return pd.Series(
        counts["a"].to_numpy(),
        index=pd.Index(np.asarray(persons)[counts["p"].to_numpy()], name=TRUTH_PERSON_ID),
        dtype="Int64",
        name=A_NUMBER,
    )


def a_number_values(values: pd.Series) -> pd.Series:
    """A-numbers as nullable Int64, so "012345678", 12345678 and 12345678.0 compare equal.

    A CSV read without ``dtype=str`` turns A-numbers into ints (or floats, when some are
    empty) and drops leading zeros; comparing numbers sidesteps that. "A-012 345 678"
    keeps its digits. Anything without digits, and zero, is missing.
    """
    numbers = _a_number_array(values)
    return pd.Series(numbers, index=values.index, dtype="Int64").where(numbers > 0)


# --- text ---------------------------------------------------------------------------------
def format_evaluation(result: Mapping[str, Any]) -> str:
    """A plain-text table of one result, or of a mapping of results ({"entities": ..., ...})."""
    if "kind" not in result:
        return "\n\n".join(format_evaluation(part) for part in result.values())
    if result["kind"] == "relations":
        from linker.family.scoring import format_relations

        return "\n".join(format_relations(result))
    if result["kind"] == "entities":
        lines = _entities_table(result)
    elif result["kind"] == "a_numbers":
        lines = _a_numbers_table(result)
    else:
        raise ValueError(f"unknown evaluation kind {result['kind']!r}")
    for side in ("only_in_predicted", "only_in_truth"):
        group = result[side]
        if group["count"]:
            where = "the run" if side == "only_in_predicted" else "the truth"
            shown = ", ".join(group["examples"])
            more = " ..." if group["count"] > len(group["examples"]) else ""
            lines.append(f"{group['count']:,} records only in {where} (not scored): {shown}{more}")
    return "\n".join(lines)


def _entities_table(r: Mapping[str, Any]) -> list[str]:
    pw, b3 = r["pairwise"], r["bcubed"]
    return [
        f"records {r['records']:,}   entities {r['entities']:,}   "
        f"true persons {r['true_persons']:,}",
        "",
        f"{'':10}{'precision':>11}{'recall':>9}{'F1':>9}",
        f"{'pairwise':10}{pw['precision']:>11.4f}{pw['recall']:>9.4f}{pw['f1']:>9.4f}",
        f"{'B-cubed':10}{b3['precision']:>11.4f}{b3['recall']:>9.4f}{b3['f1']:>9.4f}",
        "",
        f"pairs: {pw['true_positive_pairs']:,} true positive, "
        f"{pw['false_positive_pairs']:,} false positive, "
        f"{pw['false_negative_pairs']:,} false negative "
        f"(of {pw['predicted_pairs']:,} predicted, {pw['true_pairs']:,} true)",
    ]


def _a_numbers_table(r: Mapping[str, Any]) -> list[str]:
    def share(count: int, total: int) -> str:
        return f"{count / total:>8.1%}" if total else f"{'-':>8}"

    rows = [
        ("records without an A-number", r["missing"], r["missing"]),
        ("  whose person has one", r["recoverable"], r["missing"]),
        ("  given an A-number", r["assigned"], r["missing"]),
        ("    the right one", r["correct"], r["assigned"]),
        ("    someone else's", r["wrong"], r["assigned"]),
        ("  still without one", r["not_assigned"], r["missing"]),
    ]
    lines = [f"A-numbers over {r['records']:,} records", ""]
    lines += [f"{label:32}{count:>12,}{share(count, total)}" for label, count, total in rows]
    lines += [
        "",
        f"coverage {r['coverage']:.4f}   precision {r['precision']:.4f}   "
        f"recall {r['recall']:.4f}   wrong rate {r['wrong_rate']:.4f}",
        f"records whose own A-number the entity overrides: {r['original_overridden']:,}",
    ]
    return lines


# --- internals ----------------------------------------------------------------------------
@dataclass(frozen=True)
class _Aligned:
    """Row positions of the records present on both sides, and the one-sided report."""

    left: np.ndarray
    right: np.ndarray
    one_sided: dict[str, Any]


def _require(frame: pd.DataFrame, columns: tuple[str, ...], side: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataContractError(
            f"{side} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)}"
        )


def _require_labels(frame: pd.DataFrame, column: str, side: str) -> None:
    null = frame[column].isna().to_numpy()
    if null.any():
        raise DataContractError(
            f"{side}: {int(null.sum()):,} rows have an empty {column} "
            f"(first at row {int(np.argmax(null))}); every record needs one"
        )


def _align(
    left: pd.DataFrame,
    right: pd.DataFrame,
    *,
    sides: tuple[str, str] = ("predicted", "truth"),
) -> _Aligned:
    """Match records on (source, record_key) without a merge: a merge sorts object
    strings, ten times slower on a million rows than factorizing them once."""
    for frame, side in zip((left, right), sides, strict=True):
        null = frame[SOURCE].isna().to_numpy() | frame[RECORD_KEY].isna().to_numpy()
        if null.any():
            raise DataContractError(
                f"{side}: {int(null.sum()):,} rows have an empty source or record_key "
                f"(first at row {int(np.argmax(null))})"
            )
    n_left = len(left)
    source = _joint_codes(left[SOURCE], right[SOURCE])
    record = _joint_codes(left[RECORD_KEY], right[RECORD_KEY])
    key = record * (int(source.max(initial=0)) + 1) + source
    size = int(key.max(initial=-1)) + 1
    left_key, right_key = key[:n_left], key[n_left:]
    for side_key, side in zip((left_key, right_key), sides, strict=True):
        repeated = np.bincount(side_key, minlength=size)[side_key] > 1
        if repeated.any():
            raise DataContractError(
                f"{side}: {int(repeated.sum()):,} rows share a (source, record_key) with "
                f"another row (first at row {int(np.argmax(repeated))}); each record must "
                "appear once"
            )
    row_in_right = np.full(size, -1, dtype=np.int64)
    row_in_right[right_key] = np.arange(len(right_key))
    match = row_in_right[left_key]
    in_left = np.zeros(size, dtype=bool)
    in_left[left_key] = True
    only_left = np.flatnonzero(match < 0)
    only_right = np.flatnonzero(~in_left[right_key])
    return _Aligned(
        left=np.flatnonzero(match >= 0),
        right=match[match >= 0],
        one_sided={
            "only_in_predicted": _one_side(left, only_left),
            "only_in_truth": _one_side(right, only_right),
        },
    )


def _joint_codes(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Codes shared by both sides; keys as text, since a CSV may give ints where Parquet
    gives strings."""
    both = pd.concat([_as_text(left), _as_text(right)], ignore_index=True)
    return pd.factorize(both)[0].astype(np.int64)


def _as_text(values: pd.Series) -> pd.Series:
    if values.dtype == object or isinstance(values.dtype, pd.StringDtype):
        return values.astype(object)
    return values.astype(str).astype(object)


def _one_side(frame: pd.DataFrame, rows: np.ndarray) -> dict[str, Any]:
    shown = rows[:EXAMPLES]
    sources = frame[SOURCE].to_numpy()[shown]
    keys = frame[RECORD_KEY].to_numpy()[shown]
    examples = [f"{s}:{k}" for s, k in zip(sources, keys, strict=True)]
    return {"count": len(rows), "examples": examples}


def _a_number_array(values: pd.Series, rows: np.ndarray | None = None) -> np.ndarray:
    """The A-numbers (at positions ``rows``, default all) as int64, 0 where missing or invalid.

    Fast path: pd.to_numeric parses clean digit strings, ints and floats in C; only what
    it cannot parse (letters, spaces, dashes) goes through the regexes, once per value.
    """
    picked = values if rows is None else values.iloc[rows]
    if pd.api.types.is_bool_dtype(picked.dtype):
        return np.zeros(len(picked), dtype=np.int64)
    if not pd.api.types.is_numeric_dtype(picked.dtype):
        picked = picked.astype(object)
    numbers = pd.to_numeric(picked, errors="coerce")
    floats = np.asarray(numbers, dtype=np.float64)
    failed = np.isnan(floats) & picked.notna().to_numpy()
    if failed.any():
        codes, uniques = pd.factorize(picked[failed].astype(str))
        digits = (
            pd.Series(uniques, dtype=object)
            .str.strip()
            .str.replace(r"\.0+$", "", regex=True)
            .str.replace(r"\D+", "", regex=True)
        )
        parsed = pd.to_numeric(digits.where(digits.str.len().between(1, 15)), errors="coerce")
        floats[failed] = np.asarray(parsed, dtype=np.float64)[codes]
    valid = np.isfinite(floats) & (floats >= 1) & (floats < 1e15)
    return np.where(valid, np.round(np.where(valid, floats, 0)), 0).astype(np.int64)


def _codes(labels: Any) -> np.ndarray:
    """Dense int64 codes 0..k-1 of a labeling; a null label is an error, not a cluster."""
    array_like = isinstance(labels, np.ndarray | pd.Series | pd.Index)
    codes = pd.factorize(labels if array_like else pd.Series(labels, dtype=object))[0]
    if (codes < 0).any():
        raise ValueError("a labeling has null labels: every record needs a cluster")
    return codes.astype(np.int64)


def _paired_codes(predicted: Any, truth: Any) -> tuple[np.ndarray, np.ndarray]:
    p_code, t_code = _codes(predicted), _codes(truth)
    if len(p_code) != len(t_code):
        raise ValueError("the two labelings must label the same records")
    return p_code, t_code


def _cell_counts(p_code: np.ndarray, t_code: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Non-empty cells of the contingency table (as p * width + t) and their counts."""
    width = np.int64(t_code.max(initial=-1) + 1)
    return np.unique(p_code * width + t_code, return_counts=True)


def _pairs(sizes: np.ndarray) -> int:
    """Sum of C(n, 2) over the sizes, exact in int64 (clusters up to 4e9 records)."""
    s = sizes.astype(np.int64)
    return int(np.sum(s * (s - 1) // 2, dtype=np.int64))


def _ratio(numerator: int, denominator: int) -> float:
    return numerator / denominator if denominator else 1.0


def _f1(precision: float, recall: float) -> float:
    total = precision + recall
    return 2 * precision * recall / total if total else 0.0
