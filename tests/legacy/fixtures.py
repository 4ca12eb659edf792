"""Loads a committed trachea-login 0.1.x database (``tests/legacy/fixtures/<version>/``) into a
database, for tests of the 0.1.x migration.

The fixtures were written by 0.1.x's own code (``make_fixtures.py``, see ``README.md`` here); this
module needs only pymongo's ``bson`` and imports nothing of 0.1.x.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bson import ObjectId, json_util

FIXTURES = Path(__file__).parent / "fixtures"
COLLECTIONS = ("apps", "users", "refresh_tokens")


@dataclass(frozen=True)
class LegacyApp:
    """An app registered the 0.1.x way, with the plaintext secret its backend is configured with."""

    app_id: str
    secret: str
    note: str


@dataclass(frozen=True)
class LegacyUser:
    """A person of the fixture: their document's ``_id`` (``None`` if 0.1.x deleted it), the
    fields that find it, and the password they sign in with (``None`` for Firebase-only users)."""

    label: str
    id: ObjectId | None
    lookup: dict[str, Any]
    password: str | None
    firebase_uid: str | None
    written_by: str
    note: str


@dataclass(frozen=True)
class LegacyRefreshToken:
    """One document of ``refresh_tokens`` and the token a client holds for it.

    ``state`` is as of loading (``live``, ``revoked`` or ``expired``); ``delivered`` is false for a
    token 0.1.9 stored but never returned (it failed after storing it).
    """

    label: str | None
    token: str
    token_hash: str
    id: ObjectId
    app_id: str
    firebase_uid: str | None
    username: str | None
    state: str
    delivered: bool
    note: str


@dataclass(frozen=True)
class LegacySecrets:
    """What the fixture's users, apps and clients know, plus the time the database was moved to.

    Every date in the loaded documents is the fixture's date plus ``shift``, so ``loaded_at``
    (``generated_at + shift``) stands for the moment the fixture was taken.
    """

    version: str
    generated_at: datetime
    loaded_at: datetime
    shift: timedelta
    jwt_secret: str
    apps: dict[str, LegacyApp]
    users: dict[str, LegacyUser]
    refresh_tokens: tuple[LegacyRefreshToken, ...]

    def user(self, label: str) -> LegacyUser:
        return self.users[label]

    def token(self, label: str) -> LegacyRefreshToken:
        for token in self.refresh_tokens:
            if token.label == label:
                return token
        raise KeyError(label)

    def tokens(
        self, state: str | None = None, *, app_id: str | None = None
    ) -> list[LegacyRefreshToken]:
        return [
            token
            for token in self.refresh_tokens
            if (state is None or token.state == state)
            and (app_id is None or token.app_id == app_id)
        ]


def fixture_documents(version: str = "0.1.9") -> dict[str, list[dict[str, Any]]]:
    """The fixture's documents per collection, dates as stored (naive UTC, as a server returns)."""
    folder = FIXTURES / version
    return {
        name: json_util.loads((folder / f"{name}.json").read_text(encoding="ascii"))
        for name in COLLECTIONS
    }


def fixture_indexes(version: str = "0.1.9") -> dict[str, list[dict[str, Any]]]:
    """The indexes 0.1.x creates, per collection, as a server lists them (``listIndexes``)."""
    text = (FIXTURES / version / "indexes.json").read_text(encoding="ascii")
    return json.loads(text)["listIndexes"]


async def load_legacy_database(
    database: Any,
    version: str = "0.1.9",
    *,
    now: datetime | None = None,
    ttl_index: bool = True,
) -> LegacySecrets:
    """Makes ``database`` (an async PyMongo, Motor or mongomock-motor database) what 0.1.x left.

    0.1.x's indexes are created first, as its ``startup()`` did, so a real server checks every
    document against them. All dates move by one whole number of seconds so that the fixture's
    ``generated_at`` becomes ``now`` (default: the current time): what was live then is live now.

    ``ttl_index=False`` leaves out the TTL index on ``refresh_tokens.expires_at``, as if its monitor
    had not run yet: a real server removes expired documents within about a minute, mongomock on
    every read, so the fixture's expired tokens only stay without it.

    Raises ``ValueError`` if one of the three collections already holds documents.
    """
    folder = FIXTURES / version
    recorded = json.loads((folder / "secrets.json").read_text(encoding="ascii"))
    generated_at = datetime.fromisoformat(recorded["generated_at"].replace("Z", "+00:00"))
    current = now if now is not None else datetime.now(timezone.utc)
    if current.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    shift = timedelta(seconds=int((current - generated_at).total_seconds()))

    for name in COLLECTIONS:
        if await database[name].find_one({}) is not None:
            raise ValueError(f"collection {name!r} is not empty")

    for name, indexes in fixture_indexes(version).items():
        for index in indexes:
            if index["name"] == "_id_":
                continue
            options = {k: v for k, v in index.items() if k not in ("v", "key", "name")}
            if "expireAfterSeconds" in options and not ttl_index:
                continue
            await database[name].create_index(
                list(index["key"].items()), name=index["name"], **options
            )
    for name, documents in fixture_documents(version).items():
        if documents:
            await database[name].insert_many([_shifted(d, shift) for d in documents])

    return LegacySecrets(
        version=recorded["version"],
        generated_at=generated_at,
        loaded_at=generated_at + shift,
        shift=shift,
        jwt_secret=recorded["jwt_secret"],
        apps={
            app["app_id"]: LegacyApp(app["app_id"], app["app_secret"], app["note"])
            for app in recorded["apps"]
        },
        users={
            user["label"]: LegacyUser(
                label=user["label"],
                id=ObjectId(user["id"]) if user["id"] else None,
                lookup=user["lookup"],
                password=user["password"],
                firebase_uid=(user["firebase"] or {}).get("uid"),
                written_by=user["written_by"],
                note=user["note"],
            )
            for user in recorded["users"]
        },
        refresh_tokens=tuple(
            LegacyRefreshToken(
                label=token["label"],
                token=token["token"],
                token_hash=token["token_hash"],
                id=ObjectId(token["id"]),
                app_id=token["app_id"],
                firebase_uid=token["firebase_uid"],
                username=token["username"],
                state=token["state"],
                delivered=token["delivered_to_a_client"],
                note=token["note"],
            )
            for token in recorded["refresh_tokens"]
        ),
    )


def _shifted(value: Any, shift: timedelta) -> Any:
    if isinstance(value, datetime):
        return value + shift
    if isinstance(value, dict):
        return {key: _shifted(item, shift) for key, item in value.items()}
    if isinstance(value, list):
        return [_shifted(item, shift) for item in value]
    return value
