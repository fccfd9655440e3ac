import multiprocessing
import os
import subprocess
import threading
import time

import pytest

from wiki.errors import EditConflict
from wiki.errors import InvalidRevision
from wiki.errors import PageNotFound
from wiki.errors import StorageError
from wiki.git.merge import merge3
from wiki.git.storage import Storage
from wiki.model import Author

ANNA = Author("Anna Ő", "anna@example.org")
BEN = Author("Ben", "ben@example.org")


def git(storage, *args):
    return subprocess.run(
        ["git", "--git-dir", str(storage.root), *args], capture_output=True, text=True, check=True
    ).stdout


def test_init_import_is_one_commit(content_repo):
    assert git(content_repo, "rev-list", "--count", "HEAD").strip() == "1"
    assert content_repo.list_paths() == ["Home.md", "WG4/Guarantees.md", "WG4/Home.md"]
    assert git(content_repo, "fsck", "--strict") == ""


def test_write_is_one_commit_with_the_real_author(content_repo):
    rev = content_repo.write("WG4/Ünnep.md", "szia\n", author=ANNA, message="Első változat")
    log = git(content_repo, "log", "-1", "--format=%an|%ae|%s", "HEAD")
    assert log.strip() == "Anna Ő|anna@example.org|Első változat"
    assert rev.id == content_repo.head()
    assert content_repo.read("WG4/Ünnep.md") == "szia\n"
    assert "WG4/Ünnep.md" in git(content_repo, "ls-tree", "-r", "--name-only", "-z", "HEAD")
    assert git(content_repo, "fsck", "--strict") == ""


def test_unchanged_text_makes_no_commit(content_repo):
    head = content_repo.head()
    assert (
        content_repo.write(
            "Home.md",
            content_repo.read("Home.md"),
            author=ANNA,
            message="nothing",
            base_revision=head,
        )
        is None
    )
    assert content_repo.head() == head


def test_crlf_from_browsers_is_stored_as_lf(content_repo):
    content_repo.write("A.md", "one\r\ntwo\r\n", author=ANNA, message="m")
    assert content_repo.read("A.md") == "one\ntwo\n"


def test_read_old_revision_and_missing(content_repo):
    first = content_repo.head()
    content_repo.write("Home.md", "changed\n", author=ANNA, message="m", base_revision=first)
    assert content_repo.read("Home.md", first).startswith("# Home")
    with pytest.raises(PageNotFound):
        content_repo.read("Nope.md")
    with pytest.raises(PageNotFound):
        content_repo.read("Home.md", "0" * 40)


@pytest.mark.parametrize("rev", ["HEAD~1", "--all", "main", "abc", "-n1", "a" * 41, "HEAD^{tree}"])
def test_revisions_outside_the_allow_list_are_refused(content_repo, rev):
    with pytest.raises(InvalidRevision):
        content_repo.read("Home.md", rev)


@pytest.mark.parametrize(
    "path", ["../x.md", "/etc/passwd", "a/../../x.md", ".git/config", "a//b.md", "x\\y.md"]
)
def test_paths_outside_the_repository_are_refused(content_repo, path):
    with pytest.raises(StorageError):
        content_repo.write(path, "x", author=ANNA, message="m")


def test_concurrent_edit_of_different_lines_merges(content_repo):
    base = content_repo.write("P.md", "one\ntwo\nthree\n", author=ANNA, message="m").id
    content_repo.write("P.md", "ONE\ntwo\nthree\n", author=BEN, message="ben", base_revision=base)
    rev = content_repo.write(
        "P.md", "one\ntwo\nTHREE\n", author=ANNA, message="anna", base_revision=base
    )
    assert content_repo.read("P.md") == "ONE\ntwo\nTHREE\n"
    assert rev.merged_with == ("Ben",)


def test_concurrent_edit_of_the_same_line_is_a_conflict(content_repo):
    base = content_repo.write("P.md", "one\ntwo\n", author=ANNA, message="m").id
    content_repo.write("P.md", "uno\ntwo\n", author=BEN, message="ben", base_revision=base)
    head = content_repo.head()
    with pytest.raises(EditConflict) as err:
        content_repo.write("P.md", "eins\ntwo\n", author=ANNA, message="anna", base_revision=base)
    assert err.value.current_text == "uno\ntwo\n"
    assert err.value.current_revision == head
    assert err.value.authors == ["Ben"]
    assert content_repo.head() == head  # nothing written


def test_creating_a_page_someone_else_just_created_is_a_conflict(content_repo):
    content_repo.write("New.md", "theirs\n", author=BEN, message="m")
    with pytest.raises(EditConflict):
        content_repo.write("New.md", "mine\n", author=ANNA, message="m", base_revision=None)


def test_editing_a_page_deleted_meanwhile_is_a_conflict(content_repo):
    base = content_repo.head()
    content_repo.delete("Home.md", author=BEN, message="gone")
    with pytest.raises(EditConflict):
        content_repo.write("Home.md", "mine\n", author=ANNA, message="m", base_revision=base)


def test_rename_keeps_history_and_is_one_commit(content_repo):
    content_repo.write(
        "WG4/Home.md", "v2\n", author=ANNA, message="edit", base_revision=content_repo.head()
    )
    before = int(git(content_repo, "rev-list", "--count", "HEAD"))
    content_repo.rename("WG4/Home.md", "WG2/Renamed.md", author=BEN, message="move")
    assert int(git(content_repo, "rev-list", "--count", "HEAD")) == before + 1
    history = content_repo.history("WG2/Renamed.md")
    assert [r.message for r in history] == ["move", "edit", "seed"]
    assert history[0].status == "R" and history[0].old_path == "WG4/Home.md"
    assert history[2].path == "WG4/Home.md"
    assert content_repo.renamed_to("WG4/Home.md") == "WG2/Renamed.md"


def test_rename_onto_an_existing_page_is_refused(content_repo):
    with pytest.raises(StorageError):
        content_repo.rename("Home.md", "WG4/Home.md", author=ANNA, message="m")


def test_delete_keeps_history(content_repo):
    rev = content_repo.delete("WG4/Guarantees.md", author=BEN, message="obsolete")
    assert not content_repo.exists("WG4/Guarantees.md")
    history = content_repo.history("WG4/Guarantees.md")
    assert history[0].id == rev.id and history[0].status == "D"
    assert content_repo.read("WG4/Guarantees.md", history[1].id).startswith("# Guarantees")


def test_deleting_the_last_file_of_a_folder_removes_the_folder(content_repo):
    content_repo.delete("WG4/Guarantees.md", author=BEN, message="m")
    content_repo.delete("WG4/Home.md", author=BEN, message="m")
    assert git(content_repo, "ls-tree", "--name-only", "HEAD").split() == ["Home.md"]


def test_history_pagination_and_recent(content_repo):
    for i in range(7):
        content_repo.write(
            "Home.md",
            f"v{i}\n",
            author=ANNA,
            message=f"edit {i}",
            base_revision=content_repo.head(),
        )
    page1 = content_repo.history("Home.md", limit=3)
    page2 = content_repo.history("Home.md", limit=3, offset=3)
    assert [r.message for r in page1] == ["edit 6", "edit 5", "edit 4"]
    assert [r.message for r in page2] == ["edit 3", "edit 2", "edit 1"]
    recent = content_repo.history(None, limit=2)
    assert [r.message for r in recent] == ["edit 6", "edit 5"]


def test_revision_table_catches_up_with_commits_made_outside(content_repo, tmp_path):
    work = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(content_repo.root), str(work)], check=True)
    (work / "Pushed.md").write_text("from a clone\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Cli User",
        "GIT_AUTHOR_EMAIL": "c@x",
        "GIT_COMMITTER_NAME": "Cli User",
        "GIT_COMMITTER_EMAIL": "c@x",
    }
    subprocess.run(["git", "-C", str(work), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(work), "commit", "-qm", "offline work"], check=True, env=env)
    subprocess.run(["git", "-C", str(work), "push", "-q", "origin", "main"], check=True)
    history = content_repo.history("Pushed.md")
    assert [(r.author.name, r.message) for r in history] == [("Cli User", "offline work")]
    assert content_repo.read("Pushed.md") == "from a clone\n"


def test_revision_table_rebuilds_identically(content_repo):
    content_repo.write("A.md", "a\n", author=ANNA, message="a")
    content_repo.rename("A.md", "B.md", author=ANNA, message="mv")
    before = [(r.id, r.status, r.path, r.old_path) for r in content_repo.history("B.md")]
    (content_repo.root / "wiki" / "revindex.sqlite").unlink()
    fresh = Storage(content_repo.root)
    assert [(r.id, r.status, r.path, r.old_path) for r in fresh.history("B.md")] == before
    fresh.close()


def test_threads_saving_the_same_page_lose_nothing(content_repo):
    """Every accepted save is in history, every other one was reported as a conflict."""
    base = content_repo.write(
        "Race.md", "\n".join(f"line {i}" for i in range(40)) + "\n", author=ANNA, message="base"
    ).id
    outcomes = []
    lock = threading.Lock()

    def worker(n):
        lines = content_repo.read("Race.md", base).split("\n")
        lines[n * 3] = f"changed by {n}"  # different lines: all should merge
        try:
            rev = content_repo.write(
                "Race.md",
                "\n".join(lines),
                author=Author(f"W{n}", "w@x"),
                message=f"worker {n}",
                base_revision=base,
            )
            result = ("saved", rev.id)
        except EditConflict:
            result = ("conflict", None)
        with lock:
            outcomes.append((n, *result))

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    saved = {rev for _, kind, rev in outcomes if kind == "saved"}
    in_history = {r.id for r in content_repo.history("Race.md", limit=100)}
    assert saved <= in_history
    final = content_repo.read("Race.md")
    for n, kind, _ in outcomes:
        assert (f"changed by {n}" in final) == (kind == "saved")
    assert len(saved) == 8  # disjoint lines all merge
    assert git(content_repo, "fsck", "--strict") == ""


def _process_writer(root, n, count):
    storage = Storage(root)
    for i in range(count):
        storage.write(
            f"P{n}.md",
            f"process {n} edit {i}\n",
            author=Author(f"P{n}", "p@x"),
            message=f"p{n} e{i}",
            base_revision=storage.head(),
        )
    storage.close()


def test_processes_writing_at_once_lose_no_commit(content_repo):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(content_repo.root, n, 5)) for n in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert int(git(content_repo, "rev-list", "--count", "HEAD")) == 1 + 4 * 5
    messages = {r.message for r in content_repo.history(None, limit=100)}
    assert {f"p{n} e{i}" for n in range(4) for i in range(5)} <= messages
    assert git(content_repo, "fsck", "--strict") == ""


def test_a_stale_ref_lock_does_not_block_the_wiki_forever(content_repo):
    lock = content_repo.root / "refs" / "heads" / "main.lock"
    lock.write_text("left by a crashed git\n")
    old = time.time() - 3600
    os.utime(lock, (old, old))
    rev = content_repo.write(
        "Home.md", "after crash\n", author=ANNA, message="m", base_revision=content_repo.head()
    )
    assert rev is not None and content_repo.read("Home.md") == "after crash\n"


def test_a_fresh_ref_lock_is_respected(content_repo):
    lock = content_repo.root / "refs" / "heads" / "main.lock"
    lock.write_text("someone is writing\n")
    with pytest.raises(StorageError):
        content_repo.write(
            "Home.md", "x\n", author=ANNA, message="m", base_revision=content_repo.head()
        )
    lock.unlink()


def test_merge3():
    assert merge3("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n") == ("A\nb\nC\n", True)
    text, clean = merge3("a\n", "b\n", "c\n")
    assert not clean and "<<<<<<<" in text


def test_missing_repository_gives_a_clear_error(tmp_path):
    with pytest.raises(StorageError) as err:
        Storage(tmp_path / "nothing")
    assert "wiki init" in err.value.message


def test_author_identity_is_sanitized():
    author = Author("Evil <x@y>\nname", "a<b>@c\n")
    assert "<" not in author.name and "\n" not in author.name
    assert "<" not in author.email and "\n" not in author.email


def test_change_at_follows_renames_back_to_the_name_then(content_repo):
    first = content_repo.write("A.md", "one\n", author=ANNA, message="a")
    second = content_repo.write("A.md", "two\n", author=BEN, message="a2", base_revision=first.id)
    moved = content_repo.rename("A.md", "B.md", author=ANNA, message="mv")
    third = content_repo.write("B.md", "three\n", author=BEN, message="b", base_revision=moved.id)
    again = content_repo.rename("B.md", "A.md", author=ANNA, message="back")
    other = content_repo.write(
        "Home.md", "x\n", author=ANNA, message="elsewhere", base_revision=again.id
    )
    seen = {
        rev: content_repo.change_at("A.md", rev.id)
        for rev in (first, second, moved, third, again, other)
    }
    assert [(c.path, c.status) if c else None for c in seen.values()] == [
        ("A.md", "A"),
        ("A.md", "M"),
        ("B.md", "R"),
        ("B.md", "M"),
        ("A.md", "R"),
        None,
    ]
    assert seen[second].author == BEN and seen[moved].old_path == "A.md"
    # the same answers as walking the whole history
    walked = {r.id: r.path for r in content_repo.history("A.md", limit=100)}
    assert {r.id: c.path for r, c in seen.items() if c} == walked
    assert content_repo.change_at("A.md", "0" * 40) is None


def test_head_is_read_through_git_where_refs_are_not_files(content_repo):
    """git's reftable format keeps no loose ref files: `refs/heads` is a stub file there."""
    expected = content_repo.head()
    heads = content_repo.git_dir / "refs" / "heads"
    packed = git(content_repo, "pack-refs", "--all")  # main now lives in packed-refs only
    assert packed == "" and not (heads / "main").exists()
    assert content_repo.head() == expected
    heads.rmdir()
    heads.write_text("this repository uses the reftable format\n")  # reftable's stub
    content_repo.head()  # no crash: git is asked (this machine's git may not read reftable)
    assert content_repo.branch._reftable
    heads.unlink()
    heads.mkdir()
    content_repo.branch._reftable = True  # as a repository with a reftable/ folder is opened
    assert content_repo.head() == expected
    rev = content_repo.write("New.md", "x\n", author=ANNA, message="m")
    assert content_repo.head() == rev.id == git(content_repo, "rev-parse", "main").strip()


def _loose_and_packs(storage) -> tuple[int, int]:
    counts = dict(line.split(": ") for line in git(storage, "count-objects", "-v").splitlines())
    return int(counts["count"]), int(counts["packs"])


def test_saves_are_packed_in_the_background(content_repo):
    content_repo.packer.every, content_repo.packer.gc_auto = 5, 10
    content_repo.packer._since = 0
    base = content_repo.head()
    for i in range(4):
        base = content_repo.write(
            f"P{i}.md", f"page {i}\n", author=ANNA, message="m", base_revision=base
        ).id
    assert content_repo.packer.thread is None  # not yet: four commits
    loose_before, _ = _loose_and_packs(content_repo)
    assert loose_before >= 12
    content_repo.write("P4.md", "page 4\n", author=ANNA, message="m", base_revision=base)
    content_repo.packer.thread.join(30)
    loose, packs = _loose_and_packs(content_repo)
    assert packs >= 1 and loose < 10
    assert content_repo.read("P3.md") == "page 3\n"  # still readable from the pack
    rev = content_repo.write("P5.md", "x\n", author=ANNA, message="m")
    assert content_repo.head() == rev.id and git(content_repo, "fsck", "--strict") == ""


def test_changes_of_commits_made_here_are_known_without_asking_git(content_repo, monkeypatch):
    start = content_repo.head()
    one = content_repo.write("A.md", "a\n", author=ANNA, message="m", base_revision=start)
    two = content_repo.write("WG4/B.md", "b\n", author=ANNA, message="m", base_revision=one.id)
    by_git = content_repo.changed_paths(start, two.id)

    def no_git(*args, **kwargs):
        raise AssertionError("git was asked")

    monkeypatch.setattr(content_repo, "_git", no_git)
    monkeypatch.setattr(content_repo, "_is_ancestor", no_git)
    assert (
        sorted(content_repo.changed_paths(start, two.id)) == sorted(by_git) == ["A.md", "WG4/B.md"]
    )
    assert content_repo.changed_paths(one.id, two.id) == ["WG4/B.md"]
    assert content_repo.changed_paths(two.id, two.id) == []
    monkeypatch.undo()
    assert content_repo.changed_paths(two.id, start) is None  # not an ancestor: git says so
