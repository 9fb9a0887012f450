"""A SCRAPERAPI_KEY pasted with surrounding whitespace (a trailing newline from `echo >> .env`,
spaces around `=`) is the key without it: the key the client sends is the stripped one, so
the scrape authenticates instead of answering 401 on every request (issue 13, item 9)."""

from __future__ import annotations

from procurement_pipeline.defs.environment import market_from_environment
from procurement_pipeline.defs.prices.assets import scraped_prices
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import ScraperAPIServer
from procurement_pipeline_tests.defs.prices.support import (
    clean_window,
    load_catalog,
    materialize,
    metadata_of,
    partition_key,
    warehouse,
)
from procurement_pipeline_tests.defs.setting_resources import default_settings

KEY = "k3y-With+Symbols/9"


def test_key_with_surrounding_whitespace_is_sent_stripped(instance, sqlite_engine, monkeypatch):
    products = load_catalog(sqlite_engine, 4)
    window = clean_window(products)
    pages = DemoMarketPages.from_products(products, window_start=window)
    with ScraperAPIServer(pages, api_key=KEY) as server:
        for name, value in {
            "PROCUREMENT_MARKET": "mercadolivre",
            "SCRAPERAPI_KEY": f"  {KEY} \t\n",
            "SCRAPERAPI_BASE_URL": server.base_url,
            "SCRAPERAPI_TIMEOUT": "5",
            "SCRAPERAPI_MAX_ATTEMPTS": "1",
            "SCRAPERAPI_MIN_BACKOFF": "0.01",
            "SCRAPERAPI_MAX_BACKOFF": "0.05",
        }.items():
            monkeypatch.setenv(name, value)
        resources = {
            "warehouse": warehouse(str(sqlite_engine.url)),
            "marketplace": market_from_environment(),
            **default_settings(),
        }
        result = materialize(
            [scraped_prices], instance, resources, partition_key=partition_key(window)
        )
        statuses = [r.status for r in server.request_log]
    assert result.success
    meta = metadata_of(result, "scraped_prices")
    assert (meta["attempted"], meta["saved"], meta["failed"]) == (4, 4, 0)
    # Every request carried the key the server knows: no 401 anywhere.
    assert statuses and set(statuses) == {200}
