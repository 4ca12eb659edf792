"""The migration from trachea-login 0.1.x, step by step: read, decide (:mod:`.identifiers`,
:mod:`.tokens`, :mod:`.apps`), then one write per document.

Order, chosen so that an interruption anywhere leaves a database that a rerun finishes and that
the service still refuses to start on (:func:`.legacy.legacy_signs` keeps finding 0.1.x's
indexes, or its apps, until the last step):

1. users: explicit nulls and empty identifiers removed, identifiers stored as this version
   stores them (except where they collide), unreadable dates of birth set aside;
2. 0.1.x refresh tokens: live ones become sessions (an app entry added first where 0.1.x
   recorded none), then every 0.1.x token document is removed (a session's id derives from its
   token, so a rerun never makes a second one);
3. indexes: 0.1.x's dropped, ours created (``Store.ensure_indexes``);
4. apps: ``app_secret`` renamed ``app_secret_hash`` (the hash itself is kept, so every app
   starts with the secret it has).

Each write changes one document and only if it still holds what was read (so nothing needs two
writes to both happen, and a document changed meanwhile is left for the next run). When the
plan finds exact duplicates, which this version's unique indexes cannot hold, nothing is
written at all. ``dry_run`` reads and reports, and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from typing import Any

from pymongo import ReadPreference, WriteConcern
from pymongo.errors import DuplicateKeyError

from ..clock import Clock, SystemClock
from ..records import DEFAULT_PLAN, DEFAULT_ROLE
from ..store import Store
from .apps import app_notices, expected_indexes
from .identifiers import IdentifierPlan, document_changes, plan_identifiers
from .legacy import (
    LEGACY_INDEXES,
    LEGACY_SECRET_FIELD,
    LEGACY_TOKEN_QUERY,
    PERSON_PROJECTION,
    SECRET_HASH_FIELD,
    Person,
    legacy_token_of,
    person_of,
)
from .report import Conflict, MigrationReport, Notice
from .tokens import (
    REMOVAL_COUNTS,
    CarriedSession,
    Directory,
    TokenFate,
    carried_session,
    judge_legacy_token,
)

#: ``SESSION_MAX_DAYS``'s default: the absolute lifetime of a carried-over session.
DEFAULT_SESSION_MAX_DAYS = 90


class _Migration:
    """One run of the migration on one database."""

    def __init__(self, database: Any, *, dry_run: bool, clock: Clock, max_lifetime: timedelta):
        self.database = database
        self.dry_run = dry_run
        self.now = clock.now()
        self.max_lifetime = max_lifetime
        self.store = Store(database, clock=clock)
        self.report = MigrationReport(dry_run=dry_run)

    def collection(self, name: str) -> Any:
        # An operator's one-off run: every read from the primary, every write acknowledged
        # by a majority, whatever the client's defaults.
        return self.database.get_collection(
            name, read_preference=ReadPreference.PRIMARY, write_concern=WriteConcern("majority")
        )

    async def run(self) -> MigrationReport:
        people = [
            person_of(doc) async for doc in self.collection("users").find({}, PERSON_PROJECTION)
        ]
        apps = [doc async for doc in self.collection("apps").find({}).sort("_id", 1)]
        self.report.scanned["users"] = len(people)
        self.report.scanned["apps"] = len(apps)
        plan = plan_identifiers(people)
        self.report.conflicts += plan.conflicts
        self.report.notices += plan.notices + app_notices(apps, people)
        self.report.sub_changes += plan.sub_changes
        if plan.blocking:
            self.report.blocked = True
            return self.report
        await self.users(plan)
        await self.tokens(people, frozenset(str(app.get("app_id")) for app in apps))
        await self.indexes()
        await self.apps(apps)
        return self.report

    # -- 1. users ----------------------------------------------------------------------------

    async def users(self, plan: IdentifierPlan) -> None:
        users = self.collection("users")
        set_aside: list[str] = []
        changed_meanwhile: list[str] = []
        async for doc in users.find({}).sort("_id", 1):
            changes = document_changes(doc, plan)
            if changes is None:
                continue
            if "dates_of_birth_set_aside" in changes.counted:
                set_aside.append(str(doc["_id"]))
            if not self.dry_run:
                update: dict[str, Any] = {}
                if changes.set:
                    update["$set"] = changes.set
                if changes.unset:
                    update["$unset"] = dict.fromkeys(changes.unset, "")
                result = await users.update_one({"_id": doc["_id"], **changes.guard}, update)
                if not result.matched_count:
                    changed_meanwhile.append(str(doc["_id"]))
                    continue
            for name in changes.counted:
                self.report.count(name)
        if set_aside:
            self.report.notices.append(
                Notice(
                    "date_of_birth_set_aside",
                    tuple(set_aside),
                    "dates of birth this version cannot read (0.1.x kept any text) were moved "
                    "to legacy_date_of_birth; the profile shows none until the user sets one.",
                )
            )
        if changed_meanwhile:
            self.report.notices.append(
                Notice(
                    "changed_meanwhile",
                    tuple(changed_meanwhile),
                    "these documents changed while the migration ran and were left alone: "
                    "run the migration again.",
                )
            )

    # -- 2. refresh tokens -------------------------------------------------------------------

    async def tokens(self, people: list[Person], app_ids: frozenset[str]) -> None:
        directory = Directory.of(people)
        tokens = self.collection("refresh_tokens")
        scanned = 0
        async for doc in tokens.find(LEGACY_TOKEN_QUERY).sort("_id", 1):
            scanned += 1
            token = legacy_token_of(doc)
            owners = directory.owners_of(token)
            fate = judge_legacy_token(
                token, owners, app_ids=app_ids, now=self.now, max_lifetime=self.max_lifetime
            )
            if fate is TokenFate.AMBIGUOUS:
                self.report.conflicts.append(_ambiguous(token.id, token.identifier, owners))
                continue
            if fate is TokenFate.SESSION:
                await self.carry_over(carried_session(token, owners[0], self.max_lifetime))
            if self.dry_run or (await tokens.delete_one({"_id": doc["_id"]})).deleted_count:
                self.report.count(REMOVAL_COUNTS[fate])
        self.report.scanned["refresh_tokens"] = scanned

    async def carry_over(self, session: CarriedSession) -> None:
        """The session for a live 0.1.x token: the app entry first (a session is only live in
        an app its user belongs to), then the session; both skip what a rerun finds done."""
        if session.joins_app:
            entry = {
                "app_id": session.app_id,
                "role": DEFAULT_ROLE,  # what 0.1.x put in this user's tokens for this app
                "plan": DEFAULT_PLAN,
                "joined_at": session.auth_time,
            }
            if self.dry_run:
                self.report.count("memberships_added")
            else:
                result = await self.collection("users").update_one(
                    {"_id": session.user_id, "apps.app_id": {"$ne": session.app_id}},
                    {"$push": {"apps": entry}},
                )
                self.report.count("memberships_added", result.modified_count)
        if self.dry_run:
            if await self.store.sessions.get(session.session_id) is None:
                self.report.count("sessions_created")
            return
        try:
            await self.store.sessions.insert(
                session.session_id,
                user_id=session.user_id,
                app_id=session.app_id,
                provider=session.provider,
                auth_time=session.auth_time,
                expires_at=session.expires_at,
                refresh_hash=session.refresh_hash,
                refresh_expires_at=session.refresh_expires_at,
                legacy_hash=session.refresh_hash,
            )
        except DuplicateKeyError:
            return  # made by an earlier, interrupted run
        self.report.count("sessions_created")

    # -- 3. indexes --------------------------------------------------------------------------

    async def indexes(self) -> None:
        expected = await expected_indexes()
        existing: dict[str, set[str]] = defaultdict(set)
        for name in {*LEGACY_INDEXES, *expected}:
            existing[name] = set(await self.collection(name).index_information())
        for collection, names in LEGACY_INDEXES.items():
            for name in names:
                if name in existing[collection]:
                    if not self.dry_run:
                        await self.collection(collection).drop_index(name)
                    self.report.count("indexes_dropped")
        missing = sum(len(names - existing[collection]) for collection, names in expected.items())
        if not self.dry_run:
            await self.store.ensure_indexes()
        self.report.count("indexes_created", missing)

    # -- 4. apps -----------------------------------------------------------------------------

    async def apps(self, apps: list[dict[str, Any]]) -> None:
        for doc in apps:
            if SECRET_HASH_FIELD in doc:
                continue
            if LEGACY_SECRET_FIELD not in doc:
                self.report.conflicts.append(
                    Conflict(
                        "app_without_secret",
                        (str(doc.get("app_id")),),
                        (),
                        "this app has no secret hash at all: set one with trachea-login apps "
                        "rotate-secret APP (its processes then need the new secret).",
                    )
                )
                continue
            if not self.dry_run:
                result = await self.collection("apps").update_one(
                    {
                        "_id": doc["_id"],
                        LEGACY_SECRET_FIELD: doc[LEGACY_SECRET_FIELD],
                        SECRET_HASH_FIELD: {"$exists": False},
                    },
                    {"$rename": {LEGACY_SECRET_FIELD: SECRET_HASH_FIELD}},
                )
                if not result.modified_count:
                    continue
            self.report.count("apps_converted")


def _ambiguous(token_id: Any, identifier: str | None, owners: list[Person]) -> Conflict:
    return Conflict(
        "ambiguous_token",
        (str(token_id), *(str(owner.id) for owner in owners)),
        (str(identifier),),
        "a live 0.1.x refresh token names an identifier several accounts hold: it was kept, "
        "not given to either; settle the accounts' conflict and run the migration again.",
    )


async def from_0_1(
    database: Any,
    *,
    dry_run: bool,
    clock: Clock | None = None,
    session_max_days: int = DEFAULT_SESSION_MAX_DAYS,
) -> MigrationReport:
    """Bring a database trachea-login 0.1.x wrote to this version's layout, in place.

    Idempotent (a second run changes nothing) and resumable (a run interrupted anywhere is
    finished by the next). Conflicts it cannot settle without guessing are reported, with the
    ids involved, and those documents are left as they were. ``dry_run`` writes nothing and
    reports what a run would do. ``session_max_days``: the absolute lifetime of the sessions
    made from live 0.1.x refresh tokens, counted from each token's issue (use the service's
    ``TRACHEA_SESSION_MAX_DAYS``). ``clock`` gives "now" (what has expired).
    """
    if session_max_days < 1:
        raise ValueError("session_max_days must be at least 1")
    migration = _Migration(
        database,
        dry_run=dry_run,
        clock=clock or SystemClock(),
        max_lifetime=timedelta(days=session_max_days),
    )
    return await migration.run()


__all__ = ["DEFAULT_SESSION_MAX_DAYS", "from_0_1"]
