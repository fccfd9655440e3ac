import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from wiki.cli import main

CONTENT = Path(__file__).resolve().parents[2] / "content"
# the starter content's pages (hidden files such as .spaces.yaml are not imported)
STARTER_PAGES = sum(
    1 for p in CONTENT.rglob("*.md") if not any(part.startswith(".") for part in p.parts)
)


@pytest.fixture
def env(tmp_path, monkeypatch):
    monkeypatch.setenv("WIKI_INSTANCE", str(tmp_path / "instance"))
    # not ./search_index: the tests would leave an index in the working directory
    monkeypatch.setenv("WIKI_SEARCH_INDEX_DIR", str(tmp_path / "search_index"))
    monkeypatch.setenv("WIKI_PASSWORD_HASH_METHOD", "pbkdf2:sha256:1000")
    return tmp_path


def test_help_lists_commands():
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for command in ("init", "serve", "reindex", "user"):
        assert command in result.output
    assert "--password-stdin" in CliRunner().invoke(main, ["user", "add", "--help"]).output
    assert "--workers" in CliRunner().invoke(main, ["serve", "--help"]).output


def test_init_imports_starter_content_in_one_commit(env):
    runner = CliRunner()
    result = runner.invoke(main, ["init"])
    assert result.exit_code == 0, result.output
    assert "Created the content repository" in result.output
    assert "wiki user add admin --role admin" in result.output
    repo = env / "instance" / "content"
    count = subprocess.run(
        ["git", "--git-dir", str(repo), "rev-list", "--count", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert count == "1"
    files = (
        subprocess.run(
            ["git", "--git-dir", str(repo), "ls-tree", "-r", "-z", "--name-only", "HEAD"],
            capture_output=True,
        )
        .stdout.decode()
        .split("\0")
    )
    assert "Home.md" in files and "WG4/Home.md" in files
    assert "WG4/Klaszterfinanszírozás – összefoglaló.md" in files
    assert "WG3/Διεθνής συνεργασία συστάδων.md" in files
    again = runner.invoke(main, ["init"])
    assert again.exit_code == 0 and "(exists)" in again.output


def test_user_commands(env):
    runner = CliRunner()
    runner.invoke(main, ["init"])
    result = runner.invoke(
        main,
        [
            "user",
            "add",
            "maria",
            "--role",
            "admin",
            "--email",
            "maria@example.org",
            "--display-name",
            "Maria Rossi",
            "--password-stdin",
        ],
        input="a-good-password\n",
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(main, ["user", "list"]).output
    assert "maria\tadmin\tMaria Rossi <maria@example.org>" in listed
    assert "No administrator yet" not in runner.invoke(main, ["init"]).output
    dup = runner.invoke(main, ["user", "add", "maria", "--password-stdin"], input="another-pass\n")
    assert dup.exit_code != 0 and "taken" in dup.output
    short = runner.invoke(main, ["user", "add", "bob", "--password-stdin"], input="short\n")
    assert short.exit_code != 0 and "at least 8" in short.output
    bad = runner.invoke(
        main, ["user", "add", "bad name", "--password-stdin"], input="long-enough\n"
    )
    assert bad.exit_code != 0 and "user name" in bad.output
    changed = runner.invoke(
        main, ["user", "passwd", "maria", "--password-stdin"], input="newer-password\n"
    )
    assert changed.exit_code == 0
    missing = runner.invoke(
        main, ["user", "passwd", "nobody", "--password-stdin"], input="newer-password\n"
    )
    assert missing.exit_code != 0 and "no user" in missing.output
    assert runner.invoke(main, ["user", "role", "maria", "reader"]).exit_code == 0
    assert "maria\treader" in runner.invoke(main, ["user", "list"]).output


def test_reindex_rebuilds_the_revision_table(env):
    runner = CliRunner()
    runner.invoke(main, ["init"])
    result = runner.invoke(main, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "Revision table: 1 commits." in result.output
    assert f"Search index: {STARTER_PAGES} pages" in result.output
    assert "Writing posting packs" in result.output  # the second stage shows progress too


def test_serve_without_repository_says_what_to_do(env):
    result = CliRunner().invoke(main, ["serve"])
    assert result.exit_code != 0 and "wiki init" in result.output


def test_init_sets_up_the_starter_spaces_once(env):
    runner = CliRunner()
    result = runner.invoke(main, ["init"])
    assert "Set up 8 spaces" in result.output
    listing = runner.invoke(main, ["space", "list"]).output
    assert "Public\tread=anonymous\twrite=editors" in listing
    assert "WG4\tread=registered\twrite=members" in listing
    assert "Types\tread=anonymous\twrite=members" in listing  # only administrators edit types
    runner.invoke(main, ["space", "delete", "WG6"])
    again = runner.invoke(main, ["init"])
    assert "Set up" not in again.output
    assert "WG6" not in runner.invoke(main, ["space", "list"]).output
    assert "pannon-business-network" in runner.invoke(main, ["group", "list"]).output


def test_space_and_group_commands(env):
    runner = CliRunner()
    runner.invoke(main, ["init"])
    runner.invoke(
        main, ["user", "add", "ana", "--role", "reader", "--password-stdin"], input="password-1\n"
    )
    assert "--write" in runner.invoke(main, ["space", "create", "--help"]).output
    r = runner.invoke(main, ["space", "create", "WG7", "--title", "Seven", "--read", "members"])
    assert r.exit_code == 0, r.output
    r = runner.invoke(main, ["group", "create", "istria", "--title", "Istrian agency"])
    assert r.exit_code == 0
    assert runner.invoke(main, ["group", "add", "istria", "ana"]).exit_code == 0
    assert runner.invoke(main, ["space", "add", "WG7", "@istria"]).exit_code == 0
    assert runner.invoke(main, ["space", "add", "WG7", "ana"]).exit_code == 0
    listing = runner.invoke(main, ["space", "list"]).output
    assert "WG7\tread=members\twrite=members\tSeven\tmembers: ana, @istria" in listing
    r = runner.invoke(main, ["space", "set", "WG7", "--read", "registered"])
    assert r.exit_code == 0 and "read=registered" in r.output
    assert runner.invoke(main, ["space", "remove", "WG7", "ana"]).exit_code == 0
    bad = runner.invoke(main, ["space", "add", "WG7", "ghost"])
    assert bad.exit_code == 1 and "no user called 'ghost'" in bad.output
    bad = runner.invoke(main, ["space", "create", "a/b"])
    assert bad.exit_code == 1 and "top-level" in bad.output
    log = runner.invoke(main, ["space", "log"]).output
    assert "space.create\tWG7" in log and "cli:" in log and "space.member.remove" in log
    r = runner.invoke(main, ["user", "reset-link", "ana", "--base-url", "https://wiki.example"])
    assert r.exit_code == 0 and r.output.startswith("https://wiki.example/-/reset/")
    assert runner.invoke(main, ["user", "disable", "ana"]).exit_code == 0
    assert (
        "ana\treader\tana <ana@users.noreply> (disabled)"
        in runner.invoke(main, ["user", "list"]).output
    )


def test_init_rebuilds_an_index_left_from_another_repository(env, monkeypatch):
    from wiki.app import create_app
    from wiki.model import Author

    runner = CliRunner()
    assert f"Search index: {STARTER_PAGES} pages" in runner.invoke(main, ["init"]).output
    app = create_app()
    wiki = app.services.pages  # one more page: a commit only this repository has
    wiki.save_page(
        "Extra",
        "# Extra\n\nOnly here.\n",
        author=Author("A", "a@example.org"),
        message="",
        base_revision=wiki.head(),
    )
    app.close()  # the index follows the save before the app closes
    # a new content repository (another instance) with the same index folder
    monkeypatch.setenv("WIKI_INSTANCE", str(env / "other"))
    result = runner.invoke(main, ["init"])
    assert f"Search index: {STARTER_PAGES} pages" in result.output, result.output
    again = runner.invoke(main, ["init"])
    assert "Search index" not in again.output  # in step: nothing to do


def test_reindex_names_the_files_whose_text_could_not_be_read(env, tmp_path):
    source = tmp_path / "source"
    (source / "WG4").mkdir(parents=True)
    (source / "Home.md").write_text("# Home\n")
    (source / "WG4" / "broken.pdf").write_bytes(b"%PDF-1.4 this is not a pdf at all")
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--source", str(source)]).exit_code == 0
    result = runner.invoke(main, ["reindex", "--no-history"])
    assert result.exit_code == 0
    assert "Could not read the text of 1 file(s), found by name only: WG4/broken.pdf" in (
        result.output
    )


def test_notify_runs_one_round(env):
    runner = CliRunner()
    runner.invoke(main, ["init"])
    result = runner.invoke(main, ["notify"])
    assert result.exit_code == 0, result.output
    assert "notifications made: 0, mails queued: 0, sent: 0" in result.output
