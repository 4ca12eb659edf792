"""FirebaseVerifier against the real Auth emulator and the real firebase_admin (no patching).

The 503 cases use real failures too: a verifier outside emulator mode must fetch Google's
certificates (unreachable from here), and an emulator host on a local port where nothing
answers, or where a socket accepts and never replies, fails the revocation lookup.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import firebase_admin
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.auth import crypt
from google.auth import jwt as google_jwt
from google.auth.credentials import AnonymousCredentials

from tests.firebase_emulator import (
    EMULATOR_HOST_ENV,
    PROJECT_ID,
    EmulatorClient,
    decode_unverified,
    expired_copy,
    foreign_project_copy,
    unsigned_token,
)
from trachea_login.config import TracheaSettings
from trachea_login.errors import ErrorCode, TracheaConfigError, TracheaError
from trachea_login.firebase import FirebaseIdentity, FirebaseVerifier, map_provider

PASSWORD = "secret-password-1"
OFFLINE_PROJECT = "demo-offline"


def new_email(tag: str = "user") -> str:
    return f"{tag}-{uuid.uuid4().hex[:12]}@Example.COM"


def make_verifier(**overrides: Any) -> FirebaseVerifier:
    options: dict[str, Any] = {
        "instance_name": "test",
        "credentials": None,
        "project_id": PROJECT_ID,
    }
    options.update(overrides)
    return FirebaseVerifier(**options)


@pytest.fixture
def emulator(firebase_emulator: EmulatorClient) -> EmulatorClient:
    return firebase_emulator


@pytest.fixture
async def verifier(emulator: EmulatorClient) -> AsyncIterator[FirebaseVerifier]:
    made = make_verifier()
    yield made
    made.close()


async def assert_refused(verifier: FirebaseVerifier, token: Any) -> TracheaError:
    with pytest.raises(TracheaError) as caught:
        await verifier.verify(token)
    error = caught.value
    assert error.code is ErrorCode.INVALID_FIREBASE_TOKEN
    assert error.status_code == 401
    assert error.headers is not None and error.headers["WWW-Authenticate"] == "Bearer"
    return error


async def assert_unavailable(verifier: FirebaseVerifier, token: str) -> TracheaError:
    with pytest.raises(TracheaError) as caught:
        await asyncio.wait_for(verifier.verify(token), timeout=20)
    error = caught.value
    assert error.code is ErrorCode.AUTH_PROVIDER_UNAVAILABLE
    assert error.status_code == 503
    assert error.headers is not None and error.headers["Retry-After"] == "30"
    # Our words only: nothing of firebase_admin's message reaches the client.
    assert error.body == {
        "error": "AUTH_PROVIDER_UNAVAILABLE",
        "message": "The sign-in provider cannot be reached; retry later.",
        "status_code": 503,
    }
    return error


# -- the provider names --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "method"),
    [
        ("google.com", "google"),
        ("apple.com", "apple"),
        ("facebook.com", "facebook"),
        ("password", "password"),
        ("anonymous", "anonymous"),
        ("phone", "phone"),
        ("custom", "custom"),
        ("github.com", "github.com"),
        ("oidc.corp", "oidc.corp"),
        ("saml.okta", "saml.okta"),
    ],
)
def test_map_provider(raw: str, method: str) -> None:
    assert map_provider(raw) == method


# -- tokens that verify --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider_id", "method"),
    [("google.com", "google"), ("apple.com", "apple"), ("facebook.com", "facebook")],
)
async def test_federated_token_verifies_and_maps(
    emulator: EmulatorClient, verifier: FirebaseVerifier, provider_id: str, method: str
) -> None:
    email = new_email(method)
    uid, token = emulator.sign_in_with_idp(
        provider_id,
        email=email,
        email_verified=True,
        name="Ada Lovelace",
        picture="https://example.com/ada.png",
    )

    identity = await verifier.verify(token)

    assert isinstance(identity, FirebaseIdentity)
    assert identity.uid == uid
    assert identity.provider == method
    assert identity.sign_in_provider == provider_id
    assert identity.email == email.lower()
    assert identity.email_verified is True
    assert identity.name == "Ada Lovelace"
    assert identity.picture == "https://example.com/ada.png"
    assert identity.phone_number is None
    assert identity.claims["sub"] == uid
    assert identity.claims["firebase"]["sign_in_provider"] == provider_id


@pytest.mark.parametrize("provider_id", ["google.com", "apple.com", "facebook.com"])
async def test_unverified_federated_email_stays_unverified(
    emulator: EmulatorClient, verifier: FirebaseVerifier, provider_id: str
) -> None:
    email = new_email("unverified")
    _, token = emulator.sign_in_with_idp(provider_id, email=email, email_verified=False)

    identity = await verifier.verify(token)

    assert identity.email == email.lower()
    assert identity.email_verified is False


async def test_name_absent_is_none(emulator: EmulatorClient, verifier: FirebaseVerifier) -> None:
    _, token = emulator.sign_in_with_idp("apple.com", email=new_email("apple"))

    identity = await verifier.verify(token)

    assert "name" not in identity.claims
    assert identity.name is None
    assert identity.picture is None


async def test_password_token_maps_to_password(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    email = new_email("pw")
    uid, _ = emulator.sign_up(email, PASSWORD)
    _, token = emulator.sign_in_with_password(email, PASSWORD)

    identity = await verifier.verify(token)

    assert identity.uid == uid
    assert identity.provider == "password"
    assert identity.sign_in_provider == "password"
    assert identity.email == email.lower()
    assert identity.email_verified is False  # nobody clicked a verification link
    assert identity.name is None


async def test_anonymous_keeps_its_raw_provider_name(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    uid, token = emulator.sign_in_anonymously()

    identity = await verifier.verify(token)

    assert identity.uid == uid
    assert identity.provider == "anonymous"
    assert identity.sign_in_provider == "anonymous"
    assert identity.email is None
    assert identity.email_verified is False


async def test_email_is_lower_cased(emulator: EmulatorClient, verifier: FirebaseVerifier) -> None:
    # The emulator lower-cases emails itself; a token carrying capitals must be normalised too.
    uid, token = emulator.sign_up(new_email("case"), PASSWORD)
    _, claims = decode_unverified(token)
    claims["email"] = "Mixed.Case@Example.COM"

    identity = await verifier.verify(unsigned_token(claims))

    assert identity.uid == uid
    assert identity.email == "mixed.case@example.com"


# -- tokens that are refused ---------------------------------------------------------------


@pytest.mark.parametrize(
    "token",
    [
        "",
        "   ",
        "garbage",
        "a.b.c",
        "a.b",
        "W10.W10.",  # header and payload are JSON arrays
        "eyJhbGciOiJub25lIn0.bm90IGpzb24.",  # payload is not JSON
        "é.é.é",
        None,
        12345,
        b"bytes.are.no",
    ],
    ids=repr,
)
async def test_garbage_is_401(verifier: FirebaseVerifier, token: Any) -> None:
    await assert_refused(verifier, token)


async def test_expired_token_is_401(emulator: EmulatorClient, verifier: FirebaseVerifier) -> None:
    uid, token = emulator.sign_up(new_email("exp"), PASSWORD)
    # The same claims re-encoded but still current verify: the expiry alone is refused.
    _, claims = decode_unverified(token)
    assert (await verifier.verify(unsigned_token(claims))).uid == uid

    await assert_refused(verifier, expired_copy(token))
    _, expired = emulator.expired_token()
    await assert_refused(verifier, expired)


async def test_token_issued_in_the_future_is_401(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    _, token = emulator.sign_up(new_email("future"), PASSWORD)
    _, claims = decode_unverified(token)
    claims.update(iat=claims["iat"] + 3600, exp=claims["exp"] + 3600)

    await assert_refused(verifier, unsigned_token(claims))


async def test_token_of_another_project_is_401(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    _, token = emulator.sign_up(new_email("proj"), PASSWORD)
    assert (await verifier.verify(foreign_project_copy(token, PROJECT_ID))).email is not None

    await assert_refused(verifier, foreign_project_copy(token, "demo-elsewhere"))
    _, foreign = emulator.foreign_project_token()
    await assert_refused(verifier, foreign)

    # A genuine demo-trachea token presented to a verifier of another project.
    elsewhere = make_verifier(project_id="demo-elsewhere")
    try:
        await assert_refused(elsewhere, token)
    finally:
        elsewhere.close()


async def test_disabled_user_is_401_when_checking_revocation(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    uid, token = emulator.sign_up(new_email("disabled"), PASSWORD)
    assert (await verifier.verify(token)).uid == uid

    emulator.disable_user(uid)

    await assert_refused(verifier, token)
    # Without the revocation check the (signature-valid) token would still pass.
    lenient = make_verifier(check_revoked=False)
    try:
        assert (await lenient.verify(token)).uid == uid
    finally:
        lenient.close()


async def test_deleted_user_is_401_when_checking_revocation(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    uid, token = emulator.sign_in_with_idp("google.com", email=new_email("deleted"))
    assert (await verifier.verify(token)).uid == uid

    emulator.delete_user(uid)

    await assert_refused(verifier, token)


async def test_revoked_token_is_401_and_a_new_one_verifies(
    emulator: EmulatorClient, verifier: FirebaseVerifier
) -> None:
    email = new_email("revoked")
    uid, token = emulator.sign_up(email, PASSWORD)
    assert (await verifier.verify(token)).uid == uid

    emulator.revoke_refresh_tokens(uid)

    await assert_refused(verifier, token)
    _, fresh = emulator.sign_in_with_password(email, PASSWORD)
    assert (await verifier.verify(fresh)).uid == uid


# -- Firebase unreachable: 503 -------------------------------------------------------------


def rsa_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


@pytest.fixture(scope="module")
def private_key_pem() -> str:
    return rsa_private_key_pem()


def service_account(private_key_pem: str, project_id: str = OFFLINE_PROJECT) -> dict[str, Any]:
    return {
        "type": "service_account",
        "project_id": project_id,
        "private_key_id": "test-key-1",
        "private_key": private_key_pem,
        "client_email": f"trachea-test@{project_id}.iam.gserviceaccount.com",
        "client_id": "1234567890",
        "token_uri": "https://oauth2.googleapis.com/token",
    }


def signed_token(private_key_pem: str, project_id: str = OFFLINE_PROJECT, **extra: Any) -> str:
    """A well-formed RS256 Firebase ID token with a ``kid`` (signed by a key of ours)."""
    now = int(time.time())
    claims = {
        "iss": f"https://securetoken.google.com/{project_id}",
        "aud": project_id,
        "sub": "offline-user",
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "firebase": {"sign_in_provider": "password", "identities": {}},
        **extra,
    }
    signer = crypt.RSASigner.from_string(private_key_pem, key_id="test-key-1")
    return google_jwt.encode(signer, claims).decode()


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch, private_key_pem: str) -> Iterator[FirebaseVerifier]:
    """A verifier outside emulator mode, with a service account: it must reach Google."""
    monkeypatch.delenv(EMULATOR_HOST_ENV, raising=False)
    made = make_verifier(
        credentials=json.dumps(service_account(private_key_pem)),
        project_id=None,
        http_timeout=5.0,
    )
    yield made
    made.close()


async def test_certificates_unreachable_is_503(
    offline: FirebaseVerifier, private_key_pem: str, caplog: pytest.LogCaptureFixture
) -> None:
    assert offline.project_id == OFFLINE_PROJECT  # taken from the service account
    token = signed_token(private_key_pem)
    caplog.set_level(logging.DEBUG, logger="trachea_login")
    started = time.monotonic()

    await assert_unavailable(offline, token)

    assert time.monotonic() - started < 15
    assert token not in caplog.text
    assert token.split(".")[1] not in caplog.text


async def test_oversized_token_is_401_without_calling_firebase(
    offline: FirebaseVerifier, private_key_pem: str
) -> None:
    # Well formed and signed: had it reached firebase_admin, the certificate fetch would have
    # failed with a 503. A 401 shows it was refused before.
    token = signed_token(private_key_pem, padding="x" * 9000)
    assert len(token) > 8 * 1024

    await assert_refused(offline, token)
    await assert_unavailable(offline, signed_token(private_key_pem, padding="x" * 100))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_revocation_lookup_connection_refused_is_503(
    monkeypatch: pytest.MonkeyPatch, firebase_emulator: EmulatorClient
) -> None:
    _, token = firebase_emulator.sign_up(new_email("refused"), PASSWORD)
    monkeypatch.setenv(EMULATOR_HOST_ENV, f"127.0.0.1:{free_port()}")  # nothing listens
    made = make_verifier(http_timeout=2.0)
    try:
        await assert_unavailable(made, token)
        # Without the lookup, nothing needs the network: the same token verifies.
        lenient = make_verifier(check_revoked=False)
        try:
            assert (await lenient.verify(token)).provider == "password"
        finally:
            lenient.close()
    finally:
        made.close()


async def test_revocation_lookup_timeout_is_503_and_does_not_block_the_loop(
    monkeypatch: pytest.MonkeyPatch, firebase_emulator: EmulatorClient
) -> None:
    _, token = firebase_emulator.sign_up(new_email("slow"), PASSWORD)
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        monkeypatch.setenv(EMULATOR_HOST_ENV, f"127.0.0.1:{silent.getsockname()[1]}")
        made = make_verifier(http_timeout=0.5)
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.02)
                ticks += 1

        task = asyncio.create_task(ticker())
        try:
            started = time.monotonic()
            await assert_unavailable(made, token)
            elapsed = time.monotonic() - started
        finally:
            task.cancel()
            made.close()
    assert elapsed >= 0.5  # it really waited for the lookup ...
    assert ticks >= elapsed / 0.02 / 4  # ... in a worker thread, while the loop ran on


class _RefusingAuthBackend(BaseHTTPRequestHandler):
    """Answers every call as Google does when the service account lacks permission."""

    def do_POST(self) -> None:
        body = json.dumps({"error": {"code": 403, "message": "INSUFFICIENT_PERMISSION"}})
        self.send_response(403)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


async def test_unexpected_firebase_error_is_503_logged_without_the_token(
    monkeypatch: pytest.MonkeyPatch,
    firebase_emulator: EmulatorClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, token = firebase_emulator.sign_up(new_email("denied"), PASSWORD)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingAuthBackend)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv(EMULATOR_HOST_ENV, f"127.0.0.1:{server.server_address[1]}")
    made = make_verifier(http_timeout=2.0)
    caplog.set_level(logging.DEBUG, logger="trachea_login")
    try:
        await assert_unavailable(made, token)
    finally:
        made.close()
        server.shutdown()
        server.server_close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors and "InsufficientPermissionError" in caplog.text
    assert token not in caplog.text
    for segment in token.split("."):
        if segment:
            assert segment not in caplog.text


# -- coexistence with other Firebase apps --------------------------------------------------


async def test_two_verifiers_coexist_and_leave_the_default_app_alone(
    emulator: EmulatorClient,
) -> None:
    assert firebase_admin._DEFAULT_APP_NAME not in firebase_admin._apps
    product_app = firebase_admin.initialize_app(
        AnonymousCredentials(), options={"projectId": "demo-product"}
    )
    first = make_verifier(instance_name="app1")
    second = make_verifier(instance_name="app1")  # same instance name: still two apps
    elsewhere = make_verifier(instance_name="app2", project_id="demo-elsewhere")
    try:
        names = {first.app_name, second.app_name, elsewhere.app_name}
        assert len(names) == 3 and firebase_admin._DEFAULT_APP_NAME not in names
        uid, token = emulator.sign_up(new_email("both"), PASSWORD)
        assert (await first.verify(token)).uid == uid
        assert (await second.verify(token)).uid == uid
        await assert_refused(elsewhere, token)

        for verifier in (first, second, elsewhere):
            verifier.close()
            assert not verifier.configured
        first.close()  # twice is fine

        assert firebase_admin.get_app() is product_app
        assert product_app.project_id == "demo-product"
        assert not names & set(firebase_admin._apps)
    finally:
        for verifier in (first, second, elsewhere):
            verifier.close()
        firebase_admin.delete_app(product_app)


async def test_verifiers_never_create_the_default_app(emulator: EmulatorClient) -> None:
    made = make_verifier()
    try:
        _, token = emulator.sign_in_anonymously()
        await made.verify(token)
        assert firebase_admin._DEFAULT_APP_NAME not in firebase_admin._apps
        assert made.app_name in firebase_admin._apps
    finally:
        made.close()
    assert made.app_name is None


async def test_verify_after_close_is_503_not_500(emulator: EmulatorClient) -> None:
    made = make_verifier()
    made.close()
    _, token = emulator.sign_in_anonymously()

    await assert_unavailable(made, token)


# -- configuration errors ------------------------------------------------------------------


def assert_config_error(excinfo: pytest.ExceptionInfo[TracheaConfigError], *names: str) -> str:
    message = str(excinfo.value)
    for name in names:
        assert name in message
    return message


def test_emulator_with_a_real_project_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(EMULATOR_HOST_ENV, "127.0.0.1:9099")
    apps_before = set(firebase_admin._apps)

    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(project_id="my-real-project")

    assert_config_error(
        caught, EMULATOR_HOST_ENV, "TRACHEA_FIREBASE_PROJECT_ID", "TRACHEA_FIREBASE_ALLOW_EMULATOR"
    )
    assert set(firebase_admin._apps) == apps_before
    allowed = make_verifier(project_id="my-real-project", allow_emulator=True)
    allowed.close()


async def test_emulator_switched_on_later_is_not_trusted(
    monkeypatch: pytest.MonkeyPatch, emulator: EmulatorClient
) -> None:
    _, token = emulator.sign_up(new_email("late"), PASSWORD)
    monkeypatch.delenv(EMULATOR_HOST_ENV)
    made = make_verifier(project_id=PROJECT_ID.replace("demo-", "prod-"), check_revoked=False)
    try:
        monkeypatch.setenv(EMULATOR_HOST_ENV, emulator.host)
        # firebase_admin would now skip the signature check: the verifier refuses to answer.
        await assert_unavailable(made, foreign_project_copy(token, made.project_id))
    finally:
        made.close()


def test_unreadable_credentials_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such-key-file.json")

    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(credentials=missing, project_id=None)

    message = assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS")
    assert missing not in message


@pytest.mark.parametrize("where", ["text", "file"])
def test_invalid_credentials_json(tmp_path: Path, where: str) -> None:
    secret = "SUPER-SECRET-KEY-MATERIAL-0123"
    broken = '{"type": "service_account", "private_key": "' + secret  # truncated
    value = broken
    if where == "file":
        path = tmp_path / "key.json"
        path.write_text(broken, encoding="utf-8")
        value = str(path)

    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(credentials=value)

    message = assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS", "not valid JSON")
    assert secret not in message


def test_credentials_that_are_not_a_service_account() -> None:
    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(credentials=json.dumps({"type": "authorized_user", "refresh_token": "r"}))
    assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS", "service_account")

    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(credentials=json.dumps({"type": "service_account", "private_key": "k"}))
    message = assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS", "client_email")
    assert '"k"' not in message


def test_credentials_with_a_broken_private_key() -> None:
    secret = "-----BEGIN PRIVATE KEY-----\nTm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n"
    account = service_account(secret)

    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(credentials=json.dumps(account))

    message = assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS")
    assert "Tm90IGEga2V5IGF0IGFsbA" not in message


def test_credentials_file_supplies_the_project(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, private_key_pem: str
) -> None:
    monkeypatch.delenv(EMULATOR_HOST_ENV, raising=False)
    path = tmp_path / "service-account.json"
    path.write_text(json.dumps(service_account(private_key_pem, "real-project-42")))

    made = make_verifier(credentials=str(path), project_id=None)

    assert made.project_id == "real-project-42" and made.configured
    made.close()


def test_missing_project_id(monkeypatch: pytest.MonkeyPatch, private_key_pem: str) -> None:
    monkeypatch.delenv(EMULATOR_HOST_ENV, raising=False)
    account = service_account(private_key_pem)
    del account["project_id"]

    for credentials in (None, json.dumps(account)):
        with pytest.raises(TracheaConfigError) as caught:
            make_verifier(credentials=credentials, project_id=None)
        message = assert_config_error(caught, "TRACHEA_FIREBASE_PROJECT_ID")
        assert private_key_pem.splitlines()[1] not in message


def test_real_project_without_credentials_needs_them_to_check_revocation(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(EMULATOR_HOST_ENV, raising=False)

    with pytest.raises(TracheaConfigError) as caught:
        make_verifier(project_id="real-project-42")
    assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS", "TRACHEA_FIREBASE_CHECK_REVOKED")

    # Signatures alone need only Google's public certificates.
    make_verifier(project_id="real-project-42", check_revoked=False).close()
    # A demo project exists only in an emulator: accepted, every real token will be refused.
    make_verifier(project_id="demo-anything").close()


# -- from_settings ---------------------------------------------------------------------------


def settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **values: Any) -> TracheaSettings:
    monkeypatch.chdir(tmp_path)  # no .env of the developer's
    for name in list(os.environ):
        if name.startswith("TRACHEA_"):
            monkeypatch.delenv(name)
    return TracheaSettings(
        app_id="app1",
        app_secret="app1-secret-0123456789abcdef",
        jwt_secret="test-jwt-secret-that-is-long-enough-0123456789",
        **values,
    )


def test_from_settings_without_firebase_is_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(EMULATOR_HOST_ENV, raising=False)
    assert FirebaseVerifier.from_settings(settings(monkeypatch, tmp_path), "app1") is None
    # The emulator host alone configures nothing of ours (the product may use it itself).
    monkeypatch.setenv(EMULATOR_HOST_ENV, "127.0.0.1:9099")
    assert FirebaseVerifier.from_settings(settings(monkeypatch, tmp_path), "app1") is None


def test_from_settings_passes_every_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(EMULATOR_HOST_ENV, "127.0.0.1:9099")
    refused = settings(monkeypatch, tmp_path, firebase_project_id="my-real-project")
    with pytest.raises(TracheaConfigError):
        FirebaseVerifier.from_settings(refused, "app1")

    allowed = settings(
        monkeypatch,
        tmp_path,
        firebase_project_id="my-real-project",
        firebase_allow_emulator=True,
        firebase_check_revoked=False,
    )
    made = FirebaseVerifier.from_settings(allowed, instance_name="app1")
    assert made is not None
    try:
        assert made.project_id == "my-real-project"
        assert made.check_revoked is False
        assert made.app_name is not None and made.app_name.startswith("trachea-login:app1:")
    finally:
        made.close()


def test_from_settings_with_bad_credentials_names_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    secret = '{"type": "service_account", "private_key": "hunter2-very-secret"'
    bad = settings(monkeypatch, tmp_path, firebase_credentials=secret)

    with pytest.raises(TracheaConfigError) as caught:
        FirebaseVerifier.from_settings(bad, "app1")

    message = assert_config_error(caught, "TRACHEA_FIREBASE_CREDENTIALS")
    assert "hunter2" not in message


def test_token_segments_are_base64url_json() -> None:
    """The crafted tokens decode as the emulator's do (guards the helpers the tests use)."""
    token = unsigned_token({"sub": "x"})
    header, payload = decode_unverified(token)
    assert header == {"alg": "none", "typ": "JWT"} and payload == {"sub": "x"}
    assert token.endswith(".")
    assert base64.urlsafe_b64decode(token.split(".")[0] + "==")
