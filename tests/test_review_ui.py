"""The reviewer pages through Flask's test client, on a small real run."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select
from web import PASSWORD, audit_events, login

from linker.store import Store
from linker.store import audit as A
from linker.store import review as R
from linker.store.decisions import pair_state
from linker.store.schema import Decision, Pair, Record
from linker.store.users import add_user
from service import create_app
from service.review import diff_markup


@pytest.fixture
def app(review_db_url: str):
    with Store.open(review_db_url).session() as s:
        for name, role in (("rita", "reviewer"), ("sam", "reviewer"), ("ana", "analyst")):
            add_user(s, name, role, password=PASSWORD)
    return create_app({"TESTING": True, "DATABASE_URL": review_db_url, "RATELIMIT_ENABLED": False})


@pytest.fixture
def store(app) -> Store:
    from service.db import STORE_KEY

    return app.extensions[STORE_KEY]


def _decisions(store: Store) -> list[Decision]:
    with store.session() as s:
        return list(s.scalars(select(Decision).order_by(Decision.id)))


def test_diff_marks_the_differing_characters_and_escapes() -> None:
    left, right = diff_markup("GARCIA", "GARSIA")
    assert str(left) == "GAR<mark>C</mark>IA" and str(right) == "GAR<mark>S</mark>IA"
    same = diff_markup("LOPEZ", "LOPEZ")
    assert "<mark>" not in str(same[0])
    left, _ = diff_markup("<b>", "<i>")
    assert "<b>" not in str(left) and "&lt;" in str(left)
    assert diff_markup(None, "X") == ("", "X")


def test_queue_page_shows_progress_and_the_next_pairs(app, store: Store) -> None:
    client = app.test_client()
    login(client, "rita", landing="/review/search")
    page = client.get("/review/")
    assert page.status_code == 200
    with store.session() as s:
        decided, total = R.queue_progress(s)
    assert total > 10
    assert f'data-decided="{decided}" data-total="{total}"' in page.text
    assert "Start reviewing" in page.text and page.text.count("<tr>") >= 10


def test_pair_page_side_by_side_with_diff_chart_members_and_audit(app, store: Store) -> None:
    client = app.test_client()
    login(client, "rita", landing="/review/search")
    start = client.get("/review/next?restart=1")
    assert start.status_code == 302
    pair_id = int(start.headers["Location"].rsplit("/", 1)[1])
    page = client.get(start.headers["Location"])
    assert page.status_code == 200
    with store.session() as s:
        view = R.pair_view(s, pair_id)
    assert view is not None
    html = page.text
    for record in (view.left, view.right):
        assert f"{record.source}:{record.record_key}" in html
        assert f"/review/entity/{record.entity_id}" in html
    assert view.review_reason in html
    # differing characters are marked, field by field, exactly as diff_markup marks them
    compared = ("given_name", "family_name_1", "family_name_2", "dob", "sex", "country")
    for key in compared:
        a, b = view.left.standardized.get(key), view.right.standardized.get(key)
        if a and b and a != b:
            marked_left, marked_right = diff_markup(a, b)
            assert "<mark>" in marked_left + marked_right
            assert str(marked_left) in html and str(marked_right) in html
    # the chart: one bar per comparison, green above zero, red below
    assert html.count('<g class="bar') == len(view.explanation)
    positive = sum(1 for _, w in view.explanation.values() if w >= 0)
    assert html.count('<g class="bar pos">') == positive
    assert 'id="progress"' in html and "<kbd>m</kbd> match" in html
    for raw_key in view.left.raw:
        assert raw_key in html
    views = audit_events(store, A.VIEW_PAIR)
    assert {e.target for e in views} == {view.left.target, view.right.target}
    assert all(e.username == "rita" and e.detail["pair_id"] == pair_id for e in views)
    name = view.left.standardized.get("full_name")
    assert name and all(name not in json.dumps(e.detail) for e in views)


def test_decision_needs_csrf_then_records_audits_and_moves_on(app, store: Store) -> None:
    client = app.test_client()
    token = login(client, "rita", landing="/review/search")
    pair_id = int(client.get("/review/next").headers["Location"].rsplit("/", 1)[1])
    refused = client.post(f"/review/pair/{pair_id}/decide", data={"decision": "distinct"})
    assert refused.status_code == 400 and _decisions(store) == []
    done = client.post(
        f"/review/pair/{pair_id}/decide",
        data={"decision": "distinct", "note": "different mothers", "csrf_token": token},
    )
    assert done.status_code == 303 and done.headers["Location"].endswith("/review/next")
    (row,) = _decisions(store)
    assert (row.decision, row.reviewer, row.note) == ("distinct", "rita", "different mothers")
    (event,) = audit_events(store, A.DECIDE)
    assert event.detail["decision"] == "distinct" and event.detail["pair_id"] == pair_id
    following = client.get(done.headers["Location"])
    next_id = int(following.headers["Location"].rsplit("/", 1)[1])
    assert next_id != pair_id
    page = client.get(following.headers["Location"])
    assert f"Recorded distinct on pair #{pair_id}" in page.text
    assert 'data-decided="1"' in page.text
    bad = client.post(
        f"/review/pair/{next_id}/decide", data={"decision": "maybe", "csrf_token": token}
    )
    assert bad.status_code == 400 and len(_decisions(store)) == 1


def test_undo_restores_the_pair_and_skip_moves_past_it(app, store: Store) -> None:
    client = app.test_client()
    token = login(client, "rita", landing="/review/search")
    first = int(client.get("/review/next").headers["Location"].rsplit("/", 1)[1])
    client.post(f"/review/pair/{first}/decide", data={"decision": "match", "csrf_token": token})
    undone = client.post("/review/undo", data={"csrf_token": token})
    assert undone.status_code == 303 and undone.headers["Location"].endswith(f"/pair/{first}")
    rows = _decisions(store)
    assert [r.decision for r in rows] == ["match", "unsure"] and rows[1].note == "undo"
    skipped = client.post(f"/review/pair/{first}/skip", data={"csrf_token": token})
    assert skipped.status_code == 303
    after = int(client.get("/review/next").headers["Location"].rsplit("/", 1)[1])
    assert after != first
    with store.session() as s:
        pair = s.get(Pair, first)
        assert pair is not None and pair.claimed_by is None


def test_two_person_rule_tells_the_reviewer(app, store: Store) -> None:
    client = app.test_client()
    token = login(client, "rita", landing="/review/search")
    with store.session() as s:
        candidates = [
            p.id
            for p in s.scalars(select(Pair).where(Pair.review_rank.is_not(None)))
            if "gives an A-number" in p.review_reason and "minor" in p.review_reason
        ]
    assert candidates, "the fixture run queues a match that gives a child an A-number"
    for pair_id in candidates:
        response = client.post(
            f"/review/pair/{pair_id}/decide",
            data={"decision": "match", "csrf_token": token},
            follow_redirects=True,
        )
        if "needs a second reviewer" in response.text:
            break
    else:
        pytest.fail("no match was held for a second reviewer")
    row = _decisions(store)[-1]
    assert row.needs_second
    with store.session() as s:
        view = R.pair_view(s, pair_id)
        assert view is not None
        assert pair_state(s, view.left.ref, view.right.ref).awaiting_second


def test_analyst_reads_but_cannot_decide(app, store: Store) -> None:
    client = app.test_client()
    token = login(client, "ana", landing="/review/search")
    with store.session() as s:
        pair = s.scalar(select(Pair).where(Pair.review_rank == 0))
        record = s.scalar(select(Record).limit(1))
    assert pair is not None and record is not None
    page = client.get(f"/review/pair/{pair.id}")
    assert page.status_code == 200 and 'id="decide"' not in page.text
    assert client.get(f"/review/entity/{record.entity_id}").status_code == 200
    assert client.get("/review/search?name=garcia").status_code == 200
    assert client.get("/review/next").status_code == 403
    for url, data in (
        (f"/review/pair/{pair.id}/decide", {"decision": "match"}),
        (f"/review/pair/{pair.id}/skip", {}),
        ("/review/undo", {}),
        (
            f"/review/entity/{record.entity_id}/split",
            {"source": record.source, "record_key": record.record_key},
        ),
    ):
        assert client.post(url, data={**data, "csrf_token": token}).status_code == 403, url
    assert _decisions(store) == []


def test_entity_page_and_split_this_record_out(app, store: Store) -> None:
    client = app.test_client()
    token = login(client, "rita", landing="/review/search")
    with store.session() as s:
        entity_id = s.execute(
            select(Record.entity_id)
            .group_by(Record.entity_id)
            .having(func.count() == 2)
            .order_by(Record.entity_id)
            .limit(1)
        ).scalar_one()
        members = s.scalars(
            select(Record).where(Record.entity_id == entity_id).order_by(Record.source)
        ).all()
    page = client.get(f"/review/entity/{entity_id}")
    assert page.status_code == 200
    for m in members:
        assert f'data-record="{m.source}:{m.record_key}"' in page.text
    assert page.text.count("Split this record out") == 2
    assert f'href="/family/{entity_id}" id="family-link"' in page.text
    (view,) = audit_events(store, A.VIEW_ENTITY)
    assert view.target == entity_id and len(view.detail["records"]) == 2
    no_csrf = client.post(
        f"/review/entity/{entity_id}/split",
        data={"source": members[0].source, "record_key": members[0].record_key},
    )
    assert no_csrf.status_code == 400
    split = client.post(
        f"/review/entity/{entity_id}/split",
        data={
            "source": members[0].source,
            "record_key": members[0].record_key,
            "csrf_token": token,
        },
        follow_redirects=True,
    )
    assert split.status_code == 200 and "split out" in split.text
    (row,) = _decisions(store)
    assert row.decision == "distinct"
    assert "split out at next run" in split.text
    assert any(e.detail.get("split") for e in audit_events(store, A.DECIDE))
    assert client.get("/review/entity/E-none").status_code == 404


def test_search_ranks_links_to_entities_and_audits_without_names(app, store: Store) -> None:
    client = app.test_client()
    login(client, "ana", landing="/review/search")
    with store.session() as s:
        person = s.scalar(
            select(Record).where(Record.dob.is_not(None)).order_by(Record.id).limit(1)
        )
    assert person is not None and person.full_name and person.dob
    page = client.get(
        "/review/search", query_string={"name": person.full_name.lower(), "dob": person.dob}
    )
    assert page.status_code == 200
    assert f"{person.source}:{person.record_key}" in page.text
    assert f"/review/entity/{person.entity_id}" in page.text
    assert "100%" in page.text
    (event,) = audit_events(store, A.SEARCH)
    assert event.detail["criteria"] == ["name", "dob"]
    text = json.dumps(event.detail)
    assert person.full_name not in text and person.dob not in text
    assert client.get("/review/search").status_code == 200
    assert len(audit_events(store, A.SEARCH)) == 1  # an empty form searches nothing


def test_a_pair_with_different_names_has_marked_characters(app, store: Store) -> None:
    client = app.test_client()
    login(client, "rita", landing="/review/search")
    with store.session() as s:
        queued = select(Pair).where(Pair.review_rank.is_not(None)).order_by(Pair.review_rank)
        views = [R.pair_view(s, p.id) for p in s.scalars(queued)]
    differing = [
        v
        for v in views
        if v is not None
        and v.left.standardized.get("family_name_1")
        and v.right.standardized.get("family_name_1")
        and v.left.standardized["family_name_1"] != v.right.standardized["family_name_1"]
    ]
    assert differing, "the fixture run has pairs whose surnames differ"
    view = differing[0]
    html = client.get(f"/review/pair/{view.pair_id}").text
    left, right = diff_markup(
        view.left.standardized["family_name_1"], view.right.standardized["family_name_1"]
    )
    assert "<mark>" in left + right
    assert f"<td>{left}</td><td>{right}</td>" in html
