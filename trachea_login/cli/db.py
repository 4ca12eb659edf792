"""``trachea-login db ...``: the database itself (``db migrate``: upgrade from 0.1.x)."""

from __future__ import annotations

from typing import Annotated

import typer

from ..migrate import CHANGES, DEFAULT_SESSION_MAX_DAYS, MigrationReport, from_0_1
from .common import EXIT_CONFLICTS, JsonFlag, echo_lines, print_json, run, wants_json


def _report_lines(report: MigrationReport) -> list[str]:
    lines = [
        "Dry run: nothing was written. A run would make these changes:"
        if report.dry_run
        else "Migrated from trachea-login 0.1.x. Changes:"
    ]
    if report.blocked:
        lines = ["Nothing was written: exact duplicates must be settled first (see below)."]
    else:
        done = [(name, report.changes[name]) for name in CHANGES if report.changes.get(name)]
        lines += [f"  {count:>7}  {CHANGES[name]}" for name, count in done] or ["  (none)"]
    if report.sub_changes:
        lines.append(
            f"Native accounts whose access tokens get another sub: {len(report.sub_changes)} "
            "(--json lists them, old and new)."
        )
    for title, entries in (("Conflicts", report.conflicts), ("Notices", report.notices)):
        if entries:
            lines.append(f"{title} ({len(entries)}):")
        for entry in entries:
            lines.append(f"- {entry.kind}: {entry.message}")
            lines.append(f"    ids: {', '.join(entry.ids)}")
    if report.conflicts:
        lines.append(
            "Settle each conflict (docs/upgrading.md, 'Settling conflicts'), then run the "
            "migration again: it continues where it left off."
        )
    return lines


def db_migrate(
    ctx: typer.Context,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change; write nothing.")
    ] = False,
    session_max_days: Annotated[
        int,
        typer.Option(
            "--session-max-days",
            min=1,
            help="Absolute lifetime of the sessions made from live 0.1.x refresh tokens, in "
            "days from each token's issue (the service's TRACHEA_SESSION_MAX_DAYS).",
        ),
    ] = DEFAULT_SESSION_MAX_DAYS,
    json_output: JsonFlag = False,
) -> None:
    """Upgrade a database trachea-login 0.1.x wrote, in place (back it up first; see
    docs/upgrading.md). Safe to run again: a finished migration changes nothing. Exits 5
    when conflicts are left for you to settle."""
    report = run(
        ctx,
        lambda db: from_0_1(db, dry_run=dry_run, session_max_days=session_max_days),
        on_legacy=True,
    )
    if wants_json(ctx, json_output):
        print_json(report.to_dict())
    else:
        echo_lines(_report_lines(report))
    if report.conflicts:
        raise typer.Exit(EXIT_CONFLICTS)


def build_db_cli() -> typer.Typer:
    db = typer.Typer(help="The database: upgrade from trachea-login 0.1.x.", no_args_is_help=True)
    db.command("migrate")(db_migrate)
    return db


__all__ = ["build_db_cli"]
