"""The apps part of the plan (what the operator should know about each app after the
upgrade), and the indexes this version creates."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from ..passwords import is_plain_bcrypt
from ..store import Store
from .legacy import LEGACY_SECRET_FIELD, SECRET_HASH_FIELD, Person
from .report import Notice


def _secret_notice(apps: Sequence[Mapping[str, Any]]) -> list[Notice]:
    plain = [
        str(app.get("app_id"))
        for app in apps
        if is_plain_bcrypt(str(app.get(SECRET_HASH_FIELD) or app.get(LEGACY_SECRET_FIELD) or ""))
    ]
    if not plain:
        return []
    return [
        Notice(
            "app_secret_plain_bcrypt",
            tuple(plain),
            "these apps keep their 0.1.x secret and start with it; as under 0.1.x only its "
            "first 72 bytes count. Rotate it when convenient (trachea-login apps rotate-secret "
            "APP; the app's processes then need the new TRACHEA_APP_SECRET).",
        )
    ]


def _phone_notices(apps: Sequence[Mapping[str, Any]], people: Sequence[Person]) -> list[Notice]:
    """0.1.x recorded every Firebase provider it did not know (phone above all) as
    ``password``, and an app allowing ``password`` admitted them all. This version names the
    method ``phone``: apps whose members look like phone sign-ins are told, not changed."""
    notices = []
    for app in apps:
        methods = set(app.get("allowed_auth_methods") or ())
        if "password" not in methods or "phone" in methods:
            continue
        app_id = str(app.get("app_id"))
        suspects = [
            str(person.id)
            for person in people
            if person.firebase_uid
            and person.provider == "password"
            and person.email is None
            and app_id in person.app_ids
        ]
        if suspects:
            notices.append(
                Notice(
                    "phone_method",
                    tuple(suspects),
                    f"app {app_id!r}: these Firebase accounts are recorded as 'password' (0.1.x "
                    "named every provider it did not know so) but have no email: most likely "
                    "phone sign-ins. This version calls that method 'phone'; if the app offers "
                    f"it, add it with trachea-login apps set-methods {app_id} "
                    f"{','.join(sorted(methods | {'phone'}))}.",
                )
            )
    return notices


def _plan_notices(people: Sequence[Person]) -> list[Notice]:
    paid = [str(person.id) for person in people if any(plan != "free" for _, plan in person.plans)]
    if not paid:
        return []
    return [
        Notice(
            "paid_plans_review",
            tuple(paid),
            "0.1.x let users choose a paid plan themselves, with no payment check (PATCH "
            "/users/me/plan): these accounts are on one in some app. Review them; this version "
            "asks the product's plan_policy (trachea-login users set-plan to change one).",
        )
    ]


def _firebase_notices(people: Sequence[Person]) -> list[Notice]:
    notices = []
    linked = [str(p.id) for p in people if p.firebase_uid and p.provider == "username"]
    if linked:
        notices.append(
            Notice(
                "linked_accounts",
                tuple(linked),
                "native accounts 0.1.x linked to a Firebase identity by email, verified or "
                "not, without recording the Firebase method: their live Firebase sessions "
                "continue as 'username' sessions, as 0.1.x's own refresh issued them.",
            )
        )
    with_email = [str(p.id) for p in people if p.firebase_uid and p.email]
    if with_email:
        notices.append(
            Notice(
                "emails_unproven",
                tuple(with_email),
                "0.1.x never recorded whether an email was verified, so none is proven now. "
                "When Firebase first reports one of these verified, that account's older "
                "sessions end once (this version's defence against account takeover).",
            )
        )
    return notices


def app_notices(apps: Sequence[Mapping[str, Any]], people: Sequence[Person]) -> list[Notice]:
    """What works after the migration but should be reviewed."""
    return [
        *_secret_notice(apps),
        *_phone_notices(apps, people),
        *_plan_notices(people),
        *_firebase_notices(people),
    ]


class _IndexRecorder:
    """Stands in for a database: records the indexes ``Store.ensure_indexes`` asks for, so the
    migration knows this version's indexes from the store itself, without creating them."""

    def __init__(self) -> None:
        self.names: dict[str, set[str]] = defaultdict(set)

    def __getitem__(self, name: str) -> _RecordingCollection:
        return _RecordingCollection(self, name)

    def get_collection(self, name: str, **_options: Any) -> _RecordingCollection:
        return self[name]


class _RecordingCollection:
    def __init__(self, recorder: _IndexRecorder, name: str) -> None:
        self._recorder = recorder
        self.name = name

    async def index_information(self) -> dict[str, Any]:
        return {}

    async def create_index(self, keys: Any, **options: Any) -> str:
        name = str(options["name"])
        self._recorder.names[self.name].add(name)
        return name


async def expected_indexes() -> dict[str, set[str]]:
    """The names of the indexes this version creates, per collection (without ``_id_``)."""
    recorder = _IndexRecorder()
    await Store(recorder).ensure_indexes()
    return dict(recorder.names)


__all__ = ["app_notices", "expected_indexes"]
