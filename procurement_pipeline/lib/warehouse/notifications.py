"""The exactly-once ledger of e-mails: `sent_notifications` (no Dagster here).

Protocol: claim a notification (insert a "pending" row under a deterministic key) BEFORE
sending, mark it "sent" once the SMTP server accepted the message, and record each failed
attempt while it stays pending. A key that already exists is never claimed again, so a restart
or a sensor tick that sees the same run twice cannot send twice; pending rows are retried until
they are sent. The only window for a duplicate is a crash between the server accepting the
message and the "sent" commit.

Every function is one short transaction and works on SQLite and MySQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from procurement_pipeline.lib import clock
from procurement_pipeline.lib.warehouse.schema import sent_notifications as t

PENDING = "pending"
SENT = "sent"


def _now(now: datetime | None) -> datetime:
    value = now or clock.now()
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def _clip(text: str | None, size: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= size else text[: size - 1] + "\u2026"


def claim_notification(
    engine: Engine,
    key: str,
    *,
    kind: str,
    recipient: str,
    subject: str,
    run_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Insert a pending row for `key`; True when this call created it, False when the key was
    already claimed (pending or sent) by anyone, ever."""
    row = {
        "notification_key": key,
        "kind": kind,
        "run_id": run_id,
        "recipient": _clip(recipient, 255),
        "subject": _clip(subject, 512),
        "status": PENDING,
        "attempts": 0,
        "last_error": None,
        "created_at": _now(now),
        "sent_at": None,
    }
    try:
        with engine.begin() as conn:
            conn.execute(insert(t).values(**row))
    except IntegrityError:
        return False
    return True


def mark_sent(engine: Engine, key: str, *, now: datetime | None = None) -> bool:
    """Pending -> sent (counting the successful attempt). False when the row was not pending."""
    with engine.begin() as conn:
        result = conn.execute(
            update(t)
            .where(t.c.notification_key == key, t.c.status == PENDING)
            .values(status=SENT, sent_at=_now(now), attempts=t.c.attempts + 1, last_error=None)
        )
    return result.rowcount == 1


def mark_failed_attempt(engine: Engine, key: str, error: str) -> int:
    """Record a failed attempt on a pending row (it stays pending); return its attempts."""
    with engine.begin() as conn:
        conn.execute(
            update(t)
            .where(t.c.notification_key == key, t.c.status == PENDING)
            .values(attempts=t.c.attempts + 1, last_error=_clip(error, 1024))
        )
        attempts = conn.execute(
            select(t.c.attempts).where(t.c.notification_key == key)
        ).scalar_one_or_none()
    return int(attempts or 0)


def pending_notifications(
    engine: Engine,
    *,
    limit: int = 50,
    max_attempts: int | None = None,
    kinds: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Pending rows, least tried first, then oldest (a message that keeps failing cannot hold
    the others back); optionally only those tried fewer than max_attempts times, and only of
    the given kinds (each sensor sends the kinds it knows how to compose)."""
    query = select(t).where(t.c.status == PENDING)
    if kinds is not None:
        query = query.where(t.c.kind.in_(list(kinds)))
    if max_attempts is not None:
        query = query.where(t.c.attempts < max_attempts)
    query = query.order_by(t.c.attempts, t.c.created_at, t.c.notification_key).limit(limit)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(query).mappings()]
