import datetime as dt

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.recommendations import RecommendationSettings, recommend
from tools.recommendation_replay import (
    RecentLevelForecaster,
    ServedForecaster,
    _follow,
    daily_prices_from_observations,
    no_forecast,
    price_matrix,
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


def test_recommended_orders_follow_the_list_and_naive_reorders_at_minimum():
    catalog, prices, consumption = world(seed=11, products=12)
    advice = []

    def recommender(*args):
        recs = recommend(*args)
        advice.append(recs)
        return recs

    rec = replay(catalog, prices, consumption, START, END, "recommended", recommender=recommender)
    naive = replay(catalog, prices, consumption, START, END, "naive")
    assert sum(rec.actions.values()) == 12 * ((END - START).days + 1)
    listed = pd.concat(advice, ignore_index=True)
    # Every order is a buy_now of that day, or the date an earlier buy_by / wait_until gave.
    now = listed[listed["action"] == "buy_now"]
    bought_now = set(zip(now["sku"], now["as_of"], strict=True))
    dated = listed[listed["action"].isin(["buy_by", "wait_until"])]
    planned = set(zip(dated["sku"], dated["action_date"], strict=True))
    orders = set(zip(rec.orders["sku"], rec.orders["day"], strict=True))
    assert orders <= bought_now | planned
    assert orders & bought_now and orders - bought_now  # both kinds happen
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


# --------------------------------------------------------------------------- following the list


def steady_world(days_before: int = 60):
    """One product, price 10.00 every day except 9.00 on DIP_DAY, 5 units used a day."""
    catalog = pd.DataFrame(
        {
            "sku": ["A"],
            "name": ["Produto A"],
            "category": "tecidos",
            "unit": "metro",
            "current_stock": [200.0],
            "minimum_stock": [50.0],
            "lead_time_days": [10],
            "reference_price": [10.0],
        }
    )
    days = pd.date_range(START - dt.timedelta(days=days_before), END, freq="D")
    price = np.where(days == pd.Timestamp(DIP_DAY), 9.0, 10.0)
    prices = pd.DataFrame({"sku": "A", "day": days, "price": price})
    consumption = pd.DataFrame({"day": days.date, "sku": "A", "quantity": 5.0})
    return catalog, prices, consumption


DIP_DAY = START + dt.timedelta(days=10)


def dip_forecaster(history: pd.DataFrame):
    """Forecasts 10.00 for every day, except 9.00 on DIP_DAY while it is still ahead; from
    the dip on, today's price carried forward (nothing for the advice to act on)."""
    today = history.index[-1]
    days = pd.date_range(today + pd.Timedelta(days=1), periods=30)
    if today < pd.Timestamp(DIP_DAY):
        yhat = np.where(days == pd.Timestamp(DIP_DAY), 9.0, 10.0)
    else:
        yhat = np.full(len(days), float(history["A"].iloc[-1]))
    forecasts = pd.DataFrame(
        {"sku": "A", "ds": days, "yhat": yhat, "yhat_lower": yhat * 0.95, "yhat_upper": yhat}
    )
    models = pd.DataFrame(
        {"sku": ["A"], "status": "trained", "beats_naive": True, "beats_seasonal_naive": True}
    )
    return forecasts, models


def test_wait_until_is_bought_on_its_date():
    catalog, prices, consumption = steady_world()
    result = replay(catalog, prices, consumption, START, END, "recommended", dip_forecaster)
    first = result.orders.iloc[0]
    # On START the stock (195 after the day's use) lasts until START + 19: the advice is to
    # wait for the forecast dip on START + 10, and the buyer buys then, at 9.00, the quantity
    # planned on START: 50 + 5 x (10 + 10 + 30) - 195.
    assert result.actions["wait_until"] >= 1
    assert first["day"] == DIP_DAY
    assert first["price"] == 9.0
    assert first["quantity"] == 105.0
    # The same engine with no forecast buys on the deadline at 10.00.
    plain = replay(catalog, prices, consumption, START, END, "recommended", no_forecast)
    assert plain.orders.iloc[0]["day"] == START + dt.timedelta(days=19)
    assert plain.orders.iloc[0]["price"] == 10.0
    assert result.stockout_days == plain.stockout_days == 0


def test_follow_keeps_the_earliest_planned_date_and_buy_now_replaces_it():
    skus = ["A", "B", "C", "D"]
    plan_day = np.full(4, -1, dtype=np.int64)
    actions: dict[str, int] = {}
    day0 = dt.date(2026, 3, 1)

    def days(n):
        return day0 + dt.timedelta(days=n)

    def advice(day, rows):
        recs = pd.DataFrame(
            [(s, a, d, q, 2.0, "caixa") for s, a, d, q in rows],
            columns=["sku", "action", "action_date", "suggested_quantity",
                     "daily_consumption", "unit"],
        )  # fmt: skip
        return _follow(recs, skus, day, plan_day, actions).tolist()

    assert advice(day0, [("A", "wait_until", days(5), 10.0), ("B", "buy_by", days(5), 20.0),
                         ("C", "wait_until", days(5), 30.0), ("D", "buy_by", days(5), 40.0)]
                  ) == [0, 0, 0, 0]  # fmt: skip
    assert plan_day.tolist() == [days(5).toordinal()] * 4
    # A: a later date does not push the plan back; B: an earlier one brings it forward;
    # C: buy now replaces the plan; D: no need cancels it.
    assert advice(days(1), [("A", "wait_until", days(9), 11.0), ("B", "buy_by", days(3), 21.0),
                            ("C", "buy_now", days(1), 31.0), ("D", "no_need", None, 0.0)]
                  ) == [0, 0, 31.0, 0]  # fmt: skip
    assert plan_day.tolist() == [days(5).toordinal(), days(3).toordinal(), -1, -1]
    # On its date the plan is bought: the quantity the list gives for its own date (B's is
    # for day 4) less the use until then (2 a day), rounded up to whole boxes.
    assert advice(days(3), [("A", "buy_by", days(5), 12.0), ("B", "buy_by", days(4), 22.5),
                            ("C", "no_need", None, 0.0), ("D", "no_need", None, 0.0)]
                  ) == [0, 21.0, 0, 0]  # fmt: skip
    assert advice(days(5), [("A", "wait_until", days(7), 14.0), ("B", "buy_by", days(9), 30.0),
                            ("C", "no_need", None, 0.0), ("D", "no_need", None, 0.0)]
                  ) == [10.0, 0, 0, 0]  # fmt: skip
    assert plan_day.tolist() == [-1, days(9).toordinal(), -1, -1]
    assert actions == {"wait_until": 4, "buy_by": 6, "buy_now": 1, "no_need": 5}


# --------------------------------------------------------------------------- replay gaps


@pytest.mark.parametrize("policy", ["recommended", "naive"])
def test_products_over_different_days_replay_as_if_alone(policy):
    catalog, prices, consumption = world(seed=5, products=4)
    starts = {f"P{i}": START + dt.timedelta(days=4 * i) for i in range(4)}
    ends = {f"P{i}": END - dt.timedelta(days=3 * i) for i in range(4)}
    together = replay(catalog, prices, consumption, starts, ends, policy)
    assert together.start == START and together.end == END
    assert together.days == sum((ends[s] - starts[s]).days + 1 for s in starts)
    for i, sku in enumerate(catalog["sku"]):
        alone = replay(catalog.iloc[[i]], prices, consumption, starts[sku], ends[sku], policy)
        mine = together.orders[together.orders["sku"] == sku].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine, alone.orders, check_dtype=False)
        pd.testing.assert_frame_equal(
            together.per_product.iloc[[i]].reset_index(drop=True), alone.per_product
        )
        assert (mine["day"] >= starts[sku]).all() and (mine["day"] <= ends[sku]).all()


def test_per_product_results_add_up():
    catalog, prices, consumption = world(seed=11, products=5)
    result = replay(catalog, prices, consumption, START, END, "recommended")
    per = result.per_product.set_index("sku")
    assert list(per.index) == catalog["sku"].tolist()
    assert per["spend"].sum() == pytest.approx(result.spend)
    assert per["ending_value"].sum() == pytest.approx(result.ending_value)
    assert per["holding_cost"].sum() == pytest.approx(result.holding_cost)
    assert per["stockout_days"].sum() == result.stockout_days
    assert per["total_cost"].sum() == pytest.approx(result.total_cost)
    by_sku = result.orders.groupby("sku")
    for sku, orders in by_sku:
        assert per.loc[sku, "orders"] == len(orders)
        assert per.loc[sku, "average_price_paid"] == pytest.approx(
            orders["cost"].sum() / orders["quantity"].sum()
        )
    window = prices[(prices["day"] >= pd.Timestamp(START)) & (prices["day"] <= pd.Timestamp(END))]
    np.testing.assert_allclose(
        per["mean_price"], window.groupby("sku")["price"].mean().reindex(per.index)
    )


def test_min_stock_and_holding_cost_of_a_product_never_reordered():
    catalog, prices, consumption = steady_world()
    catalog["current_stock"] = 1_000.0
    catalog["minimum_stock"] = 0.0  # the naive buyer never reorders above zero
    settings = RecommendationSettings(holding_cost_rate=0.365)  # 0.1 % a day
    result = replay(catalog, prices, consumption, START, END, "naive", settings=settings)
    days = (END - START).days + 1
    assert result.orders.empty
    assert result.min_stock == 1_000.0 - 5.0 * days  # was never above 0 before
    on_hand = 1_000.0 - 5.0 * np.arange(1, days + 1)
    day_prices = np.where(pd.date_range(START, END) == pd.Timestamp(DIP_DAY), 9.0, 10.0)
    assert result.holding_cost == pytest.approx(float((on_hand * day_prices * 0.001).sum()))
    assert result.per_product.loc[0, "min_stock"] == result.min_stock


def test_per_product_dates_must_cover_every_product():
    catalog, prices, consumption = world(products=2)
    with pytest.raises(ValueError, match="start has no date"):
        replay(catalog, prices, consumption, {"P0": START}, END)
    with pytest.raises(ValueError, match="end must not be before start"):
        replay(catalog, prices, consumption, {"P0": START, "P1": END}, {"P0": END, "P1": START})


def test_served_forecaster_trains_the_served_model_and_reanchors_between_trainings():
    catalog, prices, _ = world(seed=2, products=2)
    wide = price_matrix(prices, catalog["sku"].tolist(), END)
    forecaster = ServedForecaster(refit_days=7)
    day = wide.index.get_loc(pd.Timestamp(START))
    first, models = forecaster(wide.iloc[: day + 1])
    assert forecaster.fits == 2  # one training per product with prices
    assert models.columns.tolist() == ["sku", "status", "beats_naive", "beats_seasonal_naive"]
    assert set(models["status"]) == {"trained"}
    assert (pd.to_datetime(first["ds"]) > pd.Timestamp(START)).all()
    # Three days later: no retraining, the same models forecast from the newer history,
    # anchored on its last observed price.
    later = wide.iloc[: day + 4]
    forecasts, _ = forecaster(later)
    assert forecaster.fits == 2
    assert (pd.to_datetime(forecasts["ds"]) > later.index[-1]).all()
    assert pd.to_datetime(forecasts["ds"]).min() == later.index[-1] + pd.Timedelta(days=1)
    for sku in catalog["sku"]:
        if later[sku].last_valid_index() == wide.index[day]:
            continue  # no newer price: nothing to re-anchor on
        mine = forecasts[forecasts["sku"] == sku].set_index("ds")["yhat"]
        before = first[first["sku"] == sku].set_index("ds")["yhat"]
        shared = mine.index.intersection(before.index)
        assert len(shared) >= 25
        assert not np.allclose(mine[shared], before[shared])  # moved with the newer price
    # A week after the training, a product with a newer price is trained again.
    forecaster(wide.iloc[: day + 8])
    assert forecaster.fits == 4
