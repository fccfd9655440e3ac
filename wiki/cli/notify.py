"""`wiki notify`: one round of notifications and mail by hand (or from cron, with
NOTIFY_INTERVAL=0): follow new commits, queue the digests that are due, send the queue."""

from __future__ import annotations

import click

from ..app import create_app


@click.command()
def notify() -> None:
    """Run one notification round now and say what it did."""
    app = create_app()
    try:
        made, queued, sent = app.services.community.run_once()
        failed = app.services.community.store.mail_counts().get("failed", 0)
    finally:
        app.close()
    click.echo(f"notifications made: {made}, mails queued: {queued}, sent: {sent}")
    if failed:
        click.echo(f"{failed} mail(s) failed for good: see /-/admin/mail", err=True)
