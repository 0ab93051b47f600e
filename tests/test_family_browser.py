"""A reunification officer in a real headless Chromium: find a child, see the family.

Log in, search the child by name on the families page, open their family page, see the
picture with the child centred, the sponsor and the adult they crossed the border with
(boxes and the lines between them), then follow the picture's link to the sponsor's
entity page. The family page is photographed (into docs/screenshots/ for the README when
LINKER_SCREENSHOTS=docs/screenshots is set).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from family_store import FamilyRun, family_cases, family_run

from linker.family.store import clear_cache, store_family
from linker.store import Store
from linker.store.users import add_user
from service import create_app
from service.db import STORE_KEY

PASSWORD = "correct horse battery"
# The README's pictures are refreshed on request (LINKER_SCREENSHOTS=docs/screenshots);
# otherwise the test still takes them, into its temporary folder.
SCREENSHOTS_ENV = "LINKER_SCREENSHOTS"


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> FamilyRun:
    return family_run(tmp_path_factory.mktemp("family_run"))


@pytest.fixture
def app(run: FamilyRun, tmp_path: Path):
    url = run.copy_to(tmp_path)
    with Store.open(url).session() as s:
        add_user(s, "fatima", "analyst", password=PASSWORD)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "RATELIMIT_ENABLED": False})
    yield app
    clear_cache()


def test_child_family_picture_and_link_to_entity_page(app, page, live_server, tmp_path) -> None:
    SCREENSHOTS = Path(os.environ.get(SCREENSHOTS_ENV) or tmp_path)
    family = store_family(app.extensions[STORE_KEY])
    cases = family_cases(family.graph.relations, family.graph.people)
    child_name = family.graph.person(cases.child)["name"]
    base = live_server(app)

    page.goto(f"{base}/login")
    page.fill("#username", "fatima")
    page.fill("#password", PASSWORD)
    page.click("#login")
    page.wait_for_url(f"{base}/")
    page.click("header nav >> text=Families")
    page.wait_for_url(f"{base}/family/")
    page.fill("#family-q", child_name)
    page.click("#family-find")
    page.click(f'#family-results tr[data-entity="{cases.child}"] a >> nth=0')
    page.wait_for_url(f"{base}/family/{cases.child}")

    picture = page.locator("#family-picture svg")
    picture.wait_for()
    centre = picture.locator(f'g.person.center[data-entity="{cases.child}"]')
    assert centre.is_visible() and child_name[:20] in (centre.text_content() or "")
    for person in (cases.sponsor, cases.travelling_adult):
        box = picture.locator(f'g.person[data-entity="{person}"]')
        assert box.is_visible()
        assert family.graph.person(person)["name"][:20] in (box.text_content() or "")
    assert picture.locator("line.edge.sponsor_of").count() >= 1
    assert picture.locator("line.edge.co_traveler, line.edge.parent_of").count() >= 1
    assert picture.locator("g.legend").is_visible()
    # The boxes really are drawn apart (a layout that piled them up would still pass
    # the checks above).
    boxes = [
        picture.locator(f'g.person[data-entity="{p}"] rect').bounding_box()
        for p in (cases.child, cases.sponsor)
    ]
    assert boxes[0] is not None and boxes[1] is not None
    assert (boxes[0]["x"], boxes[0]["y"]) != (boxes[1]["x"], boxes[1]["y"])
    assert page.locator(f'#sponsors li[data-entity="{cases.sponsor}"]').is_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(
        path=str(SCREENSHOTS / "family.png"),
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1280, "height": 1400},
    )
    assert (SCREENSHOTS / "family.png").stat().st_size > 10_000

    # PNG export is drawn client-side from the page's own SVG.
    with page.expect_download() as download:
        page.click("#export-png")
    png = Path(download.value.path()).read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000

    # Follow the picture's link to the sponsor's entity page (records side by side).
    page.click(f'#family-picture g.person[data-entity="{cases.sponsor}"] a.to-entity')
    page.wait_for_url(f"{base}/review/entity/{cases.sponsor}")
    assert cases.sponsor in page.locator("h1").inner_text()
