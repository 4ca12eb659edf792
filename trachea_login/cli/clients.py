"""``trachea-login clients ...``: service clients of an app (contract §10).

``create`` and ``rotate-secret`` print the client's secret once; only its hash is stored.
"""

from __future__ import annotations

from typing import Annotated

import typer

from .. import admin
from ..records import ServiceClientRecord
from .common import (
    AppIdArg,
    JsonFlag,
    echo_lines,
    print_json,
    run,
    split_list,
    wants_json,
)

ClientIdArg = Annotated[
    str, typer.Argument(metavar="CLIENT_ID", help="The client's id (svc_...).", show_default=False)
]


def _client_line(record: ServiceClientRecord) -> str:
    revoked = record.revoked_at
    state = "active" if revoked is None else f"revoked {revoked.isoformat()}"
    return (
        f"{record.client_id}  {record.app_id}  {state}  {record.name}  "
        f"scopes={','.join(record.scopes)}"
    )


def clients_create(
    ctx: typer.Context,
    app_id: AppIdArg,
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="What the client is.", show_default=False)
    ],
    scopes: Annotated[
        str,
        typer.Option(
            "--scopes",
            help="Comma-separated scopes, e.g. reports:read,users:read.",
            show_default=False,
        ),
    ],
    json_output: JsonFlag = False,
) -> None:
    """Create a service client of an app and print its id and secret (the secret once)."""
    created = run(
        ctx,
        lambda db: admin.create_client(db, app_id=app_id, name=name, scopes=split_list(scopes)),
    )
    if wants_json(ctx, json_output):
        print_json({"client": created.client.public_view(), "client_secret": created.client_secret})
        return
    echo_lines(
        [
            f"Created service client {created.client_id!r} of app {app_id!r}.",
            f"client_id:     {created.client_id}",
            f"scopes:        {','.join(created.client.scopes)}",
            "client_secret (shown only this once; it cannot be recovered):",
            f"  {created.client_secret}",
            "The service gets tokens with: POST /auth/token grant_type=client_credentials,",
            "authenticating with HTTP Basic (client_id:client_secret).",
        ]
    )


def clients_list(
    ctx: typer.Context,
    app_id: Annotated[
        str | None,
        typer.Argument(metavar="[APP_ID]", help="Only this app's clients.", show_default=False),
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """List service clients (of one app, or of every app), revoked ones too."""
    records = run(ctx, lambda db: admin.list_clients(db, app_id))
    if wants_json(ctx, json_output):
        print_json([record.public_view() for record in records])
        return
    if not records:
        typer.echo("No service clients.")
    for record in records:
        typer.echo(_client_line(record))


def clients_revoke(
    ctx: typer.Context, client_id: ClientIdArg, json_output: JsonFlag = False
) -> None:
    """Revoke a client: no more tokens (those issued live until they expire, except on
    require_scopes(..., live=True) routes)."""
    record = run(ctx, lambda db: admin.revoke_client(db, client_id))
    if wants_json(ctx, json_output):
        print_json(record.public_view())
    else:
        typer.echo(
            f"Service client {client_id!r} revoked: it gets no more tokens; those it holds "
            "expire within the access-token lifetime (at once on live=True routes)."
        )


def clients_rotate_secret(
    ctx: typer.Context, client_id: ClientIdArg, json_output: JsonFlag = False
) -> None:
    """Give a client a new secret and print it (once); the old one stops at once."""
    secret = run(ctx, lambda db: admin.rotate_client_secret(db, client_id))
    if wants_json(ctx, json_output):
        print_json({"client_id": client_id, "client_secret": secret})
        return
    echo_lines(
        [
            f"New secret of service client {client_id!r} (shown only this once):",
            f"  {secret}",
            "The old secret no longer gets tokens; tokens issued before live until they expire.",
        ]
    )


def build_clients_cli() -> typer.Typer:
    clients = typer.Typer(
        help="Service clients: credentials a product's services use to get access tokens.",
        no_args_is_help=True,
    )
    clients.command("create")(clients_create)
    clients.command("list")(clients_list)
    clients.command("revoke")(clients_revoke)
    clients.command("rotate-secret")(clients_rotate_secret)
    return clients
