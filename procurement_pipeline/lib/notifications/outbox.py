"""Sending the ledger's pending e-mails from a sensor tick (no Dagster here).

Every e-mail sensor claims its notifications in `sent_notifications`
(:mod:`procurement_pipeline.lib.warehouse.notifications`) and then calls :func:`send_pending`:
the pending rows of its kinds go out oldest-tried-last within the tick's time budget, each
marked sent once the SMTP server accepted it, each failure counted on its row. The sensor's
ticks are the retry loop, so the mailer tries each message once, with a short timeout.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping, Sequence
from email.message import EmailMessage
from typing import Any, Protocol

from sqlalchemy import Engine

from procurement_pipeline.lib.notifications.mailer import (
    Mailer,
    MailError,
    SMTPSettings,
    TransientMailError,
)
from procurement_pipeline.lib.warehouse.notifications import (
    mark_failed_attempt,
    mark_sent,
    pending_notifications,
)

# A sensor tick must end well under Dagster's 60 s: stop sending after this budget.
SEND_BUDGET_S = 25.0
SMTP_TIMEOUT_IN_SENSOR_S = 10.0
PENDING_PER_TICK = 20


class TickLog(Protocol):
    """What the loop logs to: a sensor context's log, or any logging.Logger."""

    def info(self, msg: str) -> Any: ...

    def warning(self, msg: str) -> Any: ...

    def error(self, msg: str) -> Any: ...


def tick_mailer(settings: SMTPSettings) -> Mailer:
    """A mailer for one tick: one attempt per message (later ticks retry) and a timeout that
    fits the tick's budget."""
    return Mailer(
        dataclasses.replace(
            settings, max_attempts=1, timeout=min(settings.timeout, SMTP_TIMEOUT_IN_SENSOR_S)
        )
    )


def claim_subject(compose: Callable[[], EmailMessage], fallback: str) -> str:
    """The subject recorded with a claim; a message that cannot be composed yet still gets its
    row under ``fallback`` (sending retries composing it)."""
    try:
        return str(compose()["Subject"])
    except Exception:  # noqa: BLE001
        return fallback


def send_pending(
    engine: Engine,
    settings: SMTPSettings,
    compose: Callable[[Mapping[str, Any]], EmailMessage],
    *,
    kinds: Sequence[str],
    deadline: float,
    log: TickLog,
    max_attempts: int | None = None,
) -> tuple[int, int]:
    """Send up to PENDING_PER_TICK pending ledger rows of ``kinds`` (least tried, then oldest
    first; only those tried fewer than ``max_attempts`` times, if given) until ``deadline``
    (a time.monotonic() value): each is marked sent once the server accepted it; a transient
    failure (server down) ends this tick's sending and the rest wait for the next tick; a row
    that cannot be composed or is refused never stops the others. Returns (sent, failed)."""
    rows = pending_notifications(
        engine, limit=PENDING_PER_TICK, max_attempts=max_attempts, kinds=kinds
    )
    sent = failed = 0
    mail = tick_mailer(settings)
    recipient = ", ".join(settings.recipients)
    for row in rows:
        if time.monotonic() > deadline:
            break
        key = row["notification_key"]
        try:
            mail.send(compose(row))
        except MailError as exc:
            failed += 1
            attempts = mark_failed_attempt(engine, key, str(exc))
            log.warning(f"{key}: not sent (attempt {attempts}): {exc}")
            if isinstance(exc, TransientMailError):
                break
            continue
        except Exception as exc:  # noqa: BLE001 - one bad notification must not stop others
            failed += 1
            attempts = mark_failed_attempt(engine, key, f"{type(exc).__name__}: {exc}")
            log.error(f"{key}: could not be composed (attempt {attempts}): {exc}")
            continue
        mark_sent(engine, key)
        sent += 1
        log.info(f"{key}: sent to {recipient}")
    return sent, failed
