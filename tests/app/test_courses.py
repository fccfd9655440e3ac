"""A course: a folder whose home page lists its modules in order; each module shows the
outline, "Part n of m" and Previous / Next; the home shows its sessions (event records
naming the course) and each module's materials."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import make_app
from wiki.git.storage import Storage

CONTENT = Path(__file__).resolve().parents[2] / "content"
COURSE = "Training/S3 course"


@pytest.fixture
def course_app(tmp_path):
    files = {f"Types/{p.name}": p.read_bytes() for p in (CONTENT / "Types").glob("*.md")}
    for page in (CONTENT / "Training" / "S3 course").glob("*.md"):
        files[f"{COURSE}/{page.name}"] = page.read_bytes()
    files["Home.md"] = b"# Home\n"
    files[f"{COURSE}/assessment-template.pdf"] = b"%PDF-1.4\n"
    text = files[f"{COURSE}/Assessing the region.md"].decode()
    files[f"{COURSE}/Assessing the region.md"] = (
        text + "\n[The assessment template](assessment-template.pdf)\n"
    ).encode()
    files["Events/S3 training in Maribor.md"] = (
        b"---\ntype: event\nkind: training session\nstart: 2030-10-06\nend: 2030-10-07\n"
        b"format: in person\nlocation: Maribor\ncourse: Training/S3 course/Home\n---\n"
        b"# S3 training in Maribor\n"
    )
    storage = Storage.init(tmp_path / "content")
    storage.import_files(files, author=TEST_AUTHOR, message="seed")
    app = make_app(tmp_path, storage)
    yield app
    storage.close()


def _nav(html: str) -> list[str]:
    return re.findall(r'<nav class="course-nav"[^>]*>(.*?)</nav>', html, re.S)


def test_a_module_shows_its_place_and_the_way_on_at_top_and_bottom(course_app):
    client = course_app.test_client()
    html = client.get("/" + quote(f"{COURSE}/The smart specialisation method")).get_data(
        as_text=True
    )
    navs = _nav(html)
    assert len(navs) == 2  # at the top and at the bottom
    for nav in navs:
        assert "Part 2 of 6" in nav
        assert 'href="/Training/S3%20course/Preparation%20day" rel="prev"' in nav
        assert 'href="/Training/S3%20course/Assessing%20the%20region" rel="next"' in nav
    outline = re.search(r'<nav class="course-outline".*?</nav>', html, re.S)[0]
    assert '<strong aria-current="page">The smart specialisation method</strong>' in outline
    assert outline.index("Preparation day") < outline.index("Follow-up day")
    last = client.get("/" + quote(f"{COURSE}/Follow-up day")).get_data(as_text=True)
    assert "Part 6 of 6" in last and "Back to the course" in last
    # a page outside any course has no course navigation
    assert "course-nav" not in client.get("/Home").get_data(as_text=True)


def test_reordering_the_list_on_the_course_home_reorders_the_course(course_app):
    storage = course_app.services.storage
    home = f"{COURSE}/Home.md"
    text = storage.read(home)
    swapped = text.replace("2. [[The smart specialisation method]]", "2. [[Assessing the region]]X")
    swapped = swapped.replace(
        "3. [[Assessing the region]]", "3. [[The smart specialisation method]]"
    )
    swapped = swapped.replace("]]X", "]]")
    assert swapped != text
    auth = {"Authorization": "Basic " + base64.b64encode(f"editor:{PASSWORD}".encode()).decode()}
    api = course_app.test_client()
    current = api.get("/-/api/v1/pages/" + quote(f"{COURSE}/Home"), headers=auth).get_json()
    saved = api.put(
        "/-/api/v1/pages/" + quote(f"{COURSE}/Home"),
        json={"content": swapped, "base_revision": current["revision"]},
        headers=auth,
    )
    assert saved.status_code == 200
    html = api.get("/" + quote(f"{COURSE}/Assessing the region")).get_data(as_text=True)
    assert "Part 2 of 6" in _nav(html)[0]


def test_the_course_home_shows_sessions_and_materials(course_app):
    html = course_app.test_client().get("/" + quote(f"{COURSE}/Home")).get_data(as_text=True)
    sessions = html[html.index('id="sessions-title"') :]
    assert "S3 training in Maribor" in sessions and "6–7 October 2030" in sessions
    assert "in person" in sessions and "Maribor" in sessions
    modules = html[html.index("Materials") :]
    assessing = modules[modules.index("Assessing the region") :].split("</li>")[0]
    assert "assessment-template.pdf" in assessing
    assert "Start with part 1" in html


def test_materials_name_only_files_the_reader_may_read(course_app):
    storage = course_app.services.storage
    storage.import_files({"WG4/plan.pdf": b"%PDF-1.4\n"}, author=TEST_AUTHOR, message="plan")
    module = f"{COURSE}/Follow-up day.md"
    storage.write(
        module,
        storage.read(module) + "\n[plan](../../WG4/plan.pdf) [budget](../../WG4/budget.pdf)\n",
        author=TEST_AUTHOR,
        message="materials",
        base_revision=storage.head(),
    )
    course_app.services.spaces.create_space("WG4", actor="t", read="members", write="members")
    course_app.services.pages._committed()
    html = course_app.test_client().get("/" + quote(f"{COURSE}/Home")).get_data(as_text=True)
    assert "plan.pdf" not in html and "budget.pdf" not in html
