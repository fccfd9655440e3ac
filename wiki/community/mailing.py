"""Mail about notifications: at once, as a daily or weekly digest, or never, per user.

`schedule()` puts what is due into the mail queue (accounts database): one mail per
user per worker round for "at once", one digest per day or week otherwise, never one
mail per edit (edits of a page count into one notice until it is read). `send_due()`
sends what is queued, composing each mail when it is sent, so that a page the reader
may no longer read is left out and a mail with nothing left is dropped; failures are
retried with growing pauses and shown to administrators (/-/admin/mail). Mails are in
the reader's interface language and carry a one-click unsubscribe address (RFC 8058).
No Flask imports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from collections.abc import Mapping
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate
from email.utils import make_msgid
from typing import Any
from urllib.parse import quote

from itsdangerous import BadSignature
from itsdangerous import URLSafeSerializer

from ..access.policy import Access
from ..access.policy import Who
from ..errors import N_
from ..i18n import catalog_for
from ..mail import mail_configured
from ..mail import send_message
from .store import CommunityStore
from .store import Notice

log = logging.getLogger(__name__)

# what a notice says, in the reader's language (also on /-/notifications)
TEXTS = {
    "new": N_("%(actor)s created %(page)s"),
    "edit": N_("%(actor)s edited %(page)s"),
    "delete": N_("%(actor)s deleted %(page)s"),
    "rename": N_("%(actor)s moved a page to %(page)s"),
    "comment": N_("%(actor)s commented on %(page)s"),
    "reply": N_("%(actor)s answered your comment on %(page)s"),
    "mention": N_("%(actor)s mentioned you on %(page)s"),
    "consultation": N_("%(actor)s opened %(page)s for consultation"),
}


def period_start(mode: str, now: float) -> float:
    """The start of the current day or week (UTC): a digest covers what came before it."""
    moment = datetime.fromtimestamp(now, UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    if mode == "weekly":
        moment -= timedelta(days=moment.weekday())
    return moment.timestamp()


def unsubscribe_token(secret: str, user_id: int) -> str:
    return URLSafeSerializer(secret, salt="unsubscribe").dumps({"u": user_id})


def unsubscribe_user(secret: str, token: str) -> int | None:
    try:
        data = URLSafeSerializer(secret, salt="unsubscribe").loads(token)
    except BadSignature:
        return None
    return data.get("u") if isinstance(data, dict) and isinstance(data.get("u"), int) else None


class Mailer:
    def __init__(
        self,
        store: CommunityStore,
        users,
        access: Callable[[], Access],
        config: Mapping[str, Any],
        base_url: Callable[[], str],
    ) -> None:
        self.store = store
        self.users = users
        self.access = access
        self.config = config
        self.base_url = base_url

    # -- what is due -------------------------------------------------------------------

    def schedule(self, now: float | None = None) -> int:
        """Queue the mails that are due; how many were queued."""
        now = time.time() if now is None else now
        enabled = mail_configured(self.config)
        queued = 0
        for user_id, notices in self.store.unmailed().items():
            user = self.users.get(user_id)
            profile = self.store.profile(user_id)
            unread = [n for n in notices if not n.read]
            seen = [n.id for n in notices if n.read]
            if seen:
                self.store.settle(seen, now)  # read in the wiki before any mail: no mail
            if (
                not enabled
                or user is None
                or not user.is_active
                or not user.email
                or profile.mail == "never"
            ):
                self.store.settle([n.id for n in unread], now)
                continue
            if not unread:
                continue
            if profile.mail == "instant":
                self.store.enqueue(user_id, "instant", [n.id for n in unread], now)
                self.store.settle([n.id for n in unread], now)
                queued += 1
                continue
            start = period_start(profile.mail, now)
            due = [n for n in unread if n.updated < start]
            if due and profile.last_digest < start:
                self.store.enqueue(user_id, profile.mail, [n.id for n in due], now)
                self.store.settle([n.id for n in due], now)
                self.store.save_profile(user_id, last_digest=now)
                queued += 1
        return queued

    # -- sending -----------------------------------------------------------------------

    def send_due(self, now: float | None = None) -> int:
        """Send the queued mails whose time has come; how many went."""
        now = time.time() if now is None else now
        sent = 0
        for mail in self.store.due(now):
            user = self.users.get(mail.user_id)
            if user is None or not user.is_active or not user.email:
                self.store.mail_dropped(mail.id, "the account is gone, disabled or has no e-mail")
                continue
            if self.store.profile(mail.user_id).mail == "never":
                self.store.mail_dropped(mail.id, "the reader turned e-mail off")
                continue
            notices = self.readable(user, self.store.notices_by_id(mail.notices))
            if not notices:
                self.store.mail_dropped(mail.id, "nothing in it may be read by the reader now")
                continue
            message = self.compose(user, mail.kind, notices)
            problem = send_message(self.config, message)
            if problem is None:
                self.store.mail_sent(mail.id, str(message["Subject"]), user.email, now)
                sent += 1
            else:
                self.store.mail_failed(mail.id, str(message["Subject"]), user.email, problem, now)
        return sent

    def readable(self, user, notices: list[Notice]) -> list[Notice]:
        """The notices whose page the user may read now."""
        snapshot = self.access()
        who = Who(user.username, user.role, ambiguous=user.ambiguous)
        return [n for n in notices if snapshot.may_read(who, n.page)]

    def compose(self, user, kind: str, notices: list[Notice]) -> EmailMessage:
        language = user.ui_language or self.config.get("DEFAULT_UI_LANGUAGE") or "en"
        catalog = catalog_for(language)
        # named as pybabel looks for them, so that these texts reach the catalogs
        gettext, ngettext = catalog.ugettext, catalog.ungettext
        site = self.config.get("SITE_NAME", "Wiki")
        base = self.base_url().rstrip("/")
        count = len(notices)
        if kind == "instant" and count == 1:
            subject = describe(notices[0], gettext, self.display_name)
        elif kind == "daily":
            subject = ngettext(
                "Your daily digest from %(site)s: %(num)s notification",
                "Your daily digest from %(site)s: %(num)s notifications",
                count,
            ) % {"site": site, "num": count}
        elif kind == "weekly":
            subject = ngettext(
                "Your weekly digest from %(site)s: %(num)s notification",
                "Your weekly digest from %(site)s: %(num)s notifications",
                count,
            ) % {"site": site, "num": count}
        else:
            subject = ngettext(
                "%(num)s notification from %(site)s", "%(num)s notifications from %(site)s", count
            ) % {"site": site, "num": count}
        lines = [gettext("Hello %(name)s,") % {"name": user.display_name}, ""]
        for notice in notices:
            lines.append("- " + describe(notice, gettext, self.display_name))
            if notice.excerpt:
                lines.append("  " + _quoted(notice.excerpt))
            lines.append("  " + base + notice_path(notice))
        token = unsubscribe_token(self.config["SECRET_KEY"], user.id)
        stop = f"{base}/-/unsubscribe/{token}"
        lines += [
            "",
            "-- ",
            gettext("You get these e-mails because you watch pages on %(site)s.") % {"site": site},
            gettext("Choose what you hear about and how often: %(url)s")
            % {"url": base + "/-/notifications/settings"},
            gettext("Stop all e-mails from this wiki: %(url)s") % {"url": stop},
        ]
        message = EmailMessage()
        message["From"] = self.config.get("SMTP_FROM") or "wiki@localhost"
        message["To"] = user.email
        message["Subject"] = subject
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = make_msgid(domain="wiki.local")
        message["Auto-Submitted"] = "auto-generated"
        message["List-Unsubscribe"] = f"<{stop}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content("\n".join(lines) + "\n")
        return message

    def display_name(self, username: str) -> str:
        user = self.users.by_name(username) if username else None
        return user.display_name if user is not None else username


def describe(notice: Notice, t, display_name) -> str:
    """What happened, in one line (translated by `t`)."""
    text = t(TEXTS.get(notice.kind, TEXTS["edit"])) % {
        "actor": display_name(notice.actor),
        "page": notice.page,
    }
    if notice.kind == "edit" and notice.count > 1:
        text += " " + t("(%(num)s changes)") % {"num": notice.count}
    return text


def notice_path(notice: Notice) -> str:
    """Where a notice leads: the comment, or the page (for an edit, its changes)."""
    path = "/" + quote(notice.page)
    if notice.comment:
        return path + "#c-" + notice.comment
    if notice.kind in ("edit", "rename") and notice.sha:
        return "/-/diff/" + quote(notice.page) + "?to=" + notice.sha[:12]
    return path


def _quoted(text: str) -> str:
    return "“" + (text if len(text) <= 200 else text[:199] + "…") + "”"
