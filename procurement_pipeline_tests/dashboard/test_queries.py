"""The read queries behind the dashboard (lib/warehouse/dashboard.py)."""

from __future__ import annotations

import pandas as pd
import pytest

from procurement_pipeline.lib.reporting.model import synthetic_on_gap_days
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse import dashboard as q
from procurement_pipeline_tests.dashboard.seed import OTHER, SKIPPED, TRAINED


@pytest.fixture
def engine(seeded):
    engine = create_warehouse_engine(seeded.url)
    yield engine
    engine.dispose()


def test_status_and_choices(engine):
    assert q.warehouse_status(engine) == q.WarehouseStatus(True, 3, True)
    choices = q.product_choices(engine)
    assert list(choices["sku"]) == [OTHER, TRAINED, SKIPPED]
    assert list(choices["status"]) == ["trained", "trained", "skipped"]


def test_filter_products_ignores_case_and_accents(engine):
    choices = q.product_choices(engine)
    assert list(q.filter_products(choices, "CAFE suede")["sku"]) == [SKIPPED]
    assert list(q.filter_products(choices, "", "espumas")["sku"]) == [TRAINED]
    assert list(q.filter_products(choices, "esp-0")["sku"]) == [TRAINED]
    assert q.filter_products(choices, "espuma", "tecidos").empty


def test_daily_series_is_aggregated_per_day_in_sql(engine):
    series = q.product_daily_series(engine, TRAINED)
    real, synthetic = series[~series["is_synthetic"]], series[series["is_synthetic"]]
    # The filler is stored on every day (as synthetic_price_history writes it); only the ten gap
    # days are drawn, the query returns both apart.
    assert len(real) == 50 and len(synthetic) == 60
    assert len(synthetic_on_gap_days(synthetic, real["day"])) == 10
    assert (real["observations"] == 3).all() and (synthetic["observations"] == 1).all()
    assert series["day"].is_monotonic_increasing
    first = real.iloc[0]
    assert first["low"] <= first["price"] <= first["high"]
    assert first["price"] == pytest.approx((first["low"] + first["high"]) / 2)
    newest = q.product_newest_real(series)
    assert newest == real["last_at"].max()
    assert q.product_daily_series(engine, "NOPE-1").empty


def test_forecasts_registry_and_offers(engine):
    fc = q.product_forecasts(engine, TRAINED)
    assert fc["kind"].value_counts().to_dict() == {"future": 30, "holdout": 14}
    registry = q.product_registry(engine, TRAINED)
    assert registry["status"] == "trained" and registry["metrics"]["mape"] == 1.1
    assert q.product_registry(engine, SKIPPED)["metrics"] is None
    assert q.product_registry(engine, "NOPE-1") is None
    offers = q.latest_offers(engine, TRAINED)
    assert list(offers["seller"]) == ["Espumas Paulista", "Atacadão das Espumas"]
    assert q.latest_offers(engine, SKIPPED).empty


def test_catalog_queries(engine):
    assert q.registry_counts(engine) == {"trained": 2, "skipped": 1}
    model = q.latest_global_model(engine)
    assert model["metrics"]["holdout_days"] == 30
    assert len(q.global_model_forecasts(engine, model["id"])) == 30
    assert len(q.load_global_index(engine)) == 60
    moves = q.largest_expected_moves(engine)
    assert list(moves["sku"]) == [OTHER, TRAINED]
    assert moves["move"].iloc[0] == pytest.approx(
        moves["last_forecast"].iloc[0] / moves["last_price"].iloc[0] - 1
    )
    health = q.summarize_scrape_health(q.scrape_health(engine))
    assert list(health["failed"]) == [1, 2]


def test_summarize_scrape_health_empty():
    empty = pd.DataFrame(columns=["window_start", "outcome", "reason", "products"])
    assert q.summarize_scrape_health(empty).empty


def test_status_of_an_unmigrated_warehouse(tmp_path):
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'w.sqlite'}")
    assert q.warehouse_status(engine).empty
    engine.dispose()
