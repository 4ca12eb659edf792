"""Firebase ID token verification: who a Firebase token says the caller is (contract §4).

:class:`FirebaseVerifier` checks a Firebase ID token with ``firebase_admin`` on a Firebase app of
its own (a *named* app, so a product app's default Firebase app is never touched) and returns a
:class:`FirebaseIdentity`. It knows nothing of HTTP routes or MongoDB; it raises
:class:`~trachea_login.errors.TracheaError` with the §5 codes:

- ``INVALID_FIREBASE_TOKEN`` (401) for every token that is not acceptable: malformed, expired,
  for another project, revoked, or whose user is disabled or deleted;
- ``AUTH_PROVIDER_UNAVAILABLE`` (503, ``Retry-After``) when the token cannot be checked because
  Firebase cannot be reached, and for any unexpected failure (logged, never shown).

With ``FIREBASE_AUTH_EMULATOR_HOST`` set, ``firebase_admin`` talks to the Auth emulator and does
**not** check token signatures, so the verifier refuses that mode unless the project id is a
``demo-`` project (which can never be a real one) or ``allow_emulator`` is set.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import os
import time
import traceback
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import firebase_admin
import google.auth.exceptions
import requests
from firebase_admin import auth as firebase_auth
from firebase_admin import credentials as firebase_credentials
from firebase_admin import exceptions as firebase_exceptions
from google.auth.credentials import AnonymousCredentials

from .config import TracheaSettings
from .errors import ErrorCode, TracheaConfigError, TracheaError

logger = logging.getLogger("trachea_login.firebase")

EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
"""The variable ``firebase_admin`` reads to switch to the Auth emulator."""

CREDENTIALS_VAR = "TRACHEA_FIREBASE_CREDENTIALS"
PROJECT_ID_VAR = "TRACHEA_FIREBASE_PROJECT_ID"
ALLOW_EMULATOR_VAR = "TRACHEA_FIREBASE_ALLOW_EMULATOR"
CHECK_REVOKED_VAR = "TRACHEA_FIREBASE_CHECK_REVOKED"

MAX_TOKEN_BYTES = 8 * 1024
"""Longer tokens are refused without calling Firebase (real ID tokens are about 1 KiB)."""

CLOCK_SKEW_SECONDS = 10
"""Tolerance for ``iat``/``exp`` between our clock and Firebase's."""

DEFAULT_HTTP_TIMEOUT_SECONDS = 10.0
"""Bound on each call to Google (certificates, revocation lookup); firebase_admin's is 120 s."""

RETRY_AFTER_SECONDS = 30
"""``Retry-After`` sent with ``AUTH_PROVIDER_UNAVAILABLE``."""

DEMO_PROJECT_PREFIX = "demo-"

_PROVIDER_NAMES: dict[str, str] = {
    "google.com": "google",
    "apple.com": "apple",
    "facebook.com": "facebook",
    "password": "password",
}

_SERVICE_ACCOUNT_FIELDS = ("private_key", "client_email", "token_uri")


@dataclass(frozen=True)
class FirebaseIdentity:
    """What a verified Firebase ID token says about the caller.

    ``provider`` is the sign-in method name the rest of trachea-login uses
    (see :func:`map_provider`); ``sign_in_provider`` the raw ``firebase.sign_in_provider``
    claim. ``email`` is lower-cased, and ``email_verified`` is true only when Firebase says
    so for that email. ``claims`` is the full verified payload.
    """

    uid: str
    provider: str
    sign_in_provider: str
    email: str | None
    email_verified: bool
    name: str | None
    picture: str | None
    phone_number: str | None
    claims: dict[str, Any]


def map_provider(sign_in_provider: str) -> str:
    """The method name for a Firebase ``sign_in_provider`` claim.

    ``google.com``, ``apple.com``, ``facebook.com`` and ``password`` become ``google``,
    ``apple``, ``facebook`` and ``password``. Anything else (``phone``, ``anonymous``,
    ``custom``, ``oidc.*``, ``saml.*``, ``github.com`` ...) is returned unchanged, so an app
    may allow it by that exact name; the caller enforces ``allowed_auth_methods``.
    """
    return _PROVIDER_NAMES.get(sign_in_provider, sign_in_provider)


class FirebaseVerifier:
    """Verifies Firebase ID tokens for one ``TracheaLogin`` instance.

    Each verifier owns a named ``firebase_admin`` app (``instance_name`` plus a random
    suffix), so several verifiers, and the product app's own default Firebase app, coexist in
    one process. Call :meth:`close` when done to delete that app.

    ``credentials`` is a path to a service-account JSON file or the JSON text itself.
    ``project_id`` defaults to the one in the credentials. Outside the emulator, checking
    revocation (``check_revoked``) needs credentials, except for ``demo-`` projects.

    Raises :class:`TracheaConfigError` (naming the variable, never showing a secret) when the
    credentials are unreadable or not a service account, when no project id is known, or when
    ``FIREBASE_AUTH_EMULATOR_HOST`` is set for a project that is not ``demo-*`` and
    ``allow_emulator`` is false. Nothing here uses the network.
    """

    def __init__(
        self,
        *,
        instance_name: str,
        credentials: str | None,
        project_id: str | None,
        check_revoked: bool = True,
        allow_emulator: bool = False,
        http_timeout: float = DEFAULT_HTTP_TIMEOUT_SECONDS,
    ) -> None:
        service_account = _load_service_account(credentials) if credentials else None
        project = (project_id or "").strip() or _project_of(service_account)
        if not project:
            raise TracheaConfigError(
                f"{PROJECT_ID_VAR} is required for Firebase sign-in (or a service account in "
                f"{CREDENTIALS_VAR} that contains a project_id)"
            )
        if any(ch.isspace() for ch in project) or "/" in project:
            raise TracheaConfigError(f"{PROJECT_ID_VAR} is not a valid Firebase project id")

        self._project_id = project
        self._check_revoked = bool(check_revoked)
        self._emulator_permitted = project.startswith(DEMO_PROJECT_PREFIX) or allow_emulator
        emulator_host = _emulator_host()
        if emulator_host is not None:
            self._refuse_unsafe_emulator(emulator_host)

        credential: firebase_credentials.Base | AnonymousCredentials
        if service_account is not None:
            credential = _certificate(service_account)
        elif emulator_host is not None or not self._check_revoked:
            # The emulator ignores credentials, and verifying a token's signature needs only
            # Google's public certificates: no service account is involved either way.
            credential = AnonymousCredentials()
        elif project.startswith(DEMO_PROJECT_PREFIX):
            # A demo project exists only in emulators: Google never signs tokens for it, so
            # the revocation lookup (the one call that needs credentials) is never reached.
            credential = AnonymousCredentials()
        else:
            raise TracheaConfigError(
                f"{CREDENTIALS_VAR} is required for Firebase sign-in: checking whether a token "
                "was revoked or its user disabled needs a service account (set "
                f"{CREDENTIALS_VAR} to the service-account JSON or its path, or set "
                f"{CHECK_REVOKED_VAR}=false to skip that check)"
            )

        self._app: firebase_admin.App | None = firebase_admin.initialize_app(
            credential,
            options={"projectId": project, "httpTimeout": http_timeout},
            name=f"trachea-login:{instance_name}:{uuid.uuid4().hex}",
        )

    @classmethod
    def from_settings(
        cls, settings: TracheaSettings, instance_name: str
    ) -> FirebaseVerifier | None:
        """A verifier from ``TRACHEA_FIREBASE_*`` settings, or None if Firebase is not set up.

        Firebase counts as set up when ``FIREBASE_CREDENTIALS`` or ``FIREBASE_PROJECT_ID`` is
        given. ``FIREBASE_AUTH_EMULATOR_HOST`` alone does not set it up: the product app may
        use the emulator for its own Firebase app. Raises :class:`TracheaConfigError` as the
        constructor does.
        """
        secret = settings.firebase_credentials
        credentials = secret.get_secret_value().strip() if secret is not None else ""
        project_id = (settings.firebase_project_id or "").strip()
        if not credentials and not project_id:
            return None
        return cls(
            instance_name=instance_name,
            credentials=credentials or None,
            project_id=project_id or None,
            check_revoked=settings.firebase_check_revoked,
            allow_emulator=settings.firebase_allow_emulator,
            http_timeout=settings.firebase_http_timeout,
        )

    @property
    def configured(self) -> bool:
        """True while the verifier can verify tokens (until :meth:`close`)."""
        return self._app is not None

    @property
    def project_id(self) -> str:
        """The Firebase project whose tokens this verifier accepts."""
        return self._project_id

    @property
    def check_revoked(self) -> bool:
        """Whether :meth:`verify` also refuses revoked tokens and disabled or deleted users."""
        return self._check_revoked

    @property
    def app_name(self) -> str | None:
        """The name of our ``firebase_admin`` app (None once closed)."""
        return self._app.name if self._app is not None else None

    async def verify(self, id_token: str) -> FirebaseIdentity:
        """Verify ``id_token`` and return who it identifies.

        The check runs in a worker thread (``firebase_admin`` blocks on HTTP). The method comes
        from the verified ``firebase.sign_in_provider`` claim only.

        Raises :class:`TracheaError` ``INVALID_FIREBASE_TOKEN`` (401) for a token that is not a
        string, empty, longer than 8 KiB, malformed, expired, for another project, revoked, or
        whose user is disabled or deleted (the last three with ``check_revoked``), and
        ``AUTH_PROVIDER_UNAVAILABLE`` (503, ``Retry-After``) when Firebase cannot be reached or
        anything unexpected fails.
        """
        _check_shape(id_token)
        app = self._app
        if app is None:
            logger.error("Firebase token verification after the verifier was closed")
            raise _unavailable()
        if _emulator_host() is not None and not self._emulator_permitted:
            # Set after construction: firebase_admin would now skip signature checks.
            logger.error(
                "%s is set but Firebase project %r is not a demo- project and %s is false; "
                "refusing to accept unsigned emulator tokens",
                EMULATOR_HOST_ENV,
                self._project_id,
                ALLOW_EMULATOR_VAR,
            )
            raise _unavailable()
        try:
            claims = await asyncio.to_thread(
                firebase_auth.verify_id_token,
                id_token,
                app=app,
                check_revoked=self._check_revoked,
                clock_skew_seconds=CLOCK_SKEW_SECONDS,
            )
        except Exception as exc:  # every failure becomes a 401 or a 503, never a 500
            raise _translate(exc, id_token) from None
        return _identity(claims)

    def close(self) -> None:
        """Delete our named ``firebase_admin`` app. Safe to call more than once."""
        app, self._app = self._app, None
        if app is None:
            return
        try:
            firebase_admin.delete_app(app)
        except ValueError:  # already deleted by someone else
            pass

    def _refuse_unsafe_emulator(self, host: str) -> None:
        if "//" in host or ":" not in host:
            raise TracheaConfigError(f"{EMULATOR_HOST_ENV} must be host:port, without a scheme")
        if not self._emulator_permitted:
            raise TracheaConfigError(
                f"{EMULATOR_HOST_ENV} is set, so Firebase tokens would be accepted without "
                f"checking their signature, but {PROJECT_ID_VAR} ({self._project_id!r}) is not "
                f"a '{DEMO_PROJECT_PREFIX}' project: use a demo- project id with the emulator, "
                f"unset {EMULATOR_HOST_ENV}, or set {ALLOW_EMULATOR_VAR}=true if this really is "
                "a test deployment"
            )


# -- configuration helpers -------------------------------------------------------------------


def _emulator_host() -> str | None:
    value = os.environ.get(EMULATOR_HOST_ENV, "").strip()
    return value or None


def _load_service_account(value: str) -> dict[str, Any]:
    """Parse ``TRACHEA_FIREBASE_CREDENTIALS``: JSON text, or a path to a JSON file."""
    text = value.strip()
    source = "its value"
    if not text.startswith("{"):
        source = "the file it names"
        try:
            text = Path(text).expanduser().read_text(encoding="utf-8")
        except (OSError, ValueError) as exc:
            raise TracheaConfigError(
                f"{CREDENTIALS_VAR} is neither service-account JSON nor the path of a readable "
                f"file ({exc.__class__.__name__})"
            ) from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        where = (
            f" at line {exc.lineno} column {exc.colno}"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise TracheaConfigError(f"{CREDENTIALS_VAR}: {source} is not valid JSON{where}") from None
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise TracheaConfigError(
            f"{CREDENTIALS_VAR}: {source} is not a service-account key "
            '(expected a JSON object with "type": "service_account")'
        )
    missing = [key for key in _SERVICE_ACCOUNT_FIELDS if not data.get(key)]
    if missing:
        raise TracheaConfigError(
            f"{CREDENTIALS_VAR}: the service-account key lacks {', '.join(missing)}"
        )
    return data


def _project_of(service_account: dict[str, Any] | None) -> str:
    if service_account is None:
        return ""
    project = service_account.get("project_id")
    return project.strip() if isinstance(project, str) else ""


def _certificate(service_account: dict[str, Any]) -> firebase_credentials.Certificate:
    try:
        return firebase_credentials.Certificate(service_account)
    except ValueError:
        # firebase_admin's message may quote parts of the key: do not pass it on.
        raise TracheaConfigError(
            f"{CREDENTIALS_VAR}: the service-account key cannot be loaded (is private_key a "
            "valid PEM key?)"
        ) from None


# -- verification helpers --------------------------------------------------------------------


def _invalid() -> TracheaError:
    return TracheaError(ErrorCode.INVALID_FIREBASE_TOKEN)


def _unavailable() -> TracheaError:
    return TracheaError(ErrorCode.AUTH_PROVIDER_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)


def _check_shape(id_token: object) -> None:
    """Refuse, without calling Firebase, what cannot be a Firebase ID token.

    A compact JWT is three base64url segments, the first two JSON objects. Checking that here
    also keeps odd inputs (a JSON array as payload ...) from surfacing as unexpected errors
    deep inside firebase_admin.
    """
    if not isinstance(id_token, str) or not id_token.strip():
        raise _invalid()
    if len(id_token) > MAX_TOKEN_BYTES or not id_token.isascii():
        raise _invalid()
    parts = id_token.split(".")
    if len(parts) != 3:
        raise _invalid()
    for segment in parts[:2]:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        except (ValueError, binascii.Error):
            raise _invalid() from None
        if not isinstance(decoded, dict):
            raise _invalid()


def _translate(exc: Exception, id_token: str) -> TracheaError:
    """Map a failure of ``verify_id_token`` to a 401 or a 503. Order matters: several of
    firebase_admin's error classes subclass others (``CertificateFetchError`` is an
    ``UnknownError``; ``ExpiredIdTokenError`` and ``RevokedIdTokenError`` are
    ``InvalidIdTokenError``s)."""
    # The token is not acceptable (or its user no longer is).
    if isinstance(
        exc,
        (
            firebase_auth.InvalidIdTokenError,  # also expired, revoked, wrong project
            firebase_auth.UserDisabledError,
            firebase_auth.UserNotFoundError,  # deleted user, during the revocation check
        ),
    ):
        logger.debug("Firebase ID token refused: %s", exc.__class__.__name__)
        return _invalid()
    # Firebase cannot be reached: the token may well be fine.
    if isinstance(
        exc,
        (
            firebase_auth.CertificateFetchError,
            firebase_exceptions.UnavailableError,
            firebase_exceptions.DeadlineExceededError,
            firebase_exceptions.UnknownError,
            firebase_exceptions.InternalError,
            google.auth.exceptions.TransportError,
            requests.exceptions.RequestException,
        ),
    ):
        logger.warning("Firebase is unreachable; answering 503: %s", _redacted(str(exc), id_token))
        return _unavailable()
    # Anything else is ours or the deployment's (credentials refused, a bug ...).
    logger.error(
        "Unexpected error while verifying a Firebase ID token; answering 503:\n%s",
        _redacted("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), id_token),
    )
    return _unavailable()


def _redacted(text: str, id_token: str) -> str:
    """``text`` with the token, and each of its segments, blanked out."""
    for piece in sorted({id_token, *id_token.split(".")}, key=len, reverse=True):
        if len(piece) >= 8:
            text = text.replace(piece, "<token>")
    return text


def _identity(claims: Any) -> FirebaseIdentity:
    """Build the identity from verified claims, re-checking what the emulator mode skips.

    In emulator mode firebase_admin checks neither the signature nor ``exp``/``iat``; the
    time checks are repeated here for every mode.
    """
    if not isinstance(claims, dict):
        raise _invalid()
    now = time.time()
    exp, iat = claims.get("exp"), claims.get("iat")
    if not _is_number(exp) or not _is_number(iat):
        raise _invalid()
    if exp + CLOCK_SKEW_SECONDS < now or iat - CLOCK_SKEW_SECONDS > now:
        raise _invalid()
    uid = claims.get("uid") or claims.get("sub")
    firebase_claim = claims.get("firebase")
    sign_in_provider = (
        firebase_claim.get("sign_in_provider") if isinstance(firebase_claim, dict) else None
    )
    if not isinstance(uid, str) or not uid or not isinstance(sign_in_provider, str):
        raise _invalid()
    if not sign_in_provider:
        raise _invalid()
    email = _text(claims.get("email"))
    email = email.lower() if email else None
    return FirebaseIdentity(
        uid=uid,
        provider=map_provider(sign_in_provider),
        sign_in_provider=sign_in_provider,
        email=email,
        email_verified=email is not None and claims.get("email_verified") is True,
        name=_text(claims.get("name")),
        picture=_text(claims.get("picture")),
        phone_number=_text(claims.get("phone_number")),
        claims=claims,
    )


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _text(value: object) -> str | None:
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None
