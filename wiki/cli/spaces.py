"""`wiki space ...` and `wiki group ...`: spaces, their members, groups, the audit log."""

from __future__ import annotations

import click

from . import stores

POLICY_HELP = "Read: anonymous, registered or members. Write: members or editors."


@click.group()
def space() -> None:
    """Manage spaces: top-level folders with their own readers, writers and members."""


@space.command("list")
def space_list() -> None:
    """List spaces with their policies and members."""
    for s in stores.spaces().spaces():
        members = ", ".join(("@" if k == "group" else "") + m for k, m in s.members) or "-"
        click.echo(f"{s.name}\tread={s.read}\twrite={s.write}\t{s.title}\tmembers: {members}")


@space.command("create")
@click.argument("name")
@click.option("--title", default="", help="Title shown for the space (default: NAME).")
@click.option("--description", default="")
@click.option(
    "--read",
    type=click.Choice(["anonymous", "registered", "members"]),
    default="members",
    show_default=True,
)
@click.option(
    "--write", type=click.Choice(["members", "editors"]), default="members", show_default=True
)
def space_create(name: str, title: str, description: str, read: str, write: str) -> None:
    """Create a space for the top-level folder NAME."""
    created = stores.spaces().create_space(
        name, actor=stores.actor(), title=title, description=description, read=read, write=write
    )
    click.echo(f"Created the space '{created.name}' (read={created.read}, write={created.write}).")


@space.command("set")
@click.argument("name")
@click.option("--title", default=None)
@click.option("--description", default=None)
@click.option("--read", type=click.Choice(["anonymous", "registered", "members"]), default=None)
@click.option("--write", type=click.Choice(["members", "editors"]), default=None)
def space_set(name: str, title, description, read, write) -> None:
    """Change a space's title, description or policies."""
    changed = stores.spaces().update_space(
        name, actor=stores.actor(), title=title, description=description, read=read, write=write
    )
    click.echo(f"'{changed.name}': read={changed.read}, write={changed.write}.")


@space.command("delete")
@click.argument("name")
def space_delete(name: str) -> None:
    """Forget a space (its pages stay and follow the wiki-wide rules)."""
    stores.spaces().delete_space(name, actor=stores.actor())
    click.echo(f"Deleted the space '{name}'.")


@space.command("add")
@click.argument("name")
@click.argument("member")
@click.option("--group", "is_group", is_flag=True, help="MEMBER is a group (or write @MEMBER).")
def space_add(name: str, member: str, is_group: bool) -> None:
    """Add a user (or a group) to a space's members."""
    kind = "group" if is_group or member.startswith("@") else "user"
    stores.spaces().add_member(name, member.lstrip("@"), actor=stores.actor(), kind=kind)
    click.echo(f"Added {kind} '{member.lstrip('@')}' to '{name}'.")


@space.command("remove")
@click.argument("name")
@click.argument("member")
@click.option("--group", "is_group", is_flag=True, help="MEMBER is a group (or write @MEMBER).")
def space_remove(name: str, member: str, is_group: bool) -> None:
    """Remove a user (or a group) from a space's members."""
    kind = "group" if is_group or member.startswith("@") else "user"
    stores.spaces().remove_member(name, member.lstrip("@"), actor=stores.actor(), kind=kind)
    click.echo(f"Removed {kind} '{member.lstrip('@')}' from '{name}'.")


@space.command("log")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 10_000))
def space_log(limit: int) -> None:
    """Show the audit log: every change to spaces, groups and accounts."""
    for e in stores.spaces().audit(limit=limit):
        click.echo(f"{e.date:%Y-%m-%d %H:%M}\t{e.actor}\t{e.action}\t{e.target}\t{e.details}")


@click.group()
def group() -> None:
    """Manage groups of users (for example one per partner organisation)."""


@group.command("list")
def group_list() -> None:
    """List groups and their members."""
    for name, title, members in stores.spaces().groups():
        click.echo(f"{name}\t{title}\t{', '.join(members) or '-'}")


@group.command("create")
@click.argument("name")
@click.option("--title", default="", help="What the group is (such as the organisation's name).")
def group_create(name: str, title: str) -> None:
    """Create a group."""
    stores.spaces().create_group(name, actor=stores.actor(), title=title)
    click.echo(f"Created the group '{name}'.")


@group.command("delete")
@click.argument("name")
def group_delete(name: str) -> None:
    """Delete a group (it also leaves every space)."""
    stores.spaces().delete_group(name, actor=stores.actor())
    click.echo(f"Deleted the group '{name}'.")


@group.command("add")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
def group_add(name: str, usernames: tuple[str, ...]) -> None:
    """Add users to a group."""
    store = stores.spaces()
    for username in usernames:
        store.add_to_group(name, username, actor=stores.actor())
        click.echo(f"Added '{username}' to '{name}'.")


@group.command("remove")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
def group_remove(name: str, usernames: tuple[str, ...]) -> None:
    """Remove users from a group."""
    store = stores.spaces()
    for username in usernames:
        store.remove_from_group(name, username, actor=stores.actor())
        click.echo(f"Removed '{username}' from '{name}'.")
