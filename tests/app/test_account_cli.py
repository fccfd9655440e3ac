"""`wiki` user and group commands compare names by identity key, and `wiki init` warns
about accounts of an old database that share one."""

from __future__ import annotations

import sqlite3

import pytest
from click.testing import CliRunner
from werkzeug.security import generate_password_hash

from wiki.cli import main


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKI_INSTANCE", str(tmp_path / "instance"))
    monkeypatch.setenv("WIKI_SEARCH_INDEX_DIR", str(tmp_path / "search_index"))
    monkeypatch.setenv("WIKI_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    return tmp_path


def add_user(runner, name, role="reader"):
    return runner.invoke(
        main, ["user", "add", name, "--role", role, "--password-stdin"], input="password-1\n"
    )


def test_lookalike_names_are_refused_and_old_collisions_reported(env):
    runner = CliRunner()
    assert runner.invoke(main, ["init"]).exit_code == 0
    assert add_user(runner, "strauss").exit_code == 0
    for name in ("STRAUSS", "strauß", "ſtrauss"):
        r = add_user(runner, name)
        assert r.exit_code != 0 and "taken" in r.output, name
    r = add_user(runner, "раdmin")
    assert r.exit_code != 0 and "scripts" in r.output
    assert runner.invoke(main, ["group", "create", "straße"]).exit_code == 0
    r = runner.invoke(main, ["group", "create", "STRASSE"])
    assert r.exit_code != 0 and "already a group" in r.output
    # any spelling finds the account; the audit log names it as stored
    assert runner.invoke(main, ["user", "role", "Strauß", "editor"]).exit_code == 0
    assert "strauss\teditor" in runner.invoke(main, ["user", "list"]).output
    assert "user.role\tstrauss\t" in runner.invoke(main, ["space", "log"]).output
    assert "Warning" not in runner.invoke(main, ["init"]).output

    # an account the previous version let register next to it
    db = sqlite3.connect(env / "instance" / "users.sqlite")
    db.execute(
        "INSERT INTO users (username, display_name, email, password_hash, role, "
        "session_version, created) VALUES ('strauß', 'S', 's@x', ?, 'reader', 'v', 'now')",
        (generate_password_hash("password-1", "pbkdf2:sha256:1000"),),
    )
    db.commit()
    db.close()
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0
    assert "Warning: the accounts 'strauss', 'strauß' have names" in result.stderr
    assert "wiki user disable" in result.stderr
    listed = runner.invoke(main, ["user", "list"]).output
    assert "strauss\t" in listed and "strauß\t" in listed  # both kept, not merged
    r = runner.invoke(main, ["space", "add", "WG4", "Strauss"])  # whose would it be?
    assert r.exit_code != 0 and "treats as the same" in r.output
    assert runner.invoke(main, ["user", "disable", "strauß"]).exit_code == 0
    assert "Warning" not in runner.invoke(main, ["init"]).stderr
    assert runner.invoke(main, ["space", "add", "WG4", "Strauss"]).exit_code == 0
    assert "members: strauss" in runner.invoke(main, ["space", "list"]).output
