"""What a migration did (or, with ``dry_run``, would do): counts per change, the conflicts it
left for the operator, and what the operator should know."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

#: Every change a migration counts, in the order a report lists them, with what it means.
CHANGES: dict[str, str] = {
    "null_fields_removed": "user documents whose explicit null fields were removed",
    "empty_identifiers_removed": "empty usernames/emails/Firebase uids removed (0.1.0-0.1.2)",
    "usernames_normalised": "usernames stored as this version stores them (NFKC, case-folded)",
    "emails_normalised": "emails stored as this version stores them (NFKC, case-folded)",
    "dates_of_birth_set_aside": "unreadable dates of birth moved to legacy_date_of_birth",
    "sessions_created": "live 0.1.x refresh tokens carried over as sessions",
    "memberships_added": "app entries added for sessions in apps 0.1.x never recorded",
    "tokens_removed_revoked": "revoked 0.1.x refresh tokens removed",
    "tokens_removed_expired": "expired 0.1.x refresh tokens removed",
    "tokens_removed_no_user": "0.1.x refresh tokens of deleted users removed",
    "tokens_removed_inactive_user": "0.1.x refresh tokens of deactivated users removed",
    "tokens_removed_unknown_app": "0.1.x refresh tokens of apps that do not exist removed",
    "tokens_converted": "0.1.x refresh tokens removed after their session was created",
    "indexes_dropped": "0.1.x indexes dropped",
    "indexes_created": "indexes of this version created",
    "apps_converted": "apps whose 0.1.x secret field became app_secret_hash",
}

#: What a migration reads, counted for the report (not changes).
SCANNED = ("users", "refresh_tokens", "apps")


@dataclass(frozen=True)
class Conflict:
    """Something the migration cannot settle without guessing: it changed none of the
    documents involved (``user_ids``, or app ids / token ids where ``kind`` says so)."""

    kind: str
    ids: tuple[str, ...]
    values: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "ids": list(self.ids),
            "values": list(self.values),
            "message": self.message,
        }


@dataclass(frozen=True)
class Notice:
    """Something that works after the migration but the operator should know or review."""

    kind: str
    ids: tuple[str, ...]
    message: str

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "ids": list(self.ids), "message": self.message}


@dataclass(frozen=True)
class SubChange:
    """A native account whose access tokens' ``sub`` changes (0.1.x's was the identifier as
    typed; this version's is the stored, normalised one). Product apps that keyed their own
    data by ``sub`` should re-key it (better: by ``uid``, which never changes)."""

    user_id: str
    old: str
    new: str

    def to_dict(self) -> dict[str, str]:
        return {"user_id": self.user_id, "old": self.old, "new": self.new}


@dataclass
class MigrationReport:
    """The outcome of :func:`trachea_login.migrate.from_0_1`.

    ``changes`` counts each kind of change (the keys of :data:`CHANGES`); a second run of a
    finished migration counts none. ``conflicts`` are left for the operator; ``blocked`` is
    true when one of them (exact duplicates, which this version's unique indexes cannot hold)
    kept the migration from writing anything at all.
    """

    dry_run: bool
    changes: Counter[str] = field(default_factory=Counter)
    scanned: Counter[str] = field(default_factory=Counter)
    conflicts: list[Conflict] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    sub_changes: list[SubChange] = field(default_factory=list)
    blocked: bool = False

    @property
    def changed(self) -> int:
        """How many changes were made (or would be, in a dry run)."""
        return sum(self.changes.values())

    @property
    def settled(self) -> bool:
        """Whether nothing is left for the operator to settle."""
        return not self.conflicts

    def count(self, change: str, amount: int = 1) -> None:
        if change not in CHANGES:
            raise ValueError(f"not a migration change: {change}")
        self.changes[change] += amount

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (``trachea-login db migrate --json``)."""
        return {
            "dry_run": self.dry_run,
            "blocked": self.blocked,
            "changed": self.changed,
            "changes": {name: self.changes.get(name, 0) for name in CHANGES},
            "scanned": {name: self.scanned.get(name, 0) for name in SCANNED},
            "conflicts": [conflict.to_dict() for conflict in self.conflicts],
            "notices": [notice.to_dict() for notice in self.notices],
            "sub_changes": [change.to_dict() for change in self.sub_changes],
        }


__all__ = ["CHANGES", "Conflict", "MigrationReport", "Notice", "SubChange"]
