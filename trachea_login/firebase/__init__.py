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

from .credentials import EMULATOR_HOST_ENV
from .identity import FirebaseIdentity, map_provider
from .verifier import DEFAULT_HTTP_TIMEOUT_SECONDS, FirebaseVerifier

__all__ = [
    "DEFAULT_HTTP_TIMEOUT_SECONDS",
    "EMULATOR_HOST_ENV",
    "FirebaseIdentity",
    "FirebaseVerifier",
    "map_provider",
]
