"""The family graph of the store's latest run, with reviewers' asserted relations on top.

The service answers family questions from the store, not from a run folder: the run's
records (their standardized JSON), entities and relations are read once per run and
turned into a :class:`~linker.family.graph.FamilyGraph` through the same
:func:`~linker.family.infer.attach_relations` path the CLI uses, so both see one graph.

Reviewer-asserted relations (``asserted_relations``) are keyed by records'
``(source, record_key)``, never by entity ids, so they outlive re-runs that renumber
entities: at build time each assertion is resolved to the entities holding its two
records in this run, and the newest assertion per (entity a, entity b, kind) wins. An
active one adds the relation (replacing the data's evidence with the reviewer's); an
inactive one removes it, whether a reviewer added it or the batch inferred it. The log
is append-only, like decisions: a removal is a new row.

Building costs a JSON parse of every record, so graphs are cached per process, keyed by
(store, run id, newest assertion id): a new run or a new assertion changes the key, in
every worker process alike, since the key is read from the database on each request
(one indexed ``max(id)``). A lock makes concurrent requests build a graph once.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Final

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linker import columns as C
from linker.errors import DataContractError
from linker.family import kinds as K
from linker.family.graph import FamilyGraph, build_family_graph
from linker.family.infer import attach_relations
from linker.family.people import FACT_INPUT_COLUMNS, FamilySettings
from linker.family.queries import RedFlags, red_flags
from linker.store.db import Store
from linker.store.runs import latest_run
from linker.store.schema import AssertedRelation, Record, Relation

# Audit actions of the family pages and API (targets are entity ids, never names).
VIEW_FAMILY: Final = "view_family"
FAMILY_PATH: Final = "family_path"
CHILD_STATUS: Final = "child_status"
RED_FLAGS: Final = "red_flags"
EXPORT_FAMILY: Final = "export_family"
ASSERT_RELATION: Final = "assert_relation"
REMOVE_RELATION: Final = "remove_relation"

ASSERTED_SOURCE: Final = "reviewer"  # the `sources` value of an asserted relation
MAX_NOTE: Final = 2000
_PARSE_CHUNK: Final = 50_000  # records' JSON parsed per json.loads call
_CACHED_PER_STORE: Final = 2  # graphs kept per store: the current one and the one before


class NoRun(DataContractError):
    """The store holds no finished run yet (the service answers 404)."""


@dataclass(frozen=True)
class RunInputs:
    """What a run contributes to its graph, read once per run: records (the fact
    columns), entities (record -> entity, A-number) and the batch's relations."""

    run_id: int
    records: pd.DataFrame
    entities: pd.DataFrame
    relations: pd.DataFrame


@dataclass(frozen=True)
class StoreFamily:
    """A run's family graph with the assertions applied, and where it came from."""

    run_id: int
    version: int  # the newest assertion id it includes (0: none)
    graph: FamilyGraph
    inputs: RunInputs
    _flags: dict[int, RedFlags] = field(default_factory=dict, compare=False, repr=False)
    _flags_lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def red_flags(self, min_children: int) -> RedFlags:
        """The run's red flags, computed once per threshold for this graph (they scan
        every person, so a page view must not redo them)."""
        with self._flags_lock:
            if min_children not in self._flags:
                self._flags[min_children] = red_flags(self.graph, min_children=min_children)
            return self._flags[min_children]

    def representative(self, entity_id: str) -> tuple[str, str]:
        """The record an assertion about this person is keyed by: their first record
        in (source, record_key) order, stable while the membership is."""
        self.graph.require(entity_id)
        rows = self.graph.records_of(entity_id)
        first = rows.sort_values([C.SOURCE, C.RECORD_KEY], kind="stable").iloc[0]
        return str(first[C.SOURCE]), str(first[C.RECORD_KEY])


# --- reading a run ---------------------------------------------------------------------------
def read_run_inputs(session: Session, run_id: int) -> RunInputs:
    """The run's records, entities and relations as the family library's frames.

    The standardized JSON is parsed a chunk of records at a time, each chunk as one JSON
    array (one C-level ``json.loads`` rather than one call per record, three times faster
    than ``pandas.read_json`` here), keeping only the columns the relation rules read so
    a million records never sit in memory as dicts at once.
    """
    rows = session.execute(
        select(
            Record.row_id, Record.source, Record.record_key, Record.entity_id, Record.a_number,
            Record.standardized,
        )
        .where(Record.run_id == run_id)
        .order_by(Record.row_id)
    ).all()  # fmt: skip
    if not rows:
        raise NoRun(f"run {run_id} holds no records")
    keys = pd.DataFrame(
        rows, columns=[C.RECORD_ID, C.SOURCE, C.RECORD_KEY, C.ENTITY_ID, C.A_NUMBER, "_json"]
    )
    del rows
    wanted = [c for c in FACT_INPUT_COLUMNS if c not in (C.RECORD_ID, C.SOURCE, C.RECORD_KEY)]
    texts = keys.pop("_json").fillna("{}").tolist()
    chunks = [
        pd.DataFrame(json.loads("[" + ",".join(texts[i : i + _PARSE_CHUNK]) + "]"), columns=wanted)
        for i in range(0, len(texts), _PARSE_CHUNK)
    ]
    del texts
    records = pd.concat(chunks, ignore_index=True).astype(object)
    for column in (C.RECORD_ID, C.SOURCE, C.RECORD_KEY):
        records[column] = keys[column].to_numpy()
    records[C.RECORD_ID] = records[C.RECORD_ID].astype(np.int64)
    entities = keys[[C.RECORD_ID, C.SOURCE, C.RECORD_KEY, C.ENTITY_ID, C.A_NUMBER]].copy()
    entities[C.A_NUMBER] = entities[C.A_NUMBER].astype(object).where(entities[C.A_NUMBER].notna())
    relations = pd.DataFrame(
        session.execute(
            select(*(getattr(Relation, c) for c in K.RELATION_COLUMNS)).where(
                Relation.run_id == run_id
            )
        ).all(),
        columns=list(K.RELATION_COLUMNS),
    )
    relations[K.INFERRED] = relations[K.INFERRED].astype(bool)
    relations[K.SUPPORT] = relations[K.SUPPORT].fillna(1).astype(np.int64)
    return RunInputs(run_id, records, entities, relations)


# --- reviewer-asserted relations ---------------------------------------------------------------
def assert_relation(
    session: Session,
    a: tuple[str, str],
    b: tuple[str, str],
    relation: str,
    reviewer: str,
    *,
    active: bool = True,
    note: str = "",
) -> AssertedRelation:
    """Append an assertion between two records: ``active`` adds the relation, else
    removes it. Directed kinds read a -> b (parent -> child, sponsor -> child);
    symmetric ones are stored with the smaller record first, so (a, b) and (b, a) are
    one relation."""
    if relation not in K.RELATION_KINDS:
        raise DataContractError(
            f"relation {relation!r} is not a kind; expected one of {', '.join(K.RELATION_KINDS)}"
        )
    if a == b:
        raise DataContractError("a relation needs two different records")
    if len(note) > MAX_NOTE:
        raise DataContractError(f"the note is longer than {MAX_NOTE} characters")
    if relation not in K.DIRECTED_KINDS and b < a:
        a, b = b, a
    row = AssertedRelation(
        a_source=a[0],
        a_record_key=a[1],
        b_source=b[0],
        b_record_key=b[1],
        relation=relation,
        active=active,
        note=note,
        reviewer=reviewer,
    )
    session.add(row)
    session.flush()
    return row


def asserted_version(session: Session) -> int:
    """The newest assertion's id (0 when none): part of the graph cache's key."""
    return int(session.scalar(select(func.max(AssertedRelation.id))) or 0)


def asserted_frame(session: Session) -> pd.DataFrame:
    """Every assertion, oldest first (the log is small: one row per reviewer action)."""
    columns = [
        "id", "a_source", "a_record_key", "b_source", "b_record_key", "relation",
        "active", "note", "reviewer", "asserted_at",
    ]  # fmt: skip
    rows = session.execute(
        select(*(getattr(AssertedRelation, c) for c in columns)).order_by(AssertedRelation.id)
    ).all()
    return pd.DataFrame(rows, columns=columns)


def resolve_assertions(asserted: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """Assertions as entity pairs of this run, the newest per (a, b, kind) only.

    An assertion whose record this run does not hold is skipped (the record was
    withdrawn from the extracts); one whose two records now sit in one entity too (a
    reviewer merged them since) says nothing about two people and is skipped as well.
    """
    out = _with_entities(asserted, entities)
    out = out.loc[out[K.ENTITY_A].notna() & out[K.ENTITY_B].notna()]
    out = out.loc[out[K.ENTITY_A] != out[K.ENTITY_B]].copy()
    symmetric = ~out["relation"].isin(list(K.DIRECTED_KINDS)).to_numpy()
    a, b = out[K.ENTITY_A].to_numpy(dtype=object), out[K.ENTITY_B].to_numpy(dtype=object)
    swap = symmetric & (b < a)
    out[K.ENTITY_A], out[K.ENTITY_B] = np.where(swap, b, a), np.where(swap, a, b)
    out = out.sort_values("id").drop_duplicates([K.ENTITY_A, K.ENTITY_B, "relation"], keep="last")
    return out.reset_index(drop=True)


def apply_assertions(relations: pd.DataFrame, resolved: pd.DataFrame) -> pd.DataFrame:
    """The run's relations with the resolved assertions applied: every asserted
    (a, b, kind) replaces the batch's row for it; active ones come back as the
    reviewer's relation (stated, strong unless a weak kind, evidence naming who)."""
    if resolved.empty:
        return relations
    key = [K.ENTITY_A, K.ENTITY_B, K.RELATION]
    touched = pd.MultiIndex.from_frame(
        resolved[[K.ENTITY_A, K.ENTITY_B, "relation"]].set_axis(key, axis=1)
    )
    kept = relations.loc[~pd.MultiIndex.from_frame(relations[key]).isin(touched)]
    added = resolved.loc[resolved["active"].astype(bool)]
    when = pd.to_datetime(added["asserted_at"], utc=True).dt.strftime("%Y-%m-%d")
    note = added["note"].fillna("").astype(str)
    evidence = (
        "asserted by " + added["reviewer"].astype(str) + " on " + when
        + np.where(note != "", ": " + note, "")
    )  # fmt: skip
    asserted = pd.DataFrame(
        {
            K.ENTITY_A: added[K.ENTITY_A].to_numpy(dtype=object),
            K.ENTITY_B: added[K.ENTITY_B].to_numpy(dtype=object),
            K.RELATION: added["relation"].to_numpy(dtype=object),
            K.EVIDENCE: evidence.to_numpy(dtype=object),
            K.STRENGTH: np.where(added["relation"].isin(list(K.WEAK_KINDS)), K.WEAK, K.STRONG),
            K.INFERRED: False,
            K.SOURCES: ASSERTED_SOURCE,
            K.SUPPORT: np.int64(1),
            K.STATED: None,
        }
    )
    if asserted.empty:
        return kept.reset_index(drop=True)
    return pd.concat([kept, asserted], ignore_index=True)


# --- the cached graph ------------------------------------------------------------------------
@dataclass
class _Cache:
    lock: threading.Lock
    inputs: dict[str, RunInputs]
    graphs: dict[tuple[str, int, int], StoreFamily]


_CACHE = _Cache(lock=threading.Lock(), inputs={}, graphs={})


def store_family(store: Store, settings: FamilySettings | None = None) -> StoreFamily:
    """The family graph of the store's latest run with every assertion applied, each
    source playing the agency's part the run recorded (`Run.settings["agencies"]`).

    Raises :class:`NoRun` when nothing has been persisted yet.
    """
    with store.session() as session:
        run = latest_run(session)
        if run is None:
            raise NoRun("no run is stored yet: run `linker reconcile --db` first")
        key = (store.url, run.id, asserted_version(session))
        agencies = (run.settings or {}).get("agencies")
    if isinstance(agencies, dict):
        settings = (settings or FamilySettings()).with_agencies(agencies)
    found = _CACHE.graphs.get(key)
    if found is not None:
        return found
    with _CACHE.lock:
        found = _CACHE.graphs.get(key)
        if found is None:
            found = _build(store, key, settings)
            mine = sorted(k for k in _CACHE.graphs if k[0] == store.url)
            for old in mine[: max(0, len(mine) - _CACHED_PER_STORE + 1)]:
                del _CACHE.graphs[old]
            _CACHE.graphs[key] = found
        return found


def _build(store: Store, key: tuple[str, int, int], settings: FamilySettings | None) -> StoreFamily:
    url, run_id, version = key
    with store.session() as session:
        inputs = _CACHE.inputs.get(url)
        if inputs is None or inputs.run_id != run_id:
            inputs = read_run_inputs(session, run_id)
            _CACHE.inputs[url] = inputs
        asserted = asserted_frame(session)
    asserted = asserted.loc[asserted["id"] <= version]  # one written meanwhile: next key
    resolved = resolve_assertions(asserted, inputs.entities)
    relations = apply_assertions(inputs.relations, resolved)
    family = attach_relations(inputs.records, inputs.entities, relations, settings)
    return StoreFamily(run_id, version, build_family_graph(family, settings), inputs)


def clear_cache() -> None:
    """Forget every cached graph (tests; a process that must free the memory)."""
    with _CACHE.lock:
        _CACHE.inputs.clear()
        _CACHE.graphs.clear()


# --- what a family page lists ------------------------------------------------------------------
def assertions_touching(
    session: Session, family: StoreFamily, entity_id: str
) -> list[dict[str, Any]]:
    """The assertion log rows naming this person's records, newest first (for the page's
    history): who added or removed which relation, when."""
    family.graph.require(entity_id)
    resolved = _resolved_log(session, family)
    mine = resolved.loc[(resolved[K.ENTITY_A] == entity_id) | (resolved[K.ENTITY_B] == entity_id)]
    mine = mine.sort_values("id", ascending=False)
    return [
        {
            "id": int(r["id"]),
            K.ENTITY_A: r[K.ENTITY_A],
            K.ENTITY_B: r[K.ENTITY_B],
            K.RELATION: r["relation"],
            "active": bool(r["active"]),
            "reviewer": r["reviewer"],
            "asserted_at": _iso(r["asserted_at"]),
            "note": r["note"],
            "a": f"{r['a_source']}:{r['a_record_key']}",
            "b": f"{r['b_source']}:{r['b_record_key']}",
        }
        for r in mine.head(50).to_dict("records")
    ]


def _resolved_log(session: Session, family: StoreFamily) -> pd.DataFrame:
    """Every assertion (not only the newest per relation) with this run's entities."""
    return _with_entities(asserted_frame(session), family.inputs.entities)


def _with_entities(asserted: pd.DataFrame, entities: pd.DataFrame) -> pd.DataFrame:
    """The assertions with the entity holding each side's record in this run (None
    where the run lacks the record)."""
    index = pd.MultiIndex.from_arrays(
        [entities[C.SOURCE].astype(str), entities[C.RECORD_KEY].astype(str)]
    )
    entity_of = pd.Series(entities[C.ENTITY_ID].to_numpy(dtype=object), index=index)
    entity_of = entity_of[~entity_of.index.duplicated()]

    def side(source: str, key: str) -> np.ndarray:
        wanted = pd.MultiIndex.from_arrays(
            [asserted[source].astype(str), asserted[key].astype(str)]
        )
        return entity_of.reindex(wanted).to_numpy(dtype=object)

    return asserted.assign(
        **{
            K.ENTITY_A: side("a_source", "a_record_key"),
            K.ENTITY_B: side("b_source", "b_record_key"),
        }
    )


def relation_ends(
    family: StoreFamily, entity_a: str, entity_b: str
) -> tuple[tuple[str, str], tuple[str, str]]:
    """The two records an assertion between two people is keyed by; raises
    :class:`UnknownEntity` for an id the run does not hold."""
    for entity_id in (entity_a, entity_b):
        family.graph.require(entity_id)
    if entity_a == entity_b:
        raise DataContractError("a relation needs two different people")
    return family.representative(entity_a), family.representative(entity_b)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
