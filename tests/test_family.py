"""Relation inference, queries, red flags and pictures on small hand-built frames."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from family_data import Person, family_unit, frames

from linker import columns as C
from linker.family import (
    FamilySettings,
    UnknownEntity,
    build_family_graph,
    child_status,
    ego_graph,
    explain_path,
    family_of,
    infer_relations,
    load_family,
    read_relations,
    red_flags,
    render_family_svg,
    to_graphml,
    to_node_link,
    write_relations,
)
from linker.family import kinds as K


def relations_of(people: list[Person], settings: FamilySettings | None = None) -> pd.DataFrame:
    records, entities = frames(people)
    return infer_relations(records, entities, settings).relations


def triples(relations: pd.DataFrame, kind: str) -> set[tuple[str, str]]:
    rows = relations.loc[relations[K.RELATION] == kind]
    return set(zip(rows[K.ENTITY_A], rows[K.ENTITY_B], strict=True))


def graph_of(people: list[Person], settings: FamilySettings | None = None):
    records, entities = frames(people)
    return build_family_graph(infer_relations(records, entities, settings), settings)


# --- inference ------------------------------------------------------------------------------
def test_family_unit_gives_every_kind_with_evidence() -> None:
    rel = relations_of(family_unit())
    assert len(triples(rel, K.CO_TRAVELER)) == 6
    assert triples(rel, K.PARENT_OF) == {
        ("E_father", "E_kid1"),
        ("E_father", "E_kid2"),
        ("E_mother", "E_kid1"),
        ("E_mother", "E_kid2"),
    }
    assert triples(rel, K.SIBLING_OF) == {("E_kid1", "E_kid2")}
    assert triples(rel, K.SPOUSE_OF) == {("E_father", "E_mother")}
    parent = rel.loc[rel[K.RELATION] == K.PARENT_OF].iloc[0]
    assert bool(parent[K.INFERRED]) and parent[K.STRENGTH] == K.STRONG
    assert "family unit cbp:G1" in parent[K.EVIDENCE] and "age gap" in parent[K.EVIDENCE]
    co = rel.loc[rel[K.RELATION] == K.CO_TRAVELER].iloc[0]
    assert not co[K.INFERRED] and co[K.SOURCES] == "cbp"
    # One crossing is one piece of support, however many rules see the siblings in it.
    (sibling,) = rel.loc[rel[K.RELATION] == K.SIBLING_OF].itertuples(index=False)
    assert sibling.support == 1 and sibling.evidence.endswith("; both minors; surname shared")


def test_adults_and_a_minor_without_a_shared_surname_are_not_parent_and_child() -> None:
    # Two adults: either could be the guardian, and neither shares the child's surname.
    rel = relations_of(
        [
            Person("E_a", "c1", "JOHN", "ADAMS", None, "1980-01-01", group="G9"),
            Person("E_c", "c3", "MARY", "BROWN", None, "1982-01-01", group="G9"),
            Person("E_b", "c2", "LI", "ZHOU", None, "2012-01-01", group="G9"),
        ]
    )
    assert len(triples(rel, K.CO_TRAVELER)) == 3
    assert not triples(rel, K.PARENT_OF) and not triples(rel, K.SIBLING_OF)


@pytest.mark.parametrize(
    ("others", "parent"),
    [
        ([], True),  # the one adult with one minor
        ([("E_k2", "ANA", "LOPEZ", "2014-01-01")], True),  # and a second minor
        ([("E_x", "ROSA", "LOPEZ", "1986-01-01")], False),  # a second adult
        ([("E_x", "ROSA", "LOPEZ", None)], False),  # someone of unknown age
    ],
)
def test_the_only_adult_of_a_unit_is_its_minors_parent_without_a_shared_surname(
    others: list[tuple[str, str, str, str | None]], parent: bool
) -> None:
    # The child carries the father's surname alone; the mother crosses with the children.
    unit = [
        Person("E_mum", "c1", "MARGARITA", "HERNANDEZ", "MARTINEZ", "1990-01-01", group="G1"),
        Person("E_kid", "c2", "LUIS", "ACEITUNO", None, "2012-01-01", group="G1"),
    ]
    for i, (entity, given, family, dob) in enumerate(others):
        unit.append(Person(entity, f"o{i}", given, family, None, dob, group="G1"))
    rel = relations_of(unit)
    found = triples(rel, K.PARENT_OF)
    assert (("E_mum", "E_kid") in found) is parent
    assert ("E_kid", "E_mum") not in found
    if parent:
        row = rel.loc[(rel[K.RELATION] == K.PARENT_OF) & (rel[K.ENTITY_B] == "E_kid")].iloc[0]
        assert row[K.EVIDENCE] == "family unit cbp:G1; age gap 22y; the unit's only adult"
        assert bool(row[K.INFERRED])
    # Two minors of one parent there are siblings, though ACEITUNO and LOPEZ differ.
    siblings = rel.loc[rel[K.RELATION] == K.SIBLING_OF]
    minors = [e for e, _, _, dob in others if dob and dob > "2000"]
    if parent and minors:
        assert triples(rel, K.SIBLING_OF) == {("E_k2", "E_kid")}
        assert siblings[K.EVIDENCE].tolist() == [
            "family unit cbp:G1; both minors; one parent in the unit"
        ]
    else:
        assert siblings.empty


@pytest.mark.parametrize(
    ("father", "couple"),
    [
        (("PEDRO", "DELGADO", "RUIZ", "M"), True),  # the parents of GABRIELA DELGADO CERVANTES
        # The mother's sister, not her husband: the same two surnames, the same sex.
        (("ROSA", "CERVANTES", "FIGUEROA", "F"), False),
    ],
)
def test_a_units_two_adults_a_couple_are_parents_of_its_minors(
    father: tuple[str, str, str, str], couple: bool
) -> None:
    given, family_1, family_2, sex = father
    rel = relations_of(
        [
            Person("E_mum", "c1", "SOFIA", "CERVANTES", "FIGUEROA", "1990-01-01", group="G1",
                   sex="F"),
            Person("E_dad", "c2", given, family_1, family_2, "1988-01-01", group="G1", sex=sex),
            Person("E_kid1", "c3", "GABRIELA", "DELGADO", "CERVANTES", "2014-01-01", group="G1"),
            # written with the father's surname alone: none in common with the mother
            Person("E_kid2", "c4", "NOEMI", "DELGADO", None, "2017-01-01", group="G1"),
        ]
    )  # fmt: skip
    parents = triples(rel, K.PARENT_OF)
    assert ("E_mum", "E_kid1") in parents  # by her surname, couple or not
    assert (("E_mum", "E_kid2") in parents) is couple
    assert (triples(rel, K.SPOUSE_OF) == {("E_dad", "E_mum")}) is couple
    if couple:
        row = rel.loc[(rel[K.ENTITY_A] == "E_mum") & (rel[K.ENTITY_B] == "E_kid2")].iloc[0]
        assert row[K.EVIDENCE].endswith("; age gap 27y; the unit's two adults, a couple")


@pytest.mark.parametrize("second_surname", ["RODRIGUEZ", None])
def test_a_member_of_unknown_age_with_a_minors_two_surnames_is_a_child_of_the_unit(
    second_surname: str | None,
) -> None:
    records, entities = frames(
        [
            # the mother's record dropped the surname her children carry
            Person("E_mum", "c1", "MARIA", "ALVAREZ", None, "1993-06-30", group="G1"),
            Person("E_lupe", "c2", "GUADALUPE", "RAMOS", "RODRIGUEZ", "2016-08-25", group="G1"),
            Person("E_juan", "c3", "JUAN", "RAMOS", second_surname, None, group="G1"),
        ]
    )
    family = infer_relations(records, entities)
    rel = family.relations
    if second_surname is None:  # one surname alone: he could be the father
        assert not triples(rel, K.PARENT_OF) and not triples(rel, K.SIBLING_OF)
        return
    assert triples(rel, K.SIBLING_OF) == {("E_juan", "E_lupe")}
    assert triples(rel, K.PARENT_OF) == {("E_mum", "E_lupe"), ("E_mum", "E_juan")}
    evidence = rel.set_index([K.RELATION, K.ENTITY_A, K.ENTITY_B])[K.EVIDENCE]
    assert evidence[(K.SIBLING_OF, "E_juan", "E_lupe")] == (
        "family unit cbp:G1; a minor and one of unknown age with the same two surnames"
    )
    assert evidence[(K.PARENT_OF, "E_mum", "E_juan")].endswith(
        "; age gap unknown; the unit's only adult"
    )
    # The age is borrowed for the rules only: the people frame keeps his unknown.
    people = family.people.set_index(C.ENTITY_ID)
    assert pd.isna(people.loc["E_juan", "age"]) and people.loc["E_lupe", "age"] == 3


@pytest.mark.parametrize("with_minor_sibling", [True, False])
def test_a_young_adult_with_a_minors_surnames_is_a_child_of_the_unit(
    with_minor_sibling: bool,
) -> None:
    people = [
        Person("E_mum", "c1", "PATRICIA", "AGUILAR", "PAREDES", "1985-10-31", group="G1"),
        Person("E_son", "c2", "INOCENCIO", "CRUZ", "AGUILAR", "2001-05-04", group="G1"),  # 19
    ]
    if with_minor_sibling:
        people.append(Person("E_kid", "c3", "ROSA", "CRUZ", "AGUILAR", "2008-01-01", group="G1"))
    rel = relations_of(people)
    parents = triples(rel, K.PARENT_OF)
    # Without a minor carrying his surnames he is one more adult: no one's child here.
    assert (("E_mum", "E_son") in parents) is with_minor_sibling
    if with_minor_sibling:
        assert parents == {("E_mum", "E_son"), ("E_mum", "E_kid")}
        assert triples(rel, K.SIBLING_OF) == {("E_kid", "E_son")}


_MOTHER_LINE = "family unit cbp:G1; age unknown; the child's second surname is her first"
_FATHER_LINE = "family unit cbp:G1; age unknown; the child's first surname is his first"
_DAD = ("PEDRO", "GARCIA", "RUIZ", "M")
_MUM = ("ROSA", "HERNANDEZ", "LOPEZ", "F")


@pytest.mark.parametrize(
    ("unknown", "known", "evidence"),
    [
        (_MUM, _DAD, _MOTHER_LINE),  # her first is the child's second
        (("LUIS", "HERNANDEZ", "LOPEZ", "M"), _DAD, None),  # a man: an uncle, a grandfather
        (("ROSA", "HERNANDEZ", "LOPEZ", None), _DAD, None),  # sex unknown
        (("ROSA", "HERNANDEZ", "GARCIA", "F"), _DAD, None),  # the child's first too: a sister
        (_DAD, _MUM, _FATHER_LINE),  # his first is the child's first
        (("PEDRO", "GARCIA", None, "M"), _MUM, None),  # one surname: a brother's, shortened?
        (("PEDRO", "GARCIA", "RUIZ", "F"), _MUM, None),  # a woman so named: an aunt
        (("PEDRO", "RUIZ", "GARCIA", "M"), _MUM, None),  # the child's first in second place
    ],
)
def test_a_parent_of_unknown_age_is_read_from_the_childs_surname_positions(
    unknown: tuple[str, str, str | None, str | None],
    known: tuple[str, str, str, str],
    evidence: str | None,
) -> None:
    given, family_1, family_2, sex = unknown
    k_given, k_family_1, k_family_2, k_sex = known
    rel = relations_of(
        [
            Person("E_known", "c1", k_given, k_family_1, k_family_2, "1985-01-01", group="G1",
                   sex=k_sex),
            Person("E_unknown", "c2", given, family_1, family_2, None, group="G1", sex=sex),
            Person("E_kid", "c3", "JOSE", "GARCIA", "HERNANDEZ", "2015-01-01", group="G1"),
        ]
    )  # fmt: skip
    parents = triples(rel, K.PARENT_OF)
    assert ("E_known", "E_kid") in parents  # by the surname shared
    assert (("E_unknown", "E_kid") in parents) is (evidence is not None)
    if evidence is not None:
        row = rel.loc[(rel[K.RELATION] == K.PARENT_OF) & (rel[K.ENTITY_A] == "E_unknown")]
        assert row[K.EVIDENCE].tolist() == [evidence]


def test_the_only_adult_of_an_implausible_age_is_no_parent() -> None:
    rel = relations_of(
        [
            Person("E_old", "c1", "JOSE", "RUIZ", "MORA", "1940-01-01", group="G3"),  # 80
            Person("E_kid", "c2", "PEPE", "LUNA", None, "2012-01-01", group="G3"),  # 8
        ]
    )
    assert not triples(rel, K.PARENT_OF)


def test_an_implausible_age_gap_is_no_parent_but_a_young_adult_sibling() -> None:
    rel = relations_of(
        [
            Person("E_big", "c1", "ANA", "RUIZ", "DIAZ", "2000-01-01", group="G2"),  # 20
            Person("E_small", "c2", "EVA", "RUIZ", "DIAZ", "2010-01-01", group="G2"),  # 10
            Person("E_old", "c3", "JOSE", "RUIZ", "MORA", "1940-01-01", group="G3"),  # 80
            Person("E_kid", "c4", "PEPE", "RUIZ", "DIAZ", "2012-01-01", group="G3"),  # 8
        ]
    )
    assert not triples(rel, K.PARENT_OF)
    assert triples(rel, K.SIBLING_OF) == {("E_big", "E_small")}


def test_unknown_ages_infer_nothing_but_travel_together() -> None:
    rel = relations_of(
        [
            Person("E_a", "c1", "ANA", "RUIZ", "DIAZ", None, group="G2"),
            Person("E_b", "c2", "EVA", "RUIZ", "DIAZ", None, group="G2"),
        ]
    )
    assert set(rel[K.RELATION]) == {K.CO_TRAVELER}


@pytest.mark.parametrize(
    ("parent", "child", "related"),
    [
        (("PORTILLO", "DOMINGUEZ"), ("POTILLO", "RIVERA"), True),  # a letter dropped
        (("HERNANDEZ", None), ("ACEITUNO", "HERNANDEX"), True),  # one changed, 2nd place
        (("MARTINEZ", "SOLIS"), ("MARTINZE", None), False),  # two edits: a swap
        (("MORA", "DIAZ"), ("MORAN", "RUIZ"), False),  # short: two families
        (("GARCIA", None), ("GARZA", None), False),
    ],
)
def test_a_surname_one_typo_apart_counts_as_shared_in_a_family_unit(
    parent: tuple[str, str | None], child: tuple[str, str | None], related: bool
) -> None:
    rel = relations_of(
        [
            Person("E_mum", "c1", "ROSA", *parent, "1985-01-01", group="G5", sex="F"),
            Person("E_kid", "c2", "ALBA", *child, "2012-01-01", group="G5", sex="F"),
            Person("E_sis", "c3", "LUZ", *child, "2014-01-01", group="G5", sex="F"),
            # a second adult: no one is the unit's only adult, so only surnames tell
            Person("E_aunt", "c4", "EVA", "SOTO", None, "1984-01-01", group="G5", sex="F"),
        ]
    )
    expected = {("E_mum", "E_kid"), ("E_mum", "E_sis")} if related else set()
    assert triples(rel, K.PARENT_OF) == expected
    assert triples(rel, K.SIBLING_OF) == {("E_kid", "E_sis")}  # the same spelling
    evidence = rel.loc[rel[K.RELATION] == K.PARENT_OF, K.EVIDENCE]
    assert evidence.str.endswith("; surname shared but for one letter").all()


def test_feminine_surname_forms_count_as_shared() -> None:
    rel = relations_of(
        [
            Person("E_mum", "c1", "OLGA", "IVANOVA", None, "1985-01-01", group="G4", sex="F"),
            Person("E_son", "c2", "IVAN", "IVANOV", None, "2012-01-01", group="G4", sex="M"),
        ]
    )
    assert triples(rel, K.PARENT_OF) == {("E_mum", "E_son")}


def test_sponsors_state_relations_and_make_siblings() -> None:
    people = [
        Person("E_c1", "UC-1", "LUIS", "LOPEZ", "DIAZ", "2008-01-01", source="hhs"),
        Person("E_mum", "UC-1", "ANA", "DIAZ", "MORA", "1980-01-01", source="hhs",
               sponsor_of="UC-1", stated="MOTHER", address_key="1 MAIN ST 77001"),
        Person("E_c2", "UC-2", "JUAN", "LOPEZ", "DIAZ", "2010-01-01", source="hhs"),
        Person("E_mum", "UC-2", "ANA", "DIAZ", "MORA", "1980-01-01", source="hhs",
               sponsor_of="UC-2", stated="MOTHER", address_key="1 MAIN ST 77001"),
        # a friend sponsoring two unrelated children: no siblings
        Person("E_x1", "UC-3", "PABLO", "SOTO", "VEGA", "2009-01-01", source="hhs"),
        Person("E_fr", "UC-3", "MARK", "SMITH", None, "1970-01-01", source="hhs",
               sponsor_of="UC-3", stated="FAMILY_FRIEND"),
        Person("E_x2", "UC-4", "RAUL", "CRUZ", "MEJIA", "2009-05-01", source="hhs"),
        Person("E_fr", "UC-4", "MARK", "SMITH", None, "1970-01-01", source="hhs",
               sponsor_of="UC-4", stated="FAMILY_FRIEND"),
    ]  # fmt: skip
    rel = relations_of(people)
    assert triples(rel, K.SPONSOR_OF) == {
        ("E_mum", "E_c1"),
        ("E_mum", "E_c2"),
        ("E_fr", "E_x1"),
        ("E_fr", "E_x2"),
    }
    sponsor = rel.loc[(rel[K.RELATION] == K.SPONSOR_OF) & (rel[K.ENTITY_A] == "E_mum")]
    assert set(sponsor[K.STATED]) == {"MOTHER"} and "stated MOTHER" in sponsor[K.EVIDENCE].iloc[0]
    parents = rel.loc[rel[K.RELATION] == K.PARENT_OF]
    assert set(zip(parents[K.ENTITY_A], parents[K.ENTITY_B], strict=True)) == {
        ("E_mum", "E_c1"),
        ("E_mum", "E_c2"),
    }
    assert not parents[K.INFERRED].any()
    assert triples(rel, K.SIBLING_OF) == {("E_c1", "E_c2")}


@pytest.mark.parametrize(
    ("second", "born", "siblings"),
    [
        (("ANA", "BONILLA", "ESCOBAR"), ("2018-03-29", "2020-12-18"), True),  # same surnames
        (("ANA", "BONILLA", "ESCOBAR"), ("2018-03-29", "2018-03-29"), True),  # twins
        (("ANA", "BONILLA", "ESCOBAR"), ("2018-03-29", "2018-08-01"), False),  # 4 months
        (("ANA", "BONILLA", "ESCOBAR"), ("2018", "2018"), False),  # placeholders, no twins
        (("ANA", "BONILLA", None), ("2018-03-29", "2020-12-18"), False),  # one surname
        (("ANA", "BONILLA", "RUIZ"), ("2018-03-29", "2020-12-18"), False),
    ],
)
def test_children_of_one_friend_sponsor_are_siblings_by_both_surnames_and_births(
    second: tuple[str, str, str | None], born: tuple[str, str], siblings: bool
) -> None:
    people = [
        Person("E_c1", "UC-1", "PAULA", "BONILLA", "ESCOBAR", born[0], source="hhs"),
        Person("E_fr", "UC-1", "GONZALO", "REYES", None, "1990-01-01", source="hhs",
               sponsor_of="UC-1", stated="FAMILY_FRIEND"),
        Person("E_c2", "UC-2", *second, born[1], source="hhs"),
        Person("E_fr", "UC-2", "GONZALO", "REYES", None, "1990-01-01", source="hhs",
               sponsor_of="UC-2", stated=None),
    ]  # fmt: skip
    rel = relations_of(people)
    assert triples(rel, K.SIBLING_OF) == ({("E_c1", "E_c2")} if siblings else set())
    if siblings:
        (evidence,) = rel.loc[rel[K.RELATION] == K.SIBLING_OF, K.EVIDENCE]
        assert evidence == "same sponsor; the same two surnames"


def test_shared_addresses_pair_strangers_and_summarize_a_shelter() -> None:
    people = [
        Person(f"E_s{i}", f"s{i}", "P", f"NAME{i}", None, "1990-01-01", address_key="9 ELM ST 1")
        for i in range(3)
    ]
    people += [
        Person(f"E_h{i:03d}", f"h{i}", "P", f"HOST{i}", None, "1990-01-01", address_key="SHELTER")
        for i in range(300)
    ]
    records, entities = frames(people)
    family = infer_relations(records, entities, FamilySettings(max_shared=12))
    shared = family.relations.loc[family.relations[K.RELATION] == K.SHARED_ADDRESS]
    assert len(shared) == 3  # the three strangers, pairwise; none of the 300
    assert (shared[K.STRENGTH] == K.WEAK).all()
    assert shared[K.EVIDENCE].iloc[0] == "address shared by 3 people in 3 families"
    crowded = family.crowded
    assert crowded.iloc[0][K.CONTACT_VALUE] == "SHELTER" and crowded.iloc[0][K.N_ENTITIES] == 300
    assert family.counts()["crowded_addresses"] == 1
    # Weak links never join family groups.
    assert family.people[K.FAMILY_GROUP_ID].nunique() == len(family.people)


def test_relatives_sharing_an_address_get_no_weak_link() -> None:
    people = family_unit()
    for p in people:
        p.address_key = "5 OAK AVE 2"
    rel = relations_of(people)
    assert K.SHARED_ADDRESS not in set(rel[K.RELATION])


def test_two_events_are_one_relation_with_support() -> None:
    again = [
        Person(p.entity, p.key + "b", p.given, p.family_1, p.family_2, p.dob, "2021-01-01",
               group="G7", sex=p.sex)
        for p in family_unit()
    ]  # fmt: skip
    rel = relations_of(family_unit() + again)
    co = rel.loc[rel[K.RELATION] == K.CO_TRAVELER]
    assert len(co) == 6 and (co[K.SUPPORT] == 2).all()
    assert co[K.EVIDENCE].str.contains("more").all()


# --- graph and queries ------------------------------------------------------------------------
def test_family_of_returns_plain_data_with_kinds_and_evidence() -> None:
    fg = graph_of(family_unit())
    answer = family_of(fg, "E_kid1")
    assert {n["entity_id"] for n in answer["nodes"]} == {"E_father", "E_mother", "E_kid1", "E_kid2"}
    assert answer["nodes"][0]["entity_id"] == "E_kid1" and answer["nodes"][0]["distance"] == 0
    assert answer["nodes"][0]["record_keys"] == ["cbp:c3"]
    kinds = {e["relation"] for e in answer["edges"]}
    assert kinds == {K.CO_TRAVELER, K.PARENT_OF, K.SIBLING_OF, K.SPOUSE_OF}
    assert all(e["evidence"] for e in answer["edges"])
    json.dumps(answer)  # plain data, ready for the API


def test_unknown_entity_is_a_clear_error() -> None:
    fg = graph_of(family_unit())
    for call in (
        lambda: family_of(fg, "E_nobody"),
        lambda: explain_path(fg, "E_kid1", "E_nobody"),
        lambda: child_status(fg, "E_nobody"),
    ):
        with pytest.raises(UnknownEntity, match="E_nobody"):
            call()


def test_cycles_and_huge_components_stay_bounded() -> None:
    # One sponsor with 300 children: a star; the siblings below add cycles.
    people = []
    for i in range(300):
        child = Person(f"E_c{i:03d}", f"UC-{i}", "KID", "SOTO", "VEGA", "2010-01-01", source="hhs")
        sponsor = Person("E_sp", f"UC-{i}", "BIG", "SOTO", "LUNA", "1975-01-01", source="hhs",
                         sponsor_of=f"UC-{i}", stated="AUNT_UNCLE")  # fmt: skip
        people += [child, sponsor]
    fg = graph_of(people, FamilySettings(max_sponsored=10))
    ego = ego_graph(fg, "E_c000", radius=3, max_nodes=25)
    assert ego.number_of_nodes() == 25
    assert ego.graph["more"] == 301 - 25
    assert not nx.is_directed_acyclic_graph(nx.Graph(fg.graph))  # a graph with cycles
    path = explain_path(fg, "E_c000", "E_c299")
    assert path["connected"] and [s["relation"] for s in path["steps"]] == [K.SPONSOR_OF] * 2
    assert path["steps"][0]["phrase"].endswith("sponsored by BIG SOTO LUNA")


def test_explain_path_prefers_strong_links_and_reports_weak_ones() -> None:
    people = family_unit() + [
        Person("E_far", "c9", "ZOE", "KIM", None, "1990-01-01", phone="+15550001111"),
        Person("E_far2", "c10", "BO", "LEE", None, "1991-01-01", phone="+15550001111"),
    ]
    fg = graph_of(people)
    assert explain_path(fg, "E_kid1", "E_kid2")["steps"][0]["relation"] == K.SIBLING_OF
    weak = explain_path(fg, "E_far", "E_far2")
    assert weak["via_weak_links"] and weak["steps"][0]["relation"] == K.SHARED_PHONE
    assert not explain_path(fg, "E_far", "E_far2", weak=False)["connected"]
    assert not explain_path(fg, "E_kid1", "E_far")["connected"]


def test_child_status_finds_latest_location_and_sponsor() -> None:
    people = [
        Person("E_c", "CBP-1", "LUIS", "LOPEZ", "DIAZ", "2008-01-01", "2021-01-01",
               address_key="OLD SHELTER RD"),
        Person("E_c", "UC-1", "LUIS", "LOPEZ", "DIAZ", "2008-01-01", "2021-02-01", source="hhs"),
        Person("E_s", "UC-1", "ANA", "DIAZ", "MORA", "1980-01-01", source="hhs",
               sponsor_of="UC-1", stated="AUNT_UNCLE", address_key="1 MAIN ST 77001",
               phone="+15551234567"),
    ]  # fmt: skip
    answer = child_status(graph_of(people), "E_c")
    latest = answer["latest_location"]
    assert latest["address"] == "1 MAIN ST 77001" and latest["event_date"] == "2021-02-01"
    assert latest["via"] == "sponsor on hhs row UC-1"
    assert [loc["address"] for loc in answer["locations"]] == ["1 MAIN ST 77001", "OLD SHELTER RD"]
    (sponsor,) = answer["sponsors"]
    assert sponsor["entity_id"] == "E_s" and sponsor["stated"] == "AUNT_UNCLE"
    assert sponsor["phone"] == "+15551234567"


# --- red flags --------------------------------------------------------------------------------
def flagged_world() -> list[Person]:
    people: list[Person] = []
    # Three sponsors at one address, each with an unrelated child (a friend, each).
    for i, surname in enumerate(("SOTO", "CRUZ", "MEJIA")):
        people += [
            Person(f"E_u{i}", f"UC-{i}", "KID", surname, "X", "2010-01-01", source="hhs"),
            Person(f"E_sp{i}", f"UC-{i}", "SP", f"S{i}", None, "1980-01-01", source="hhs",
                   sponsor_of=f"UC-{i}", stated="FAMILY_FRIEND", address_key="7 PINE ST 1"),
        ]  # fmt: skip
    # A mother and child crossing together; the child goes to a sponsor at one address,
    # the mother is released by ICE to another.
    people += [
        Person("E_m1", "c1", "ANA", "RUIZ", "DIAZ", "1985-01-01", "2020-01-01", group="G1"),
        Person("E_k1", "c2", "EVA", "PONCE", "RUIZ", "2012-01-01", "2020-01-01", group="G1"),
        Person("E_m1", "i1", "ANA", "RUIZ", "DIAZ", "1985-01-01", "2020-03-01", source="ice",
               address_key="100 FAR AWAY RD 9"),
        Person("E_k1", "UC-8", "EVA", "PONCE", "RUIZ", "2012-01-01", "2020-02-01", source="hhs"),
        Person("E_sp8", "UC-8", "TIO", "PONCE", "LARA", "1975-01-01", source="hhs",
               sponsor_of="UC-8", stated="AUNT_UNCLE", address_key="3 NEAR ST 2"),
    ]  # fmt: skip
    # A father and child crossing together; the child is placed, the father never checks in.
    people += [
        Person("E_f2", "c3", "LUIS", "VEGA", "SOL", "1980-01-01", "2020-01-01", group="G2"),
        Person("E_k2", "c4", "PACO", "VEGA", "LUZ", "2011-01-01", "2020-01-01", group="G2"),
        Person("E_k2", "UC-9", "PACO", "VEGA", "LUZ", "2011-01-01", "2020-02-01", source="hhs"),
        Person("E_sp9", "UC-9", "ABU", "LUZ", "MAR", "1950-01-01", source="hhs",
               sponsor_of="UC-9", stated="GRANDPARENT", address_key="4 MID ST 3"),
    ]  # fmt: skip
    return people


def test_red_flags_find_each_flag() -> None:
    flags = red_flags(graph_of(flagged_world()), min_children=3)
    shared = flags.shared_sponsor_contacts
    assert list(shared["value"]) == ["7 PINE ST 1"]
    assert shared.iloc[0]["unrelated"] == 3 and shared.iloc[0]["sponsors"] == 3
    assert shared.iloc[0]["child_ids"] == ["E_u0", "E_u1", "E_u2"]
    separated = flags.separated_children.set_index("child")
    assert separated.loc["E_k1", "issue"] == "released_elsewhere"
    assert separated.loc["E_k1", "adult"] == "E_m1"
    assert separated.loc["E_k2", "issue"] == "never_checked_in"
    assert set(flags.children_without_relatives["child"]) == {"E_u0", "E_u1", "E_u2"}
    assert flags.counts() == {
        "shared_sponsor_contacts": 1,
        "separated_children": 2,
        "children_without_relatives": 3,
    }
    assert red_flags(graph_of(flagged_world()), min_children=4).shared_sponsor_contacts.empty
    json.dumps(flags.to_dict())


def test_separated_children_follow_the_agencies_not_the_source_names() -> None:
    # The same world with CBP split over two yearly extracts, ICE named "ero" and HHS
    # "orr": told which source is which agency, the flags are the same.
    names = {"cbp": "usbp_2020", "ice": "ero", "hhs": "orr"}
    renamed = [replace(p, source=names[p.source]) for p in flagged_world()]
    renamed[0] = replace(renamed[0], source="usbp_2019")
    agencies = {"usbp_2019": "cbp", "usbp_2020": "cbp", "ero": "ice", "orr": "hhs"}
    settings = FamilySettings().with_agencies(agencies)
    assert settings.border_sources == {"usbp_2019", "usbp_2020"}
    flags = red_flags(graph_of(renamed, settings), min_children=3)
    expected = red_flags(graph_of(flagged_world()), min_children=3)
    columns = ["child", "adult", "issue"]
    pd.testing.assert_frame_equal(
        flags.separated_children[columns].sort_values("child", ignore_index=True),
        expected.separated_children[columns].sort_values("child", ignore_index=True),
    )
    assert "no record with ero" in set(flags.separated_children["detail"])
    # Left with the defaults, the renamed sources are no agency: no child looks separated.
    assert red_flags(graph_of(renamed), min_children=3).separated_children.empty


def test_without_a_release_agency_no_adult_is_flagged_for_not_checking_in() -> None:
    settings = FamilySettings().with_agencies({"cbp": "cbp", "hhs": "hhs"})
    separated = red_flags(graph_of(flagged_world(), settings), min_children=3).separated_children
    assert separated.empty  # E_k2's father is not "missing": there is no ICE extract


def test_red_flags_on_a_world_without_any() -> None:
    people = family_unit()
    for p in list(people):
        people.append(
            Person(p.entity, "i" + p.key, p.given, p.family_1, p.family_2, p.dob, "2020-08-01",
                   source="ice", address_key="5 OAK AVE 2")
        )  # fmt: skip
    flags = red_flags(graph_of(people), min_children=2)
    assert flags.counts() == {
        "shared_sponsor_contacts": 0,
        "separated_children": 0,
        "children_without_relatives": 0,
    }


# --- pictures, exports, files -----------------------------------------------------------------
def test_svg_shows_people_links_and_legend() -> None:
    people = family_unit()
    people[0].given = "JUAN & JOSÉ"  # escaped, not broken XML
    fg = graph_of(people)
    ego = ego_graph(fg, "E_kid1")
    svg = render_family_svg(ego, "E_kid1", record_keys={"E_kid1": ["cbp:c3"]})
    root = ET.fromstring(svg)  # well-formed
    assert root.tag.endswith("svg")
    assert "JUAN &amp; JOSÉ GARCIA LOPEZ" in svg
    assert "LUIS GARCIA PEREZ" in svg and "age 8 (b. 2012)" in svg and "cbp:c3" in svg
    assert 'class="person center" data-entity="E_kid1"' in svg
    for label in ("parent of (arrow to child)", "sibling", "spouse", "travelled together"):
        assert label in svg
    assert svg.count('class="edge parent_of"') == 4
    assert render_family_svg(ego, "E_kid1") == render_family_svg(ego, "E_kid1")  # stable
    ego.graph["more"] = 7
    assert "+7 more people" in render_family_svg(ego, "E_kid1")


def test_graphml_and_json_exports_round_trip(tmp_path: Path) -> None:
    ego = ego_graph(graph_of(family_unit()), "E_kid1")
    back = nx.read_graphml(to_graphml(ego, tmp_path / "f.graphml"), force_multigraph=True)
    assert set(back.nodes) == set(ego.nodes) and back.number_of_edges() == ego.number_of_edges()
    data = to_node_link(ego)
    assert {n["id"] for n in data["nodes"]} == set(ego.nodes)
    assert len(data["edges"]) == ego.number_of_edges()
    json.dumps(data, default=str)


def test_run_folder_round_trip(tmp_path: Path) -> None:
    records, entities = frames(flagged_world())
    family = infer_relations(records, entities)
    write_relations(family.relations, tmp_path)
    back = read_relations(tmp_path / "relations.csv")
    assert list(back.columns) == list(K.RELATION_COLUMNS)
    assert back[K.INFERRED].dtype == bool
    records.to_parquet(tmp_path / "records.parquet")
    entities.to_csv(tmp_path / "entities.csv", index=False)
    fg = load_family(tmp_path)
    assert fg.graph.number_of_edges() == len(family.relations)
    assert (
        family_of(fg, "E_k1")["family_group_id"]
        == family.people.set_index("entity_id").loc["E_k1", K.FAMILY_GROUP_ID]
    )
