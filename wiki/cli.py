"""The `wiki` command: init, serve, reindex, user add/list/passwd/role."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click

from . import configured_app
from . import create_app
from .errors import WikiError
from .model import Author

STARTER_AUTHOR = Author("SEE Cluster Policy Learning Platform", "wiki@localhost")


def _fail(error: WikiError | Exception) -> click.ClickException:
    message = getattr(error, "message", None) or str(error)
    return click.ClickException(message)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """SEE Cluster Policy Learning Platform: a git-backed Markdown wiki.

    Configuration comes from <instance>/config.py and WIKI_* environment
    variables (WIKI_INSTANCE picks the instance folder); see the README.
    """
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to import (default: CONTENT_SOURCE, the starter content).",
)
def init(source: Path | None) -> None:
    """Create the content repository from the starter content, if there is none."""
    from .storage import Storage
    from .users import UserStore

    try:
        app = configured_app()
    except WikiError as error:
        raise _fail(error) from None
    content_dir = Path(app.config["CONTENT_DIR"])
    if (content_dir / "HEAD").exists() or (content_dir / ".git").exists():
        click.echo(f"Content repository: {content_dir} (exists)")
    else:
        source = source or Path(app.config["CONTENT_SOURCE"])
        if not source.is_dir():
            raise click.ClickException(f"No starter content at {source}: pass --source FOLDER.")
        files = _collect(source)
        storage = Storage.init(content_dir)
        rev = storage.import_files(
            files, author=STARTER_AUTHOR, message="Starter content of the learning platform"
        )
        storage.close()
        click.echo(
            f"Created the content repository {content_dir} with {len(files)} files "
            f"(commit {rev.short})."
        )
    wiki = create_app().extensions["wiki"]
    if wiki.index is not None and not wiki.index.is_ready():
        _rebuild_search(wiki)
    users = UserStore(Path(app.config["USERS_DB"]))
    if users.count("admin") == 0:
        click.echo(
            "\nNo administrator yet. Create the first one (it asks for a password) with:\n"
            "  .venv/bin/wiki user add admin --role admin --email you@example.org\n"
        )
    users.close()


def _collect(source: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if path.is_file() and not any(p.startswith(".") for p in rel.split("/")):
            files[rel] = path.read_bytes()
    return files


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger.")
def serve(host: str, port: int, workers: int, debug: bool) -> None:
    """Serve the wiki with gunicorn (or the development server with --debug)."""
    try:
        app = create_app()
    except WikiError as error:
        raise _fail(error) from None
    _admin_hint(app)
    click.echo(f"Serving {app.config['SITE_NAME']} on http://{host}:{port}/")
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    app.extensions["wiki"].storage.close()
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("timeout", 60)

        def load(self):
            return create_app()  # one app (and one git process set) per worker

    Server().run()


def _admin_hint(app) -> None:
    users = app.extensions["wiki.users"]
    if users.count("admin") == 0:
        click.echo(
            "No administrator yet: stop the server (Ctrl-C) and create one with\n"
            "  .venv/bin/wiki user add admin --role admin --email you@example.org"
        )


@main.command()
@click.option("--search/--no-search", default=True, show_default=True,
              help="Rebuild the search index.")
@click.option("--history/--no-history", default=True, show_default=True,
              help="Rebuild the revision table (history, recent changes).")
def reindex(search: bool, history: bool) -> None:
    """Rebuild the search index and the revision table from git, with progress bars."""
    try:
        app = create_app()
    except WikiError as error:
        raise _fail(error) from None
    wiki = app.extensions["wiki"]
    storage = wiki.storage
    if history:
        with click.progressbar(length=storage.commit_count(), label="Reading history",
                               file=sys.stderr) as bar:
            count = storage.rebuild_revindex(_progress(bar))
        click.echo(f"Revision table: {count} commits.")
    if search:
        _rebuild_search(wiki)


def _progress(bar):
    done = [0]

    def update(count: int) -> None:
        bar.update(count - done[0])
        done[0] = count

    return update


def _rebuild_search(wiki) -> None:
    import time

    total = sum(1 for p in wiki.storage.list_paths() if p.endswith(".md"))
    started = time.perf_counter()
    with click.progressbar(length=total, label="Indexing pages", file=sys.stderr) as bar:
        count = wiki.rebuild_index(_progress(bar))
    size = wiki.index.size_bytes() / (1 << 20)
    click.echo(f"Search index: {count} pages in {time.perf_counter() - started:.1f} s "
               f"({size:.1f} MiB).")


@main.group()
def user() -> None:
    """Manage accounts."""


@user.command("add")
@click.argument("username")
@click.option(
    "--role", type=click.Choice(["admin", "editor", "reader"]), default="editor", show_default=True
)
@click.option("--email", default="", help="E-mail address (used as git author e-mail).")
@click.option("--display-name", default="", help="Name shown in history (default: USERNAME).")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_add(username: str, role: str, email: str, display_name: str, password_stdin: bool) -> None:
    """Create an account."""
    password = _read_password(password_stdin)
    users = _users()
    try:
        created = users.add(username, password, role=role, email=email, display_name=display_name)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Created {created.role} '{created.username}'.")


@user.command("list")
def user_list() -> None:
    """List accounts."""
    for u in _users().all():
        state = " (disabled)" if u.disabled else ""
        click.echo(f"{u.username}\t{u.role}\t{u.display_name} <{u.email}>{state}")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's sessions)."""
    password = _read_password(password_stdin)
    try:
        _users().set_password(username, password)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Password of '{username}' changed.")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "editor", "reader"]))
def user_role(username: str, role: str) -> None:
    """Change a user's role."""
    try:
        _users().set_role(username, role)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"'{username}' is now {role}.")


def _users():
    from .users import UserStore

    try:
        app = configured_app()
    except WikiError as error:
        raise _fail(error) from None
    return UserStore(Path(app.config["USERS_DB"]), hash_method=app.config["PASSWORD_HASH_METHOD"])


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)
