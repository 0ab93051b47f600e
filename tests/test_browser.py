"""The reviewer's day in a real headless Chromium against the live app.

Log in, work five pairs of the queue by keyboard (each decision checked in the store,
the progress counter checked on the page), see an entity take in a record a match
linked, undo, search a person, log out; a reviewer is refused the admin pages. The pair
and entity pages are taken too (into docs/screenshots/ for the README when
LINKER_SCREENSHOTS=docs/screenshots is set).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from linker.store import Store
from linker.store import review as R
from linker.store.schema import Decision
from linker.store.users import add_user
from service import create_app

PASSWORD = "correct horse battery"
# The README's pictures are refreshed on request (LINKER_SCREENSHOTS=docs/screenshots);
# otherwise the test still takes them, into its temporary folder.
SCREENSHOTS_ENV = "LINKER_SCREENSHOTS"
PAIR_URL = re.compile(r".*/review/pair/(\d+)$")


@pytest.fixture
def app(review_db_url: str):
    with Store.open(review_db_url).session() as s:
        add_user(s, "rita", "reviewer", password=PASSWORD)
    return create_app({"TESTING": True, "DATABASE_URL": review_db_url, "RATELIMIT_ENABLED": False})


def _store(app) -> Store:
    from service.db import STORE_KEY

    return app.extensions[STORE_KEY]


def _decisions(store: Store) -> list[Decision]:
    with store.session() as s:
        return list(s.scalars(select(Decision).order_by(Decision.id)))


def _log_in(page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", "rita")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{base}/")


def _current_pair(page) -> int:
    page.wait_for_url(PAIR_URL)
    match = PAIR_URL.match(page.url)
    assert match
    return int(match.group(1))


def _decided(page) -> int:
    return int(page.get_attribute("#progress", "data-decided") or -1)


@pytest.mark.slow
def test_reviewer_works_the_queue_by_keyboard(app, page, live_server, tmp_path) -> None:
    SCREENSHOTS = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    store = _store(app)
    base = live_server(app)
    _log_in(page, base)
    page.goto(f"{base}/review/")
    page.click("#start")

    reviewed: list[tuple[int, str]] = []
    matched: R.PairView | None = None
    for i in range(5):
        pair_id = _current_pair(page)
        with store.session() as s:
            view = R.pair_view(s, pair_id)
        assert view is not None
        if i == 0:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / "pair.png"), full_page=True)
        if matched is None and not view.same_entity:
            key, kind = "m", "match"
            matched = view
        else:
            key, kind = (("d", "distinct"), ("u", "unsure"))[i % 2]
        before = _decided(page)
        page.keyboard.press(key)
        page.wait_for_url(lambda url, old=pair_id: f"/review/pair/{old}" not in url)
        next_id = _current_pair(page)
        assert next_id != pair_id
        stored = _decisions(store)
        assert len(stored) == i + 1
        assert (stored[-1].decision, stored[-1].reviewer) == (kind, "rita")
        assert {
            (stored[-1].left_source, stored[-1].left_record_key),
            (stored[-1].right_source, stored[-1].right_record_key),
        } == {view.left.ref, view.right.ref}
        assert _decided(page) == before + (0 if kind == "unsure" else 1)
        assert f"Recorded {kind} on pair #{pair_id}" in page.inner_text("main")
        reviewed.append((pair_id, kind))
    assert matched is not None, "one of the first five pairs joins two entities"

    # b: undo the last decision and land back on that pair
    last_id, _ = reviewed[-1]
    page.keyboard.press("b")
    page.wait_for_url(f"{base}/review/pair/{last_id}")
    assert _decisions(store)[-1].note == "undo"

    # the match shows on the entity page: both records, the linked one marked as such
    page.goto(f"{base}/review/entity/{matched.left.entity_id}")
    for record in (matched.left, matched.right):
        assert page.locator(f'[data-record="{record.target}"]').count() == 1
    assert page.locator(f'tr.linked-member[data-record="{matched.right.target}"]').count() == 1
    page.screenshot(path=str(SCREENSHOTS / "entity.png"), full_page=True)
    assert (SCREENSHOTS / "pair.png").stat().st_size > 10_000
    assert (SCREENSHOTS / "entity.png").stat().st_size > 10_000

    # search the person of the matched record by name and date of birth
    page.goto(f"{base}/review/search")
    name = matched.right.standardized["full_name"]
    page.fill("#q-name", name.title())
    if matched.right.standardized.get("dob"):
        page.fill("#q-dob", matched.right.standardized["dob"])
    page.click("#search")
    first = page.locator("tr.hit").first
    assert matched.right.target in page.inner_text("table.results")
    assert first.locator("a").count() == 1

    # log out: the review pages are closed again
    page.click("#logout")
    page.wait_for_url(re.compile(r".*/login$"))
    page.goto(f"{base}/review/")
    assert "/login" in page.url


@pytest.mark.slow
def test_a_reviewer_cannot_open_admin_pages(app, page, live_server) -> None:
    base = live_server(app)
    _log_in(page, base)
    assert page.locator("header nav a", has_text="Admin").count() == 0
    for path in ("/admin/", "/admin/audit"):
        response = page.goto(f"{base}{path}")
        assert response is not None and response.status == 403, path
