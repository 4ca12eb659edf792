"""Scopes of service clients (contract §10): what a scope may look like, and reading the
``scope`` parameter of a token request (RFC 6749 §3.3: scope tokens separated by spaces).

A scope token is printable ASCII without space, ``"`` or backslash (RFC 6749 §3.3), and here
also without ``,``, which the CLI uses to separate scopes (``--scopes a,b``); at most
:data:`SCOPE_MAX_LENGTH` characters.
"""

from __future__ import annotations

import re

SCOPE_MAX_LENGTH = 100
#: A service client holds at most this many scopes.
MAX_SCOPES = 64

_SCOPE = re.compile(rf"[\x21\x23-\x2b\x2d-\x5b\x5d-\x7e]{{1,{SCOPE_MAX_LENGTH}}}")


def is_scope_token(text: object) -> bool:
    """Whether ``text`` is one scope, such as ``reports:read``."""
    return isinstance(text, str) and _SCOPE.fullmatch(text) is not None


def parse_scope(text: str) -> tuple[str, ...] | None:
    """The scopes of a ``scope`` parameter, de-duplicated in order; ``None`` when it is not
    scope tokens separated by single spaces. An empty parameter names none (the caller then
    grants all of the client's)."""
    if text == "":
        return ()
    parts = text.split(" ")
    if len(parts) > MAX_SCOPES or not all(is_scope_token(part) for part in parts):
        return None
    return tuple(dict.fromkeys(parts))


__all__ = ["MAX_SCOPES", "SCOPE_MAX_LENGTH", "is_scope_token", "parse_scope"]
