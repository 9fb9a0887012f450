import datetime as dt

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.recommendations import RecommendationSettings, recommend
from procurement_pipeline.lib.recommendations.replay import (
    RecentLevelForecaster,
    daily_prices_from_observations,
    replay,
)

START = dt.date(2026, 3, 1)
END = dt.date(2026, 4, 30)


def world(seed: int = 3, products: int = 6):
    rng = np.random.default_rng(seed)
    units = ["metro", "caixa", "unidade", "kg", "rolo", "lata"]
    catalog = pd.DataFrame(
        {
            "sku": [f"P{i}" for i in range(products)],
            "name": [f"Produto {i}" for i in range(products)],
            "category": "tecidos",
            "unit": [units[i % len(units)] for i in range(products)],
            "current_stock": rng.uniform(0, 120, products).round(),
            "minimum_stock": rng.uniform(20, 60, products).round(),
            "lead_time_days": rng.integers(2, 12, products),
            "reference_price": rng.uniform(5, 50, products).round(2),
        }
    )
    days = pd.date_range(START - dt.timedelta(days=60), END, freq="D")
    prices = []
    for i, sku in enumerate(catalog["sku"]):
        walk = np.exp(np.cumsum(rng.normal(0, 0.01, len(days))))
        promo = np.where(rng.random(len(days)) < 0.1, 0.85, 1.0)
        values = catalog.loc[i, "reference_price"] * walk * promo
        keep = rng.random(len(days)) > 0.05
        prices.append(pd.DataFrame({"sku": sku, "day": days[keep], "price": values[keep]}))
    prices = pd.concat(prices, ignore_index=True)
    use_days = pd.date_range(START - dt.timedelta(days=56), END, freq="D")
    consumption = []
    for sku in catalog["sku"]:
        q = rng.poisson(3.0, len(use_days)).astype(float)
        keep = q > 0
        consumption.append(
            pd.DataFrame({"day": use_days[keep].date, "sku": sku, "quantity": q[keep]})
        )
    return catalog, prices, pd.concat(consumption, ignore_index=True)


def test_forecaster_and_recommender_only_see_the_past():
    catalog, prices, consumption = world()
    seen_history: list[pd.Timestamp] = []
    seen_as_of: list[dt.date] = []
    inner = RecentLevelForecaster()

    def forecaster(history: pd.DataFrame):
        seen_history.append(history.index.max())
        return inner(history)

    def recommender(products, estimate, forecasts, models, today_prices, as_of, settings):
        # Today's prices were observed today or before; forecasts start tomorrow.
        assert (pd.to_datetime(today_prices["observed_day"]) <= pd.Timestamp(as_of)).all()
        assert (pd.to_datetime(forecasts["ds"]) > pd.Timestamp(as_of)).all()
        assert (estimate["days_observed"] <= settings.consumption_window_days).all()
        seen_as_of.append(as_of)
        return recommend(products, estimate, forecasts, models, today_prices, as_of, settings)

    replay(catalog, prices, consumption, START, END, "recommended", forecaster,
           recommender=recommender)  # fmt: skip
    expected = [START + dt.timedelta(days=i) for i in range((END - START).days + 1)]
    # One call per day, each with a history that ends exactly on that day.
    assert [d.date() for d in seen_history] == expected
    assert seen_as_of == expected


@pytest.mark.parametrize("policy", ["recommended", "naive"])
def test_perturbing_the_future_does_not_change_past_decisions(policy):
    catalog, prices, consumption = world()
    cut = dt.date(2026, 4, 10)
    base = replay(catalog, prices, consumption, START, END, policy)
    future_prices = prices.copy()
    later = future_prices["day"] > pd.Timestamp(cut)
    future_prices.loc[later, "price"] *= np.linspace(0.3, 3.0, int(later.sum()))
    future_use = consumption.copy()
    later_use = pd.to_datetime(future_use["day"]) > pd.Timestamp(cut)
    future_use.loc[later_use, "quantity"] *= 4
    changed = replay(catalog, future_prices, future_use, START, END, policy)

    def upto(result):
        orders = result.orders
        return orders[orders["day"] <= cut].reset_index(drop=True)

    assert len(upto(base)) > 0
    pd.testing.assert_frame_equal(upto(base), upto(changed))
    # ... while the future itself did change what happened later.
    assert not base.orders.equals(changed.orders)


def test_stock_never_negative_and_unmet_demand_counts_as_stockout():
    catalog, prices, consumption = world()
    catalog["current_stock"] = 0.0  # nothing on the first morning: stockouts are certain
    for policy in ("recommended", "naive"):
        result = replay(catalog, prices, consumption, START, END, policy)
        assert result.min_stock >= 0
        assert result.stockout_days > 0
        assert result.unmet_quantity > 0
        assert result.spend == pytest.approx(result.orders["cost"].sum())
        assert (result.orders["arrival_day"] > result.orders["day"]).all()


def test_recommended_orders_are_its_buy_now_actions_and_naive_reorders_at_minimum():
    catalog, prices, consumption = world(seed=11, products=12)
    rec = replay(catalog, prices, consumption, START, END, "recommended")
    naive = replay(catalog, prices, consumption, START, END, "naive")
    assert rec.actions.get("buy_now", 0) == len(rec.orders)
    assert sum(rec.actions.values()) == 12 * ((END - START).days + 1)
    assert len(naive.orders) > 0 and naive.actions == {}
    # Orders are paid at the day's observed price.
    wide = prices.assign(day=pd.to_datetime(prices["day"]).dt.date).set_index(["sku", "day"])
    for order in naive.orders.head(5).itertuples():
        if (order.sku, order.day) in wide.index:
            assert order.price == pytest.approx(wide.loc[(order.sku, order.day), "price"])


def test_untrusted_models_fall_back_in_the_replay():
    catalog, prices, consumption = world()
    models = pd.DataFrame(
        {"sku": catalog["sku"], "status": "skipped", "beats_naive": False,
         "beats_seasonal_naive": False}
    )  # fmt: skip
    result = replay(catalog, prices, consumption, START, END, "recommended", models_df=models)
    assert "wait_until" not in result.actions


def test_daily_prices_from_observations():
    obs = pd.DataFrame(
        {
            "sku": ["A", "A", "A", "A"],
            "observed_at": pd.to_datetime(
                ["2026-11-24 01:00", "2026-11-24 09:00", "2026-11-24 17:00", "2026-11-25 01:00"]
            ),
            "price": [10.0, 12.0, 30.0, 11.0],
            "is_synthetic": [False, False, False, True],
        }
    )
    daily = daily_prices_from_observations(obs)
    assert daily.to_dict("records") == [
        {"sku": "A", "day": pd.Timestamp("2026-11-24"), "price": 12.0}
    ]


def test_bad_arguments():
    catalog, prices, consumption = world()
    with pytest.raises(ValueError):
        replay(catalog, prices, consumption, START, END, "clever")
    with pytest.raises(ValueError):
        replay(catalog, prices, consumption, END, START)
    with pytest.raises(ValueError, match="price history"):
        replay(catalog, prices, consumption, dt.date(2025, 1, 1), END)
    assert RecommendationSettings().horizon_days == 30
