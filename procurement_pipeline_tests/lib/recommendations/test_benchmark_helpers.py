"""The arithmetic of benchmarks/recommendations.py: cost per unit consumed, savings, price
paid vs the mean, per-kind summaries, and the real series turned into products."""

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from benchmarks.recommendations import (
    NAIVE,
    NO_FORECAST,
    REAL_PRICES,
    buyer_summary,
    cost_per_unit,
    kind_summaries,
    price_paid_ratio,
    product_table,
    real_products,
    saving_vs,
    steady_use,
)
from tools.recommendation_replay import ReplayResult


def per_product(total_cost, demand, unmet, spend=None, bought=None, mean_price=None):
    n = len(total_cost)
    spend = spend or [1.0] * n
    bought = bought or [1.0] * n
    return pd.DataFrame(
        {
            "sku": [f"S{i}" for i in range(n)],
            "days": 10,
            "orders": 1,
            "total_cost": total_cost,
            "holding_cost": 0.0,
            "demand_quantity": demand,
            "unmet_quantity": unmet,
            "stockout_days": [int(u > 0) for u in unmet],
            "min_stock": 0.0,
            "average_price_paid": np.array(spend) / np.array(bought),
            "mean_price": mean_price or [1.0] * n,
        }
    )


def result(per: pd.DataFrame) -> ReplayResult:
    return ReplayResult(
        policy="naive", start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 10), products=len(per),
        days=10 * len(per), spend=0.0, quantity_bought=0.0, orders=pd.DataFrame(),
        stockout_days=0, products_with_stockout=0, unmet_quantity=0.0, demand_quantity=0.0,
        ending_value=0.0, holding_cost=0.0, min_stock=0.0, per_product=per,
    )  # fmt: skip


def test_cost_per_unit_counts_only_what_was_consumed():
    per = per_product([1000.0, 900.0, 50.0], demand=[100.0, 100.0, 0.0], unmet=[0.0, 10.0, 0.0])
    cost = cost_per_unit(per)
    assert cost["S0"] == 10.0
    assert cost["S1"] == 10.0  # 900 for the 90 units it did serve: not cheaper for running out
    assert np.isnan(cost["S2"])  # nothing consumed: no unit cost


def test_saving_against_a_baseline():
    mine = per_product([950.0, 1100.0], demand=[100.0, 100.0], unmet=[0.0, 0.0])
    base = per_product([1000.0, 1000.0], demand=[100.0, 100.0], unmet=[0.0, 0.0])
    saving = saving_vs(mine, base)
    assert saving["S0"] == pytest.approx(0.05)
    assert saving["S1"] == pytest.approx(-0.10)


def test_price_paid_against_the_mean_price():
    per = per_product([1.0, 1.0], [1.0, 1.0], [0.0, 0.0], spend=[90.0, 220.0],
                      bought=[10.0, 20.0], mean_price=[10.0, 10.0])  # fmt: skip
    ratio = price_paid_ratio(per)
    assert ratio.tolist() == pytest.approx([0.9, 1.1])


def test_product_table_and_kind_summaries():
    naive = per_product([1000.0, 1000.0, 1000.0], [100.0] * 3, [0.0, 5.0, 0.0])
    plain = per_product([990.0, 1000.0, 1000.0], [100.0] * 3, [0.0, 0.0, 0.0])
    advice = per_product([980.0, 1010.0, 970.0], [100.0] * 3, [0.0, 0.0, 0.0])
    results = {"advice_served": result(advice), NO_FORECAST: result(plain), NAIVE: result(naive)}
    kinds = {"S0": "marketplace", "S1": "marketplace", "S2": "commodity"}
    table = product_table(results, kinds)
    assert len(table) == 9
    served = table[table["buyer"] == "advice_served"].set_index("sku")
    assert served.loc["S0", "saving_vs_no_forecast"] == pytest.approx(1 - 980 / 990)
    assert served.loc["S1", "saving_vs_naive"] == pytest.approx(1 - 10.1 / (1000 / 95))
    summaries = kind_summaries(table)
    assert set(summaries) == {"all", "marketplace", "commodity"}
    market = summaries["marketplace"]["advice_served"]
    assert market["saving_vs_no_forecast_median"] == pytest.approx(
        np.median([1 - 980 / 990, 1 - 1010 / 1000]), abs=1e-5
    )
    assert market["forecast_earns_share"] == 0.5 and market["forecast_costs_share"] == 0.5
    assert summaries["marketplace"][NAIVE]["stockout_days"] == 1
    assert summaries["all"]["advice_served"]["products"] == 3
    assert buyer_summary(table[table["buyer"] == NAIVE])["saving_vs_naive_median"] == 0.0


def test_steady_use_is_seeded_per_series_and_never_negative():
    a = steady_use("x", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 10.0, 0.3, seed=1)
    again = steady_use("x", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 10.0, 0.3, seed=1)
    other = steady_use("y", dt.date(2026, 1, 1), dt.date(2026, 12, 31), 10.0, 0.3, seed=1)
    pd.testing.assert_frame_equal(a, again)
    assert not np.array_equal(a["quantity"], other["quantity"])
    assert len(a) == 365 and (a["quantity"] >= 0).all()
    assert a["quantity"].mean() == pytest.approx(10.0, rel=0.05)
    assert a["quantity"].std() == pytest.approx(3.0, rel=0.15)


def test_real_series_become_products_over_their_own_days():
    catalog, prices, use, starts, ends, kinds = real_products(
        REAL_PRICES, warmup_days=60, max_days=365, use_per_day=10.0, use_cv=0.3, lead_days=7,
        horizon_days=30, window_days=56, seed=16, limit=6,
    )  # fmt: skip
    assert set(kinds.values()) == {"marketplace", "commodity", "fx"}
    assert len(catalog) == 6 and catalog["sku"].is_unique
    assert (catalog["lead_time_days"] == 7).all() and (catalog["minimum_stock"] == 70).all()
    for sku in catalog["sku"]:
        days = prices.loc[prices["sku"] == sku, "day"]
        assert starts[sku] >= days.min().date() + dt.timedelta(days=60)
        assert ends[sku] == days.max().date()
        assert (ends[sku] - starts[sku]).days < 365
        mine = use[use["sku"] == sku]
        assert mine["day"].min() == starts[sku] - dt.timedelta(days=56)
        assert mine["day"].max() == ends[sku]
