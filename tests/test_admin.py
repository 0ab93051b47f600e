"""Admin pages: roles, the audit log and its export, conflicts, second reviews, users.

One small real run is persisted into a template SQLite store once; each test works on a
copy, through the Flask test client, and checks the database after every POST.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select

from linker.mapping import load_mapping
from linker.reconcile import reconcile
from linker.sampledata import generate_sample
from linker.store import Store
from linker.store import audit as A
from linker.store.decisions import (
    SETTLED,
    binding_decisions,
    conflicts,
    gives_child_a_number,
    record_decision,
)
from linker.store.runs import latest_run, persist_run
from linker.store.schema import AuditEvent, Decision, Record, User
from linker.store.users import add_user, authenticate, user_for_token
from service import create_app

PASSWORD = "correct horse battery"
ADMIN_GETS = ("/admin/", "/admin/audit", "/admin/audit.csv", "/admin/conflicts",
              "/admin/awaiting", "/admin/users")  # fmt: skip
ADMIN_POSTS = ("/admin/conflicts/settle", "/admin/awaiting/decide", "/admin/users",
               "/admin/users/rita/deactivate", "/admin/users/rita/token")  # fmt: skip


@pytest.fixture(scope="session")
def template_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("admin_store")
    generate_sample(people=300, seed=13, out_dir=work / "sample")
    records_path = work / "records.parquet"
    result = reconcile(load_mapping(work / "sample" / "mapping.toml"), records_path=records_path)
    path = work / "linker.db"
    store = Store.open(f"sqlite:///{path}")
    persist_run(store, result, pd.read_parquet(records_path))
    with store.session() as session:
        add_user(session, "ada", "admin", password=PASSWORD)
        add_user(session, "rita", "reviewer", password=PASSWORD)
        add_user(session, "sam", "reviewer", password=PASSWORD)
        add_user(session, "alan", "analyst", password=PASSWORD)
    store.close()
    return path


@pytest.fixture
def store(template_store: Path, tmp_path: Path):
    shutil.copy(template_store, tmp_path / "linker.db")
    opened = Store.open(f"sqlite:///{tmp_path / 'linker.db'}")
    yield opened
    opened.close()


@pytest.fixture
def app(store: Store):
    return create_app({"TESTING": True, "DATABASE_URL": store.url, "RATELIMIT_ENABLED": False})


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def _login(app, name: str):
    client = app.test_client()
    token = _csrf(client.get("/login").text)
    response = client.post(
        "/login", data={"username": name, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


@pytest.fixture
def admin(app):
    return _login(app, "ada")


def _token(client, page: str = "/admin/users") -> str:
    return _csrf(client.get(page).text)


def _count(store: Store, model, *where) -> int:
    with store.session() as session:
        return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def _refs(store: Store, n: int) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.execute(
            select(Record.source, Record.record_key).order_by(Record.id).limit(n)
        ).all()
    return [(s, k) for s, k in rows]


def _pair_form(left, right, decision: str, token: str, note: str = "") -> dict[str, str]:
    return {
        "left_source": left[0],
        "left_record_key": left[1],
        "right_source": right[0],
        "right_record_key": right[1],
        "decision": decision,
        "note": note,
        "csrf_token": token,
    }


# --- roles ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["rita", "alan"])
def test_reviewers_and_analysts_get_403_everywhere(app, store: Store, name: str) -> None:
    client = _login(app, name)
    token = _csrf(client.get("/").text)
    for path in ADMIN_GETS:
        assert client.get(path).status_code == 403, path
    for path in ADMIN_POSTS:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert _count(store, Decision) == 0
    with store.session() as session:
        rita = session.scalars(select(User).where(User.username == "rita")).one()
        assert rita.active


def test_anonymous_users_are_sent_to_login(app) -> None:
    response = app.test_client().get("/admin/audit")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_admin_overview_counts(admin, store: Store) -> None:
    a, b = _refs(store, 2)
    with store.session() as session:
        record_decision(session, a, b, "match", "rita")
        record_decision(session, a, b, "distinct", "sam")
    page = admin.get("/admin/").text
    assert re.search(r'id="count-conflicts">1<', page)
    assert re.search(r'id="count-users">4<', page)


# --- audit log --------------------------------------------------------------------------


def test_audit_log_filters_and_caps_the_page_size(admin, store: Store) -> None:
    with store.session() as session:
        for i in range(230):
            A.audit(session, "rita", A.VIEW_RECORD, A.record_target("cbp", f"E{i}"))
        A.audit(session, "sam", A.DECIDE, "cbp:E1|ice:I9", decision="match")
    page = admin.get("/admin/audit?user=rita&per_page=5000").text
    assert page.count("<td>view_record</td>") == 200  # capped at 200 a page
    assert "230 events; page 1 of 2" in page
    second = admin.get("/admin/audit?user=rita&per_page=5000&page=2").text
    assert second.count("<td>view_record</td>") == 30
    by_action = admin.get("/admin/audit?action=decision").text
    assert "cbp:E1|ice:I9" in by_action and "view_record</td>" not in by_action
    by_target = admin.get("/admin/audit?target=cbp:E7").text
    assert "1 events" in by_target
    assert "0 events" in admin.get("/admin/audit?user=rita&to=2000-01-01").text
    assert "230 events" in admin.get("/admin/audit?user=rita&from=2000-01-01").text
    assert admin.get("/admin/audit?from=yesterday").status_code == 400


def test_audit_export_is_csv_and_is_itself_audited(admin, store: Store) -> None:
    with store.session() as session:
        for i in range(3):
            A.audit(session, "rita", A.VIEW_RECORD, A.record_target("cbp", f"E{i}"))
        A.audit(session, "sam", A.VIEW_RECORD, "cbp:E9")
    response = admin.get("/admin/audit.csv?user=rita")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 3 and {r["username"] for r in rows} == {"rita"}
    with store.session() as session:
        export = session.scalars(
            select(AuditEvent).where(AuditEvent.action == A.EXPORT_AUDIT)
        ).one()
        assert export.username == "ada"
        assert export.detail["rows"] == 3 and export.detail["filters"] == {"username": "rita"}


# --- conflicts and second reviews -------------------------------------------------------


def test_admin_settles_a_conflict_with_a_final_decision(admin, store: Store) -> None:
    a, b = _refs(store, 2)
    with store.session() as session:
        record_decision(session, a, b, "match", "rita")
        record_decision(session, a, b, "distinct", "sam")
    page = admin.get("/admin/conflicts").text
    assert f"{a[0]}:{a[1]}" in page and "rita" in page and "sam" in page
    token = _csrf(page)
    no_csrf = admin.post("/admin/conflicts/settle", data=_pair_form(a, b, "match", ""))
    assert no_csrf.status_code == 400
    assert _count(store, Decision) == 2
    response = admin.post(
        "/admin/conflicts/settle", data=_pair_form(a, b, "distinct", token, "checked the files")
    )
    assert response.status_code == 303
    with store.session() as session:
        newest = session.scalars(select(Decision).order_by(Decision.id.desc())).first()
        assert newest is not None and newest.reviewer == "ada"
        assert newest.decision == "distinct" and newest.note.startswith(SETTLED)
        assert conflicts(session) == []
        assert _count(store, AuditEvent, AuditEvent.action == A.SETTLE_CONFLICT) == 1
    assert _count(store, Decision) == 3  # appended, nothing replaced
    assert "Nothing here." in admin.get("/admin/conflicts").text


def test_settling_an_unknown_pair_changes_nothing(admin, store: Store) -> None:
    a = _refs(store, 1)[0]
    token = _token(admin, "/admin/conflicts")
    response = admin.post(
        "/admin/conflicts/settle", data=_pair_form(a, ("cbp", "NO-SUCH"), "match", token)
    )
    assert response.status_code == 303
    assert "unknown record" in admin.get("/admin/conflicts").text
    assert _count(store, Decision) == 0


def test_admin_is_the_second_reviewer_of_a_childs_match(admin, store: Store) -> None:
    with store.session() as session:
        run = latest_run(session)
        assert run is not None
        numbered = session.scalars(
            select(Record).where(Record.run_id == run.id, Record.a_number.is_not(None))
        ).first()
        assert numbered is not None
        child = next(
            r
            for r in session.scalars(
                select(Record).where(Record.run_id == run.id, Record.a_number.is_(None))
            )
            if gives_child_a_number(r, numbered)
        )
        pair = ((child.source, child.record_key), (numbered.source, numbered.record_key))
        record_decision(session, *pair, "match", "rita")
    page = admin.get("/admin/awaiting").text
    assert f"{child.source}:{child.record_key}" in page
    with store.session() as session:
        assert binding_decisions(session).empty
    response = admin.post("/admin/awaiting/decide", data=_pair_form(*pair, "match", _csrf(page)))
    assert response.status_code == 303
    with store.session() as session:
        assert list(binding_decisions(session)["decision"]) == ["match"]
    assert "Nothing here." in admin.get("/admin/awaiting").text


# --- users ------------------------------------------------------------------------------


def test_add_user_shows_the_one_time_password_once(admin, store: Store) -> None:
    token = _token(admin)
    response = admin.post(
        "/admin/users", data={"new_username": "nina", "role": "analyst", "csrf_token": token}
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    password = re.search(r'id="secret-value">([^<]+)<', response.text)
    assert password is not None
    with store.session() as session:
        user = authenticate(session, "nina", password.group(1))
        assert user is not None and user.role == "analyst"
        assert password.group(1) not in user.password_hash
    assert password.group(1) not in admin.get("/admin/users").text
    assert _count(store, AuditEvent, AuditEvent.action == A.ADD_USER) == 1
    duplicate = admin.post(
        "/admin/users", data={"new_username": "nina", "role": "admin", "csrf_token": token}
    )
    assert duplicate.status_code == 400 and "already exists" in duplicate.text
    bad_role = admin.post(
        "/admin/users", data={"new_username": "zed", "role": "root", "csrf_token": token}
    )
    assert bad_role.status_code == 400
    assert _count(store, User) == 5


def test_issue_and_revoke_an_api_token(admin, store: Store) -> None:
    token = _token(admin)
    issued = admin.post("/admin/users/rita/token", data={"csrf_token": token})
    assert issued.status_code == 200
    api_token = re.search(r'id="secret-value">([^<]+)<', issued.text)
    assert api_token is not None
    with store.session() as session:
        assert user_for_token(session, api_token.group(1)) is not None
    revoked = admin.post("/admin/users/rita/revoke", data={"csrf_token": token})
    assert revoked.status_code == 303
    with store.session() as session:
        assert user_for_token(session, api_token.group(1)) is None
    actions = [A.ISSUE_TOKEN, A.REVOKE_TOKENS]
    assert _count(store, AuditEvent, AuditEvent.action.in_(actions)) == 2


def test_deactivated_users_cannot_log_in_and_admins_cannot_lock_themselves_out(
    app, admin, store: Store
) -> None:
    rita = _login(app, "rita")
    token = _token(admin)
    assert admin.post("/admin/users/rita/deactivate", data={}).status_code == 400  # no CSRF
    response = admin.post("/admin/users/rita/deactivate", data={"csrf_token": token})
    assert response.status_code == 303
    # Her open session ends at the next request, and she cannot log in again.
    assert rita.get("/").status_code == 302
    fresh = app.test_client()
    login_token = _csrf(fresh.get("/login").text)
    again = fresh.post(
        "/login", data={"username": "rita", "password": PASSWORD, "csrf_token": login_token}
    )
    assert again.status_code == 401
    admin.post("/admin/users/ada/deactivate", data={"csrf_token": token})
    with store.session() as session:
        ada = session.scalars(select(User).where(User.username == "ada")).one()
        assert ada.active
    assert (
        admin.post("/admin/users/nobody/deactivate", data={"csrf_token": token}).status_code == 404
    )
    reset = admin.post("/admin/users/rita/reactivate", data={"csrf_token": token})
    assert reset.status_code == 303
    new_password = admin.post("/admin/users/rita/password", data={"csrf_token": token})
    password = re.search(r'id="secret-value">([^<]+)<', new_password.text)
    assert password is not None
    with store.session() as session:
        assert authenticate(session, "rita", password.group(1)) is not None
        assert authenticate(session, "rita", PASSWORD) is None
