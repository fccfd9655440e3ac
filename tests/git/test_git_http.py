"""Real `git clone`, `git pull` and `git push` against the wiki served on 127.0.0.1."""

from __future__ import annotations

import base64
import json
import threading
import urllib.error
import urllib.request
from urllib.parse import quote

from tests.git.conftest import git
from tests.served import PASSWORD


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


def write(repo, path, text):
    target = repo / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def test_anonymous_clone_needs_a_login_while_spaces_are_not_public(served, tmp_path):
    r = git("clone", served.url(), str(tmp_path / "anon"), cwd=tmp_path, check=False)
    assert r.returncode != 0 and not (tmp_path / "anon" / "Home.md").exists()


def test_anonymous_info_refs_is_a_401_challenge(served):
    try:
        urllib.request.urlopen(served.base + "/-/git/content.git/info/refs?service=git-upload-pack")
    except urllib.error.HTTPError as error:
        assert error.code == 401 and "Basic" in error.headers["WWW-Authenticate"]
        assert "personal token" in error.read().decode()
    else:
        raise AssertionError("expected 401")


def test_clone_with_password_or_token_and_everyone_when_all_is_public(served, tmp_path):
    git("clone", served.url("gus"), str(tmp_path / "by-password"), cwd=tmp_path)
    assert (tmp_path / "by-password" / "WG4" / "Home.md").is_file()
    secret = _token(served, "gus")
    git("clone", served.url("gus", secret), str(tmp_path / "by-token"), cwd=tmp_path)
    assert (tmp_path / "by-token" / "Public" / "Home.md").is_file()
    for n in range(1, 7):
        served.cli("space", "set", f"WG{n}", "--read", "anonymous")
    try:
        git("clone", served.url(), str(tmp_path / "anonymous"), cwd=tmp_path)
        assert (tmp_path / "anonymous" / "Home.md").is_file()
    finally:
        for n in range(1, 7):
            served.cli("space", "set", f"WG{n}", "--read", "registered")


def _token(served, user):
    if user not in served.tokens:
        from wiki.access.users import UserStore

        store = UserStore(served.tmp / "instance" / "users.sqlite")
        served.tokens[user], _ = store.create_token(user, "git")
        store.close()
    return served.tokens[user]


def test_who_may_not_read_every_space_may_not_clone_and_is_told_why(served, tmp_path):
    served.cli("space", "set", "WG6", "--read", "members")
    try:
        r = git("clone", served.url("gus"), str(tmp_path / "c"), cwd=tmp_path, check=False)
        assert r.returncode != 0
        assert "may not read every space" in r.stderr
        git("clone", served.url("ada"), str(tmp_path / "admin"), cwd=tmp_path)  # admins read all
    finally:
        served.cli("space", "set", "WG6", "--read", "registered")


def test_a_members_push_to_its_space_lands_and_is_searchable(served, clone):
    repo = clone()
    write(
        repo,
        "WG4/Mikrohitel program.md",
        "---\ntype: best-practice\nwg: WG4\n---\n# Mikrohitel program\n\nA zygomorphic "
        "microcredit scheme for cluster members.\n",
    )
    git("add", "-A", cwd=repo)
    git("commit", "-m", "WG4: microcredit practice", cwd=repo)
    r = git("push", "origin", "main", cwd=repo)
    assert "main -> main" in r.stderr
    found = api(served, "/-/api/v1/search?q=zygomorphic")  # indexed before the push returned
    assert [h["name"] for h in found["results"]] == ["WG4/Mikrohitel program"]
    recent = api(served, "/-/api/v1/pages/WG4/Mikrohitel program/history")
    assert recent[0]["author"] == "Maria Rossi"
    assert recent[0]["message"] == "WG4: microcredit practice"
    page = api(served, "/-/api/v1/pages/WG4/Mikrohitel program")
    assert page["meta"]["type"] == "best-practice"


def test_a_push_touching_another_space_is_refused_with_its_reason(served, clone):
    repo = clone()
    write(repo, "WG4/Fine.md", "# Fine\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "fine", cwd=repo)
    write(repo, "WG2/Home.md", "# Taken over\n")
    git("commit", "-am", "not mine", cwd=repo)
    head_before = api(served, "/-/health")["head"]
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0
    assert "remote:" in r.stderr and "WG2/Home.md: maria may not write in the space WG2" in r.stderr
    assert api(served, "/-/health")["head"] == head_before  # nothing of it landed


def test_a_pushed_record_with_a_value_of_the_wrong_kind_is_refused(served, clone):
    """Records are checked against their type (Types/ of the pushed commit) on a push
    too: a value outside its list refuses the push naming the field; a record that only
    lacks required fields lands (drafts)."""
    repo = clone()
    write(
        repo,
        "WG4/Bad practice.md",
        "---\ntype: best-practice\nwg: WG4\ncountry: Atlantis\nreview_state: done\n---\n"
        "# Bad practice\n",
    )
    git("add", "-A", cwd=repo)
    git("commit", "-m", "bad record", cwd=repo)
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0
    assert "WG4/Bad practice.md" in r.stderr and "Country: 'Atlantis'" in r.stderr
    assert "Review state" in r.stderr and "(line 5)" in r.stderr
    write(
        repo, "WG4/Bad practice.md", "---\ntype: best-practice\nwg: WG4\n---\n# A draft practice\n"
    )
    git("add", "-A", cwd=repo)
    git("commit", "-m", "a draft record", cwd=repo)
    assert "main -> main" in git("push", "origin", "main", cwd=repo).stderr


def test_a_pushed_event_ending_before_it_starts_is_refused(served, clone):
    repo = clone()
    write(
        repo,
        "WG4/Backwards workshop.md",
        "---\ntype: event\nkind: workshop\nstart: 2030-05-14\nend: 2030-05-12\n---\n"
        "# Backwards workshop\n",
    )
    git("add", "-A", cwd=repo)
    git("commit", "-m", "an event", cwd=repo)
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0
    assert "Ends: it is before Starts" in r.stderr and "(line 5)" in r.stderr


def test_force_push_delete_and_other_branches_are_refused(served, clone):
    repo = clone()
    write(repo, "WG4/Forced.md", "# Forced\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "one", cwd=repo)
    git("push", "origin", "main", cwd=repo)
    git("reset", "--hard", "HEAD~1", cwd=repo)
    write(repo, "WG4/Other.md", "# Other\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "rewritten", cwd=repo)
    r = git("push", "--force", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0 and ("fast-forward" in r.stderr or "non-fast-forward" in r.stderr)
    r = git("push", "origin", ":main", cwd=repo, check=False)
    assert r.returncode != 0
    r = git("push", "origin", "HEAD:refs/heads/draft", cwd=repo, check=False)
    assert r.returncode != 0 and "only the main branch" in r.stderr
    assert "WG4/Forced" in api(served, "/-/api/v1/pages")


def test_hostile_names_symlinks_and_bad_pages_are_refused(served, clone):
    repo = clone()
    cases = {
        "WG4/CON.md": "# reserved\n",
        "WG4/a:b.md": "# colon\n",
        "wg4/home.md": "# case clash with WG4/Home.md\n",
        "WG4/Broken front matter.md": "---\ntitle: [unclosed\n---\n# x\n",
        "WG4/-dash.md": "# leading dash\n",
        # a few hundred bytes of nested aliases would expand to gigabytes
        "WG4/Bomb.md": "---\na: &a [x, x, x]\nb: [*a, *a, *a]\n---\n# bomb\n",
    }
    for path, text in cases.items():
        write(repo, path, text)
    (repo / "WG4" / "link.md").symlink_to("/etc/passwd")
    (repo / "WG4" / "big.md").write_bytes(b"# big\n" + b"x" * (1 << 20))
    git("add", "-A", cwd=repo)
    git("commit", "-m", "hostile", cwd=repo)
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0, r.stderr
    for expected in (
        "WG4/CON.md",
        "WG4/a:b.md",
        "wg4/home.md",
        "WG4/Broken front matter.md",
        "WG4/-dash.md",
        "WG4/link.md: symbolic links",
        "WG4/big.md: too large",
        "WG4/Bomb.md",
        "line 2: anchors and aliases",
    ):
        assert expected in r.stderr, (expected, r.stderr)


def test_a_push_racing_web_saves_loses_nothing(served, clone):
    repo = clone()
    saved, errors = [], []
    stop = threading.Event()

    def web_saves():
        n = 0
        while not stop.is_set() and n < 40:
            name = f"WG4/Web race {n}"
            try:
                api(
                    served,
                    f"/-/api/v1/pages/{name}",
                    method="PUT",
                    user="maria",
                    data={"content": f"# Web {n}\n"},
                )
                saved.append(name)
            except Exception as error:  # a 409 would be a loss here
                errors.append(error)
            n += 1
            stop.wait(0.05)  # a busy wiki: a save every few dozen milliseconds

    thread = threading.Thread(target=web_saves)
    thread.start()
    pushed = []
    try:
        for i in range(6):
            write(repo, f"WG4/Pushed {i}.md", f"# Pushed {i}\n")
            git("add", "-A", cwd=repo)
            git("commit", "-m", f"pushed {i}", cwd=repo)
            for _attempt in range(40):
                r = git("push", "origin", "main", cwd=repo, check=False)
                if r.returncode == 0:
                    break
                git("pull", "--rebase", "origin", "main", cwd=repo)
            else:
                raise AssertionError(r.stderr)
            pushed.append(f"WG4/Pushed {i}")
    finally:
        stop.set()
        thread.join()
    assert errors == []
    names = set(api(served, "/-/api/v1/pages"))
    assert set(saved) <= names and set(pushed) <= names
    fsck = git(
        "--git-dir", str(served.tmp / "instance" / "content"), "fsck", "--strict", cwd=served.tmp
    )
    assert fsck.returncode == 0


def test_pull_brings_web_edits_into_a_clone(served, clone):
    repo = clone()
    api(
        served,
        "/-/api/v1/pages/WG4/From the web",
        method="PUT",
        user="maria",
        data={"content": "# From the web\n\nWritten in the browser.\n"},
    )
    git("pull", "--rebase", "origin", "main", cwd=repo)
    assert "Written in the browser." in (repo / "WG4" / "From the web.md").read_text()


def test_a_merge_of_other_spaces_web_edits_is_not_counted_against_the_pusher(served, clone):
    repo = clone()
    write(repo, "WG4/Merged locally.md", "# Merged locally\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "local work", cwd=repo)
    # meanwhile Gus edits his own space (WG2) in the browser
    api(
        served,
        "/-/api/v1/pages/WG2/Gus notes",
        method="PUT",
        user="gus",
        data={"content": "# Gus notes\n"},
    )
    git("pull", "--no-rebase", "--no-edit", "origin", "main", cwd=repo)  # a merge commit
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode == 0, r.stderr
    # but a merge that itself changes WG2 is Maria's change, and refused
    write(repo, "WG4/Second.md", "# Second\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "second", cwd=repo)
    api(
        served,
        "/-/api/v1/pages/WG2/Gus more",
        method="PUT",
        user="gus",
        data={"content": "# More\n"},
    )
    git("fetch", "origin", cwd=repo)
    git("merge", "--no-commit", "origin/main", cwd=repo)
    write(repo, "WG2/Gus more.md", "# Changed in the merge\n")
    git("add", "-A", cwd=repo)
    git("commit", "--no-edit", cwd=repo)
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0 and "WG2/Gus more.md: maria may not write" in r.stderr


def test_pushes_by_readers_who_are_members(served, clone):
    repo = clone("gus", "Gus Kovács")  # a reader, member of WG2
    write(repo, "WG2/Eco cluster.md", "# Eco cluster\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "eco", cwd=repo)
    git("push", "origin", "main", cwd=repo)
    write(repo, "Outside.md", "# Outside spaces: editors only\n")
    git("add", "-A", cwd=repo)
    git("commit", "-m", "outside", cwd=repo)
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0 and "may not write in pages outside the spaces" in r.stderr


def test_a_read_token_clones_and_fetches_but_cannot_push(served, tmp_path):
    from wiki.access.users import UserStore

    store = UserStore(served.tmp / "instance" / "users.sqlite")
    secret, _ = store.create_token("maria", "mirror", scope="read")
    store.close()
    repo = tmp_path / "read-only"
    git("clone", served.url("maria", secret), str(repo), cwd=tmp_path)
    git("fetch", "origin", cwd=repo)
    git("config", "user.name", "Maria Rossi", cwd=repo)
    git("config", "user.email", "maria@example.org", cwd=repo)
    write(repo, "WG4/Read only.md", "# Read only\n")  # her own space: she may write there
    git("add", "-A", cwd=repo)
    git("commit", "-m", "with a read token", cwd=repo)
    head_before = api(served, "/-/health")["head"]
    r = git("push", "origin", "main", cwd=repo, check=False)
    assert r.returncode != 0
    assert api(served, "/-/health")["head"] == head_before
    assert "WG4/Read only" not in api(served, "/-/api/v1/pages")
