"""The JSON API (service/api.py) with Flask's test client on a small real run."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from linker.store import Store
from linker.store import audit as A
from linker.store.schema import AuditEvent, Decision, Pair, Record
from linker.store.users import add_user
from service import create_app


@pytest.fixture
def store(review_db_url: str) -> Iterator[Store]:
    opened = Store.open(review_db_url)
    yield opened
    opened.close()


@pytest.fixture
def tokens(store: Store) -> dict[str, str]:
    with store.session() as session:
        made = {
            role: add_user(session, name, role, password="correct horse", token=True)
            for name, role in (("rita", "reviewer"), ("ann", "analyst"), ("ada", "admin"))
        }
    return {role: str(user.token) for role, user in made.items()}


@pytest.fixture
def app(review_db_url: str, tokens: dict[str, str]) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": review_db_url, "RATELIMIT_ENABLED": False})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def decisions(store: Store) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(Decision)) or 0)


def two_records(store: Store) -> tuple[Record, Record]:
    """Two records of different entities that the model never paired."""
    with store.session() as session:
        first = session.scalars(select(Record).order_by(Record.id).limit(1)).one()
        other = session.scalars(
            select(Record)
            .where(Record.entity_id != first.entity_id)
            .order_by(Record.id.desc())
            .limit(1)
        ).one()
        paired = session.scalar(
            select(func.count())
            .select_from(Pair)
            .where(Pair.left_id.in_([first.id, other.id]), Pair.right_id.in_([first.id, other.id]))
        )
        assert paired == 0
        return first, other


def ref(record: Record | dict[str, Any]) -> dict[str, str]:
    if isinstance(record, dict):
        return {"source": record["source"], "record_key": record["record_key"]}
    return {"source": record.source, "record_key": record.record_key}


ROUTES = [
    ("post", "/api/match", {"record": {"a_number": "A012345678"}}),
    ("get", "/api/review/next", None),
    ("post", "/api/decisions", {}),
    ("get", "/api/decisions/1", None),
    ("get", "/api/entities/E1", None),
    ("get", "/api/search?q=maria", None),
    ("get", "/api/openapi.json", None),
]


def test_every_route_answers_401_json_without_a_valid_token(client: FlaskClient, store: Store):
    for method, path, body in ROUTES:
        for headers in ({}, bearer("lk_not-a-token"), {"Authorization": "Basic abc"}):
            response = getattr(client, method)(path, json=body, headers=headers)
            assert response.status_code == 401, (method, path)
            assert response.get_json()["error"] == "unauthorized"
    assert decisions(store) == 0


def test_analysts_look_up_but_may_not_decide(client: FlaskClient, store: Store, tokens):
    first, other = two_records(store)
    body = {"left": ref(first), "right": ref(other), "decision": "match"}
    denied = client.post("/api/decisions", json=body, headers=bearer(tokens["analyst"]))
    assert denied.status_code == 403 and denied.get_json()["error"] == "forbidden"
    queue = client.get("/api/review/next", headers=bearer(tokens["analyst"]))
    assert queue.status_code == 403
    assert decisions(store) == 0
    looked = client.post(
        "/api/match", json={"record": {"a_number": "A012345678"}}, headers=bearer(tokens["analyst"])
    )
    assert looked.status_code == 200


def test_review_next_then_decide_stores_the_decision(client: FlaskClient, store: Store, tokens):
    headers = bearer(tokens["reviewer"])
    pair = client.get("/api/review/next", headers=headers)
    assert pair.status_code == 200
    shown = pair.get_json()
    assert {"source", "record_key"} <= set(shown["left"]) and shown["right"]["record_key"]
    assert 0.0 <= shown["match_probability"] <= 1.0
    assert all({"level", "weight"} == set(v) for v in shown["explanation"].values())
    body = {"left": ref(shown["left"]), "right": ref(shown["right"]), "decision": "distinct"}
    made = client.post("/api/decisions", json=body | {"note": "different mothers"}, headers=headers)
    assert made.status_code == 201
    location = made.headers["Location"]
    assert re.fullmatch(r"/api/decisions/\d+", location)
    decision = made.get_json()
    assert decision["reviewer"] == "rita" and decision["state"]["in_force"] == "distinct"
    with store.session() as session:
        row = session.get(Decision, decision["id"])
        assert row is not None and row.decision == "distinct" and row.note == "different mothers"
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == A.DECIDE)).all()
        viewed = session.scalars(select(AuditEvent).where(AuditEvent.action == A.VIEW_PAIR)).all()
    assert [e.username for e in events] == ["rita"]
    assert shown["left"]["record_key"] in events[0].target
    name = shown["left"]["standardized"]["given_name"]
    assert name and name not in events[0].target + str(events[0].detail)
    assert viewed and viewed[0].detail["pair_id"] == shown["pair_id"]
    again = client.get(location, headers=bearer(tokens["analyst"]))
    assert again.status_code == 200 and again.get_json()["id"] == decision["id"]
    following = client.get("/api/review/next", headers=headers).get_json()
    assert following["pair_id"] != shown["pair_id"]  # the decided pair left the queue


def test_any_two_existing_records_can_be_decided(client: FlaskClient, store: Store, tokens):
    first, other = two_records(store)
    body = {"left": ref(other), "right": ref(first), "decision": "match"}
    made = client.post("/api/decisions", json=body, headers=bearer(tokens["admin"]))
    assert made.status_code == 201
    assert decisions(store) == 1


def test_the_two_person_rule_follows_the_app_config(review_db_url: str, store: Store, tokens):
    with store.session() as session:
        child = session.scalars(
            select(Record).where(Record.a_number.is_(None), Record.dob_year >= 2012)
        ).first()
        adult = session.scalars(
            select(Record).where(Record.a_number.is_not(None)).order_by(Record.id)
        ).first()
        assert child is not None and adult is not None
    body = {"left": ref(child), "right": ref(adult), "decision": "match"}
    for rule, expected in ((True, True), (False, False)):
        app = create_app(
            {"DATABASE_URL": review_db_url, "RATELIMIT_ENABLED": False, "TWO_PERSON_RULE": rule}
        )
        made = app.test_client().post(
            "/api/decisions", json=body, headers=bearer(tokens["reviewer"])
        )
        assert made.status_code == 201
        assert made.get_json()["needs_second"] is expected


BAD_DECISIONS = [
    ("{not json", 400, "malformed_json"),
    ("[1, 2]", 422, "invalid_input"),
    ({"left": {"source": "cbp"}, "right": None, "decision": "match"}, 422, "invalid_input"),
    ({"left": "cbp:1", "right": "cbp:2", "decision": "match"}, 422, "invalid_input"),
    ({"decision": "match"}, 422, "invalid_input"),
    ("OTHER", 422, "invalid_input"),  # unknown decision kind
    ("EXTRA", 422, "invalid_input"),  # an unknown field
    ("NOTE", 422, "invalid_input"),  # a note that is a number
    ("SAME", 422, "invalid_input"),  # one record on both sides
    ("UNKNOWN", 404, "unknown_record"),
]


def test_bad_decisions_are_refused_and_change_nothing(client: FlaskClient, store: Store, tokens):
    first, other = two_records(store)
    good = {"left": ref(first), "right": ref(other), "decision": "match"}
    bodies = {
        "OTHER": good | {"decision": "maybe"},
        "EXTRA": good | {"priority": 1},
        "NOTE": good | {"note": 5},
        "SAME": good | {"right": ref(first)},
        "UNKNOWN": good | {"right": {"source": "cbp", "record_key": "NO-SUCH-KEY"}},
    }
    for given, status, error in BAD_DECISIONS:
        body = bodies.get(given, given) if isinstance(given, str) else given
        kwargs: dict[str, Any] = {"data": body} if isinstance(body, str) else {"json": body}
        response = client.post(
            "/api/decisions",
            headers=bearer(tokens["reviewer"]) | {"Content-Type": "application/json"},
            **kwargs,
        )
        assert response.status_code == status, given
        assert response.get_json()["error"] == error and response.get_json()["message"]
    assert decisions(store) == 0


def test_an_oversized_body_is_413_json(client: FlaskClient, store: Store, tokens):
    first, other = two_records(store)
    body = {"left": ref(first), "right": ref(other), "decision": "match", "note": "x" * (1 << 20)}
    response = client.post("/api/decisions", json=body, headers=bearer(tokens["reviewer"]))
    assert response.status_code == 413
    assert response.get_json()["error"] == "request_entity_too_large"
    assert decisions(store) == 0


def test_a_browser_session_must_send_its_csrf_token(client: FlaskClient, store: Store, tokens):
    form = client.get("/login").text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form)
    assert token is not None
    logged_in = client.post(
        "/login",
        data={"username": "rita", "password": "correct horse", "csrf_token": token.group(1)},
    )
    assert logged_in.status_code == 302
    first, other = two_records(store)
    body = {"left": ref(first), "right": ref(other), "decision": "unsure"}
    refused = client.post("/api/decisions", json=body)
    assert refused.status_code == 400 and "CSRF" in refused.get_json()["message"]
    assert decisions(store) == 0
    accepted = client.post("/api/decisions", json=body, headers={"X-CSRFToken": token.group(1)})
    assert accepted.status_code == 201
    assert decisions(store) == 1


def test_match_ranks_the_stored_entity_first_and_is_audited(
    client: FlaskClient, store: Store, tokens
):
    with store.session() as session:
        record = session.scalars(
            select(Record).where(Record.a_number_original.is_not(None), Record.dob.is_not(None))
        ).first()
        assert record is not None
        std = record.standardized_values()
    query = {
        "given_name": std["given_name"],
        "family_name": std["family_name"],
        "dob": std["dob"],
        "a_number": record.a_number_original,
    }
    response = client.post(
        "/api/match", json={"record": query, "k": 3}, headers=bearer(tokens["analyst"])
    )
    assert response.status_code == 200
    answer = response.get_json()
    best = answer["candidates"][0]
    assert best["entity_id"] == record.entity_id and best["match_probability"] > 0.99
    assert len(answer["candidates"]) <= 3
    with store.session() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == A.LOOKUP)).one()
    assert event.username == "ann" and f"{best['source']}:{best['record_key']}" in event.target
    assert event.detail["fields"] == sorted(query)
    assert std["family_name"] not in event.target + str(event.detail)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"record": {"given": "ANA"}}, 422),
        ({"record": {"given_name": 7}}, 422),
        ({"record": {"sex": "F"}}, 422),
        ({"record": {"a_number": "A012345678"}, "k": 0}, 422),
        ({"record": {"a_number": "A012345678"}, "k": "5"}, 422),
        ({"record": "ANA LOPEZ"}, 422),
        ({"person": {}}, 422),
    ],
)
def test_bad_lookups_are_422_json(client: FlaskClient, tokens, body: Any, status: int):
    response = client.post("/api/match", json=body, headers=bearer(tokens["reviewer"]))
    assert response.status_code == status
    assert set(response.get_json()) == {"error", "message"}


def test_entities_answer_members_and_404_for_unknown(client: FlaskClient, store: Store, tokens):
    with store.session() as session:
        entity_id, size = session.execute(
            select(Record.entity_id, func.count())
            .group_by(Record.entity_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    response = client.get(f"/api/entities/{entity_id}", headers=bearer(tokens["analyst"]))
    assert response.status_code == 200
    entity = response.get_json()
    assert entity["entity_id"] == entity_id and len(entity["members"]) == size
    assert set(entity["sources"]) == {m["source"] for m in entity["members"]}
    missing = client.get("/api/entities/E-none", headers=bearer(tokens["analyst"]))
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    unknown = client.get("/api/decisions/99999999999999999999", headers=bearer(tokens["admin"]))
    assert unknown.status_code == 404
    with store.session() as session:
        viewed = session.scalars(select(AuditEvent).where(AuditEvent.action == A.VIEW_ENTITY)).all()
    assert [e.target for e in viewed] == [entity_id]


def test_search_is_capped_and_audited(client: FlaskClient, store: Store, tokens):
    with store.session() as session:
        record = session.scalars(select(Record).where(Record.full_name.is_not(None))).first()
        assert record is not None
    headers = bearer(tokens["reviewer"])
    found = client.get(f"/api/search?q={record.full_name}&limit=5", headers=headers)
    assert found.status_code == 200
    answer = found.get_json()
    assert answer["criteria"] == ["name"] and 0 < len(answer["results"]) <= 5
    assert any(r["record_key"] == record.record_key for r in answer["results"])
    case = client.get(f"/api/search?q={record.source}:{record.record_key}", headers=headers)
    assert case.get_json()["results"][0]["record_key"] == record.record_key
    for bad in ("?q=ana&limit=101", "?q=ana&limit=x", "?q=", "", "?q=" + "a" * 201):
        response = client.get("/api/search" + bad, headers=headers)
        assert response.status_code == 422 and response.get_json()["error"] == "invalid_input"
    with store.session() as session:
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == A.SEARCH)).all()
    assert len(events) == 2 and events[0].detail["criteria"] == ["name"]


def test_an_empty_store_answers_204_and_no_run(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    with Store.open(url).session() as session:
        user = add_user(session, "rita", "reviewer", token=True)
    client = create_app({"DATABASE_URL": url, "RATELIMIT_ENABLED": False}).test_client()
    headers = bearer(str(user.token))
    assert client.get("/api/review/next", headers=headers).status_code == 204
    response = client.post(
        "/api/match", json={"record": {"a_number": "A012345678"}}, headers=headers
    )
    assert response.status_code == 404 and response.get_json()["error"] == "no_run"


def test_the_openapi_document_describes_every_route(app: Flask, client: FlaskClient, tokens):
    document = client.get("/api/openapi.json", headers=bearer(tokens["analyst"])).get_json()
    assert document["openapi"].startswith("3.")
    documented = {
        (path, method.upper()) for path, item in document["paths"].items() for method in item
    }
    served = {
        (re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule), method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    assert served == documented
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert document["components"]["schemas"]["Error"]["required"] == ["error", "message"]


def test_lone_surrogates_are_refused_not_a_server_error(client: FlaskClient, store: Store, tokens):
    headers = bearer(tokens["reviewer"]) | {"Content-Type": "application/json"}
    first, _ = two_records(store)
    bodies = {
        "/api/match": '{"record": {"given_name": "\\ud80f", "family_name": "LOPEZ"}}',
        "/api/decisions": (
            '{"left": {"source": "cbp", "record_key": "\\ud80f"}, "right": '
            f'{{"source": "{first.source}", "record_key": "{first.record_key}"}}, '
            '"decision": "match"}'
        ),
    }
    for path, body in bodies.items():
        response = client.post(path, data=body, headers=headers)
        assert response.status_code == 422, path
        assert "not text" in response.get_json()["message"]
    assert decisions(store) == 0


def test_undocumented_or_non_ascii_query_parameters_are_refused(client: FlaskClient, tokens):
    headers = bearer(tokens["reviewer"])
    misspelt = client.get("/api/search?q=ana&limt=5", headers=headers)
    assert misspelt.status_code == 422
    assert "'limt'" in misspelt.get_json()["message"]
    arabic_digit = client.get("/api/search?q=ana&limit=%D9%A5", headers=headers)  # "٥"
    assert arabic_digit.status_code == 422
    assert client.get("/api/search?q=ana&limit=5", headers=headers).status_code == 200
