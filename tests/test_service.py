from __future__ import annotations

import re

import pytest

from linker.store import Store
from linker.store.users import add_user
from service import create_app


@pytest.fixture
def app(tmp_path):
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    with Store.open(url).session() as session:
        add_user(session, "rita", "reviewer", password="correct horse")
    return create_app({"TESTING": True, "DATABASE_URL": url})


@pytest.fixture
def client(app):
    return app.test_client()


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "the form carries no CSRF token"
    return match.group(1)


def test_health_check_answers_json_without_login(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_pages_redirect_to_login_and_api_answers_401(client) -> None:
    page = client.get("/no-such-page")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login")
    api = client.get("/api/anything")
    assert api.status_code == 401
    assert api.get_json()["error"] == "unauthorized"


def test_login_needs_csrf_and_the_right_password(client) -> None:
    form = client.get("/login")
    token = _csrf(form.text)
    no_csrf = client.post("/login", data={"username": "rita", "password": "correct horse"})
    assert no_csrf.status_code == 400
    wrong = client.post(
        "/login", data={"username": "rita", "password": "wrong", "csrf_token": token}
    )
    assert wrong.status_code == 401 and "wrong password" in wrong.text
    ok = client.post(
        "/login", data={"username": "rita", "password": "correct horse", "csrf_token": token}
    )
    assert ok.status_code == 302
    cookie = ok.headers.get_all("Set-Cookie")
    assert any("HttpOnly" in c and "SameSite=Lax" in c for c in cookie)
    assert client.get("/").status_code == 200
    assert client.get("/no-such-page").status_code == 404


def test_login_is_rate_limited(client) -> None:
    token = _csrf(client.get("/login").text)
    codes = [
        client.post(
            "/login", data={"username": "rita", "password": "nope", "csrf_token": token}
        ).status_code
        for _ in range(12)
    ]
    assert codes[:10] == [401] * 10
    assert codes[-1] == 429
