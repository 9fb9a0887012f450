"""The one clock of the code location, the CLI and the dashboard: UTC. The warehouse stores it
naive (SQLite and MySQL DATETIME have no zone); Dagster, e-mails and file names take it aware.
Nothing else calls datetime.now or date.today (test_clock.py checks), so a test or a replay
that needs another "now" has one place to change."""

from datetime import UTC, date, datetime


def now() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def utcnow() -> datetime:
    """Now as the warehouse stores it: naive UTC, whole seconds."""
    return now().replace(tzinfo=None, microsecond=0)


def today() -> date:
    """Today's UTC date."""
    return now().date()
