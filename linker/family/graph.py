"""The family graph: a networkx MultiDiGraph over entities, and the files of a run.

Nodes are entity ids with what a picture shows (name, sex, birth year, age, minor,
A-number, agencies, family group). Edges are relations keyed by kind, so two people can
be co-travellers and parent and child at once; a symmetric kind is stored once, from
the smaller id, and walked both ways (queries look at successors and predecessors).

The graph is built from plain frames (:class:`infer.FamilyRelations`) so the batch, the
CLI and the service share one path: the batch writes ``relations.csv`` (and the crowded
contacts); :func:`load_family` reads a run folder back into a :class:`FamilyGraph`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import networkx as nx
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linker import columns as C
from linker.csv_out import write_csv
from linker.errors import DataContractError, LinkerError
from linker.family import kinds as K
from linker.family.infer import FamilyRelations, attach_relations
from linker.family.people import (
    AGE,
    BIRTH_YEAR,
    ENTITY,
    EVENT,
    FACT_INPUT_COLUMNS,
    MINOR,
    N_RECORDS,
    NAME,
    FamilySettings,
)

RELATIONS_FILE: Final = "relations.csv"
CONTACTS_FILE: Final = "shared_contacts.csv"
NODE_ATTRIBUTES: Final[tuple[str, ...]] = (
    NAME,
    C.SEX,
    BIRTH_YEAR,
    AGE,
    MINOR,
    C.A_NUMBER,
    K.SOURCES,
    N_RECORDS,
    K.FAMILY_GROUP_ID,
)
EDGE_ATTRIBUTES: Final[tuple[str, ...]] = (
    K.EVIDENCE,
    K.STRENGTH,
    K.INFERRED,
    K.SOURCES,
    K.SUPPORT,
    K.STATED,
)


class UnknownEntity(LinkerError):
    """An entity id that is not in this run (the API answers 404)."""


@dataclass
class FamilyGraph:
    """The graph and the frames behind it, ready for queries.

    ``facts`` is the record-level frame sorted by entity code, so one person's records
    are a slice found by binary search, not a scan of a million rows.
    """

    graph: nx.MultiDiGraph
    relations: pd.DataFrame
    people: pd.DataFrame  # indexed by entity_id
    facts: pd.DataFrame
    crowded: pd.DataFrame
    settings: FamilySettings = field(default_factory=FamilySettings)
    _starts: np.ndarray = field(init=False, repr=False)
    _related: dict[tuple[str, str], np.ndarray] | None = field(default=None, init=False, repr=False)
    columns: dict[str, np.ndarray] = field(init=False, repr=False)
    _crowded: dict[Any, list[dict[str, Any]]] | None = field(default=None, init=False, repr=False)
    _components: dict[bool, np.ndarray] = field(default_factory=dict, init=False, repr=False)
    _code: pd.Index = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.facts = self.facts.sort_values([ENTITY, C.RECORD_ID], ignore_index=True)
        n = len(self.people)
        self._starts = np.searchsorted(self.facts[ENTITY].to_numpy(), np.arange(n + 1))
        # Columns as arrays: a query reads a handful of rows, and numpy slices cost
        # microseconds where a DataFrame slice costs a millisecond.
        self.columns = {
            c: self.facts[c].to_numpy(dtype=object)
            for c in (
                C.SOURCE,
                C.RECORD_KEY,
                C.ROW_KEY,
                C.ADDRESS,
                C.ADDRESS_KEY,
                C.PHONE,
                C.EVENT_DATE,
                C.RELATED_TO,
                C.RELATION,
            )
        }
        self.columns[EVENT] = self.facts[EVENT].to_numpy(dtype=np.float64)
        self._code = pd.Index(self.people.index)

    def rows_of(self, entity_id: str) -> slice:
        """Positions of the person's records in ``facts`` (in record order)."""
        self.require(entity_id)
        code = int(self._code.get_loc(entity_id))
        return slice(int(self._starts[code]), int(self._starts[code + 1]))

    def require(self, entity_id: str) -> None:
        """Raise :class:`UnknownEntity` unless the run has this entity."""
        if entity_id not in self.graph:
            raise UnknownEntity(
                f"entity {entity_id!r} is not in this run; entity ids are listed in "
                "entities.csv (column entity_id)"
            )

    def person(self, entity_id: str) -> dict[str, Any]:
        """The node's attributes plus its id."""
        self.require(entity_id)
        return {C.ENTITY_ID: entity_id, **self.graph.nodes[entity_id]}

    def records_of(self, entity_id: str) -> pd.DataFrame:
        """The person's records (facts rows), in record order."""
        return self.facts.iloc[self.rows_of(entity_id)]

    def component(self, entity_id: str, *, weak: bool) -> int:
        """A label shared by everyone connected to the person, over strong relations or
        over all (``weak``); computed once per kind, so "not connected" is a lookup
        instead of a search through a large component."""
        if weak not in self._components:
            rel = self.relations
            if not weak:
                rel = rel.loc[rel[K.STRENGTH].to_numpy() == K.STRONG]
            a = self._code.get_indexer(rel[K.ENTITY_A].to_numpy())
            b = self._code.get_indexer(rel[K.ENTITY_B].to_numpy())
            n = len(self._code)
            matrix = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
            self._components[weak] = connected_components(matrix, directed=False)[1]
        return int(self._components[weak][self._code.get_loc(entity_id)])

    def crowded_rows(self, values: set[Any]) -> list[dict[str, Any]]:
        """The crowded-contacts rows (as dicts) whose value is among ``values``."""
        if self._crowded is None:
            self._crowded = {}
            for row in self.crowded.to_dict("records"):
                plain = {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}
                self._crowded.setdefault(row[K.CONTACT_VALUE], []).append(plain)
        return [row for value in sorted(values) for row in self._crowded.get(value, [])]

    def related_positions(self, rows: slice) -> np.ndarray:
        """Positions in ``facts`` of the people named on the rows of the records at
        ``rows`` (a child's sponsors on the referrals that hold the child)."""
        if self._related is None:
            related = self.facts.loc[self.facts[C.RELATED_TO].notna()]
            groups = related.groupby([C.SOURCE, C.RELATED_TO], sort=False).indices
            positions = np.flatnonzero(self.facts[C.RELATED_TO].notna().to_numpy())
            self._related = {key: positions[at] for key, at in groups.items()}
        keys = zip(self.columns[C.SOURCE][rows], self.columns[C.RECORD_KEY][rows], strict=True)
        found = [self._related.get(key, np.empty(0, np.int64)) for key in keys]
        return np.concatenate(found) if found else np.empty(0, np.int64)


def build_family_graph(
    family: FamilyRelations, settings: FamilySettings | None = None
) -> FamilyGraph:
    """Nodes for every entity (a person with no relation still has a family page) and
    one edge per relation, keyed by its kind."""
    graph = nx.MultiDiGraph()
    people = family.people
    ids = people[C.ENTITY_ID].to_numpy(dtype=object)
    columns = {a: _plain(people[a]) for a in NODE_ATTRIBUTES}
    graph.add_nodes_from(
        (node, dict(zip(NODE_ATTRIBUTES, values, strict=True)))
        for node, *values in zip(ids, *columns.values(), strict=True)
    )
    rel = family.relations
    edge_values = [_plain(rel[a]) for a in EDGE_ATTRIBUTES]
    graph.add_edges_from(
        (a, b, kind, dict(zip(EDGE_ATTRIBUTES, values, strict=True)))
        for a, b, kind, *values in zip(
            rel[K.ENTITY_A].to_numpy(dtype=object),
            rel[K.ENTITY_B].to_numpy(dtype=object),
            rel[K.RELATION].to_numpy(dtype=object),
            *edge_values,
            strict=True,
        )
    )
    return FamilyGraph(
        graph=graph,
        relations=rel,
        people=people.set_index(C.ENTITY_ID, drop=False),
        facts=family.facts,
        crowded=family.crowded,
        settings=settings or FamilySettings(),
    )


def write_relations(relations: pd.DataFrame, out_dir: Path) -> Path:
    """``relations.csv`` (DESIGN.md): entity_a, entity_b, relation, evidence, strength,
    inferred, sources, support, stated. Returns the path written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / RELATIONS_FILE
    write_csv(relations[list(K.RELATION_COLUMNS)], path)
    return path


def read_relations(path: Path) -> pd.DataFrame:
    """A relations.csv back as a frame, identifiers as text and ``inferred`` as bool."""
    if not path.is_file():
        raise DataContractError(
            f"{path} not found: run `linker reconcile` (which writes it) for this folder"
        )
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in (K.ENTITY_A, K.ENTITY_B, K.RELATION, K.EVIDENCE) if c not in frame]
    if missing:
        raise DataContractError(f"{path} lacks column(s) {', '.join(missing)}")
    if K.STRENGTH not in frame:
        weak = frame[K.RELATION].isin(list(K.WEAK_KINDS))
        frame[K.STRENGTH] = np.where(weak, K.WEAK, K.STRONG)
    frame[K.INFERRED] = frame.get(K.INFERRED, pd.Series("", index=frame.index)).isin(
        ["True", "true", "1"]
    )
    frame[K.SUPPORT] = pd.to_numeric(frame.get(K.SUPPORT, 1), errors="coerce")
    frame[K.SUPPORT] = frame[K.SUPPORT].fillna(1).astype(np.int64)
    for column in (K.SOURCES, K.STATED):
        if column not in frame:
            frame[column] = ""
    frame[K.STATED] = frame[K.STATED].replace("", None)
    return frame[list(K.RELATION_COLUMNS)]


def load_family(run_dir: Path, settings: FamilySettings | None = None) -> FamilyGraph:
    """A run folder (records.parquet, entities.csv, relations.csv) as a queryable graph,
    with each source's agency as the run's summary.json recorded it."""
    records_path, entities_path = run_dir / "records.parquet", run_dir / "entities.csv"
    for path in (records_path, entities_path):
        if not path.is_file():
            raise DataContractError(f"{path} not found: is {run_dir} a `linker reconcile` run?")
    settings = (settings or FamilySettings()).with_agencies(_run_agencies(run_dir))
    records = pd.read_parquet(records_path, columns=list(FACT_INPUT_COLUMNS))
    entities = pd.read_csv(entities_path, dtype=str, keep_default_na=False)
    entities[C.A_NUMBER] = entities[C.A_NUMBER].replace("", None)
    relations = read_relations(run_dir / RELATIONS_FILE)
    family = attach_relations(records, entities, relations, settings)
    return build_family_graph(family, settings)


def _run_agencies(run_dir: Path) -> dict[str, str]:
    """Source -> agency from the run's summary.json; empty for a run that predates it."""
    try:
        summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    agencies = summary.get("agencies") if isinstance(summary, dict) else None
    return {str(k): str(v) for k, v in agencies.items()} if isinstance(agencies, dict) else {}


def _plain(values: pd.Series) -> list[Any]:
    """Python scalars for networkx attributes (GraphML and JSON need them), NaN as None."""
    if isinstance(values.dtype, pd.Int64Dtype):  # nullable integers: ages, birth years
        return [None if pd.isna(v) else int(v) for v in values.to_numpy(dtype=object)]
    array = values.to_numpy()
    if array.dtype.kind == "f":
        out = array.astype(object)
        out[np.isnan(array)] = None
        return list(out.tolist())
    if array.dtype.kind in "iub":
        return list(array.tolist())
    out = values.to_numpy(dtype=object).copy()
    out[pd.isna(out)] = None
    return list(out.tolist())
