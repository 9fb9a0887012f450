"""The warehouse's notion of now: UTC, stored naive (SQLite and MySQL DATETIME have no zone)."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
