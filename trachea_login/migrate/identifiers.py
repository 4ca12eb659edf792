"""The users part of the plan: which identifiers to store anew, which collide, and what each
user document needs so that this version reads it. Pure functions: facts in, decisions out.

0.1.x stored usernames and emails as typed. This version stores them the way it looks them up
(:func:`stored_identifier`), which only works where no two accounts end up with one stored
value. Accounts that collide (``alice``/``Alice``, ``René`` in NFC and NFD, ``Dave@`` native
and ``dave@`` Google) are all left exactly as they were and reported: which of them keeps the
name is the operator's call, not ours.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from email_validator import EmailNotValidError, validate_email

from ..identifiers import normalise_identifier
from .legacy import Person
from .report import Conflict, Notice, SubChange

#: What a new registration accepts (``routes/requests.py``); older names still sign in.
REGISTRABLE_USERNAME = re.compile(r"[A-Za-z0-9._-]{3,32}")
IDENTIFIER_FIELDS = ("username", "email", "firebase_uid")
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def stored_identifier(value: str) -> str:
    """A username or email as this version stores it and looks it up: the one normalisation
    of identifiers (:func:`~trachea_login.identifiers.normalise_identifier`, NFKC and case
    folding), the same the routes apply to what a user types."""
    return normalise_identifier(value)


def comparison_key(value: str) -> str:
    """When two identifiers are one (contract §4). The stored form itself: two accounts
    collide exactly when this version would store one value for both."""
    return stored_identifier(value)


def valid_email(value: str) -> bool:
    """Whether this version's routes accept ``value`` as an email (sign-in by email)."""
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True


@dataclass
class IdentifierPlan:
    """What the users part of the migration does. ``usernames``/``emails``: the new stored
    value per user id (only where it changes). ``blocking``: exact duplicates exist, which
    the unique indexes of this version cannot hold, so nothing may be written."""

    usernames: dict[Any, str] = field(default_factory=dict)
    emails: dict[Any, str] = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    sub_changes: list[SubChange] = field(default_factory=list)
    blocking: bool = False


def shown(value: str) -> str:
    """An identifier quoted for the operator: escaped where it is not in NFC, so that two
    spellings that look alike (``René`` composed and decomposed) are told apart."""
    return repr(value) if unicodedata.is_normalized("NFC", value) else ascii(value)


def _collision_message(field_name: str, values: list[str]) -> str:
    shown_values = ", ".join(shown(value) for value in values)
    return (
        f"{field_name}s {shown_values} are one {field_name} to this version (case and Unicode "
        f"form are ignored): none of these accounts was changed, and sign-in by that "
        f"{field_name} reaches at most one of them until it is settled."
    )


def _collisions(people: list[Person], field_name: str, plan: IdentifierPlan) -> set[Any]:
    """Report groups of accounts whose ``field_name`` is one identifier; their ids."""
    groups: dict[str, list[Person]] = defaultdict(list)
    for person in people:
        value = getattr(person, field_name)
        if value is not None:
            key = value if field_name == "firebase_uid" else comparison_key(value)
            groups[key].append(person)
    involved: set[Any] = set()
    for group in groups.values():
        if len(group) < 2:
            continue
        values = [getattr(person, field_name) for person in group]
        exact = len(set(values)) < len(values)
        plan.blocking = plan.blocking or exact
        message = _collision_message(field_name.replace("_", " "), values)
        if exact:
            message = (
                f"{len(values)} accounts hold exactly the {field_name} {shown(values[0])}, "
                "which this version's unique index cannot hold: nothing was written."
            )
        plan.conflicts.append(
            Conflict(
                kind=f"{field_name}_collision",
                ids=tuple(str(person.id) for person in group),
                values=tuple(values),
                message=message,
            )
        )
        involved.update(person.id for person in group)
    return involved


def _invalid_email(person: Person, plan: IdentifierPlan) -> None:
    assert person.email is not None
    if person.is_native and person.username is None:
        plan.conflicts.append(
            Conflict(
                kind="invalid_email",
                ids=(str(person.id),),
                values=(person.email,),
                message=(
                    f"{shown(person.email)} is not an email address this version accepts, and "
                    "it is this account's only sign-in name: it cannot sign in until it has a "
                    "valid email or a username. It was left as it was."
                ),
            )
        )
    else:
        plan.notices.append(
            Notice(
                kind="invalid_email",
                ids=(str(person.id),),
                message=f"{shown(person.email)} is not a valid email; left as it was (unused).",
            )
        )


def _new_values(people: list[Person], plan: IdentifierPlan, skip: dict[str, set[Any]]) -> None:
    odd_names: list[str] = []
    for person in people:
        if person.username is not None and person.id not in skip["username"]:
            if not REGISTRABLE_USERNAME.fullmatch(person.username):
                odd_names.append(str(person.id))
            if stored_identifier(person.username) != person.username:
                plan.usernames[person.id] = stored_identifier(person.username)
        if person.email is not None and person.id not in skip["email"]:
            if not valid_email(person.email):
                _invalid_email(person, plan)
            elif stored_identifier(person.email) != person.email:
                plan.emails[person.id] = stored_identifier(person.email)
    if odd_names:
        plan.notices.append(
            Notice(
                kind="username_not_registrable",
                ids=tuple(odd_names),
                message=(
                    "usernames a new registration would refuse (spaces, '@', letters beyond "
                    "A-Z, length): they still sign in, and are stored case-folded (NFKC)."
                ),
            )
        )


def _subjects(people: list[Person], plan: IdentifierPlan) -> None:
    """The ``sub`` of native accounts: the username, else the email (0.1.x's too, as typed).
    Record each that changes, and report two accounts that would share one."""
    by_key: dict[str, list[tuple[Person, str]]] = defaultdict(list)
    for person in people:
        if not person.is_native:
            continue
        old = person.username or person.email
        new = plan.usernames.get(person.id, person.username) or plan.emails.get(
            person.id, person.email
        )
        if old is None or new is None:
            continue
        if new != old:
            plan.sub_changes.append(SubChange(str(person.id), old, new))
        by_key[comparison_key(new)].append((person, "username" if person.username else "email"))
    for group in by_key.values():
        if len(group) > 1 and len({source for _, source in group}) > 1:
            plan.conflicts.append(
                Conflict(
                    kind="sub_collision",
                    ids=tuple(str(person.id) for person, _ in group),
                    values=tuple(str(person.username or person.email) for person, _ in group),
                    message=(
                        "one account's username is another's email: both sign in, but their "
                        "access tokens carry the same sub, so a product app that keys its "
                        "data by sub mixes them up (uid tells them apart)."
                    ),
                )
            )


def plan_identifiers(people: Iterable[Person]) -> IdentifierPlan:
    """Decide, for every user, which identifiers change and which conflicts to report."""
    everyone = list(people)
    plan = IdentifierPlan()
    skip = {name: _collisions(everyone, name, plan) for name in IDENTIFIER_FIELDS}
    _new_values(everyone, plan, skip)
    _subjects(everyone, plan)
    return plan


def readable_date(value: Any) -> bool:
    """Whether this version can show ``value`` as a date of birth (an ISO date)."""
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class DocumentChanges:
    """The one update a user document needs: ``set``, ``unset``, the values it must still have
    for the update to apply (``guard``), and the changes counted (names of ``CHANGES``)."""

    set: dict[str, Any]
    unset: tuple[str, ...]
    guard: dict[str, Any]
    counted: tuple[str, ...]


def document_changes(doc: Mapping[str, Any], plan: IdentifierPlan) -> DocumentChanges | None:
    """What one user document needs, or ``None``: explicit nulls and empty identifiers go
    (a sparse unique index counts them), identifiers are stored anew as planned, and a date of
    birth this version cannot read moves to ``legacy_date_of_birth`` instead of breaking every
    response that shows the user."""
    to_set: dict[str, Any] = {}
    to_unset: list[str] = []
    guard: dict[str, Any] = {}
    counted: list[str] = []
    nulls = [name for name, value in doc.items() if value is None and name != "_id"]
    if nulls:
        to_unset += nulls
        guard.update(dict.fromkeys(nulls))
        counted.append("null_fields_removed")
    empty = [name for name in IDENTIFIER_FIELDS if doc.get(name) == ""]
    if empty:
        to_unset += empty
        guard.update(dict.fromkeys(empty, ""))
        counted.append("empty_identifiers_removed")
    for name, planned in (("username", plan.usernames), ("email", plan.emails)):
        if doc["_id"] in planned and doc.get(name) != planned[doc["_id"]]:
            to_set[name] = planned[doc["_id"]]
            guard[name] = doc.get(name)
            counted.append(f"{name}s_normalised")
    birth = doc.get("date_of_birth")
    if birth is not None and not readable_date(birth):
        to_set["legacy_date_of_birth"] = birth
        to_unset.append("date_of_birth")
        guard["date_of_birth"] = birth
        counted.append("dates_of_birth_set_aside")
    if not counted:
        return None
    return DocumentChanges(to_set, tuple(to_unset), guard, tuple(counted))


__all__ = [
    "DocumentChanges",
    "IdentifierPlan",
    "comparison_key",
    "document_changes",
    "plan_identifiers",
    "readable_date",
    "stored_identifier",
    "valid_email",
]
