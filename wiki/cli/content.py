"""`wiki init`, `wiki serve` and `wiki reindex`: the content repository and serving."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import click

from ..access.spaces import load_seed
from ..app import configured_app
from ..app import create_app
from ..git.hooks import prepare
from ..model import Author

SPACES_FILE = ".spaces.yaml"  # in CONTENT_SOURCE: the starter spaces and groups
STARTER_AUTHOR = Author("SEE Cluster Policy Learning Platform", "wiki@localhost")


@click.command()
@click.option(
    "--source",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to import (default: CONTENT_SOURCE, the starter content).",
)
def init(source: Path | None) -> None:
    """Create the content repository from the starter content, if there is none, and set
    it up as a server (git configuration, the push hook); spaces, search index."""
    from ..git.storage import Storage

    app = configured_app()
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
    created = create_app()
    try:
        services = created.services
        prepare(services.storage.git_dir)
        if not services.spaces.is_seeded():
            seed_file = Path(app.config["CONTENT_SOURCE"]) / SPACES_FILE
            count = services.spaces.seed(load_seed(seed_file), actor="wiki init")
            if count:
                click.echo(f"Set up {count} spaces from {seed_file} (see `wiki space list`).")
        if services.pages.index_is_stale():
            _rebuild_search(services.pages)
        _collision_warnings(services.users, services.spaces)
        if services.users.count("admin") == 0:
            click.echo(
                "\nNo administrator yet. `wiki serve` (or `make run`) prints a one-time address "
                "to create the first one in the browser; or create one now (it asks for a "
                "password) with:\n"
                "  .venv/bin/wiki user add admin --role admin --email you@example.org\n"
            )
    finally:
        created.close()


def _collect(source: Path) -> dict[str, bytes]:
    files = {}
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source).as_posix()
        if path.is_file() and not any(p.startswith(".") for p in rel.split("/")):
            files[rel] = path.read_bytes()
    return files


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--workers",
    default=2,
    show_default=True,
    type=click.IntRange(1, 64),
    help="gunicorn worker processes.",
)
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 256),
    help="Threads per worker: requests each worker serves at once.",
)
@click.option("--debug", is_flag=True, help="Flask's development server with the debugger.")
def serve(host: str, port: int, workers: int, threads: int, debug: bool) -> None:
    """Serve the wiki with gunicorn (or the development server with --debug)."""
    app = create_app()
    prepare(app.services.storage.git_dir)
    _collision_warnings(app.services.users, app.services.spaces)
    click.echo(f"Serving {app.config['SITE_NAME']} on {base_url(host, port)}/")
    if os.environ.get("WERKZEUG_RUN_MAIN") != "true":  # not again in the reloader's child
        setup_hint(app.services.users, host, port)
    if debug:
        try:
            app.run(host=host, port=port, debug=True)
        finally:
            app.close()
        return
    app.close()  # each worker builds its own app (and git processes)
    from ..server import run

    def warm_search(worker) -> None:
        # in the background: the worker takes requests at once
        threading.Thread(
            target=worker.wsgi.services.search.warm, name="search-warm", daemon=True
        ).start()

    def close(worker) -> None:
        worker.wsgi.close()

    run(
        create_app,
        host=host,
        port=port,
        workers=workers,
        threads=threads,
        post_worker_init=warm_search,
        worker_exit=close,
    )


def _collision_warnings(users, spaces) -> None:
    """Warn about accounts (and groups) of an old database whose names the wiki treats
    as the same: they are kept apart, and get no membership by name until resolved."""
    for names in users.collisions():
        listed = ", ".join(f"'{n}'" for n in names)
        click.echo(
            f"Warning: the accounts {listed} have names the wiki treats as the same (it "
            "compares names ignoring case and other forms of the same letter). None of them "
            "gets space or group membership through that name until all but one are "
            "disabled: run `wiki user disable NAME` for each of the others (give a real person "
            "among them a new account with a distinct name).",
            err=True,
        )
    for names in spaces.group_collisions():
        listed = ", ".join(f"'{n}'" for n in names)
        click.echo(
            f"Warning: the groups {listed} have names the wiki treats as the same. None of "
            "them gives membership until all but one are deleted (`wiki group delete NAME`).",
            err=True,
        )


def base_url(host: str, port: int) -> str:
    """The address to open for a server listening on host:port (a wildcard host is
    reached on this machine as 127.0.0.1 or ::1)."""
    host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{port}"


def setup_hint(users, host: str, port: int) -> None:
    """While no administrator exists: a new one-time setup address, on the console only
    (the accounts database keeps just its hash; the address printed before stops working)."""
    token = users.new_setup_token()
    if token is None:
        return
    click.echo(
        f"\nNo administrator yet. Open {base_url(host, port)}/-/setup/{token} to create the "
        "first administrator.\n(This address works once. Or, while the server runs, in "
        "another terminal: .venv/bin/wiki user add admin --role admin)\n"
    )


@click.command()
@click.option(
    "--search/--no-search", default=True, show_default=True, help="Rebuild the search index."
)
@click.option(
    "--history/--no-history",
    default=True,
    show_default=True,
    help="Rebuild the revision table (history, recent changes).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 64),
    default=None,
    help="Processes that build the search index (default: one per core).",
)
def reindex(search: bool, history: bool, jobs: int | None) -> None:
    """Rebuild the search index and the revision table from git, with progress bars."""
    app = create_app()
    try:
        wiki = app.services.pages
        storage = wiki.storage
        if history:
            with click.progressbar(
                length=storage.commit_count(), label="Reading history", file=sys.stderr
            ) as bar:
                count = storage.rebuild_revindex(_progress(bar))
            click.echo(f"Revision table: {count} commits.")
        if search:
            _rebuild_search(wiki, jobs)
            total = sum(1 for p in storage.list_paths() if p.endswith(".md"))
            with click.progressbar(length=total, label="Reading links", file=sys.stderr) as bar:
                count = wiki.rebuild_links(_progress(bar))
            click.echo(f"Link table: {count} pages.")
    finally:
        app.close()


def _progress(bar):
    done = [0]

    def update(count: int) -> None:
        bar.update(count - done[0])
        done[0] = count

    return update


def _rebuild_search(wiki, jobs: int | None = None) -> None:
    total = sum(1 for p in wiki.storage.list_paths() if p.endswith(".md"))
    started = time.perf_counter()
    index_bar = click.progressbar(length=total, label="Indexing pages", file=sys.stderr)
    bars = [index_bar]

    def packing(done: int, fields: int) -> None:
        # the second stage: every index field copied into the posting pack
        if len(bars) == 1:
            index_bar.render_finish()
            bars.append(
                click.progressbar(length=fields, label="Writing posting packs", file=sys.stderr)
            )
        bars[-1].update(done - bars[-1].pos)

    with index_bar:
        count = wiki.rebuild_index(_progress(index_bar), packing, procs=jobs or _cores())
        if len(bars) > 1:
            bars[-1].render_finish()
    if wiki.unreadable_files:
        listed = ", ".join(sorted(wiki.unreadable_files)[:20])
        more = len(wiki.unreadable_files) - 20
        click.echo(
            f"Could not read the text of {len(wiki.unreadable_files)} file(s), found by name "
            f"only: {listed}" + (f" and {more} more" if more > 0 else ""),
            err=True,
        )
    size = wiki.index.size_bytes() / (1 << 20)
    click.echo(
        f"Search index: {count} pages in {time.perf_counter() - started:.1f} s ({size:.1f} MiB)."
    )


def _cores() -> int:
    """The processes a rebuild may use: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
