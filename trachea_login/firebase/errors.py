"""How a Firebase verification failure is answered: 401, or 503 when Firebase is unreachable."""

from __future__ import annotations

import logging
import traceback

import google.auth.exceptions
import requests
from firebase_admin import auth as firebase_auth
from firebase_admin import exceptions as firebase_exceptions

from ..errors import ErrorCode, TracheaError

logger = logging.getLogger("trachea_login.firebase")

RETRY_AFTER_SECONDS = 30
"""``Retry-After`` sent with ``AUTH_PROVIDER_UNAVAILABLE``."""


def invalid_token() -> TracheaError:
    return TracheaError(ErrorCode.INVALID_FIREBASE_TOKEN)


def unavailable() -> TracheaError:
    return TracheaError(ErrorCode.AUTH_PROVIDER_UNAVAILABLE, retry_after=RETRY_AFTER_SECONDS)


def translate(exc: Exception, id_token: str) -> TracheaError:
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
        return invalid_token()
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
        logger.warning("Firebase is unreachable; answering 503: %s", redacted(str(exc), id_token))
        return unavailable()
    # Anything else is ours or the deployment's (credentials refused, a bug ...).
    logger.error(
        "Unexpected error while verifying a Firebase ID token; answering 503:\n%s",
        redacted("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)), id_token),
    )
    return unavailable()


def redacted(text: str, id_token: str) -> str:
    """``text`` with the token, and each of its segments, blanked out."""
    for piece in sorted({id_token, *id_token.split(".")}, key=len, reverse=True):
        if len(piece) >= 8:
            text = text.replace(piece, "<token>")
    return text
