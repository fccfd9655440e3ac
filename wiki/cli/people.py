"""`wiki user ...`: accounts."""

from __future__ import annotations

import sys

import click

from . import stores


@click.group()
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
    users = stores.users()
    created = users.add(username, password, role=role, email=email, display_name=display_name)
    stores.spaces().record(stores.actor(), "user.create", created.username, f"role={created.role}")
    click.echo(f"Created {created.role} '{created.username}'.")


@user.command("list")
def user_list() -> None:
    """List accounts."""
    for u in stores.users().all():
        state = "" if u.status == "active" else f" ({u.status})"
        click.echo(f"{u.username}\t{u.role}\t{u.display_name} <{u.email}>{state}")


@user.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_passwd(username: str, password_stdin: bool) -> None:
    """Set a new password (ends the user's sessions)."""
    password = _read_password(password_stdin)
    users = stores.users()
    username = _stored(users, username)
    users.set_password(username, password)
    click.echo(f"Password of '{username}' changed.")


@user.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["admin", "editor", "reader"]))
def user_role(username: str, role: str) -> None:
    """Change a user's role (ends the user's sessions)."""
    users = stores.users()
    username = _stored(users, username)
    users.set_role(username, role)
    stores.spaces().record(stores.actor(), "user.role", username, f"-> {role}")
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
    users = stores.users()
    username = _stored(users, username)
    if action == "approve":
        users.approve(username)
    else:
        users.set_disabled(username, action == "disable")
    stores.spaces().record(stores.actor(), f"user.{action}", username)
    click.echo(f"'{username}': {action}d.")


@user.command("reset-link")
@click.argument("username")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The wiki's address, for the link.",
)
def user_reset_link(username: str, base_url: str) -> None:
    """Print a one-time link (valid 24 hours) for the user to set a new password."""
    users = stores.users()
    username = _stored(users, username)
    secret = users.create_reset(username)
    stores.spaces().record(stores.actor(), "user.reset-link", username, "link created")
    click.echo(f"{base_url.rstrip('/')}/-/reset/{secret}")


@user.command("setup-link")
@click.option(
    "--base-url",
    default="http://127.0.0.1:5000",
    show_default=True,
    help="The wiki's address, for the link.",
)
def user_setup_link(base_url: str) -> None:
    """While there is no administrator: print a new one-time address that creates the
    first one in the browser (the address printed before stops working)."""
    token = stores.users().new_setup_token()
    if token is None:
        raise click.ClickException("There is an administrator already: log in as them.")
    click.echo(f"{base_url.rstrip('/')}/-/setup/{token}")


def _stored(users, username: str) -> str:
    """The account's stored name (what the audit log records), found by identity key.

    :raises AccountError: when there is no such account.
    """
    from ..access.users import AccountError

    user = users.by_name(username)
    if user is None:
        raise AccountError(f"There is no user called '{username.strip()}'.")
    return user.username


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)
