"""The `wiki` command: init, serve, reindex, user ..., space ..., group ..., i18n ..., notify

One module per noun: content.py (init, serve, reindex), people.py (user),
spaces.py (space, group); stores.py opens what they work on. This module holds
the group and the one place where the wiki's errors become messages.
"""

from __future__ import annotations

import logging

import click

from ..errors import WikiError
from .content import init
from .content import reindex
from .content import serve
from .i18n import i18n
from .notify import notify
from .people import user
from .spaces import group
from .spaces import space


class Commands(click.Group):
    """The top-level group: a WikiError from any command (its user message) is printed as
    `Error: ...` with exit status 1, never as a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except WikiError as error:
            raise click.ClickException(getattr(error, "message", None) or str(error)) from None


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """SEE Cluster Policy Learning Platform: a git-backed Markdown wiki.

    Configuration comes from <instance>/config.py and WIKI_* environment
    variables (WIKI_INSTANCE picks the instance folder); see the README.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


for command in (init, serve, reindex, user, space, group, i18n, notify):
    main.add_command(command)
