"""The refresh-token part of the plan: what becomes of each 0.1.x refresh token. Pure.

A live 0.1.x token becomes a session of ours whose current refresh token it is (its hash is
already what ``sessions.refresh_hash`` holds: SHA-256 hex), with ``legacy_hash`` to find it by,
since the token carries no session id. Its first refresh rotates it into a token of ours
(``services/refresh.py``), so signed-in mobile users are not logged out by the upgrade and the
0.1.x token works exactly once. Everything else is removed: revoked and expired tokens, tokens
of deleted or deactivated users (a deactivated account's sessions would never be live again),
and of apps that do not exist. A token whose owner cannot be told apart is kept and reported.

0.1.x tokens name their owner by identifier, not by ``_id``: ``firebase_uid`` for Firebase
sign-ins, else ``username``, which holds the username or email exactly as stored when the
token was issued. The owner is the account holding that value exactly; failing that (a rerun
after the identifiers were stored anew), the one account it is as an identifier.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from ..methods import NATIVE_METHOD
from .identifiers import comparison_key
from .legacy import LegacyToken, Person


class TokenFate(Enum):
    SESSION = "session"
    REVOKED = "revoked"
    EXPIRED = "expired"
    UNKNOWN_APP = "unknown_app"
    NO_USER = "no_user"
    INACTIVE_USER = "inactive_user"
    #: Several accounts could own it: it is kept, and reported.
    AMBIGUOUS = "ambiguous"


#: The change counted when a token is removed for each reason (see ``report.CHANGES``).
REMOVAL_COUNTS = {
    TokenFate.REVOKED: "tokens_removed_revoked",
    TokenFate.EXPIRED: "tokens_removed_expired",
    TokenFate.UNKNOWN_APP: "tokens_removed_unknown_app",
    TokenFate.NO_USER: "tokens_removed_no_user",
    TokenFate.INACTIVE_USER: "tokens_removed_inactive_user",
    TokenFate.SESSION: "tokens_converted",
}


@dataclass
class Directory:
    """Accounts by what 0.1.x tokens name them by."""

    exact: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))
    by_key: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))
    by_uid: dict[str, list[Person]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def of(cls, people: list[Person]) -> Directory:
        directory = cls()
        for person in people:
            for value in {person.username, person.email} - {None}:
                assert value is not None
                directory.exact[value].append(person)
                directory.by_key[comparison_key(value)].append(person)
            if person.firebase_uid is not None:
                directory.by_uid[person.firebase_uid].append(person)
        return directory

    def owners_of(self, token: LegacyToken) -> list[Person]:
        """The accounts that could own ``token``: one, none, or (ambiguous) several."""
        if token.firebase_uid is not None:
            return _distinct(self.by_uid.get(token.firebase_uid, []))
        if token.identifier is None:
            return []
        exact = _distinct(self.exact.get(token.identifier, []))
        if exact:
            return exact
        return _distinct(self.by_key.get(comparison_key(token.identifier), []))


def _distinct(people: list[Person]) -> list[Person]:
    seen: dict[object, Person] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return list(seen.values())


def judge_legacy_token(
    token: LegacyToken,
    owners: list[Person],
    *,
    app_ids: frozenset[str],
    now: datetime,
    max_lifetime: timedelta,
) -> TokenFate:
    """What becomes of one 0.1.x refresh token."""
    if token.revoked:
        return TokenFate.REVOKED
    if token.expires_at <= now or token.created_at + max_lifetime <= now:
        return TokenFate.EXPIRED
    if token.app_id not in app_ids:
        return TokenFate.UNKNOWN_APP
    if len(owners) > 1:
        return TokenFate.AMBIGUOUS
    if not owners:
        return TokenFate.NO_USER
    if not owners[0].is_active:
        return TokenFate.INACTIVE_USER
    return TokenFate.SESSION


def legacy_session_id(token_hash: str) -> str:
    """The id of the session a 0.1.x token becomes: derived from its hash, so that a rerun
    after an interruption finds the session it already made instead of making another."""
    digest = hashlib.sha256(f"trachea-login 0.1.x refresh token {token_hash}".encode())
    return digest.hexdigest()[:32]


@dataclass(frozen=True)
class CarriedSession:
    """The session a live 0.1.x token becomes. ``auth_time`` is when the token was issued
    (0.1.x kept no sign-in time): the absolute lifetime counts from there."""

    session_id: str
    user_id: Any  # the user document's _id (an ObjectId)
    app_id: str
    provider: str
    auth_time: datetime
    expires_at: datetime
    refresh_hash: str
    refresh_expires_at: datetime
    #: 0.1.x never recorded the user in this app (a native sign-in to a second app).
    joins_app: bool


def carried_session(token: LegacyToken, owner: Person, max_lifetime: timedelta) -> CarriedSession:
    """The session for a token judged :attr:`TokenFate.SESSION`.

    Its method is ``username`` for a native sign-in; for a Firebase one, the method 0.1.x
    recorded on the account (what 0.1.9's own refresh put in the token: a native account
    that Firebase later linked keeps ``username``; 0.1.x never recorded which provider
    linked it).
    """
    provider = NATIVE_METHOD if token.firebase_uid is None else owner.provider or NATIVE_METHOD
    expires_at = token.created_at + max_lifetime
    return CarriedSession(
        session_id=legacy_session_id(token.token_hash),
        user_id=owner.id,
        app_id=token.app_id,
        provider=provider,
        auth_time=token.created_at,
        expires_at=expires_at,
        refresh_hash=token.token_hash,
        refresh_expires_at=min(token.expires_at, expires_at),
        joins_app=token.app_id not in owner.app_ids,
    )


__all__ = [
    "REMOVAL_COUNTS",
    "CarriedSession",
    "Directory",
    "TokenFate",
    "carried_session",
    "judge_legacy_token",
    "legacy_session_id",
]
