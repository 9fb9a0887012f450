"""The ScraperAPI key never leaves the resource (issue 3): not in the run's event log, the
run record, the Failure message, stdout/stderr, nor any stored row -- through retries,
timeouts, challenge pages and a fatal 403. The key comes in as an EnvVar, like production."""

from urllib.parse import quote

import dagster as dg
import pytest
from sqlalchemy import String, Text, select

from procurement_pipeline.defs.prices.assets import scraped_prices
from procurement_pipeline.lib.logging import configure_logging
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer
from procurement_pipeline.lib.warehouse.schema import offers, price_observations, scrape_attempts
from procurement_pipeline_tests.defs.prices.support import (
    clean_window,
    fast_marketplace,
    load_catalog,
    materialize,
    metadata_of,
    partition_key,
    url_pattern,
    warehouse,
)

# Characters that URL encoding changes, so an encoded copy would not hide from the scan.
KEY = "test-key-S3cr3t+/=9Zq"


def text_values(engine) -> list[str]:
    """Every value of every text column of the three scrape tables."""
    values = []
    with engine.connect() as conn:
        for table in (price_observations, offers, scrape_attempts):
            columns = [c for c in table.columns if isinstance(c.type, String | Text)]
            for row in conn.execute(select(*columns)):
                values.extend(str(v) for v in row if v is not None)
    return values


def run_text(instance, run_id: str) -> str:
    """The run as Dagster stores it: every event (messages, metadata, errors) and the record."""
    parts = [dg.serialize_value(entry) for entry in instance.all_logs(run_id)]
    parts.append(dg.serialize_value(instance.get_run_by_id(run_id)))
    return "\n".join(parts)


def assert_no_key(text: str, where: str) -> None:
    for form in (KEY, quote(KEY, safe=""), quote(KEY)):
        assert form not in text, f"API key found in {where}"


@pytest.fixture
def debug_logs(monkeypatch):
    """Every log line rendered, the client's per-request DEBUG lines (which carry the URL)
    included."""
    monkeypatch.setenv("PROCUREMENT_LOG_LEVEL", "DEBUG")
    configure_logging(force=True)
    yield
    monkeypatch.delenv("PROCUREMENT_LOG_LEVEL")
    configure_logging(force=True)


def test_api_key_never_leaks(instance, sqlite_engine, monkeypatch, capfd, debug_logs):
    monkeypatch.setenv("SCRAPERAPI_KEY", KEY)
    database_url = str(sqlite_engine.url)
    products = load_catalog(sqlite_engine, 8)
    window = clean_window(products)
    terms = products["search_term"].tolist()
    faults = [
        Fault(status=429, url_pattern=url_pattern(terms[0]), first_n=1),
        Fault(status=500, url_pattern=url_pattern(terms[1])),
        Fault(challenge=True, url_pattern=url_pattern(terms[2])),
        Fault(delay_s=0.8, url_pattern=url_pattern(terms[3])),
        Fault(status=404, url_pattern=url_pattern(terms[4])),
    ]
    pages = DemoMarketPages.from_products(products, window_start=window)
    with ScraperAPIServer(pages, api_key=KEY, faults=faults) as server:
        market = fast_marketplace(server.base_url, dg.EnvVar("SCRAPERAPI_KEY"), max_attempts=2)
        resources = {"warehouse": warehouse(database_url), "marketplace": market}
        ok = materialize([scraped_prices], instance, resources, partition_key=partition_key(window))
        meta = metadata_of(ok, "scraped_prices")
        # The scrape really went through the failure paths whose messages hold the URL.
        assert meta["failed_by_reason"] == {
            "challenge": 1,
            "http_404": 1,
            "http_500": 1,
            "timeout": 1,
        }
        assert server.request_count > 0

        server.out_of_credits = True
        failed = materialize(
            [scraped_prices],
            instance,
            resources,
            partition_key=partition_key(window),
            raise_on_error=False,
        )
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    description = failure.step_failure_data.user_failure_data.description
    assert "403" in description
    assert_no_key(description, "the Failure message")
    assert_no_key(str(failure.step_failure_data.error), "the step failure's error")

    for result in (ok, failed):
        assert_no_key(run_text(instance, result.run_id), f"run {result.run_id}'s event log")
    captured = capfd.readouterr()
    assert "scraperapi.retry" in captured.out + captured.err  # the client did log
    assert_no_key(captured.out, "stdout")
    assert_no_key(captured.err, "stderr")
    values = text_values(sqlite_engine)
    assert any("ScraperAPI answered 500" in v for v in values)  # details are stored...
    assert_no_key("\n".join(values), "the warehouse rows")  # ...without the key
