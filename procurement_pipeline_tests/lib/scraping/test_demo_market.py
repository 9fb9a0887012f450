"""The demo market: deterministic, realistic, and its two faces agree to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.scraping.collect import ScrapeTarget, scrape_window
from procurement_pipeline.lib.scraping.demo_market import (
    DemoMarketPages,
    DemoProduct,
    demo_page,
    demo_window_offers,
    demo_windows,
    render_search_page,
    seed_demo_observations,
    sku_seed,
    window_floor,
)
from procurement_pipeline.lib.scraping.errors import ChallengePageError, EmptyResultsError
from procurement_pipeline.lib.scraping.mercadolivre import parse_search_page, search_url
from procurement_pipeline.lib.scraping.observations import select_observation
from procurement_pipeline.lib.scraping.scraperapi import ScraperAPIClient, ScraperAPISettings
from procurement_pipeline.lib.scraping.server import ScraperAPIServer
from procurement_pipeline.lib.warehouse import schema

PRODUCTS = pd.DataFrame(
    {
        "sku": ["ESP-00001", "TEC-00001", "ADE-00001", "FER-00042", "X-1", "PAR-00007"],
        "search_term": [
            "espuma d33 50mm",
            "tecido suede",
            "cola de contato 2,8 kg",
            "grampeador pneumático 80/16",
            "fita",
            "parafusos sextavados m8 & porcas",
        ],
        "reference_price": [Decimal("289.90"), 32.4, "129.00", Decimal("1849.00"), 3.5, 0.9],
    }
)


def test_sku_seed_is_stable_across_processes():
    # A literal: Python's hash() would change with PYTHONHASHSEED from one process to the next.
    assert sku_seed("ESP-00001") == 16044293608582009348
    assert sku_seed("ESP-00002") != sku_seed("ESP-00001")


def test_demo_windows():
    windows = demo_windows(datetime(2026, 6, 1, 13, 30), 180)
    assert len(windows) == 540
    assert windows[-1] == datetime(2026, 6, 1, 8)
    assert {w.hour for w in windows} == {0, 8, 16}
    assert all(b - a == timedelta(hours=8) for a, b in zip(windows, windows[1:], strict=False))
    aware = datetime(2026, 6, 1, 1, 0, tzinfo=timezone(timedelta(hours=-3)))  # 04:00 UTC
    assert demo_windows(aware, 1)[-1] == datetime(2026, 6, 1, 0)
    assert window_floor(datetime(2019, 12, 31, 23, 59)) == datetime(2019, 12, 31, 16)


def test_page_is_deterministic_per_product_and_window():
    ws = datetime(2026, 3, 1, 8)
    first = demo_page("ESP-00001", "espuma d33 50mm", "289.90", ws)
    assert first == demo_page("ESP-00001", "espuma d33 50mm", Decimal("289.90"), ws)
    assert first == demo_page("ESP-00001", "espuma d33 50mm", "289.90", ws + timedelta(hours=3))
    assert first != demo_page("ESP-00001", "espuma d33 50mm", "289.90", ws + timedelta(hours=8))
    assert first != demo_page("ESP-00002", "espuma d33 50mm", "289.90", ws)


def test_rendered_page_parses_back_exactly():
    seen = {"sponsored": 0, "previous": 0, "unpriced": 0, "challenge": 0, "no_results": 0}
    windows = demo_windows(datetime(2026, 3, 1), 300)[::20]  # spread: promos are in blocks
    for product in PRODUCTS.itertuples():
        for ws in windows:
            window = demo_window_offers(
                product.sku, product.search_term, product.reference_price, ws
            )
            html = render_search_page(window)
            if window.status == "challenge":
                seen["challenge"] += 1
                with pytest.raises(ChallengePageError):
                    parse_search_page(html)
                continue
            if window.status == "no_results":
                seen["no_results"] += 1
                with pytest.raises(EmptyResultsError):
                    parse_search_page(html)
                continue
            assert tuple(parse_search_page(html)) == window.offers
            seen["sponsored"] += sum(o.sponsored for o in window.offers)
            seen["previous"] += sum(o.previous_price is not None for o in window.offers)
            seen["unpriced"] += sum(o.price is None for o in window.offers)
    assert all(count > 0 for count in seen.values()), seen


def _page_path(sku: str, term: str, ref, ws: datetime):
    html = demo_page(sku, term, ref, ws)
    try:
        offers = parse_search_page(html)
    except (ChallengePageError, EmptyResultsError):
        return None
    return select_observation(offers, term, page_url=search_url(term))


def test_seeded_equals_rendered_on_a_sample():
    # Windows across years, before the epoch and across a walk block boundary.
    windows = (
        demo_windows(datetime(2026, 6, 1), 400)[::25]
        + demo_windows(datetime(2019, 12, 31), 2)
        + demo_windows(datetime(2021, 11, 8), 2)
    )
    seeded = seed_demo_observations(PRODUCTS, windows, chunk_size=4)
    rows = {(r.sku, r.window_start.to_pydatetime()): r for r in seeded.itertuples()}
    compared = skipped = 0
    for product in PRODUCTS.itertuples():
        for ws in windows:
            obs = _page_path(product.sku, product.search_term, product.reference_price, ws)
            row = rows.get((product.sku, ws))
            if obs is None:
                assert row is None
                skipped += 1
                continue
            assert row is not None, (product.sku, ws)
            assert Decimal(f"{row.price:.2f}") == obs.price
            assert row.seller == obs.seller
            assert row.listing_url == obs.listing_url
            assert row.offers_considered == obs.offers_considered
            compared += 1
    assert compared > 80 and compared + skipped == len(PRODUCTS) * len(windows)


def test_seed_does_not_depend_on_the_window_set_or_chunking():
    windows = demo_windows(datetime(2026, 6, 1), 10)
    full = seed_demo_observations(PRODUCTS, windows, chunk_size=2)
    part = seed_demo_observations(PRODUCTS.iloc[2:4], windows[7:13])
    merged = part.merge(full, on=["sku", "window_start"], suffixes=("", "_full"))
    assert len(merged) == len(part) > 0
    assert (merged["price"] == merged["price_full"]).all()
    assert (merged["observed_at"] == merged["observed_at_full"]).all()


def test_seed_frame_shape_and_scale():
    n = 3000
    rng = np.random.default_rng(7)
    products = pd.DataFrame(
        {
            "sku": [f"SKU-{i:05d}" for i in range(n)],
            "search_term": [f"item {i}" for i in range(n)],
            "reference_price": np.round(rng.lognormal(4, 1, n), 2) + 0.5,
        }
    )
    windows = demo_windows(datetime(2026, 6, 1), 180)
    frame = seed_demo_observations(products, windows)  # speed: benchmarks/, not here
    expected_columns = [c.name for c in schema.price_observations.columns if c.name != "id"]
    assert list(frame.columns) == expected_columns
    total = n * len(windows)
    # About 3 % of windows are missing or challenged.
    assert 0.95 * total < len(frame) < 0.99 * total
    assert not frame.duplicated(["sku", "window_start"]).any()
    assert (frame["source"] == "demo").all() and not frame["is_synthetic"].any()
    assert (frame["currency"] == "BRL").all()
    assert (frame["observed_at"] > frame["window_start"]).all()
    assert (frame["observed_at"] < frame["window_start"] + pd.Timedelta(hours=8)).all()
    assert (frame["price"] > 0).all()
    assert frame["offers_considered"].between(3, 9).all()
    ratio = frame["price"] / frame["sku"].map(
        dict(zip(products.sku, products.reference_price, strict=True))
    )
    assert 0.9 < ratio.median() < 1.1
    # Prices move: a product's series is not constant.
    first = frame[frame["sku"] == "SKU-00000"]["price"]
    assert first.nunique() > 100


def test_demo_pages_through_the_local_server():
    ws = datetime(2026, 3, 1, 16)
    products = [DemoProduct(r.sku, r.search_term, r.reference_price) for r in PRODUCTS.itertuples()]
    pages = DemoMarketPages.from_products(products, ws)
    assert pages(search_url("produto que não existe")) is not None  # a no-results page
    assert pages("https://example.com/") is None
    with ScraperAPIServer(pages, api_key="demo") as server:
        settings = ScraperAPISettings(api_key="demo", base_url=server.base_url, concurrency=3)
        with ScraperAPIClient(settings) as client:
            targets = [ScrapeTarget(p.sku, p.search_term) for p in products]
            result = scrape_window(client, targets, ws, source="demo", concurrency=3)
    seeded = seed_demo_observations(PRODUCTS, [ws])
    assert result.saved == len(seeded)
    by_sku = {row["sku"]: row for row in result.observations}
    for row in seeded.itertuples():
        assert by_sku[row.sku]["price"] == Decimal(f"{row.price:.2f}")
        assert by_sku[row.sku]["source"] == "demo"


def test_window_start_as_aware_datetime_is_accepted():
    aware = datetime(2026, 3, 1, 8, tzinfo=UTC)
    naive = datetime(2026, 3, 1, 8)
    assert demo_window_offers("X-1", "fita", 3.5, aware) == demo_window_offers(
        "X-1", "fita", 3.5, naive
    )


def test_skus_sharing_a_search_term_share_the_page_and_the_seed():
    products = pd.DataFrame(
        {
            "sku": ["FER-00673", "FER-00674", "FER-00675"],
            "search_term": [
                "abraçadeira nylon 100mm",
                "Abraçadeira Nylon 100mm",
                "abraçadeira 150mm",
            ],
            "reference_price": [6.55, 5.44, 9.48],
        }
    )
    windows = demo_windows(datetime(2026, 3, 1), 3)
    seeded = seed_demo_observations(products, windows)
    first = seeded[seeded["sku"] == "FER-00673"].reset_index(drop=True)
    second = seeded[seeded["sku"] == "FER-00674"].reset_index(drop=True)
    assert len(first) == len(second) > 0
    assert (first["price"] == second["price"]).all()
    pages = DemoMarketPages.from_products(products, windows[-1])
    page = pages(search_url("abraçadeira nylon 100mm"))
    offers = parse_search_page(page)
    obs = select_observation(offers, "Abraçadeira Nylon 100mm")
    row = second[second["window_start"] == windows[-1]]
    assert Decimal(f"{row['price'].iloc[0]:.2f}") == obs.price
