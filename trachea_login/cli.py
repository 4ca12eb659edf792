"""The ``trachea-login`` command: operators register apps and manage users' roles, plans and
status. Also ``python -m trachea_login``.

The database comes from ``TRACHEA_MONGO_URI`` and ``TRACHEA_DB_NAME`` (default ``trachea``),
read from the environment or a ``.env`` file in the current directory; ``--mongo-uri`` and
``--db-name`` override them. App secrets are hashed with ``TRACHEA_PASSWORD_HASH_ROUNDS``
(default 12), the cost the service uses for passwords.

``--json`` prints JSON for scripts; it is accepted both before the command
(``trachea-login --json apps list``) and after it (``trachea-login apps list --json``).
Usage errors (a missing argument or option) are reported by Click, in its usual form.

Exit codes: 0 success; 1 not found (app, user, or the user's entry for an app); 2 invalid input
or configuration (also Click's usage errors); 3 the app already exists; 4 the database is
unreachable or failed. Other errors are one ``error: ...`` line on standard error, never a
traceback.
"""

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
from pymongo.errors import ConfigurationError, ConnectionFailure, InvalidName, PyMongoError

from . import admin
from ._mongo import close_client, open_database
from .config import ENV_PREFIX, SETTINGS_SOURCES
from .errors import TracheaConfigError
from .levels import PLANS, ROLES
from .store import AppRecord

EXIT_NOT_FOUND = 1
EXIT_INVALID = 2
EXIT_EXISTS = 3
EXIT_DATABASE = 4

#: Server selection timeout for the CLI unless the URI sets one: an operator should learn in
#: seconds, not PyMongo's default 30, that the database is unreachable.
CLI_SERVER_SELECTION_TIMEOUT_MS = 5000

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
    options: dict[str, Any] = {"appname": "trachea-login-cli"}
    if "serverselectiontimeoutms" not in mongo_uri.lower():
        options["serverSelectionTimeoutMS"] = CLI_SERVER_SELECTION_TIMEOUT_MS
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


def _fail(message: str, code: int) -> NoReturn:
    typer.echo(f"error: {_one_line(message)}", err=True)
    raise typer.Exit(code)


def _one_line(text: str, limit: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _redact(text: str, mongo_uri: str | None) -> str:
    """Remove the URI's password from a driver message."""
    match = re.search(r"://[^:@/]*:([^@/]+)@", mongo_uri or "")
    if match:
        for form in {match.group(1), unquote(match.group(1))}:
            text = text.replace(form, "***")
    return text


def _state(ctx: typer.Context) -> CliState:
    state = ctx.find_object(CliState)
    assert state is not None, "the root callback sets the state"
    return state


def _wants_json(ctx: typer.Context, flag: bool) -> bool:
    return flag or _state(ctx).json_output


def _settings(ctx: typer.Context) -> CliSettings:
    """Settings from the environment and ``.env``, with the root options winning."""
    state = _state(ctx)
    given = {"mongo_uri": state.mongo_uri, "db_name": state.db_name}
    try:
        return CliSettings(**{key: value for key, value in given.items() if value is not None})
    except ValidationError as exc:
        fields = ", ".join(f"{ENV_PREFIX}{str(err['loc'][0]).upper()}" for err in exc.errors())
        _fail(f"invalid setting(s): {fields}", EXIT_INVALID)


def _run(ctx: typer.Context, operation: Callable[[Any], Awaitable[T]]) -> T:
    """Run one async operation against the database; turn known failures into one line."""
    state = _state(ctx)
    settings = _settings(ctx)

    async def operate() -> T:
        async with state.database_factory(settings.mongo_uri, settings.db_name) as database:
            return await operation(database)

    try:
        return asyncio.run(operate())
    except admin.AppAlreadyExists as exc:
        _fail(str(exc), EXIT_EXISTS)
    except admin.NotFoundError as exc:
        _fail(str(exc), EXIT_NOT_FOUND)
    except (ValueError, TracheaConfigError) as exc:
        _fail(str(exc), EXIT_INVALID)
    except (ConfigurationError, InvalidName) as exc:
        _fail(f"invalid database settings: {_redact(str(exc), settings.mongo_uri)}", EXIT_INVALID)
    except ConnectionFailure as exc:
        _fail(
            f"cannot reach MongoDB ({type(exc).__name__}); check TRACHEA_MONGO_URI or --mongo-uri",
            EXIT_DATABASE,
        )
    except PyMongoError as exc:
        _fail(
            f"database error ({type(exc).__name__}): {_redact(str(exc), settings.mongo_uri)}",
            EXIT_DATABASE,
        )


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _read_secret_from_stdin() -> str:
    """One line from standard input, without its line ending."""
    secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        _fail("no secret on standard input", EXIT_INVALID)
    return secret


def _warn_unknown_methods(methods: list[str]) -> None:
    unknown = [method for method in methods if method not in admin.KNOWN_AUTH_METHODS]
    if unknown:
        typer.echo(
            f"warning: {', '.join(unknown)}: not among the known sign-in methods "
            f"({', '.join(admin.KNOWN_AUTH_METHODS)}); allowed by name",
            err=True,
        )


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


def _app_lines(record: AppRecord) -> list[str]:
    view = record.public_view()
    return [
        f"app_id:   {view['app_id']}",
        f"name:     {view['name']}",
        f"active:   {'yes' if view['is_active'] else 'no'}",
        f"methods:  {', '.join(view['allowed_auth_methods'])}",
        f"domains:  {', '.join(view['allowed_domains']) or '(none)'}",
        f"created:  {view['created_at'] or '-'}",
    ]


def _user_lines(view: dict[str, Any]) -> list[str]:
    lines = [
        f"id:           {view['id']}",
        f"username:     {view['username'] or '-'}",
        f"email:        {view['email'] or '-'}",
        f"firebase_uid: {view['firebase_uid'] or '-'}",
        f"name:         {view['name'] or '-'}",
        f"active:       {'yes' if view['is_active'] else 'no'}",
        "apps:" if view["apps"] else "apps:         (none)",
    ]
    lines += [
        f"  {entry['app_id']}  role={entry['role']}  plan={entry['plan']}  "
        f"joined={entry['joined_at'] or '-'}"
        for entry in view["apps"]
    ]
    return lines


def _echo_lines(lines: list[str]) -> None:
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


# -- apps ------------------------------------------------------------------------------------


def apps_register(
    ctx: typer.Context,
    app_id: AppIdArg,
    name: Annotated[str, typer.Option("--name", help="Display name.", show_default=False)],
    methods: Annotated[
        str,
        typer.Option(
            "--methods",
            help="Comma-separated sign-in methods: google, facebook, apple, password, username.",
            show_default=False,
        ),
    ],
    domains: Annotated[
        str, typer.Option("--domains", help="Comma-separated allowed domains.")
    ] = "",
    secret_stdin: SecretStdinFlag = False,
    inactive: Annotated[bool, typer.Option("--inactive", help="Register it disabled.")] = False,
    json_output: JsonFlag = False,
) -> None:
    """Register an app and print its new secret (once)."""
    generated = not secret_stdin
    secret = admin.generate_app_secret() if generated else _read_secret_from_stdin()
    method_list = _split(methods)
    rounds = _settings(ctx).password_hash_rounds
    record = _run(
        ctx,
        lambda db: admin.register_app(
            db,
            app_id=app_id,
            app_secret=secret,
            name=name,
            allowed_auth_methods=method_list,
            allowed_domains=_split(domains),
            is_active=not inactive,
            secret_hash_rounds=rounds,
        ),
    )
    _warn_unknown_methods(method_list)
    if _wants_json(ctx, json_output):
        data: dict[str, Any] = {"app": record.public_view()}
        if generated:
            data["app_secret"] = secret
        _print_json(data)
        return
    state = "active" if record.is_active else "inactive"
    _echo_lines([f"Registered app {record.app_id!r} ({state}).", *_app_lines(record)])
    if generated:
        _echo_lines(
            [
                "",
                "App secret (shown only this once; it cannot be recovered):",
                f"  {secret}",
                f"Store it now as TRACHEA_APP_SECRET in the environment of app {app_id!r}.",
                f"A lost secret can be replaced: trachea-login apps rotate-secret {app_id}",
            ]
        )


def apps_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the registered apps."""
    records = _run(ctx, admin.list_apps)
    if _wants_json(ctx, json_output):
        _print_json([record.public_view() for record in records])
        return
    if not records:
        typer.echo("No apps registered.")
    for record in records:
        state = "active" if record.is_active else "inactive"
        methods = ",".join(record.allowed_auth_methods)
        typer.echo(f"{record.app_id}  {state}  {record.name}  methods={methods}")


def apps_show(ctx: typer.Context, app_id: AppIdArg, json_output: JsonFlag = False) -> None:
    """Show one app (never its secret hash)."""
    record = _run(ctx, lambda db: admin.get_app(db, app_id))
    if _wants_json(ctx, json_output):
        _print_json(record.public_view())
    else:
        _echo_lines(_app_lines(record))


def apps_enable(ctx: typer.Context, app_id: AppIdArg, json_output: JsonFlag = False) -> None:
    """Allow the app's sign-ins again."""
    record = _run(ctx, lambda db: admin.enable_app(db, app_id))
    _print_app_change(ctx, json_output, record, f"App {app_id!r} is now active.")


def apps_disable(ctx: typer.Context, app_id: AppIdArg, json_output: JsonFlag = False) -> None:
    """Refuse the app's sign-ins and refreshes (APP_INACTIVE)."""
    record = _run(ctx, lambda db: admin.disable_app(db, app_id))
    _print_app_change(ctx, json_output, record, f"App {app_id!r} is now inactive.")


def apps_rotate_secret(
    ctx: typer.Context,
    app_id: AppIdArg,
    secret_stdin: SecretStdinFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Replace the app's secret and print the new one (once)."""
    given = _read_secret_from_stdin() if secret_stdin else None
    rounds = _settings(ctx).password_hash_rounds
    secret = _run(
        ctx,
        lambda db: admin.rotate_app_secret(db, app_id, given, secret_hash_rounds=rounds),
    )
    if _wants_json(ctx, json_output):
        data = {"app_id": app_id}
        if given is None:
            data["app_secret"] = secret
        _print_json(data)
        return
    if given is None:
        _echo_lines(
            [
                f"New secret of app {app_id!r} (shown only this once):",
                f"  {secret}",
            ]
        )
    else:
        typer.echo(f"Secret of app {app_id!r} replaced.")
    typer.echo(
        f"Set it as TRACHEA_APP_SECRET for app {app_id!r} and restart its processes: "
        "the old secret no longer passes their startup check."
    )


def apps_set_methods(
    ctx: typer.Context,
    app_id: AppIdArg,
    methods: Annotated[
        str,
        typer.Argument(
            metavar="METHODS", help="Comma-separated sign-in methods.", show_default=False
        ),
    ],
    json_output: JsonFlag = False,
) -> None:
    """Replace the app's allowed sign-in methods."""
    method_list = _split(methods)
    record = _run(ctx, lambda db: admin.set_auth_methods(db, app_id, method_list))
    _warn_unknown_methods(method_list)
    message = f"Sign-in methods of app {app_id!r}: {', '.join(record.allowed_auth_methods)}"
    _print_app_change(ctx, json_output, record, message)


def apps_set_domains(
    ctx: typer.Context,
    app_id: AppIdArg,
    domains: Annotated[
        str,
        typer.Argument(
            metavar="DOMAINS",
            help="Comma-separated domains; an empty string clears them.",
            show_default=False,
        ),
    ],
    json_output: JsonFlag = False,
) -> None:
    """Replace the app's allowed domains."""
    record = _run(ctx, lambda db: admin.set_domains(db, app_id, _split(domains)))
    listed = ", ".join(record.allowed_domains) or "(none)"
    _print_app_change(ctx, json_output, record, f"Domains of app {app_id!r}: {listed}")


def _print_app_change(
    ctx: typer.Context, json_output: bool, record: AppRecord, message: str
) -> None:
    if _wants_json(ctx, json_output):
        _print_json(record.public_view())
    else:
        typer.echo(message)


# -- users -----------------------------------------------------------------------------------


def users_find(ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False) -> None:
    """Show a user (never a password hash)."""
    user = _run(ctx, lambda db: admin.find_user(db, query))
    view = admin.user_public_view(user)
    if _wants_json(ctx, json_output):
        _print_json(view)
    else:
        _echo_lines(_user_lines(view))


def users_set_role(
    ctx: typer.Context,
    query: UserQueryArg,
    role: Annotated[
        str, typer.Argument(metavar="ROLE", help=f"One of: {', '.join(ROLES)}.", show_default=False)
    ],
    app_id: AppOption,
    json_output: JsonFlag = False,
) -> None:
    """Set the user's role in one app."""
    user = _run(ctx, lambda db: admin.set_user_role(db, query, app_id, role))
    _print_user_change(
        ctx,
        json_output,
        user,
        f"User {user['_id']} now has role {role!r} in app {app_id!r} "
        "(access tokens issued before keep the old role until they expire).",
    )


def users_set_plan(
    ctx: typer.Context,
    query: UserQueryArg,
    plan: Annotated[
        str, typer.Argument(metavar="PLAN", help=f"One of: {', '.join(PLANS)}.", show_default=False)
    ],
    app_id: AppOption,
    json_output: JsonFlag = False,
) -> None:
    """Set the user's plan in one app."""
    user = _run(ctx, lambda db: admin.set_user_plan(db, query, app_id, plan))
    _print_user_change(
        ctx,
        json_output,
        user,
        f"User {user['_id']} now has plan {plan!r} in app {app_id!r} "
        "(access tokens issued before keep the old plan until they expire).",
    )


def users_deactivate(
    ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False
) -> None:
    """Deactivate a user and revoke their refresh tokens for every app."""
    user, revoked = _run(ctx, lambda db: admin.deactivate_user(db, query))
    if _wants_json(ctx, json_output):
        _print_json({"user": admin.user_public_view(user), "revoked_refresh_tokens": revoked})
    else:
        typer.echo(f"User {user['_id']} deactivated; {revoked} refresh token(s) revoked.")


def users_reactivate(
    ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False
) -> None:
    """Let a deactivated user sign in again."""
    user = _run(ctx, lambda db: admin.reactivate_user(db, query))
    _print_user_change(ctx, json_output, user, f"User {user['_id']} reactivated.")


def _print_user_change(
    ctx: typer.Context, json_output: bool, user: dict[str, Any], message: str
) -> None:
    if _wants_json(ctx, json_output):
        _print_json(admin.user_public_view(user))
    else:
        typer.echo(message)


# -- the application -------------------------------------------------------------------------


def build_cli(database_factory: DatabaseFactory | None = None) -> typer.Typer:
    """The ``trachea-login`` Typer application.

    ``database_factory`` replaces :func:`connect_database`; tests pass one that yields an
    in-memory database so that they can inspect what the commands did.
    """
    factory = database_factory or connect_database
    cli = typer.Typer(
        name="trachea-login",
        help="Manage trachea-login apps and users in MongoDB.",
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
    ) -> None:
        ctx.obj = CliState(
            database_factory=factory,
            mongo_uri=mongo_uri,
            db_name=db_name,
            json_output=json_output,
        )

    apps = typer.Typer(help="Register and manage product apps.", no_args_is_help=True)
    apps.command("register")(apps_register)
    apps.command("list")(apps_list)
    apps.command("show")(apps_show)
    apps.command("enable")(apps_enable)
    apps.command("disable")(apps_disable)
    apps.command("rotate-secret")(apps_rotate_secret)
    apps.command("set-methods")(apps_set_methods)
    apps.command("set-domains")(apps_set_domains)
    cli.add_typer(apps, name="apps")

    users = typer.Typer(help="Find users; set their role, plan and status.", no_args_is_help=True)
    users.command("find")(users_find)
    users.command("set-role")(users_set_role)
    users.command("set-plan")(users_set_plan)
    users.command("deactivate")(users_deactivate)
    users.command("reactivate")(users_reactivate)
    cli.add_typer(users, name="users")
    return cli


def main() -> None:
    """Console entry point (``trachea-login``)."""
    build_cli()(prog_name="trachea-login")
