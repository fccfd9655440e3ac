"""Errors the wiki reports to people. Each carries an HTTP status and a plain message.

No Flask imports: the storage, render and domain layers raise these, and the
web layer turns them into themed pages or JSON.
"""

from __future__ import annotations


class WikiError(Exception):
    """Base class: `message` is safe to show to the user; `status` is the HTTP status."""

    status = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status


class PageNotFound(WikiError):
    status = 404


class InvalidPageName(WikiError):
    status = 400


class InvalidRevision(WikiError):
    status = 400


class InvalidContent(WikiError):
    """The text cannot be saved as it is (bad front matter, too large, ...)."""

    status = 400


class PermissionDenied(WikiError):
    status = 403


class EditConflict(WikiError):
    """Someone changed the same lines since the editor's base revision."""

    status = 409

    def __init__(
        self,
        message: str,
        *,
        current_text: str,
        current_revision: str | None,
        authors: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.current_text = current_text
        self.current_revision = current_revision
        self.authors = authors or []


class StorageError(WikiError):
    status = 500


class ConfigError(WikiError):
    status = 500


class SpaceError(WikiError):
    status = 400


class SpaceNotFound(WikiError):
    status = 404


class AccountError(WikiError):
    status = 400
