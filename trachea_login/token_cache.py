"""Verified access tokens remembered by their exact string (contract §8, ``TOKEN_CACHE_SIZE``).

A protected route that sees the same token again does no signature work: one dictionary lookup
and an expiry check against the caller's clock. The cache is bounded (least recently used
entries go first), never answers for a token past its ``exp``, and is cleared when the keys
that verified its entries change (``RemoteVerifier`` refetching a different key set). Only
tokens that passed every check are stored, and only the exact same string finds one.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

Principal = TypeVar("Principal")


class VerifiedTokenCache(Generic[Principal]):
    """At most ``size`` verified tokens (``0``: nothing is remembered), each with its ``exp``."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError("size must be >= 0")
        self.size = size
        self._entries: OrderedDict[str, tuple[Principal, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, token: str, now: int) -> Principal | None:
        """The principal of a token verified before and not expired at ``now``, else ``None``
        (an expired entry is dropped: the full check then reports the expiry)."""
        entry = self._entries.get(token)
        if entry is None:
            return None
        principal, expires = entry
        try:
            if expires < now:
                del self._entries[token]
                return None
            self._entries.move_to_end(token)
        except KeyError:  # removed meanwhile (clear() from another task): still verified
            pass
        return principal

    def put(self, token: str, principal: Principal, expires: int) -> None:
        """Remember a token that passed every check, until ``expires``."""
        if not self.size:
            return
        entries = self._entries
        entries[token] = (principal, expires)
        entries.move_to_end(token)
        while len(entries) > self.size:
            try:
                entries.popitem(last=False)
            except KeyError:
                break

    def clear(self) -> None:
        """Forget everything (the keys changed)."""
        self._entries.clear()


__all__ = ["VerifiedTokenCache"]
