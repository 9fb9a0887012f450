"""The demo catalog's stocks look like a working company's (issue 14, item 7): run the real
recommendation engine on the shipped demo files — catalog, consumption export, demo market
prices — and a small share of the products needs buying now while the rest spreads over the
coming weeks, with and without a price forecast the engine trusts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from procurement_pipeline.lib.catalog import read_catalog
from procurement_pipeline.lib.consumption import expected_consumption, read_consumption
from procurement_pipeline.lib.recommendations import RecommendationSettings, recommend
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline_tests.conftest import REPO_ROOT
from tools.recommendation_replay import (
    RecentLevelForecaster,
    daily_prices_from_observations,
    no_forecast,
)

SEED_FILE = REPO_ROOT / "data" / "products_seed.csv"
CONSUMPTION_FILE = REPO_ROOT / "data" / "consumption_demo.csv"
PRICE_DAYS = 60


@pytest.fixture(scope="module")
def demo() -> dict:
    """The inputs `purchase_recommendations` reads, built from the shipped demo files: the
    catalog as validated, the expected use over the export's last 56 days (as
    `consumption_history` estimates it), and PRICE_DAYS of demo market prices up to the day
    after the export (the list's day)."""
    products = pd.DataFrame([p.as_row() for p in read_catalog(SEED_FILE)])
    consumption = read_consumption(CONSUMPTION_FILE, known_skus=products["sku"])
    last_day = consumption["day"].max()
    window = RecommendationSettings().consumption_window_days
    estimates = expected_consumption(consumption, last_day, window, skus=products["sku"].tolist())
    as_of = last_day + dt.timedelta(days=1)
    windows = demo_windows(dt.datetime.combine(as_of, dt.time(16)), PRICE_DAYS)
    daily = daily_prices_from_observations(seed_demo_observations(products, windows))
    history = daily.pivot(index="day", columns="sku", values="price").rename_axis(index="day")
    today = daily.sort_values("day").groupby("sku", as_index=False).last()
    return {
        "products": products,
        "estimates": estimates,
        "history": history,
        "today": today.rename(columns={"day": "observed_day"}),
        "as_of": as_of,
    }


@pytest.mark.parametrize(
    "forecaster", [no_forecast, RecentLevelForecaster()], ids=["stock_rule", "trusted_forecast"]
)
def test_a_typical_day_buys_a_few_products_now_and_spreads_the_rest(demo, forecaster):
    forecasts, models = forecaster(demo["history"])
    if forecaster is not no_forecast:
        assert len(models) == len(demo["products"])  # every product has a trusted forecast
    advice = recommend(
        demo["products"],
        demo["estimates"],
        forecasts,
        models,
        demo["today"],
        demo["as_of"],
    )
    assert len(advice) == 3000
    actions = advice["action"].value_counts()
    buy_now = actions.get("buy_now", 0) / len(advice)
    print(dict(actions), f"buy_now {buy_now:.1%}")
    assert 0.05 <= buy_now <= 0.15, dict(actions)
    # The rest is spread over the coming weeks: dated purchases in several different weeks,
    # and products with no purchase due inside the horizon at all.
    later = advice[advice["action"].isin(["buy_by", "wait_until"])]
    weeks = {day.isocalendar()[:2] for day in later["action_date"]}
    assert len(weeks) >= 3, sorted(weeks)
    assert len(later) >= 0.25 * len(advice), dict(actions)
    assert actions.get("no_need", 0) >= 0.25 * len(advice), dict(actions)
    # Within the horizon no single week gathers most of the dated purchases.
    per_week = later["action_date"].map(lambda day: day.isocalendar()[:2]).value_counts()
    assert per_week.max() <= 0.5 * len(later), per_week.to_dict()
