"""The platform runs by itself: one scheduled scrape window, then nobody touches anything.

Real dagster-webserver + dagster-daemon on a temporary instance (the production instance file
on MariaDB with a MariaDB warehouse, or the embedded SQLite default), a real SMTP server
(aiosmtpd) where e-mail is under test, the demo market. The scrape schedule's own run request
goes through the webserver's queue; the daemon does the rest: the history rebuild
(declarative automation), the retraining cycle (one backfill), advice, reports, e-mail.
"""

from __future__ import annotations

import contextlib
import time
import uuid

import dagster as dg
import pytest

from procurement_pipeline.defs.alerts.sensors import run_error_text
from procurement_pipeline.defs.tags import CYCLE_TAG, RETRAINING_TAG
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.warehouse.forecasts import latest_global_model
from procurement_pipeline.local_dagster import (
    dagster_servers,
    free_port,
    sensor_ticked,
    wait_for_webserver,
)
from procurement_pipeline_tests.automation.stack import (
    new_stack,
    rebuild_history,
    seed_catalog_and_history,
    with_smtp,
)
from procurement_pipeline_tests.conftest import (
    MYSQL_HOST,
    MYSQL_PASSWORD,
    MYSQL_PORT,
    MYSQL_USER,
    _mysql_connect,
)
from procurement_pipeline_tests.lib.notifications.conftest import smtp_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("dagster_servers"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:gql.*"),
]

ONCE_PER_CYCLE = (
    "product_forecasts",
    "purchase_recommendations",
    "global_price_model",
    "catalog_report",
    "global_report",
)
# A cycle: the scrape, the history run, at most one run per product batch and two for the
# once-per-cycle assets (the global model's and the rest's).
MAX_RUNS_PER_WINDOW = 6
MAIL_WAIT_S = 75


def wait_for_mail(handler, count: int, timeout: float = MAIL_WAIT_S) -> None:
    deadline = time.monotonic() + timeout
    while len(handler.messages) < count and time.monotonic() < deadline:
        time.sleep(1)


def subjects(handler) -> list[str]:
    return [str(m["Subject"]) for _f, _to, m in handler.messages]


def failures(instance, runs) -> str:
    """The errors of the runs that did not succeed (for assertion messages)."""
    lines = []
    for run in runs:
        if run.status != dg.DagsterRunStatus.SUCCESS:
            assets = sorted(k.to_user_string() for k in run.asset_selection or ())
            error = run_error_text(instance, run.run_id)[0][-1500:]
            lines.append(f"{run.run_id[:8]} {run.status.value} {assets}: {error}")
    return "\n".join(lines)


def cycle_backfills(instance, since: float):
    return [
        b
        for b in instance.get_backfills()
        if CYCLE_TAG in (b.tags or {}) and b.backfill_timestamp >= since
    ]


@contextlib.contextmanager
def mysql_instance_databases(mysql_server, monkeypatch):
    names = [f"pp_e2e_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("dagster", "warehouse")]
    conn = _mysql_connect()
    with conn.cursor() as cursor:
        for name in names:
            cursor.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    monkeypatch.setenv("DAGSTER_MYSQL_HOST", MYSQL_HOST)
    monkeypatch.setenv("DAGSTER_MYSQL_PORT", str(MYSQL_PORT))
    monkeypatch.setenv("DAGSTER_MYSQL_USER", MYSQL_USER)
    monkeypatch.setenv("DAGSTER_MYSQL_PASSWORD", MYSQL_PASSWORD)
    monkeypatch.setenv("DAGSTER_MYSQL_DB", names[0])
    auth = MYSQL_USER + (f":{MYSQL_PASSWORD}" if MYSQL_PASSWORD else "")
    try:
        yield names[0], f"mysql+pymysql://{auth}@{MYSQL_HOST}:{MYSQL_PORT}/{names[1]}"
    finally:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.mark.mysql
def test_a_scheduled_window_flows_to_advice_reports_and_one_email_on_mariadb(
    tmp_path, mysql_server, monkeypatch
):
    with (
        mysql_instance_databases(mysql_server, monkeypatch) as databases,
        smtp_server() as (controller, handler),
    ):
        stack = new_stack(tmp_path, mysql=databases)
        with_smtp(stack, controller.port)
        with dg.DagsterInstance.from_config(str(stack.home)) as instance:
            stack.instance = instance
            assert type(instance.event_log_storage).__name__ == "BatchedMySQLEventLogStorage"
            unchanged, changing = seed_catalog_and_history(stack, 8, prescraped=4)
            port = free_port()
            with dagster_servers(stack.env, tmp_path / "logs", webserver_port=port) as servers:
                stack.servers = servers
                wait_for_webserver(servers)
                stack.wait_until_ticked()

                # Day zero: the operator rebuilds the history once; the first cycle trains all.
                started = time.time()
                first_history = rebuild_history(stack)
                stack.quiet_after(first_history - 1, since=started)
                assert stack.trained_after(started) == set(unchanged + changing)
                wait_for_mail(handler, 1)
                assert len(handler.messages) == 1

                # 1. One scheduled window, then no action.
                before = stack.fingerprints()
                run_id, scrape_event, launched = stack.launch_scheduled_window()
                quiet = stack.quiet_after(scrape_event, since=launched)
                after = stack.fingerprints()
                changed = {sku for sku in after if after[sku] != before.get(sku)}
                # The prescraped products saw the same prices again: their history is
                # identical; the others got a new observation (demo pages can be empty).
                assert changed and changed <= set(changing)
                assert not changed & set(unchanged)
                assert stack.latest_id("daily_price_history") > scrape_event
                # Exactly the changed products retrained, and their PDFs rebuilt.
                assert stack.trained_after(launched) == changed
                for sku in unchanged + changing:
                    newer = stack.latest_id("product_reports", sku) > scrape_event
                    assert newer == (sku in changed), sku
                # Advice, forecasts, global model and reports: once, after the scrape.
                for name in ONCE_PER_CYCLE:
                    assert stack.latest_id(name) > scrape_event, name
                (cycle,) = cycle_backfills(instance, launched)
                assert cycle.status.value == "COMPLETED_SUCCESS"
                assert cycle.tags[RETRAINING_TAG] == "true"
                assert len(quiet.runs) <= MAX_RUNS_PER_WINDOW, [r.job_name for r in quiet.runs]
                assert not failures(instance, quiet.runs), failures(instance, quiet.runs)
                assert (stack.artifact_root / artifacts.CATALOG_REPORT).stat().st_mtime > launched
                # Exactly one retraining e-mail, with the catalog report attached.
                wait_for_mail(handler, 2)
                time.sleep(35)  # one more e-mail tick: nothing else arrives
                assert len(handler.messages) == 2, subjects(handler)
                _f, to, message = handler.messages[1]
                assert to == ["comprador@example.com"]
                assert message["Subject"].startswith("Previsões de preços atualizadas")
                (attachment,) = list(message.iter_attachments())
                assert attachment.get_filename().startswith("relatorio_catalogo_")
                assert f"/runs/b/{cycle.backfill_id}" in message.get_body(("plain",)).get_content()

                # 2. The window scraped again (prices identical to the stored ones): the
                #    history is rebuilt, nothing is retrained, nothing is sent.
                run_id, scrape_event, launched = stack.launch_scheduled_window()
                quiet = stack.quiet_after(scrape_event, since=launched)
                assert stack.fingerprints() == after
                assert stack.latest_id("daily_price_history") > scrape_event
                assert cycle_backfills(instance, launched) == []
                assert stack.trained_after(launched) == set()
                assert len(quiet.runs) == 2  # the scrape and the history rebuild
                time.sleep(40)
                assert len(handler.messages) == 2, subjects(handler)


def test_without_smtp_everything_but_email_runs_on_the_embedded_instance(tmp_path):
    stack = new_stack(tmp_path)
    with dg.DagsterInstance.from_config(str(stack.home)) as instance:
        stack.instance = instance
        _none, skus = seed_catalog_and_history(stack, 6)
        with dagster_servers(stack.env, tmp_path / "logs", webserver_port=free_port()) as servers:
            stack.servers = servers
            wait_for_webserver(servers)
            stack.wait_until_ticked()
            run_id, scrape_event, launched = stack.launch_scheduled_window()
            quiet = stack.quiet_after(scrape_event, since=launched)
            assert stack.latest_id("daily_price_history") > scrape_event
            assert stack.trained_after(launched) == set(skus)
            for name in ONCE_PER_CYCLE:
                assert stack.latest_id(name) > scrape_event, name
            assert not failures(instance, quiet.runs), failures(instance, quiet.runs)
            assert len(quiet.runs) <= MAX_RUNS_PER_WINDOW
            # The e-mail sensors stay stopped (their description says why); nothing else does.
            assert not sensor_ticked(instance, "email_run_outcomes")
            assert not sensor_ticked(instance, "price_opportunity_alerts")


def test_a_failure_mid_chain_alerts_once_and_the_next_cycle_completes(tmp_path):
    """The global model cannot be written (a file stands where its folder goes): its run fails
    and one alert goes out; the next window's cycle retrains only what changed, refreshes the
    global model and report it missed, and sends its one report."""
    with smtp_server() as (controller, handler):
        stack = new_stack(tmp_path)
        with_smtp(stack, controller.port)
        # Global model files are named after their training run (issue 13, item 3): block
        # the folder they all go into.
        blocker = stack.artifact_root / artifacts.GLOBAL_MODELS
        blocker.parent.mkdir(parents=True)
        blocker.write_text("a file where the global models' folder goes")
        with dg.DagsterInstance.from_config(str(stack.home)) as instance:
            stack.instance = instance
            unchanged, changing = seed_catalog_and_history(stack, 6, prescraped=3)
            port = free_port()
            with dagster_servers(stack.env, tmp_path / "logs", webserver_port=port) as servers:
                stack.servers = servers
                wait_for_webserver(servers)
                stack.wait_until_ticked()
                started = time.time()
                first = rebuild_history(stack)
                quiet = stack.quiet_after(first - 1, since=started)
                failed = [r for r in quiet.runs if r.status == dg.DagsterRunStatus.FAILURE]
                assert len(failed) == 1
                assert "global_price_model" in {k.path[0] for k in failed[0].asset_selection}
                (cycle,) = cycle_backfills(instance, started)
                assert cycle.status.value == "COMPLETED_FAILED"
                wait_for_mail(handler, 1)
                time.sleep(35)
                assert len(handler.messages) == 1, subjects(handler)
                assert subjects(handler)[0].startswith("[ALERTA] Falha na execução")
                assert stack.latest_id("global_report") == -1

                # The fault is fixed; the next scheduled window.
                blocker.unlink()
                before = stack.fingerprints()
                run_id, scrape_event, launched = stack.launch_scheduled_window()
                quiet = stack.quiet_after(scrape_event, since=launched)
                after = stack.fingerprints()
                changed = {sku for sku in after if after[sku] != before.get(sku)}
                assert changed <= set(changing)
                assert stack.trained_after(launched) == changed  # nothing retrained twice
                assert not failures(instance, quiet.runs), failures(instance, quiet.runs)
                assert stack.latest_id("global_price_model") > scrape_event
                assert stack.latest_id("global_report") > scrape_event
                engine = stack.engine()
                try:
                    latest = latest_global_model(engine)
                finally:
                    engine.dispose()
                assert (stack.artifact_root / latest["artifact_path"]).is_file()
                wait_for_mail(handler, 2)
                time.sleep(35)
                assert len(handler.messages) == 2, subjects(handler)
                assert subjects(handler)[1].startswith("Previsões de preços atualizadas")
