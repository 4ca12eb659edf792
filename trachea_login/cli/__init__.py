"""The ``trachea-login`` command: operators register apps, manage users' roles, plans and
status, create service clients, generate signing keys, and upgrade a 0.1.x database
(``db migrate``). Also ``python -m trachea_login``.

The database comes from ``TRACHEA_MONGO_URI`` and ``TRACHEA_DB_NAME`` (default ``trachea``),
read from the environment or a ``.env`` file in the current directory; ``--mongo-uri`` and
``--db-name`` override them. App secrets are hashed with ``TRACHEA_PASSWORD_HASH_ROUNDS``
(default 12), the cost the service uses for passwords.

``--json`` prints JSON for scripts; it is accepted both before the command
(``trachea-login --json apps list``) and after it (``trachea-login apps list --json``).
Usage errors (a missing argument or option) are reported by Click, in its usual form.

Exit codes: 0 success; 1 not found (app, user, or the user's entry for an app); 2 invalid input
or configuration (also Click's usage errors); 3 the app already exists; 4 the database is
unreachable or failed; 5 ``db migrate`` left conflicts for the operator to settle. Other
errors are one ``error: ...`` line on standard error, never a traceback.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .._version import __version__
from .apps import build_apps_cli
from .clients import build_clients_cli
from .common import (
    EXIT_CONFLICTS,
    EXIT_DATABASE,
    EXIT_EXISTS,
    EXIT_INVALID,
    EXIT_NOT_FOUND,
    CliSettings,
    CliState,
    DatabaseFactory,
    connect_database,
)
from .db import build_db_cli
from .keys import build_keys_cli
from .users import build_users_cli


def build_cli(database_factory: DatabaseFactory | None = None) -> typer.Typer:
    """The ``trachea-login`` Typer application.

    ``database_factory`` replaces :func:`connect_database`; tests pass one that yields an
    in-memory database so that they can inspect what the commands did.
    """
    factory = database_factory or connect_database
    cli = typer.Typer(
        name="trachea-login",
        help=(
            "Manage trachea-login apps, users and service clients in MongoDB, and upgrade a "
            "0.1.x database."
        ),
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )

    @cli.callback()
    def root(
        ctx: typer.Context,
        mongo_uri: Annotated[
            str | None,
            typer.Option(
                "--mongo-uri",
                help="MongoDB URI (default: TRACHEA_MONGO_URI from the environment or .env).",
                show_default=False,
            ),
        ] = None,
        db_name: Annotated[
            str | None,
            typer.Option(
                "--db-name",
                help="Database name (default: TRACHEA_DB_NAME, else 'trachea').",
                show_default=False,
            ),
        ] = None,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print JSON from any command (for scripts).")
        ] = False,
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                help="Print the installed trachea-login version and exit.",
                is_eager=True,
                callback=_print_version,
            ),
        ] = False,
    ) -> None:
        ctx.obj = CliState(
            database_factory=factory,
            mongo_uri=mongo_uri,
            db_name=db_name,
            json_output=json_output,
        )

    cli.add_typer(build_apps_cli(), name="apps")
    cli.add_typer(build_users_cli(), name="users")
    cli.add_typer(build_clients_cli(), name="clients")
    cli.add_typer(build_keys_cli(), name="keys")
    cli.add_typer(build_db_cli(), name="db")
    return cli


def _print_version(value: bool) -> None:
    """``--version``: the one question to ask when unsure which trachea-login pip installed
    (0.1.x, a different code base on PyPI, has no ``trachea-login`` command at all)."""
    if value:
        typer.echo(f"trachea-login {__version__}")
        raise typer.Exit()


def main() -> None:
    """Console entry point (``trachea-login``)."""
    build_cli()(prog_name="trachea-login")


__all__ = [
    "EXIT_CONFLICTS",
    "EXIT_DATABASE",
    "EXIT_EXISTS",
    "EXIT_INVALID",
    "EXIT_NOT_FOUND",
    "CliSettings",
    "build_cli",
    "connect_database",
    "main",
]
