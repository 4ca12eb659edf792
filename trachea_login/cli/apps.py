"""``trachea-login apps ...``: register and manage product apps."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import admin
from ..methods import KNOWN_AUTH_METHODS
from ..records import AppRecord
from .common import (
    EXIT_INVALID,
    AppIdArg,
    JsonFlag,
    SecretStdinFlag,
    echo_lines,
    fail,
    print_json,
    read_secret_from_stdin,
    run,
    settings_of,
    split_list,
    wants_json,
)


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


AllowOtherMethodsFlag = Annotated[
    bool,
    typer.Option(
        "--allow-other-methods",
        help=(
            "Also accept method names other than the known ones: another Firebase "
            "sign_in_provider (anonymous, github.com, oidc.NAME ...), allowed by that exact name."
        ),
    ),
]


def _checked_methods(methods: str, allow_other: bool) -> list[str]:
    """The ``--methods`` list, checked before any database is opened (exit 2 when invalid)."""
    try:
        return admin.check_auth_methods(split_list(methods), allow_other=allow_other)
    except ValueError as exc:
        fail(str(exc), EXIT_INVALID)


def apps_register(
    ctx: typer.Context,
    app_id: AppIdArg,
    name: Annotated[str, typer.Option("--name", help="Display name.", show_default=False)],
    methods: Annotated[
        str,
        typer.Option(
            "--methods",
            help=f"Comma-separated sign-in methods: {', '.join(KNOWN_AUTH_METHODS)}.",
            show_default=False,
        ),
    ],
    domains: Annotated[
        str, typer.Option("--domains", help="Comma-separated allowed domains.")
    ] = "",
    secret_stdin: SecretStdinFlag = False,
    inactive: Annotated[bool, typer.Option("--inactive", help="Register it disabled.")] = False,
    allow_other_methods: AllowOtherMethodsFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Register an app and print its new secret (once)."""
    method_list = _checked_methods(methods, allow_other_methods)
    generated = not secret_stdin
    secret = admin.generate_app_secret() if generated else read_secret_from_stdin()
    rounds = settings_of(ctx).password_hash_rounds
    record = run(
        ctx,
        lambda db: admin.register_app(
            db,
            app_id=app_id,
            app_secret=secret,
            name=name,
            allowed_auth_methods=method_list,
            allowed_domains=split_list(domains),
            is_active=not inactive,
            secret_hash_rounds=rounds,
            allow_other_methods=allow_other_methods,
        ),
    )
    _print_registered(ctx, json_output, record, secret if generated else None)


def _print_registered(
    ctx: typer.Context, json_output: bool, record: AppRecord, new_secret: str | None
) -> None:
    """The registered app, and its generated secret (shown this once)."""
    if wants_json(ctx, json_output):
        data: dict[str, Any] = {"app": record.public_view()}
        if new_secret is not None:
            data["app_secret"] = new_secret
        print_json(data)
        return
    state = "active" if record.is_active else "inactive"
    echo_lines([f"Registered app {record.app_id!r} ({state}).", *_app_lines(record)])
    if new_secret is not None:
        app_id = record.app_id
        echo_lines(
            [
                "",
                "App secret (shown only this once; it cannot be recovered):",
                f"  {new_secret}",
                f"Store it now as TRACHEA_APP_SECRET in the environment of app {app_id!r}.",
                f"A lost secret can be replaced: trachea-login apps rotate-secret {app_id}",
            ]
        )


def apps_list(ctx: typer.Context, json_output: JsonFlag = False) -> None:
    """List the registered apps."""
    records = run(ctx, admin.list_apps)
    if wants_json(ctx, json_output):
        print_json([record.public_view() for record in records])
        return
    if not records:
        typer.echo("No apps registered.")
    for record in records:
        state = "active" if record.is_active else "inactive"
        methods = ",".join(record.allowed_auth_methods)
        typer.echo(f"{record.app_id}  {state}  {record.name}  methods={methods}")


def apps_show(ctx: typer.Context, app_id: AppIdArg, json_output: JsonFlag = False) -> None:
    """Show one app (never its secret hash)."""
    record = run(ctx, lambda db: admin.get_app(db, app_id))
    if wants_json(ctx, json_output):
        print_json(record.public_view())
    else:
        echo_lines(_app_lines(record))


def apps_enable(ctx: typer.Context, app_id: AppIdArg, json_output: JsonFlag = False) -> None:
    """Allow the app's sign-ins again."""
    record = run(ctx, lambda db: admin.enable_app(db, app_id))
    _print_app_change(ctx, json_output, record, f"App {app_id!r} is now active.")


def apps_disable(ctx: typer.Context, app_id: AppIdArg, json_output: JsonFlag = False) -> None:
    """Refuse the app's sign-ins and refreshes (APP_INACTIVE)."""
    record = run(ctx, lambda db: admin.disable_app(db, app_id))
    _print_app_change(ctx, json_output, record, f"App {app_id!r} is now inactive.")


def apps_rotate_secret(
    ctx: typer.Context,
    app_id: AppIdArg,
    secret_stdin: SecretStdinFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Replace the app's secret and print the new one (once)."""
    given = read_secret_from_stdin() if secret_stdin else None
    rounds = settings_of(ctx).password_hash_rounds
    secret = run(
        ctx,
        lambda db: admin.rotate_app_secret(db, app_id, given, secret_hash_rounds=rounds),
    )
    if wants_json(ctx, json_output):
        data = {"app_id": app_id}
        if given is None:
            data["app_secret"] = secret
        print_json(data)
        return
    if given is None:
        echo_lines(
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
            metavar="METHODS",
            help=f"Comma-separated sign-in methods: {', '.join(KNOWN_AUTH_METHODS)}.",
            show_default=False,
        ),
    ],
    allow_other_methods: AllowOtherMethodsFlag = False,
    json_output: JsonFlag = False,
) -> None:
    """Replace the app's allowed sign-in methods."""
    method_list = _checked_methods(methods, allow_other_methods)
    record = run(
        ctx,
        lambda db: admin.set_auth_methods(
            db, app_id, method_list, allow_other_methods=allow_other_methods
        ),
    )
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
    record = run(ctx, lambda db: admin.set_domains(db, app_id, split_list(domains)))
    listed = ", ".join(record.allowed_domains) or "(none)"
    _print_app_change(ctx, json_output, record, f"Domains of app {app_id!r}: {listed}")


def _print_app_change(
    ctx: typer.Context, json_output: bool, record: AppRecord, message: str
) -> None:
    if wants_json(ctx, json_output):
        print_json(record.public_view())
    else:
        typer.echo(message)


def build_apps_cli() -> typer.Typer:
    apps = typer.Typer(help="Register and manage product apps.", no_args_is_help=True)
    apps.command("register")(apps_register)
    apps.command("list")(apps_list)
    apps.command("show")(apps_show)
    apps.command("enable")(apps_enable)
    apps.command("disable")(apps_disable)
    apps.command("rotate-secret")(apps_rotate_secret)
    apps.command("set-methods")(apps_set_methods)
    apps.command("set-domains")(apps_set_domains)
    return apps
