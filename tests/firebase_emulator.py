"""Test support for the Firebase Auth emulator: start/stop it, and act as a mobile client.

Plain helpers, no fixtures (the session fixture is in ``tests/conftest_firebase.py``).

- :func:`start_emulator` starts ``node_modules/.bin/firebase emulators:start --only auth`` for
  project ``demo-trachea`` on free ports of 127.0.0.1 chosen for that run, with a
  ``firebase.json`` written to a temporary directory of its own (the repository's
  ``firebase.json`` is for people running the emulator by hand). It never uses, connects to or
  clears an emulator it did not start, so several test runs share one machine.
  :func:`run_emulator` also points ``FIREBASE_AUTH_EMULATOR_HOST`` at it for the block.
- :class:`EmulatorClient` talks to the emulator's REST API the way the Firebase SDKs do
  (``accounts:signUp``, ``accounts:signInWithIdp``, phone sign-in with an SMS code ...) and
  through its admin API (``Authorization: Bearer owner``) to disable, delete and revoke users.
- :func:`unsigned_token`, :func:`expired_copy` and :func:`foreign_project_copy` build the
  tokens the emulator cannot mint. Emulator ID tokens are unsigned JWTs (``alg: none``, empty
  signature) and firebase_admin in emulator mode checks no signature, so a re-encoded payload
  is exactly what an emulator would have issued.

Run as a script (``python tests/firebase_emulator.py --watchdog GRACE -- COMMAND...``) this
module is the watchdog :class:`ProcessGroup` puts between the test process and the emulator.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
FIREBASE_BIN = REPO_ROOT / "node_modules" / ".bin" / "firebase"
PROJECT_ID = "demo-trachea"
HOST = "127.0.0.1"
EMULATOR_HOST_ENV = "FIREBASE_AUTH_EMULATOR_HOST"
API_KEY = "fake-api-key"
# A cold start spends 30-70 s of CPU building the emulator's request validator; two suites
# side by side on two busy cores take longer still. The wait is bounded, not short.
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 10.0
PORT_ATTEMPTS = 3  # a free port can be taken by someone else before firebase-tools binds it
POLL_SECONDS = 0.25

ISSUER_PREFIX = "https://securetoken.google.com/"
E164 = re.compile(r"\+[1-9][0-9]{1,14}")

LOG_NAME = "emulator.log"
CONFIG_NAME = "firebase.json"
# firebase-tools prints this once every emulator listens on its (fixed) port.
READY_MARKER = "All emulators ready"
PORT_TAKEN_MARKERS = ("port taken", "EADDRINUSE")
WATCHDOG_FLAG = "--watchdog"


class EmulatorError(RuntimeError):
    """The emulator could not be started, or answered a request with an error.

    ``log_dir`` is the directory holding a failed start's logs (kept for reading), if any.
    """

    def __init__(self, message: str, *, log_dir: Path | None = None) -> None:
        super().__init__(message)
        self.log_dir = log_dir


class EmulatorClient:
    """A client of the Auth emulator, for tests: sign users in, change them, mint tokens.

    ``host`` is the emulator's ``host:port``. Every ``sign_*`` method returns
    ``(uid, id_token)``.
    """

    def __init__(self, host: str, project_id: str = PROJECT_ID) -> None:
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

    def sign_in_with_phone(self, phone_number: str) -> tuple[str, str]:
        """Sign in with a phone number as a mobile SDK does (``sign_in_provider`` ``phone``).

        Asks for an SMS code (``accounts:sendVerificationCode``), reads the code the emulator
        "sent" from its ``verificationCodes`` endpoint, and signs in with it
        (``accounts:signInWithPhoneNumber``). The first sign-in of a number creates its
        account; later ones sign the same account in again. The token's ``phone_number``
        claim is the number.

        ``phone_number`` must be E.164 (``+919876543210``): real Firebase normalises what the
        user typed to E.164 before issuing a token, the emulator stores any ``+...`` string
        verbatim, so anything else would yield a token Firebase never issues. Raises
        ``ValueError`` for such input (before any request), :class:`EmulatorError` when the
        emulator refuses.
        """
        session_info = self.send_verification_code(phone_number)
        code = self.sms_code(session_info)
        return self._session(self.sign_in_with_phone_code(session_info, code))

    def send_verification_code(self, phone_number: str) -> str:
        """Ask the emulator to "send" an SMS code to ``phone_number`` (E.164, else
        ``ValueError``); returns the ``sessionInfo`` the code belongs to."""
        if not E164.fullmatch(phone_number):
            raise ValueError(f"not an E.164 phone number: {phone_number!r}")
        body = {"phoneNumber": phone_number, "recaptchaToken": "emulator-ignores-it"}
        return str(self._client_call("accounts:sendVerificationCode", body)["sessionInfo"])

    def sms_code(self, session_info: str) -> str:
        """The SMS code the emulator sent for ``session_info`` (what the user would type).

        The emulator lists every code not yet used; this picks the one of this session, so
        concurrent sign-ins never read each other's code.
        """
        response = self._http.get(f"/emulator/v1/projects/{self.project_id}/verificationCodes")
        for entry in _raise_for(response).get("verificationCodes") or []:
            if entry.get("sessionInfo") == session_info:
                return str(entry["code"])
        raise EmulatorError("the emulator has no SMS code for this session")

    def sign_in_with_phone_code(self, session_info: str, code: str) -> dict[str, Any]:
        """``accounts:signInWithPhoneNumber`` with the session and the code the user typed;
        returns the emulator's answer (``idToken``, ``localId``, ``phoneNumber``,
        ``isNewUser`` ...). A wrong code is an :class:`EmulatorError` (``INVALID_CODE``)."""
        body = {"sessionInfo": session_info, "code": code}
        return self._client_call("accounts:signInWithPhoneNumber", body)

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
        """Delete every account of the project (only ever on an emulator this run started)."""
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


# -- ports and configuration -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class EmulatorPorts:
    """Every port one emulator run opens: the Auth emulator's, and those of the emulator hub
    and the logging emulator that firebase-tools starts (or reserves) beside it. The UI is
    disabled and auth opens no websocket, so there are no others."""

    auth: int
    hub: int
    logging: int

    @classmethod
    def pick(cls, host: str = HOST) -> EmulatorPorts:
        """Ports free on ``host`` now, chosen by the kernel; distinct, because every socket
        is held until all are chosen."""
        with contextlib.ExitStack() as stack:
            ports = []
            for _ in dataclasses.fields(cls):
                sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                sock.bind((host, 0))
                ports.append(sock.getsockname()[1])
        return cls(*ports)

    def all(self) -> tuple[int, ...]:
        return dataclasses.astuple(self)


def firebase_config(ports: EmulatorPorts, host: str = HOST) -> dict[str, Any]:
    """The ``firebase.json`` of one run: every port fixed (firebase-tools then fails rather
    than moving to another port), the UI off."""
    return {
        "emulators": {
            "auth": {"host": host, "port": ports.auth},
            "hub": {"host": host, "port": ports.hub},
            "logging": {"host": host, "port": ports.logging},
            "ui": {"enabled": False},
            "singleProjectMode": True,
        }
    }


def emulator_answers(host: str, port: int) -> bool:
    """Whether an Auth emulator answers ready on ``host:port`` (ours or not: use it only on a
    port our own emulator has said it listens on)."""
    try:
        response = httpx.get(f"http://{host}:{port}/", timeout=2.0)
        return bool(response.json().get("authEmulator", {}).get("ready"))
    except (httpx.HTTPError, ValueError, AttributeError):
        return False


def _emulator_environment(tmp_dir: Path) -> dict[str, str]:
    """The emulator's environment: ours, minus anything that points at other emulators, and
    with firebase-tools' machine-wide files and calls made private to this run."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.endswith("_EMULATOR_HOST") and name != "FIREBASE_EMULATOR_HUB"
    }
    # firebase-tools writes its hub locator to $TMPDIR/hub-<project>.json; two runs for one
    # project would read each other's.
    env["TMPDIR"] = str(tmp_dir)
    # It posts "emulators started" to localhost:40001 (a VS Code extension), whoever listens
    # there; port 0 is refused at once and reaches nobody.
    env["VSCODE_WEBHOOK_PORT"] = "0"
    return env


# -- the emulator process --------------------------------------------------------------------


class ProcessGroup:
    """A command running in a process group of its own, stopped as a whole.

    The command runs under a watchdog (this module run as a script) that leads the group and
    holds the read end of a pipe from us. We stop the group with SIGTERM (then SIGKILL) in
    :meth:`stop`; if this process dies without stopping it (SIGKILL, a crash, a killed CI
    job), the pipe reaches end-of-file and the watchdog stops the group itself, so no
    emulator outlives its test run. Children the command spawns stay in the group.
    """

    def __init__(
        self,
        argv: list[str],
        *,
        cwd: Path,
        env: dict[str, str],
        log_path: Path,
        grace: float = STOP_TIMEOUT_SECONDS,
    ) -> None:
        self.log_path = log_path
        self.grace = grace
        watchdog = [sys.executable, "-I", str(Path(__file__).resolve()), WATCHDOG_FLAG]
        with log_path.open("ab") as log:
            self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
                [*watchdog, str(grace), "--", *argv],
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # a new session and group, led by the watchdog
            )
        self.pgid = self._process.pid

    def poll(self) -> int | None:
        """The command's exit status once it has exited (signals as 128 + number), else None."""
        return self._process.poll()

    def stop(self) -> None:
        """Stop every process of the group: SIGTERM, then SIGKILL for whatever lingers."""
        _signal_group(self.pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=self.grace)
        if _group_exists(self.pgid):
            _signal_group(self.pgid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._process.wait(timeout=self.grace)
        if self._process.stdin is not None:
            with contextlib.suppress(OSError):
                self._process.stdin.close()


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signum)


def _group_exists(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _watchdog(grace: float, argv: list[str]) -> int:
    """The watchdog's main: run ``argv`` in this process group until it exits, or until stdin
    reaches end-of-file (the test process closed the pipe or died) and then stop the whole
    group. Returns argv's exit status."""
    # The group's SIGTERM is for the command; a handler (unlike SIG_IGN) is reset at exec, so
    # the command still receives it.
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    child = subprocess.Popen(argv, stdin=subprocess.DEVNULL)  # noqa: S603 - argv from our caller
    orphaned = threading.Event()
    threading.Thread(target=_read_to_eof, args=(orphaned,), daemon=True).start()
    while child.poll() is None:
        if orphaned.wait(POLL_SECONDS):
            group = os.getpgrp()
            _signal_group(group, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=grace)
            _signal_group(group, signal.SIGKILL)  # what lingers, this watchdog included
    status = child.returncode
    return status if status >= 0 else 128 - status


def _read_to_eof(done: threading.Event) -> None:
    while os.read(0, 1024):
        pass
    done.set()


class _PortTaken(EmulatorError):
    """firebase-tools found one of its ports taken (by someone else since we chose it)."""


class EmulatorProcess:
    """One Auth emulator this test run started: its ports, its directory, its processes.

    ``run_dir`` holds the run's ``firebase.json``, the emulator's output (``emulator.log``),
    firebase-tools' ``firebase-debug.log`` and its ``TMPDIR``; :meth:`stop` removes it. Use it
    as a context manager to stop it on leaving the block.
    """

    def __init__(self, ports: EmulatorPorts, run_dir: Path, group: ProcessGroup) -> None:
        self.ports = ports
        self.run_dir = run_dir
        self.group = group

    @property
    def host(self) -> str:
        """``host:port`` of the Auth emulator, as ``FIREBASE_AUTH_EMULATOR_HOST`` wants it."""
        return f"{HOST}:{self.ports.auth}"

    def client(self) -> EmulatorClient:
        return EmulatorClient(self.host)

    def stop(self) -> None:
        """Stop the emulator's whole process tree and remove its directory."""
        try:
            self.group.stop()
        finally:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> EmulatorProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_emulator(
    timeout: float = START_TIMEOUT_SECONDS,
    *,
    ports: EmulatorPorts | None = None,
    firebase_bin: Path = FIREBASE_BIN,
    project_id: str = PROJECT_ID,
) -> EmulatorProcess:
    """Start an Auth emulator on free ports and return it once it answers.

    Free ports are chosen (or ``ports`` used as given) and written to a ``firebase.json`` in
    a new temporary directory; a port taken before firebase-tools binds it means new ports
    and another try (up to :data:`PORT_ATTEMPTS`, not with ``ports`` given). The emulator
    counts as ready only when our process says all its emulators are up and then answers on
    its auth port: an emulator someone else runs is never taken for ours.

    Raises :class:`EmulatorError` with the emulator's output (and the directory holding its
    logs, kept) when it exits or does not answer within ``timeout`` seconds in all, and when
    firebase-tools is not installed (run ``npm ci`` at the repository root). Whatever
    happens, nothing of a failed start keeps running.
    """
    if not firebase_bin.exists():
        raise EmulatorError(
            f"{firebase_bin} is missing: run `npm ci` at the repository root to install "
            "firebase-tools (needs Node 20+)"
        )
    deadline = time.monotonic() + timeout
    attempts = 1 if ports is not None else PORT_ATTEMPTS
    for attempt in range(1, attempts + 1):
        chosen = ports or EmulatorPorts.pick()
        run_dir = Path(tempfile.mkdtemp(prefix="trachea-firebase-emulator-"))
        (run_dir / "tmp").mkdir()
        config = run_dir / CONFIG_NAME
        config.write_text(json.dumps(firebase_config(chosen), indent=2), encoding="utf-8")
        argv = [str(firebase_bin), "emulators:start", "--only", "auth"]
        argv += ["--project", project_id, "--config", str(config)]
        group = ProcessGroup(
            argv,
            cwd=run_dir,
            env=_emulator_environment(run_dir / "tmp"),
            log_path=run_dir / LOG_NAME,
        )
        try:
            _wait_until_ready(group, chosen, deadline, timeout)
        except _PortTaken:
            group.stop()
            if attempt == attempts:
                raise
            shutil.rmtree(run_dir, ignore_errors=True)
            continue
        except BaseException:  # a timeout, an early exit, Ctrl-C: stop what we started
            group.stop()
            raise
        return EmulatorProcess(chosen, run_dir, group)
    raise AssertionError("unreachable: the last attempt returns or raises")


def _wait_until_ready(
    group: ProcessGroup, ports: EmulatorPorts, deadline: float, timeout: float
) -> None:
    while True:
        status = group.poll()
        output = _read_log(group.log_path)
        if status is not None:
            problem = f"exited with status {status}"
            error = _PortTaken if _mentions_taken_port(output) else EmulatorError
            raise error(
                _failure(problem, ports, group.log_path, output), log_dir=group.log_path.parent
            )
        # Our process saying it is ready comes first: only then is the auth port its own.
        if READY_MARKER in output and emulator_answers(HOST, ports.auth):
            return
        if time.monotonic() >= deadline:
            problem = f"did not answer on {HOST}:{ports.auth} within {timeout:.0f} s"
            raise EmulatorError(
                _failure(problem, ports, group.log_path, output), log_dir=group.log_path.parent
            )
        time.sleep(POLL_SECONDS)


def _mentions_taken_port(output: str) -> bool:
    return any(marker in output for marker in PORT_TAKEN_MARKERS)


def _read_log(log_path: Path) -> str:
    try:
        return log_path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _failure(problem: str, ports: EmulatorPorts, log_path: Path, output: str) -> str:
    tail = output[-4000:] or "(no output)"
    return (
        f"The Firebase Auth emulator {problem} (ports {ports}; logs kept in "
        f"{log_path.parent}):\n{tail}"
    )


@contextlib.contextmanager
def use_emulator(emulator: EmulatorProcess) -> Iterator[EmulatorClient]:
    """Point ``FIREBASE_AUTH_EMULATOR_HOST`` at ``emulator`` for the block (the previous value
    is restored after) and yield a client of it."""
    previous = os.environ.get(EMULATOR_HOST_ENV)
    client = emulator.client()
    os.environ[EMULATOR_HOST_ENV] = emulator.host
    try:
        yield client
    finally:
        client.close()
        if previous is None:
            os.environ.pop(EMULATOR_HOST_ENV, None)
        else:
            os.environ[EMULATOR_HOST_ENV] = previous


@contextlib.contextmanager
def run_emulator(timeout: float = START_TIMEOUT_SECONDS) -> Iterator[EmulatorClient]:
    """Run an Auth emulator of our own for the block, with ``FIREBASE_AUTH_EMULATOR_HOST``
    pointing at it, and yield a client of it. Raises as :func:`start_emulator` does."""
    with start_emulator(timeout) as emulator, use_emulator(emulator) as client:
        yield client


if __name__ == "__main__":
    if len(sys.argv) < 5 or sys.argv[1] != WATCHDOG_FLAG or sys.argv[3] != "--":
        sys.exit(f"usage: {sys.argv[0]} {WATCHDOG_FLAG} GRACE_SECONDS -- COMMAND [ARG...]")
    sys.exit(_watchdog(float(sys.argv[2]), sys.argv[4:]))
