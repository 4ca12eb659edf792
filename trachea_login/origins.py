"""Which browser origins may use an app's routes (its ``allowed_domains``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from .records import AppRecord

LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def origin_allowed(origin: str, app: AppRecord) -> bool:
    """Whether a browser ``Origin`` may use this app's sign-in routes.

    Apps without ``allowed_domains`` accept any origin (mobile and server clients send none).
    Entries are host names; ``*.example.com`` matches sub-domains of example.com. The origin
    must be ``https`` (plain ``http`` only for localhost): a page served over http can be
    altered on the way, so it must not be able to sign users in.
    """
    if not app.allowed_domains:
        return True
    try:
        parts = urlsplit(origin)
        host = (parts.hostname or "").lower()
    except ValueError:
        return False
    if not host or parts.scheme not in ("https", "http"):
        return False
    if parts.scheme == "http" and host not in LOOPBACK_HOSTS:
        return False
    for entry in app.allowed_domains:
        entry = entry.lower()
        if entry.startswith("*."):
            if host.endswith(entry[1:]):
                return True
        elif host == entry:
            return True
    return False
