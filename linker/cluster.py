"""Constrained clustering: scored record pairs -> entities (one per real person).

Connected components over the pairs above a threshold chain mistakes: one false link
joins two people's whole histories, and the A-number (the one key the agencies share)
then has two values. Hard constraints name records that can never be one person,
whatever the model scored:

- ``a_number``: two valid A-numbers more than ``a_number_typo_distance`` digits apart
  (optimal string alignment on the nine digits: a wrong digit or two adjacent digits
  swapped count one); a closer pair is a probable typo: allowed, and
  flagged on the link that joined them;
- ``person_id``: two different agency person ids of the same source;
- ``family_group``: the same travel group (people travelling together are different people);
- ``same_row``: the same row of a source (a child and the sponsor on the referral);
- ``cannot_link``: a reviewer's ``distinct`` decision or a hard rule of the linker.

They hold between *any* two records of an entity, not only the pair being merged: a
chain A-B, B-C must not put two A-numbers into one entity through B.

Algorithm: must-links first, unconditionally (a contradiction is applied and reported),
then greedy agglomeration by descending match weight, merging two clusters only when no
constraint holds between them. Run naively that is a Python loop over millions of edges,
so the work is split. The connected components of the must-link and above-threshold
graph (scipy) are the largest entities possible. In a component where no two members
could clash (a vectorized group-by, erring towards "could": two A-numbers a typo apart
count) the greedy loop would merge every edge that joins two clusters, which is
Kruskal's algorithm: the component is final, and its links are the minimum spanning
forest by edge rank. Only components with a possible clash run the sequential
union-find, carrying per cluster the attribute values that can clash, merged smaller
into larger.

Ties in weight are broken by a hash of the records' ``(source, record_key)``, never by
the run-internal RECORD_ID, so the result does not depend on the order of the rows.

Entity ids are stable across re-runs where the membership did not change::

    "E" + sha1("\\x1e".join(sorted(f"{source}\\x1f{record_key}" for each member))
               .encode("utf-8")).hexdigest()[:12]

(a singleton hashes its one key). Twelve hex digits are 48 bits: among a million
entities two ids collide with a chance of about 0.2 %; the colliding entities then get
the full 40-digit digest, so ids stay distinct.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.api.types import infer_dtype
from rapidfuzz.distance import OSA
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components, minimum_spanning_tree

from linker import columns as C
from linker.anumber_recovery import a_numbers_as_int
from linker.errors import ConfigError, DataContractError
from linker.standardize.text import factorize

Constraint = Literal["cannot_link", "a_number", "person_id", "family_group", "same_row"]
# Checked in this order; a blocked pair names the first that holds.
CONSTRAINTS: Final[tuple[Constraint, ...]] = (
    "cannot_link",
    "a_number",
    "person_id",
    "family_group",
    "same_row",
)
LinkReason = Literal["must_link", "score"]

# Output columns of this module (not record fields, so not in linker.columns).
CONSTRAINT: Final = "constraint"  # rejected_links / conflicts: the constraint that held
LINK_REASON: Final = "link_reason"  # links: "must_link" or "score"
A_NUMBER_TYPO: Final = "a_number_typo"  # links: joined A-numbers a typo apart

ENTITY_PREFIX: Final = "E"
ENTITY_HEX_DIGITS: Final = 12
_MEMBER_SEP: Final = "\x1e"
_KEY_SEP: Final = "\x1f"

_RECORD_COLUMNS: Final = (
    C.RECORD_ID,
    C.SOURCE,
    C.RECORD_KEY,
    C.ROW_KEY,
    C.A_NUMBER,
    C.PERSON_ID,
    C.FAMILY_GROUP,
)
_PAIR_COLUMNS: Final = (C.RECORD_ID_L, C.RECORD_ID_R)
_SCORE_COLUMNS: Final = (*_PAIR_COLUMNS, C.MATCH_WEIGHT, C.MATCH_PROBABILITY)


@dataclass(frozen=True)
class ClusterSettings:
    """``threshold``: match probability at or above which a pair may link two records."""

    threshold: float = 0.5
    a_number_typo_distance: int = 1

    def __post_init__(self) -> None:
        problems = []
        if not isinstance(self.threshold, int | float) or not 0.0 <= self.threshold <= 1.0:
            problems.append(f"threshold must be a probability in [0, 1], got {self.threshold!r}")
        distance = self.a_number_typo_distance
        if isinstance(distance, bool) or not isinstance(distance, int) or not 0 <= distance < 9:
            problems.append(
                f"a_number_typo_distance must be an integer 0..8 (digits allowed to differ), "
                f"got {distance!r}"
            )
        if problems:
            raise ConfigError(problems)


@dataclass(frozen=True, eq=False)
class ClusterResult:
    """Entities and the evidence for them.

    ``entities``: RECORD_ID, ENTITY_ID, one row per record in the order of the records.
    ``links``: the pairs that merged two clusters (a spanning forest of each entity), in
    the order applied: RECORD_ID_L, RECORD_ID_R, MATCH_WEIGHT, MATCH_PROBABILITY (NaN
    for a must-link never scored), ``link_reason``, ``a_number_typo``.
    ``rejected_links``: pairs above the threshold whose clusters a constraint kept
    apart, with the ``constraint``. A pair above the threshold whose records were
    already together is in neither. ``conflicts``: must-links applied against a
    constraint: RECORD_ID_L, RECORD_ID_R, ``constraint``.
    """

    entities: pd.DataFrame
    links: pd.DataFrame
    rejected_links: pd.DataFrame
    conflicts: pd.DataFrame
    stats: dict[str, int] = field(default_factory=dict)


def cluster_records(
    records: pd.DataFrame,
    pairs: pd.DataFrame,
    *,
    settings: ClusterSettings | None = None,
    cannot_link: pd.DataFrame | None = None,
    must_link: pd.DataFrame | None = None,
) -> ClusterResult:
    """Cluster records into entities from scored pairs, honouring the hard constraints.

    ``records`` needs RECORD_ID (unique), SOURCE, RECORD_KEY ((source, record_key)
    unique), ROW_KEY, A_NUMBER, PERSON_ID and FAMILY_GROUP (nulls allowed in the last
    four). ``pairs``: RECORD_ID_L, RECORD_ID_R, MATCH_WEIGHT, MATCH_PROBABILITY.
    ``must_link`` / ``cannot_link``: RECORD_ID_L, RECORD_ID_R. A pair may come in
    either order; a duplicated pair keeps its highest weight.
    """
    settings = settings or ClusterSettings()
    enc = _encode_records(records)
    n = len(enc.record_ids)
    pos = pd.Index(enc.record_ids)
    ml = _pair_positions(must_link, pos, "must_link", scored=False)
    cl = _pair_positions(cannot_link, pos, "cannot_link", scored=False)
    edges = _edge_list(_pair_positions(pairs, pos, "pairs", scored=True), ml, enc.tie, settings)

    graph = coo_matrix((np.ones(len(edges.lo), np.int8), (edges.lo, edges.hi)), shape=(n, n))
    n_comp, labels = connected_components(graph.tocsr(), directed=False)
    labels = labels.astype(np.int64)
    clash = _clashing_values(labels, n_comp, enc)
    hot = np.zeros(n_comp, dtype=bool)
    hot[labels[(clash.a_number >= 0) | (clash.person >= 0) | (clash.family >= 0)]] = True
    hot[labels[clash.row >= 0]] = True
    hot[labels[cl[0]][labels[cl[0]] == labels[cl[1]]]] = True
    edge_hot = hot[labels[edges.lo]]

    merged = _spanning_forest(edges, np.flatnonzero(~edge_hot), n)
    typo = np.zeros(len(merged), dtype=bool)
    rejected: list[tuple[int, str]] = []
    conflicts: list[tuple[int, str]] = []
    hot_records = np.flatnonzero(hot[labels])
    if len(hot_records):
        greedy = _Greedy(clash, hot_records, settings.a_number_typo_distance)
        roots, merged_hot, typo_hot, rejected, conflicts = greedy.run(
            edges, np.flatnonzero(edge_hot), cl
        )
        labels[hot_records] = n_comp + roots
        merged, typo = np.concatenate([merged, merged_hot]), np.concatenate([typo, typo_hot])

    order = np.argsort(merged, kind="stable")
    links = edges.frame(merged[order], enc.record_ids)
    links[LINK_REASON] = np.where(edges.must[merged[order]], "must_link", "score").astype(object)
    links[A_NUMBER_TYPO] = typo[order]
    rejected_links = edges.frame(np.array([i for i, _ in rejected], np.int64), enc.record_ids)
    rejected_links[CONSTRAINT] = pd.Series([why for _, why in rejected], dtype=object)
    conflict_pairs = edges.frame(np.array([i for i, _ in conflicts], np.int64), enc.record_ids)
    conflict_pairs = conflict_pairs[list(_PAIR_COLUMNS)]
    conflict_pairs[CONSTRAINT] = pd.Series([why for _, why in conflicts], dtype=object)

    entities = pd.DataFrame(
        {C.RECORD_ID: enc.record_ids, C.ENTITY_ID: _entity_ids(labels, enc.keys)}
    )
    sizes = np.unique(labels, return_counts=True)[1]
    stats = {
        "records": n,
        "entities": len(sizes),
        "singletons": int((sizes == 1).sum()),
        "largest_entity": int(sizes.max(initial=0)),
        "components_examined": int(hot.sum()),
        "records_examined": len(hot_records),
        "links": len(links),
        "rejected_links": len(rejected_links),
        "conflicts": len(conflict_pairs),
        "a_number_typo_links": int(typo.sum()),
    }
    return ClusterResult(entities, links, rejected_links, conflict_pairs, stats)


# --- inputs -----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Encoded:
    """Each record's constraint attributes as int codes (-1: none), by position."""

    record_ids: np.ndarray
    keys: np.ndarray  # object: "source\x1frecord_key"
    tie: np.ndarray  # uint64 hash of the key: a tie-break independent of row order
    a_number: np.ndarray  # the A-number as int64
    source: np.ndarray
    person: np.ndarray  # code of (source, person id)
    family: np.ndarray  # code of (source, family group)
    row: np.ndarray  # code of (source, row key)


def _encode_records(records: pd.DataFrame) -> _Encoded:
    missing = [c for c in _RECORD_COLUMNS if c not in records.columns]
    if missing:
        raise DataContractError(
            f"records lack column(s) {missing}; clustering needs {list(_RECORD_COLUMNS)}"
        )
    ids = records[C.RECORD_ID]
    if ids.isna().any() or not pd.Index(ids).is_unique:
        raise DataContractError(f"records: {C.RECORD_ID} must be unique and not null")
    for column in (C.SOURCE, C.RECORD_KEY):
        if records[column].isna().any():
            rows = np.flatnonzero(records[column].isna().to_numpy())[:5].tolist()
            raise DataContractError(f"records: {column} is null at row position(s) {rows}")
    source = pd.factorize(records[C.SOURCE])[0].astype(np.int64)
    keys = (_text(records[C.SOURCE]) + _KEY_SEP + _text(records[C.RECORD_KEY])).to_numpy(
        dtype=object
    )
    # Each key hashed directly: `categorize` would first look for repeats, which
    # unique keys do not have (five times the time at a million records, same hashes).
    tie = pd.util.hash_array(keys, categorize=False) if len(keys) else np.zeros(0, np.uint64)
    # Distinct hashes prove distinct keys (a sort of integers: numpy 2's np.unique hashes
    # them and takes ten times as long); only a collision needs the keys compared.
    ordered = np.sort(tie)
    if (ordered[1:] == ordered[:-1]).any() and not pd.Index(keys).is_unique:
        raise DataContractError(
            f"records: ({C.SOURCE}, {C.RECORD_KEY}) must be unique; entity ids hash them"
        )
    return _Encoded(
        record_ids=ids.to_numpy(dtype=np.int64),
        keys=keys,
        tie=tie,
        a_number=a_numbers_as_int(records[C.A_NUMBER]),
        source=source,
        person=_scoped_codes(source, records[C.PERSON_ID]),
        family=_scoped_codes(source, records[C.FAMILY_GROUP]),
        row=_scoped_codes(source, records[C.ROW_KEY]),
    )


def _text(values: pd.Series) -> pd.Series:
    """The values as str (no copy when they already are)."""
    return values if infer_dtype(values, skipna=False) == "string" else values.astype(str)


def _scoped_codes(source: np.ndarray, values: pd.Series) -> np.ndarray:
    """One code per distinct (source, value); -1 where the value is null."""
    codes = factorize(values)[0].astype(np.int64)
    return np.where(codes >= 0, source * (int(codes.max(initial=-1)) + 2) + codes, -1)


def _pair_positions(
    frame: pd.DataFrame | None, pos: pd.Index, name: str, *, scored: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, weight, probability): record positions with lo < hi, and the scores."""
    if frame is None or len(frame) == 0:
        return (np.zeros(0, np.int64),) * 2 + (np.zeros(0),) * 2
    needed = _SCORE_COLUMNS if scored else _PAIR_COLUMNS
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataContractError(f"{name} lacks column(s) {missing}; expected {list(needed)}")
    sides = [pos.get_indexer(frame[c]) for c in _PAIR_COLUMNS]
    for side, column in zip(sides, _PAIR_COLUMNS, strict=True):
        if (side < 0).any():
            rows = np.flatnonzero(side < 0)[:5].tolist()
            raise DataContractError(
                f"{name}: {column} names a record id absent from records (row position(s) {rows})"
            )
    if (sides[0] == sides[1]).any():
        rows = np.flatnonzero(sides[0] == sides[1])[:5].tolist()
        raise DataContractError(f"{name}: a record is paired with itself at row(s) {rows}")
    lo, hi = np.minimum(*sides).astype(np.int64), np.maximum(*sides).astype(np.int64)
    if not scored:
        return lo, hi, np.full(len(lo), np.nan), np.full(len(lo), np.nan)
    weight = pd.to_numeric(frame[C.MATCH_WEIGHT]).to_numpy(dtype=float, na_value=np.nan)
    prob = pd.to_numeric(frame[C.MATCH_PROBABILITY]).to_numpy(dtype=float, na_value=np.nan)
    return lo, hi, weight, prob


@dataclass(frozen=True)
class _Edges:
    """Must-links, then scored pairs by descending weight: the order merges are tried."""

    lo: np.ndarray
    hi: np.ndarray
    weight: np.ndarray
    probability: np.ndarray
    must: np.ndarray  # bool

    def frame(self, idx: np.ndarray, record_ids: np.ndarray) -> pd.DataFrame:
        a, b = record_ids[self.lo[idx]], record_ids[self.hi[idx]]
        return pd.DataFrame(
            {
                C.RECORD_ID_L: np.minimum(a, b),
                C.RECORD_ID_R: np.maximum(a, b),
                C.MATCH_WEIGHT: self.weight[idx],
                C.MATCH_PROBABILITY: self.probability[idx],
            }
        )


def _edge_list(
    scored: tuple[np.ndarray, ...],
    ml: tuple[np.ndarray, ...],
    tie: np.ndarray,
    settings: ClusterSettings,
) -> _Edges:
    n = np.int64(len(tie))
    lo, hi, weight, prob = scored
    all_keys = lo * n + hi
    keep = prob >= settings.threshold
    lo, hi, weight, prob = lo[keep], hi[keep], weight[keep], prob[keep]
    order = np.lexsort((hi, lo, *_tie_keys(tie, lo, hi), -weight))
    _, first = np.unique(all_keys[keep][order], return_index=True)  # best weight of a pair
    order = order[np.sort(first)]
    lo, hi, weight, prob = lo[order], hi[order], weight[order], prob[order]

    m_keys, first = np.unique(ml[0] * n + ml[1], return_index=True)
    m_order = np.lexsort((m_keys, *_tie_keys(tie, ml[0][first], ml[1][first])))
    m_keys = m_keys[m_order]
    # A must-link carries its best score, if scored; it is applied once, as a must-link.
    best = pd.DataFrame({"k": all_keys, "w": scored[2], "p": scored[3]})
    best = best[np.isin(all_keys, m_keys)].sort_values("w", ascending=False, kind="stable")
    best = best.drop_duplicates("k").set_index("k").reindex(m_keys)
    single = ~np.isin(lo * n + hi, m_keys)
    return _Edges(
        lo=np.concatenate([m_keys // n, lo[single]]),
        hi=np.concatenate([m_keys % n, hi[single]]),
        weight=np.concatenate([best["w"].to_numpy(dtype=float), weight[single]]),
        probability=np.concatenate([best["p"].to_numpy(dtype=float), prob[single]]),
        must=np.concatenate([np.ones(len(m_keys), bool), np.zeros(int(single.sum()), bool)]),
    )


def _tie_keys(tie: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(larger, smaller) key hash of each pair, for np.lexsort (last key sorts first)."""
    a, b = tie[lo], tie[hi]
    return np.maximum(a, b), np.minimum(a, b)


# --- the fast path ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Clash:
    """Per record: its attribute codes, -1 where the value cannot clash inside the record's
    component (the only A-number there, the only person of its source there, a family
    group or row no other member shares)."""

    a_number: np.ndarray
    source: np.ndarray
    person: np.ndarray
    family: np.ndarray
    row: np.ndarray


def _clashing_values(labels: np.ndarray, n_comp: int, enc: _Encoded) -> _Clash:
    members = np.flatnonzero(np.bincount(labels, minlength=n_comp)[labels] > 1)
    c, s = labels[members], enc.source[members]
    a, p, f, r = (x[members] for x in (enc.a_number, enc.person, enc.family, enc.row))
    frame = pd.DataFrame({"c": c, "a": a, "s": s, "p": p, "f": f, "r": r})
    anums = frame.loc[a >= 0, ["c", "a"]].drop_duplicates()
    a = np.where(np.isin(c, anums["c"].to_numpy()[anums.duplicated("c").to_numpy()]), a, -1)
    people = frame.loc[p >= 0, ["c", "s", "p"]].drop_duplicates()
    clash = people[people.duplicated(["c", "s"]).to_numpy()]
    width = np.int64(s.max(initial=0) + 1)
    p = np.where(np.isin(c * width + s, clash["c"].to_numpy() * width + clash["s"]), p, -1)
    f = np.where((f >= 0) & frame.duplicated(["c", "f"], keep=False).to_numpy(), f, -1)
    r = np.where((r >= 0) & frame.duplicated(["c", "r"], keep=False).to_numpy(), r, -1)
    out = _Clash(*(np.full(len(labels), -1, dtype=np.int64) for _ in range(5)))
    for full, part in zip(
        (out.a_number, out.source, out.person, out.family, out.row), (a, s, p, f, r), strict=True
    ):
        full[members] = part
    return out


def _spanning_forest(edges: _Edges, idx: np.ndarray, n: int) -> np.ndarray:
    """Indices of the edges ``idx`` that greedy merges when no constraint can hold.

    That is Kruskal's algorithm by edge order: the minimum spanning forest when each
    edge weighs its rank.
    """
    if not len(idx):
        return np.zeros(0, dtype=np.int64)
    rank = (idx + 1).astype(np.float64)  # exact integers, all > 0 (0 means "no edge")
    graph = coo_matrix((rank, (edges.lo[idx], edges.hi[idx])), shape=(n, n)).tocsr()
    return np.sort(minimum_spanning_tree(graph).data.astype(np.int64) - 1)


# --- the greedy loop, for the components that need it ------------------------------------


class _Cluster:
    """The values of a cluster's members that can clash with another cluster's.

    Records with no such value have no ``_Cluster`` at all (None): no constraint can
    hold between two clusters unless both carry something.
    """

    __slots__ = ("a_numbers", "people", "families", "rows", "cannot")

    def __init__(self, a_number: int, source: int, person: int, family: int, row: int) -> None:
        # Shared empty frozensets until a value arrives; never mutated in place.
        self.a_numbers: frozenset[int] | set[int] = {a_number} if a_number >= 0 else _NONE
        self.people: dict[int, frozenset[int] | set[int]] = (
            {source: {person}} if person >= 0 else {}
        )
        self.families: frozenset[int] | set[int] = {family} if family >= 0 else _NONE
        self.rows: frozenset[int] | set[int] = {row} if row >= 0 else _NONE
        self.cannot: frozenset[int] | set[int] = _NONE  # local ids a member must not join

    def absorb(self, other: _Cluster) -> None:
        if other.a_numbers:
            self.a_numbers = self.a_numbers | other.a_numbers
        for source, people in other.people.items():
            self.people[source] = self.people.get(source, _NONE) | people
        if other.families:
            self.families = self.families | other.families
        if other.rows:
            self.rows = self.rows | other.rows
        if other.cannot:
            self.cannot = self.cannot | other.cannot


_NONE: Final[frozenset[int]] = frozenset()


class _Greedy:
    """Union-find over the records of the components that need it, with constraints."""

    def __init__(self, clash: _Clash, records: np.ndarray, typo_distance: int) -> None:
        self.count = len(records)
        self.local = np.full(len(clash.a_number), -1, dtype=np.int64)
        self.local[records] = np.arange(self.count)
        self.parent = list(range(self.count))
        self.size = [1] * self.count
        a, s, p, f, r = (
            x[records]
            for x in (clash.a_number, clash.source, clash.person, clash.family, clash.row)
        )
        self.state: list[_Cluster | None] = [None] * self.count
        for i in np.flatnonzero((a >= 0) | (p >= 0) | (f >= 0) | (r >= 0)).tolist():
            self.state[i] = _Cluster(int(a[i]), int(s[i]), int(p[i]), int(f[i]), int(r[i]))
        self.typo_distance = typo_distance

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = x = parent[parent[x]]
        return x

    def run(
        self, edges: _Edges, edge_idx: np.ndarray, cannot: tuple[np.ndarray, ...]
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[tuple[int, str]], list[tuple[int, str]]]:
        """(root per record, merged edges, their typo flags, rejected and conflicting edges)."""
        self._add_cannot_links(cannot)
        merged, typo = [], []
        rejected: list[tuple[int, str]] = []
        conflicts: list[tuple[int, str]] = []
        lo = self.local[edges.lo[edge_idx]].tolist()
        hi = self.local[edges.hi[edge_idx]].tolist()
        parent, state = self.parent, self.state
        for i, ra, rb, forced in zip(
            edge_idx.tolist(), lo, hi, edges.must[edge_idx].tolist(), strict=True
        ):
            while parent[ra] != ra:  # find, inlined: this loop is the hot path
                parent[ra] = ra = parent[parent[ra]]
            while parent[rb] != rb:
                parent[rb] = rb = parent[parent[rb]]
            if ra == rb:
                continue
            is_typo = False
            if state[ra] is not None and state[rb] is not None:
                blocker, is_typo = self._blocker(ra, rb)
                if blocker is not None:
                    (conflicts if forced else rejected).append((i, blocker))
                    if not forced:
                        continue
            self._union(ra, rb)
            merged.append(i)
            typo.append(is_typo)
        roots = np.array([self.find(x) for x in range(self.count)], dtype=np.int64)
        return roots, np.array(merged, np.int64), np.array(typo, bool), rejected, conflicts

    def _add_cannot_links(self, cannot: tuple[np.ndarray, ...]) -> None:
        lo, hi = self.local[cannot[0]], self.local[cannot[1]]
        inside = (lo >= 0) & (hi >= 0)
        adjacency: dict[int, set[int]] = {}
        for a, b in zip(lo[inside].tolist(), hi[inside].tolist(), strict=True):
            adjacency.setdefault(a, set()).add(b)
            adjacency.setdefault(b, set()).add(a)
        for x, others in adjacency.items():
            state = self.state[x]
            if state is None:
                state = self.state[x] = _Cluster(-1, -1, -1, -1, -1)
            state.cannot = others

    def _union(self, ra: int, rb: int) -> None:
        big, small = (ra, rb) if self.size[ra] >= self.size[rb] else (rb, ra)
        self.parent[small] = big
        self.size[big] += self.size[small]
        kept, gone = self.state[big], self.state[small]
        if kept is None:
            self.state[big] = gone
        elif gone is not None:
            kept.absorb(gone)
        self.state[small] = None

    def _blocker(self, ra: int, rb: int) -> tuple[Constraint | None, bool]:
        """The first constraint between two clusters (or None), and whether their
        A-numbers differ by a typo only."""
        a, b = self.state[ra], self.state[rb]
        assert a is not None and b is not None
        too_far, typo = self._compare_a_numbers(a.a_numbers, b.a_numbers)
        if len(a.cannot) > len(b.cannot):
            a, b, ra, rb = b, a, rb, ra
        if any(self.find(x) == rb for x in a.cannot):
            return "cannot_link", typo
        if too_far:
            return "a_number", typo
        for source, people in a.people.items():
            theirs = b.people.get(source)
            if theirs is not None and len(people | theirs) > 1:
                return "person_id", typo
        if not a.families.isdisjoint(b.families):
            return "family_group", typo
        if not a.rows.isdisjoint(b.rows):
            return "same_row", typo
        return None, typo

    def _compare_a_numbers(
        self, mine: frozenset[int] | set[int], theirs: frozenset[int] | set[int]
    ) -> tuple[bool, bool]:
        """(some two differ beyond the typo distance, some two differ within it)."""
        too_far = typo = False
        for x in mine:
            for y in theirs:
                if x != y:
                    if OSA.distance(f"{x:09d}", f"{y:09d}") > self.typo_distance:
                        too_far = True
                    else:
                        typo = True
        return too_far, typo


# --- entity ids ---------------------------------------------------------------------------


def _entity_ids(labels: np.ndarray, keys: np.ndarray) -> np.ndarray:
    """ENTITY_ID per record from the sorted keys of its entity's members (see module doc)."""
    n = len(labels)
    if n == 0:
        return np.zeros(0, dtype=object)
    texts, order, sizes = _member_texts(labels, keys)
    digests = [hashlib.sha1(t.encode("utf-8")).hexdigest() for t in texts]
    ids = pd.Series([ENTITY_PREFIX + d[:ENTITY_HEX_DIGITS] for d in digests], dtype=object)
    for j in np.flatnonzero(ids.duplicated(keep=False).to_numpy()).tolist():
        ids.iat[j] = ENTITY_PREFIX + digests[j]
    per_record = np.empty(n, dtype=object)
    per_record[order] = np.repeat(ids.to_numpy(), sizes)
    return per_record


def _member_texts(
    labels: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each entity's member keys, sorted and joined; the record order that lists the
    entities' members together, and the entities' sizes.

    Arrow sorts the keys (bytewise UTF-8, which is code-point order, as Python's `sorted`)
    and joins each entity's run of them in C++; a Python sort and join per entity took
    most of the clustering stage's own time at a million records. Keys Arrow cannot hold
    (lone surrogates from an odd encoding) take the per-entity way.
    """
    n = len(labels)
    try:
        values = pa.array(keys, type=pa.string())
    except (pa.ArrowException, UnicodeError):
        return _member_texts_one_by_one(labels, keys)
    rank = np.empty(n, dtype=np.int64)
    rank[pc.sort_indices(values).to_numpy()] = np.arange(n)
    order = np.lexsort((rank, labels))  # by entity, then by key
    starts, sizes = _runs(labels[order])
    offsets = pa.array(np.r_[starts, n].astype(np.int32))
    members = pa.ListArray.from_arrays(offsets, values.take(pa.array(order)))
    # to_numpy: a tenth of to_pylist's time for the same Python strings
    return pc.binary_join(members, _MEMBER_SEP).to_numpy(zero_copy_only=False), order, sizes


def _member_texts_one_by_one(
    labels: np.ndarray, keys: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    order = np.argsort(labels, kind="stable")
    starts, sizes = _runs(labels[order])
    texts = keys[order[starts]]  # a singleton's text is its key
    for j in np.flatnonzero(sizes > 1).tolist():
        texts[j] = _MEMBER_SEP.join(sorted(keys[order[starts[j] : starts[j] + sizes[j]]]))
    return texts, order, sizes


def _runs(ordered: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each run of equal labels starts in `ordered` (labels grouped), and its length."""
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return starts, np.diff(np.r_[starts, len(ordered)])
