import base64
import re
import subprocess
import sys
from pathlib import Path

import pytest

from wiki.app import create_app
from wiki.config import DEFAULTS
from wiki.errors import ConfigError
from wiki.git.hooks import prepare

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_config_key_is_documented_in_the_readme():
    text = README.read_text("utf-8")
    missing = [key for key in DEFAULTS if not re.search(rf"`(WIKI_)?{key}`", text)]
    assert missing == []


def test_invalid_config_names_every_bad_key(tmp_path, content_repo):
    with pytest.raises(ConfigError) as err:
        create_app(
            {
                "CONTENT_DIR": str(content_repo.root),
                "READ_ACCESS": "everyone",
                "MAX_PAGE_BYTES": -1,
                "THEME": "nope",
                "SECRET_KEY": "dev",
                "INSTANCE_PATH": str(tmp_path / "i"),
            }
        )
    message = err.value.message
    for key in ("READ_ACCESS", "MAX_PAGE_BYTES", "THEME", "SECRET_KEY"):
        assert key in message


def test_secret_key_is_generated_once_in_the_instance(tmp_path, content_repo):
    config = {"CONTENT_DIR": str(content_repo.root), "INSTANCE_PATH": str(tmp_path / "inst")}
    first = create_app(dict(config))
    second = create_app(dict(config))
    key_file = tmp_path / "inst" / "secret_key"
    assert key_file.is_file() and oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) == 64
    first.close()
    second.close()


def test_environment_configuration(tmp_path, content_repo, monkeypatch):
    monkeypatch.setenv("WIKI_INSTANCE", str(tmp_path / "envinst"))
    monkeypatch.setenv("WIKI_CONTENT_DIR", str(content_repo.root))
    monkeypatch.setenv("WIKI_READ_ACCESS", "registered")
    monkeypatch.setenv("WIKI_SITE_NAME", "Test Wiki")
    app = create_app()
    assert app.instance_path == str(tmp_path / "envinst")
    assert app.config["READ_ACCESS"] == "registered"
    assert app.config["USERS_DB"] == str(tmp_path / "envinst" / "users.sqlite")
    assert "Test Wiki" in app.test_client().get("/-/login").get_data(as_text=True)
    app.close()


def test_missing_content_repository_is_a_clear_error(tmp_path):
    from wiki.errors import StorageError

    with pytest.raises(StorageError) as err:
        create_app({"CONTENT_DIR": str(tmp_path / "none"), "INSTANCE_PATH": str(tmp_path / "i")})
    assert "wiki init" in err.value.message


def test_static_files_have_long_cache_and_themes_resolve(client):
    with client.get("/-/static/style.css") as r:
        assert r.status_code == 200 and "max-age=31536000" in r.headers["Cache-Control"]
    assert client.get("/-/static/nope.css").status_code == 404
    html = client.get("/").get_data(as_text=True)
    assert re.search(r"/-/static/style.css\?v=[0-9a-f]{10}", html)


def test_child_theme_overrides_and_extends_default(tmp_path, content_repo):
    from tests.conftest import make_app

    themes = tmp_path / "themes"
    import shutil

    shutil.copytree(Path(__file__).resolve().parents[2] / "themes" / "default", themes / "default")
    child = themes / "partner"
    (child / "templates").mkdir(parents=True)
    (child / "theme.toml").write_text('extends = "default"\n')
    (child / "templates" / "base.html").write_text(
        '{% extends "default:base.html" %}{% block head %}<meta name="theme" content="partner">'
        "{% endblock %}"
    )
    app = make_app(tmp_path, content_repo, THEMES_DIR=str(themes), THEME="partner")
    html = app.test_client().get("/").get_data(as_text=True)
    assert 'content="partner"' in html and "Welcome." in html
    app.close()


def test_building_an_app_changes_nothing_in_the_repository_and_pushes_wait_for_set_up(
    tmp_path, content_repo
):
    """create_app() writes no git configuration and no hook (that is `wiki init` and `wiki
    serve`); until they ran, a push is refused rather than taken unchecked."""
    hook = content_repo.git_dir / "hooks" / "pre-receive"
    config_before = (content_repo.git_dir / "config").read_text()
    app = create_app(
        {
            "CONTENT_DIR": str(content_repo.root),
            "SECRET_KEY": "test",
            "TESTING": True,
            "INSTANCE_PATH": str(tmp_path / "inst"),
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )
    assert not hook.exists()
    assert (content_repo.git_dir / "config").read_text() == config_before
    app.services.users.add("ada", "a-long-password", role="admin")
    auth = {"Authorization": "Basic " + base64.b64encode(b"ada:a-long-password").decode()}
    client = app.test_client()
    refs = "/-/git/content.git/info/refs?service=git-receive-pack"
    refused = client.get(refs, headers=auth)
    assert refused.status_code == 503 and b"wiki init" in refused.data
    assert (
        client.get("/-/git/content.git/info/refs?service=git-upload-pack", headers=auth).status_code
        == 200
    )  # reading needs no hook
    prepare(content_repo.git_dir)
    assert (
        hook.exists()
        and "fsckobjects = true" in (content_repo.git_dir / "config").read_text().lower()
    )
    assert client.get(refs, headers=auth).status_code == 200


def test_the_push_hook_imports_no_flask():
    """git runs the hook for every push: it loads the push check, not the web app."""
    probe = (
        "import sys, wiki.git.hooks, wiki.git.pushcheck; "
        "print(sorted(m for m in ('flask', 'flask_login', 'whoosh', 'wiki.app') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
