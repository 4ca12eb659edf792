"""Validation of operator input: app ids, secrets, names, sign-in methods and domains.

Invalid input raises ``ValueError`` whose message says what is accepted; a secret is never
repeated in a message.
"""

from __future__ import annotations

import difflib
import ipaddress
import re
from collections.abc import Iterable

from ..methods import KNOWN_AUTH_METHODS
from ..scopes import MAX_SCOPES, SCOPE_MAX_LENGTH, is_scope_token

APP_SECRET_MIN_LENGTH = 16
APP_SECRET_MAX_LENGTH = 1024
APP_NAME_MAX_LENGTH = 100

_APP_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_AUTH_METHOD = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
_HOST_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def _shown(value: object) -> str:
    """An input value for an error message, cut short (never used for secrets)."""
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_app_id(app_id: object) -> str:
    """``app_id`` when it is 1–64 letters, digits, ``.``, ``_`` or ``-``; else ``ValueError``."""
    if not isinstance(app_id, str) or not _APP_ID.fullmatch(app_id):
        raise ValueError(
            f"app_id {_shown(app_id)} is invalid: use 1-64 letters, digits, '.', '_' or '-'"
        )
    return app_id


def check_app_secret(secret: object) -> None:
    """Raise ``ValueError`` (without the secret) unless ``secret`` is a usable app secret."""
    if not isinstance(secret, str):
        raise ValueError("app_secret must be a string")
    if len(secret) < APP_SECRET_MIN_LENGTH:
        raise ValueError(f"app_secret must be at least {APP_SECRET_MIN_LENGTH} characters")
    if len(secret) > APP_SECRET_MAX_LENGTH:
        raise ValueError(f"app_secret must be at most {APP_SECRET_MAX_LENGTH} characters")
    if secret != secret.strip() or not secret.isprintable():
        # Environment files strip surrounding blanks, so such a secret could never match.
        raise ValueError(
            "app_secret must not start or end with whitespace or contain control characters"
        )


def check_app_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip():
        raise ValueError("name must not be empty")
    name = name.strip()
    if len(name) > APP_NAME_MAX_LENGTH or not name.isprintable():
        raise ValueError(f"name must be at most {APP_NAME_MAX_LENGTH} printable characters")
    return name


def check_auth_methods(methods: Iterable[str], *, allow_other: bool = False) -> list[str]:
    """The methods, de-duplicated in order; ``ValueError`` unless there is at least one and
    each is a known method (:data:`~trachea_login.methods.KNOWN_AUTH_METHODS`).

    ``allow_other=True`` also accepts any other lower-case name, for a Firebase
    ``sign_in_provider`` of its own (``anonymous``, ``github.com``, ``oidc.acme`` ...): such
    a method is allowed by that exact name. Without it an unknown name is refused, so that a
    typo (``usernme``) is an error rather than a method nobody can use.
    """
    if isinstance(methods, str):
        raise ValueError("allowed_auth_methods must be a list of method names, not a string")
    result: list[str] = []
    for method in methods:
        if not isinstance(method, str) or not _AUTH_METHOD.fullmatch(method):
            raise ValueError(
                f"auth method {_shown(method)} is invalid: use a lower-case name such as "
                f"{', '.join(KNOWN_AUTH_METHODS)}"
            )
        if method not in KNOWN_AUTH_METHODS and not allow_other:
            raise ValueError(_unknown_method_message(method))
        if method not in result:
            result.append(method)
    if not result:
        raise ValueError(
            f"allowed_auth_methods must name at least one of {', '.join(KNOWN_AUTH_METHODS)}"
        )
    return result


def _unknown_method_message(method: str) -> str:
    close = difflib.get_close_matches(method, KNOWN_AUTH_METHODS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"auth method {_shown(method)} is unknown{hint}: the known methods are "
        f"{', '.join(KNOWN_AUTH_METHODS)}; another Firebase sign-in provider's name needs "
        "--allow-other-methods (allow_other_methods=True in Python)"
    )


def check_domains(domains: Iterable[str]) -> list[str]:
    """The domains lower-cased and de-duplicated in order; ``ValueError`` unless each is a
    host name (``app.example.com``), a wildcard (``*.example.com``), ``localhost`` or an IPv4
    address."""
    if isinstance(domains, str):
        raise ValueError("allowed_domains must be a list of host names, not a string")
    result: list[str] = []
    for raw in domains:
        domain = _check_domain(raw)
        if domain not in result:
            result.append(domain)
    return result


def _check_domain(raw: object) -> str:
    domain = raw.strip().lower() if isinstance(raw, str) else ""
    if domain == "localhost" or _is_ipv4(domain) or _is_host_name(domain.removeprefix("*.")):
        return domain
    raise ValueError(
        f"domain {_shown(raw)} is invalid: use a host name such as app.example.com, "
        "*.example.com or localhost (no scheme, port or path)"
    )


def _is_ipv4(text: str) -> bool:
    try:
        ipaddress.IPv4Address(text)
    except ValueError:
        return False
    return True


def _is_host_name(host: str) -> bool:
    labels = host.split(".")
    return (
        len(host) <= 253
        and len(labels) >= 2
        and all(_HOST_LABEL.fullmatch(label) for label in labels)
        and not labels[-1].isdigit()
    )


def check_scopes(scopes: Iterable[str]) -> list[str]:
    """The scopes de-duplicated in order; ``ValueError`` unless there are 1 to
    :data:`MAX_SCOPES`, each an RFC 6749 scope token (printable ASCII without space, ``"``,
    ``\\`` or ``,``; at most :data:`SCOPE_MAX_LENGTH` characters), such as ``reports:read``."""
    if isinstance(scopes, str):
        raise ValueError("scopes must be a list of scope names, not a string")
    result: list[str] = []
    for scope in scopes:
        if not is_scope_token(scope):
            raise ValueError(
                f"scope {_shown(scope)} is invalid: use printable ASCII without spaces, "
                f"quotes, backslashes or commas, at most {SCOPE_MAX_LENGTH} characters "
                "(such as reports:read)"
            )
        if scope not in result:
            result.append(scope)
    if not result:
        raise ValueError("a service client needs at least one scope (such as reports:read)")
    if len(result) > MAX_SCOPES:
        raise ValueError(f"a service client holds at most {MAX_SCOPES} scopes")
    return result
