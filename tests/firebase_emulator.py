"""Test support for the Firebase Auth emulator: start/stop it, and act as a mobile client.

Plain helpers, no fixtures (the session fixture is in ``tests/conftest_firebase.py``).

- :func:`run_emulator` starts ``node_modules/.bin/firebase emulators:start --only auth`` for
  project ``demo-trachea`` on 127.0.0.1:9099 (config in ``firebase.json``), or reuses an
  emulator already answering there, and stops what it started.
- :class:`EmulatorClient` talks to the emulator's REST API the way the Firebase SDKs do
  (``accounts:signUp``, ``accounts:signInWithIdp`` ...) and through its admin API
  (``Authorization: Bearer owner``) to disable, delete and revoke users.
- :func:`unsigned_token`, :func:`expired_copy` and :func:`foreign_project_copy` build the
  tokens the emulator cannot mint. Emulator ID tokens are unsigned JWTs (``alg: none``, empty
  signature) and firebase_admin in emulator mode checks no signature, so a re-encoded payload
  is exactly what an emulator would have issued.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
FIREBASE_BIN = REPO_ROOT / "node_modules" / ".bin" / "firebase"
PROJECT_ID = "demo-trachea"
HOST = "127.0.0.1"
PORT = 9099
EMULATOR_HOST = f"{HOST}:{PORT}"
EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
API_KEY = "fake-api-key"
START_TIMEOUT_SECONDS = 60.0
STOP_TIMEOUT_SECONDS = 10.0

ISSUER_PREFIX = "https://securetoken.google.com/"


class EmulatorError(RuntimeError):
    """The emulator could not be started, or answered a request with an error."""


class EmulatorClient:
    """A client of the Auth emulator, for tests: sign users in, change them, mint tokens.

    Every ``sign_*`` method returns ``(uid, id_token)``.
    """

    def __init__(self, host: str = EMULATOR_HOST, project_id: str = PROJECT_ID) -> None:
        self.host = host
        self.project_id = project_id
        self.base_url = f"http://{host}"
        self._http = httpx.Client(base_url=self.base_url, timeout=10.0)

    def close(self) -> None:
        self._http.close()

    # -- as a mobile client (API key) ------------------------------------------------------

    def sign_up(self, email: str, password: str) -> tuple[str, str]:
        """Create an email+password account (``sign_in_provider`` ``password``)."""
        body = {"email": email, "password": password, "returnSecureToken": True}
        return self._session(self._client_call("accounts:signUp", body))

    def sign_in_with_password(self, email: str, password: str) -> tuple[str, str]:
        """Sign an existing email+password account in again (a fresh ID token)."""
        body = {"email": email, "password": password, "returnSecureToken": True}
        return self._session(self._client_call("accounts:signInWithPassword", body))

    def sign_in_anonymously(self) -> tuple[str, str]:
        """Create an anonymous account (``sign_in_provider`` ``anonymous``)."""
        return self._session(self._client_call("accounts:signUp", {"returnSecureToken": True}))

    def sign_in_with_idp(
        self,
        provider_id: str,
        *,
        email: str,
        email_verified: bool = True,
        name: str | None = None,
        sub: str | None = None,
        picture: str | None = None,
    ) -> tuple[str, str]:
        """Sign in with a federated provider (``google.com``, ``apple.com``, ``facebook.com``).

        The emulator takes the provider's ID token as plain JSON claims in ``postBody``
        (``id_token=<json>&providerId=<provider>``) and honours ``email_verified`` and
        ``name`` from it. The same ``sub`` signs the same provider user in again.
        """
        claims: dict[str, Any] = {
            "sub": sub or f"idp-{uuid.uuid4().hex}",
            "email": email,
            "email_verified": email_verified,
        }
        if name is not None:
            claims["name"] = name
        if picture is not None:
            claims["picture"] = picture
        body = {
            "postBody": urlencode({"id_token": json.dumps(claims), "providerId": provider_id}),
            "requestUri": "http://localhost",
            "returnIdpCredential": True,
            "returnSecureToken": True,
        }
        return self._session(self._client_call("accounts:signInWithIdp", body))

    # -- as an administrator (Bearer owner) ------------------------------------------------

    def get_user(self, uid: str) -> dict[str, Any]:
        """The emulator's account record of ``uid`` (raises if there is none)."""
        users = self._admin_call("accounts:lookup", {"localId": [uid]}).get("users") or []
        if not users:
            raise EmulatorError(f"no emulator account {uid}")
        return dict(users[0])

    def disable_user(self, uid: str) -> None:
        self._admin_call("accounts:update", {"localId": uid, "disableUser": True})

    def mark_email_verified(self, uid: str) -> None:
        """Set ``emailVerified`` on the account (as the owner clicking the verification link,
        or Firebase handing the account to a trusted provider's verified owner)."""
        self._admin_call("accounts:update", {"localId": uid, "emailVerified": True})

    def remove_display_name(self, uid: str) -> None:
        """Delete the account's display name, so its next tokens carry no ``name`` (as for a
        later Apple sign-in, which sends the name only the first time)."""
        self._admin_call("accounts:update", {"localId": uid, "deleteAttribute": ["DISPLAY_NAME"]})

    def delete_user(self, uid: str) -> None:
        self._admin_call("accounts:delete", {"localId": uid})

    def revoke_refresh_tokens(self, uid: str) -> None:
        """Revoke every token issued to ``uid`` so far (as ``auth.revoke_refresh_tokens``).

        Revocation has one-second granularity (a token counts as revoked when its ``iat`` is
        before ``validSince``), so this waits for the next whole second first: every token
        issued before the call is then revoked.
        """
        now = time.time()
        time.sleep(int(now) + 1 - now + 0.01)
        self._admin_call("accounts:update", {"localId": uid, "validSince": str(int(time.time()))})

    def clear_accounts(self) -> None:
        """Delete every account of the project."""
        response = self._http.delete(f"/emulator/v1/projects/{self.project_id}/accounts")
        _raise_for(response)

    # -- tokens the emulator will not mint -------------------------------------------------

    def expired_token(self) -> tuple[str, str]:
        """A new password user and a copy of its token that expired an hour ago."""
        uid, token = self.sign_up(f"expired-{uuid.uuid4().hex[:10]}@example.com", "secret-123")
        return uid, expired_copy(token)

    def foreign_project_token(self, project_id: str = "demo-elsewhere") -> tuple[str, str]:
        """A new password user and a copy of its token as issued for ``project_id``."""
        uid, token = self.sign_up(f"foreign-{uuid.uuid4().hex[:10]}@example.com", "secret-123")
        return uid, foreign_project_copy(token, project_id)

    # -- plumbing ----------------------------------------------------------------------------

    def _client_call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(
            f"/identitytoolkit.googleapis.com/v1/{method}", params={"key": API_KEY}, json=body
        )
        return _raise_for(response)

    def _admin_call(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self._http.post(
            f"/identitytoolkit.googleapis.com/v1/projects/{self.project_id}/{method}",
            headers={"Authorization": "Bearer owner"},
            json=body,
        )
        return _raise_for(response)

    @staticmethod
    def _session(data: dict[str, Any]) -> tuple[str, str]:
        return str(data["localId"]), str(data["idToken"])


def _raise_for(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise EmulatorError(
            f"{response.request.method} {response.request.url.path}: "
            f"{response.status_code} {response.text[:500]}"
        )
    return dict(response.json())


# -- unsigned tokens -------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The header and payload of a JWT, unchecked."""
    header, payload = (
        json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
        for part in token.split(".")[:2]
    )
    return header, payload


def unsigned_token(claims: dict[str, Any]) -> str:
    """An unsigned JWT as the emulator issues them (``alg: none``, empty signature)."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."


def expired_copy(token: str, *, seconds_ago: int = 3600) -> str:
    """``token`` re-issued so that it expired ``seconds_ago`` seconds ago (one hour long)."""
    _, claims = decode_unverified(token)
    exp = int(time.time()) - seconds_ago
    claims.update(exp=exp, iat=exp - 3600, auth_time=exp - 3600)
    return unsigned_token(claims)


def foreign_project_copy(token: str, project_id: str) -> str:
    """``token`` as an emulator for ``project_id`` would have issued it."""
    _, claims = decode_unverified(token)
    claims.update(aud=project_id, iss=ISSUER_PREFIX + project_id)
    return unsigned_token(claims)


# -- the emulator process --------------------------------------------------------------------


def emulator_answers(host: str = HOST, port: int = PORT) -> bool:
    """Whether the Auth emulator answers on ``host:port``."""
    try:
        response = httpx.get(f"http://{host}:{port}/", timeout=2.0)
        return bool(response.json().get("authEmulator", {}).get("ready"))
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def port_in_use(host: str = HOST, port: int = PORT) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


@contextlib.contextmanager
def run_emulator(timeout: float = START_TIMEOUT_SECONDS) -> Iterator[EmulatorClient]:
    """Run the Auth emulator for the duration of the block and yield a client of it.

    Sets ``FIREBASE_AUTH_EMULATOR_HOST`` (restored afterwards). An emulator already answering
    on 127.0.0.1:9099 (left by another run) is reused, emptied, and left running; a port held
    by anything else is an error. Raises :class:`EmulatorError` with the emulator's output
    when it does not come up within ``timeout`` seconds, and when firebase-tools is not
    installed (run ``npm ci`` at the repository root).
    """
    process: subprocess.Popen[bytes] | None = None
    log_file = None
    if emulator_answers():
        pass
    elif port_in_use():
        raise EmulatorError(
            f"Port {PORT} on {HOST} is taken by something that is not the Firebase Auth "
            "emulator; stop it and run the tests again"
        )
    else:
        if not FIREBASE_BIN.exists():
            raise EmulatorError(
                f"{FIREBASE_BIN.relative_to(REPO_ROOT)} is missing: run `npm ci` at the "
                "repository root to install firebase-tools (needs Node 20+)"
            )
        log_file = tempfile.NamedTemporaryFile(  # closed in the finally below
            prefix="firebase-emulator-", suffix=".log", delete=False
        )
        process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            [str(FIREBASE_BIN), "emulators:start", "--only", "auth", "--project", PROJECT_ID],
            cwd=REPO_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as a whole
        )
    previous = os.environ.get(EMULATOR_HOST_ENV)
    client = EmulatorClient()
    try:
        if process is not None:
            _wait_until_ready(process, timeout, Path(log_file.name) if log_file else None)
        else:
            _check_project(client)
        client.clear_accounts()
        os.environ[EMULATOR_HOST_ENV] = EMULATOR_HOST
        yield client
    finally:
        client.close()
        if previous is None:
            os.environ.pop(EMULATOR_HOST_ENV, None)
        else:
            os.environ[EMULATOR_HOST_ENV] = previous
        if process is not None:
            _stop(process)
        if log_file is not None:
            log_file.close()
            Path(log_file.name).unlink(missing_ok=True)


def _wait_until_ready(
    process: subprocess.Popen[bytes], timeout: float, log_path: Path | None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if emulator_answers():
            return
        if process.poll() is not None:
            raise EmulatorError(
                f"The Firebase Auth emulator exited with status {process.returncode}:\n"
                + _tail(log_path)
            )
        time.sleep(0.25)
    raise EmulatorError(
        f"The Firebase Auth emulator did not answer on {EMULATOR_HOST} within {timeout:.0f} s:\n"
        + _tail(log_path)
    )


def _check_project(client: EmulatorClient) -> None:
    """Refuse to reuse an emulator that issues tokens for another project."""
    _, token = client.sign_in_anonymously()
    audience = decode_unverified(token)[1].get("aud")
    if audience != PROJECT_ID:
        raise EmulatorError(
            f"The Auth emulator already running on {EMULATOR_HOST} is for project {audience!r}, "
            f"not {PROJECT_ID!r}; stop it and run the tests again"
        )


def _tail(log_path: Path | None, limit: int = 4000) -> str:
    if log_path is None:
        return ""
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")[-limit:]
    except OSError:
        return "(no output)"


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the emulator's whole process group: SIGTERM, then SIGKILL if any of it lingers."""
    pgid = process.pid  # start_new_session: the group id is the leader's pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, 0)  # raises if nothing of the group is left
        os.killpg(pgid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
