"""Accounts: personal tokens, reset links, approval and disabling."""

from __future__ import annotations

import pytest

from wiki.users import AccountError
from wiki.users import UserStore


@pytest.fixture
def users(tmp_path):
    store = UserStore(tmp_path / "users.sqlite", hash_method="pbkdf2:sha256:1000")
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
    users.set_disabled("ana", True)
    assert users.user_for_token(secret) is None
    users.set_disabled("ana", False)
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
