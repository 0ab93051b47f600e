"""True relations between persons, derived from the family units and UAC placements.

Kinds follow the run outputs (DESIGN.md): `parent_of` and `sponsor_of` are directed
(a -> b); `sibling_of`, `spouse_of` and `co_traveler` are symmetric and written once, with
the smaller person first. Pairs are generated offset by offset over all groups at once, so
the cost is a handful of vectorized passes whatever the population size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RELATION_KINDS: tuple[str, ...] = (
    "parent_of",
    "sponsor_of",
    "sibling_of",
    "spouse_of",
    "co_traveler",
)
SYMMETRIC: frozenset[str] = frozenset({"sibling_of", "spouse_of", "co_traveler"})
_K = {k: i for i, k in enumerate(RELATION_KINDS)}


@dataclass(frozen=True)
class Relations:
    a: np.ndarray  # int64 person index
    b: np.ndarray  # int64 person index
    kind: np.ndarray  # int8 index into RELATION_KINDS

    def counts(self) -> dict[str, int]:
        c = np.bincount(self.kind, minlength=len(RELATION_KINDS))
        return {k: int(c[i]) for i, k in enumerate(RELATION_KINDS)}


def _within_groups(start: np.ndarray, size: np.ndarray):
    """Yield (i, j, group mask) for every offset pair i < j present in some group."""
    top = int(size.max()) if len(size) else 0
    for i in range(top):
        for j in range(i + 1, top):
            yield i, j, size > j


def build_relations(
    *,
    unit_start: np.ndarray,
    unit_size: np.ndarray,
    n_par: np.ndarray,
    case_start: np.ndarray,
    case_size: np.ndarray,
    case_sponsor: np.ndarray,
    case_relationship: np.ndarray,
    rel_keys: tuple[str, ...],
) -> Relations:
    """Relations of family units (parents first in each unit) and of UAC placements."""
    a_parts: list[np.ndarray] = []
    b_parts: list[np.ndarray] = []
    k_parts: list[np.ndarray] = []

    def add(a: np.ndarray, b: np.ndarray, kind: str) -> None:
        a_parts.append(a)
        b_parts.append(b)
        k_parts.append(np.full(len(a), _K[kind], dtype=np.int8))

    for i, j, ok in _within_groups(unit_start, unit_size):
        pa, pb, par = unit_start[ok] + i, unit_start[ok] + j, n_par[ok]
        add(pa, pb, "co_traveler")
        spouse = (i == 0) & (j == 1) & (par == 2)
        add(pa[spouse], pb[spouse], "spouse_of")
        parent = (i < par) & (j >= par)
        add(pa[parent], pb[parent], "parent_of")
        sib = i >= par
        add(pa[sib], pb[sib], "sibling_of")

    two = case_size == 2
    add(case_start[two], case_start[two] + 1, "sibling_of")
    child = np.concatenate([case_start, case_start[two] + 1])
    sponsor = np.concatenate([case_sponsor, case_sponsor[two]])
    rel = np.concatenate([case_relationship, case_relationship[two]])
    add(sponsor, child, "sponsor_of")
    is_parent = np.isin(rel, [rel_keys.index("mother"), rel_keys.index("father")])
    add(sponsor[is_parent], child[is_parent], "parent_of")
    is_sib = np.isin(rel, [rel_keys.index("brother"), rel_keys.index("sister")])
    add(sponsor[is_sib], child[is_sib], "sibling_of")

    a = np.concatenate(a_parts) if a_parts else np.empty(0, np.int64)
    b = np.concatenate(b_parts) if b_parts else np.empty(0, np.int64)
    kind = np.concatenate(k_parts) if k_parts else np.empty(0, np.int8)
    sym = np.isin(kind, [_K[k] for k in SYMMETRIC])
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    a, b = np.where(sym, lo, a), np.where(sym, hi, b)
    table = np.unique(np.stack([a, b, kind.astype(np.int64)], axis=1), axis=0)
    return Relations(a=table[:, 0].copy(), b=table[:, 1].copy(), kind=table[:, 2].astype(np.int8))
