"""Mirroring to another git server (here a local bare repository), both ways."""

from __future__ import annotations

import hashlib
import hmac
import subprocess
import time

import pytest

from tests.conftest import AuthActions
from tests.conftest import csrf_of
from tests.conftest import make_app
from tests.git.conftest import git

SECRET = "a-shared-sync-secret"


@pytest.fixture
def upstream(tmp_path):
    path = tmp_path / "upstream.git"
    git("init", "--bare", "-b", "main", str(path), cwd=tmp_path)
    return path


@pytest.fixture
def mirrored(tmp_path, content_repo, upstream):
    app = make_app(
        tmp_path,
        content_repo,
        UPSTREAM_URL=str(upstream),
        SYNC_SECRET=SECRET,
        SYNC_COOLDOWN=0,
        SYNC_INTERVAL=0,
    )
    yield app
    app.services.mirror.stop()
    app.close()


def upstream_head(upstream):
    proc = subprocess.run(
        ["git", "--git-dir", str(upstream), "rev-parse", "refs/heads/main"],
        capture_output=True,
        text=True,
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def save(client, name, text, app):
    r = AuthActions(client).post(
        f"/-/edit/{name}", {"content": text, "base_revision": app.services.pages.head()}
    )
    assert r.status_code == 302, r.get_data(as_text=True)


def commit_upstream(upstream, tmp_path, files, message="upstream change"):
    work = tmp_path / f"work-{time.monotonic_ns()}"
    git("clone", str(upstream), str(work), cwd=tmp_path)
    git("config", "user.name", "Ivo Upstream", cwd=work)
    git("config", "user.email", "ivo@example.org", cwd=work)
    for path, text in files.items():
        (work / path).parent.mkdir(parents=True, exist_ok=True)
        (work / path).write_text(text)
    git("add", "-A", cwd=work)
    git("commit", "-m", message, cwd=work)
    git("push", "origin", "main", cwd=work)


def sync(client, **headers):
    return client.post("/-/api/v1/sync", headers=headers or {"X-Sync-Secret": SECRET})


def test_every_commit_is_pushed_upstream(mirrored, upstream):
    client = mirrored.test_client()
    AuthActions(client).login("editor")
    save(client, "Home", "# Home\n\nSaved in the wiki.\n", mirrored)
    mirror = mirrored.services.mirror
    assert mirror.wait_idle(20)
    assert upstream_head(upstream) == mirrored.services.pages.head()
    assert mirror.state()["last_push"]


def test_upstream_changes_arrive_on_the_webhook_and_are_searchable(mirrored, upstream, tmp_path):
    client = mirrored.test_client()
    assert sync(client).status_code == 200  # the first sync fills the empty upstream
    commit_upstream(upstream, tmp_path, {"WG4/From upstream.md": "# From upstream\n\nquixotic\n"})
    assert sync(client, **{"X-Sync-Secret": "wrong"}).status_code == 403
    r = client.post("/-/api/v1/sync")
    assert r.status_code == 403
    r = sync(client)
    assert r.status_code == 200 and r.get_json()["result"] == "fast-forward"
    wiki = mirrored.services.pages
    assert wiki.exists("WG4/From upstream")
    assert [h.name for h in wiki.search("quixotic").hits] == ["WG4/From upstream"]
    assert wiki.recent(limit=1)[0].author.name == "Ivo Upstream"


def test_a_github_style_signature_is_accepted(mirrored, upstream):
    client = mirrored.test_client()
    body = b'{"ref": "refs/heads/main"}'
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    r = client.post(
        "/-/api/v1/sync",
        data=body,
        headers={"X-Hub-Signature-256": signature, "Content-Type": "application/json"},
    )
    assert r.status_code == 200
    r = client.post("/-/api/v1/sync", data=body, headers={"X-Hub-Signature-256": "sha256=00"})
    assert r.status_code == 403


def test_a_replayed_signed_call_does_nothing(mirrored, upstream, monkeypatch):
    client = mirrored.test_client()
    mirror = mirrored.services.mirror
    body = b'{"ref": "refs/heads/main", "after": "abc"}'
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    headers = {"X-Hub-Signature-256": signature, "Content-Type": "application/json"}
    assert client.post("/-/api/v1/sync", data=body, headers=headers).status_code == 200
    syncs = []
    monkeypatch.setattr(mirror, "sync", lambda: syncs.append(1))
    r = client.post("/-/api/v1/sync", data=body, headers=headers)
    assert r.status_code == 409 and "replay" in r.get_json()["error"] and syncs == []
    # a delivery id names the call even where the body is the same
    for _ in range(2):
        r = client.post(
            "/-/api/v1/sync", headers={"X-Sync-Secret": SECRET, "X-Gitea-Delivery": "delivery-7"}
        )
    assert r.status_code == 409 and len(syncs) == 1


def test_a_burst_of_calls_makes_one_more_sync_not_one_each(mirrored, upstream, monkeypatch):
    mirrored.config["SYNC_COOLDOWN"] = 60
    client = mirrored.test_client()
    mirror = mirrored.services.mirror
    assert sync(client).status_code == 200
    now, wanted = [], []
    monkeypatch.setattr(mirror, "sync", lambda: now.append(1))
    monkeypatch.setattr(mirror, "sync_soon", lambda: wanted.append(1))
    answers = [sync(client) for _ in range(5)]
    assert {r.status_code for r in answers} == {202}
    assert answers[0].get_json() == {"status": "scheduled"}
    assert now == [] and len(wanted) == 5  # the background worker runs one sync for them


def test_diverged_histories_merge_and_conflicts_keep_both_versions(mirrored, upstream, tmp_path):
    client = mirrored.test_client()
    AuthActions(client).login("admin")
    assert sync(client).status_code == 200
    mirror = mirrored.services.mirror
    wiki = mirrored.services.pages
    # both sides change Home's same line, and different pages
    commit_upstream(
        upstream,
        tmp_path,
        {
            "Home.md": "# Home\n\nWelcome from upstream.\n",
            "Upstream only.md": "# Upstream only\n",
        },
    )
    mirror.stop()  # keep the worker from syncing on its own while we edit
    save(client, "Home", "# Home\n\nWelcome from the wiki.\n", mirrored)
    save(client, "WG4/Wiki only", "# Wiki only\n", mirrored)
    r = sync(client)
    body = r.get_json()
    assert r.status_code == 200 and body["result"] == "merged"
    assert [c["path"] for c in body["conflicts"]] == ["Home.md"]
    copy = body["conflicts"][0]["kept_as"][:-3]
    assert wiki.source("Home") == "# Home\n\nWelcome from the wiki.\n"
    assert wiki.source(copy) == "# Home\n\nWelcome from upstream.\n"
    assert wiki.exists("Upstream only") and wiki.exists("WG4/Wiki only")
    assert upstream_head(upstream) == wiki.head()  # upstream got the merge: next time a ff
    # admins are told, on every page, and can review and dismiss
    page = client.get("/").get_data(as_text=True)
    assert "could not merge" in page
    review = client.get("/-/admin/mirror").get_data(as_text=True)
    assert copy in review and "Home" in review
    token = csrf_of(client)
    assert (
        client.post(
            "/-/admin/mirror/dismiss", data={"path": "Home.md", "csrf_token": token}
        ).status_code
        == 302
    )
    assert "could not merge" not in client.get("/").get_data(as_text=True)
    # syncing goes on
    commit_upstream(upstream, tmp_path, {"Later.md": "# Later\n"})
    assert sync(client).get_json()["result"] == "fast-forward" and wiki.exists("Later")


def test_a_clean_three_way_merge_of_one_page(mirrored, upstream, tmp_path):
    client = mirrored.test_client()
    AuthActions(client).login("editor")
    save(client, "Home", "# Home\n\nline one\n\nline two\n\nline three\n", mirrored)
    mirrored.services.mirror.wait_idle(20)
    assert sync(client).status_code == 200
    mirrored.services.mirror.stop()
    commit_upstream(
        upstream, tmp_path, {"Home.md": "# Home\n\nline one, upstream\n\nline two\n\nline three\n"}
    )
    save(client, "Home", "# Home\n\nline one\n\nline two\n\nline three, wiki\n", mirrored)
    r = sync(client)
    assert r.get_json()["conflicts"] == []
    assert mirrored.services.pages.source("Home") == (
        "# Home\n\nline one, upstream\n\nline two\n\nline three, wiki\n"
    )


def test_the_timer_pulls_without_a_webhook(tmp_path, content_repo, upstream):
    app = make_app(tmp_path, content_repo, UPSTREAM_URL=str(upstream), SYNC_INTERVAL=1)
    try:
        client = app.test_client()
        client.get("/")  # the first request starts the worker
        commit_upstream(upstream, tmp_path, {"Timed.md": "# Timed\n"})
        wiki = app.services.pages
        deadline = time.time() + 15
        while not wiki.exists("Timed") and time.time() < deadline:
            time.sleep(0.2)
        assert wiki.exists("Timed")
    finally:
        app.services.mirror.stop()
        app.close()


def test_an_unreachable_upstream_is_reported_not_fatal(tmp_path, content_repo):
    app = make_app(
        tmp_path,
        content_repo,
        UPSTREAM_URL=str(tmp_path / "gone.git"),
        SYNC_SECRET=SECRET,
        SYNC_INTERVAL=0,
    )
    try:
        client = app.test_client()
        r = sync(client)
        assert r.status_code == 200 and r.get_json()["error"]
        AuthActions(client).login("editor")
        save(client, "Home", "# Still saving\n", app)  # the wiki keeps working
    finally:
        app.services.mirror.stop()
        app.close()


def test_no_webhook_without_an_upstream(client):
    assert client.post("/-/api/v1/sync", headers={"X-Sync-Secret": "x"}).status_code == 404


def test_a_scheduled_sync_pulls_in_the_background(mirrored, upstream, tmp_path):
    client = mirrored.test_client()
    assert sync(client).status_code == 200
    commit_upstream(upstream, tmp_path, {"WG4/Later upstream.md": "# Later\n\nx\n"})
    mirror = mirrored.services.mirror
    mirror.sync_soon()
    assert mirror.wait_idle(20)
    assert mirrored.services.pages.exists("WG4/Later upstream")


def test_requests_arriving_together_start_one_worker(mirrored, monkeypatch):
    import threading as real_threading

    mirror = mirrored.services.mirror
    mirror._thread = None
    started = []
    barrier = real_threading.Barrier(8)

    class CountingThread(real_threading.Thread):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            time.sleep(0.05)  # widens the window between "no worker yet" and "started"

        def start(self):
            started.append(self)
            # the real worker is not needed here

    def first_request():
        barrier.wait()
        mirror.start()

    callers = [real_threading.Thread(target=first_request) for _ in range(8)]
    monkeypatch.setattr("wiki.git.mirror.threading.Thread", CountingThread)  # after: it is global
    for t in callers:
        t.start()
    for t in callers:
        t.join()
    assert len(started) == 1
