"""What ``TracheaLogin.startup`` checks about its app (contract §2), and the app's own
registration on the embedded database (§7).

On a MongoDB server the app is registered by an operator (``trachea-login apps register``), so
every startup error names the CLI command that fixes it. On the embedded database
(``mongomock://``) the data lives inside this one process, where no CLI can reach it: the
instance registers its own app at startup, with its ``TRACHEA_APP_SECRET`` and the methods of
``TRACHEA_EMBEDDED_AUTH_METHODS``, and its errors name settings and code, never the CLI.

:func:`registration_problem` is the decision (a pure function of what startup found, tested as
a table); :func:`embedded_registration` checks, at construction, what the embedded
registration will need; :func:`register_embedded_app` performs it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .admin import AppAlreadyExists, register_app
from .admin.validation import check_app_id, check_app_secret
from .config import EMBEDDED_URI_SCHEME, TracheaSettings
from .errors import TracheaConfigError
from .methods import FIREBASE_METHODS, KNOWN_AUTH_METHODS, NATIVE_METHOD
from .records import AppRecord

_FIREBASE_SETTINGS = (
    "set TRACHEA_FIREBASE_CREDENTIALS (or TRACHEA_FIREBASE_PROJECT_ID with "
    "FIREBASE_AUTH_EMULATOR_HOST)"
)


@dataclass(frozen=True)
class EmbeddedApp:
    """The registration an instance on the embedded database makes of its own app."""

    app_id: str
    secret: str = field(repr=False)
    methods: tuple[str, ...]

    @property
    def name(self) -> str:
        """The app's display name (``GET /auth/config``): its id; there is no other to use."""
        return self.app_id


def default_embedded_methods(firebase_configured: bool) -> tuple[str, ...]:
    """``TRACHEA_EMBEDDED_AUTH_METHODS``'s default: ``username``, plus every Firebase method
    when Firebase is configured (without Firebase they could only fail at startup)."""
    if not firebase_configured:
        return (NATIVE_METHOD,)
    return (NATIVE_METHOD, *(m for m in KNOWN_AUTH_METHODS if m in FIREBASE_METHODS))


def embedded_registration(settings: TracheaSettings, firebase_configured: bool) -> EmbeddedApp:
    """What the instance will register on the embedded database, checked now (no I/O):
    ``TracheaConfigError`` naming the setting when it could not be registered or used."""
    try:
        app_id = check_app_id(settings.app_id)
        check_app_secret(settings.app_secret.get_secret_value())
    except ValueError as exc:
        variable = "TRACHEA_APP_ID" if str(exc).startswith("app_id") else "TRACHEA_APP_SECRET"
        raise TracheaConfigError(
            f"{variable}: {exc} (on {EMBEDDED_URI_SCHEME} the app registers itself with it)"
        ) from None
    secret = settings.app_secret.get_secret_value()
    if settings.embedded_auth_methods is None:
        return EmbeddedApp(app_id, secret, default_embedded_methods(firebase_configured))
    methods = tuple(settings.embedded_auth_methods)
    firebase_methods = [m for m in methods if m in FIREBASE_METHODS]
    if firebase_methods and not firebase_configured:
        raise TracheaConfigError(
            "TRACHEA_EMBEDDED_AUTH_METHODS allows Firebase sign-in "
            f"({', '.join(firebase_methods)}) but Firebase is not configured: "
            f"{_FIREBASE_SETTINGS}, or leave those methods out"
        )
    return EmbeddedApp(app_id, secret, methods)


async def register_embedded_app(database: Any, app: EmbeddedApp, secret_hash_rounds: int) -> None:
    """Register ``app`` unless the embedded database holds it already (a second startup of
    the same instance, or code of this process that registered it first: startup then checks
    that registration as any other)."""
    try:
        await register_app(
            database,
            app_id=app.app_id,
            app_secret=app.secret,
            name=app.name,
            allowed_auth_methods=app.methods,
            secret_hash_rounds=secret_hash_rounds,
        )
    except AppAlreadyExists:
        pass


def registration_problem(
    app: AppRecord | None,
    *,
    app_id: str,
    db_name: str,
    secret_matches: bool,
    firebase_configured: bool,
    embedded: bool,
) -> str | None:
    """Why this instance cannot serve ``app`` (its record as startup read it), or ``None``.

    ``secret_matches`` is whether ``TRACHEA_APP_SECRET`` matches the stored hash (only
    consulted for an active app). Each message says what fixes it: the CLI command on a
    MongoDB server, the setting or the code of this process on the embedded database.
    """
    messages = _EMBEDDED if embedded else _SERVER
    if app is None:
        return messages["missing"].format(app_id=app_id, db_name=db_name)
    if not app.is_active:
        return messages["disabled"].format(app_id=app_id)
    if not secret_matches:
        return messages["secret"].format(app_id=app_id)
    firebase_methods = [m for m in app.allowed_auth_methods if m != NATIVE_METHOD]
    if firebase_methods and not firebase_configured:
        return messages["firebase"].format(app_id=app_id, methods=", ".join(firebase_methods))
    return None


_SERVER = {
    "missing": (
        "App '{app_id}' is not registered in database '{db_name}'. Register it with: "
        "trachea-login apps register {app_id} --name NAME --methods username,google"
    ),
    "disabled": "App '{app_id}' is disabled. Enable it with: trachea-login apps enable {app_id}",
    "secret": (
        "TRACHEA_APP_SECRET does not match the secret registered for app '{app_id}'. Use the "
        "secret printed at registration, or issue a new one with: "
        "trachea-login apps rotate-secret {app_id}"
    ),
    "firebase": (
        "App '{app_id}' allows Firebase sign-in ({methods}) but Firebase is not configured: "
        f"{_FIREBASE_SETTINGS}, or allow only native sign-in with: "
        "trachea-login apps set-methods {app_id} username"
    ),
}

_EMBEDDED_DB = f"the embedded database ({EMBEDDED_URI_SCHEME}, inside this process)"
_EMBEDDED = {
    "missing": (
        f"App '{{app_id}}' is missing from {_EMBEDDED_DB} right after this instance registered "
        "it: code of this process deleted it"
    ),
    "disabled": (
        f"App '{{app_id}}' is disabled in {_EMBEDDED_DB}: code of this process disabled it. "
        "Remove that code, or enable it again with "
        "await trachea_login.admin.enable_app(trachea.store.database, '{app_id}')"
    ),
    "secret": (
        f"App '{{app_id}}' is registered in {_EMBEDDED_DB} with a secret other than "
        "TRACHEA_APP_SECRET: code of this process registered it first. Remove that code (an "
        f"instance on {EMBEDDED_URI_SCHEME} registers its own app at startup) or give it the "
        "same secret"
    ),
    "firebase": (
        f"App '{{app_id}}' in {_EMBEDDED_DB} allows Firebase sign-in ({{methods}}) but Firebase "
        f"is not configured: {_FIREBASE_SETTINGS}, or remove the code of this process that "
        "registered it with those methods (the instance registers its own app with "
        "TRACHEA_EMBEDDED_AUTH_METHODS)"
    ),
}
