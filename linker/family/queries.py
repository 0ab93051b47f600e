"""What a reunification team asks of the family graph, answered as plain data.

- :func:`ego_graph` / :func:`family_of`: everyone around one person, with each link's
  kind and evidence. Breadth-first from the person over strong relations (weak links
  only from the person themself, or a shared phone would pull in strangers' families),
  at most ``radius`` steps and ``max_nodes`` people; what the cap leaves out is counted,
  never silently dropped. A visited set makes cycles harmless.
- :func:`explain_path`: how two people are connected, by the shortest chain of strong
  relations (weak links only when no strong chain exists), each step in words.
- :func:`child_status`: a child's latest known location and sponsors.
- :func:`red_flags`: sponsor addresses / phones shared by many unrelated children,
  children separated from the adult they travelled with, children with no relative.

Every function takes a :class:`graph.FamilyGraph` and raises
:class:`graph.UnknownEntity` for an id the run does not have.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import networkx as nx
import numpy as np
import pandas as pd

from linker import columns as C
from linker.family import kinds as K
from linker.family.graph import FamilyGraph
from linker.family.people import AGE, ENTITY, EVENT, MINOR, NAME

DEFAULT_RADIUS: Final = 2
DEFAULT_MAX_NODES: Final = 200
MAX_HOPS: Final = 8  # longest chain explain_path looks for
RECORDS_SHOWN: Final = 5  # per person in an answer; the count says how many more
DISTANCE: Final = "distance"
_KIND_ORDER: Final = {k: i for i, k in enumerate(K.RELATION_KINDS)}
_EXPLAINS: Final = {
    k: i
    for i, k in enumerate(
        (K.PARENT_OF, K.SIBLING_OF, K.SPOUSE_OF, K.SPONSOR_OF, K.CO_TRAVELER, *K.WEAK_KINDS)
    )
}
# How a step reads, forward (a -> b) and backward.
_PHRASE: Final = {
    K.PARENT_OF: ("parent of", "child of"),
    K.SPONSOR_OF: ("sponsor of", "sponsored by"),
    K.CO_TRAVELER: ("travelled with", "travelled with"),
    K.SIBLING_OF: ("sibling of", "sibling of"),
    K.SPOUSE_OF: ("spouse of", "spouse of"),
    K.SHARED_PHONE: ("shares a phone with", "shares a phone with"),
    K.SHARED_ADDRESS: ("shares an address with", "shares an address with"),
}


# --- the family of one person -------------------------------------------------------------
def ego_graph(
    fg: FamilyGraph,
    entity_id: str,
    *,
    radius: int = DEFAULT_RADIUS,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> nx.MultiDiGraph:
    """The people within ``radius`` strong steps of one person (and the people their
    weak links reach directly), at most ``max_nodes``; a subgraph copy whose graph
    attributes hold ``center`` and ``more`` (people reached but left out by the cap),
    and whose nodes carry their ``distance`` from the centre."""
    fg.require(entity_id)
    graph = fg.graph
    distance = {entity_id: 0}
    left_out: set[str] = set()
    frontier = [entity_id]
    for step in range(1, radius + 1):
        reached: list[str] = []
        for node in frontier:
            for other, kind in _neighbours(graph, node):
                if other in distance or (kind in K.WEAK_KINDS and node != entity_id):
                    continue
                if len(distance) >= max_nodes:
                    left_out.add(other)
                    continue
                distance[other] = step
                if kind in K.STRONG_KINDS:  # a weakly linked stranger's family stays out
                    reached.append(other)
        frontier = reached
    ego = graph.subgraph(distance).copy()
    # Weak links between two relatives of the centre say nothing about the centre.
    ego.remove_edges_from(
        [
            (a, b, kind)
            for a, b, kind in ego.edges(keys=True)
            if kind in K.WEAK_KINDS and entity_id not in (a, b)
        ]
    )
    nx.set_node_attributes(ego, distance, DISTANCE)
    ego.graph.update(center=entity_id, more=len(left_out - distance.keys()), radius=radius)
    return ego


def family_of(
    fg: FamilyGraph,
    entity_id: str,
    *,
    radius: int = DEFAULT_RADIUS,
    max_nodes: int = DEFAULT_MAX_NODES,
) -> dict[str, Any]:
    """The family of one person as plain data (the JSON API's answer)::

    {"center": id, "family_group_id": ..., "more": N, "radius": r,
     "nodes": [{entity_id, name, sex, birth_year, age, minor, a_number, sources,
                records, family_group_id, distance, record_keys}, ...],
     "edges": [{entity_a, entity_b, relation, evidence, strength, inferred,
                sources, support, stated}, ...],
     "crowded_contacts": [{contact, value, people, families}, ...]}
    """
    ego = ego_graph(fg, entity_id, radius=radius, max_nodes=max_nodes)
    nodes = sorted(ego.nodes(data=True), key=lambda item: (item[1][DISTANCE], item[0]))
    return {
        "center": entity_id,
        "family_group_id": ego.nodes[entity_id][K.FAMILY_GROUP_ID],
        "radius": radius,
        "more": ego.graph["more"],
        "nodes": [
            {C.ENTITY_ID: node, **attrs, "record_keys": record_keys(fg, node)}
            for node, attrs in nodes
        ],
        "edges": edge_list(ego),
        "crowded_contacts": crowded_contacts(fg, entity_id),
    }


def edge_list(graph: nx.MultiDiGraph) -> list[dict[str, Any]]:
    """Every edge as a dict, strong before weak, then by ids (a stable order)."""
    edges = [
        {K.ENTITY_A: a, K.ENTITY_B: b, K.RELATION: kind, **attrs}
        for a, b, kind, attrs in graph.edges(keys=True, data=True)
    ]
    return sorted(edges, key=lambda e: (_KIND_ORDER[e[K.RELATION]], e[K.ENTITY_A], e[K.ENTITY_B]))


def record_keys(fg: FamilyGraph, entity_id: str, limit: int = RECORDS_SHOWN) -> list[str]:
    """The person's agency records as "source:record_key", the first ``limit``."""
    rows = fg.rows_of(entity_id)
    sources, keys = fg.columns[C.SOURCE][rows][:limit], fg.columns[C.RECORD_KEY][rows][:limit]
    return [f"{s}:{k}" for s, k in zip(sources, keys, strict=True)]


def crowded_contacts(fg: FamilyGraph, entity_id: str) -> list[dict[str, Any]]:
    """The person's phones / addresses too widely shared to draw, with head counts."""
    rows = fg.rows_of(entity_id)
    held = {*fg.columns[C.ADDRESS_KEY][rows], *fg.columns[C.PHONE][rows]} - {None}
    return fg.crowded_rows(held)


# --- how two people are connected ---------------------------------------------------------
def explain_path(
    fg: FamilyGraph, a: str, b: str, *, weak: bool = True, max_hops: int = MAX_HOPS
) -> dict[str, Any]:
    """The shortest chain of relations from ``a`` to ``b``, each step explained::

        {"connected": bool, "via_weak_links": bool, "steps": [{from, to, relation,
         direction ("forward" | "backward"), phrase, evidence, strength, inferred}]}

    Strong relations are tried first; weak links only when they alone connect the two.
    People in different components are told apart by a lookup; within one, the search
    stops at ``max_hops`` steps (a chain of ten shared addresses explains nothing).
    """
    fg.require(a)
    fg.require(b)
    for via_weak in (False, True):
        if via_weak and not weak:
            break
        if fg.component(a, weak=via_weak) != fg.component(b, weak=via_weak):
            continue
        kinds = K.RELATION_KINDS if via_weak else K.STRONG_KINDS
        nodes = _bidirectional_path(fg.graph, a, b, frozenset(kinds), max_hops)
        if nodes is None:
            continue
        steps = [
            _step(fg, u, v, allow_weak=via_weak) for u, v in zip(nodes, nodes[1:], strict=False)
        ]
        return {"connected": True, "via_weak_links": via_weak, "steps": steps}
    return {"connected": False, "via_weak_links": False, "steps": []}


def _bidirectional_path(
    graph: nx.MultiDiGraph, a: str, b: str, kinds: frozenset[str], max_hops: int
) -> list[str] | None:
    """Breadth-first from both ends at once over edges of ``kinds`` (either direction),
    growing the smaller frontier; None when no chain of at most ``max_hops`` exists."""
    if a == b:
        return [a]
    parents: tuple[dict[str, str | None], dict[str, str | None]] = ({a: None}, {b: None})
    frontiers = ([a], [b])
    for _ in range(max_hops):
        side = 0 if len(frontiers[0]) <= len(frontiers[1]) else 1
        seen, other = parents[side], parents[1 - side]
        grown: list[str] = []
        for node in frontiers[side]:
            for adjacency in (graph.succ[node], graph.pred[node]):
                for nxt, edges in adjacency.items():
                    if nxt in seen or not any(k in kinds for k in edges):
                        continue
                    seen[nxt] = node
                    if nxt in other:
                        return _joined(parents, nxt)
                    grown.append(nxt)
        if not grown:
            return None
        frontiers = (grown, frontiers[1]) if side == 0 else (frontiers[0], grown)
    return None


def _joined(parents: tuple[dict[str, str | None], dict[str, str | None]], meet: str) -> list[str]:
    left: list[str] = []
    node: str | None = meet
    while node is not None:
        left.append(node)
        node = parents[0][node]
    right: list[str] = []
    node = parents[1][meet]
    while node is not None:
        right.append(node)
        node = parents[1][node]
    return left[::-1] + right


def _step(fg: FamilyGraph, u: str, v: str, *, allow_weak: bool) -> dict[str, Any]:
    graph = fg.graph
    options = [(kind, attrs, "forward") for kind, attrs in graph.succ[u].get(v, {}).items()]
    options += [(kind, attrs, "backward") for kind, attrs in graph.pred[u].get(v, {}).items()]
    if not allow_weak:
        options = [o for o in options if o[0] in K.STRONG_KINDS]
    # Kinship explains more than travelling together; a stated link more than an inferred.
    kind, attrs, direction = min(options, key=lambda o: (_EXPLAINS[o[0]], bool(o[1][K.INFERRED])))
    phrase = _PHRASE[kind][0 if direction == "forward" else 1]
    return {
        "from": u,
        "to": v,
        "relation": kind,
        "direction": direction,
        "phrase": f"{graph.nodes[u][NAME] or u} is {phrase} {graph.nodes[v][NAME] or v}",
        K.EVIDENCE: attrs[K.EVIDENCE],
        K.STRENGTH: attrs[K.STRENGTH],
        K.INFERRED: attrs[K.INFERRED],
    }


# --- a child's whereabouts ------------------------------------------------------------------------
def child_status(fg: FamilyGraph, entity_id: str) -> dict[str, Any]:
    """Where a child was last known to be, and who sponsors them::

        {"child": {...person...}, "latest_location": {address, event_date, source,
         record_key, via} | None, "locations": [... newest first],
         "sponsors": [{entity_id, name, stated, evidence, address, phone}]}

    A location is a record's own address, or, for a referral that places the child with
    a sponsor on the same row, the sponsor's address (HHS rows hold no child address):
    the sponsor's row borrows the referral's date. Read from arrays, not frames: one
    child has a handful of rows, and a frame per call would cost more than the answer.
    """
    child = fg.person(entity_id)
    col = fg.columns
    own = fg.rows_of(entity_id)
    located = [
        (col[EVENT][i], i, "own record", col[C.EVENT_DATE][i])
        for i in range(own.start, own.stop)
        if col[C.ADDRESS][i] is not None
    ]
    date_of = dict(zip(col[C.RECORD_KEY][own], col[C.EVENT_DATE][own], strict=True))
    for i in fg.related_positions(own):
        if col[C.RELATION][i] == K.SPONSOR_OF and col[C.ADDRESS][i] is not None:
            via = f"sponsor on {col[C.SOURCE][i]} row {col[C.ROW_KEY][i]}"
            located.append((col[EVENT][i], i, via, date_of.get(col[C.RELATED_TO][i])))
    # Newest first; a record without a date last.
    located.sort(key=lambda item: (-item[0] if item[0] == item[0] else np.inf, item[1]))
    shown = [
        {
            C.ADDRESS: col[C.ADDRESS][i],
            C.EVENT_DATE: date,
            C.SOURCE: col[C.SOURCE][i],
            C.RECORD_KEY: col[C.RECORD_KEY][i],
            "via": via,
        }
        for _, i, via, date in located[:10]
    ]
    sponsors = [
        {
            C.ENTITY_ID: sponsor,
            NAME: fg.graph.nodes[sponsor][NAME],
            K.STATED: attrs[K.STATED],
            K.EVIDENCE: attrs[K.EVIDENCE],
            **_latest_contact(fg, sponsor),
        }
        for sponsor, edges in sorted(fg.graph.pred[entity_id].items())
        for kind, attrs in edges.items()
        if kind == K.SPONSOR_OF
    ]
    return {
        "child": child,
        "latest_location": shown[0] if shown else None,
        "locations": shown,
        "sponsors": sponsors,
    }


def _latest_contact(fg: FamilyGraph, entity_id: str) -> dict[str, Any]:
    """The address and phone of the person's latest record that has one (undated last)."""
    rows = fg.rows_of(entity_id)
    event = np.nan_to_num(fg.columns[EVENT][rows], nan=-np.inf)
    order = np.argsort(-event, kind="stable")
    out: dict[str, Any] = {}
    for column in (C.ADDRESS, C.PHONE):
        values = fg.columns[column][rows][order]
        known = [v for v in values if v is not None]
        out[column] = known[0] if known else None
    return out


# --- red flags ----------------------------------------------------------------------------
@dataclass(frozen=True)
class RedFlags:
    """Three lists a reunification team works through (frames with entity ids)."""

    shared_sponsor_contacts: pd.DataFrame  # contact, value, children, unrelated, sponsors, ...
    separated_children: pd.DataFrame  # child, adult, relation, issue, detail
    children_without_relatives: pd.DataFrame  # child, name, age, sources, sponsors

    def counts(self) -> dict[str, int]:
        return {
            "shared_sponsor_contacts": len(self.shared_sponsor_contacts),
            "separated_children": int(self.separated_children["child"].nunique()),
            "children_without_relatives": len(self.children_without_relatives),
        }

    def to_dict(self) -> dict[str, list[dict[str, Any]]]:
        """JSON-ready lists of rows."""
        return {
            name: _records(frame)
            for name, frame in (
                ("shared_sponsor_contacts", self.shared_sponsor_contacts),
                ("separated_children", self.separated_children),
                ("children_without_relatives", self.children_without_relatives),
            )
        }


def red_flags(fg: FamilyGraph, *, min_children: int = 3) -> RedFlags:
    """Sponsor addresses / phones holding ``min_children`` or more unrelated children;
    children whose travelling adult was released elsewhere or never checked in; minors
    with no relative in any extract."""
    kin = _kin_groups(fg)
    sponsored = _sponsored(fg)
    return RedFlags(
        shared_sponsor_contacts=_shared_sponsor_contacts(fg, sponsored, kin, min_children),
        separated_children=_separated(fg, sponsored),
        children_without_relatives=_without_relatives(fg),
    )


def _kin_groups(fg: FamilyGraph) -> np.ndarray:
    """Per entity code, a label shared by relatives (components over the kin kinds)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    rel = fg.relations.loc[fg.relations[K.RELATION].isin(list(K.KIN_KINDS))]
    index = fg.people.index
    a, b = index.get_indexer(rel[K.ENTITY_A]), index.get_indexer(rel[K.ENTITY_B])
    n = len(index)
    matrix = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(matrix, directed=False)[1]


def _sponsored(fg: FamilyGraph) -> pd.DataFrame:
    """One row per sponsor record: the sponsor's entity code, the child's, and the
    sponsor's address key and phone on that row."""
    f = fg.facts
    rows = f.loc[(f[C.RELATION] == K.SPONSOR_OF).to_numpy() & f[C.RELATED_TO].notna().to_numpy()]
    primaries = f[[C.SOURCE, C.RECORD_KEY, ENTITY]].rename(
        columns={C.RECORD_KEY: C.RELATED_TO, ENTITY: "child"}
    )
    out = rows[[C.SOURCE, C.ROW_KEY, C.RELATED_TO, ENTITY, C.ADDRESS_KEY, C.PHONE]].merge(
        primaries, on=[C.SOURCE, C.RELATED_TO]
    )
    return out.rename(columns={ENTITY: "sponsor"})


def _shared_sponsor_contacts(
    fg: FamilyGraph, sponsored: pd.DataFrame, kin: np.ndarray, min_children: int
) -> pd.DataFrame:
    ids = fg.people.index.to_numpy()
    parts = []
    for column, label in ((C.ADDRESS_KEY, "address"), (C.PHONE, "phone")):
        rows = sponsored.loc[sponsored[column].notna()]
        rows = rows.assign(_kin=kin[rows["child"].to_numpy()])
        grouped = rows.groupby(column)
        table = pd.DataFrame(
            {
                "children": grouped["child"].nunique(),
                "unrelated": grouped["_kin"].nunique(),
                "sponsors": grouped["sponsor"].nunique(),
            }
        )
        table = table.loc[table["unrelated"] >= min_children]
        flagged = rows.loc[rows[column].isin(table.index)]
        lists = flagged.groupby(column).agg(
            child_ids=("child", lambda c: sorted(set(ids[c]))),
            sponsor_ids=("sponsor", lambda s: sorted(set(ids[s]))),
        )
        table = table.join(lists).rename_axis("value").reset_index()
        parts.append(table.assign(contact=label))
    out = pd.concat(parts, ignore_index=True)
    columns = ["contact", "value", "children", "unrelated", "sponsors", "child_ids", "sponsor_ids"]
    return out[columns].sort_values(
        ["unrelated", "contact"], ascending=[False, True], ignore_index=True
    )


def _separated(fg: FamilyGraph, sponsored: pd.DataFrame) -> pd.DataFrame:
    """Children (minors now) with an adult they crossed with who never checked in with the
    release agency although the child is in the U.S. (held in custody or released), or
    who was released to an address other than any of the child's sponsors'."""
    s = fg.settings
    people, ids = fg.people, fg.people.index.to_numpy()
    rel = fg.relations
    rel = rel.loc[rel[K.RELATION].isin([K.CO_TRAVELER, K.PARENT_OF]).to_numpy()]
    tagged = ";" + rel[K.SOURCES].astype(str) + ";"
    at_border = np.zeros(len(rel), dtype=bool)
    for border in s.border_sources:
        at_border |= tagged.str.contains(f";{border};", regex=False).to_numpy()
    rel = rel.loc[at_border]
    index = people.index
    a, b = index.get_indexer(rel[K.ENTITY_A]), index.get_indexer(rel[K.ENTITY_B])
    kind = rel[K.RELATION].to_numpy()
    both_ways = kind == K.CO_TRAVELER
    pairs = pd.DataFrame(
        {
            "child": np.concatenate([b, a[both_ways]]),
            "adult": np.concatenate([a, b[both_ways]]),
            "relation": np.concatenate([kind, kind[both_ways]]),
        }
    )
    minor = people[MINOR].to_numpy(dtype=bool)
    adult = people[AGE].to_numpy(dtype=np.float64, na_value=np.nan) >= s.adult_age
    pairs = pairs.loc[minor[pairs["child"]] & adult[pairs["adult"]]]
    pairs = pairs.sort_values("relation").drop_duplicates(["child", "adult"])
    f = fg.facts
    source = f[C.SOURCE].to_numpy()
    in_us = np.zeros(len(ids), dtype=bool)
    in_us[f[ENTITY].to_numpy()[np.isin(source, list(s.custody_sources | s.release_sources))]] = True
    released = f.loc[np.isin(source, list(s.release_sources))]
    release_agency = " or ".join(sorted(s.release_sources)) or "a release agency"
    checked_in = np.zeros(len(ids), dtype=bool)
    checked_in[released[ENTITY].to_numpy()] = True
    release_at = released.loc[released[C.ADDRESS_KEY].notna(), [ENTITY, C.ADDRESS_KEY]]
    sponsor_at = sponsored.loc[sponsored[C.ADDRESS_KEY].notna(), ["child", C.ADDRESS_KEY]]

    # Without a release agency's extract nobody could have checked in: no flag says so.
    missing = in_us[pairs["child"]] & ~checked_in[pairs["adult"]] & bool(s.release_sources)
    never = pairs.loc[missing].assign(
        issue="never_checked_in", detail="no record with " + release_agency
    )
    # Released elsewhere: both addresses known, none in common.
    known = pairs.merge(release_at.rename(columns={ENTITY: "adult"}), on="adult")
    known = known.merge(sponsor_at, on="child", suffixes=("_released", "_sponsor"))
    same = (known[C.ADDRESS_KEY + "_released"] == known[C.ADDRESS_KEY + "_sponsor"]).to_numpy()
    known = known.assign(_same=same).groupby(["child", "adult", "relation"], as_index=False)
    elsewhere = known["_same"].any().loc[lambda t: ~t["_same"]].drop(columns="_same")
    elsewhere = elsewhere.assign(
        issue="released_elsewhere",
        detail="released by " + release_agency + " to an address that is not the sponsor's",
    )
    out = pd.concat([never, elsewhere], ignore_index=True)
    names = people[NAME].to_numpy(dtype=object)
    return pd.DataFrame(
        {
            "child": ids[out["child"].to_numpy(np.int64)],
            "child_name": names[out["child"].to_numpy(np.int64)],
            "adult": ids[out["adult"].to_numpy(np.int64)],
            "adult_name": names[out["adult"].to_numpy(np.int64)],
            "relation": out["relation"].to_numpy(dtype=object),
            "issue": out["issue"].to_numpy(dtype=object),
            "detail": out["detail"].to_numpy(dtype=object),
        }
    ).sort_values(["issue", "child", "adult"], ignore_index=True)


def _without_relatives(fg: FamilyGraph) -> pd.DataFrame:
    """Minors with no kin relation, and no sponsor who states a kinship."""
    rel = fg.relations
    kin_rel = rel[K.RELATION].isin(list(K.KIN_KINDS)).to_numpy()
    kin_sponsor = (rel[K.RELATION] == K.SPONSOR_OF).to_numpy() & rel[K.STATED].isin(
        list(K.STATED_KIN)
    ).to_numpy()
    has_kin = set(rel.loc[kin_rel, K.ENTITY_A]) | set(rel.loc[kin_rel, K.ENTITY_B])
    has_kin |= set(rel.loc[kin_sponsor, K.ENTITY_B])
    sponsors = rel.loc[rel[K.RELATION] == K.SPONSOR_OF, K.ENTITY_B].value_counts()
    people = fg.people
    pick = people[MINOR].to_numpy(dtype=bool) & ~people.index.isin(list(has_kin))
    alone = people.loc[pick]
    return pd.DataFrame(
        {
            "child": alone.index.to_numpy(),
            NAME: alone[NAME].to_numpy(dtype=object),
            AGE: alone[AGE].to_numpy(),
            K.SOURCES: alone[K.SOURCES].to_numpy(dtype=object),
            "sponsors": sponsors.reindex(alone.index).fillna(0).astype(np.int64).to_numpy(),
        }
    )


# --- internals ----------------------------------------------------------------------------
def _neighbours(graph: nx.MultiDiGraph, node: str) -> Iterator[tuple[str, str]]:
    """(neighbour, kind) over edges in both directions, strong kinds first, by id."""
    found = [(other, kind) for other, edges in graph.succ[node].items() for kind in edges]
    found += [(other, kind) for other, edges in graph.pred[node].items() for kind in edges]
    yield from sorted(found, key=lambda item: (item[1] in K.WEAK_KINDS, item[0], item[1]))


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    out = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{k: (v.item() if isinstance(v, np.generic) else v) for k, v in r.items()} for r in out]
