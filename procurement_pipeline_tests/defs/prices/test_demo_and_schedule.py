"""Demo mode, the seeded demo history and the 8-hour schedule (issue 3)."""

from datetime import UTC, datetime, timedelta

import dagster as dg
from sqlalchemy import select

from procurement_pipeline.defs.prices import defs as prices_defs
from procurement_pipeline.defs.prices.assets import (
    SCRAPING_TAG,
    demo_price_history,
    scrape_windows,
    scraped_prices,
)
from procurement_pipeline.defs.prices.resources import (
    DemoMarketResource,
    MercadoLivreMarketResource,
)
from procurement_pipeline.lib.scraping.demo_market import demo_windows
from procurement_pipeline.lib.warehouse.schema import price_observations
from procurement_pipeline_tests.defs.prices.support import (
    load_catalog,
    materialize,
    metadata_of,
    table_rows,
    warehouse,
    window_tables,
)
from procurement_pipeline_tests.defs.setting_resources import default_settings

DEMO = DemoMarketResource()


def seed_config(days: int) -> dg.RunConfig:
    return dg.RunConfig({"demo_price_history": {"config": {"days": days}}})


def demo_rows(engine) -> list[dict]:
    return [r for r in table_rows(engine, price_observations) if r["source"] == "demo"]


def test_demo_market_scrape_and_seeded_history(instance, database_url, warehouse_engine):
    products = load_catalog(warehouse_engine, 6)
    resources = {"warehouse": warehouse(database_url), "marketplace": DEMO}

    # The latest window goes through the real client and parser, against demo pages.
    latest_key = scrape_windows.get_last_partition_key()
    latest = scrape_windows.get_last_partition_window().start.astimezone(UTC).replace(tzinfo=None)
    result = materialize([scraped_prices], instance, resources, partition_key=latest_key)
    meta = metadata_of(result, "scraped_prices")
    assert meta["source"] == "demo" and meta["attempted"] == 6
    scraped = window_tables(warehouse_engine, latest)
    assert len(scraped["price_observations"]) == meta["saved"] >= 1
    assert {r["source"] for r in scraped["price_observations"]} == {"demo"}
    # Demo pages fail the way the market does (no results, challenge): never anything else.
    reasons = {r["reason"] for r in scraped["scrape_attempts"] if r["outcome"] == "failed"}
    assert reasons <= {"empty_page", "challenge"}

    # N days of windows before the latest one, seeded from the same price process.
    result = materialize([demo_price_history], instance, resources, run_config=seed_config(5))
    meta = metadata_of(result, "demo_price_history")
    windows = demo_windows(latest - timedelta(hours=8), 5)
    assert (meta["windows"], meta["products"]) == (15, 6)
    assert meta["last_window"] == windows[-1].isoformat()
    seeded = [r for r in demo_rows(warehouse_engine) if r["window_start"] != latest]
    assert len(seeded) == meta["observations"]
    assert {r["window_start"] for r in seeded} <= set(windows)
    assert {r["sku"] for r in seeded} == set(products["sku"])
    assert len({(r["sku"], r["window_start"]) for r in seeded}) == len(seeded)
    assert {r["is_synthetic"] for r in seeded} == {False}
    # Demo history is shaped like the scrape: 2 % no results + 1 % challenge windows.
    assert 0.8 * 15 * 6 <= len(seeded) <= 15 * 6

    # Idempotent: the same rows again; the scraped latest window is left alone.
    before = demo_rows(warehouse_engine)
    materialize([demo_price_history], instance, resources, run_config=seed_config(5))
    assert demo_rows(warehouse_engine) == before
    assert window_tables(warehouse_engine, latest) == scraped


def test_demo_history_refuses_the_real_market(instance, sqlite_engine):
    load_catalog(sqlite_engine, 3)
    market = MercadoLivreMarketResource(scraperapi_key="test-key-unused")
    result = materialize(
        [demo_price_history],
        instance,
        {"warehouse": warehouse(str(sqlite_engine.url)), "marketplace": market},
        run_config=seed_config(5),
        raise_on_error=False,
    )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.user_failure_data.description
    assert "only runs against the demo market" in message and "mercadolivre" in message
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(price_observations.c.id)).first() is None


def test_scrape_schedule_runs_the_window_that_just_closed(instance, sqlite_engine):
    load_catalog(sqlite_engine, 3)
    # The package's own schedule and job, with test resources in place of the env ones.
    defs = dg.Definitions(
        assets=prices_defs.assets,
        jobs=prices_defs.jobs,
        schedules=prices_defs.schedules,
        resources={
            "warehouse": warehouse(str(sqlite_engine.url)),
            "marketplace": DEMO,
            **default_settings(),
        },
    )
    schedule = defs.resolve_schedule_def("scrape_every_8_hours")
    assert schedule.cron_schedule == "0 */8 * * *"
    assert schedule.execution_timezone == "UTC"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert scraped_prices.op.pool == "scraperapi"

    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    )
    (request,) = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == "2026-03-01-08:00"  # 08:00-16:00 just closed
    assert request.job_name == "scrape_job"

    # The run it launches carries the scraping tag (the instance's tag concurrency limit).
    job = defs.resolve_job_def(request.job_name)
    assert SCRAPING_TAG.items() <= job.tags.items()
    result = job.execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=request.tags
    )
    assert result.success
    run = instance.get_run_by_id(result.run_id)
    assert SCRAPING_TAG.items() <= run.tags.items()
    assert run.tags["dagster/partition"] == "2026-03-01-08:00"
    assert metadata_of(result, "scraped_prices")["window_start"] == "2026-03-01T08:00:00"
