"""``procflow serve``, ``procflow user …`` and ``procflow workspace …``: the web app."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from procflow.web.accounts import Accounts

DEFAULT_DATA = Path("procflow-data")
data_option = click.option(
    "--data", "data_dir", type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_DATA, envvar="PROCFLOW_DATA", show_default=True,
    help="Folder of the web app's accounts and workspaces.")


def _accounts(data_dir: Path) -> Accounts:
    from procflow.web.accounts import Accounts

    return Accounts(data_dir)


def _password() -> str:
    """The password from $PROCFLOW_PASSWORD, else asked twice without echo."""
    given = os.environ.get("PROCFLOW_PASSWORD")
    if given:
        return given
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _addresses(given: tuple[str, ...]) -> list[str]:
    """``("10.0.0.1, 10.0.0.2", "::1")`` → the three addresses."""
    return [a for item in given for a in item.replace(",", " ").split()]


def setup_link(host: str, port: int, token: str) -> str:
    """The setup page's address on the configured host and port (never a request's Host)."""
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/setup/{token}"


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port to listen on.")
@click.option("--max-upload-mb", default=200, show_default=True, type=click.IntRange(1),
              help="Largest accepted upload, in MiB.")
@click.option("--trusted-proxy", "trusted_proxies", multiple=True, metavar="ADDRESS",
              envvar="PROCFLOW_TRUSTED_PROXIES", show_envvar=True,
              help="A reverse proxy (address or network) whose X-Forwarded-For and "
                   "X-Forwarded-Proto are believed; repeat for several (in the variable: "
                   "separated by spaces or commas). Without it the client is the socket's "
                   "address.")
@click.option("--import-workers", default=2, show_default=True, type=click.IntRange(1, 64),
              envvar="PROCFLOW_IMPORT_WORKERS", show_envvar=True,
              help="Imports or comparisons that run at once; more wait in line.")
@click.option("--answer-within", default=3.0, show_default=True, type=click.FloatRange(min=0),
              envvar="PROCFLOW_ANSWER_WITHIN", show_envvar=True,
              help="Seconds a comparison started from the page may take before the answer is "
                   "its progress page.")
@click.option("--header-timeout", default=20.0, show_default=True,
              type=click.FloatRange(min=0.1), envvar="PROCFLOW_HEADER_TIMEOUT", show_envvar=True,
              help="Seconds a request's line and headers may take to arrive.")
@click.option("--body-timeout", default=30.0, show_default=True,
              type=click.FloatRange(min=0.1), envvar="PROCFLOW_BODY_TIMEOUT", show_envvar=True,
              help="Seconds a request body may stall (bring under 1 KiB).")
@click.option("--keep-alive-timeout", default=5, show_default=True, type=click.IntRange(1),
              envvar="PROCFLOW_KEEP_ALIVE_TIMEOUT", show_envvar=True,
              help="Seconds an idle keep-alive connection stays open.")
@data_option
def serve_command(host: str, port: int, max_upload_mb: int, trusted_proxies: tuple[str, ...],
                  import_workers: int, answer_within: float, header_timeout: float,
                  body_timeout: float, keep_alive_timeout: int, data_dir: Path) -> None:
    """Run the web app (behind a TLS proxy when reachable from other machines)."""
    import uvicorn

    from procflow.web import create_app
    from procflow.web.serving import Timeouts, config

    accounts = _accounts(data_dir)
    if accounts.admin_count() == 0:
        token = accounts.new_setup_token()
        click.echo("No administrator yet. Open this one-time link to create the first "
                   f"administrator:\n\n    {setup_link(host, port, token)}\n\n"
                   "It works once, for 24 hours, and only until an administrator exists "
                   "(procflow user add NAME --admin also makes one).\n")
    timeouts = Timeouts(header=header_timeout, body=body_timeout, keep_alive=keep_alive_timeout)
    app = create_app(data_dir, max_upload_bytes=max_upload_mb * 1024 * 1024,
                     import_workers=import_workers, trusted_proxies=_addresses(trusted_proxies),
                     body_timeout=timeouts.body, answer_within=answer_within)
    uvicorn.Server(config(app, host=host, port=port, timeouts=timeouts)).run()


@click.group("user")
def user_group() -> None:
    """Web app accounts."""


@user_group.command("add")
@click.argument("name")
@click.option("--admin", is_flag=True, help="May create workspaces.")
@data_option
def user_add(name: str, admin: bool, data_dir: Path) -> None:
    """Add a user (password from $PROCFLOW_PASSWORD or asked twice)."""
    _accounts(data_dir).add_user(name, _password(), admin=admin)
    click.echo(f"Added user {name!r}{' (administrator)' if admin else ''}.")


@user_group.command("passwd")
@click.argument("name")
@data_option
def user_passwd(name: str, data_dir: Path) -> None:
    """Set a user's password (their sessions end)."""
    _accounts(data_dir).set_password(name, _password())
    click.echo(f"Changed the password of {name!r}.")


@user_group.command("remove")
@click.argument("name")
@data_option
def user_remove(name: str, data_dir: Path) -> None:
    """Remove a user with their memberships and sessions."""
    _accounts(data_dir).remove_user(name)
    click.echo(f"Removed user {name!r}.")


@click.group("workspace")
def workspace_group() -> None:
    """Web app workspaces (one per agency or team)."""


@workspace_group.command("add")
@click.argument("name")
@data_option
def workspace_add(name: str, data_dir: Path) -> None:
    """Add a workspace."""
    accounts = _accounts(data_dir)
    wid = accounts.add_workspace(name)
    click.echo(f"Added workspace {name!r} ({accounts.workspace_file(wid)}).")


@workspace_group.command("grant")
@click.argument("workspace")
@click.argument("user")
@click.option("--role", type=click.Choice(["viewer", "analyst", "admin"]), required=True,
              help="viewer reads, analyst also uploads and imports, admin also grants.")
@data_option
def workspace_grant(workspace: str, user: str, role: str, data_dir: Path) -> None:
    """Give USER a role in WORKSPACE."""
    accounts = _accounts(data_dir)
    accounts.grant(accounts.workspace_id(workspace), user, role)
    click.echo(f"{user!r} is now {role} in {workspace!r}.")
