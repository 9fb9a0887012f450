"""send_pending against a real SQLite warehouse ledger and a real SMTP server (aiosmtpd):
each pending row once, a transient failure ends the tick, a bad or refused row never stops
the others, the tick's budget, kinds and attempt limits."""

from __future__ import annotations

import time

from sqlalchemy import select, update

from procurement_pipeline.lib.notifications import SMTPSettings, build_message
from procurement_pipeline.lib.notifications.outbox import (
    PENDING_PER_TICK,
    SMTP_TIMEOUT_IN_SENSOR_S,
    claim_subject,
    send_pending,
    tick_mailer,
)
from procurement_pipeline.lib.warehouse.notifications import claim_notification
from procurement_pipeline.lib.warehouse.schema import sent_notifications
from procurement_pipeline_tests.lib.notifications.conftest import (
    RecordingHandler,
    free_port,
    local_smtp,
    smtp_server,
)

REFUSED = "recusado@example.com"


class RecordingLog:
    """The log the loop writes to, kept for the assertions."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def info(self, msg: str) -> None:
        self.lines.append(("info", msg))

    def warning(self, msg: str) -> None:
        self.lines.append(("warning", msg))

    def error(self, msg: str) -> None:
        self.lines.append(("error", msg))


class RefusingHandler(RecordingHandler):
    """Accepts mail, except for one recipient (550)."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == REFUSED:
            return "550 5.1.1 No such user"
        return await super().handle_RCPT(server, session, envelope, address, rcpt_options)


def settings_on(port: int, **overrides) -> SMTPSettings:
    return SMTPSettings(**local_smtp(port, **{"timeout": 2.0, **overrides}))


def claim(engine, *keys: str, kind: str = "run_failed") -> None:
    for key in keys:
        assert claim_notification(
            engine, key, kind=kind, run_id=key, recipient="comprador@example.com", subject=key
        )


def compose(row) -> object:
    return build_message(f"Assunto {row['notification_key']}", "comprador@example.com", "corpo")


def rows(engine) -> dict[str, dict]:
    with engine.connect() as conn:
        found = conn.execute(select(sent_notifications)).mappings().all()
    return {r["notification_key"]: dict(r) for r in found}


def later() -> float:
    return time.monotonic() + 30


def test_sends_each_pending_row_of_its_kinds_once(sqlite_engine):
    claim(sqlite_engine, "a", "b")
    claim(sqlite_engine, "opportunity:x", kind="price_opportunity")
    log = RecordingLog()
    with smtp_server() as (controller, handler):
        settings = settings_on(controller.port)
        first = send_pending(
            sqlite_engine, settings, compose, kinds=("run_failed",), deadline=later(), log=log
        )
        again = send_pending(
            sqlite_engine, settings, compose, kinds=("run_failed",), deadline=later(), log=log
        )
    assert first == (2, 0) and again == (0, 0)
    assert sorted(m["Subject"] for _f, _to, m in handler.messages) == ["Assunto a", "Assunto b"]
    ledger = rows(sqlite_engine)
    assert {k: (r["status"], r["attempts"]) for k, r in ledger.items()} == {
        "a": ("sent", 1),
        "b": ("sent", 1),
        "opportunity:x": ("pending", 0),
    }
    assert ("info", "a: sent to comprador@example.com") in log.lines


def test_server_down_ends_the_tick_after_one_attempt(sqlite_engine):
    claim(sqlite_engine, "a", "b", "c")
    log = RecordingLog()
    result = send_pending(
        sqlite_engine,
        settings_on(free_port()),
        compose,
        kinds=("run_failed",),
        deadline=later(),
        log=log,
    )
    assert result == (0, 1)
    ledger = rows(sqlite_engine)
    assert {r["status"] for r in ledger.values()} == {"pending"}
    assert sorted(r["attempts"] for r in ledger.values()) == [0, 0, 1]
    (tried,) = [r for r in ledger.values() if r["attempts"]]
    assert tried["last_error"]
    assert [level for level, _msg in log.lines] == ["warning"]

    # The least tried go first on the next tick: the failed row waits behind the others.
    with smtp_server() as (controller, handler):
        send_pending(
            sqlite_engine,
            settings_on(controller.port),
            compose,
            kinds=("run_failed",),
            deadline=later(),
            log=log,
        )
    sent_order = [m["Subject"].removeprefix("Assunto ") for _f, _to, m in handler.messages]
    assert sent_order[-1] == tried["notification_key"] and len(sent_order) == 3
    assert rows(sqlite_engine)[tried["notification_key"]]["attempts"] == 2


def test_a_row_that_cannot_be_composed_or_is_refused_does_not_stop_the_others(sqlite_engine):
    claim(sqlite_engine, "gone", "refused", "fine")

    def compose_each(row):
        key = row["notification_key"]
        if key == "gone":
            raise LookupError("run gone no longer exists")
        to = REFUSED if key == "refused" else "comprador@example.com"
        return build_message(f"Assunto {key}", to, "corpo")

    log = RecordingLog()
    with smtp_server(RefusingHandler()) as (controller, handler):
        settings = settings_on(controller.port, default_recipient=None)
        result = send_pending(
            sqlite_engine, settings, compose_each, kinds=("run_failed",), deadline=later(), log=log
        )
    assert result == (1, 2)
    assert [m["Subject"] for _f, _to, m in handler.messages] == ["Assunto fine"]
    ledger = rows(sqlite_engine)
    assert ledger["fine"]["status"] == "sent"
    assert ledger["gone"]["status"] == "pending" and ledger["gone"]["attempts"] == 1
    assert ledger["gone"]["last_error"] == "LookupError: run gone no longer exists"
    assert ledger["refused"]["status"] == "pending" and ledger["refused"]["attempts"] == 1
    assert "550" in ledger["refused"]["last_error"]
    assert {level for level, _msg in log.lines} == {"info", "warning", "error"}


def test_past_the_deadline_nothing_is_sent(sqlite_engine):
    claim(sqlite_engine, "a")
    with smtp_server() as (controller, handler):
        result = send_pending(
            sqlite_engine,
            settings_on(controller.port),
            compose,
            kinds=("run_failed",),
            deadline=time.monotonic() - 1,
            log=RecordingLog(),
        )
    assert result == (0, 0) and handler.messages == []
    assert rows(sqlite_engine)["a"]["attempts"] == 0


def test_at_most_a_tick_of_rows_and_none_tried_max_attempts_times(sqlite_engine):
    keys = [f"k{i:02d}" for i in range(PENDING_PER_TICK + 3)]
    claim(sqlite_engine, *keys)
    with sqlite_engine.begin() as conn:
        conn.execute(
            update(sent_notifications)
            .where(sent_notifications.c.notification_key == "k00")
            .values(attempts=10)
        )
    with smtp_server() as (controller, handler):
        settings = settings_on(controller.port)

        def tick():
            return send_pending(
                sqlite_engine,
                settings,
                compose,
                kinds=("run_failed",),
                deadline=later(),
                log=RecordingLog(),
                max_attempts=10,
            )

        first, second = tick(), tick()
    assert first == (PENDING_PER_TICK, 0) and second == (2, 0)
    ledger = rows(sqlite_engine)
    assert ledger["k00"]["status"] == "pending"
    assert all(ledger[k]["status"] == "sent" for k in keys[1:])


def test_the_tick_mailer_tries_once_within_the_tick():
    slow = tick_mailer(settings_on(25, timeout=30.0)).settings
    assert slow.max_attempts == 1 and slow.timeout == SMTP_TIMEOUT_IN_SENSOR_S
    quick = tick_mailer(settings_on(25, timeout=3.0)).settings
    assert quick.timeout == 3.0 and quick.host == "127.0.0.1" and quick.port == 25


def test_claim_subject_falls_back_when_the_message_cannot_be_composed_yet():
    def missing():
        raise LookupError("run no longer exists")

    assert claim_subject(lambda: compose({"notification_key": "a"}), "x") == "Assunto a"
    assert claim_subject(missing, "run_failed abc") == "run_failed abc"
