"""`scraped_prices` materialized for real (issue 3): one observation per active product per
8-hour window, idempotent windows on both backends, and a local ScraperAPI server with
injected faults standing in for Mercado Livre."""

from datetime import timedelta

import dagster as dg
import pytest
from sqlalchemy import select, update

from procurement_pipeline.defs.prices.assets import scraped_prices
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer
from procurement_pipeline.lib.warehouse.schema import offers, price_observations, scrape_attempts
from procurement_pipeline_tests.defs.prices.support import (
    checks_of,
    clean_window,
    fast_marketplace,
    load_catalog,
    materialize,
    metadata_of,
    partition_key,
    url_pattern,
    warehouse,
    window_tables,
    without_times,
)

KEY = "test-key-6f1d2c9a"
TIMES = ("observed_at", "scraped_at", "attempted_at", "duration_ms")


def ids(engine, table, window):
    with engine.connect() as conn:
        return set(conn.execute(select(table.c.id).where(table.c.window_start == window)).scalars())


def scrape(instance, database_url, marketplace, window, **kw):
    return materialize(
        [scraped_prices],
        instance,
        {"warehouse": warehouse(database_url), "marketplace": marketplace},
        partition_key=partition_key(window),
        **kw,
    )


def threshold_config(share: float) -> dg.RunConfig:
    return dg.RunConfig({"scraped_prices": {"config": {"failure_share_warning": share}}})


def test_rerunning_a_window_replaces_its_rows(instance, database_url, warehouse_engine):
    """One observation per active product per window; a re-run replaces the window's
    observations, offers and attempts (new rows, same counts, never a duplicate)."""
    products = load_catalog(warehouse_engine, 8)
    window = clean_window(products)
    result = scrape(instance, database_url, DemoMarketResource(), window)
    meta = metadata_of(result, "scraped_prices")
    assert (meta["attempted"], meta["saved"], meta["failed"]) == (8, 8, 0)
    first = window_tables(warehouse_engine, window)
    observations = first["price_observations"]
    assert sorted(r["sku"] for r in observations) == sorted(products["sku"])
    assert {r["source"] for r in observations} == {"demo"}
    assert {r["is_synthetic"] for r in observations} == {False}
    assert len(first["scrape_attempts"]) == 8 and len(first["offers"]) == meta["offers_stored"]
    # Mark the stored rows: a re-run that kept them instead of replacing them would show it.
    with warehouse_engine.begin() as conn:
        conn.execute(update(price_observations).values(seller="STALE"))
        conn.execute(update(offers).values(title="STALE"))
        conn.execute(update(scrape_attempts).values(detail="STALE"))

    result = scrape(instance, database_url, DemoMarketResource(), window)
    assert checks_of(result)["no_duplicate_observations"].passed
    second = window_tables(warehouse_engine, window)
    for name in first:
        assert len(second[name]) == len(first[name]), name
        assert without_times(second[name], *TIMES) == without_times(first[name], *TIMES), name
    assert "STALE" not in str(second)


def test_faults_fail_only_their_product(instance, sqlite_engine):
    """429 then success -> saved; persistent 500 -> http_500; challenge page -> challenge;
    slower than the timeout -> timeout. The others are saved; metadata, attempts and checks
    say what happened; a re-run without faults replaces the failures."""
    database_url = str(sqlite_engine.url)
    products = load_catalog(sqlite_engine, 8)
    window = clean_window(products)
    skus, terms = products["sku"].tolist(), products["search_term"].tolist()
    faults = [
        Fault(status=429, url_pattern=url_pattern(terms[0]), first_n=1),
        Fault(status=500, url_pattern=url_pattern(terms[1])),
        Fault(challenge=True, url_pattern=url_pattern(terms[2])),
        Fault(delay_s=0.8, url_pattern=url_pattern(terms[3])),
    ]
    pages = DemoMarketPages.from_products(products, window_start=window)
    with ScraperAPIServer(pages, api_key=KEY, faults=faults) as server:
        market = fast_marketplace(server.base_url, KEY, max_attempts=2)
        result = scrape(instance, database_url, market, window)
        assert result.success
        meta = metadata_of(result, "scraped_prices")
        assert (meta["attempted"], meta["saved"], meta["failed"]) == (8, 5, 3)
        assert meta["failed_by_reason"] == {"challenge": 1, "http_500": 1, "timeout": 1}
        assert meta["duration_s"] > 0 and meta["source"] == "mercadolivre"
        attempts = {r["sku"]: r for r in window_tables(sqlite_engine, window)["scrape_attempts"]}
        assert (attempts[skus[0]]["outcome"], attempts[skus[0]]["requests_made"]) == ("saved", 2)
        assert attempts[skus[1]]["reason"] == "http_500"
        assert attempts[skus[1]]["http_status"] == 500
        assert attempts[skus[1]]["requests_made"] == 2  # max_attempts
        assert attempts[skus[2]]["reason"] == "challenge"
        assert attempts[skus[3]]["reason"] == "timeout"
        assert all(attempts[s]["outcome"] == "saved" for s in skus[4:])
        observed = {r["sku"] for r in window_tables(sqlite_engine, window)["price_observations"]}
        assert observed == {skus[0], *skus[4:]}
        checks = checks_of(result)
        assert checks["no_duplicate_observations"].passed
        share = checks["failure_share_under_threshold"]
        assert not share.passed and share.severity == dg.AssetCheckSeverity.WARN
        assert share.metadata["failure_share"].value == 0.375

        # Same failures, a threshold above their share: the check passes.
        result = scrape(instance, database_url, market, window, run_config=threshold_config(0.5))
        assert checks_of(result)["failure_share_under_threshold"].passed

        # The market recovers: the re-run replaces the failures by observations.
        server.clear_faults()
        result = scrape(instance, database_url, market, window)
        assert metadata_of(result, "scraped_prices")["saved"] == 8
        assert checks_of(result)["failure_share_under_threshold"].passed
        tables = window_tables(sqlite_engine, window)
        assert sorted(r["sku"] for r in tables["price_observations"]) == sorted(skus)
        assert {r["outcome"] for r in tables["scrape_attempts"]} == {"saved"}
        assert len(tables["scrape_attempts"]) == 8


def failure_description(result) -> str:
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    return failure.step_failure_data.user_failure_data.description


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [("out_of_credits", "403 (out of credits"), ("wrong_key", "401 (invalid API key)")],
)
def test_auth_errors_fail_fast_and_write_nothing(instance, sqlite_engine, breakage, expected):
    """401/403: dg.Failure with a clear message, at most `concurrency` requests, and the
    window's earlier rows (or its absence) exactly as they were."""
    database_url = str(sqlite_engine.url)
    products = load_catalog(sqlite_engine, 12)
    window = clean_window(products)
    pages = DemoMarketPages.from_products(products, window_start=window)
    with ScraperAPIServer(pages, api_key=KEY) as server:
        market = fast_marketplace(server.base_url, KEY, concurrency=3)
        assert scrape(instance, database_url, market, window).success
        before = window_tables(sqlite_engine, window)
        before_ids = ids(sqlite_engine, price_observations, window)
        assert len(before["price_observations"]) == 12

        if breakage == "out_of_credits":
            server.out_of_credits = True
        else:
            market = fast_marketplace(server.base_url, "test-key-wrong", concurrency=3)
        later = window + timedelta(days=1)  # never scraped
        for target in (window, later):
            server.reset_log()
            result = scrape(instance, database_url, market, target, raise_on_error=False)
            assert not result.success
            message = failure_description(result)
            assert expected in message and "ScraperAPI answered" in message
            assert 1 <= server.request_count <= 3
        assert window_tables(sqlite_engine, window) == before
        assert ids(sqlite_engine, price_observations, window) == before_ids
        fresh = window_tables(sqlite_engine, later)
        assert fresh == {"price_observations": [], "offers": [], "scrape_attempts": []}
