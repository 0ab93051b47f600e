"""The family pages and JSON API through Flask's test client, on a small real run.

A 400-person sample run is reconciled, its relations inferred by the batch's family
stage and persisted (see tests/family_store.py). The graph the service builds from the
store must equal the one the library builds from the run's frames; pages and API answer
from it, every read is audited, reviewers' asserted relations are applied on top and
survive a re-run, analysts read but cannot assert.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest
from family_store import Cases, FamilyRun, family_cases, family_run
from sqlalchemy import select
from web import PASSWORD, audit_events, login

from linker import columns as C
from linker.family import attach_relations, build_family_graph
from linker.family import kinds as K
from linker.family.store import (
    ASSERT_RELATION,
    CHILD_STATUS,
    FAMILY_PATH,
    REMOVE_RELATION,
    VIEW_FAMILY,
    clear_cache,
    store_family,
)
from linker.store import Store
from linker.store.runs import persist_run
from linker.store.schema import AssertedRelation, Relation, Run
from linker.store.users import add_user, issue_token, user_by_name
from service import create_app
from service.db import STORE_KEY


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> FamilyRun:
    return family_run(tmp_path_factory.mktemp("family_run"))


def _app(url: str, **config: object):
    with Store.open(url).session() as s:
        for name, role in (("rita", "reviewer"), ("ana", "analyst")):
            add_user(s, name, role, password=PASSWORD)
    return create_app({"TESTING": True, "DATABASE_URL": url, "RATELIMIT_ENABLED": False, **config})


@pytest.fixture
def app(run: FamilyRun, tmp_path: Path):
    app = _app(run.copy_to(tmp_path))
    yield app
    clear_cache()


@pytest.fixture
def store(app) -> Store:
    return app.extensions[STORE_KEY]


@pytest.fixture
def cases(app, store: Store) -> Cases:
    family = store_family(store)
    return family_cases(family.graph.relations, family.graph.people)


def _bearer(store: Store, name: str) -> dict[str, str]:
    with store.session() as s:
        user = user_by_name(s, name)
        assert user is not None
        return {"Authorization": f"Bearer {issue_token(s, user)}"}


# --- the store's graph ------------------------------------------------------------------------
def test_persisted_relations_keep_every_column(run: FamilyRun, store: Store) -> None:
    with store.session() as s:
        rows = s.execute(select(Relation)).scalars().all()
        stored = pd.DataFrame([{c: getattr(r, c) for c in K.RELATION_COLUMNS} for r in rows])
    assert len(stored) == len(run.relations) > 100
    key = [K.ENTITY_A, K.ENTITY_B, K.RELATION]
    both = stored.merge(run.relations, on=key, suffixes=("", "_batch"))
    assert len(both) == len(run.relations)
    for column in (K.EVIDENCE, K.STRENGTH, K.SOURCES):
        assert (both[column] == both[column + "_batch"].astype(str)).all(), column
    assert (both[K.SUPPORT] == both[K.SUPPORT + "_batch"]).all()
    assert (both[K.INFERRED] == both[K.INFERRED + "_batch"]).all()
    stated = both[K.STATED + "_batch"].astype(object).where(both[K.STATED + "_batch"].notna())
    assert (both[K.STATED].fillna("") == stated.fillna("")).all()
    assert (both[K.STATED].notna() & (both[K.RELATION] == K.SPONSOR_OF)).any()


def test_store_graph_equals_the_graph_of_the_run_frames(run: FamilyRun, store: Store) -> None:
    """Records read back from the store's JSON give the graph the batch's frames give."""
    expected = build_family_graph(attach_relations(run.records, run.result.entities, run.relations))
    got = store_family(store).graph
    assert set(got.graph.nodes) == set(expected.graph.nodes)
    assert set(got.graph.edges(keys=True)) == set(expected.graph.edges(keys=True))
    assert dict(got.graph.nodes(data=True)) == dict(expected.graph.nodes(data=True))
    assert store_family(store) is store_family(store)  # cached per run and assertion log


# --- pages ------------------------------------------------------------------------------------
def test_family_page_draws_the_child_with_sponsor_and_travelling_adult(
    app, store: Store, cases: Cases
) -> None:
    client = app.test_client()
    login(client, "ana", landing="/family/")
    page = client.get(f"/family/{cases.child}")
    assert page.status_code == 200
    html = page.text
    svg = html[html.index("<svg") : html.index("</svg>")]
    for person in (cases.child, cases.sponsor, cases.travelling_adult):
        assert f'data-entity="{person}"' in svg
        assert f'href="/family/{person}"' in svg  # each person links to their family
        assert f'href="/review/entity/{person}"' in svg  # ... and to their entity page
    assert 'class="person center" data-entity="' + cases.child in svg
    assert 'class="edge sponsor_of"' in svg
    assert re.search(r'class="edge (co_traveler|parent_of)"', svg)
    assert 'class="legend"' in svg
    # The relations list names kind and evidence; the child's whereabouts and sponsor.
    relations = html[html.index('id="relations"') :]
    assert f'data-a="{cases.sponsor}" data-b="{cases.child}" data-kind="sponsor_of"' in relations
    assert "stated" in relations
    status = html[html.index('id="child-status"') :]
    assert f'class="sponsor" data-entity="{cases.sponsor}"' in status
    assert 'id="latest-location"' in status
    assert 'id="assert-form"' not in html  # an analyst reads, does not assert
    events = audit_events(store, VIEW_FAMILY)
    assert [e.target for e in events] == [cases.child]
    assert cases.sponsor in events[0].detail["people"]
    assert [e.target for e in audit_events(store, CHILD_STATUS)] == [cases.child]


def test_unknown_entity_is_a_404_page_and_json(app, store: Store) -> None:
    client = app.test_client()
    login(client, "ana", landing="/family/")
    page = client.get("/family/E000000000000")
    assert page.status_code == 404 and "No such person" in page.text
    assert client.get("/family/" + "E" * 300).status_code == 404
    assert client.get("/family/E000000000000/family.svg").status_code == 404
    api = client.get("/api/family/E000000000000")
    assert api.status_code == 404 and api.json["error"] == "unknown_entity"
    assert client.get("/api/family/E000000000000/child").status_code == 404
    assert not audit_events(store, VIEW_FAMILY)


def test_search_finds_a_person_by_name_and_goes_straight_to_an_entity_id(
    app, store: Store, cases: Cases
) -> None:
    client = app.test_client()
    login(client, "ana", landing="/family/")
    name = store_family(store).graph.person(cases.child)["name"]
    found = client.get("/family/", query_string={"q": name})
    assert found.status_code == 200
    assert f'class="person-row" data-entity="{cases.child}"' in found.text
    direct = client.get("/family/", query_string={"q": cases.child})
    assert direct.status_code == 302 and direct.location.endswith(f"/family/{cases.child}")
    assert audit_events(store, "search")


def test_path_form_explains_the_connection(app, store: Store, cases: Cases) -> None:
    client = app.test_client()
    login(client, "ana", landing="/family/")
    page = client.get(f"/family/{cases.child}", query_string={"to": cases.travelling_adult})
    steps = page.text[page.text.index('id="path-steps"') :]
    assert steps.count("<li>") == 1  # one step: they crossed together
    none = client.get(f"/family/{cases.child}", query_string={"to": cases.unrelated})
    assert 'id="path-none"' in none.text
    assert [e.target for e in audit_events(store, FAMILY_PATH)] == [
        f"{cases.child},{cases.travelling_adult}",
        f"{cases.child},{cases.unrelated}",
    ]


def test_exports(app, cases: Cases) -> None:
    client = app.test_client()
    login(client, "ana", landing="/family/")
    svg = client.get(f"/family/{cases.child}/family.svg")
    assert svg.mimetype == "image/svg+xml" and "attachment" in svg.headers["Content-Disposition"]
    assert f'data-entity="{cases.sponsor}"' in svg.text
    graphml = client.get(f"/family/{cases.child}/family.graphml")
    graph = nx.read_graphml(io.BytesIO(graphml.data))
    assert {cases.child, cases.sponsor, cases.travelling_adult} <= set(graph.nodes)
    data = client.get(f"/family/{cases.child}/family.json").json
    assert any(
        e["source"] == cases.sponsor and e["target"] == cases.child and e["key"] == K.SPONSOR_OF
        for e in data["edges"]
    )
    assert client.get(f"/family/{cases.child}/family.exe").status_code == 404


def test_red_flag_lists_on_the_index(app, store: Store, cases: Cases) -> None:
    client = app.test_client()
    login(client, "ana", landing="/family/")
    page = client.get("/family/", query_string={"min_children": 2})
    assert page.status_code == 200
    flags = store_family(store).red_flags(2)
    # The staged separation: the child's travelling adult was released elsewhere.
    separated = flags.separated_children
    assert cases.travelling_adult in set(separated.loc[separated["child"] == cases.child, "adult"])
    flagged = page.text[page.text.index('id="flag-separated"') :]
    assert f'href="/family/{cases.child}"' in flagged
    alone = flags.children_without_relatives
    assert len(alone) > 0  # the sample holds unaccompanied children with no relative
    assert f"({len(alone)})" in page.text
    assert f'href="/family/{alone["child"].iloc[0]}"' in page.text
    event = audit_events(store, "red_flags")[-1]
    assert event.detail["children_without_relatives"] == len(alone)


def test_red_flags_read_each_source_agency_from_the_stored_run(store: Store, cases: Cases) -> None:
    separated = store_family(store).red_flags(2).separated_children
    assert cases.child in set(separated["child"])  # cbp, ice, hhs by their names
    with store.session() as s:
        run = s.scalars(select(Run).order_by(Run.id.desc())).first()
        assert run is not None
        # The run recorded no ICE extract: no adult can be missing from it.
        run.settings = {**run.settings, "agencies": {"cbp": "cbp", "hhs": "hhs"}}
    clear_cache()
    assert store_family(store).red_flags(2).separated_children.empty


# --- reviewer-asserted relations ------------------------------------------------------------------
def test_asserted_relation_round_trip_survives_a_rerun(
    app, store: Store, run: FamilyRun, cases: Cases
) -> None:
    client = app.test_client()
    token = login(client, "rita", landing="/family/")
    page = client.get(f"/family/{cases.child}")
    assert 'id="assert-form"' in page.text
    added = client.post(
        f"/family/{cases.child}/relations",
        data={
            "csrf_token": token,
            "other": cases.unrelated,
            "relation": K.SIBLING_OF,
            "note": "birth certificate seen at intake",
        },
    )
    assert added.status_code == 303
    page = client.get(f"/family/{cases.child}")
    pair = sorted([cases.child, cases.unrelated])
    row = f'data-a="{pair[0]}" data-b="{pair[1]}" data-kind="sibling_of"'
    assert row in page.text and "asserted by rita" in page.text
    assert f'data-entity="{cases.unrelated}"' in page.text[: page.text.index("</svg>")]
    with store.session() as s:
        asserted = s.scalars(select(AssertedRelation)).all()
        assert [(a.relation, a.active, a.reviewer) for a in asserted] == [
            (K.SIBLING_OF, True, "rita")
        ]
        keys = {(asserted[0].a_source, asserted[0].a_record_key)}
        keys.add((asserted[0].b_source, asserted[0].b_record_key))
    event = audit_events(store, ASSERT_RELATION)[0]
    assert event.username == "rita" and set(event.target.split(",")) == set(pair)
    assert set(event.detail["records"]) == {f"{s}:{k}" for s, k in keys}

    # The batch's own relation can be removed too: the child's sponsor link.
    removed = client.post(
        f"/family/{cases.child}/relations/remove",
        data={
            "csrf_token": token,
            "entity_a": cases.sponsor,
            "entity_b": cases.child,
            "relation": K.SPONSOR_OF,
        },
    )
    assert removed.status_code == 303
    sponsor_row = f'data-a="{cases.sponsor}" data-b="{cases.child}" data-kind="sponsor_of"'
    assert sponsor_row not in client.get(f"/family/{cases.child}").text
    assert [e.target for e in audit_events(store, REMOVE_RELATION)] == [
        f"{cases.sponsor},{cases.child}"
    ]

    # A second run of the batch: new run id, assertions still applied (keyed by records).
    before = store_family(store).run_id
    persist_run(store, run.result, run.records, relations=run.relations)
    assert store_family(store).run_id == before + 1
    page = client.get(f"/family/{cases.child}").text
    assert row in page and sponsor_row not in page

    # Adding the sponsor link back restores it, with the reviewer's evidence.
    client.post(
        f"/family/{cases.child}/relations",
        data={
            "csrf_token": token,
            "other": cases.sponsor,
            "relation": K.SPONSOR_OF,
            "direction": "to_me",
        },
    )
    assert sponsor_row in client.get(f"/family/{cases.child}").text


def test_assertion_forms_need_csrf_and_a_reviewer(app, store: Store, cases: Cases) -> None:
    client = app.test_client()
    token = login(client, "ana", landing="/family/")
    form = {"csrf_token": token, "other": cases.unrelated, "relation": K.SIBLING_OF}
    assert client.post(f"/family/{cases.child}/relations", data=form).status_code == 403
    reviewer = app.test_client()
    login(reviewer, "rita", landing="/family/")
    no_token = {k: v for k, v in form.items() if k != "csrf_token"}
    assert reviewer.post(f"/family/{cases.child}/relations", data=no_token).status_code == 400
    with store.session() as s:
        assert not s.scalars(select(AssertedRelation)).all()


# --- large components --------------------------------------------------------------------------
def test_large_components_are_summarized_not_drawn(run: FamilyRun, tmp_path: Path) -> None:
    """A shelter address held by 300 people, and a sponsor linked to 300 children: the
    page answers quickly, draws at most FAMILY_MAX_DRAWN people, counts the rest and
    summarizes the crowded address."""
    from linker.family.run import run_relations

    records = run.records.copy()
    primaries = records.index[records[C.ROLE] == C.PRIMARY_ROLE][:300]
    shelter = "100 SHELTER WAY MCALLEN TX 78501"
    records.loc[primaries, C.ADDRESS] = shelter
    records.loc[primaries, C.ADDRESS_KEY] = shelter
    relations = run_relations(records, run.result.entities).relations
    entity_of = run.result.entities.set_index(C.RECORD_ID)[C.ENTITY_ID]
    crowd = sorted(set(entity_of.reindex(records.loc[primaries, C.RECORD_ID]).to_numpy()))
    hub, children = crowd[0], crowd[1:]
    star = pd.DataFrame(
        {
            K.ENTITY_A: hub,
            K.ENTITY_B: children,
            K.RELATION: K.SPONSOR_OF,
            K.EVIDENCE: "hhs referral; stated OTHER",
            K.STRENGTH: K.STRONG,
            K.INFERRED: False,
            K.SOURCES: "hhs",
            K.SUPPORT: 1,
            K.STATED: "OTHER",
        }
    )
    url = f"sqlite:///{tmp_path}/large.db"
    store = Store.open(url)
    persist_run(store, run.result, records, relations=pd.concat([relations, star]))
    app = _app(url, FAMILY_MAX_DRAWN=40)
    try:
        client = app.test_client()
        login(client, "ana", landing="/family/")
        started = time.perf_counter()
        page = client.get(f"/family/{hub}")
        seconds = time.perf_counter() - started
        assert page.status_code == 200 and seconds < 10
        svg = page.text[page.text.index("<svg") : page.text.index("</svg>")]
        assert svg.count('class="person') == 40
        more = int(re.search(r"(\d+) more within", page.text).group(1))
        assert more >= len(children) + 1 - 40
        assert f"shared by {len(crowd)} people" in page.text
        assert svg.count('class="edge shared_address"') <= 12  # the shelter is not drawn
        api = client.get(f"/api/family/{hub}", query_string={"max_nodes": 10}).json
        assert len(api["nodes"]) == 10 and api["more"] >= len(children) + 1 - 10
        assert api["family_group_size"] >= len(crowd)
        shelter_row = [c for c in api["crowded_contacts"] if c["value"] == shelter]
        assert shelter_row and shelter_row[0]["people"] == len(crowd)
    finally:
        clear_cache()


# --- JSON API -------------------------------------------------------------------------------------
def test_api_answers_family_path_child_and_flags(app, store: Store, cases: Cases) -> None:
    client = app.test_client()
    headers = _bearer(store, "ana")
    family = client.get(f"/api/family/{cases.child}", headers=headers)
    assert family.status_code == 200
    body = family.json
    assert body["center"] == cases.child and body["run_id"] >= 1
    ids = {n["entity_id"] for n in body["nodes"]}
    assert {cases.child, cases.sponsor, cases.travelling_adult} <= ids
    node = next(n for n in body["nodes"] if n["entity_id"] == cases.child)
    assert node["minor"] is True and node["distance"] == 0 and node["record_keys"]
    sponsor_edge = next(
        e for e in body["edges"] if e["relation"] == K.SPONSOR_OF and e["entity_b"] == cases.child
    )
    assert sponsor_edge["entity_a"] == cases.sponsor and sponsor_edge["evidence"]
    assert set(sponsor_edge) >= set(K.RELATION_COLUMNS)

    path = client.get(
        f"/api/family/{cases.child}/path/{cases.travelling_adult}", headers=headers
    ).json
    assert path["connected"] is True and path["steps"][0]["from"] == cases.child
    assert path["steps"][-1]["to"] == cases.travelling_adult
    apart = client.get(f"/api/family/{cases.child}/path/{cases.unrelated}", headers=headers)
    assert apart.json["connected"] is False and apart.json["steps"] == []

    child = client.get(f"/api/family/{cases.child}/child", headers=headers).json
    assert child["child"]["entity_id"] == cases.child
    assert cases.sponsor in [s["entity_id"] for s in child["sponsors"]]
    assert child["latest_location"]["address"]

    flags = client.get("/api/family/flags?min_children=2", headers=headers).json
    assert set(flags) >= {
        "shared_sponsor_contacts",
        "separated_children",
        "children_without_relatives",
    }
    assert flags["min_children"] == 2
    bad = client.get("/api/family/flags?min_children=zero", headers=headers)
    assert bad.status_code == 422 and bad.json["error"] == "invalid_input"

    assert [e.target for e in audit_events(store, VIEW_FAMILY)] == [cases.child]
    assert [e.target for e in audit_events(store, FAMILY_PATH)] == [
        f"{cases.child},{cases.travelling_adult}",
        f"{cases.child},{cases.unrelated}",
    ]


def test_api_asserts_and_removes_with_a_token_analyst_cannot(
    app, store: Store, cases: Cases
) -> None:
    client = app.test_client()
    rita, ana = _bearer(store, "rita"), _bearer(store, "ana")
    body = {"entity_b": cases.unrelated, "relation": K.PARENT_OF, "note": "stated at interview"}
    post = f"/api/family/{cases.travelling_adult}/relations"
    assert client.post(post, json=body, headers=ana).status_code == 403
    created = client.post(post, json=body, headers=rita)
    assert created.status_code == 201
    assert created.headers["Location"].endswith(f"/api/family/{cases.travelling_adult}")
    assert created.json["active"] is True and created.json["reviewer"] == "rita"
    edges = client.get(f"/api/family/{cases.unrelated}", headers=ana).json["edges"]
    assert any(
        e["entity_a"] == cases.travelling_adult
        and e["relation"] == K.PARENT_OF
        and e["sources"] == "reviewer"
        and "stated at interview" in e["evidence"]
        for e in edges
    )
    remove = f"/api/family/{cases.travelling_adult}/relations/parent_of/{cases.unrelated}"
    assert client.delete(remove, headers=ana).status_code == 403
    gone = client.delete(remove, headers=rita)
    assert gone.status_code == 200 and gone.json["active"] is False
    assert client.delete(remove, headers=rita).status_code == 404  # nothing left to remove
    edges = client.get(f"/api/family/{cases.unrelated}", headers=ana).json["edges"]
    assert not any(e["relation"] == K.PARENT_OF for e in edges)

    bad = client.post(post, json={**body, "relation": "cousin"}, headers=rita)
    assert bad.status_code == 422
    unknown = client.post(post, json={**body, "entity_b": "E000000000000"}, headers=rita)
    assert unknown.status_code == 404 and unknown.json["error"] == "unknown_entity"
    assert client.post(post, data="{", headers=rita).status_code == 400
    itself = client.post(post, json={**body, "entity_b": cases.travelling_adult}, headers=rita)
    assert itself.status_code == 422
    with store.session() as s:
        assert [a.active for a in s.scalars(select(AssertedRelation))] == [True, False]


def test_api_session_writes_need_the_csrf_header(app, store: Store, cases: Cases) -> None:
    client = app.test_client()
    token = login(client, "rita", landing="/family/")
    body = {"entity_b": cases.unrelated, "relation": K.SIBLING_OF}
    post = f"/api/family/{cases.child}/relations"
    refused = client.post(post, json=body)
    assert refused.status_code == 400
    accepted = client.post(post, json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_openapi_documents_the_family_routes(app, store: Store) -> None:
    client = app.test_client()
    paths = client.get("/api/openapi.json", headers=_bearer(store, "ana")).json["paths"]
    assert {
        "/api/family/{entity_id}",
        "/api/family/{entity_a}/path/{entity_b}",
        "/api/family/{entity_id}/child",
        "/api/family/flags",
        "/api/family/{entity_a}/relations",
        "/api/family/{entity_a}/relations/{relation}/{entity_b}",
    } <= set(paths)
    assert set(paths["/api/family/{entity_a}/relations"]) == {"post"}
