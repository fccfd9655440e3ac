"""Folders without a home page answer with an index of what they hold, and every link
of the starter content's sidebar and home page leads somewhere."""

from __future__ import annotations

import re

from click.testing import CliRunner

from tests.conftest import PASSWORD
from tests.conftest import TEST_AUTHOR
from tests.conftest import AuthActions
from tests.conftest import make_app
from wiki.cli import main


def test_a_folder_without_home_lists_its_pages_folders_and_files(tmp_path, content_repo):
    content_repo.import_files(
        {
            "Home.md": b"# Home\n",
            "Project/Plan.md": b"---\ntitle: The work plan\n---\n# Plan\n",
            "Project/Reports/2026.md": b"# 2026\n",
            "Project/budget.pdf": b"%PDF-1.4\n",
            "Private/Notes/Minutes.md": b"# Minutes\n",
        },
        author=TEST_AUTHOR,
        message="seed",
    )
    app = make_app(tmp_path, content_repo)
    app.services.spaces.create_space("Private", actor="t", read="members", write="members")
    app.services.spaces.add_member("Private", "editor", actor="t")
    client = app.test_client()
    answer = client.get("/Project")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert 'href="/Project/Plan">The work plan</a>' in html
    assert 'href="/Project/Reports">Reports/</a>' in html and "budget.pdf" in html
    assert client.get("/Project/Reports").status_code == 200
    assert client.get("/Project/Nothing").status_code == 404
    # a private folder stays invisible to those who may not read it
    reader = app.test_client()
    AuthActions(reader).login("reader", PASSWORD)
    refused = reader.get("/Private/Notes")
    assert refused.status_code == 404 and "Minutes" not in refused.get_data(as_text=True)
    editor = app.test_client()
    AuthActions(editor).login("editor", PASSWORD)
    assert "Minutes" in editor.get("/Private/Notes").get_data(as_text=True)


def test_every_link_of_the_starter_sidebar_and_home_page_answers(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKI_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("WIKI_SEARCH_INDEX_DIR", str(tmp_path / "search_index"))
    monkeypatch.setenv("WIKI_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    added = runner.invoke(
        main, ["user", "add", "boss", "--role", "admin", "--password-stdin"], input="x" * 12
    )
    assert added.exit_code == 0, added.output
    from wiki.app import create_app

    app = create_app()
    client = app.test_client()
    AuthActions(client).login("boss", "x" * 12)
    html = client.get("/").get_data(as_text=True)
    links = set(re.findall(r'href="(/[^"#?]*)"', html)) - {"/-/logout"}
    pages = [link for link in links if not link.startswith(("/-/", "/static"))]
    assert "/Training" in links or any(link.startswith("/Training") for link in links)
    broken = [
        link for link in sorted(pages) if client.get(link, follow_redirects=True).status_code != 200
    ]
    assert broken == []
    app.close()
