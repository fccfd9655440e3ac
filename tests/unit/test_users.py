"""Accounts: personal tokens, reset links, approval and disabling."""

from __future__ import annotations

import pytest

from wiki.access.users import AccountError
from wiki.access.users import UserStore

FAST = "pbkdf2:sha256:1000"


@pytest.fixture
def users(tmp_path):
    store = UserStore(tmp_path / "users.sqlite", hash_method=FAST)
    store.add("ana", "password-1", role="editor")
    yield store
    store.close()


def test_tokens_authenticate_their_owner_only(users):
    secret, token = users.create_token("ana", "laptop")
    assert secret.startswith("wiki_") and secret.endswith(token.hint)
    assert users.user_for_token(secret).username == "ana"
    assert users.user_for_token(secret, "ANA").username == "ana"
    assert users.user_for_token(secret, "ben") is None
    assert users.user_for_token(secret + "x") is None and users.user_for_token("password-1") is None
    assert users.tokens("ana")[0].last_used is not None
    users.revoke_token("ana", token.id)
    assert users.user_for_token(secret) is None
    with pytest.raises(AccountError):
        users.revoke_token("ana", token.id)


def test_reset_links_work_once_and_expire(users):
    secret = users.create_reset("ana")
    assert users.reset_user(secret).username == "ana"
    with pytest.raises(AccountError, match="8 characters"):
        users.use_reset(secret, "short")
    users.use_reset(secret, "new-password-2")
    assert users.authenticate("ana", "new-password-2") is not None
    with pytest.raises(AccountError, match="expired"):
        users.use_reset(secret, "new-password-3")
    expired = users.create_reset("ana", hours=-1)
    assert users.reset_user(expired) is None
    # a new link replaces the old one
    first, second = users.create_reset("ana"), users.create_reset("ana")
    assert users.reset_user(first) is None and users.reset_user(second) is not None


def test_pending_accounts_cannot_log_in_until_approved(users):
    user = users.add("ben", "password-2", role="reader", pending=True)
    assert user.status == "pending" and not user.is_active
    assert users.authenticate("ben", "password-2") is None
    assert users.authenticate("ben", "password-2", allow_inactive=True).pending
    assert users.load(user.get_id()) is None
    users.approve("ben")
    assert users.authenticate("ben", "password-2").status == "active"


def test_disabling_ends_sessions(users):
    ana = users.by_name("ana")
    assert users.load(ana.get_id()) is not None
    users.set_disabled("ana", True)
    users.set_disabled("ana", False)
    assert users.load(ana.get_id()) is None  # the old session stays ended


def test_an_old_database_gets_the_new_column(tmp_path):
    import sqlite3

    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
        " display_name TEXT NOT NULL, email TEXT NOT NULL, password_hash TEXT NOT NULL,"
        " role TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
        " session_version TEXT NOT NULL, created TEXT NOT NULL)"
    )
    db.execute("INSERT INTO users VALUES (1, 'old', 'Old', 'o@x', 'h', 'editor', 0, 'v', 'now')")
    db.commit()
    db.close()
    store = UserStore(path)
    assert store.by_name("old").status == "active"
    store.close()


@pytest.mark.parametrize(
    "existing, newcomer",
    [("strauss", "strauß"), ("sm", "ſm"), ("sm", "ｓｍ"), ("džemal", "Ǆemal"), ("maria", "MARIA")],
)
def test_a_name_the_wiki_treats_as_taken_is_refused(users, existing, newcomer):
    first = users.add(existing, "password-1", role="reader")
    with pytest.raises(AccountError, match="taken"):
        users.add(newcomer, "password-2", role="reader")
    # every spelling finds the one account: logging in, tokens, reset links
    assert users.by_name(newcomer).id == first.id
    assert users.authenticate(newcomer, "password-1").id == first.id
    secret, _ = users.create_token(newcomer, "laptop")
    assert users.user_for_token(secret, newcomer).id == first.id
    assert users.reset_user(users.create_reset(newcomer)).id == first.id
    assert [u.username for u in users.all()].count(existing) == 1


@pytest.mark.parametrize("name", ["раdmin", "аna", "micro\u03bcser"])
def test_names_mixing_scripts_are_refused(users, name):
    with pytest.raises(AccountError, match="scripts"):
        users.add(name, "password-1")
    assert users.by_name(name) is None


@pytest.mark.parametrize("name", ["kovács", "Παπαδόπουλος", "đorđe"])
def test_names_in_one_script_are_welcome(users, name):
    assert users.add(name, "password-1").username == name


def _old_database(path, *names):
    """An accounts database as the wiki wrote it before names had keys."""
    import sqlite3

    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE users (id INTEGER PRIMARY KEY, username TEXT NOT NULL UNIQUE COLLATE NOCASE,"
        " display_name TEXT NOT NULL, email TEXT NOT NULL, password_hash TEXT NOT NULL,"
        " role TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0,"
        " session_version TEXT NOT NULL, created TEXT NOT NULL)"
    )
    from werkzeug.security import generate_password_hash

    for i, name in enumerate(names, 1):
        db.execute(
            "INSERT INTO users VALUES (?, ?, ?, ?, ?, 'editor', 0, 'v', 'now')",
            (i, name, name, f"{i}@x", generate_password_hash("password-1", FAST)),
        )
    db.commit()
    db.close()


def test_an_old_database_where_two_accounts_share_a_key_keeps_them_apart(tmp_path):
    path = tmp_path / "old.sqlite"
    _old_database(path, "strauss", "strauß", "ana")
    store = UserStore(path)
    # both accounts stay, each with its own password: nothing is merged
    assert store.authenticate("strauss", "password-1").username == "strauss"
    assert store.authenticate("strauß", "password-1").username == "strauß"
    assert store.collisions() == [["strauss", "strauß"]]
    # neither gets membership through the shared name, and no one may be added by it
    assert store.by_name("strauss").ambiguous and store.by_name("strauß").ambiguous
    assert not store.by_name("ana").ambiguous
    with pytest.raises(AccountError, match="same"):
        store.stored_name("Strauss")
    assert store.by_name("STRAUSS") is None  # not exact, and the key is ambiguous
    with pytest.raises(AccountError, match="taken"):
        store.add("STRAUSS", "password-2")
    # disabling one resolves it; enabling it again is refused while the other is active
    store.set_disabled("strauß", True)
    assert store.collisions() == [] and not store.by_name("strauss").ambiguous
    assert store.stored_name("Strauss") == "strauss"
    with pytest.raises(AccountError, match="cannot be enabled"):
        store.set_disabled("strauß", False)
    store.close()
    reopened = UserStore(path)  # opening it again changes nothing
    assert reopened.by_name("strauß").disabled and reopened.collisions() == []
    reopened.close()


def test_read_tokens_and_expiry(users):
    read, token = users.create_token("ana", "backup", scope="read", days=30)
    assert token.scope == "read" and token.expires is not None and not token.expired
    assert users.user_for_token(read).read_only
    write, _ = users.create_token("ana", "ci")
    assert not users.user_for_token(write).read_only
    for bad in ({"scope": "admin"}, {"days": 0}, {"days": 100_000}):
        with pytest.raises(AccountError):
            users.create_token("ana", "x", **bad)
    # a day later than its expiry (the stored date moved back instead of waiting)
    users._db().execute(
        "UPDATE tokens SET expires = '2000-01-01T00:00:00+00:00' WHERE id = ?", (token.id,)
    )
    assert users.user_for_token(read) is None
    assert users.tokens("ana")[-1].expired


def test_disabling_revokes_tokens_for_good(users):
    secret, _ = users.create_token("ana", "laptop")
    reset = users.create_reset("ana")
    users.set_disabled("ana", True)
    assert users.user_for_token(secret) is None
    users.set_disabled("ana", False)
    assert users.user_for_token(secret) is None  # enabling does not bring it back
    assert users.tokens("ana") == [] and users.reset_user(reset) is None


@pytest.mark.parametrize("change", ["logout", "role", "password", "reset", "disable"])
def test_each_change_of_standing_ends_every_session(users, change):
    ana = users.by_name("ana")
    if change == "logout":
        users.end_sessions("ana")
    elif change == "role":
        users.set_role("ana", "reader")
    elif change == "password":
        users.set_password("ana", "password-2")
    elif change == "reset":
        users.use_reset(users.create_reset("ana"), "password-2")
    else:
        users.set_disabled("ana", True)
        users.set_disabled("ana", False)
    assert users.load(ana.get_id()) is None
    users.set_role("ana", users.by_name("ana").role)  # no change: the sessions go on
    assert users.load(users.by_name("ana").get_id()) is not None
