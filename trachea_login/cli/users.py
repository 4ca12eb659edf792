"""``trachea-login users ...``: find users; set their role, plan and status."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .. import admin
from ..levels import PLANS, ROLES
from ..records import UserRecord
from .common import (
    EXIT_INVALID,
    AppOption,
    JsonFlag,
    UserQueryArg,
    echo_lines,
    print_json,
    run,
    wants_json,
)


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
    """Deactivate a user: no more sign-ins; every session in every app ends."""
    user, ended = run(ctx, lambda db: admin.deactivate_user(db, query))
    if wants_json(ctx, json_output):
        print_json({"user": admin.user_public_view(user), "sessions_ended": ended})
    else:
        typer.echo(f"User {user.uid} deactivated; {ended} live session(s) ended.")


def users_reactivate(
    ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False
) -> None:
    """Let a deactivated user sign in again."""
    user = run(ctx, lambda db: admin.reactivate_user(db, query))
    _print_user_change(ctx, json_output, user, f"User {user.uid} reactivated.")


def users_sessions(
    ctx: typer.Context,
    query: UserQueryArg,
    app_id: Annotated[
        str | None, typer.Option("--app", help="Only this app's sessions.", show_default=False)
    ] = None,
    json_output: JsonFlag = False,
) -> None:
    """List a user's live sessions (every app, or one), newest first."""
    user, sessions = run(ctx, lambda db: admin.user_sessions(db, query, app_id))
    views = [
        {
            "session_id": session.session_id,
            "app_id": session.app_id,
            "provider": session.provider,
            "created_at": session.auth_time.isoformat(),
            "last_used_at": session.last_used_at.isoformat(),
            "expires_at": session.ends_at().isoformat(),
            "ip": session.ip,
            "user_agent": session.user_agent,
        }
        for session in sessions
    ]
    if wants_json(ctx, json_output):
        print_json({"user_id": user.uid, "sessions": views})
        return
    if not views:
        typer.echo(f"User {user.uid} has no live session.")
    for view in views:
        typer.echo(
            f"{view['session_id']}  app={view['app_id']}  {view['provider']}  "
            f"signed in {view['created_at']}  last used {view['last_used_at']}  "
            f"ip={view['ip'] or '-'}"
        )


def users_end_sessions(
    ctx: typer.Context, query: UserQueryArg, json_output: JsonFlag = False
) -> None:
    """End every session of a user in every app (they must sign in again)."""
    user, ended = run(ctx, lambda db: admin.end_user_sessions(db, query))
    if wants_json(ctx, json_output):
        print_json({"user": admin.user_public_view(user), "sessions_ended": ended})
    else:
        typer.echo(f"User {user.uid}: {ended} live session(s) ended.")


def users_erase(
    ctx: typer.Context,
    query: UserQueryArg,
    yes: Annotated[
        bool, typer.Option("--yes", help="Erase without asking (the erasure cannot be undone).")
    ] = False,
    json_output: JsonFlag = False,
) -> None:
    """Erase a person's data (GDPR Art. 17): their account in every app, irreversibly."""
    if not yes and not typer.confirm(f"Erase user {query!r} in every app? This cannot be undone"):
        raise typer.Exit(EXIT_INVALID)
    user = run(ctx, lambda db: admin.erase_user(db, query))
    if wants_json(ctx, json_output):
        print_json({"erased": user.uid})
    else:
        typer.echo(f"User {user.uid} erased: nothing personal is left; every session ended.")


def _print_user_change(
    ctx: typer.Context, json_output: bool, user: UserRecord, message: str
) -> None:
    if wants_json(ctx, json_output):
        print_json(admin.user_public_view(user))
    else:
        typer.echo(message)


def build_users_cli() -> typer.Typer:
    users = typer.Typer(
        help="Find users; set their role, plan and status; list and end sessions; erase.",
        no_args_is_help=True,
    )
    users.command("find")(users_find)
    users.command("set-role")(users_set_role)
    users.command("set-plan")(users_set_plan)
    users.command("deactivate")(users_deactivate)
    users.command("reactivate")(users_reactivate)
    users.command("sessions")(users_sessions)
    users.command("end-sessions")(users_end_sessions)
    users.command("erase")(users_erase)
    return users
