"""Helpers shared by the defs-level price and history tests: a tiny catalog in the warehouse,
resources, windows where every demo page has offers, and readers for the warehouse tables."""

from __future__ import annotations

import csv
import re
from datetime import datetime, timedelta

import dagster as dg
import pandas as pd
from sqlalchemy import Engine, select

from procurement_pipeline.defs.prices.resources import MercadoLivreMarketResource
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.scraping.demo_market import demo_window_offers
from procurement_pipeline.lib.scraping.mercadolivre import search_url
from procurement_pipeline.lib.warehouse.catalog import load_products, upsert_catalog
from procurement_pipeline.lib.warehouse.schema import offers, price_observations, scrape_attempts
from procurement_pipeline_tests.conftest import REPO_ROOT, catalog_csv
from procurement_pipeline_tests.defs.setting_resources import default_settings

SEED_CSV = REPO_ROOT / "data" / "products_seed.csv"
WINDOW_FMT = "%Y-%m-%d-%H:%M"


def seed_rows(n: int, skip: int = 0) -> list[str]:
    """`n` real catalog lines from data/products_seed.csv, with distinct search terms."""
    with SEED_CSV.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        rows, terms = [], set()
        for row in reader:
            if row[4] in terms:
                continue
            terms.add(row[4])
            rows.append(row)
    out = []
    for row in rows[skip : skip + n]:
        out.append(",".join(f'"{v}"' if "," in v else v for v in row))
    return out


def load_catalog(engine: Engine, n: int = 8, skip: int = 0) -> pd.DataFrame:
    upsert_catalog(engine, parse_catalog(catalog_csv(seed_rows(n, skip))))
    return load_products(engine)


def clean_window(products: pd.DataFrame, start: datetime = datetime(2026, 3, 2)) -> datetime:
    """The first 8-hour window from `start` on where every product's demo page lists offers
    (2 % of demo windows have no results and 1 % answer a challenge)."""
    window = start
    for _ in range(500):
        statuses = {
            demo_window_offers(r.sku, r.search_term, r.reference_price, window).status
            for r in products.itertuples(index=False)
        }
        if statuses == {"ok"}:
            return window
        window += timedelta(hours=8)
    raise AssertionError("no clean demo window found")


def partition_key(window: datetime) -> str:
    return window.strftime(WINDOW_FMT)


def url_pattern(search_term: str) -> str:
    """A Fault pattern matching exactly this product's listing URL."""
    return re.escape(search_url(search_term)) + "$"


def warehouse(database_url: str) -> WarehouseResource:
    return WarehouseResource(database_url=database_url)


def fast_marketplace(base_url: str, key, **overrides) -> MercadoLivreMarketResource:
    """Mercado Livre through a local ScraperAPI server, with timeouts and backoff in tenths of
    a second so a failing product costs well under a second."""
    values = dict(
        scraperapi_key=key,
        base_url=base_url,
        timeout_s=0.5,
        max_attempts=3,
        min_backoff_s=0.01,
        max_backoff_s=0.05,
        concurrency=4,
    )
    values.update(overrides)
    return MercadoLivreMarketResource(**values)


def materialize(assets, instance, resources, *, partition_key=None, run_config=None, **kw):
    return dg.materialize(
        assets,
        instance=instance,
        resources={**default_settings(), **resources},
        partition_key=partition_key,
        run_config=run_config,
        **kw,
    )


def metadata_of(result, asset_name: str) -> dict:
    (materialization,) = result.asset_materializations_for_node(asset_name)
    return {k: v.value for k, v in materialization.metadata.items()}


def checks_of(result) -> dict:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def table_rows(engine: Engine, table, window: datetime | None = None) -> list[dict]:
    """Every row of `table` (optionally one window), without the surrogate id, sorted."""
    query = select(table)
    if window is not None:
        query = query.where(table.c.window_start == window)
    with engine.connect() as conn:
        rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row.pop("id", None)
    return sorted(rows, key=lambda r: tuple(str(r[k]) for k in sorted(r)))


def window_tables(engine: Engine, window: datetime) -> dict[str, list[dict]]:
    return {
        t.name: table_rows(engine, t, window) for t in (price_observations, offers, scrape_attempts)
    }


def without_times(rows: list[dict], *names: str) -> list[dict]:
    """Rows minus the columns that legitimately change between two runs (scrape times)."""
    out = [{k: v for k, v in r.items() if k not in names} for r in rows]
    return sorted(out, key=lambda r: tuple(str(r[k]) for k in sorted(r)))
