"""Which runs are mailed, the scan cursor, a failed run's error text and the retraining report
rebuilt from a real SQLite warehouse (no Dagster: the sensor passes plain data)."""

from __future__ import annotations

import datetime as dt

import pytest

from procurement_pipeline.lib import artifacts, clock
from procurement_pipeline.lib.artifacts import ArtifactStore
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.notifications.run_outcomes import (
    FAILURE,
    FIRST_LOOKBACK,
    NO_ERROR_MESSAGE,
    RESCAN_OVERLAP,
    RETRAIN_SUCCEEDED,
    RUN_FAILED,
    SUCCESS,
    RunFailure,
    covered_partitions,
    encode_cursor,
    failure_text,
    finished_at,
    notification_key,
    notification_kind,
    parse_cursor,
    retraining_message,
    scan_start,
)
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv

KEYS = ["A-1", "A-2", "A-3", "A-4"]


def known() -> list[str]:
    return KEYS


def not_read() -> list[str]:
    raise AssertionError("the partition keys are read only for a range")


@pytest.mark.parametrize(
    ("status", "retraining", "in_backfill", "kind"),
    [
        (FAILURE, False, False, RUN_FAILED),
        (FAILURE, True, True, RUN_FAILED),  # a failure in a cycle is still alerted
        (SUCCESS, True, False, RETRAIN_SUCCEEDED),
        (SUCCESS, True, True, None),  # reported once per cycle instead
        (SUCCESS, False, False, None),
        ("CANCELED", True, False, None),
    ],
)
def test_which_runs_are_mailed(status, retraining, in_backfill, kind):
    assert notification_kind(status, retraining=retraining, in_backfill=in_backfill) == kind


def test_notification_key():
    assert notification_key(RUN_FAILED, "abc") == "run_failed:abc"


def test_covered_partitions_from_the_tags():
    assert covered_partitions("A-2", None, None, not_read) == ["A-2"]
    assert covered_partitions(None, "A-2", "A-4", known) == ["A-2", "A-3", "A-4"]
    assert covered_partitions(None, "A-3", "A-3", known) == ["A-3"]
    # Ends no longer known (products removed): the known end, else the start.
    assert covered_partitions(None, "A-3", "Z-9", known) == ["A-3"]
    assert covered_partitions(None, "Y-1", "A-2", known) == ["A-2"]
    assert covered_partitions(None, "Y-1", "Z-9", known) == ["Y-1"]
    assert covered_partitions(None, "A-1", None, not_read) == []
    assert covered_partitions(None, None, None, not_read) == []


def test_failure_text_lists_each_failed_step_then_the_run_failure():
    text, steps = failure_text(
        [
            RunFailure("global_report", "ValueError: no global model"),
            RunFailure("product_reports", "disco cheio"),
            RunFailure(None, "Execution of run failed."),
            RunFailure(None, None),
        ]
    )
    assert text == (
        "[global_report] ValueError: no global model\n[product_reports] disco cheio\n"
        "Execution of run failed."
    )
    assert steps == ["global_report", "product_reports"]
    assert failure_text([]) == (NO_ERROR_MESSAGE, [])
    assert failure_text([RunFailure(None, "")]) == (NO_ERROR_MESSAGE, [])


def test_the_cursor_and_where_the_scan_starts():
    newest = dt.datetime(2026, 11, 25, 8, 30, 15, 123456, tzinfo=dt.UTC)
    assert parse_cursor(encode_cursor(newest)) == newest
    assert parse_cursor(None) is None and parse_cursor("") is None
    now = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)
    assert scan_start(newest, now) == newest - RESCAN_OVERLAP
    assert scan_start(None, now) == now - FIRST_LOOKBACK


def test_finished_at_in_utc():
    local = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert finished_at(local) == dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    stamp = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC).timestamp()
    assert finished_at(stamp) == dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    before = clock.now()
    assert before <= finished_at(None) <= clock.now()


def test_retraining_message_attaches_the_pdf_that_exists(sqlite_engine, tmp_path):
    upsert_catalog(sqlite_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    store = ArtifactStore(tmp_path / "artifacts")
    finished = dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
    sku = "TEC-00001"
    report = store.path(artifacts.product_report_path(sku))
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_bytes(b"%PDF-1.4 relatorio")
    addressing = dict(
        to=["comprador@example.com"],
        sender="pipeline@example.com",
        dagster_base_url="http://dagster.example:3000",
    )

    single = retraining_message(sqlite_engine, store, [sku], finished, run_id="run-1", **addressing)
    (part,) = list(single.iter_attachments())
    assert part.get_filename() == artifacts.product_report_download_name(sku)
    assert part.get_payload(decode=True) == b"%PDF-1.4 relatorio"
    body = single.get_body(("plain",)).get_content()
    assert "http://dagster.example:3000/runs/run-1" in body
    assert single["Subject"].startswith("Previsões de preços atualizadas (25/11/2026)")
    assert single["To"] == "comprador@example.com"

    # A cycle of two products attaches the catalog report, which was not built here.
    cycle = retraining_message(
        sqlite_engine, store, [sku, "ESP-00001"], finished, backfill_id="cycle1", **addressing
    )
    assert list(cycle.iter_attachments()) == []
    assert "http://dagster.example:3000/runs/b/cycle1" in cycle.get_body(("plain",)).get_content()
