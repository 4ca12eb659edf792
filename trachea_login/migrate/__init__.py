"""Upgrading a trachea-login 0.1.x database in place (contract §13).

``await trachea_login.migrate.from_0_1(database, dry_run=True)`` reports what the migration
would do; ``dry_run=False`` does it. ``trachea-login db migrate [--dry-run]`` runs the same code;
docs/upgrading.md walks an operator through it. :func:`legacy_signs` is what the service's
startup checks, so that it refuses a database 0.1.x wrote until it is migrated.

The modules: :mod:`.legacy` (what 0.1.x stored), :mod:`.identifiers`, :mod:`.tokens` and
:mod:`.apps` (the decisions, pure), :mod:`.run` (the steps and their writes),
:mod:`.report` (what the run tells the operator).
"""

from __future__ import annotations

from .legacy import legacy_database_message, legacy_signs
from .report import CHANGES, Conflict, MigrationReport, Notice, SubChange
from .run import DEFAULT_SESSION_MAX_DAYS, from_0_1

__all__ = [
    "CHANGES",
    "DEFAULT_SESSION_MAX_DAYS",
    "Conflict",
    "MigrationReport",
    "Notice",
    "SubChange",
    "from_0_1",
    "legacy_database_message",
    "legacy_signs",
]
