"""What every ``trachea-login`` command shares: settings, the database, failures as exit codes,
output helpers and common options."""

from __future__ import annotations

import asyncio
import json
import re
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn, TypeVar
from urllib.parse import unquote

import typer
from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings
from pymongo.errors import ConfigurationError, InvalidName, PyMongoError

from .. import admin
from .._mongo import close_client, database_unavailable, index_conflict_message, open_database
from ..config import EMBEDDED_URI_SCHEME, ENV_PREFIX, SETTINGS_SOURCES
from ..errors import TracheaConfigError
from ..migrate import legacy_database_message, legacy_signs
from ..store import IndexConflict

EXIT_NOT_FOUND = 1
EXIT_INVALID = 2
EXIT_EXISTS = 3
EXIT_DATABASE = 4
#: ``db migrate``: it did what it could; conflicts are left for the operator to settle.
EXIT_CONFLICTS = 5

#: Server selection timeout for the CLI unless the URI sets one: an operator should learn in
#: seconds, not PyMongo's default 30, that the database is unreachable.
CLI_SERVER_SELECTION_TIMEOUT_MS = 5000

#: Why the CLI refuses ``mongomock://``, and what to do instead.
EMBEDDED_REFUSED = (
    f"{EMBEDDED_URI_SCHEME} is an in-memory database inside one process: a CLI command would "
    "get an empty one of its own and lose what it wrote. An app on mongomock:// registers "
    "itself at startup (see TRACHEA_EMBEDDED_AUTH_METHODS); to use the CLI, point "
    "TRACHEA_MONGO_URI or --mongo-uri at a MongoDB server"
)

T = TypeVar("T")

#: ``(mongo_uri, db_name) -> async context manager yielding the database``. Tests pass one that
#: yields an in-memory database, so several commands can share it.
DatabaseFactory = Callable[[str | None, str], AbstractAsyncContextManager[Any]]


class CliSettings(BaseSettings):
    """The CLI's only settings; an app's own settings (APP_ID, secrets) are not needed here."""

    model_config = SETTINGS_SOURCES

    mongo_uri: str | None = None
    db_name: str = "trachea"
    #: bcrypt cost for app secrets, the same setting the service uses for passwords.
    password_hash_rounds: int = Field(default=12, ge=4, le=20)


@asynccontextmanager
async def connect_database(mongo_uri: str | None, db_name: str) -> AsyncIterator[Any]:
    """The default database factory: a client for ``mongo_uri``, closed afterwards."""
    if not mongo_uri:
        raise TracheaConfigError(
            "TRACHEA_MONGO_URI is not set: set it in the environment or .env, or pass --mongo-uri"
        )
    if mongo_uri.startswith(EMBEDDED_URI_SCHEME):
        raise TracheaConfigError(EMBEDDED_REFUSED)
    options: dict[str, Any] = {"appname": "trachea-login-cli"}
    if "serverselectiontimeoutms" not in mongo_uri.lower():
        options["serverSelectionTimeoutMS"] = CLI_SERVER_SELECTION_TIMEOUT_MS
    # No client-wide timeoutMS: it would also bound `db migrate`'s long reads and writes. The
    # store's own operations are bounded by MONGO_TIMEOUT_MS's default.
    client, database = open_database(mongo_uri, db_name, **options)
    try:
        yield database
    finally:
        await close_client(client)


@dataclass(frozen=True)
class CliState:
    """What the root options decided, handed to every command through ``ctx.obj``."""

    database_factory: DatabaseFactory
    mongo_uri: str | None
    db_name: str | None
    json_output: bool


# -- plumbing --------------------------------------------------------------------------------


def fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {one_line(message)}", err=True)
    raise typer.Exit(code)


def one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def redact(text: str, mongo_uri: str | None) -> str:
    """Remove the URI's password from a driver message."""
    match = re.search(r"://[^:@/]*:([^@/]+)@", mongo_uri or "")
    if match:
        for form in {match.group(1), unquote(match.group(1))}:
            text = text.replace(form, "***")
    return text


def state_of(ctx: typer.Context) -> CliState:
    state = ctx.find_object(CliState)
    assert state is not None, "the root callback sets the state"
    return state


def wants_json(ctx: typer.Context, flag: bool) -> bool:
    return flag or state_of(ctx).json_output


def settings_of(ctx: typer.Context) -> CliSettings:
    """Settings from the environment and ``.env``, with the root options winning."""
    state = state_of(ctx)
    given: dict[str, Any] = {"mongo_uri": state.mongo_uri, "db_name": state.db_name}
    try:
        return CliSettings(**{key: value for key, value in given.items() if value is not None})
    except ValidationError as exc:
        fields = ", ".join(f"{ENV_PREFIX}{str(err['loc'][0]).upper()}" for err in exc.errors())
        fail(f"invalid setting(s): {fields}", EXIT_INVALID)


def run(
    ctx: typer.Context, operation: Callable[[Any], Awaitable[T]], *, on_legacy: bool = False
) -> T:
    """Run one async operation against the database; turn known failures into one line.

    A database trachea-login 0.1.x wrote is refused (naming ``db migrate``) unless
    ``on_legacy``: our commands would create indexes beside 0.1.x's and misread its documents.
    """
    state = state_of(ctx)
    settings = settings_of(ctx)

    async def operate() -> T:
        async with state.database_factory(settings.mongo_uri, settings.db_name) as database:
            if not on_legacy:
                signs = await legacy_signs(database)
                if signs:
                    raise TracheaConfigError(legacy_database_message(settings.db_name, signs))
            return await operation(database)

    try:
        return asyncio.run(operate())
    except admin.AppAlreadyExists as exc:
        fail(str(exc), EXIT_EXISTS)
    except admin.NotFoundError as exc:
        fail(str(exc), EXIT_NOT_FOUND)
    except (ValueError, TracheaConfigError) as exc:
        fail(str(exc), EXIT_INVALID)
    except (ConfigurationError, InvalidName) as exc:
        fail(f"invalid database settings: {redact(str(exc), settings.mongo_uri)}", EXIT_INVALID)
    except IndexConflict as conflict:
        fail(index_conflict_message(conflict), EXIT_DATABASE)
    except PyMongoError as exc:
        if database_unavailable(exc):
            fail(
                f"cannot reach MongoDB ({type(exc).__name__}); "
                "check TRACHEA_MONGO_URI or --mongo-uri",
                EXIT_DATABASE,
            )
        fail(
            f"database error ({type(exc).__name__}): {redact(str(exc), settings.mongo_uri)}",
            EXIT_DATABASE,
        )


def split_list(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def read_secret_from_stdin() -> str:
    """One line from standard input, without its line ending."""
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        fail("no secret on standard input", EXIT_INVALID)
    return secret


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


def echo_lines(lines: list[str]) -> None:
    for line in lines:
        typer.echo(line)


# -- options shared by commands --------------------------------------------------------------

JsonFlag = Annotated[
    bool, typer.Option("--json", help="Print JSON (also accepted before the command).")
]
AppIdArg = Annotated[
    str, typer.Argument(metavar="APP_ID", help="The app's id.", show_default=False)
]
UserQueryArg = Annotated[
    str,
    typer.Argument(
        metavar="QUERY", help="User id, username, email or Firebase uid.", show_default=False
    ),
]
AppOption = Annotated[
    str, typer.Option("--app", help="The app whose entry changes.", show_default=False)
]
SecretStdinFlag = Annotated[
    bool,
    typer.Option(
        "--secret-stdin",
        help="Read the secret from the first line of standard input instead of generating one.",
    ),
]
