"""``trachea-login users ...``: find users; set their role, plan and status."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import admin
from ..levels import PLANS, ROLES
from ..records import UserRecord
from .common import AppOption, JsonFlag, UserQueryArg, echo_lines, print_json, run, wants_json


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


def users_find(ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False) -> None:
    """Show a user (never a password hash)."""
    user = run(ctx, lambda db: admin.find_user(db, query))
    view = admin.user_public_view(user)
    if wants_json(ctx, json_output):
        print_json(view)
    else:
        echo_lines(_user_lines(view))


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
    user = run(ctx, lambda db: admin.set_user_role(db, query, app_id, role))
    _print_user_change(
        ctx,
        json_output,
        user,
        f"User {user.uid} now has role {role!r} in app {app_id!r} "
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
    user = run(ctx, lambda db: admin.set_user_plan(db, query, app_id, plan))
    _print_user_change(
        ctx,
        json_output,
        user,
        f"User {user.uid} now has plan {plan!r} in app {app_id!r} "
        "(access tokens issued before keep the old plan until they expire).",
    )


def users_deactivate(
    ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False
) -> None:
    """Deactivate a user and revoke their refresh tokens for every app."""
    user, revoked = run(ctx, lambda db: admin.deactivate_user(db, query))
    if wants_json(ctx, json_output):
        print_json({"user": admin.user_public_view(user), "revoked_refresh_tokens": revoked})
    else:
        typer.echo(f"User {user.uid} deactivated; {revoked} refresh token(s) revoked.")


def users_reactivate(
    ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False
) -> None:
    """Let a deactivated user sign in again."""
    user = run(ctx, lambda db: admin.reactivate_user(db, query))
    _print_user_change(ctx, json_output, user, f"User {user.uid} reactivated.")


def _print_user_change(
    ctx: typer.Context, json_output: bool, user: UserRecord, message: str
) -> None:
    if wants_json(ctx, json_output):
        print_json(admin.user_public_view(user))
    else:
        typer.echo(message)


def build_users_cli() -> typer.Typer:
    users = typer.Typer(help="Find users; set their role, plan and status.", no_args_is_help=True)
    users.command("find")(users_find)
    users.command("set-role")(users_set_role)
    users.command("set-plan")(users_set_plan)
    users.command("deactivate")(users_deactivate)
    users.command("reactivate")(users_reactivate)
    return users
