"""Errors the wiki reports to people. Each carries an HTTP status and a plain message.

No Flask imports: the storage, render and domain layers raise these, and the
web layer turns them into themed pages or JSON.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Marks a message for the interface catalogs (pybabel's default keyword); the web
    layer translates it when it shows it (`WikiError.template`)."""
    return text


class WikiError(Exception):
    """Base class: `message` is safe to show to the user (English, with its values filled
    in); `template` and `params` let the web layer show it in the reader's language;
    `status` is the HTTP status."""

    status = 500

    def __init__(self, message: str, status: int | None = None, **params) -> None:
        text = message % params if params else message
        super().__init__(text)
        self.message = text
        self.template = message
        self.params = params
        if status is not None:
            self.status = status

    def localized(self, gettext, language: str = "en") -> str:
        """The message through `gettext` (its values filled in after translation); a
        subclass may use `language` for words that come from data (field labels)."""
        try:
            translated = gettext(self.template)
            return translated % self.params if self.params else translated
        except (KeyError, TypeError, ValueError):
            return self.message


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
        **params,
    ) -> None:
        super().__init__(message, **params)
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
