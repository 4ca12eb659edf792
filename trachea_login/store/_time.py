"""Time helpers: MongoDB stores naive UTC datetimes; we work with aware ones."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """Now, in UTC, truncated to milliseconds (MongoDB's precision) so round-trips compare equal."""
    now = datetime.now(timezone.utc)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def aware(value: datetime) -> datetime:
    """A datetime read back from MongoDB (naive UTC unless tz_aware) as an aware UTC datetime."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
