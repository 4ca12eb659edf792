"""Helpers for reading MongoDB documents into records (private to the store)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any


def aware(value: Any) -> datetime | None:
    """A datetime read back from MongoDB (naive UTC unless the client is ``tz_aware``) as an
    aware UTC datetime; ``None`` for anything that is not a datetime."""
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
