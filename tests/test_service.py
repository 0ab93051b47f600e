from __future__ import annotations

import pytest

from service import create_app


@pytest.fixture
def client():
    return create_app({"TESTING": True}).test_client()


def test_health_check_answers_json(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_unknown_route_is_a_json_404(client) -> None:
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response.get_json()["error"] == "not_found"
