"""From commits to notifications: who hears of each new page, edit, comment, reply,
mention and consultation.

Notifications are made from what lands on `main`, whatever brought it (a save in the
wiki, a comment, a `git push`, a pull from the mirror), by following the revision
table from the last commit followed. One process at a time follows (a write
transaction on the accounts database holds the others), so nobody hears of a change
twice. Each recipient must be able to read the page when the notice is made; mail
checks again when it is sent. No Flask imports.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ..access.identity import name_key
from ..access.policy import Access
from ..access.policy import Who
from ..discussions import thread
from ..discussions.service import Discussions
from ..discussions.service import consultation_of
from ..errors import WikiError
from ..pages import frontmatter
from ..pages import names
from .store import CommunityStore
from .store import Pending
from .store import priority

log = logging.getLogger(__name__)
FOLLOWED = "followed"  # the meta key: the last commit followed
_KINDS = {"A": "new", "M": "edit", "D": "delete", "R": "rename"}


def page_key(name: str) -> str:
    return name_key(name)


def targets_of(name: str, record_type: str = "") -> list[tuple[str, str]]:
    """What a watcher of this page may watch: the page, each folder above it (a space is
    its top folder), its record type."""
    found = [("page", page_key(name))]
    parts = name.split("/")[:-1]
    found += [("folder", page_key("/".join(parts[: i + 1]))) for i in range(len(parts))]
    if record_type:
        found.append(("type", page_key(record_type)))
    return found


class Follower:
    def __init__(
        self, storage, discussions: Discussions, users, access: Callable[[], Access], store
    ) -> None:
        self.storage = storage
        self.discussions = discussions
        self.users = users
        self.access = access
        self.store: CommunityStore = store
        self._seen: str | None = None  # the head this process last followed to

    def catch_up(self, now: float | None = None) -> int:
        """Make the notifications of every commit since the last one followed; how many."""
        head = self.storage.head()
        if head is None or head == self._seen:
            return 0
        self.storage.sync_revindex()
        made = 0
        with self.store.transaction():
            last = self.store.meta(FOLLOWED)
            if last is None or last == head:
                # the first run follows from here: nobody hears of the whole history
                self.store.set_meta(FOLLOWED, head)
                self._seen = head
                return 0
            commits = self.storage.revindex.commits_after(last, limit=500)
            if commits is None:  # another history: start again from here
                self.store.set_meta(FOLLOWED, head)
                self._seen = head
                return 0
            snapshot = self.access()
            for rev, parent, changes in commits:
                try:
                    made += self._follow(rev, parent, changes, snapshot, now or time.time())
                except Exception:  # one odd commit must not stop every notification
                    log.exception("could not make the notifications of %s", rev.id[:8])
            followed = commits[-1][0].id if commits else head
            self.store.set_meta(FOLLOWED, followed)
        self._seen = followed if followed == head else None
        return made

    # -- one commit ------------------------------------------------------------------------

    def _follow(self, rev, parent, changes, snapshot: Access, now: float) -> int:
        heard: dict[tuple[int, str], Pending] = {}
        actor = rev.account or rev.author.name
        actor_user = self.users.by_name(rev.account) if rev.account else None

        def tell(user_id: int, item: Pending) -> None:
            key = (user_id, item.page)
            held = heard.get(key)
            if held is None or priority(item.kind) > priority(held.kind):
                heard[key] = item

        for change in changes:
            if names.is_page_path(change.path):
                self._page_change(rev, parent, change, actor, actor_user, tell)
            elif names.is_discussion_path(change.path):
                self._discussion_change(rev, parent, change, tell)
        made = 0
        for (user_id, page), item in heard.items():
            user = self.users.get(user_id)
            if (
                user is None
                or not user.is_active
                or name_key(user.username) == name_key(item.actor)
            ):
                continue  # nobody hears of what they did themselves
            who = Who(user.username, user.role, ambiguous=user.ambiguous)
            if not snapshot.may_read(who, page):
                continue
            self.store.notify(user_id, item, now)
            made += 1
        return made

    def _page_change(self, rev, parent, change, actor, actor_user, tell) -> None:
        name = names.to_name(change.path)
        old_name = name
        if change.status == "R" and change.old_path and names.is_page_path(change.old_path):
            old_name = names.to_name(change.old_path)
            self.store.move_watches("page", page_key(old_name), name, page_key(name))
        new_text = "" if change.status == "D" else self._text(change.path, rev.id)
        old_text = (
            ""
            if change.status == "A" or not parent
            else self._text(change.old_path or change.path, parent)
        )
        new, old = _parsed(new_text), _parsed(old_text)
        kind = _KINDS.get(change.status, "edit")
        opened = consultation_of(new.meta)
        if opened is not None and opened != consultation_of(old.meta) and opened.is_open():
            kind = "consultation"
        record_type = new.meta.get("type") or old.meta.get("type") or ""
        record_type = record_type if isinstance(record_type, str) else ""
        item = Pending(kind, name, actor, rev.id, excerpt=rev.summary[:300])
        for user_id in self.store.watchers(targets_of(name, record_type)):
            tell(user_id, item)
        for mentioned in thread.mentions(new.body) - thread.mentions(old.body):
            user = self.users.by_name(mentioned)
            if user is not None:
                tell(user.id, Pending("mention", name, actor, rev.id, excerpt=rev.summary[:300]))
        if actor_user is not None and change.status in ("A", "M", "R"):
            self._auto_watch(actor_user.id, name)

    def _discussion_change(self, rev, parent, change, tell) -> None:
        name = names.discussion_page(change.path)
        before = self.discussions.entries_at(change.old_path or change.path, parent)
        after = self.discussions.entries_at(change.path, rev.id)
        seen = {(e.kind, e.id, e.at) for e in before}
        added = [e for e in after if (e.kind, e.id, e.at) not in seen]
        if not added:
            return
        authors = {e.id: e.by for e in after if e.kind in ("comment", "reply")}
        page = _parsed(self._text(names.to_path(name), rev.id))
        record_type = page.meta.get("type") if isinstance(page.meta.get("type"), str) else ""
        watchers = self.store.watchers(targets_of(name, record_type or ""))
        earlier_bodies = {e.id: e.body for e in before if e.kind in ("comment", "reply", "edit")}
        for entry in added:
            excerpt = " ".join(entry.body.split())[:300]
            if entry.kind in ("comment", "reply"):
                item = Pending("comment", name, entry.by, rev.id, entry.id, excerpt)
                for user_id in watchers:
                    tell(user_id, item)
                if entry.kind == "reply":
                    answered = self.users.by_name(authors.get(entry.to, ""))
                    if answered is not None:
                        tell(
                            answered.id, Pending("reply", name, entry.by, rev.id, entry.id, excerpt)
                        )
                new_mentions = thread.mentions(entry.body)
                writer = self.users.by_name(entry.by)
                if writer is not None:
                    self._auto_watch(writer.id, name)
            elif entry.kind == "edit":
                new_mentions = thread.mentions(entry.body) - thread.mentions(
                    earlier_bodies.get(entry.id, "")
                )
            else:
                continue
            for mentioned in new_mentions:
                user = self.users.by_name(mentioned)
                if user is not None:
                    tell(user.id, Pending("mention", name, entry.by, rev.id, entry.id, excerpt))

    def _auto_watch(self, user_id: int, name: str) -> None:
        """Editors and commenters watch what they write, unless they turned that off."""
        if self.store.profile(user_id).auto_watch:
            self.store.watch(user_id, "page", name, page_key(name))

    def _text(self, path: str, commit: str | None) -> str:
        if not commit:
            return ""
        try:
            return self.storage.read(path, commit)
        except WikiError:
            return ""


def _parsed(text: str) -> frontmatter.Document:
    try:
        return frontmatter.parse(text, strict=False)
    except WikiError:
        return frontmatter.Document(body=text)
