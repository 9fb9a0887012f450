"""Scrape failures are summarised, not listed (issue 14, item 6): a window where many products
fail logs one line per reason (how many, the first SKUs) instead of one per product, and the
run's metadata holds every failed SKU by reason, on success and when the run fails."""

from __future__ import annotations

import re

import dagster as dg

from procurement_pipeline.defs.prices.assets import scraped_prices
from procurement_pipeline.lib.scraping.collect import SUMMARY_SKUS
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer
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

KEY = "test-key-0b7e55d1"
PRODUCTS = 40


def any_of(terms: list[str]) -> str:
    return "|".join(f"(?:{url_pattern(term)})" for term in terms)


def scrape(instance, database_url, market, window, limit: float):
    return materialize(
        [scraped_prices],
        instance,
        {"warehouse": warehouse(database_url), "marketplace": market},
        partition_key=partition_key(window),
        run_config=dg.RunConfig({"scraped_prices": {"config": {"failure_share_limit": limit}}}),
        raise_on_error=False,
    )


def lines_with(text: str, *parts: str) -> list[str]:
    return [line for line in text.splitlines() if all(part in line for part in parts)]


def test_many_failures_log_one_line_per_reason_and_list_every_sku_in_metadata(
    instance, sqlite_engine, capfd
):
    database_url = str(sqlite_engine.url)
    products = load_catalog(sqlite_engine, PRODUCTS)
    window = clean_window(products)
    skus, terms = products["sku"].tolist(), products["search_term"].tolist()
    expected = {
        "challenge": skus[20:27],  # 7
        "http_404": [skus[27]],  # 1
        "http_500": skus[:20],  # 20
    }
    faults = [
        Fault(status=500, url_pattern=any_of(terms[:20])),
        Fault(challenge=True, url_pattern=any_of(terms[20:27])),
        Fault(status=404, url_pattern=url_pattern(terms[27])),
    ]
    pages = DemoMarketPages.from_products(products, window_start=window)
    with ScraperAPIServer(pages, api_key=KEY, faults=faults) as server:
        market = fast_marketplace(server.base_url, KEY, max_attempts=2)
        capfd.readouterr()
        ok = scrape(instance, database_url, market, window, limit=0.9)
        logged = "".join(capfd.readouterr())
        failed = scrape(instance, database_url, market, window, limit=0.5)  # 28 of 40 > 50 %

    assert ok.success
    meta = metadata_of(ok, "scraped_prices")
    assert (meta["attempted"], meta["saved"], meta["failed"]) == (PRODUCTS, 12, 28)
    assert meta["failed_by_reason"] == {reason: len(s) for reason, s in expected.items()}
    # The full list, by reason, in target order.
    assert meta["failed_skus_by_reason"] == expected
    summary = meta["failures"].splitlines()
    assert summary == [
        f"challenge: 7 products ({', '.join(expected['challenge'][:SUMMARY_SKUS])}, and 2 more)",
        f"http_404: 1 product ({expected['http_404'][0]})",
        f"http_500: 20 products ({', '.join(expected['http_500'][:SUMMARY_SKUS])}, and 15 more)",
    ]

    # One line per reason in the run's log and one in the library's, none per product.
    for reason, reason_skus in expected.items():
        assert len(lines_with(logged, f"failed, {reason}: {len(reason_skus)} product")) == 1
        assert len(lines_with(logged, "scrape.failures", f"reason={reason}")) == 1
    assert "scrape.product_failed" not in logged
    assert "scraperapi.failed" not in logged and "scraperapi.retry" not in logged
    unnamed = expected["http_500"][SUMMARY_SKUS:]  # counted, never printed
    assert not [sku for sku in unnamed if re.search(rf"\b{re.escape(sku)}\b", logged)]

    # Over the limit the run fails after storing what was good, with the same summary in its
    # message and the full list in the failure's metadata.
    assert not failed.success
    (failure,) = [e for e in failed.all_events if e.event_type_value == "STEP_FAILURE"]
    user_failure = failure.step_failure_data.user_failure_data
    assert all(line in user_failure.description for line in summary)
    assert user_failure.metadata["failed_skus_by_reason"].value == expected
