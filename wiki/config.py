"""Configuration keys, their defaults, and validation. Read only in create_app().

Every key can be set in `<instance>/config.py` or as an environment variable
with the `WIKI_` prefix (WIKI_READ_ACCESS=registered). The README has a table of
them; a test keeps it complete.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import N_
from .errors import ConfigError

PROJECT_DIR = Path(__file__).resolve().parent.parent

DEFAULTS: dict[str, Any] = {
    # Secret for signing sessions; generated into <instance>/secret_key when unset.
    "SECRET_KEY": None,
    # The git content repository (bare); default <instance>/content.
    "CONTENT_DIR": None,
    # Folder whose files `wiki init` imports into a new content repository.
    "CONTENT_SOURCE": str(PROJECT_DIR / "content"),
    # The Whoosh search index (rebuildable, never committed); default ./search_index.
    "SEARCH_INDEX_DIR": None,
    # SQLite file holding the accounts; default <instance>/users.sqlite.
    "USERS_DB": None,
    # werkzeug password hash method for new passwords ("scrypt", or "pbkdf2:sha256:600000").
    "PASSWORD_HASH_METHOD": "scrypt",
    # Who may read: "anonymous" (everyone) or "registered" (logged-in users only).
    "READ_ACCESS": "anonymous",
    # The name in the header, the page titles and the Atom feed.
    "SITE_NAME": "SEE Cluster Policy Learning Platform",
    # Language of pages without `lang:` front matter (ISO 639-1 code).
    "DEFAULT_LANGUAGE": "en",
    "DEFAULT_UI_LANGUAGE": "en",  # the interface language when neither user nor browser says
    # Active theme: a folder in THEMES_DIR with templates/ and static/.
    "THEME": "default",
    # Where themes live.
    "THEMES_DIR": str(PROJECT_DIR / "themes"),
    # Largest page that can be saved, in bytes.
    "MAX_PAGE_BYTES": 1 << 20,
    # Revisions per page of history and of recent changes.
    "HISTORY_PAGE_SIZE": 50,
    # Entries in the Atom feed of recent changes.
    "FEED_SIZE": 30,
    # Who may create an account: "off" (admins create them), "approval" (an admin
    # approves each one) or "open" (anyone; new accounts get the reader role).
    "REGISTRATION": "off",
    # Send the session cookie only over HTTPS: "auto" (when the request came over
    # HTTPS), true or false.
    "SESSION_COOKIE_SECURE": "auto",
    # Reverse proxies in front of the wiki whose X-Forwarded-For/-Proto/-Host to trust.
    "TRUSTED_PROXIES": 0,
    # Failed log-ins allowed per account (from anywhere) within LOGIN_WINDOW seconds.
    "LOGIN_ATTEMPTS": 10,
    "LOGIN_WINDOW": 300,
    # Failed log-ins allowed per client address (across accounts) within LOGIN_WINDOW.
    "LOGIN_ATTEMPTS_PER_ADDRESS": 100,
    # Largest file other than a page (attachments) an upload or a push may add, in bytes.
    "MAX_FILE_BYTES": 50 << 20,
    # Largest push over HTTP, in bytes.
    "GIT_MAX_PUSH_BYTES": 256 << 20,
    # Largest total size of the objects one push brings, uncompressed, in bytes.
    "GIT_MAX_UNPACKED_BYTES": 1 << 30,
    # Seconds a client has for each request head, and for each 64 KiB of a request
    # body (slower clients get 408 and are disconnected); `wiki serve` only.
    "BODY_READ_TIMEOUT": 30,
    # Whether pushes may create and update branches other than main (checked the same way).
    "GIT_OTHER_BRANCHES": False,
    # Another git server that mirrors the content both ways (unset: no mirror).
    "UPSTREAM_URL": None,
    # Its branch.
    "UPSTREAM_BRANCH": "main",
    # Shared secret of the sync webhook POST /-/api/v1/sync (unset: no webhook).
    "SYNC_SECRET": None,
    # Seconds between pulls from upstream (0: only on the webhook).
    "SYNC_INTERVAL": 300,
    # Webhook calls within this many seconds of the last sync answer 202 and make one
    # more sync in the background instead of one each.
    "SYNC_COOLDOWN": 10,
    # Mail server for password reset links (unset: the admin copies the link by hand).
    "SMTP_HOST": None,
    "SMTP_PORT": 587,
    # "starttls", "ssl" or "none".
    "SMTP_SECURITY": "starttls",
    "SMTP_USER": None,
    "SMTP_PASSWORD": None,
    # The From: address of mail from the wiki.
    "SMTP_FROM": "wiki@localhost",
    # The wiki's public address for links in mail (unset: the address of the first request).
    "BASE_URL": None,
    # Seconds between rounds of the notification worker (follow commits, send mail; 0: off).
    "NOTIFY_INTERVAL": 60,
}

READ_ACCESS_CHOICES = ("anonymous", "registered")
REGISTRATION_CHOICES = ("off", "approval", "open")
SMTP_SECURITY_CHOICES = ("starttls", "ssl", "none")
INSECURE_KEYS = {"dev", "change-me", "changeme", "secret", ""}


def validate_config(config: Mapping[str, Any]) -> None:
    """Check every key; raise one ConfigError that names every problem.

    :raises ConfigError:
    """
    problems = []
    if config.get("READ_ACCESS") not in READ_ACCESS_CHOICES:
        problems.append(f"READ_ACCESS must be one of {', '.join(READ_ACCESS_CHOICES)}")
    if config.get("REGISTRATION") not in REGISTRATION_CHOICES:
        problems.append(f"REGISTRATION must be one of {', '.join(REGISTRATION_CHOICES)}")
    if config.get("SMTP_SECURITY") not in SMTP_SECURITY_CHOICES:
        problems.append(f"SMTP_SECURITY must be one of {', '.join(SMTP_SECURITY_CHOICES)}")
    if config.get("SESSION_COOKIE_SECURE") not in ("auto", True, False):
        problems.append("SESSION_COOKIE_SECURE must be auto, true or false")
    if config.get("UPSTREAM_URL"):
        from .git.mirror import check_url

        problem = check_url(str(config["UPSTREAM_URL"]))
        if problem:
            problems.append(problem)
    interval = config.get("SYNC_INTERVAL")
    if not isinstance(interval, int) or isinstance(interval, bool) or interval < 0:
        problems.append("SYNC_INTERVAL must be a whole number of seconds (0: webhook only)")
    timeout = config.get("BODY_READ_TIMEOUT")
    if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
        problems.append("BODY_READ_TIMEOUT must be a positive number of seconds")
    cooldown = config.get("SYNC_COOLDOWN")
    if not isinstance(cooldown, int) or isinstance(cooldown, bool) or cooldown < 0:
        problems.append("SYNC_COOLDOWN must be a whole number of seconds (0: none)")
    notify = config.get("NOTIFY_INTERVAL")
    if not isinstance(notify, int | float) or isinstance(notify, bool) or notify < 0:
        problems.append("NOTIFY_INTERVAL must be a number of seconds (0: no background rounds)")
    proxies = config.get("TRUSTED_PROXIES")
    if not isinstance(proxies, int) or isinstance(proxies, bool) or proxies < 0:
        problems.append("TRUSTED_PROXIES must be a whole number (0 without a proxy)")
    for key in (
        "MAX_PAGE_BYTES",
        "HISTORY_PAGE_SIZE",
        "FEED_SIZE",
        "LOGIN_ATTEMPTS",
        "LOGIN_WINDOW",
        "LOGIN_ATTEMPTS_PER_ADDRESS",
        "SMTP_PORT",
        "MAX_FILE_BYTES",
        "GIT_MAX_PUSH_BYTES",
        "GIT_MAX_UNPACKED_BYTES",
    ):
        value = config.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
            problems.append(f"{key} must be a positive whole number")
    theme_dir = Path(str(config.get("THEMES_DIR"))) / str(config.get("THEME"))
    if not (theme_dir / "templates").is_dir():
        problems.append(f"THEME: no templates folder at {theme_dir}")
    key = config.get("SECRET_KEY")
    if key is not None and str(key) in INSECURE_KEYS and not config.get("TESTING"):
        problems.append("SECRET_KEY is a well-known placeholder; set a random value")
    if not str(config.get("SITE_NAME") or "").strip():
        problems.append("SITE_NAME must not be empty")
    if problems:
        raise ConfigError(N_("Invalid configuration: %(problems)s."), problems="; ".join(problems))
