"""price_opportunity_alerts: a scraped price below the forecast's lower bound by more than
the margin, for a product to be bought, is e-mailed exactly once (real SMTP server, the
warehouse ledger); products with no need and prices within the margin are not."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED, MailerResource
from procurement_pipeline.defs.automation.cycle import cycle_observation
from procurement_pipeline.defs.environment import resources_from_environment
from procurement_pipeline.defs.prices.assets import scrape_windows, scraped_prices
from procurement_pipeline.defs.recommendations.assets import (
    consumption_history,
    purchase_recommendations,
)
from procurement_pipeline.defs.recommendations.resources import AdviceSettingsResource
from procurement_pipeline.defs.recommendations.sensors import (
    MARGIN_ENV,
    build_opportunity_sensor,
)
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib.cycle import CyclePlan
from procurement_pipeline.lib.notifications.run_outcomes import RETRAIN_SUCCEEDED, RUN_FAILED
from procurement_pipeline.lib.recommendations import opportunity_key
from procurement_pipeline.lib.recommendations.opportunity_alerts import (
    OPPORTUNITY_KIND,
    parse_opportunity_key,
)
from procurement_pipeline.lib.warehouse.history import insert_observations
from procurement_pipeline.lib.warehouse.notifications import pending_notifications
from procurement_pipeline.lib.warehouse.schema import forecasts, sent_notifications
from procurement_pipeline_tests.defs.recommendations.seed import (
    PRICE_TODAY,
    TRUSTED,
    UNTRUSTED,
    UNUSED,
    seed_tiny_warehouse,
)
from procurement_pipeline_tests.lib.notifications.conftest import (
    free_port,
    local_smtp,
    smtp_server,
)


def mailer_for(port: int, **overrides) -> MailerResource:
    return MailerResource(**local_smtp(port, **overrides))


@pytest.fixture
def tiny(tmp_path):
    tiny = seed_tiny_warehouse(tmp_path / "w")
    with dg.instance_for_test() as instance:
        dg.materialize(
            [consumption_history, purchase_recommendations],
            instance=instance,
            resources=tiny.resources(),
            run_config=dg.RunConfig(
                {"consumption_history": {"config": {"csv_path": str(tiny.consumption_csv)}}}
            ),
        )
        tiny.instance = instance
        yield tiny


def settle_cycle(tiny) -> None:
    """What the automation records after a window: the daily history rebuilt, then the cycle
    planner's decision (here: nothing to retrain) on its timeline."""
    tiny.instance.report_runless_asset_event(dg.AssetMaterialization("daily_price_history"))
    history = tiny.instance.fetch_materializations(
        dg.AssetKey("daily_price_history"), limit=1
    ).records[0]
    tiny.instance.report_runless_asset_event(cycle_observation(history.storage_id, CyclePlan()))


def scrape(tiny, window: dt.datetime, prices: dict[str, float], settle: bool = True) -> None:
    """A window's observations, and the materialization event the sensor walks (then, unless
    ``settle`` is false, the automation cycle that window started)."""
    insert_observations(
        tiny.engine(),
        pd.DataFrame(
            [
                {
                    "sku": sku,
                    "observed_at": window + dt.timedelta(minutes=5),
                    "window_start": window,
                    "price": price,
                    "currency": "BRL",
                    "source": "demo",
                    "is_synthetic": False,
                }
                for sku, price in prices.items()
            ]
        ),
    )
    key = scrape_windows.get_partition_key_for_timestamp(window.replace(tzinfo=dt.UTC).timestamp())
    tiny.instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=scraped_prices.key, partition=key)
    )
    if settle:
        settle_cycle(tiny)


def tick(tiny, mailer, cursor=None, margin=0.05):
    resources = {
        "warehouse": WarehouseResource(database_url=tiny.database_url),
        "mailer": mailer,
        "advice_settings": AdviceSettingsResource(opportunity_margin=margin),
    }
    sensor = build_opportunity_sensor(True)
    with dg.build_sensor_context(
        instance=tiny.instance, cursor=cursor, resources=resources
    ) as context:
        return sensor(context)


def ledger(tiny) -> dict[str, dict]:
    with tiny.engine().connect() as conn:
        rows = conn.execute(select(sent_notifications)).mappings().all()
    return {r["notification_key"]: dict(r) for r in rows}


def test_opportunity_emailed_exactly_once(tiny):
    window = dt.datetime.combine(tiny.today - dt.timedelta(days=1), dt.time(0))
    # Lower bound: yhat - 1 (yesterday's yhat is 1 % above today's price for TRUSTED).
    # TRUSTED far below it (an opportunity); UNTRUSTED below the bound but within the 5 %
    # margin; UNUSED far below, but nothing needs buying.
    lower = {sku: price - 1.0 for sku, price in PRICE_TODAY.items()}
    lower[TRUSTED] = PRICE_TODAY[TRUSTED] * 1.01 - 1.0
    scrape(
        tiny,
        window,
        {
            TRUSTED: round(lower[TRUSTED] * 0.80, 2),
            UNTRUSTED: round(lower[UNTRUSTED] * 0.97, 2),
            UNUSED: round(lower[UNUSED] * 0.5, 2),
        },
    )
    key = opportunity_key(TRUSTED, window)
    assert parse_opportunity_key(key) == (TRUSTED, window)
    with smtp_server() as (controller, handler):
        mailer = mailer_for(controller.port)
        first = tick(tiny, mailer)
        assert len(handler.messages) == 1
        assert set(ledger(tiny)) == {key}
        assert ledger(tiny)[key]["status"] == "sent"
        assert ledger(tiny)[key]["kind"] == OPPORTUNITY_KIND

        # The next tick, and a "restart" without a cursor, find the same window: no new e-mail.
        second = tick(tiny, mailer, first.cursor)
        tick(tiny, mailer_for(controller.port), None)
        assert len(handler.messages) == 1 and second.cursor == first.cursor

        # A stricter margin (25 %) would not have alerted on a 20 % discount.
        later = window + dt.timedelta(hours=8)
        scrape(tiny, later, {TRUSTED: round(lower[TRUSTED] * 0.80, 2)})
        tick(tiny, mailer, second.cursor, margin=0.25)
        assert len(handler.messages) == 1

    (_from, to, message) = handler.messages[0]
    assert to == ["comprador@example.com"]
    assert message["Subject"].startswith(f"[OPORTUNIDADE] {TRUSTED}")
    body = message.get_body(("plain",)).get_content()
    assert "Esperar até" in body and "abaixo do limite inferior" in body
    # The run-outcome sensor never picks opportunity rows up (it sends only its own kinds).
    assert pending_notifications(tiny.engine(), kinds=(RETRAIN_SUCCEEDED, RUN_FAILED)) == []


def test_a_window_is_judged_after_its_cycle_refreshed_the_forecasts(tiny):
    """While the window's automation cycle has not finished, nothing is judged (the cursor
    waits); once it has, the window is judged against the refreshed forecasts: here the
    refreshed forecast no longer puts the price below its lower bound, so nothing is sent."""
    window = dt.datetime.combine(tiny.today - dt.timedelta(days=1), dt.time(16))
    price = round((PRICE_TODAY[TRUSTED] * 1.01 - 1.0) * 0.80, 2)  # an opportunity today
    scrape(tiny, window, {TRUSTED: price}, settle=False)
    with smtp_server() as (controller, handler):
        mailer = mailer_for(controller.port)
        waiting = tick(tiny, mailer)
        assert handler.messages == [] and ledger(tiny) == {}
        assert waiting.cursor is None  # the window is not passed over
        # The cycle retrains: the forecast now expects the product at that price.
        engine = tiny.engine()
        with engine.begin() as conn:
            conn.execute(
                forecasts.update()
                .where(forecasts.c.sku == TRUSTED)
                .values(yhat=price, yhat_lower=price * 0.9, yhat_upper=price * 1.1)
            )
        settle_cycle(tiny)
        judged = tick(tiny, mailer, waiting.cursor)
        assert judged.cursor is not None
        assert handler.messages == [] and ledger(tiny) == {}


def test_smtp_down_keeps_it_pending_then_sends_once(tiny):
    window = dt.datetime.combine(tiny.today - dt.timedelta(days=1), dt.time(8))
    scrape(tiny, window, {TRUSTED: 20.0})
    key = opportunity_key(TRUSTED, window)
    down = tick(tiny, mailer_for(free_port(), timeout=2.0))
    row = ledger(tiny)[key]
    assert row["status"] == "pending" and row["attempts"] == 1
    with smtp_server() as (controller, handler):
        tick(tiny, mailer_for(controller.port), down.cursor)
        tick(tiny, mailer_for(controller.port), down.cursor)
    assert len(handler.messages) == 1
    assert ledger(tiny)[key]["status"] == "sent"


def test_off_unless_mail_is_configured_and_margin_from_env(tiny, monkeypatch):
    result = tick(tiny, MailerResource())
    assert isinstance(result, dg.SkipReason) and result.skip_message == NOT_CONFIGURED
    off = build_opportunity_sensor(False)
    assert off.default_status == dg.DefaultSensorStatus.STOPPED
    assert "SMTP_HOST" in off.description and MARGIN_ENV in off.description
    assert build_opportunity_sensor(True).default_status == dg.DefaultSensorStatus.RUNNING

    # The margin reaches the sensor through the advice_settings resource, set from the
    # environment where the definitions load.
    def margin_from_env() -> float:
        return resources_from_environment()["advice_settings"].opportunity_margin

    monkeypatch.delenv(MARGIN_ENV, raising=False)
    assert margin_from_env() == 0.05
    monkeypatch.setenv(MARGIN_ENV, "0,1")
    assert margin_from_env() == pytest.approx(0.1)
    monkeypatch.setenv(MARGIN_ENV, "5")
    with pytest.raises(ValueError, match=MARGIN_ENV):
        margin_from_env()
