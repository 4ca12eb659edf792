"""The Firebase ID token verifier of one ``TracheaLogin`` instance."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import firebase_admin
from firebase_admin import auth as firebase_auth
from firebase_admin import credentials as firebase_credentials
from google.auth.credentials import AnonymousCredentials

from ..clock import Clock, SystemClock
from ..config import TracheaSettings
from ..errors import TracheaConfigError
from .credentials import (
    ALLOW_EMULATOR_VAR,
    CHECK_REVOKED_VAR,
    CREDENTIALS_VAR,
    DEMO_PROJECT_PREFIX,
    EMULATOR_HOST_ENV,
    PROJECT_ID_VAR,
    certificate,
    emulator_host,
    load_service_account,
    project_of,
)
from .errors import translate, unavailable
from .identity import CLOCK_SKEW_SECONDS, FirebaseIdentity, check_shape, identity_from_claims

logger = logging.getLogger("trachea_login.firebase")

DEFAULT_HTTP_TIMEOUT_SECONDS = 10.0
"""Bound on each call to Google (certificates, revocation lookup); firebase_admin's is 120 s."""


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
        clock: Clock | None = None,
    ) -> None:
        self._clock = clock or SystemClock()
        service_account = load_service_account(credentials) if credentials else None
        project = (project_id or "").strip() or project_of(service_account)
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
        emulator = emulator_host()
        if emulator is not None:
            self._refuse_unsafe_emulator(emulator)

        credential = _credential(service_account, project, emulator, self._check_revoked)
        self._app: firebase_admin.App | None = firebase_admin.initialize_app(
            credential,
            options={"projectId": project, "httpTimeout": http_timeout},
            name=f"trachea-login:{instance_name}:{uuid.uuid4().hex}",
        )

    @classmethod
    def from_settings(
        cls, settings: TracheaSettings, instance_name: str, clock: Clock | None = None
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
            clock=clock,
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
        check_shape(id_token)
        app = self._app
        if app is None:
            logger.error("Firebase token verification after the verifier was closed")
            raise unavailable()
        if emulator_host() is not None and not self._emulator_permitted:
            # Set after construction: firebase_admin would now skip signature checks.
            logger.error(
                "%s is set but Firebase project %r is not a demo- project and %s is false; "
                "refusing to accept unsigned emulator tokens",
                EMULATOR_HOST_ENV,
                self._project_id,
                ALLOW_EMULATOR_VAR,
            )
            raise unavailable()
        try:
            claims = await asyncio.to_thread(
                firebase_auth.verify_id_token,
                id_token,
                app=app,
                check_revoked=self._check_revoked,
                clock_skew_seconds=CLOCK_SKEW_SECONDS,
            )
        except Exception as exc:  # every failure becomes a 401 or a 503, never a 500
            raise translate(exc, id_token) from None
        return identity_from_claims(claims, now=self._clock.now().timestamp())

    async def delete_user(self, uid: str) -> bool:
        """Delete the Firebase user ``uid`` (erasure), in a worker thread; whether Firebase
        confirmed it (an already deleted user counts). Failures are logged, never raised: the
        erasure of our own data has already happened."""
        app = self._app
        if app is None:
            return False
        try:
            await asyncio.to_thread(firebase_auth.delete_user, uid, app=app)
        except firebase_auth.UserNotFoundError:
            return True
        except Exception as exc:  # noqa: BLE001 - reported, the erasure stands
            logger.error("could not delete Firebase user during erasure: %s", type(exc).__name__)
            return False
        return True

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


def _credential(
    service_account: dict[str, Any] | None, project: str, emulator: str | None, check_revoked: bool
) -> firebase_credentials.Base | AnonymousCredentials:
    """The credential our firebase_admin app needs, or a ``TracheaConfigError`` saying why
    one is required."""
    if service_account is not None:
        return certificate(service_account)
    if emulator is not None or not check_revoked:
        # The emulator ignores credentials, and verifying a token's signature needs only
        # Google's public certificates: no service account is involved either way.
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    if project.startswith(DEMO_PROJECT_PREFIX):
        # A demo project exists only in emulators: Google never signs tokens for it, so
        # the revocation lookup (the one call that needs credentials) is never reached.
        return AnonymousCredentials()  # type: ignore[no-untyped-call]
    raise TracheaConfigError(
        f"{CREDENTIALS_VAR} is required for Firebase sign-in: checking whether a token "
        "was revoked or its user disabled needs a service account (set "
        f"{CREDENTIALS_VAR} to the service-account JSON or its path, or set "
        f"{CHECK_REVOKED_VAR}=false to skip that check)"
    )
