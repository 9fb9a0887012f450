"""`daily_price_history`, `synthetic_price_history` and their checks materialized for real
(issue 4), on a demo market history of a few days for a handful of products."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
import pytest
from sqlalchemy import select

from procurement_pipeline.defs.history.assets import (
    daily_history_freshness,
    daily_history_interpolated_share,
    daily_history_prices_positive,
    daily_history_unique_product_day,
    daily_price_history,
    synthetic_price_history,
)
from procurement_pipeline.defs.prices.assets import (
    demo_price_history,
    scrape_windows,
    scraped_prices,
)
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline.lib.warehouse import history as history_queries
from procurement_pipeline.lib.warehouse.catalog import load_products
from procurement_pipeline.lib.warehouse.history import (
    insert_observations,
    load_daily_history,
    replace_synthetic_observations,
)
from procurement_pipeline.lib.warehouse.prices import replace_demo_observations
from procurement_pipeline.lib.warehouse.schema import daily_price_history as daily_table
from procurement_pipeline.lib.warehouse.schema import price_observations
from procurement_pipeline_tests.defs.prices.support import (
    checks_of,
    load_catalog,
    materialize,
    metadata_of,
    warehouse,
)
from procurement_pipeline_tests.defs.setting_resources import default_settings

DEMO = DemoMarketResource()
DAILY_CHECKS = [
    daily_history_unique_product_day,
    daily_history_prices_positive,
    daily_history_interpolated_share,
    daily_history_freshness,
]
ALL_CHECKS = {
    "outliers_removed",
    "daily_history_unique_product_day",
    "daily_history_prices_positive",
    "daily_history_interpolated_share",
    "daily_history_freshness",
}
SEED_DAYS = 8


def resources(database_url):
    return {"warehouse": warehouse(database_url), "marketplace": DEMO, **default_settings()}


def seed_history(instance, database_url, engine, products: int = 6) -> pd.DataFrame:
    """A tiny catalog, SEED_DAYS days of demo history and the latest window scraped."""
    load_catalog(engine, products)
    materialize(
        [demo_price_history],
        instance,
        resources(database_url),
        run_config=dg.RunConfig({"demo_price_history": {"config": {"days": SEED_DAYS}}}),
    )
    materialize(
        [scraped_prices],
        instance,
        resources(database_url),
        partition_key=scrape_windows.get_last_partition_key(),
    )
    return load_products(engine)


def seed_history_lib(engine, products: int = 6) -> pd.DataFrame:
    """The same demo history through the lib calls the assets make (no Dagster run): for the
    tests about what happens downstream of it."""
    catalog = load_catalog(engine, products)
    latest = scrape_windows.get_last_partition_window().start.astimezone(UTC).replace(tzinfo=None)
    windows = demo_windows(latest, SEED_DAYS)
    replace_demo_observations(
        engine, seed_demo_observations(catalog, windows), windows[0], windows[-1]
    )
    return catalog


def build_daily(instance, database_url, *, checks=True, **kw):
    return materialize(
        [daily_price_history, *(DAILY_CHECKS if checks else [])],
        instance,
        resources(database_url),
        **kw,
    )


def synthetic_config(days: int) -> dg.RunConfig:
    return dg.RunConfig({"synthetic_price_history": {"config": {"days": days}}})


def observation_rows(engine, synthetic: bool) -> list[tuple]:
    t = price_observations
    with engine.connect() as conn:
        return sorted(conn.execute(select(t).where(t.c.is_synthetic.is_(synthetic))).all())


def daily_without_build_time(engine) -> pd.DataFrame:
    return load_daily_history(engine).drop(columns="built_at")


def test_daily_history_one_row_per_product_day_with_checks(
    instance, database_url, warehouse_engine
):
    products = seed_history(instance, database_url, warehouse_engine)
    result = materialize(
        [daily_price_history, synthetic_price_history, *DAILY_CHECKS],
        instance,
        resources(database_url),
        run_config=synthetic_config(30),
    )
    assert result.success

    daily = load_daily_history(warehouse_engine)
    assert set(daily["sku"]) == set(products["sku"])
    assert not daily.duplicated(["sku", "day"]).any()
    assert set(daily["value_source"]) <= {"observed", "interpolated"}
    assert (daily["price"] > 0).all()
    for sku, rows in daily.groupby("sku"):
        span = (rows["day"].max() - rows["day"].min()).days + 1
        assert len(rows) == span, f"{sku} has a hole in its days"
    # Synthetic rows (30 days, more than the real history) never widen the daily range.
    first_real = min(r.observed_at for r in observation_rows(warehouse_engine, False))
    assert daily["day"].min() >= pd.Timestamp(first_real.date())

    meta = metadata_of(result, "daily_price_history")
    assert meta["products_covered"] == len(products)
    assert meta["rows"] == len(daily)
    assert meta["days"] == daily["day"].nunique()
    observed = int((daily["value_source"] == "observed").sum())
    assert meta["interpolated_share"] == round(1 - observed / len(daily), 4)
    assert meta["outliers_removed"] >= 0
    assert products["sku"].iloc[0] in meta["preview"]

    checks = checks_of(result)
    assert set(checks) == ALL_CHECKS
    assert checks["daily_history_unique_product_day"].passed
    assert checks["daily_history_prices_positive"].passed
    assert checks["daily_history_freshness"].passed  # the latest window was just scraped
    assert checks["daily_history_freshness"].metadata["age_hours"].value < 1
    assert checks["daily_history_interpolated_share"].severity == dg.AssetCheckSeverity.WARN


def test_freshness_warns_when_the_newest_real_observation_is_old(instance, sqlite_engine):
    database_url = str(sqlite_engine.url)
    products = load_catalog(sqlite_engine, 3)
    now = datetime.now(UTC).replace(tzinfo=None)
    old = pd.DataFrame(
        [
            {
                "sku": sku,
                "observed_at": now - timedelta(days=day, hours=2),
                "price": 10.0 + day,
                "currency": "BRL",
                "source": "mercadolivre",
                "is_synthetic": False,
            }
            for sku in products["sku"]
            for day in range(2, 8)
        ]
    )
    insert_observations(sqlite_engine, old)
    result = build_daily(instance, database_url)
    assert result.success  # a WARN check never fails the run
    freshness = checks_of(result)["daily_history_freshness"]
    assert not freshness.passed
    assert freshness.severity == dg.AssetCheckSeverity.WARN
    assert 49 < freshness.metadata["age_hours"].value < 51
    assert checks_of(result)["daily_history_unique_product_day"].passed


def test_synthetic_history_is_anchored_and_replaced_alone(instance, database_url, warehouse_engine):
    seeded = seed_history_lib(warehouse_engine, products=5)
    # A product added after the history was seeded has no real observation at all.
    products = load_catalog(warehouse_engine, 6)
    (newcomer,) = set(products["sku"]) - set(seeded["sku"])
    real_before = observation_rows(warehouse_engine, False)
    real = pd.DataFrame(real_before, columns=[c.name for c in price_observations.columns])
    last_real = real.sort_values("observed_at").groupby("sku")["price"].last().astype(float)

    result = materialize(
        [synthetic_price_history],
        instance,
        resources(database_url),
        run_config=synthetic_config(20),
    )
    meta = metadata_of(result, "synthetic_price_history")
    assert (meta["anchored_on_last_real_price"], meta["anchored_on_reference_price"]) == (5, 1)
    assert meta["rows_inserted"] == 6 * 20

    synthetic = observation_rows(warehouse_engine, True)
    assert len(synthetic) == 6 * 20
    frame = pd.DataFrame(synthetic, columns=[c.name for c in price_observations.columns])
    assert set(frame["source"]) == {"synthetic"} and frame["is_synthetic"].all()
    assert frame["window_start"].isna().all()
    last_day = frame.sort_values("observed_at").groupby("sku").last()
    assert last_day["observed_at"].dt.date.nunique() == 1
    assert last_day["observed_at"].iloc[0].date() == datetime.now(UTC).date()
    for sku in seeded["sku"]:
        assert float(last_day.loc[sku, "price"]) == pytest.approx(last_real[sku], abs=0.005)
    reference = products.set_index("sku").loc[newcomer, "reference_price"]
    assert float(last_day.loc[newcomer, "price"]) == pytest.approx(float(reference), abs=0.005)
    assert observation_rows(warehouse_engine, False) == real_before

    result = materialize(
        [synthetic_price_history],
        instance,
        resources(database_url),
        run_config=synthetic_config(20),
    )
    meta = metadata_of(result, "synthetic_price_history")
    assert (meta["rows_replaced"], meta["rows_inserted"]) == (6 * 20, 6 * 20)
    again = observation_rows(warehouse_engine, True)
    assert len(again) == len(synthetic)
    assert [r[1:] for r in again] == [r[1:] for r in synthetic]  # same series, new ids
    assert observation_rows(warehouse_engine, False) == real_before


def test_synthetic_rows_never_reach_the_daily_history(instance, database_url, warehouse_engine):
    products = seed_history_lib(warehouse_engine)
    build_daily(instance, database_url, checks=False)
    clean = daily_without_build_time(warehouse_engine)

    # Absurd synthetic prices on every product, every day of the history and beyond.
    days = pd.date_range(clean["day"].min() - pd.Timedelta(days=5), clean["day"].max(), freq="D")
    absurd = pd.DataFrame(
        [
            {
                "sku": sku,
                "observed_at": day + pd.Timedelta(hours=hour),
                "price": 99999.0,
                "currency": "BRL",
                "source": "synthetic",
                "is_synthetic": True,
            }
            for sku in products["sku"]
            for day in days
            for hour in (1, 9, 17)
        ]
    )
    written = replace_synthetic_observations(warehouse_engine, absurd)
    assert written["inserted"] == len(absurd)

    result = build_daily(instance, database_url, checks=False)
    rebuilt = daily_without_build_time(warehouse_engine)
    assert rebuilt["price"].max() < 1000
    pd.testing.assert_frame_equal(rebuilt, clean)
    assert metadata_of(result, "daily_price_history")["rows"] == len(clean)


def test_daily_history_write_is_one_transaction(
    instance, database_url, warehouse_engine, monkeypatch
):
    seed_history_lib(warehouse_engine, products=4)
    build_daily(instance, database_url, checks=False)
    before = load_daily_history(warehouse_engine)
    assert len(before) > 0
    # New data that would change the table if the rebuild went through.
    insert_observations(
        warehouse_engine,
        pd.DataFrame(
            {
                "sku": before["sku"].iloc[0],
                "observed_at": [datetime.now(UTC).replace(tzinfo=None) + timedelta(days=3)],
                "price": [1.23],
                "currency": ["BRL"],
                "source": ["mercadolivre"],
                "is_synthetic": [False],
            }
        ),
    )

    real_bulk_insert = history_queries._bulk_insert
    seen_after_delete = []

    def failing_bulk_insert(conn, table, columns, data):
        if table is daily_table:
            # The delete has run inside this transaction: the table is empty right here.
            seen_after_delete.append(conn.execute(select(daily_table.c.sku)).all())
            # Half of a write, then the failure.
            real_bulk_insert(conn, table, columns, {k: v[:2] for k, v in data.items()})
            raise RuntimeError("connection lost mid-write")
        return real_bulk_insert(conn, table, columns, data)

    monkeypatch.setattr(history_queries, "_bulk_insert", failing_bulk_insert)
    result = build_daily(instance, database_url, checks=False, raise_on_error=False)
    assert not result.success
    assert seen_after_delete == [[]]
    pd.testing.assert_frame_equal(load_daily_history(warehouse_engine), before)
