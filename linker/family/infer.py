"""Relations between resolved people, read from what the extracts say and imply.

Rules run on records (each fact is seen at one event: a family unit at one crossing, a
sponsor on one referral) and their conclusions are lifted to entities and merged: a
family that crossed twice gives each pair two supporting events, one row.

- ``co_traveler``: two people in one family group of one source (a CBP family unit).
- ``parent_of`` stated: a related person whose stated relationship is mother / father /
  parent (HHS sponsor -> child). Inferred: an adult and a minor of one family unit
  whose ages differ by a plausible parent's gap and who share a surname (in either
  position: a Latin child's second surname is the mother's first).
- ``sibling_of``: two minors of one family unit sharing a surname; a stated sibling
  sponsor; two children sponsored by the same person with kinship stated for both and
  the same surnames (or, for a stated parent, one surname in common).
- ``spouse_of``: stated; or two adults of one unit who are both inferred parents of one
  child, carrying its two surnames between them (or of opposite sex where names cannot
  tell).
- ``sponsor_of``: the related person -> the row's primary, with the stated relationship.
- ``shared_phone`` / ``shared_address``: weak links between people of different family
  groups holding the same phone or address key. A value held by more than
  ``max_shared`` people (a shelter, a consulate, a lawyer's phone) is not expanded into
  pairs, whose number grows with the square; it is summarized in the crowded-contacts
  frame with its head counts.

Every step is a merge, a group-by or a numpy mask: no Python loop runs over pairs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from linker import columns as C
from linker.family import kinds as K
from linker.family.people import (
    AGE,
    ENTITY,
    SLACK,
    UNIT,
    FamilySettings,
    Surnames,
    people_frame,
    record_facts,
    source_labels,
)

# Candidate columns (record level, before lifting to entities).
_A, _B, _KIND, _INFERRED, _EVIDENCE, _SOURCE, _STATED = "a", "b", "kind", "inf", "ev", "src", "st"
_KIND_CODE: Final = {k: i for i, k in enumerate(K.RELATION_KINDS)}
_SYMMETRIC_CODES: Final = np.array(
    [_KIND_CODE[k] for k in K.RELATION_KINDS if k not in K.DIRECTED_KINDS]
)
_PERSON_COLUMNS: Final = [ENTITY, AGE, SLACK, C.SEX]
_CONTACTS: Final = (
    (C.ADDRESS_KEY, "address", K.SHARED_ADDRESS),
    (C.PHONE, "phone", K.SHARED_PHONE),
)


@dataclass(frozen=True)
class FamilyRelations:
    """Relations between entities, the people they join, and the contacts too crowded
    to pair. ``people`` row i is entity code i (see :func:`people.people_frame`) plus
    its ``family_group_id``; ``facts`` is the record-level frame the rules read."""

    relations: pd.DataFrame
    people: pd.DataFrame
    crowded: pd.DataFrame
    facts: pd.DataFrame

    def counts(self) -> dict[str, int]:
        """Counts for summary.json: relations per kind, family groups, crowded contacts."""
        per_kind = self.relations[K.RELATION].value_counts()
        out = {f"relations_{k}": int(per_kind.get(k, 0)) for k in K.RELATION_KINDS}
        size = self.people[K.FAMILY_GROUP_ID].value_counts()
        out["family_groups"] = int((size > 1).sum())
        out["people_in_family_groups"] = int(size[size > 1].sum())
        crowded = self.crowded[K.CONTACT_KIND].value_counts()
        out["crowded_addresses"] = int(crowded.get("address", 0))
        out["crowded_phones"] = int(crowded.get("phone", 0))
        return out


def infer_relations(
    records: pd.DataFrame,
    entities: pd.DataFrame,
    settings: FamilySettings | None = None,
) -> FamilyRelations:
    """Every relation the records support, between the entities of ``entities``.

    ``records`` is a standardized records frame (see :data:`people.FACT_INPUT_COLUMNS`);
    ``entities`` maps each record to its ``entity_id`` (by ``record_id`` or by
    ``source, record_key``) and gives each entity's ``a_number``.
    """
    settings = settings or FamilySettings()
    facts, entity_ids = record_facts(records, entities)
    surnames = Surnames.of(facts, len(entity_ids))
    strong = pd.concat(
        [
            *_family_unit_rules(facts, surnames, settings),
            *_related_person_rules(facts, surnames, settings),
        ],
        ignore_index=True,
    )
    strong_rel = _lift(strong, entity_ids, facts)
    group = _components(strong_rel, entity_ids)
    weak, crowded = _shared_contacts(facts, group, settings)
    weak_rel = _lift(weak, entity_ids, facts)
    people = people_frame(facts, entity_ids, entities, settings.adult_age)
    people[K.FAMILY_GROUP_ID] = _group_names(group, entity_ids)
    relations = pd.concat([strong_rel, weak_rel], ignore_index=True)
    return FamilyRelations(relations=relations, people=people, crowded=crowded, facts=facts)


def attach_relations(
    records: pd.DataFrame,
    entities: pd.DataFrame,
    relations: pd.DataFrame,
    settings: FamilySettings | None = None,
) -> FamilyRelations:
    """People, family groups and crowded contacts around relations already known (a
    run's relations.csv, perhaps with reviewer-asserted ones): nothing is re-inferred.

    Relations naming an entity that no record belongs to are dropped: they cannot be
    drawn or queried, and a stale file must not make every query fail.
    """
    settings = settings or FamilySettings()
    facts, entity_ids = record_facts(records, entities)
    known = pd.Index(entity_ids)
    keep = known.get_indexer(relations[K.ENTITY_A].astype(str)) >= 0
    keep &= known.get_indexer(relations[K.ENTITY_B].astype(str)) >= 0
    relations = relations.loc[keep].reset_index(drop=True)
    strong = relations.loc[relations[K.STRENGTH].to_numpy() == K.STRONG]
    group = _components(strong, entity_ids)
    _, crowded = _shared_contacts(facts, group, settings)
    people = people_frame(facts, entity_ids, entities, settings.adult_age)
    people[K.FAMILY_GROUP_ID] = _group_names(group, entity_ids)
    return FamilyRelations(relations=relations, people=people, crowded=crowded, facts=facts)


# --- family units --------------------------------------------------------------------------
def _family_unit_rules(
    facts: pd.DataFrame, surnames: Surnames, s: FamilySettings
) -> list[pd.DataFrame]:
    members = facts.loc[facts[UNIT].to_numpy() >= 0]
    members = members.drop_duplicates([UNIT, ENTITY])
    size = members.groupby(UNIT)[ENTITY].transform("size").to_numpy()
    members = members.loc[(size >= 2) & (size <= s.max_unit_size)]
    m = members[[UNIT, C.FAMILY_GROUP, C.SOURCE, *_PERSON_COLUMNS]]
    pairs = m.merge(m.drop(columns=[C.FAMILY_GROUP, C.SOURCE]), on=UNIT, suffixes=("_l", "_r"))
    el, er = pairs[ENTITY + "_l"].to_numpy(), pairs[ENTITY + "_r"].to_numpy()
    pairs = pairs.loc[el != er].reset_index(drop=True)
    el, er = pairs[ENTITY + "_l"].to_numpy(), pairs[ENTITY + "_r"].to_numpy()
    age_l, age_r = pairs[AGE + "_l"].to_numpy(), pairs[AGE + "_r"].to_numpy()
    unit_text = "family unit " + pairs[C.FAMILY_GROUP].astype(str)
    matched = surnames.matched(el, er)  # the b side's surnames the a side is known by
    shared = matched > 0
    minor_l, minor_r = age_l < s.adult_age, age_r < s.adult_age  # NaN ages are neither
    adult_l = age_l >= s.adult_age
    gap = age_l - age_r
    slack = pairs[SLACK + "_l"].to_numpy() + pairs[SLACK + "_r"].to_numpy()
    lo, hi = s.parent_gap
    out = [_candidates(pairs, el < er, K.CO_TRAVELER, unit_text, inferred=False)]

    parent_age = adult_l & minor_r & (gap + slack >= lo) & (gap - slack <= hi)
    parent = parent_age & shared
    gap_text = pd.Series(np.round(np.nan_to_num(gap)).astype(np.int64).astype(str))
    parent_ev = unit_text + "; age gap " + gap_text + "y; surname shared"
    out.append(_candidates(pairs, parent, K.PARENT_OF, parent_ev, inferred=True))

    sibling = minor_l & minor_r & shared & (el < er)
    out.append(
        _candidates(pairs, sibling, K.SIBLING_OF, unit_text + "; both minors; surname shared")
    )
    # A child who has just come of age still travels as one of the unit's children: a
    # young adult with exactly a minor's surnames and too close in age to be a parent.
    young = (age_l < s.adult_age + s.young_adult_years) & minor_r & (np.abs(gap) + slack < lo)
    grown = young & ~minor_l & surnames.same(el, er)
    out.append(
        _candidates(
            pairs, grown, K.SIBLING_OF, unit_text + "; a minor and a young adult; same surnames"
        )
    )
    out.append(_spouses(pairs.assign(_pos=matched).loc[parent_age], surnames))
    return out


def _spouses(parent_age: pd.DataFrame, surnames: Surnames) -> pd.DataFrame:
    """Two adults of one unit, both of a parent's age to one of its minors, at least one
    sharing the child's surname: a couple travelling with their child when

    - the child's two surnames come one from each (the Latin order: father's first,
      mother's first), or
    - their sexes are known and differ and they do not look like siblings (the same
      two surnames each), since a unit's adults are its children's parents or guardians.
    """
    keep = [UNIT, C.FAMILY_GROUP, C.SOURCE, ENTITY + "_l", ENTITY + "_r", C.SEX + "_l", "_pos"]
    p = parent_age[keep].rename(columns={ENTITY + "_l": "adult", ENTITY + "_r": "child"})
    pairs = p.merge(
        p[[UNIT, "child", "adult", C.SEX + "_l", "_pos"]], on=[UNIT, "child"], suffixes=("", "_o")
    )
    pairs = pairs.loc[pairs["adult"].to_numpy() < pairs["adult_o"].to_numpy()]
    a, b = pairs["adult"].to_numpy(), pairs["adult_o"].to_numpy()
    pos, pos_o = pairs["_pos"].to_numpy(), pairs["_pos_o"].to_numpy()
    sex, sex_o = pairs[C.SEX + "_l"].to_numpy(), pairs[C.SEX + "_l_o"].to_numpy()
    sexes_differ = pd.notna(sex) & pd.notna(sex_o) & (sex != sex_o)
    one_each = ((pos | pos_o) == 3) & (pos != pos_o) & ~(pd.notna(sex) & (sex == sex_o))
    two_each = (surnames.present[a] == 3) & (surnames.present[b] == 3)
    siblings_like = two_each & surnames.same(a, b)
    spouse = ((pos | pos_o) > 0) & (one_each | (sexes_differ & ~siblings_like))
    pairs = pairs.loc[spouse].drop_duplicates(["adult", "adult_o", UNIT])
    evidence = "family unit " + pairs[C.FAMILY_GROUP].astype(str) + "; adults with one child"
    return pd.DataFrame(
        {
            _A: pairs["adult"].to_numpy(),
            _B: pairs["adult_o"].to_numpy(),
            _KIND: _KIND_CODE[K.SPOUSE_OF],
            _INFERRED: True,
            _EVIDENCE: evidence.to_numpy(dtype=object),
            _SOURCE: pairs[C.SOURCE].to_numpy(),
            _STATED: None,
        }
    )


# --- related persons on one row (sponsors) ---------------------------------------------------
def _related_person_rules(
    facts: pd.DataFrame, surnames: Surnames, s: FamilySettings
) -> list[pd.DataFrame]:
    related = facts.loc[
        facts[C.RELATED_TO].notna().to_numpy() & facts[C.RELATION].notna().to_numpy()
    ]
    # The related person is "_l" (a sponsor), the row's primary "_r" (the child).
    primaries = facts[[C.SOURCE, C.RECORD_KEY, *_PERSON_COLUMNS]].rename(
        columns={C.RECORD_KEY: C.RELATED_TO} | {c: c + "_r" for c in _PERSON_COLUMNS}
    )
    own = [C.SOURCE, C.ROW_KEY, C.RELATED_TO, C.RELATION, C.RELATIONSHIP, ENTITY]
    rows = (
        related[own]
        .rename(columns={ENTITY: ENTITY + "_l"})
        .merge(primaries, on=[C.SOURCE, C.RELATED_TO])
    )
    rows = rows.loc[rows[ENTITY + "_l"].to_numpy() != rows[ENTITY + "_r"].to_numpy()]
    rows = rows.loc[rows[C.RELATION].isin(list(K.STRONG_KINDS))].reset_index(drop=True)
    stated = rows[C.RELATIONSHIP]
    said = stated.fillna("no relationship stated").astype(str)
    where = rows[C.SOURCE].astype(str) + " row " + rows[C.ROW_KEY].astype(str) + "; stated "
    ev = where + said
    a, b = ENTITY + "_l", ENTITY + "_r"
    out = []
    for kind in K.STRONG_KINDS:
        pick = (rows[C.RELATION] == kind).to_numpy()
        out.append(_candidates(rows, pick, kind, ev, inferred=False, a=a, b=b, stated=stated))
    for kinds, kind in (
        (K.STATED_PARENT, K.PARENT_OF),
        (K.STATED_SIBLING, K.SIBLING_OF),
        (K.STATED_SPOUSE, K.SPOUSE_OF),
    ):
        pick = stated.isin(list(kinds)).to_numpy() & (rows[C.RELATION] != kind).to_numpy()
        out.append(_candidates(rows, pick, kind, ev, inferred=False, a=a, b=b))
    out.append(_siblings_by_sponsor(rows, surnames, s))
    return out


def _siblings_by_sponsor(rows: pd.DataFrame, surnames: Surnames, s: FamilySettings) -> pd.DataFrame:
    """Children placed with one sponsor, kin to both, with the same surnames (a stated
    parent: one surname in common, for half-siblings)."""
    kin = rows.loc[rows[C.RELATIONSHIP].isin(list(K.STATED_KIN)).to_numpy()]
    kin = kin.drop_duplicates([ENTITY + "_l", ENTITY + "_r"])
    per_sponsor = kin.groupby(ENTITY + "_l")[ENTITY + "_r"].transform("size").to_numpy()
    kin = kin.loc[(per_sponsor >= 2) & (per_sponsor <= s.max_sponsored)]
    c = kin[[ENTITY + "_l", C.SOURCE, C.RELATIONSHIP, ENTITY + "_r"]].copy()
    c.columns = ["sponsor", C.SOURCE, C.RELATIONSHIP, ENTITY]
    pairs = c.merge(c.drop(columns=[C.SOURCE]), on="sponsor", suffixes=("_l", "_r"))
    pairs = pairs.loc[pairs[ENTITY + "_l"].to_numpy() < pairs[ENTITY + "_r"].to_numpy()]
    pairs = pairs.reset_index(drop=True)
    both_parent = (
        pairs[C.RELATIONSHIP + "_l"].isin(list(K.STATED_PARENT))
        & pairs[C.RELATIONSHIP + "_r"].isin(list(K.STATED_PARENT))
    ).to_numpy()
    el, er = pairs[ENTITY + "_l"].to_numpy(), pairs[ENTITY + "_r"].to_numpy()
    pick = np.where(both_parent, surnames.shared(el, er), surnames.same(el, er))
    said = pairs[C.RELATIONSHIP + "_l"].astype(str)
    ev = "same sponsor, stated " + said + " of both; surnames shared"
    return _candidates(pairs, pick, K.SIBLING_OF, ev, inferred=True)


# --- weak links --------------------------------------------------------------------------------
def _shared_contacts(
    facts: pd.DataFrame, group: np.ndarray, s: FamilySettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs of people of different family groups holding one phone / address, and the
    values held by more than ``max_shared`` people, summarized instead of paired."""
    pairs_out: list[pd.DataFrame] = []
    crowded_out: list[pd.DataFrame] = []
    for column, label, kind in _CONTACTS:
        held = facts.loc[facts[column].notna().to_numpy(), [column, ENTITY, C.SOURCE]]
        key, values = pd.factorize(held[column])  # ints from here on: dedupe is cheap
        source = pd.factorize(held[C.SOURCE])[0]
        held = held.assign(_key=key, _src=source).drop_duplicates(["_key", ENTITY, "_src"])
        held = held.assign(_group=group[held[ENTITY].to_numpy()])
        people = held.drop_duplicates(["_key", ENTITY])
        n_people = np.bincount(people["_key"].to_numpy(), minlength=len(values))
        families = people.drop_duplicates(["_key", "_group"])
        n_families = np.bincount(families["_key"].to_numpy(), minlength=len(values))
        crowded = np.flatnonzero(n_people > s.max_shared)
        crowded_out.append(
            pd.DataFrame(
                {
                    K.CONTACT_KIND: label,
                    K.CONTACT_VALUE: np.asarray(values, dtype=object)[crowded],
                    K.N_ENTITIES: n_people[crowded],
                    K.N_FAMILIES: n_families[crowded],
                }
            )
        )
        k = held["_key"].to_numpy()
        small = held.loc[(n_families[k] >= 2) & (n_people[k] <= s.max_shared)]
        pairs = small.merge(small[["_key", ENTITY, "_group"]], on="_key", suffixes=("_l", "_r"))
        pairs = pairs.loc[
            (pairs[ENTITY + "_l"].to_numpy() < pairs[ENTITY + "_r"].to_numpy())
            & (pairs["_group_l"].to_numpy() != pairs["_group_r"].to_numpy())
        ].reset_index(drop=True)
        kk = pairs["_key"].to_numpy()
        ev = (
            f"{label} shared by "
            + pd.Series(n_people[kk]).astype(str)
            + " people in "
            + pd.Series(n_families[kk]).astype(str)
            + " families"
        )
        pairs_out.append(_candidates(pairs, np.ones(len(pairs), bool), kind, ev, inferred=True))
    crowded_frame = pd.concat(crowded_out, ignore_index=True).sort_values(
        [K.N_ENTITIES, K.CONTACT_KIND], ascending=[False, True], kind="stable"
    )
    return pd.concat(pairs_out, ignore_index=True), crowded_frame.reset_index(drop=True)


# --- lifting to entities -----------------------------------------------------------------------
def _candidates(
    frame: pd.DataFrame,
    pick: np.ndarray,
    kind: str,
    evidence: pd.Series,
    *,
    inferred: bool = True,
    a: str = ENTITY + "_l",
    b: str = ENTITY + "_r",
    stated: pd.Series | None = None,
) -> pd.DataFrame:
    pick = np.asarray(pick, dtype=bool)
    source = frame[C.SOURCE + "_l"] if C.SOURCE + "_l" in frame.columns else frame[C.SOURCE]
    return pd.DataFrame(
        {
            _A: frame[a].to_numpy()[pick],
            _B: frame[b].to_numpy()[pick],
            _KIND: np.int64(_KIND_CODE[kind]),
            _INFERRED: inferred,
            _EVIDENCE: np.asarray(evidence, dtype=object)[pick],
            _SOURCE: source.to_numpy(dtype=object)[pick],
            _STATED: None if stated is None else stated.to_numpy(dtype=object)[pick],
        }
    )


def _lift(cands: pd.DataFrame, entity_ids: np.ndarray, facts: pd.DataFrame) -> pd.DataFrame:
    """Record-level candidates -> one row per (entity a, entity b, kind).

    A stated candidate wins over an inferred one (its evidence is shown first); support
    counts the distinct pieces of evidence (events, rows, shared values); sources are
    the agencies any piece came from.
    """
    if cands.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in K.RELATION_COLUMNS})
    a, b = cands[_A].to_numpy(np.int64), cands[_B].to_numpy(np.int64)
    kind = cands[_KIND].to_numpy(np.int64)
    sym = np.isin(kind, _SYMMETRIC_CODES)
    a, b = np.where(sym, np.minimum(a, b), a), np.where(sym, np.maximum(a, b), b)
    keep = a != b
    n = np.int64(len(entity_ids))
    key = (a * n + b) * len(K.RELATION_KINDS) + kind
    c = cands.assign(_key=key, **{_A: a, _B: b}).loc[keep]
    c = c.sort_values(["_key", _INFERRED], kind="stable").drop_duplicates(["_key", _EVIDENCE])
    support = c.groupby("_key", sort=False).size()
    inferred = c.groupby("_key", sort=False)[_INFERRED].min()
    src_code, src_names = pd.factorize(c[_SOURCE])
    bits = pd.Series(np.int64(1) << np.maximum(src_code, 0).astype(np.int64), index=c.index)
    by_src = c.assign(_bit=bits.where(src_code >= 0, 0)).drop_duplicates(["_key", "_bit"])
    source_bits = by_src.groupby("_key", sort=False)["_bit"].sum()
    first = c.drop_duplicates("_key").set_index("_key")
    support = support.reindex(first.index).to_numpy()
    more = pd.Series(support - 1).astype(str).radd("; +").add(" more").where(support > 1, "")
    strength = np.where(
        np.isin(first[_KIND].to_numpy(), [_KIND_CODE[k] for k in K.WEAK_KINDS]), K.WEAK, K.STRONG
    )
    return pd.DataFrame(
        {
            K.ENTITY_A: entity_ids[first[_A].to_numpy()],
            K.ENTITY_B: entity_ids[first[_B].to_numpy()],
            K.RELATION: np.asarray(K.RELATION_KINDS, dtype=object)[first[_KIND].to_numpy()],
            K.EVIDENCE: (first[_EVIDENCE].astype(str).to_numpy() + more).to_numpy(dtype=object),
            K.STRENGTH: strength,
            K.INFERRED: inferred.reindex(first.index).to_numpy(bool),
            K.SOURCES: source_labels(
                source_bits.reindex(first.index).to_numpy(np.int64), list(src_names)
            ),
            K.SUPPORT: support.astype(np.int64),
            K.STATED: first[_STATED].to_numpy(dtype=object),
        }
    ).sort_values([K.ENTITY_A, K.ENTITY_B, K.RELATION], kind="stable", ignore_index=True)


def _components(relations: pd.DataFrame, entity_ids: np.ndarray) -> np.ndarray:
    """Family group label per entity code: components over the strong relations."""
    n = len(entity_ids)
    pos = pd.Index(entity_ids)
    a = pos.get_indexer(relations[K.ENTITY_A].to_numpy())
    b = pos.get_indexer(relations[K.ENTITY_B].to_numpy())
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _group_names(group: np.ndarray, entity_ids: np.ndarray) -> np.ndarray:
    """A family group is named after its smallest entity id ("F" + id): stable when the
    group's members are."""
    smallest = np.full(int(group.max(initial=-1)) + 1, len(entity_ids), dtype=np.int64)
    np.minimum.at(smallest, group, np.arange(len(entity_ids)))  # codes are in id order
    names = ("F" + pd.Series(entity_ids, dtype=object).astype(str)).to_numpy(dtype=object)
    return names[smallest[group]]
