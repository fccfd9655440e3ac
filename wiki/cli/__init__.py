"""The `wiki` command: init, serve, reindex, user ..., space ..., group ..."""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path

import click

from .. import configured_app
from .. import create_app
from ..access.spaces import load_seed
from ..errors import WikiError
from ..model import Author

SPACES_FILE = ".spaces.yaml"  # in CONTENT_SOURCE: the starter spaces and groups
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
    from ..access.users import UserStore
    from ..git.storage import Storage

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
    created_app = create_app()
    wiki = created_app.extensions["wiki"]
    spaces = created_app.extensions["wiki.access.spaces"]
    if not spaces.is_seeded():
        seed_file = Path(app.config["CONTENT_SOURCE"]) / SPACES_FILE
        try:
            count = spaces.seed(load_seed(seed_file), actor="wiki init")
        except WikiError as error:
            raise _fail(error) from None
        if count:
            click.echo(f"Set up {count} spaces from {seed_file} (see `wiki space list`).")
    if wiki.index_is_stale():
        _rebuild_search(wiki)
    users = UserStore(Path(app.config["USERS_DB"]))
    _collision_warnings(users, spaces)
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
    try:
        app = create_app()
    except WikiError as error:
        raise _fail(error) from None
    _collision_warnings(app.extensions["wiki.access.users"], app.extensions["wiki.access.spaces"])
    _admin_hint(app)
    click.echo(f"Serving {app.config['SITE_NAME']} on http://{host}:{port}/")
    if debug:
        app.run(host=host, port=port, debug=True)
        return
    app.extensions["wiki"].storage.close()
    from ..server import run

    def warm_search(worker) -> None:
        # in the background: the worker takes requests at once
        index = worker.wsgi.extensions["wiki"].index
        if index is not None:
            threading.Thread(target=index.warm, name="search-warm", daemon=True).start()

    # one app (and one git process set) per worker
    run(create_app, host=host, port=port, workers=workers, threads=threads,
        post_worker_init=warm_search)


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


def _admin_hint(app) -> None:
    users = app.extensions["wiki.access.users"]
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
        total = sum(1 for p in storage.list_paths() if p.endswith(".md"))
        with click.progressbar(length=total, label="Reading links", file=sys.stderr) as bar:
            count = wiki.rebuild_links(_progress(bar))
        click.echo(f"Link table: {count} pages.")


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
    index_bar = click.progressbar(length=total, label="Indexing pages", file=sys.stderr)
    bars = [index_bar]

    def packing(done: int, fields: int) -> None:
        # the second stage: every index field copied into the posting pack
        if len(bars) == 1:
            index_bar.render_finish()
            bars.append(click.progressbar(length=fields, label="Writing posting packs",
                                          file=sys.stderr))
        bars[-1].update(done - bars[-1].pos)

    with index_bar:
        count = wiki.rebuild_index(_progress(index_bar), packing)
        if len(bars) > 1:
            bars[-1].render_finish()
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
    _spaces().record(_actor(), "user.create", created.username, f"role={created.role}")
    click.echo(f"Created {created.role} '{created.username}'.")


@user.command("list")
def user_list() -> None:
    """List accounts."""
    for u in _users().all():
        state = "" if u.status == "active" else f" ({u.status})"
        click.echo(f"{u.username}\t{u.role}\t{u.display_name} <{u.email}>{state}")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's sessions)."""
    password = _read_password(password_stdin)
    users = _users()
    try:
        username = _stored(users, username)
        users.set_password(username, password)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Password of '{username}' changed.")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "editor", "reader"]))
def user_role(username: str, role: str) -> None:
    """Change a user's role (ends the user's sessions)."""
    users = _users()
    try:
        username = _stored(users, username)
        users.set_role(username, role)
    except WikiError as error:
        raise _fail(error) from None
    _spaces().record(_actor(), "user.role", username, f"-> {role}")
    click.echo(f"'{username}' is now {role}.")


@user.command("disable")
@click.argument("username")
def user_disable(username: str) -> None:
    """Disable an account: it can no longer log in, and its sessions and tokens stop."""
    _user_state(username, "disable")


@user.command("enable")
@click.argument("username")
def user_enable(username: str) -> None:
    """Enable a disabled account again."""
    _user_state(username, "enable")


@user.command("approve")
@click.argument("username")
def user_approve(username: str) -> None:
    """Approve an account that registered and waits for approval."""
    _user_state(username, "approve")


def _user_state(username: str, action: str) -> None:
    users = _users()
    try:
        username = _stored(users, username)
        if action == "approve":
            users.approve(username)
        else:
            users.set_disabled(username, action == "disable")
    except WikiError as error:
        raise _fail(error) from None
    _spaces().record(_actor(), f"user.{action}", username)
    click.echo(f"'{username}': {action}d.")


@user.command("reset-link")
@click.argument("username")
@click.option("--base-url", default="http://127.0.0.1:5000", show_default=True,
              help="The wiki's address, for the link.")
def user_reset_link(username: str, base_url: str) -> None:
    """Print a one-time link (valid 24 hours) for the user to set a new password."""
    users = _users()
    try:
        username = _stored(users, username)
        secret = users.create_reset(username)
    except WikiError as error:
        raise _fail(error) from None
    _spaces().record(_actor(), "user.reset-link", username, "link created")
    click.echo(f"{base_url.rstrip('/')}/-/reset/{secret}")


def _stored(users, username: str) -> str:
    """The account's stored name (what the audit log records), found by identity key.

    :raises AccountError: when there is no such account.
    """
    from ..access.users import AccountError

    user = users.by_name(username)
    if user is None:
        raise AccountError(f"There is no user called '{username.strip()}'.")
    return user.username


def _config():
    try:
        return configured_app().config
    except WikiError as error:
        raise _fail(error) from None


def _users():
    from ..access.users import UserStore

    config = _config()
    return UserStore(Path(config["USERS_DB"]), hash_method=config["PASSWORD_HASH_METHOD"])


def _spaces():
    from ..access.spaces import SpaceStore

    config = _config()
    users = _users()
    return SpaceStore(Path(config["USERS_DB"]), default_read=config["READ_ACCESS"],
                      known_user=users.stored_name)


def _actor() -> str:
    import getpass

    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):
        return "cli"


# -- spaces and groups -------------------------------------------------------------------

POLICY_HELP = "Read: anonymous, registered or members. Write: members or editors."


@main.group()
def space() -> None:
    """Manage spaces: top-level folders with their own readers, writers and members."""


@space.command("list")
def space_list() -> None:
    """List spaces with their policies and members."""
    for s in _spaces().spaces():
        members = ", ".join(("@" if k == "group" else "") + m for k, m in s.members) or "-"
        click.echo(f"{s.name}\tread={s.read}\twrite={s.write}\t{s.title}\tmembers: {members}")


@space.command("create")
@click.argument("name")
@click.option("--title", default="", help="Title shown for the space (default: NAME).")
@click.option("--description", default="")
@click.option("--read", type=click.Choice(["anonymous", "registered", "members"]),
              default="members", show_default=True)
@click.option("--write", type=click.Choice(["members", "editors"]), default="members",
              show_default=True)
def space_create(name: str, title: str, description: str, read: str, write: str) -> None:
    """Create a space for the top-level folder NAME."""
    try:
        created = _spaces().create_space(name, actor=_actor(), title=title,
                                         description=description, read=read, write=write)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Created the space '{created.name}' (read={created.read}, write={created.write}).")


@space.command("set")
@click.argument("name")
@click.option("--title", default=None)
@click.option("--description", default=None)
@click.option("--read", type=click.Choice(["anonymous", "registered", "members"]), default=None)
@click.option("--write", type=click.Choice(["members", "editors"]), default=None)
def space_set(name: str, title, description, read, write) -> None:
    """Change a space's title, description or policies."""
    try:
        changed = _spaces().update_space(name, actor=_actor(), title=title,
                                         description=description, read=read, write=write)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"'{changed.name}': read={changed.read}, write={changed.write}.")


@space.command("delete")
@click.argument("name")
def space_delete(name: str) -> None:
    """Forget a space (its pages stay and follow the wiki-wide rules)."""
    try:
        _spaces().delete_space(name, actor=_actor())
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Deleted the space '{name}'.")


@space.command("add")
@click.argument("name")
@click.argument("member")
@click.option("--group", "is_group", is_flag=True, help="MEMBER is a group (or write @MEMBER).")
def space_add(name: str, member: str, is_group: bool) -> None:
    """Add a user (or a group) to a space's members."""
    kind = "group" if is_group or member.startswith("@") else "user"
    try:
        _spaces().add_member(name, member.lstrip("@"), actor=_actor(), kind=kind)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Added {kind} '{member.lstrip('@')}' to '{name}'.")


@space.command("remove")
@click.argument("name")
@click.argument("member")
@click.option("--group", "is_group", is_flag=True, help="MEMBER is a group (or write @MEMBER).")
def space_remove(name: str, member: str, is_group: bool) -> None:
    """Remove a user (or a group) from a space's members."""
    kind = "group" if is_group or member.startswith("@") else "user"
    try:
        _spaces().remove_member(name, member.lstrip("@"), actor=_actor(), kind=kind)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Removed {kind} '{member.lstrip('@')}' from '{name}'.")


@space.command("log")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def space_log(limit: int) -> None:
    """Show the audit log: every change to spaces, groups and accounts."""
    for e in _spaces().audit(limit=limit):
        click.echo(f"{e.date:%Y-%m-%d %H:%M}\t{e.actor}\t{e.action}\t{e.target}\t{e.details}")


@main.group()
def group() -> None:
    """Manage groups of users (for example one per partner organisation)."""


@group.command("list")
def group_list() -> None:
    """List groups and their members."""
    for name, title, members in _spaces().groups():
        click.echo(f"{name}\t{title}\t{', '.join(members) or '-'}")


@group.command("create")
@click.argument("name")
@click.option("--title", default="", help="What the group is (such as the organisation's name).")
def group_create(name: str, title: str) -> None:
    """Create a group."""
    try:
        _spaces().create_group(name, actor=_actor(), title=title)
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Created the group '{name}'.")


@group.command("delete")
@click.argument("name")
def group_delete(name: str) -> None:
    """Delete a group (it also leaves every space)."""
    try:
        _spaces().delete_group(name, actor=_actor())
    except WikiError as error:
        raise _fail(error) from None
    click.echo(f"Deleted the group '{name}'.")


@group.command("add")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
def group_add(name: str, usernames: tuple[str, ...]) -> None:
    """Add users to a group."""
    store = _spaces()
    for username in usernames:
        try:
            store.add_to_group(name, username, actor=_actor())
        except WikiError as error:
            raise _fail(error) from None
        click.echo(f"Added '{username}' to '{name}'.")


@group.command("remove")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
def group_remove(name: str, usernames: tuple[str, ...]) -> None:
    """Remove users from a group."""
    store = _spaces()
    for username in usernames:
        try:
            store.remove_from_group(name, username, actor=_actor())
        except WikiError as error:
            raise _fail(error) from None
        click.echo(f"Removed '{username}' from '{name}'.")


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)
