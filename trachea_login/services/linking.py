"""Which account a Firebase identity belongs to: a pure decision, tested as a table.

:func:`decide` takes the verified identity and what the store holds (the account that has the
identity's Firebase uid, and the account that has its email) and names the one write to make.
:mod:`.firebase_accounts` performs it; when a conditional write finds the data changed under
it, the executor reads again and decides again.

The rules (contract §4 and docs/decisions.md, "Firebase"):

- The identity's own account (same Firebase uid) is used; fields it lacks are filled from the
  token, never overwritten or erased. The one exception is a phone sign-in's number, proven
  by SMS just now: it becomes the account's ``phone`` whatever was there. Phone numbers never
  link accounts: they are not unique (§6), carriers recycle them, and a typed-in one is
  unproven. When Firebase now says the email is verified and the
  account held that address unproven (or had none), the account adopts it as verified; if it
  held it unproven, whoever held the account before loses every session.
- An identity links to an existing account by email only when Firebase says the email is
  verified and that account has no Firebase uid yet. When that account's own email was never
  proven, the link removes its password and ends its sessions: a pre-registered account cannot
  hijack the real owner's sign-in.
- A verified owner evicts another Firebase account holding the address unverified.
- Otherwise a new account is created, without the email when another account holds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..firebase import FirebaseIdentity
from ..records import UserRecord


@dataclass(frozen=True)
class FillProfile:
    """Use the identity's own account, filling what it lacks."""

    user: UserRecord
    fields: dict[str, Any] = field(default_factory=dict)
    #: The account adopts the identity's email as verified (``fields`` holds it).
    adopts_email: bool = False
    #: The account held that address unproven: whoever held the account loses its sessions.
    ends_sessions: bool = False


@dataclass(frozen=True)
class LinkAccount:
    """Attach the identity to the account holding its verified email."""

    holder: UserRecord
    fields: dict[str, Any]
    removes_password: bool
    ends_sessions: bool


@dataclass(frozen=True)
class EvictEmail:
    """Take the address from another Firebase account holding it unverified, then decide again."""

    holder: UserRecord


@dataclass(frozen=True)
class CreateAccount:
    """A new account for the identity."""

    fields: dict[str, Any]
    #: The email was left out: another account holds it.
    without_email: bool = False


Decision = FillProfile | LinkAccount | EvictEmail | CreateAccount


def token_profile(identity: FirebaseIdentity) -> dict[str, Any]:
    """The profile fields a token carries (``None`` where it carries nothing)."""
    return {
        "email": identity.email,
        "email_verified": identity.email_verified if identity.email else None,
        "name": identity.name,
        "avatar": identity.picture,
        "phone": identity.phone_number,
    }


_PROFILE_GAPS = ("name", "avatar", "phone")


def _gaps(user: UserRecord, profile: dict[str, Any], identity: FirebaseIdentity) -> dict[str, Any]:
    """Profile values the token has and the account lacks, and a phone sign-in's number."""
    fields = {
        key: profile[key]
        for key in _PROFILE_GAPS
        if profile[key] is not None and getattr(user, key) is None
    }
    verified = identity.verified_phone
    if verified is not None and user.phone != verified:
        fields["phone"] = verified
    return fields


def decide(
    identity: FirebaseIdentity, by_uid: UserRecord | None, email_holder: UserRecord | None
) -> Decision:
    """The write that puts ``identity`` in its one account.

    ``by_uid`` is the account with the identity's Firebase uid; ``email_holder`` the account
    holding the identity's email (only consulted when ``by_uid`` is ``None``).
    """
    profile = token_profile(identity)
    if by_uid is not None:
        return _own_account(identity, by_uid, profile)
    holder = email_holder if identity.email else None
    if holder is not None and identity.email_verified:
        if holder.firebase_uid is None:
            unproven = not holder.email_verified
            return LinkAccount(
                holder=holder,
                fields={
                    **_gaps(holder, profile, identity),
                    "firebase_uid": identity.uid,
                    "email_verified": True,
                },
                removes_password=unproven and holder.password_hash is not None,
                ends_sessions=unproven,
            )
        if not holder.email_verified:
            return EvictEmail(holder=holder)
    fields = {key: value for key, value in profile.items() if value is not None}
    if holder is not None:
        fields.pop("email", None)
        fields.pop("email_verified", None)
    fields.update(firebase_uid=identity.uid, provider=identity.provider)
    return CreateAccount(fields=fields, without_email=holder is not None)


def _own_account(
    identity: FirebaseIdentity, user: UserRecord, profile: dict[str, Any]
) -> FillProfile:
    fields = _gaps(user, profile, identity)
    adopts = bool(
        identity.email
        and identity.email_verified
        and not user.email_verified
        and user.email in (None, identity.email)
    )
    if adopts:
        fields.update(email=identity.email, email_verified=True)
    return FillProfile(
        user=user, fields=fields, adopts_email=adopts, ends_sessions=adopts and bool(user.email)
    )
