"""Relations between resolved people, read from what the extracts say and imply.

Rules run on records (each fact is seen at one event: a family unit at one crossing, a
sponsor on one referral) and their conclusions are lifted to entities and merged: a
family that crossed twice gives each pair two supporting events, one row.

- ``co_traveler``: two people in one family group of one source (a CBP family unit).
- ``parent_of`` stated: a related person whose stated relationship is mother / father /
  parent (HHS sponsor -> child). Inferred: an adult and a minor of one family unit
  whose ages differ by a plausible parent's gap and who share a surname (in either
  position: a Latin child's second surname is the mother's first; spelled the same,
  alike in sound, or, from five letters on, one typo apart); or, sharing none, the
  unit's only adult, or either of its two adults when they are a couple, and a minor
  of a parent's age gap, in a unit with no member of unknown age (a unit travels with
  its children's parents or legal guardians). A member of unknown age carrying the
  same two surnames as a minor of the unit is taken for that minor's sibling, and of
  the minor's age, in these rules (never in the people frame); a young adult carrying
  exactly a minor's surnames, too close in age to be its parent, is one of the unit's
  children: a sibling, a parent's child, and nobody's parent. A woman of unknown age
  whose first surname is a child's second, and who does not carry its first, is its
  mother; a man of two surnames whose first is the child's first, not carrying its
  second, its father (the Latin order; an aunt or an uncle on that side reads alike).
- ``sibling_of``: two minors of one family unit sharing a surname, or whose parent
  there (by any rule above) is one adult; a stated sibling sponsor; two children
  sponsored by the same person with kinship stated for both and the same surnames
  (or, for a stated parent, one surname in common), or with no kinship stated, the
  same two surnames each and births nine months apart or twins.
- ``spouse_of``: stated; or two adults of one unit who are both inferred parents of one
  child, carrying its two surnames between them (or of opposite sex where names cannot
  tell).
- ``sponsor_of``: the related person -> the row's primary, with the stated relationship.
- ``shared_phone`` / ``shared_address``: weak links between people of different family
  groups holding the same phone or address key. A value held by more than
  ``max_shared`` people (a shelter, a consulate, a lawyer's phone) is not expanded into
  pairs, whose number grows with the square; it is summarized in the crowded-contacts
  frame with its head counts.

Every step is numpy over integer codes (a self-join laid out by a stable sort, a
bincount, a mask) or a merge of a few thousand rows: no Python loop runs over pairs, and
strings are touched once per distinct value or once per relation written. The order
the rules emit candidates in is the order a pandas self-merge gives, because the first
candidate of a relation is the evidence it shows.
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
    BIRTH,
    ENTITY,
    SLACK,
    UNIT,
    FamilySettings,
    Surnames,
    fact_codes,
    people_frame,
    record_facts,
    source_labels,
)

# Candidate columns (record level, before lifting to entities).
_A, _B, _KIND, _INFERRED, _EVIDENCE, _SOURCE, _STATED = "a", "b", "kind", "inf", "ev", "src", "st"
_CANDIDATE_COLUMNS: Final = (_A, _B, _KIND, _INFERRED, _EVIDENCE, _SOURCE, _STATED)
_KIND_CODE: Final = {k: i for i, k in enumerate(K.RELATION_KINDS)}
_SYMMETRIC_CODES: Final = np.array(
    [_KIND_CODE[k] for k in K.RELATION_KINDS if k not in K.DIRECTED_KINDS]
)
_PERSON_COLUMNS: Final = [ENTITY, AGE, SLACK, C.SEX, BIRTH]
# Two children of one mother are born the same day or some nine months apart at least.
_TWINS_YEARS: Final = 2 / 365.25
_SIBLINGS_APART_YEARS: Final = 0.75
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
        group = pd.factorize(self.people[K.FAMILY_GROUP_ID])[0]  # a bincount, not a sort
        size = np.bincount(group[group >= 0])
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
    *,
    prepared: pd.DataFrame | None = None,
    people_details: bool = True,
) -> FamilyRelations:
    """Every relation the records support, between the entities of ``entities``.

    ``records`` is a standardized records frame (see :data:`people.FACT_INPUT_COLUMNS`);
    ``entities`` maps each record to its ``entity_id`` (by ``record_id`` or by
    ``source, record_key``) and gives each entity's ``a_number`` (optional: None
    without the column). ``prepared`` is ``prepare_facts(records)`` when it was made
    ahead (then ``records`` is not read). Without ``people_details`` the people frame
    holds only each entity's id and family group, all the batch's outputs read of it
    (names, ages and sources per person are for the graph's queries and pictures).
    """
    settings = settings or FamilySettings()
    facts, entity_ids, a_number = record_facts(records, entities, prepared)
    surnames = Surnames.of(facts, len(entity_ids))
    strong = _lift(
        _stacked(
            [
                *_family_unit_rules(facts, surnames, settings),
                *_related_person_rules(facts, surnames, settings),
            ]
        ),
        entity_ids,
    )
    group = _components(strong.a, strong.b, len(entity_ids))
    weak_candidates, crowded = _shared_contacts(facts, group, settings)
    weak = _lift(weak_candidates, entity_ids)
    if people_details:
        people = people_frame(facts, entity_ids, a_number, settings.adult_age)
    else:
        people = pd.DataFrame({C.ENTITY_ID: entity_ids})
    people[K.FAMILY_GROUP_ID] = _group_names(group, entity_ids)
    relations = _relations_frame(strong, weak)
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
    facts, entity_ids, a_number = record_facts(records, entities)
    known = pd.Index(entity_ids)
    a = known.get_indexer(relations[K.ENTITY_A].astype(str))
    b = known.get_indexer(relations[K.ENTITY_B].astype(str))
    keep = (a >= 0) & (b >= 0)
    relations = relations.loc[keep].reset_index(drop=True)
    strong = relations[K.STRENGTH].to_numpy() == K.STRONG
    group = _components(a[keep][strong], b[keep][strong], len(entity_ids))
    _, crowded = _shared_contacts(facts, group, settings)
    people = people_frame(facts, entity_ids, a_number, settings.adult_age)
    people[K.FAMILY_GROUP_ID] = _group_names(group, entity_ids)
    return FamilyRelations(relations=relations, people=people, crowded=crowded, facts=facts)


# --- family units --------------------------------------------------------------------------
def _family_unit_rules(
    facts: pd.DataFrame, surnames: Surnames, s: FamilySettings
) -> list[pd.DataFrame]:
    """Candidates from the ordered pairs of people of one family unit (an adult and a
    minor are both (adult, minor) and (minor, adult)), taken as numpy arrays."""
    left, right = _unit_pairs(facts, s.max_unit_size)
    entity = facts[ENTITY].to_numpy()
    age, slack, by_sibling = _ages_by_siblings(facts, surnames, left, right, s.adult_age)
    unit = facts[UNIT].to_numpy()[left]
    source = facts[C.SOURCE].to_numpy(dtype=object)[left]
    el, er = entity[left], entity[right]
    age_l, age_r = age[left], age[right]
    unit_text = _unit_texts(facts)[unit]
    minor_l, minor_r = age_l < s.adult_age, age_r < s.adult_age  # NaN ages are neither
    adult_l = age_l >= s.adult_age
    gap = age_l - age_r
    pair_slack = slack[left] + slack[right]
    lo, hi = s.parent_gap
    # A child who has just come of age still travels as one of the unit's children: a
    # young adult with exactly a minor's surnames and too close in age to be a parent.
    young = (age_l < s.adult_age + s.young_adult_years) & minor_r & (np.abs(gap) + pair_slack < lo)
    grown = young & ~minor_l
    grown[grown] = surnames.same(el[grown], er[grown])  # only where the ages allow it
    # Such a young adult is a child of the unit to its parents too, and no parent.
    grown_child = np.zeros(len(age), dtype=bool)
    grown_child[left[grown]] = True
    child_r = minor_r | grown_child[right]
    parent_age = adult_l & ~grown_child[left] & child_r
    parent_age &= (gap + pair_slack >= lo) & (gap - pair_slack <= hi)
    # The b side's surnames the a side is known by, looked up only for the pairs whose
    # ages let them be parent and child or two minors (under half of them).
    asked = parent_age | (minor_l & minor_r & (el < er))
    matched = np.zeros(len(el), dtype=np.int64)
    matched[asked] = surnames.matched(el[asked], er[asked])
    # Where no surname is shared as written, one a typo apart is (PORTILLO, POTILLO).
    typo = asked & (matched == 0)
    matched[typo] = surnames.nearly_matched(el[typo], er[typo])
    typo &= matched > 0
    shared = matched > 0
    surname_text = np.where(typo, "; surname shared but for one letter", "; surname shared")

    def candidates(
        pick: np.ndarray, kind: str, evidence: np.ndarray, inferred: bool = True
    ) -> pd.DataFrame:
        return _candidates(kind, el[pick], er[pick], evidence, source[pick], inferred=inferred)

    co = el < er
    out = [candidates(co, K.CO_TRAVELER, unit_text[co], inferred=False)]

    parents = pd.DataFrame(
        {
            UNIT: unit[parent_age],
            C.FAMILY_GROUP: facts[C.FAMILY_GROUP].to_numpy(dtype=object)[left[parent_age]],
            C.SOURCE: source[parent_age],
            "adult": el[parent_age],
            "child": er[parent_age],
            C.SEX: facts[C.SEX].to_numpy(dtype=object)[left[parent_age]],
            "_pos": matched[parent_age],
        }
    )
    spouses = _spouse_pairs(parents, surnames)
    # A unit travels with its children's parents or legal guardians. Its only adult, or
    # its two adults when they are a couple, every other member a minor, are the parents
    # of its minors of a parent's age gap even with no surname in common: a child
    # written with the father's surname alone shares none with the mother.
    adults, unknown = _unit_ages(facts, age, s.adult_age, children=grown_child)
    sole_unit = (adults == 1) & (unknown == 0)
    couple_unit = np.zeros(len(adults), dtype=bool)
    couple_unit[spouses[UNIT].to_numpy(dtype=np.int64)] = True
    couple_unit &= (adults == 2) & (unknown == 0)
    guardian = parent_age & ~shared & (sole_unit | couple_unit)[unit]
    parent = parent_age & (shared | guardian)
    gap_text = _int_text(np.round(np.nan_to_num(gap[parent])).astype(np.int64))
    gap_text = np.where(by_sibling[right[parent]], "unknown", gap_text + "y")
    why = surname_text[parent].astype(object)  # numpy text would cut longer texts short
    by_unit = guardian[parent]
    why[by_unit] = np.where(
        sole_unit[unit[parent][by_unit]],
        "; the unit's only adult",
        "; the unit's two adults, a couple",
    )
    parent_ev = unit_text[parent] + "; age gap " + gap_text + why
    out.append(candidates(parent, K.PARENT_OF, parent_ev))
    # A member of unknown age is, by the Latin order, the child's mother when a woman
    # whose first surname is its second and who does not carry its first (a sister
    # written in the other order would); its father when a man of two surnames whose
    # first is its first and who does not carry its second (a brother would).
    sex = facts[C.SEX].to_numpy(dtype=object)[left]
    line = np.isnan(age_l) & child_r & ((sex == "F") | (sex == "M"))
    a, b = el[line], er[line]
    shares = surnames.matched(a, b)
    woman, man = sex[line] == "F", sex[line] == "M"
    mother_line = woman & surnames.placed(a, b, b_at=2, a_at=1) & (shares & 1 == 0)
    father_line = man & surnames.placed(a, b, b_at=1, a_at=1) & (shares & 2 == 0)
    father_line &= surnames.present[a] == 3
    by_line = np.zeros(len(el), dtype=bool)
    by_line[np.flatnonzero(line)[mother_line | father_line]] = True
    line_ev = np.where(
        (sex == "F")[by_line],
        "; age unknown; the child's second surname is her first",
        "; age unknown; the child's first surname is his first",
    )
    out.append(candidates(by_line, K.PARENT_OF, unit_text[by_line] + line_ev))
    parent |= by_line

    sibling = minor_l & minor_r & shared & (el < er)
    minors = np.where(
        (by_sibling[left] | by_sibling[right])[sibling],
        "; a minor and one of unknown age with the same two surnames",
        "; both minors" + surname_text[sibling].astype(object),
    )
    sibling_ev = unit_text[sibling] + minors
    out.append(candidates(sibling, K.SIBLING_OF, sibling_ev))
    grown_ev = unit_text[grown] + "; a minor and a young adult; same surnames"
    out.append(candidates(grown, K.SIBLING_OF, grown_ev))
    out.append(
        _children_of_one_parent(
            unit[parent],
            el[parent],
            er[parent],
            unit_text[parent],
            source[parent],
            found=(
                np.r_[unit[sibling], unit[grown]],
                np.r_[el[sibling], np.minimum(el, er)[grown]],
                np.r_[er[sibling], np.maximum(el, er)[grown]],
            ),
        )
    )
    evidence = "family unit " + spouses[C.FAMILY_GROUP].astype(str) + "; adults with one child"
    out.append(
        _candidates(
            K.SPOUSE_OF,
            spouses["adult"].to_numpy(),
            spouses["adult_o"].to_numpy(),
            evidence.to_numpy(dtype=object),
            spouses[C.SOURCE].to_numpy(dtype=object),
            inferred=True,
        )
    )
    return out


def _unit_pairs(facts: pd.DataFrame, max_unit_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Facts rows of every ordered pair of two people in one family unit, in the order a
    self-merge of the members on the unit gives (left member, then right member).

    A member is a person's first record in the unit; a "unit" of one person, or of more
    than ``max_unit_size`` (a placeholder id), pairs nobody.
    """
    unit, entity = facts[UNIT].to_numpy(), facts[ENTITY].to_numpy()
    rows = np.flatnonzero(unit >= 0)
    rows = rows[_first_occurrence(unit[rows] * (int(entity.max(initial=0)) + 1) + entity[rows])]
    size = np.bincount(unit[rows])[unit[rows]]
    rows = rows[(size >= 2) & (size <= max_unit_size)]
    left, right = _pairs_within(unit[rows])
    left, right = rows[left], rows[right]
    other = entity[left] != entity[right]
    return left[other], right[other]


def _children_of_one_parent(
    unit: np.ndarray,
    parent: np.ndarray,
    child: np.ndarray,
    evidence: np.ndarray,
    source: np.ndarray,
    *,
    found: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> pd.DataFrame:
    """Two minors of one unit whose parent there is the same adult are siblings (or
    half-siblings), whatever their surnames: one written with the father's surname
    alone, the other with the mother's, share none.

    The arguments are the unit's parent relations, one row each (``evidence`` is the
    unit's text), and the (unit, a, b) sibling pairs ``found`` by their surnames, which
    are left out: one event is one piece of support. A pair with two parents in the
    unit comes twice, with one text: the lifting counts it once.
    """
    by_parent = pd.factorize(unit * (int(parent.max(initial=0)) + 1) + parent)[0]
    left, right = _pairs_within(by_parent)
    ordered = child[left] < child[right]
    left, right = left[ordered], right[ordered]
    pairs = pd.MultiIndex.from_arrays([unit[left], child[left], child[right]])
    new = ~pairs.isin(pd.MultiIndex.from_arrays(found))
    left, right = left[new], right[new]
    said = evidence[left] + "; both minors; one parent in the unit"
    return _candidates(K.SIBLING_OF, child[left], child[right], said, source[left], inferred=True)


def _ages_by_siblings(
    facts: pd.DataFrame,
    surnames: Surnames,
    left: np.ndarray,
    right: np.ndarray,
    adult_age: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Age and slack per facts row, a unit member of unknown age taking the age of a
    minor of the unit who carries the same two surnames, and the mask of those rows.

    In the Latin order a child's two surnames are the father's first and the mother's
    first, so no parent carries both: the member is the minor's brother or sister, a
    child of the unit, whose birth date is missing. The slack is that of an unknown
    birth (a year), not the sibling's. ``left``, ``right`` are the unit's pairs.
    """
    age, slack = facts[AGE].to_numpy().copy(), facts[SLACK].to_numpy().copy()
    entity = facts[ENTITY].to_numpy()
    asked = np.flatnonzero(np.isnan(age[left]) & (age[right] < adult_age))
    el, er = entity[left[asked]], entity[right[asked]]
    two_each = (surnames.present[el] == 3) & (surnames.present[er] == 3)
    asked, el, er = asked[two_each], el[two_each], er[two_each]
    hit = asked[surnames.same(el, er)]
    age[left[hit]] = age[right[hit]]
    slack[left[hit]] = np.maximum(slack[left[hit]], 1.0)
    by_sibling = np.zeros(len(age), dtype=bool)
    by_sibling[left[hit]] = True
    return age, slack, by_sibling


def _unit_ages(
    facts: pd.DataFrame, age: np.ndarray, adult_age: float, *, children: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit code, how many of its members are adults and how many of unknown age
    (either could be a parent whose birth date is missing), by ``age`` per facts row;
    rows in ``children`` (young adults known for a unit's children) count as neither.
    Members are counted once each, by their first record in the unit."""
    unit, entity = facts[UNIT].to_numpy(), facts[ENTITY].to_numpy()
    n_units = int(unit.max(initial=-1)) + 1
    rows = np.flatnonzero(unit >= 0)
    rows = rows[_first_occurrence(unit[rows] * (int(entity.max(initial=0)) + 1) + entity[rows])]
    rows = rows[~children[rows]]
    adults = np.bincount(unit[rows], weights=age[rows] >= adult_age, minlength=n_units)
    unknown = np.bincount(unit[rows], weights=np.isnan(age[rows]), minlength=n_units)
    return adults.astype(np.int64), unknown.astype(np.int64)


def _unit_texts(facts: pd.DataFrame) -> np.ndarray:
    """Per unit code, its evidence prefix ("family unit cbp:FMU1"): built once per unit,
    then taken by each pair."""
    unit = facts[UNIT].to_numpy()
    rows = np.flatnonzero(unit >= 0)
    group = np.empty(int(unit.max(initial=-1)) + 1, dtype=object)
    group[unit[rows]] = facts[C.FAMILY_GROUP].to_numpy(dtype=object)[rows]
    return "family unit " + pd.Series(group, dtype=object).astype(str).to_numpy(dtype=object)


def _spouse_pairs(parent_age: pd.DataFrame, surnames: Surnames) -> pd.DataFrame:
    """Two adults of one unit, both of a parent's age to one of its minors, at least one
    sharing the child's surname: a couple travelling with their child when

    - the child's two surnames come one from each (the Latin order: father's first,
      mother's first), or
    - their sexes are known and differ and they do not look like siblings (the same
      two surnames each), since a unit's adults are its children's parents or guardians.

    ``parent_age`` has one row per (adult, child) pair of an age to be parent and child,
    with the unit, the adult's sex and ``_pos``, the child's surnames the adult shares.
    Returns one row per couple and unit: ``adult``, ``adult_o``, the unit, its family
    group and source.
    """
    p = parent_age
    pairs = p.merge(
        p[[UNIT, "child", "adult", C.SEX, "_pos"]], on=[UNIT, "child"], suffixes=("", "_o")
    )
    pairs = pairs.loc[pairs["adult"].to_numpy() < pairs["adult_o"].to_numpy()]
    a, b = pairs["adult"].to_numpy(), pairs["adult_o"].to_numpy()
    pos, pos_o = pairs["_pos"].to_numpy(), pairs["_pos_o"].to_numpy()
    sex, sex_o = pairs[C.SEX].to_numpy(), pairs[C.SEX + "_o"].to_numpy()
    sexes_differ = pd.notna(sex) & pd.notna(sex_o) & (sex != sex_o)
    one_each = ((pos | pos_o) == 3) & (pos != pos_o) & ~(pd.notna(sex) & (sex == sex_o))
    siblings_like = (surnames.present[a] == 3) & (surnames.present[b] == 3)  # two each
    siblings_like[siblings_like] = surnames.same(a[siblings_like], b[siblings_like])
    spouse = ((pos | pos_o) > 0) & (one_each | (sexes_differ & ~siblings_like))
    return pairs.loc[spouse].drop_duplicates(["adult", "adult_o", UNIT])


# --- related persons on one row (sponsors) ---------------------------------------------------
def _related_person_rules(
    facts: pd.DataFrame, surnames: Surnames, s: FamilySettings
) -> list[pd.DataFrame]:
    related = facts.loc[
        facts[C.RELATED_TO].notna().to_numpy() & facts[C.RELATION].notna().to_numpy()
    ]
    # The related person is "_l" (a sponsor), the row's primary "_r" (the child). Only a
    # record some row names can be a primary: the merge keys those, not every record.
    named = facts[C.RECORD_KEY].isin(related[C.RELATED_TO].unique()).to_numpy()
    primaries = facts.loc[named, [C.SOURCE, C.RECORD_KEY, *_PERSON_COLUMNS]].rename(
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
    stated = rows[C.RELATIONSHIP].to_numpy(dtype=object)
    said = rows[C.RELATIONSHIP].fillna("no relationship stated").astype(str)
    where = rows[C.SOURCE].astype(str) + " row " + rows[C.ROW_KEY].astype(str) + "; stated "
    ev = (where + said).to_numpy(dtype=object)
    sponsor, child = rows[ENTITY + "_l"].to_numpy(), rows[ENTITY + "_r"].to_numpy()
    source = rows[C.SOURCE].to_numpy(dtype=object)
    relation = rows[C.RELATION].to_numpy(dtype=object)

    def candidates(pick: np.ndarray, kind: str, with_stated: bool = False) -> pd.DataFrame:
        return _candidates(
            kind,
            sponsor[pick],
            child[pick],
            ev[pick],
            source[pick],
            inferred=False,
            stated=stated[pick] if with_stated else None,
        )

    out = [candidates(relation == kind, kind, with_stated=True) for kind in K.STRONG_KINDS]
    for kinds, kind in (
        (K.STATED_PARENT, K.PARENT_OF),
        (K.STATED_SIBLING, K.SIBLING_OF),
        (K.STATED_SPOUSE, K.SPOUSE_OF),
    ):
        out.append(
            candidates(rows[C.RELATIONSHIP].isin(list(kinds)).to_numpy() & (relation != kind), kind)
        )
    out.append(_siblings_by_sponsor(rows, surnames, s))
    return out


def _siblings_by_sponsor(rows: pd.DataFrame, surnames: Surnames, s: FamilySettings) -> pd.DataFrame:
    """Children placed with one sponsor and sharing their surnames.

    Kin to both (a stated uncle, a grandmother): the same surnames, or for a stated
    parent one surname in common (half-siblings). A sponsor who is no kin or states
    nothing (a family friend takes in a brother and a sister) says less, so both
    children must carry the same two surnames, and be born the same day (twins, by two
    full dates) or at least nine months apart: two unrelated children placed with one
    friend seldom share both surnames, but PEREZ HERNANDEZ is common enough that some do.
    """
    kids = rows.drop_duplicates([ENTITY + "_l", ENTITY + "_r"])
    per_sponsor = kids.groupby(ENTITY + "_l")[ENTITY + "_r"].transform("size").to_numpy()
    kids = kids.loc[(per_sponsor >= 2) & (per_sponsor <= s.max_sponsored)]
    columns = [ENTITY + "_l", C.SOURCE, C.RELATIONSHIP, ENTITY + "_r", BIRTH + "_r", SLACK + "_r"]
    c = kids[columns].copy()
    c.columns = ["sponsor", C.SOURCE, C.RELATIONSHIP, ENTITY, BIRTH, SLACK]
    pairs = c.merge(c.drop(columns=[C.SOURCE]), on="sponsor", suffixes=("_l", "_r"))
    pairs = pairs.loc[pairs[ENTITY + "_l"].to_numpy() < pairs[ENTITY + "_r"].to_numpy()]
    pairs = pairs.reset_index(drop=True)

    def stated(kinds: frozenset[str]) -> np.ndarray:
        return np.asarray(
            pairs[C.RELATIONSHIP + "_l"].isin(list(kinds)).to_numpy()
            & pairs[C.RELATIONSHIP + "_r"].isin(list(kinds)).to_numpy()
        )

    both_kin, both_parent = stated(K.STATED_KIN), stated(K.STATED_PARENT)
    el, er = pairs[ENTITY + "_l"].to_numpy(), pairs[ENTITY + "_r"].to_numpy()
    same = surnames.same(el, er)
    two_each = (surnames.present[el] == 3) & (surnames.present[er] == 3)
    apart = np.abs(pairs[BIRTH + "_l"].to_numpy() - pairs[BIRTH + "_r"].to_numpy())
    # Twins need two full dates: two 1 January placeholders of one year are no twins.
    exact = (pairs[SLACK + "_l"].to_numpy() == 0) & (pairs[SLACK + "_r"].to_numpy() == 0)
    births_allow = (exact & (apart < _TWINS_YEARS)) | (apart >= _SIBLINGS_APART_YEARS)
    pick = np.where(both_parent, surnames.shared(el, er), same)
    pick &= both_kin | (two_each & births_allow)
    said = pairs[C.RELATIONSHIP + "_l"].astype(str).to_numpy(dtype=object)  # read where kin
    ev = np.where(
        both_kin,
        "same sponsor, stated " + said + " of both; surnames shared",
        "same sponsor; the same two surnames",
    )
    source = pairs[C.SOURCE].to_numpy(dtype=object)
    return _candidates(K.SIBLING_OF, el[pick], er[pick], ev[pick], source[pick], inferred=True)


# --- weak links --------------------------------------------------------------------------------
def _shared_contacts(
    facts: pd.DataFrame, group: np.ndarray, s: FamilySettings
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs of people of different family groups holding one phone / address, and the
    values held by more than ``max_shared`` people, summarized instead of paired.

    Values, sources and family groups are integer codes from the start: the head counts
    are bincounts and the pairs a self-join of the small values' holders.
    """
    entity = facts[ENTITY].to_numpy()
    n_entities = int(entity.max(initial=0)) + 1
    source_code = pd.factorize(facts[C.SOURCE], use_na_sentinel=False)[0].astype(np.int64)
    n_sources = int(source_code.max(initial=0)) + 1
    source_text = facts[C.SOURCE].to_numpy(dtype=object)
    pairs_out: list[pd.DataFrame] = []
    crowded_out: list[pd.DataFrame] = []
    for column, label, kind in _CONTACTS:
        key, values = fact_codes(facts, column)  # -1: none held
        rows = np.flatnonzero(key >= 0)
        key = key[rows].astype(np.int64)
        # One row per (value, person, source): the first.
        held = _first_occurrence((key * n_entities + entity[rows]) * n_sources + source_code[rows])
        rows, key = rows[held], key[held]
        person = _first_occurrence(key * n_entities + entity[rows])
        n_people = np.bincount(key[person], minlength=len(values))
        family = group[entity[rows[person]]]
        one_family = _first_occurrence(key[person] * len(group) + family)
        n_families = np.bincount(key[person][one_family], minlength=len(values))
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
        small = (n_families[key] >= 2) & (n_people[key] <= s.max_shared)
        rows, key = rows[small], key[small]
        left, right = _pairs_within(key)
        el, er = entity[rows[left]], entity[rows[right]]
        apart = (el < er) & (group[el] != group[er])
        left, el, er = left[apart], el[apart], er[apart]
        evidence = _contact_evidence(label, n_people[key[left]], n_families[key[left]])
        source = source_text[rows[left]]
        pairs_out.append(_candidates(kind, el, er, evidence, source, inferred=True))
    crowded_frame = pd.concat(crowded_out, ignore_index=True).sort_values(
        [K.N_ENTITIES, K.CONTACT_KIND], ascending=[False, True], kind="stable"
    )
    return _stacked(pairs_out), crowded_frame.reset_index(drop=True)


def _contact_evidence(label: str, n_people: np.ndarray, n_families: np.ndarray) -> np.ndarray:
    """ "address shared by 3 people in 2 families" per pair: written once per distinct
    pair of head counts (both are at most ``max_shared``)."""
    width = int(n_families.max(initial=0)) + 1
    counts, which = np.unique(n_people * width + n_families, return_inverse=True)
    texts = [f"{label} shared by {c // width} people in {c % width} families" for c in counts]
    return np.array(texts, dtype=object)[which.reshape(-1)]


# --- lifting to entities -----------------------------------------------------------------------
def _candidates(
    kind: str,
    a: np.ndarray,
    b: np.ndarray,
    evidence: np.ndarray,
    source: np.ndarray,
    *,
    inferred: bool,
    stated: np.ndarray | None = None,
) -> pd.DataFrame:
    """Record-level candidates of one kind, one per row of the aligned arrays."""
    return pd.DataFrame(
        {
            _A: a,
            _B: b,
            _KIND: np.int64(_KIND_CODE[kind]),
            _INFERRED: inferred,
            _EVIDENCE: np.asarray(evidence, dtype=object),
            _SOURCE: np.asarray(source, dtype=object),
            _STATED: None if stated is None else np.asarray(stated, dtype=object),
        }
    )


def _stacked(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """The candidates of several rules as one frame, column by column: ``pd.concat``
    tests each cell of an all-None column (most rules state nothing) one by one."""
    return pd.DataFrame(
        {c: np.concatenate([part[c].to_numpy() for part in parts]) for c in _CANDIDATE_COLUMNS}
    )


@dataclass(frozen=True)
class _Lifted:
    """Relations as columns (K.RELATION_COLUMNS, rows in the order written) and the
    entity codes of each row's two ends."""

    columns: dict[str, np.ndarray]
    a: np.ndarray
    b: np.ndarray


def _lift(cands: pd.DataFrame, entity_ids: np.ndarray) -> _Lifted:
    """Record-level candidates -> one row per (entity a, entity b, kind).

    A stated candidate wins over an inferred one (its evidence is shown first); support
    counts the distinct pieces of evidence (events, rows, shared values); sources are
    the agencies any piece came from.

    Candidates are grouped by one int64 key per (a, b, kind), sorted once; evidence
    strings are compared only inside the groups holding more than one candidate, and
    taken only for the rows written.
    """
    a, b = cands[_A].to_numpy(np.int64), cands[_B].to_numpy(np.int64)
    kind = cands[_KIND].to_numpy(np.int64)
    sym = np.isin(kind, _SYMMETRIC_CODES)
    a, b = np.where(sym, np.minimum(a, b), a), np.where(sym, np.maximum(a, b), b)
    n, n_kinds = np.int64(len(entity_ids)), len(K.RELATION_KINDS)
    key = (a * n + b) * n_kinds + kind
    inferred = cands[_INFERRED].to_numpy(bool)
    # By key, stated before inferred, else in candidate order (a stable sort).
    kept = np.flatnonzero(a != b)
    if len(kept) == 0:
        return _Lifted(_no_relations(), np.empty(0, np.int64), np.empty(0, np.int64))
    order = kept[np.argsort(key[kept] * 2 + inferred[kept], kind="stable")]
    sorted_key = key[order]
    starts = np.flatnonzero(np.r_[True, sorted_key[1:] != sorted_key[:-1]])
    group = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(order)]))
    # One piece of evidence per (key, text): the first.
    evidence = cands[_EVIDENCE].to_numpy(dtype=object)
    distinct = np.ones(len(order), dtype=bool)
    several = np.bincount(group)[group] > 1
    if several.any():
        text = pd.factorize(evidence[order[several]])[0].astype(np.int64)
        distinct[several] = _first_occurrence(group[several] * (len(order) + 1) + text)
    support = np.bincount(group[distinct], minlength=len(starts))
    source, source_names = pd.factorize(cands[_SOURCE].to_numpy(dtype=object))
    source = source[order]
    source_bits = np.zeros(len(starts), dtype=np.int64)
    named = distinct & (source >= 0)
    np.bitwise_or.at(source_bits, group[named], np.int64(1) << source[named].astype(np.int64))
    # Rows in the order written: entity ids are sorted, so their codes sort as they do;
    # kinds sort by name.
    first = order[starts]
    by_name = np.argsort(np.argsort(np.asarray(K.RELATION_KINDS)))
    written = np.argsort((a[first] * n + b[first]) * n_kinds + by_name[kind[first]])
    first, support, source_bits = first[written], support[written], source_bits[written]
    a, b, kind = a[first], b[first], kind[first]
    said = pd.Series(evidence[first], dtype=object).astype(str).to_numpy(dtype=object)
    more = support > 1
    said[more] = said[more] + "; +" + _int_text(support[more] - 1) + " more"
    ids = entity_ids.astype(object)  # one string per entity, shared by its rows
    weak = np.isin(kind, [_KIND_CODE[k] for k in K.WEAK_KINDS]).astype(np.int64)
    columns = {
        K.ENTITY_A: ids[a],
        K.ENTITY_B: ids[b],
        K.RELATION: np.asarray(K.RELATION_KINDS, dtype=object)[kind],
        K.EVIDENCE: said,
        K.STRENGTH: np.array([K.STRONG, K.WEAK], dtype=object)[weak],
        K.INFERRED: inferred[first],
        K.SOURCES: source_labels(source_bits, list(source_names)),
        K.SUPPORT: support.astype(np.int64),
        K.STATED: cands[_STATED].to_numpy(dtype=object)[first],
    }
    return _Lifted(columns, a, b)


def _no_relations() -> dict[str, np.ndarray]:
    """The columns of an empty relations frame, typed as :func:`_lift` types them."""
    typed = {K.INFERRED: np.bool_, K.SUPPORT: np.int64}
    return {c: np.empty(0, dtype=typed.get(c, object)) for c in K.RELATION_COLUMNS}


def _relations_frame(*parts: _Lifted) -> pd.DataFrame:
    """The relations frame of lifted parts, built once (no frame per part to concat)."""
    return pd.DataFrame(
        {c: np.concatenate([part.columns[c] for part in parts]) for c in K.RELATION_COLUMNS},
        copy=False,
    )


def _components(a: np.ndarray, b: np.ndarray, n: int) -> np.ndarray:
    """Family group label per entity code: components over the strong relations, given
    as the entity codes of their ends."""
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1].astype(np.int64)


def _group_names(group: np.ndarray, entity_ids: np.ndarray) -> np.ndarray:
    """A family group is named after its smallest entity id ("F" + id): stable when the
    group's members are."""
    smallest = np.full(int(group.max(initial=-1)) + 1, len(entity_ids), dtype=np.int64)
    np.minimum.at(smallest, group, np.arange(len(entity_ids)))  # codes are in id order
    return ("F" + entity_ids.astype(object))[smallest[group]]


# --- integer helpers -------------------------------------------------------------------------
def _pairs_within(group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every ordered pair (i, j) of positions with one group code (i == j included), in
    the order a self-merge on the code gives: by i, then by j.

    Positions are laid out per group by a stable sort, and each i is repeated once per
    member of its group: no frame, no hashing.
    """
    if len(group) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    by_group = np.argsort(group, kind="stable")
    size = np.bincount(group)
    start = np.cumsum(size) - size
    count = size[group]
    left = np.repeat(np.arange(len(group)), count)
    offset = np.arange(len(left)) - np.repeat(np.cumsum(count) - count, count)
    return left, by_group[start[group[left]] + offset]


def _first_occurrence(keys: np.ndarray) -> np.ndarray:
    """Mask of each key's first occurrence: ``drop_duplicates`` on int64 keys."""
    return ~pd.Series(keys).duplicated().to_numpy()


def _int_text(values: np.ndarray) -> np.ndarray:
    """Integers as text (object array), each distinct value formatted once."""
    distinct, which = np.unique(values, return_inverse=True)
    return distinct.astype(str).astype(object)[which.reshape(-1)]
