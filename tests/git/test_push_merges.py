"""A push is judged by what lands on main, merges included: a merge may not revert, delete or
restore pages in spaces the pusher may not write, whatever parents it claims. Gus is a reader
who is a member of WG2 only (he reads every space, so he may clone and push)."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from urllib.parse import quote

import pytest

from tests.git.conftest import git
from tests.served import PASSWORD

pytestmark = pytest.mark.slow


def api(served, path, *, user="ada", method="GET", data=None):
    token = base64.b64encode(f"{user}:{PASSWORD}".encode()).decode()
    request = urllib.request.Request(
        served.base + quote(path, safe="/?=&"),
        method=method,
        headers={"Authorization": f"Basic {token}", "Content-Type": "application/json"},
        data=json.dumps(data).encode() if data else None,
    )
    with urllib.request.urlopen(request, timeout=20) as response:
        return json.loads(response.read())


def web_save(served, name, text):
    """A save in the browser by Ada (admin): one commit on main."""
    current = None
    try:
        current = api(served, f"/-/api/v1/pages/{name}")["revision"]
    except urllib.error.HTTPError:
        pass
    return api(
        served,
        f"/-/api/v1/pages/{name}",
        method="PUT",
        data={"content": text, "base_revision": current},
    )["revision"]


def gus_clone(clone, served):
    return clone("gus", "Administrator")  # a git author name anyone can write


def head(served) -> str:
    with urllib.request.urlopen(served.base + "/-/health", timeout=10) as response:
        return json.loads(response.read())["head"]


def push(repo, commit):
    return git("push", "origin", f"{commit}:refs/heads/main", cwd=repo, check=False)


def commit_tree(repo, *parents, message="Merge"):
    """A commit of the index's tree with these parents (what a merge claims)."""
    tree = git("write-tree", cwd=repo).stdout.strip()
    args = ["commit-tree", tree, "-m", message]
    for parent in parents:
        args += ["-p", parent]
    return git(*args, cwd=repo).stdout.strip()


def test_a_merge_that_deletes_a_page_of_another_space_is_refused(served, clone):
    web_save(served, "WG1/Merge target", "# Merge target\n\nWG1's own text.\n")
    repo = gus_clone(clone, served)
    before = head(served)
    # main, and the commit before the page existed: the merge "takes" its absence
    git("rm", "-q", "--cached", "WG1/Merge target.md", cwd=repo)
    merge = commit_tree(repo, "HEAD", "HEAD~1")
    r = push(repo, merge)
    assert r.returncode != 0
    assert "WG1/Merge target.md" in r.stderr and "may not write in the space WG1" in r.stderr
    assert "drops a change" in r.stderr
    assert head(served) == before
    assert api(served, "/-/api/v1/pages/WG1/Merge target")["content"].endswith("own text.\n")


def test_a_merge_that_reverts_a_page_of_another_space_is_refused(served, clone):
    web_save(served, "Public/Revert me", "# Revert me\n\nFirst version.\n")
    web_save(served, "Public/Revert me", "# Revert me\n\nSecond version, agreed.\n")
    repo = gus_clone(clone, served)
    git("checkout", "HEAD~1", "--", "Public/Revert me.md", cwd=repo)
    merge = commit_tree(repo, "HEAD", "HEAD~1")
    r = push(repo, merge)
    assert r.returncode != 0
    assert "Public/Revert me.md" in r.stderr and "may not write in the space Public" in r.stderr
    assert "agreed" in api(served, "/-/api/v1/pages/Public/Revert me")["content"]


def test_a_merge_that_restores_a_deleted_page_of_another_space_is_refused(served, clone):
    web_save(served, "WG1/Withdrawn draft", "# Withdrawn draft\n\nWithdrawn.\n")
    api(served, "/-/api/v1/pages/WG1/Withdrawn draft", method="DELETE")
    repo = gus_clone(clone, served)
    git("checkout", "HEAD~1", "--", "WG1/Withdrawn draft.md", cwd=repo)
    merge = commit_tree(repo, "HEAD", "HEAD~1")
    r = push(repo, merge)
    assert r.returncode != 0 and "WG1/Withdrawn draft.md" in r.stderr
    with pytest.raises(urllib.error.HTTPError):
        api(served, "/-/api/v1/pages/WG1/Withdrawn draft")


def test_a_merge_with_an_empty_tree_and_an_unrelated_root_is_refused(served, clone):
    repo = gus_clone(clone, served)
    before = head(served)
    git("rm", "-q", "-r", "--cached", ".", cwd=repo)
    root = commit_tree(repo, message="An unrelated, empty history")
    merge = commit_tree(repo, "HEAD", root)
    r = push(repo, merge)
    assert r.returncode != 0
    assert "without parents" in r.stderr
    assert "may not write" in r.stderr
    assert head(served) == before
    assert api(served, "/-/api/v1/pages/Home")["content"]


def test_a_revert_undone_again_inside_the_same_push_is_refused(served, clone):
    # the final tree equals main, but history would show a revert of a Public page by Gus
    web_save(served, "Public/Twice", "# Twice\n\nOne.\n")
    web_save(served, "Public/Twice", "# Twice\n\nTwo.\n")
    repo = gus_clone(clone, served)
    main = git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    git("checkout", "HEAD~1", "--", "Public/Twice.md", cwd=repo)
    reverting = commit_tree(repo, main, f"{main}~1")
    git("checkout", main, "--", "Public/Twice.md", cwd=repo)
    undoing = commit_tree(repo, reverting, main)
    r = push(repo, undoing)
    assert r.returncode != 0 and "Public/Twice.md" in r.stderr and reverting[:8] in r.stderr


def test_a_legitimate_merge_lands_and_shows_in_history_with_the_pushing_account(served, clone):
    repo = gus_clone(clone, served)
    path = repo / "WG2" / "Home.md"
    path.write_text(path.read_text() + "\nA line from Gus's clone.\n")
    git("commit", "-q", "-am", "WG2: a line", cwd=repo)
    local = git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    web_save(served, "WG1/Meanwhile", "# Meanwhile\n\nA web edit in WG1.\n")
    git("fetch", "-q", "origin", cwd=repo)
    # merged into main (main as the first parent): the merge brings Gus's change
    git("checkout", "-q", "-B", "merging", "origin/main", cwd=repo)
    git("merge", "-q", "--no-ff", "-m", "Merge Gus's WG2 work", local, cwd=repo)
    merge = git("rev-parse", "HEAD", cwd=repo).stdout.strip()
    r = push(repo, "HEAD")
    assert r.returncode == 0, r.stderr
    assert head(served) == merge
    history = api(served, "/-/api/v1/pages/WG2/Home/history?limit=5")
    ids = [h["revision"] for h in history]
    assert merge in ids and local in ids  # the merge changed WG2/Home on main: it is listed
    entry = history[ids.index(merge)]
    assert entry["author"] == "Administrator"
    assert entry["account"] == "gus" and entry["via"] == "push"  # not "Administrator"
    recent = api(served, "/-/api/v1/pages/WG1/Meanwhile/history?limit=1")[0]
    assert recent["account"] == "ada" and recent["via"] == "web"
