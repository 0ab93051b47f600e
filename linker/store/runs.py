"""Persisting a batch run, and reading the latest one back.

A run is written in one transaction: either the service sees all of it or none of it,
and a failed load leaves the previous run (and every decision) as it was. Rows go in
with bulk `executemany` inserts; the JSON columns are built column-wise with pandas, not
per row, so a million records load in about a minute.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from linker import columns as C
from linker.linkage import explain_pairs, rebuild_comparisons
from linker.reconcile import ReconcileResult
from linker.review_queue import REASON
from linker.run_frequencies import count_term_frequencies
from linker.store.db import Store
from linker.store.schema import Entity, Pair, Record, Relation, Run

_CHUNK = 20_000
# Indexed lookup columns of `records`, filled from the canonical columns of the same name.
_INDEXED = (
    C.FULL_NAME,
    C.GIVEN_PHONETIC,
    C.FAMILY_1_PHONETIC,
    C.DOB,
    C.DOB_YEAR,
    C.PHONE,
    C.DOCUMENT_ID,
    C.PERSON_ID,
    C.ADDRESS_KEY,
    C.FAMILY_GROUP,
)
RELATION_COLUMNS = (
    "entity_a",
    "entity_b",
    "relation",
    "evidence",
    "strength",
    "inferred",
    "sources",
    "support",
    "stated",
)


def latest_run(session: Session) -> Run | None:
    """The newest finished run: the one the service shows."""
    return session.scalar(
        select(Run).where(Run.status == "finished").order_by(Run.id.desc()).limit(1)
    )


def record_by_key(session: Session, run_id: int, source: str, record_key: str) -> Record | None:
    return session.scalar(
        select(Record).where(
            Record.run_id == run_id, Record.source == source, Record.record_key == record_key
        )
    )


def _json_lines(frame: pd.DataFrame) -> list[str]:
    """One JSON object per row (nulls kept as null), built by pandas in one pass."""
    if frame.empty:
        return []
    text = frame.to_json(orient="records", lines=True, date_format="iso", force_ascii=False)
    return text.rstrip("\n").split("\n")


def _none_if_null(values: np.ndarray) -> list[Any]:
    series = pd.Series(values, dtype=object)
    return series.where(series.notna(), None).tolist()


def _insert(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Core executemany on the session's connection (one transaction with the rest).

    Not the ORM's bulk insert: it fetches every new primary key back, row by row on
    SQLite, which made a million records take many minutes.
    """
    connection = session.connection()
    statement = insert(table.__table__)
    for start in range(0, len(rows), _CHUNK):
        connection.execute(statement, list(rows[start : start + _CHUNK]))


def _record_rows(run_id: int, records: pd.DataFrame, by_id: pd.DataFrame) -> list[dict]:
    """Insert rows of `records`; `by_id` holds each record's entity row, aligned."""
    shown = [c for c in C.RECORD_COLUMNS if c in records.columns and c not in (C.RAW,)]
    standardized = _json_lines(records[shown].astype(object))
    raw = (
        records[C.RAW].fillna("{}").astype(str).tolist()
        if C.RAW in records.columns
        else ["{}"] * len(records)
    )
    columns: dict[str, list[Any]] = {
        "row_id": records[C.RECORD_ID].astype("int64").tolist(),
        "source": records[C.SOURCE].astype(str).tolist(),
        "record_key": records[C.RECORD_KEY].astype(str).tolist(),
        "entity_id": by_id[C.ENTITY_ID].astype(str).tolist(),
        "a_number": _none_if_null(by_id[C.A_NUMBER].to_numpy()),
        "a_number_original": _none_if_null(records[C.A_NUMBER].astype(object).to_numpy()),
    }
    for column in _INDEXED:
        values = records[column].astype(object).to_numpy() if column in records else None
        columns[column] = _none_if_null(values) if values is not None else [None] * len(records)
    columns["dob_year"] = [None if v is None else int(v) for v in columns["dob_year"]]
    columns["standardized"] = standardized
    columns["raw"] = raw
    n = len(records)
    names = list(columns)
    return [{"run_id": run_id, **{name: columns[name][i] for name in names}} for i in range(n)]


def _explanations(result: ReconcileResult, pairs: pd.DataFrame) -> list[str]:
    """Per pair, JSON {comparison: [level, weight]} built column-wise."""
    if pairs.empty:
        return []
    comparisons = rebuild_comparisons(result.model)
    left = pairs[C.RECORD_ID_L].to_numpy()
    right = pairs[C.RECORD_ID_R].to_numpy()
    explained = explain_pairs(result.model, result.features, left, right, comparisons)
    parts = []
    for comparison in comparisons:
        name = comparison.name
        level = explained[C.gamma_column(name)].astype(int).astype(str)
        weight = explained[f"bf_{name}"].round(3).astype(str)
        parts.append(f'"{name}":[' + level + "," + weight + "]")
    joined = parts[0]
    for part in parts[1:]:
        joined = joined + "," + part
    return ("{" + joined + "}").tolist()


def _pairs_to_keep(result: ReconcileResult, low: float) -> pd.DataFrame:
    """Pairs a reviewer or an explanation may need: above the review band's floor, or
    queued, or decided. Rule-rejected pairs are kept only when they are queued."""
    pairs = result.pairs
    keep = pairs[C.MATCH_PROBABILITY].to_numpy() >= low
    queue = result.review_queue
    ranked = pd.Series(
        np.arange(len(queue)),
        index=pd.MultiIndex.from_arrays(
            [queue[C.RECORD_ID_L].to_numpy(), queue[C.RECORD_ID_R].to_numpy()]
        ),
    )
    here = pd.MultiIndex.from_arrays(
        [pairs[C.RECORD_ID_L].to_numpy(), pairs[C.RECORD_ID_R].to_numpy()]
    )
    rank = ranked.reindex(here).to_numpy()
    keep |= ~np.isnan(rank)
    out = pairs.loc[keep].copy()
    out["review_rank"] = rank[keep]
    reasons = pd.Series(queue[REASON].to_numpy(), index=ranked.index)
    out["review_reason"] = reasons.reindex(here[keep]).fillna("").to_numpy()
    return out.reset_index(drop=True)


def _entity_rows(entities: pd.DataFrame) -> pd.DataFrame:
    """Per entity: its A-number, size and sources ("cbp,hhs"), without a Python call per
    entity: each source is one bit, an entity's sources the OR of its members' bits."""
    codes, names = pd.factorize(entities[C.SOURCE].astype(str), sort=True)
    bits = pd.Series(np.left_shift(1, codes.astype(np.int64)), index=entities.index)
    grouped = entities.assign(_bits=bits).groupby(C.ENTITY_ID, sort=False)
    out = grouped.agg(a_number=(C.A_NUMBER, "first"), size=(C.RECORD_ID, "size"))
    masks = entities.assign(_bits=bits).drop_duplicates([C.ENTITY_ID, "_bits"])
    mask = masks.groupby(C.ENTITY_ID, sort=False)["_bits"].sum().reindex(out.index)
    labels = {m: ",".join(str(n) for i, n in enumerate(names) if m >> i & 1) for m in mask.unique()}
    out["sources"] = mask.map(labels)
    return out


def _pair_rows(
    run_id: int, result: ReconcileResult, pairs: pd.DataFrame, to_db: np.ndarray
) -> list[dict[str, Any]]:
    """Insert rows of `pairs` (a chunk), with their explanations; `to_db` maps the run's
    record ids to the stored records' ids."""
    explanations = _explanations(result, pairs)
    return [
        {
            "run_id": run_id,
            "left_id": int(left),
            "right_id": int(right),
            "match_weight": float(w),
            "match_probability": float(p),
            "contradiction": str(c),
            "review_rank": None if np.isnan(r) else int(r),
            "review_reason": str(reason),
            "explanation": e,
        }
        for left, right, w, p, c, r, reason, e in zip(
            to_db[pairs[C.RECORD_ID_L].to_numpy()],
            to_db[pairs[C.RECORD_ID_R].to_numpy()],
            pairs[C.MATCH_WEIGHT].to_numpy(),
            pairs[C.MATCH_PROBABILITY].to_numpy(),
            pairs["contradiction"].astype(str).to_numpy(),
            pairs["review_rank"].to_numpy(),
            pairs["review_reason"].to_numpy(),
            explanations,
            strict=True,
        )
    ]


def persist_run(
    store: Store,
    result: ReconcileResult,
    records: pd.DataFrame,
    *,
    mapping: str = "",
    settings: dict[str, Any] | None = None,
    relations: pd.DataFrame | None = None,
    keep_runs: int = 3,
) -> int:
    """Write one run (records with raw rows, kept pairs with explanations, entities,
    relations) and make it the latest; older runs beyond `keep_runs` are removed.
    Decisions, users and the audit log are never touched. Returns the run id.

    The run's settings keep how it read each source's dates (`date_orders`) and sex
    column (`sex_codes`), which the lookup of one new record of that source follows."""
    settings = {
        "date_orders": result.date_orders,
        "sex_codes": result.sex_codes,
        **(settings or {}),
    }
    band_low = float(settings.get("review_band", (0.2, 0.95))[0])
    threshold = float(settings.get("threshold", 0.5))
    pairs = _pairs_to_keep(result, min(band_low, threshold))
    with store.session() as session:
        run = Run(
            mapping=mapping,
            settings=settings,
            counts={k: int(v) for k, v in result.counts.items()},
            model_json=json.dumps(result.model.to_json()),
            term_frequencies=json.dumps(count_term_frequencies(records)),
        )
        session.add(run)
        session.flush()
        # Rows are built a chunk at a time: a million records as dicts at once would
        # hold several GB (the JSON texts above all).
        by_id = result.entities.set_index(C.RECORD_ID).reindex(records[C.RECORD_ID].to_numpy())
        for start in range(0, len(records), _CHUNK):
            part = slice(start, start + _CHUNK)
            _insert(session, Record, _record_rows(run.id, records.iloc[part], by_id.iloc[part]))
        ids = {
            int(row_id): int(db_id)
            for row_id, db_id in session.execute(
                select(Record.row_id, Record.id).where(Record.run_id == run.id)
            )
        }
        to_db = np.zeros(len(records), dtype=np.int64)
        to_db[np.fromiter(ids.keys(), dtype=np.int64)] = np.fromiter(ids.values(), np.int64)
        for start in range(0, len(pairs), _CHUNK):
            _insert(
                session, Pair, _pair_rows(run.id, result, pairs.iloc[start : start + _CHUNK], to_db)
            )
        entities = _entity_rows(result.entities)
        _insert(
            session,
            Entity,
            [
                {
                    "run_id": run.id,
                    "entity_id": str(eid),
                    "a_number": None if pd.isna(a) else str(a),
                    "size": int(size),
                    "sources": sources,
                }
                for eid, a, size, sources in entities.itertuples()
            ],
        )
        if relations is not None and len(relations):
            rel = relations.reindex(columns=list(RELATION_COLUMNS))
            rel["evidence"] = rel["evidence"].fillna("").astype(str)
            rel["strength"] = rel["strength"].fillna("strong").astype(str)
            rel["inferred"] = rel["inferred"].fillna(False).astype(bool)
            # relations.csv read as text holds "" for no stated relationship / sources.
            rel["sources"] = rel["sources"].fillna("").astype(str)
            support = pd.to_numeric(rel["support"], errors="coerce").fillna(1)
            rel["support"] = support.astype("int64")
            stated = rel["stated"].astype(object)
            rel["stated"] = stated.where(stated.notna() & (stated != ""), None)
            _insert(
                session,
                Relation,
                [{"run_id": run.id, **row} for row in rel.to_dict("records")],
            )
        session.execute(
            update(Run)
            .where(Run.id == run.id)
            .values(status="finished", finished_at=datetime.now(UTC))
        )
        old = session.scalars(
            select(Run.id).order_by(Run.id.desc()).offset(max(keep_runs, 1))
        ).all()
        if old:
            for table in (Pair, Relation, Entity, Record):
                session.execute(delete(table).where(table.run_id.in_(old)))
            session.execute(delete(Run).where(Run.id.in_(old)))
        return run.id
