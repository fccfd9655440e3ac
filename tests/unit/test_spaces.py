"""Spaces, groups and the one permission decision (`Access`), plus the login throttle."""

from __future__ import annotations

import pytest

from wiki.access.policy import ANONYMOUS
from wiki.access.policy import Who
from wiki.access.spaces import SpaceError
from wiki.access.spaces import SpaceNotFound
from wiki.access.spaces import SpaceStore
from wiki.access.spaces import load_seed
from wiki.access.throttle import LoginThrottle
from wiki.access.throttle import login_keys

USERS = {"ana", "ben", "cleo", "dan"}


@pytest.fixture
def store(tmp_path):
    s = SpaceStore(tmp_path / "users.sqlite", known_user=lambda n: n.casefold() in USERS)
    yield s
    s.close()


READER, EDITOR, ADMIN = Who("ben", "reader"), Who("cleo", "editor"), Who("dan", "admin")
MEMBER = Who("Ana", "reader")  # names compare without case


@pytest.mark.parametrize(
    "read, write, who, may_read, may_write",
    [
        ("anonymous", "editors", ANONYMOUS, True, False),
        ("anonymous", "editors", READER, True, False),
        ("anonymous", "editors", EDITOR, True, True),
        ("anonymous", "editors", MEMBER, True, True),
        ("anonymous", "members", EDITOR, True, False),
        ("registered", "members", ANONYMOUS, False, False),
        ("registered", "members", READER, True, False),
        ("registered", "members", MEMBER, True, True),
        ("registered", "members", ADMIN, True, True),
        ("members", "members", EDITOR, False, False),
        ("members", "editors", EDITOR, False, False),  # writing needs reading
        ("members", "members", MEMBER, True, True),
        ("members", "members", ADMIN, True, True),
    ],
)
def test_space_policies(store, read, write, who, may_read, may_write):
    store.create_space("WG4", actor="t", read=read, write=write)
    store.add_member("WG4", "ana", actor="t")
    access = store.access()
    for name in ("WG4/Home", "wg4/deep/page", "WG4"):  # folder, any case, and the page itself
        assert access.may_read(who, name) is may_read, name
        assert access.may_write(who, name) is may_write, name
    assert ("WG4" in access.hidden_spaces(who)) is (not may_read)


def test_pages_outside_spaces_follow_the_wiki_wide_defaults(store, tmp_path):
    store.create_space("WG4", actor="t", read="members")
    access = store.access()
    assert access.may_read(ANONYMOUS, "Home") and access.may_read(READER, "WG5/Home")
    assert not access.may_write(READER, "Home") and access.may_write(EDITOR, "Home")
    assert not access.may_write(ANONYMOUS, "Home")
    locked = SpaceStore(tmp_path / "users.sqlite", default_read="registered")
    access = locked.access()
    assert not access.may_read(ANONYMOUS, "Home") and access.may_read(READER, "Home")
    assert not access.may_read(ANONYMOUS)  # nothing at all to read
    locked.create_space("Public", actor="t", read="anonymous", write="editors")
    assert locked.access().may_read(ANONYMOUS)  # the public space, though not Home
    assert not locked.access().may_read(ANONYMOUS, "Home")
    locked.close()


def test_groups_give_membership_and_leave_with_it(store):
    store.create_space("WG4", actor="t")
    store.create_group("pannon", actor="t", title="Pannon Business Network")
    store.add_member("WG4", "@pannon", actor="t", kind="group")
    assert not store.access().may_read(READER, "WG4/x")
    store.add_to_group("Pannon", "BEN", actor="t")
    assert store.access().may_write(READER, "WG4/x")
    assert store.access().groups_of("ben") == ["pannon"]
    store.remove_from_group("pannon", "ben", actor="t")
    assert not store.access().may_read(READER, "WG4/x")
    store.add_to_group("pannon", "ben", actor="t")
    store.delete_group("pannon", actor="t")
    assert not store.access().may_read(READER, "WG4/x")
    assert store.get("WG4").members == ()


def test_may_write_somewhere(store):
    store.create_space("WG4", actor="t")
    assert not store.access().may_write(READER)
    store.add_member("WG4", "ben", actor="t")
    assert store.access().may_write(READER) and not store.access().may_write(ANONYMOUS)


@pytest.mark.parametrize("name", ["", "a/b", "..", ".git", "CON", "Home", "x" * 300, "WG4:x"])
def test_space_names_are_top_level_folder_names(store, name):
    with pytest.raises(SpaceError):
        store.create_space(name, actor="t")


def test_bad_changes_are_refused_with_a_reason(store):
    store.create_space("WG4", actor="t")
    with pytest.raises(SpaceError, match="already"):
        store.create_space("wg4", actor="t")
    with pytest.raises(SpaceError, match="read policy"):
        store.create_space("WG5", actor="t", read="friends")
    with pytest.raises(SpaceError, match="write policy"):
        store.update_space("WG4", actor="t", write="anonymous")
    with pytest.raises(SpaceError, match="no user"):
        store.add_member("WG4", "ghost", actor="t")
    with pytest.raises(SpaceError, match="no group"):
        store.add_member("WG4", "ghosts", actor="t", kind="group")
    with pytest.raises(SpaceNotFound):
        store.add_member("WG9", "ana", actor="t")
    store.add_member("WG4", "ana", actor="t")
    with pytest.raises(SpaceError, match="already a member"):
        store.add_member("WG4", "ANA", actor="t")
    with pytest.raises(SpaceError, match="not a member"):
        store.remove_member("WG4", "ben", actor="t")
    with pytest.raises(SpaceError, match="group name"):
        store.create_group("two words", actor="t")


def test_every_change_is_in_the_audit_log(store):
    store.create_space("WG4", actor="ada", read="registered")
    store.update_space("WG4", actor="ada", read="members", title="WG4 Financing")
    store.add_member("WG4", "ana", actor="bob")
    store.remove_member("WG4", "ana", actor="bob")
    store.delete_space("WG4", actor="ada")
    log = store.audit()
    assert [e.action for e in log] == [
        "space.delete",
        "space.member.remove",
        "space.member.add",
        "space.update",
        "space.create",
    ]
    assert log[3].details == "title='WG4 Financing' read=members" and log[3].actor == "ada"
    assert [e.target for e in store.audit(target="WG4")] == ["WG4"] * 5


def test_another_process_sees_changes_at_once(store, tmp_path):
    other = SpaceStore(tmp_path / "users.sqlite", known_user=lambda n: True)
    assert other.access().spaces == {}
    store.create_space("WG4", actor="t")
    assert "wg4" in other.access().spaces
    store.add_member("WG4", "ana", actor="t")
    assert other.access().may_read(MEMBER, "WG4/x")
    other.close()


def test_the_starter_configuration_is_applied_once(store, tmp_path):
    seed = tmp_path / "spaces.yaml"
    seed.write_text(
        "groups:\n  pannon: Pannon\nspaces:\n  Public: {read: anonymous, write: editors}\n"
        "  WG4: {title: Financing, read: registered, members: [ana, '@pannon', nobody]}\n"
    )
    assert store.seed(load_seed(seed), actor="init") == 2
    assert store.get("WG4").members == (("user", "ana"), ("group", "pannon"))
    store.delete_space("Public", actor="admin")
    assert store.seed(load_seed(seed), actor="init") == 0  # an admin's deletion stays
    assert load_seed(tmp_path / "missing.yaml") == {}
    seed.write_text("- a list\n")
    with pytest.raises(SpaceError):
        load_seed(seed)


def test_throttle_limits_per_key_and_window(tmp_path):
    throttle = LoginThrottle(tmp_path / "t.sqlite", limit=3, window=60)
    keys = login_keys("Ana", "10.0.0.1")
    assert keys == ["user:ana", "addr:10.0.0.1"]
    for t in (100, 110, 120):
        assert throttle.retry_after(keys, now=t) == 0
        throttle.failed(keys, now=t)
    assert throttle.retry_after(keys, now=121) == 40  # until the first one is 60 s old
    assert throttle.retry_after(["user:ana"], now=161) == 0
    assert throttle.retry_after(login_keys("ben", "10.0.0.1"), now=121) > 0  # same address
    assert throttle.retry_after(login_keys("ben", "10.0.0.2"), now=121) == 0
    other = LoginThrottle(tmp_path / "t.sqlite", limit=3, window=60)  # another worker
    assert other.retry_after(keys, now=121) > 0
    throttle.clear(["user:ana"])
    assert throttle.retry_after(["user:ana"], now=121) == 0
    throttle.close()
    other.close()
