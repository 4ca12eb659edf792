"""The decisions behind ``POST /auth/token`` as tables: which scopes a token gets, which
clients may get one at all, and how a request's parameters and credentials are read."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from trachea_login import TracheaError
from trachea_login.records import ServiceClientRecord
from trachea_login.routes.token import check_grant, client_credentials, read_parameters
from trachea_login.scopes import parse_scope
from trachea_login.services.client_credentials import granted_scopes, why_refused

HELD = ("reports:read", "users:read", "users:write")


@pytest.mark.parametrize(
    "requested, granted",
    [
        ((), HELD),
        (("users:read",), ("users:read",)),
        (("users:write", "reports:read"), ("reports:read", "users:write")),
        (HELD, HELD),
        (("admin",), None),
        (("users:read", "admin"), None),
        (("Users:Read",), None),  # scopes are compared exactly
    ],
)
def test_granted_scopes(requested, granted):
    assert granted_scopes(HELD, requested) == granted


def _client(app_id="app1", revoked=False) -> ServiceClientRecord:
    return ServiceClientRecord(
        client_id="svc_1",
        app_id=app_id,
        name="worker",
        scopes=HELD,
        secret_hash="$hash",
        revoked_at=datetime.now(timezone.utc) if revoked else None,
    )


@pytest.mark.parametrize(
    "record, reason",
    [
        (None, "unknown_client"),
        (_client(), None),
        (_client(app_id="app2"), "other_app"),
        (_client(revoked=True), "revoked"),
        (_client(app_id="app2", revoked=True), "other_app"),
    ],
    ids=["unknown", "usable", "other-app", "revoked", "other-app-revoked"],
)
def test_why_refused(record, reason):
    assert why_refused(record, "app1") == reason


@pytest.mark.parametrize(
    "text, scopes",
    [
        ("", ()),
        ("reports:read", ("reports:read",)),
        ("b a b", ("b", "a")),
        ("a  b", None),
        (" a", None),
        ("a ", None),
        ("a\tb", None),
        ('a"b', None),
        ("a,b", None),
        ("é", None),
        ("x" * 101, None),
        (" ".join(f"s{n}" for n in range(65)), None),
    ],
)
def test_parse_scope(text, scopes):
    assert parse_scope(text) == scopes


@pytest.mark.parametrize(
    "content_type, body, parameters",
    [
        ("application/x-www-form-urlencoded", b"grant_type=client_credentials",
         {"grant_type": "client_credentials"}),
        ("application/x-www-form-urlencoded; charset=UTF-8", b"scope=a+b&x=1",
         {"scope": "a b"}),
        ("application/x-www-form-urlencoded", b"client_id=svc%5F1&client_secret=s%2Bt",
         {"client_id": "svc_1", "client_secret": "s+t"}),
        ("application/json", b'{"grant_type": "client_credentials", "other": 1}',
         {"grant_type": "client_credentials"}),
        ("application/json", b'{"scope": null}', {}),
    ],
)  # fmt: skip
def test_read_parameters(content_type, body, parameters):
    assert read_parameters(content_type, body) == parameters


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("", b"grant_type=client_credentials"),
        ("text/plain", b"grant_type=client_credentials"),
        ("application/x-www-form-urlencoded", b"scope=a&scope=b"),
        ("application/x-www-form-urlencoded", b"scope=%ff"),
        ("application/x-www-form-urlencoded", b"&".join(b"f%d=1" % n for n in range(40))),
        ("application/json", b"[1]"),
        ("application/json", b'{"scope": 1}'),
        ("application/json", b"{"),
    ],
)
def test_read_parameters_refuses(content_type, body):
    with pytest.raises(TracheaError) as refused:
        read_parameters(content_type, body)
    assert refused.value.code.value == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "parameters, basic, credentials",
    [
        ({}, None, (None, None)),
        ({"client_id": "a", "client_secret": "s"}, None, ("a", "s")),
        ({}, ("a", "s"), ("a", "s")),
        ({"client_id": "a"}, ("a", "s"), ("a", "s")),
        ({"client_id": "b"}, ("a", "s"), "VALIDATION_ERROR"),
        ({"client_secret": "s"}, ("a", "s"), "VALIDATION_ERROR"),
    ],
)
def test_client_credentials(parameters, basic, credentials):
    if isinstance(credentials, str):
        with pytest.raises(TracheaError) as refused:
            client_credentials(parameters, basic)
        assert refused.value.code.value == credentials
    else:
        assert client_credentials(parameters, basic) == credentials


@pytest.mark.parametrize("grant_type", [None, "", "password", "Client_Credentials"])
def test_only_the_client_credentials_grant_is_supported(grant_type):
    parameters = {} if grant_type is None else {"grant_type": grant_type}
    with pytest.raises(TracheaError):
        check_grant(parameters)
    check_grant({"grant_type": "client_credentials"})
