"""Writes ``tests/legacy/fixtures/0.1.9/``: a database written by trachea-login 0.1.x's own code.

This runs in the legacy virtualenv made by ``tests/legacy/regenerate.sh`` (trachea-login 0.1.9 from
PyPI, plus the 0.1.2 and 0.1.3 wheels unpacked beside it), never in the project's ``.venv``. It
replays the life of one deployment on an embedded mongomock database, through the HTTP routes of
each version mounted as its docs say (``app.include_router(trachea.router, prefix="/auth")``),
``TracheaLogin.startup()`` (which creates 0.1.x's indexes) and the operator steps its docs prescribe
(registering apps by ``insert_one`` with ``hash_secret``, setting roles, deactivating):

1. 0.1.2 (2026-04-01): username sign-up, which then still wrote explicit ``null`` identity
   fields, and one Firebase user; a second of either is refused by the unique indexes.
2. 0.1.3 (2026-05-05): username sign-ups without the nulls (usernames differing only by case,
   long and NFD passwords), ``DELETE /users/me`` still deactivating.
3. 0.1.9 (2026-05-12 to 05-31): sign-up by e-mail (no username), Firebase users, linking by
   e-mail, several apps, plans, roles, logout, rotation, reuse detection, deletion.

Only 0.1.x's sources of entropy and time are replaced, so the output is the same on every run:
the clock (``datetime`` in ``tokens`` and ``db.user_repo``), ``secrets.token_urlsafe`` in
``tokens`` (same format, seeded bytes), ``bcrypt.gensalt`` and passlib's salt RNG. Firebase is faked
only where 0.1.x calls it (``firebase_admin.auth.verify_id_token``). ObjectIds are renumbered
after the run (nothing in 0.1.x refers to an ``_id`` from another document).

mongomock accepts two documents whose field under a unique sparse index is an explicit ``null``;
a real MongoDB refuses the second (a sparse index skips only documents *lacking* the field). The
database handed to 0.1.x here refuses it too, so the fixture holds only what a real server would.

Usage: ``python make_fixtures.py --old-versions DIR --out DIR`` where ``DIR/0.1.2`` and
``DIR/0.1.3`` are unpacked wheels of those versions.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import copy
import hashlib
import importlib
import importlib.metadata
import json
import os
import platform
import random
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

UTC = timezone.utc
GENERATED_AT = datetime(2026, 6, 1, 0, 0, 0, tzinfo=UTC)
SEED = 20260601
DB_NAME = "trachea"
JWT_SECRET = "legacy-0.1.x-fixture-jwt-secret-not-for-production"
# Access tokens are not stored; a long lifetime only lets 0.1.x's own verification (which reads the
# real clock, unlike the frozen one below) accept tokens issued at the fixture's dates.
ACCESS_TOKEN_MINUTES = 60 * 24 * 365 * 20
FIREBASE_PROJECT = "legacy-fixtures"
# Each version's deployment starts at these times (the run replays them in order).
VERSIONS = {
    "0.1.2": datetime(2026, 4, 1, 9, 0, tzinfo=UTC),
    "0.1.3": datetime(2026, 5, 5, 10, 0, tzinfo=UTC),
    "0.1.9": datetime(2026, 5, 12, 9, 0, tzinfo=UTC),
}
# 0.1.x's TTL index (expires_at, expireAfterSeconds=0) is applied as a real server's TTL monitor
# would: it runs every 60 s, so a document can outlive its expiry by up to a minute.
TTL_MONITOR_LAG = timedelta(seconds=60)


# --- time and entropy -----------------------------------------------------------------------------


class Clock:
    """The fixture's time; 0.1.x's ``datetime.now`` reads it."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def set(self, value: datetime) -> None:
        if value < self.now:
            raise ValueError(f"the clock only moves forward ({self.now} -> {value})")
        self.now = value

    def advance(self, **delta: float) -> None:
        self.set(self.now + timedelta(**delta))


CLOCK = Clock()


class FrozenDatetime(datetime):
    """``datetime`` whose ``now()`` is :data:`CLOCK`, patched into 0.1.x's modules."""

    @classmethod
    def now(cls, tz: Any = None) -> datetime:  # type: ignore[override]
        value = CLOCK.now
        return value.astimezone(tz) if tz is not None else value.replace(tzinfo=None)


class Entropy:
    """Seeded stand-in for 0.1.x's random sources, keeping their output formats exactly."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.issued_refresh_tokens: list[str] = []

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        # secrets.token_urlsafe: base64url of nbytes random bytes, '=' padding stripped.
        raw = self.rng.randbytes(32 if nbytes is None else nbytes)
        token = base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
        self.issued_refresh_tokens.append(token)
        return token

    def app_secret(self, nbytes: int = 32) -> str:
        # What 0.1.x's HowToUse.md suggests for an app secret: secrets.token_urlsafe(32).
        raw = self.rng.randbytes(nbytes)
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")

    def install(self) -> None:
        """Seeds bcrypt.gensalt (app secrets) and passlib's salt RNG (passwords)."""
        import bcrypt
        import passlib.utils.handlers

        encode_base64 = bcrypt._bcrypt.encode_base64
        real_gensalt = bcrypt.gensalt

        def gensalt(rounds: int = 12, prefix: bytes = b"2b") -> bytes:
            real_gensalt(rounds, prefix)  # the same argument checks
            salt = encode_base64(self.rng.randbytes(16))
            return b"$" + prefix + b"$" + (f"{rounds:02d}").encode("ascii") + b"$" + salt

        bcrypt.gensalt = gensalt
        passlib.utils.handlers.rng = random.Random(self.rng.getrandbits(64))


ENTROPY = Entropy(SEED)


# --- a mongomock database with a real server's unique-index rule ----------------------------------


@dataclass
class IndexCall:
    """One ``create_index`` call made by 0.1.x."""

    version: str
    collection: str
    keys: Any
    options: dict[str, Any]


class Recorder:
    """What the run saw below 0.1.x: index calls and the time each document was inserted."""

    def __init__(self) -> None:
        self.version = "?"
        self.index_calls: list[IndexCall] = []
        self.inserted_at: dict[Any, datetime] = {}
        self.refused: list[dict[str, Any]] = []


class StrictCollection:
    """A mongomock-motor collection that also refuses a second explicit ``null`` under a unique
    sparse index, as MongoDB does (mongomock lets it in)."""

    def __init__(self, target: Any, name: str, recorder: Recorder) -> None:
        self._target = target
        self._name = name
        self._recorder = recorder
        self._unique_fields: set[str] = set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    async def create_index(self, keys: Any, **options: Any) -> Any:
        self._recorder.index_calls.append(
            IndexCall(self._recorder.version, self._name, keys, dict(options))
        )
        if options.get("unique") and isinstance(keys, str):
            self._unique_fields.add(keys)
        return await self._target.create_index(keys, **options)

    async def insert_one(self, document: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        from pymongo.errors import DuplicateKeyError

        for name in sorted(self._unique_fields):
            if name in document and document[name] is None:
                clash = await self._target.find_one(
                    {"$and": [{name: {"$exists": True}}, {name: None}]}
                )
                if clash is not None:
                    message = (
                        f"E11000 duplicate key error collection: {DB_NAME}.{self._name} "
                        f"index: {name}_1 dup key: {{ {name}: null }}"
                    )
                    self._recorder.refused.append(
                        {
                            "version": self._recorder.version,
                            "collection": self._name,
                            "index": f"{name}_1",
                            "at": CLOCK.now.isoformat(),
                            "error": message,
                        }
                    )
                    raise DuplicateKeyError(message, 11000)
        result = await self._target.insert_one(document, *args, **kwargs)
        self._recorder.inserted_at[result.inserted_id] = CLOCK.now
        return result


class StrictDatabase:
    def __init__(self, target: Any, recorder: Recorder) -> None:
        self._target = target
        self._recorder = recorder
        self._collections: dict[str, StrictCollection] = {}

    def __getitem__(self, name: str) -> StrictCollection:
        if name not in self._collections:
            self._collections[name] = StrictCollection(self._target[name], name, self._recorder)
        return self._collections[name]

    def __getattr__(self, name: str) -> StrictCollection:
        if name.startswith("_"):
            raise AttributeError(name)
        return self[name]


class StrictClient:
    def __init__(self, target: Any, recorder: Recorder) -> None:
        self._target = target
        self._recorder = recorder
        self._databases: dict[str, StrictDatabase] = {}

    def __getitem__(self, name: str) -> StrictDatabase:
        if name not in self._databases:
            self._databases[name] = StrictDatabase(self._target[name], self._recorder)
        return self._databases[name]


# --- Firebase, faked where 0.1.x calls it ---------------------------------------------------------

FIREBASE_TOKENS: dict[str, dict[str, Any]] = {}


def firebase_uid(prefix: str, number: int) -> str:
    """A 28-character uid, the length Firebase Auth gives its users."""
    return f"{prefix:0<24}{number:04d}"


PHONE_UID = firebase_uid("PhOnEuSeR", 1)


def firebase_id_token(
    uid: str,
    sign_in_provider: str,
    *,
    email: str | None = None,
    email_verified: bool | None = None,
    name: str | None = None,
    picture: str | None = None,
    phone_number: str | None = None,
) -> str:
    """Registers the claims ``firebase_admin.auth.verify_id_token`` returns for a token, shaped as
    Firebase issues them, and returns the token string a client would send."""
    issued = int(CLOCK.now.timestamp())
    identities: dict[str, list[str]] = {}
    if sign_in_provider in ("google.com", "facebook.com", "apple.com"):
        identities[sign_in_provider] = [f"{sign_in_provider.split('.')[0]}-{uid[-6:]}"]
    if email:
        identities["email"] = [email]
    if phone_number:
        identities["phone"] = [phone_number]
    claims: dict[str, Any] = {
        "iss": f"https://securetoken.google.com/{FIREBASE_PROJECT}",
        "aud": FIREBASE_PROJECT,
        "auth_time": issued,
        "user_id": uid,
        "sub": uid,
        "iat": issued,
        "exp": issued + 3600,
        "firebase": {"identities": identities, "sign_in_provider": sign_in_provider},
        "uid": uid,
    }
    for key, value in (
        ("name", name),
        ("picture", picture),
        ("email", email),
        ("email_verified", email_verified),
        ("phone_number", phone_number),
    ):
        if value is not None:
            claims[key] = value
    token = f"fake-firebase-id-token.{uid}.{len(FIREBASE_TOKENS)}"
    FIREBASE_TOKENS[token] = claims
    return token


def fake_verify_id_token(id_token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    from firebase_admin import auth

    if id_token not in FIREBASE_TOKENS:
        raise auth.InvalidIdTokenError("unknown fixture token")
    return copy.deepcopy(FIREBASE_TOKENS[id_token])


def service_account_json() -> str:
    """A well-formed service account, so 0.1.x's ``init_firebase`` (credentials.Certificate)
    accepts it; nothing is ever sent to Google."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")
    return json.dumps(
        {
            "type": "service_account",
            "project_id": FIREBASE_PROJECT,
            "private_key_id": "0" * 40,
            "private_key": pem,
            "client_email": f"fixtures@{FIREBASE_PROJECT}.iam.gserviceaccount.com",
            "client_id": "100000000000000000000",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


# --- loading one 0.1.x version ------------------------------------------------------------------


def import_version(version: str, old_versions: Path) -> Any:
    """Imports trachea_login ``version`` (0.1.9 from site-packages, older ones from their unpacked
    wheels), with :data:`CLOCK` and :data:`ENTROPY` patched in."""
    for name in [m for m in sys.modules if m == "trachea_login" or m.startswith("trachea_login.")]:
        del sys.modules[name]
    sys.path[:] = [p for p in sys.path if not p.startswith(str(old_versions))]
    if version == "0.1.9":
        installed = importlib.metadata.version("trachea-login")
        if installed != "0.1.9":
            raise SystemExit(f"this virtualenv has trachea-login {installed}, not 0.1.9")
        expected_root = None
    else:
        expected_root = (old_versions / version).resolve()
        if not (expected_root / f"trachea_login-{version}.dist-info").is_dir():
            raise SystemExit(f"{expected_root} is not an unpacked trachea-login {version} wheel")
        sys.path.insert(0, str(expected_root))
    package = importlib.import_module("trachea_login")
    location = Path(package.__file__).resolve()
    if expected_root is not None and not location.is_relative_to(expected_root):
        raise SystemExit(f"imported {location}, expected trachea-login {version}")
    if expected_root is None and str(old_versions.resolve()) in str(location):
        raise SystemExit(f"imported {location}, expected the installed 0.1.9")
    tokens = importlib.import_module("trachea_login.tokens")
    user_repo = importlib.import_module("trachea_login.db.user_repo")
    tokens.datetime = FrozenDatetime
    user_repo.datetime = FrozenDatetime
    tokens.secrets = ENTROPY
    return package


# --- the scenario ---------------------------------------------------------------------------------


@dataclass
class UserRecord:
    """A person of the fixture: how to find their document and what they know."""

    label: str
    lookup: dict[str, Any]
    written_by: str
    password: str | None = None
    note: str = ""
    firebase: dict[str, Any] | None = None


@dataclass
class TokenRecord:
    label: str
    token: str
    note: str
    issued_at: datetime
    lifetime: timedelta


@dataclass
class Story:
    """Everything the run hands to the dump besides the database itself."""

    apps: dict[str, dict[str, Any]] = field(default_factory=dict)
    users: dict[str, UserRecord] = field(default_factory=dict)
    delivered: dict[str, TokenRecord] = field(default_factory=dict)
    operator_edits: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)

    def user(self, record: UserRecord) -> UserRecord:
        if record.label in self.users:
            raise ValueError(f"duplicate user label {record.label}")
        self.users[record.label] = record
        return record

    def token(self, label: str, token: str, note: str = "", *, lifetime_days: int = 30) -> str:
        if label in self.delivered:
            raise ValueError(f"duplicate token label {label}")
        lifetime = timedelta(days=lifetime_days)
        self.delivered[label] = TokenRecord(label, token, note, CLOCK.now, lifetime)
        return token


class Deployment:
    """One product backend of one 0.1.x version for one app, talking to the shared database."""

    def __init__(self, package: Any, version: str, app_id: str, client: Any) -> None:
        self.package = package
        self.version = version
        self.app_id = app_id
        self.client = client
        # Up to 0.1.6 the app came in the body; from 0.1.7 in the X-App-Id header.
        self.app_id_in_body = version in ("0.1.2", "0.1.3")

    async def call(
        self,
        story: Story,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        access_token: str | None = None,
        expect: int = 200,
        what: str = "",
        app_scoped: bool = True,
    ) -> dict[str, Any]:
        headers: dict[str, str] = {}
        if access_token:
            headers["Authorization"] = f"Bearer {access_token}"
        if body is not None and app_scoped:
            if self.app_id_in_body:
                body = {**body, "app_id": self.app_id}
            else:
                headers["X-App-Id"] = self.app_id
        response = await self.client.request(method, path, json=body, headers=headers)
        if response.status_code != expect:
            raise RuntimeError(
                f"{self.version} {method} {path} ({what}): expected {expect}, "
                f"got {response.status_code}: {response.text[:300]}"
            )
        if expect != 200 or what:
            story.responses.append(
                {
                    "at": CLOCK.now.isoformat(),
                    "version": self.version,
                    "app_id": self.app_id,
                    "request": f"{method} {path}",
                    "what": what,
                    "status": response.status_code,
                    "body": _safe_body(response),
                }
            )
        return (
            response.json()
            if response.headers.get("content-type", "").startswith("application/json")
            else {}
        )

    # Native sign-up and sign-in: by username up to 0.1.4, by e-mail from 0.1.5.
    async def register(self, story: Story, identifier: str, password: str, **extra: Any) -> Any:
        key = "email" if self.version == "0.1.9" else "username"
        return await self.call(
            story, "POST", "/auth/register", {key: identifier, "password": password, **extra}
        )

    async def login(self, story: Story, identifier: str, password: str, **kw: Any) -> Any:
        key = "email" if self.version == "0.1.9" else "username"
        body = {key: identifier, "password": password}
        return await self.call(story, "POST", "/auth/login", body, **kw)

    async def firebase_login(self, story: Story, id_token: str, **kw: Any) -> Any:
        return await self.call(story, "POST", "/auth/login", {"firebase_token": id_token}, **kw)

    async def refresh(self, story: Story, refresh_token: str, **kw: Any) -> Any:
        return await self.call(
            story, "POST", "/auth/refresh", {"refresh_token": refresh_token}, **kw
        )


def _safe_body(response: Any) -> Any:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    if isinstance(body, dict):
        # Tokens in responses are recorded by label in secrets.json, not here.
        return {k: v for k, v in body.items() if k not in ("access_token", "refresh_token")}
    return body


class Stage:
    """Runs the deployments of one 0.1.x version against the shared database."""

    def __init__(self, version: str, old_versions: Path, client: StrictClient, story: Story):
        self.version = version
        self.old_versions = old_versions
        self.client = client
        self.story = story
        self.package: Any = None
        self.deployments: dict[str, Deployment] = {}
        self._transports: list[Any] = []

    @property
    def db(self) -> StrictDatabase:
        return self.client[DB_NAME]

    async def __aenter__(self) -> Stage:
        RECORDER.version = self.version
        self.package = import_version(self.version, self.old_versions)
        self.story.stages.append({"version": self.version, "from": CLOCK.now.isoformat()})
        return self

    async def __aexit__(self, *exc: object) -> None:
        for client in self._transports:
            await client.aclose()
        self.story.stages[-1]["to"] = CLOCK.now.isoformat()

    async def register_app(
        self,
        app_id: str,
        *,
        secret: str,
        name: str,
        methods: list[str],
        domains: list[str],
        with_created_at: bool,
        note: str,
    ) -> None:
        """Registers an app as 0.1.x's README / HowToUse.md §6 tell the operator to."""
        app_repo = importlib.import_module("trachea_login.db.app_repo")
        document: dict[str, Any] = {
            "app_id": app_id,
            "app_secret": await app_repo.hash_secret(secret),
            "name": name,
            "allowed_auth_methods": methods,
            "allowed_domains": domains,
            "is_active": True,
        }
        if with_created_at:  # 0.1.x's own tests add it; its README does not
            document["created_at"] = CLOCK.now
        await self.db.apps.insert_one(document)
        self.story.apps[app_id] = {
            "app_secret": secret,
            "registered_by": f"{self.version}: db.apps.insert_one with hash_secret "
            + ("(0.1.x tests' shape, with created_at)" if with_created_at else "(README shape)"),
            "note": note,
        }

    async def deploy(self, app_id: str, **settings: Any) -> Deployment:
        """Starts app ``app_id``'s backend: TracheaLogin(...), startup() (indexes, secret check)."""
        import httpx
        from fastapi import FastAPI

        exceptions = importlib.import_module("trachea_login.exceptions")
        trachea = self.package.TracheaLogin(
            mongo_client=self.client,
            app_id=app_id,
            app_secret=self.story.apps[app_id]["app_secret"],
            mongo_uri="mongodb://unused.invalid",
            firebase_credentials=SERVICE_ACCOUNT,
            jwt_secret=JWT_SECRET,
            db_name=DB_NAME,
            access_token_expire_minutes=ACCESS_TOKEN_MINUTES,
            **settings,
        )
        await trachea.startup()
        app = FastAPI()
        app.add_exception_handler(exceptions.TracheaError, exceptions.trachea_exception_handler)
        app.include_router(trachea.router, prefix="/auth")
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        client = httpx.AsyncClient(transport=transport, base_url=f"http://{app_id}.legacy.test")
        self._transports.append(client)
        deployment = Deployment(self.package, self.version, app_id, client)
        self.deployments[app_id] = deployment
        return deployment

    async def operator(self, what: str, documented_in: str, collection: str, flt: dict, upd: dict):
        """An operator's direct MongoDB write, done as 0.1.x's docs show it."""
        result = await self.db[collection].update_one(flt, upd)
        if result.modified_count != 1:
            raise RuntimeError(f"operator edit matched nothing: {what}")
        self.story.operator_edits.append(
            {
                "at": CLOCK.now.isoformat(),
                "version": self.version,
                "what": what,
                "documented_in": documented_in,
                "collection": collection,
                "filter": flt,
                "update": upd,
            }
        )


RECORDER = Recorder()
SERVICE_ACCOUNT = ""


async def stage_0_1_2(stage: Stage, story: Story) -> None:
    """0.1.2: username sign-up wrote explicit nulls; unique sparse indexes then allow one each."""
    await stage.register_app(
        "app1",
        secret=ENTROPY.app_secret(),
        name="Legacy App One",
        methods=["google", "facebook", "apple", "password", "username"],
        domains=["app1.example.com", "localhost"],
        with_created_at=False,
        note="all five 0.1.x methods",
    )
    app1 = await stage.deploy("app1")

    CLOCK.advance(minutes=5)
    password = "Lena-2026-password"
    story.user(
        UserRecord(
            "lena",
            {"username": "lena"},
            "0.1.2 POST /auth/register (username)",
            password,
            "0.1.2 document: explicit null firebase_uid and email",
        )
    )
    body = await app1.register(story, "lena", password, name="Lena Legacy")
    lena_first = story.token("lena-0.1.2-register", body["refresh_token"])

    CLOCK.advance(minutes=5)
    phone_uid = PHONE_UID
    story.user(
        UserRecord(
            "phone-user",
            {"firebase_uid": phone_uid},
            "0.1.2 POST /auth/login (Firebase, sign_in_provider phone)",
            note="0.1.2 document: email is the empty string (token had none), explicit null "
            "username and password_hash; provider 'password' (0.1.x maps unknown providers so)",
            firebase={"uid": phone_uid, "sign_in_provider": "phone", "phone": "+919800000001"},
        )
    )
    token = firebase_id_token(phone_uid, "phone", phone_number="+919800000001")
    body = await app1.firebase_login(story, token)
    story.token("phone-user-0.1.2-login", body["refresh_token"])

    CLOCK.advance(minutes=5)
    await app1.call(
        story,
        "POST",
        "/auth/register",
        {"username": "omar", "password": "Omar-password-0"},
        expect=500,
        what="second username user under 0.1.2: E11000 on email_1 (explicit null), not stored",
    )
    CLOCK.advance(minutes=5)
    token = firebase_id_token(
        firebase_uid("GoOgLeUsEr", 2), "google.com", email="quentin@example.com", name="Q"
    )
    await app1.call(
        story,
        "POST",
        "/auth/login",
        {"firebase_token": token},
        expect=500,
        what="second Firebase user under 0.1.2: E11000 on username_1 (explicit null), not stored",
    )

    CLOCK.set(datetime(2026, 4, 2, 8, 0, tzinfo=UTC))
    body = await app1.refresh(story, lena_first)
    story.token("lena-0.1.2-refreshed", body["refresh_token"], "expired by generated_at")


async def stage_0_1_3(stage: Stage, story: Story) -> None:
    """0.1.3: username sign-up without nulls; DELETE /users/me deactivates."""
    app1 = await stage.deploy("app1")

    people = [
        ("alice", "alice", "alice-password-1", "Alice Lower", ""),
        ("Alice", "Alice", "Alice-Password-2", "Alice Upper", "differs from 'alice' only by case"),
        (
            "long-larry",
            "long_larry",
            "correct-horse-battery-staple-" * 4,
            "Larry Long",
            "116-byte ASCII password: bcrypt used its first 72 bytes",
        ),
        (
            "amelie-nfd",
            "amelie",
            "Ame\u0301lie-mot-de-passe",
            "Ame\u0301lie",
            "password typed in NFD (e + U+0301); hashed as typed, no normalisation",
        ),
        ("rene-nfc", "ren\u00e9", "rene-password-nfc", "Ren\u00e9 NFC", "username in NFC"),
        (
            "rene-nfd",
            "rene\u0301",
            "rene-password-nfd",
            "Rene\u0301 NFD",
            "username in NFD: canonically equal to 'ren\u00e9' (NFKC + casefold collide)",
        ),
        ("mary-ann", "Mary Ann", "mary-ann-password", None, "username with a space; no name"),
        (
            "olga-username-email",
            "olga@example.com",
            "olga-password-1",
            "Olga",
            "a username that is an e-mail address",
        ),
        ("dan", "dan", "dan-password-1", "Dan Dormant", "deactivated by 0.1.3 DELETE /users/me"),
    ]
    logins: dict[str, dict[str, Any]] = {}
    for label, username, password, name, note in people:
        CLOCK.advance(minutes=3)
        story.user(
            UserRecord(label, {"username": username}, "0.1.3 POST /auth/register", password, note)
        )
        extra = {"name": name} if name is not None else {}
        logins[label] = await app1.register(story, username, password, **extra)
        story.token(f"{label}-0.1.3-register", logins[label]["refresh_token"])

    CLOCK.advance(minutes=10)
    await app1.call(
        story,
        "DELETE",
        "/auth/users/me",
        access_token=logins["dan"]["access_token"],
        what="0.1.3 DELETE /users/me sets is_active false and leaves refresh tokens live",
    )

    CLOCK.advance(hours=1)
    body = await app1.login(story, "lena", "Lena-2026-password")
    story.token("lena-0.1.3-login", body["refresh_token"], "live token of a 0.1.2-era document")

    CLOCK.advance(hours=1)
    body = await app1.refresh(story, logins["alice"]["refresh_token"])
    story.token("alice-0.1.3-refreshed", body["refresh_token"])

    CLOCK.advance(minutes=10)
    await app1.call(
        story,
        "POST",
        "/auth/logout",
        access_token=logins["Alice"]["access_token"],
        what="logout of 'Alice' revokes by exact username: 'alice' keeps hers",
        app_scoped=False,
    )

    CLOCK.set(datetime(2026, 5, 10, 18, 0, tzinfo=UTC))
    token = firebase_id_token(PHONE_UID, "phone", phone_number="+919800000001")
    body = await app1.firebase_login(story, token)
    story.token("phone-user-0.1.3-login", body["refresh_token"])


async def stage_0_1_9(stage: Stage, story: Story) -> None:
    """0.1.9: e-mail sign-up, Firebase, several apps, plans, roles, sessions."""
    app1 = await stage.deploy("app1")

    await stage.register_app(
        "app2",
        secret=ENTROPY.app_secret(),
        name="Second App",
        methods=["google", "username"],
        domains=["app2.example.com"],
        with_created_at=True,
        note="HowToUse.md §12's second app",
    )
    app2 = await stage.deploy("app2")
    long_secret = "kiosk-" + ENTROPY.app_secret(72)  # 102 ASCII characters
    await stage.register_app(
        "kiosk",
        secret=long_secret,
        name="Kiosk",
        methods=["username", "password"],
        domains=[],
        with_created_at=True,
        note=f"{len(long_secret)}-byte secret: bcrypt used its first 72 bytes; refresh tokens "
        "last 7 days (TRACHEA_REFRESH_TOKEN_EXPIRE_DAYS=7)",
    )
    kiosk = await stage.deploy("kiosk", refresh_token_expire_days=7)
    await stage.register_app(
        "retired",
        secret=ENTROPY.app_secret(),
        name="Retired App",
        methods=["google"],
        domains=["retired.example.com"],
        with_created_at=True,
        note="disabled by the operator",
    )
    await stage.operator(
        "disable app 'retired'",
        "HowToUse.md 'Disabling an app'",
        "apps",
        {"app_id": "retired"},
        {"$set": {"is_active": False}},
    )

    async def native(
        label: str,
        email: str,
        password: str,
        note: str = "",
        *,
        deployment: Deployment = app1,
        route: str = "/auth/register",
        name: str | None = None,
    ) -> dict[str, Any]:
        CLOCK.advance(minutes=7)
        story.user(
            UserRecord(
                label,
                {"email": email},
                f"0.1.9 POST {route} (e-mail, no username)",
                password,
                note,
            )
        )
        body = {"email": email, "password": password}
        if name is not None:
            body["name"] = name
        result = await deployment.call(story, "POST", route, body)
        lifetime = 7 if deployment is kiosk else 30
        story.token(f"{label}-register", result["refresh_token"], lifetime_days=lifetime)
        return result

    carol = await native("carol", "carol@example.com", "carol-password-1", name="Carol")
    await native(
        "Carol",
        "Carol@Example.com",
        "Carol-Password-2",
        "differs from 'carol@example.com' only by case; /auth/signup; no name (null)",
        route="/auth/signup",
    )
    bob = await native(
        "bob", "bob@example.com", "bob-password-1", "linked to Google later", name="Bob"
    )
    await native(
        "dave-native",
        "Dave@Example.com",
        "dave-password-1",
        "Google later sent dave@example.com: 0.1.9 made a second document",
        name="Dave",
    )
    eve_password = "e" * 70 + "\u20ac-and-then-some"
    await native(
        "eve-long",
        "eve.long@example.com",
        eve_password,
        "85-byte password; byte 72 falls inside the 3-byte '\u20ac', so its first 72 bytes "
        "are not valid UTF-8",
        name="Eve Long",
    )
    await native(
        "noemi-nfd",
        "noemi@example.com",
        "Noe\u0308mi-pa\u0308sswort",
        "password typed in NFD (e + U+0308, a + U+0308)",
        name="No\u00ebmi",
    )
    await native("frank", "frank@example.com", "frank-password-1", name="Frank")
    mallory = await native(
        "mallory", "mallory@example.com", "mallory-password-1", "deactivated by the operator"
    )
    gone = await native(
        "gone", "gone@example.com", "gone-password-1", "deleted by DELETE /users/me"
    )
    await native(
        "hank-invalid-email",
        "hank_at_example",
        "hank-password-1",
        "0.1.9 stores any string as the e-mail",
    )
    await native(
        "kim-kiosk",
        "kim@kiosk.example.com",
        "kim-password-1",
        "signed up to 'kiosk' (7-day refresh tokens)",
        deployment=kiosk,
    )

    # Firebase sign-ins.
    CLOCK.advance(minutes=30)
    bob_uid = firebase_uid("GoOgLeBoB", 3)
    story.users["bob"].firebase = {"uid": bob_uid, "sign_in_provider": "google.com"}
    story.users["bob"].note = (
        "native e-mail account; a Google sign-in with the same e-mail set firebase_uid on it "
        "(0.1.8+ links by e-mail, verified or not); provider stays 'username'"
    )
    token = firebase_id_token(
        bob_uid,
        "google.com",
        email="bob@example.com",
        email_verified=True,
        name="Bob G.",
        picture="https://lh3.googleusercontent.com/a/bob",
    )
    body = await app1.firebase_login(story, token, what="Google sign-in links to bob's account")
    story.token("bob-google-login", body["refresh_token"])

    CLOCK.advance(minutes=5)
    dave_uid = firebase_uid("GoOgLeDaVe", 4)
    story.user(
        UserRecord(
            "dave-google",
            {"firebase_uid": dave_uid},
            "0.1.9 POST /auth/login (Firebase google.com)",
            note="same person as 'Dave@Example.com' (native); exact e-mail match failed",
            firebase={"uid": dave_uid, "sign_in_provider": "google.com"},
        )
    )
    token = firebase_id_token(
        dave_uid, "google.com", email="dave@example.com", email_verified=True, name="Dave"
    )
    body = await app1.firebase_login(story, token)
    story.token("dave-google-login", body["refresh_token"])

    CLOCK.advance(minutes=5)
    grace_uid = firebase_uid("GoOgLeGrAcE", 5)
    story.user(
        UserRecord(
            "grace",
            {"firebase_uid": grace_uid},
            "0.1.9 POST /auth/login (Firebase google.com) in app1 then app2",
            note="member of two apps; admin in app1 (operator); enterprise in app2 (self-serve)",
            firebase={"uid": grace_uid, "sign_in_provider": "google.com"},
        )
    )
    token = firebase_id_token(
        grace_uid,
        "google.com",
        email="grace@example.com",
        email_verified=True,
        name="Grace",
        picture="https://lh3.googleusercontent.com/a/grace",
    )
    body = await app1.firebase_login(story, token)
    story.token("grace-app1-login", body["refresh_token"])
    CLOCK.advance(minutes=5)
    grace_app2 = await app2.firebase_login(story, token)
    story.token("grace-app2-login", grace_app2["refresh_token"])
    CLOCK.advance(minutes=5)
    await app2.call(
        story,
        "PATCH",
        "/auth/users/me/plan",
        {"plan": "enterprise"},
        access_token=grace_app2["access_token"],
        what="0.1.9 lets a user pick any plan herself",
        app_scoped=False,
    )
    await stage.operator(
        "make grace admin in app1",
        "HowToUse.md §13 'Updating a user's role'",
        "users",
        {"firebase_uid": grace_uid, "apps.app_id": "app1"},
        {"$set": {"apps.$.role": "admin"}},
    )

    CLOCK.advance(minutes=5)
    apple_uid = firebase_uid("ApPlEuSeR", 6)
    story.user(
        UserRecord(
            "apple-user",
            {"firebase_uid": apple_uid},
            "0.1.9 POST /auth/login (Firebase apple.com) twice",
            note="Apple sent the name only the first time; 0.1.9's second sign-in set name null",
            firebase={"uid": apple_uid, "sign_in_provider": "apple.com"},
        )
    )
    first = firebase_id_token(
        apple_uid,
        "apple.com",
        email="x7k2p9@privaterelay.appleid.com",
        email_verified=True,
        name="Ada Apple",
    )
    body = await app1.firebase_login(story, first)
    story.token("apple-user-first-login", body["refresh_token"])
    CLOCK.advance(hours=2)
    second = firebase_id_token(
        apple_uid, "apple.com", email="x7k2p9@privaterelay.appleid.com", email_verified=True
    )
    body = await app1.firebase_login(story, second)
    story.token("apple-user-second-login", body["refresh_token"])

    CLOCK.advance(minutes=5)
    heidi_uid = firebase_uid("FaCeBoOkHeIdI", 7)
    story.user(
        UserRecord(
            "heidi-facebook",
            {"firebase_uid": heidi_uid},
            "0.1.9 POST /auth/login (Firebase facebook.com, no e-mail)",
            note="had no e-mail; PATCH /users/me/plan pro with an e-mail set a mixed-case one",
            firebase={"uid": heidi_uid, "sign_in_provider": "facebook.com"},
        )
    )
    token = firebase_id_token(heidi_uid, "facebook.com", name="Heidi")
    heidi = await app1.firebase_login(story, token)
    story.token("heidi-login", heidi["refresh_token"])
    await app1.call(
        story,
        "PATCH",
        "/auth/users/me/plan",
        {"plan": "pro"},
        access_token=heidi["access_token"],
        expect=422,
        what="paid plan without an e-mail: EMAIL_REQUIRED_FOR_PAID",
        app_scoped=False,
    )
    await app1.call(
        story,
        "PATCH",
        "/auth/users/me/plan",
        {"plan": "pro", "email": "Heidi.FB@Example.com"},
        access_token=heidi["access_token"],
        what="e-mail stored as typed",
        app_scoped=False,
    )

    CLOCK.advance(minutes=5)
    ivan_uid = firebase_uid("PaSsWoRdIvAn", 8)
    story.user(
        UserRecord(
            "ivan-firebase-password",
            {"firebase_uid": ivan_uid},
            "0.1.9 POST /auth/login (Firebase password)",
            note="Firebase e-mail+password account (provider 'password'), e-mail not verified",
            firebase={"uid": ivan_uid, "sign_in_provider": "password"},
        )
    )
    token = firebase_id_token(ivan_uid, "password", email="ivan@example.com", email_verified=False)
    body = await app1.firebase_login(story, token)
    story.token("ivan-login", body["refresh_token"])

    CLOCK.advance(minutes=5)
    token = firebase_id_token(PHONE_UID, "phone", phone_number="+919800000001")
    body = await app1.firebase_login(story, token)
    story.token("phone-user-0.1.9-login", body["refresh_token"])

    # Profiles, plans, roles.
    CLOCK.advance(hours=1)
    await app1.call(
        story,
        "PATCH",
        "/auth/users/me",
        {
            "name": "Carol C.",
            "phone": "+44 20 7946 0000",
            "date_of_birth": "1990-02-30",
            "address": {"city": "London", "country": "GB"},
        },
        access_token=carol["access_token"],
        what="profile: free-form phone, impossible date, partial address",
        app_scoped=False,
    )
    await app1.call(
        story,
        "PATCH",
        "/auth/users/me/plan",
        {"plan": "pro"},
        access_token=carol["access_token"],
        app_scoped=False,
    )
    await stage.operator(
        "make frank a guest in app1",
        "HowToUse.md §13 'Updating a user's role'",
        "users",
        {"email": "frank@example.com", "apps.app_id": "app1"},
        {"$set": {"apps.$.role": "guest"}},
    )
    await stage.operator(
        "give username user alice enterprise in app1, bypassing the e-mail rule",
        "HowToUse.md 'Setting a user's role or plan from the backend'",
        "users",
        {"username": "alice", "apps.app_id": "app1"},
        {"$set": {"apps.$.plan": "enterprise"}},
    )

    # Sessions.
    CLOCK.set(datetime(2026, 5, 20, 12, 0, tzinfo=UTC))
    body = await app1.refresh(story, carol["refresh_token"])
    story.token("carol-refreshed", body["refresh_token"])

    CLOCK.advance(minutes=10)
    frank_app2 = await app2.login(
        story,
        "frank@example.com",
        "frank-password-1",
        what="native login to app2: tokens for app2, but apps[] keeps only app1",
    )
    story.token("frank-app2-login", frank_app2["refresh_token"])
    CLOCK.advance(minutes=10)
    body = await app2.refresh(story, frank_app2["refresh_token"])
    story.token("frank-app2-refreshed", body["refresh_token"], "revoked by reuse detection")
    CLOCK.advance(minutes=10)
    await app2.refresh(
        story,
        frank_app2["refresh_token"],
        expect=401,
        what="reuse of a rotated token: every frank token in app2 revoked",
    )

    CLOCK.advance(minutes=10)
    await app1.call(
        story,
        "POST",
        "/auth/logout",
        access_token=bob["access_token"],
        what="native logout revokes by username=e-mail: bob's Google token stays live",
        app_scoped=False,
    )

    CLOCK.advance(minutes=10)
    await stage.operator(
        "deactivate mallory",
        "0.1.9's tests (test_email_login_deactivated_user)",
        "users",
        {"email": "mallory@example.com"},
        {"$set": {"is_active": False}},
    )
    await app1.login(
        story,
        "mallory@example.com",
        "mallory-password-1",
        expect=403,
        what="deactivated: USER_INACTIVE",
    )
    body = await app1.refresh(
        story, mallory["refresh_token"], what="0.1.9 refresh does not check is_active"
    )
    story.token("mallory-refreshed-while-inactive", body["refresh_token"])

    CLOCK.advance(minutes=10)
    await app1.call(
        story,
        "DELETE",
        "/auth/users/me",
        access_token=gone["access_token"],
        what="0.1.4+ deletes the document and leaves its refresh tokens live",
    )
    story.users["gone"].note = "document deleted; its refresh token is still live (orphan)"

    CLOCK.advance(minutes=10)
    await app1.refresh(
        story,
        story.delivered["alice-0.1.3-refreshed"].token,
        expect=500,
        what="0.1.9 cannot refresh a username user's token (looks the username up as an "
        "e-mail, then fails); the token is revoked and a successor nobody received stored",
    )

    CLOCK.advance(days=1)
    body = await app1.login(story, "frank@example.com", "frank-password-1")
    story.token("frank-app1-login", body["refresh_token"])

    CLOCK.set(GENERATED_AT - timedelta(days=7, seconds=30))
    body = await kiosk.login(story, "kim@kiosk.example.com", "kim-password-1")
    story.token(
        "kim-kiosk-late-login",
        body["refresh_token"],
        "expired 30 s before generated_at; the TTL monitor has not removed it yet",
        lifetime_days=7,
    )

    CLOCK.set(datetime(2026, 5, 31, 20, 0, tzinfo=UTC))
    body = await app1.login(story, "carol@example.com", "carol-password-1")
    story.token("carol-login-late", body["refresh_token"])


# --- dumping ------------------------------------------------------------------------------------


async def dump(client: StrictClient, story: Story) -> dict[str, str]:
    """The fixture's files (name -> text), read from the database and the story."""
    from bson import ObjectId, json_util
    from pymongo.operations import IndexModel

    database = client[DB_NAME]
    collections = ("apps", "users", "refresh_tokens")
    documents: dict[str, list[dict[str, Any]]] = {}
    remap: dict[ObjectId, ObjectId] = {}
    for number, name in enumerate(collections, start=1):
        rows = [row async for row in database[name].find({})]
        fresh: list[dict[str, Any]] = []
        for counter, row in enumerate(rows, start=1):
            inserted = RECORDER.inserted_at[row["_id"]]
            # What a driver would have made at that moment: 4-byte time, then fixed bytes.
            new_id = ObjectId(f"{int(inserted.timestamp()):08x}0109{number:06x}{counter:06x}")
            remap[row["_id"]] = new_id
            # A real server keeps _id first.
            fresh.append({"_id": new_id, **{k: v for k, v in row.items() if k != "_id"}})
        documents[name] = fresh
    _assert_real_unique_rules(documents["users"], ("firebase_uid", "email", "username"))

    files: dict[str, str] = {}
    for name, rows in documents.items():
        text = json_util.dumps(rows, json_options=json_util.RELAXED_JSON_OPTIONS, indent=2)
        files[f"{name}.json"] = text + "\n"

    # Indexes: what 0.1.x asks a real server for, as the server lists them.
    calls_by_version: dict[str, list[tuple[str, str, str]]] = {}
    for call in RECORDER.index_calls:
        entry = (call.collection, json.dumps(call.keys), json.dumps(call.options, sort_keys=True))
        calls_by_version.setdefault(call.version, [])
        if entry not in calls_by_version[call.version]:
            calls_by_version[call.version].append(entry)
    distinct = {tuple(v) for v in calls_by_version.values()}
    if len(distinct) != 1:
        raise RuntimeError(f"0.1.x versions created different indexes: {calls_by_version}")
    listed: dict[str, list[dict[str, Any]]] = {
        name: [{"v": 2, "key": {"_id": 1}, "name": "_id_"}] for name in collections
    }
    calls: list[dict[str, Any]] = []
    for collection, keys, options in calls_by_version["0.1.9"]:
        keys_value, options_value = json.loads(keys), json.loads(options)
        model = IndexModel(keys_value, **options_value).document
        listed[collection].append(
            {"v": 2, "key": dict(model["key"]), "name": model["name"], **options_value}
        )
        calls.append({"collection": collection, "keys": keys_value, "options": options_value})
    indexes = {
        "created_by": "trachea_login.db.mongo.create_indexes, called by TracheaLogin.startup() "
        "(0.1.0-0.1.9 identical); an operator who never called startup() has none of these",
        "create_index_calls": calls,
        "listIndexes": listed,
    }
    files["indexes.json"] = _json(indexes)

    # Secrets and the story behind each document.
    by_hash = {hashlib.sha256(t.encode()).hexdigest(): t for t in ENTROPY.issued_refresh_tokens}
    label_of = {record.token: record for record in story.delivered.values()}
    users_out = []
    for record in story.users.values():
        found = next(
            (u for u in documents["users"] if all(u.get(k) == v for k, v in record.lookup.items())),
            None,
        )
        if found is None and record.label != "gone":
            raise RuntimeError(f"user {record.label} not in the database")
        users_out.append(
            {
                "label": record.label,
                "id": str(found["_id"]) if found else None,
                "lookup": record.lookup,
                "password": record.password,
                "password_utf8_bytes": len(record.password.encode()) if record.password else None,
                "firebase": record.firebase,
                "written_by": record.written_by,
                "note": record.note,
            }
        )
    tokens_out = []
    for row in documents["refresh_tokens"]:
        raw = by_hash[row["token_hash"]]
        delivered = label_of.get(raw)
        expires_at = row["expires_at"].replace(tzinfo=UTC)
        expired = expires_at <= GENERATED_AT
        tokens_out.append(
            {
                "label": delivered.label if delivered else None,
                "token": raw,
                "token_hash": row["token_hash"],
                "id": str(row["_id"]),
                "app_id": row["app_id"],
                "firebase_uid": row["firebase_uid"],
                "username": row["username"],
                "state": "revoked" if row["revoked"] else ("expired" if expired else "live"),
                "expired": expired,
                "delivered_to_a_client": delivered is not None,
                "note": delivered.note if delivered else "issued by 0.1.9 but never returned",
            }
        )
    # A token missing from the collection must be one the TTL monitor had time to remove.
    removed_by_ttl = sorted(set(story.delivered) - {t["label"] for t in tokens_out})
    for label in removed_by_ttl:
        record = story.delivered[label]
        if record.issued_at + record.lifetime > GENERATED_AT - TTL_MONITOR_LAG:
            raise RuntimeError(f"delivered token {label} is missing from the database")
    secrets_doc = {
        "version": "0.1.9",
        "generated_at": GENERATED_AT.isoformat().replace("+00:00", "Z"),
        "note": "Test data only. Times in the collections are as of generated_at; the loader "
        "moves them so that generated_at becomes the time of loading.",
        "jwt_secret": JWT_SECRET,
        "apps": [{"app_id": k, **v} for k, v in story.apps.items()],
        "users": users_out,
        "refresh_tokens": tokens_out,
    }
    files["secrets.json"] = _json(secrets_doc)

    manifest = {
        "version": "0.1.9",
        "generated_at": secrets_doc["generated_at"],
        "generator": "tests/legacy/make_fixtures.py (run by tests/legacy/regenerate.sh)",
        "history": story.stages,
        "environment": {
            "python": platform.python_version(),
            **{
                dist: importlib.metadata.version(dist)
                for dist in ("bcrypt", "passlib", "python-jose", "mongomock", "mongomock-motor")
            },
        },
        "replaced_in_0.1.x": [
            "datetime.now in trachea_login.tokens and trachea_login.db.user_repo (fixed clock)",
            "secrets.token_urlsafe in trachea_login.tokens (seeded bytes, same format)",
            "bcrypt.gensalt (seeded salt, same rounds and prefix) and passlib's salt RNG",
            "firebase_admin.auth.verify_id_token (returns the claims of fixture tokens)",
            "ObjectIds renumbered after the run: <insert time><0109><collection><counter>",
        ],
        "real_mongodb_rules_enforced": [
            "a second explicit null under a unique sparse index is refused (E11000), as by a "
            "real server; mongomock alone accepts it"
        ],
        "removed_by_ttl": [
            {
                "label": label,
                "issued_at": story.delivered[label].issued_at.isoformat(),
                "expired_at": (
                    story.delivered[label].issued_at + story.delivered[label].lifetime
                ).isoformat(),
            }
            for label in removed_by_ttl
        ],
        "operator_edits": story.operator_edits,
        "refused_writes": RECORDER.refused,
        "notable_responses": story.responses,
    }
    files["manifest.json"] = _json(manifest)
    return files


def _assert_real_unique_rules(users: list[dict[str, Any]], names: tuple[str, ...]) -> None:
    for name in names:
        values = [u[name] for u in users if name in u]
        duplicates = {v for v in values if values.count(v) > 1}
        if duplicates:
            raise RuntimeError(f"{name}: {duplicates} would break the unique index on a server")


def _json(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=True) + "\n"


async def run(old_versions: Path) -> dict[str, str]:
    """Replays the deployment's history and returns the fixture's files."""
    global SERVICE_ACCOUNT
    import firebase_admin.auth
    import mongomock
    from mongomock_motor import AsyncMongoMockClient

    for name in list(os.environ):
        if name.startswith("TRACHEA_"):
            del os.environ[name]
    os.chdir(tempfile.mkdtemp(prefix="legacy-fixtures-"))  # no stray .env is read
    SERVICE_ACCOUNT = service_account_json()
    ENTROPY.install()
    # mongomock applies TTL indexes on every read, by mongomock.utcnow(): the fixture's clock,
    # less the monitor's lag.
    mongomock.utcnow = lambda: (CLOCK.now - TTL_MONITOR_LAG).replace(tzinfo=None)
    firebase_admin.auth.verify_id_token = fake_verify_id_token

    client = StrictClient(AsyncMongoMockClient(), RECORDER)
    story = Story()
    scenes: dict[str, Callable[[Stage, Story], Awaitable[None]]] = {
        "0.1.2": stage_0_1_2,
        "0.1.3": stage_0_1_3,
        "0.1.9": stage_0_1_9,
    }
    for version, starts in VERSIONS.items():
        CLOCK.set(starts)
        async with Stage(version, old_versions, client, story) as stage:
            await scenes[version](stage, story)
    CLOCK.set(GENERATED_AT)
    return await dump(client, story)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-versions", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    old_versions, out = args.old_versions.resolve(), args.out.resolve()
    files = asyncio.run(run(old_versions))
    out.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out / name).write_text(text, encoding="ascii")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
