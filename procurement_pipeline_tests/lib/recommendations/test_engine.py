import datetime as dt

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.recommendations import (
    RECOMMENDATION_COLUMNS,
    RecommendationSettings,
    recommend,
    round_quantity,
)
from procurement_pipeline.lib.recommendations.engine import (
    NO_MODEL_NOTE,
    UNTRUSTED_MODEL_NOTE,
)
from procurement_pipeline_tests.lib.recommendations.conftest import AS_OF, make_case


def run(rows, **kwargs):
    settings = kwargs.pop("settings", None)
    recs = recommend(*make_case(rows, **kwargs), AS_OF, settings)
    return recs.set_index("sku", drop=False)


def dip(day: int, price: float, base: float = 10.0) -> list[float]:
    values = [base] * 30
    values[day - 1] = price
    return values


def test_buy_now_when_stock_reaches_minimum_plus_lead_time_use():
    # Reorder level 50, lead time use 5 x 10 = 50: a stock of 100 must be ordered today.
    recs = run([{"sku": "A", "stock": 100, "minimum": 50, "lead": 10, "use": 5}])
    row = recs.loc["A"]
    assert row["action"] == "buy_now"
    assert row["action_date"] == AS_OF
    assert row["urgency_days"] == 0
    # Covers lead time + horizon: 50 + 5 * (10 + 30) - 100.
    assert row["suggested_quantity"] == 150
    assert row["expected_unit_price"] == row["price_today"] == 10.0
    assert row["expected_saving"] == 0
    assert bool(row["trusted_model"])
    assert "compre 150 metros agora" in row["reason"]
    assert list(recs.columns) == RECOMMENDATION_COLUMNS


def test_buy_now_when_already_below_minimum():
    recs = run([{"sku": "A", "stock": 20, "minimum": 50, "lead": 10, "use": 5}])
    assert recs.loc["A", "action"] == "buy_now"
    assert "abaixo do mínimo" in recs.loc["A", "reason"]
    assert recs.loc["A", "suggested_quantity"] == 50 + 5 * 40 - 20


def test_wait_until_a_clear_price_dip_the_stock_covers():
    # Latest safe order in 20 days; the forecast dips 10 % on day 10.
    recs = run(
        [{"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5}],
        forecast={"A": dip(10, 9.0)},
    )
    row = recs.loc["A"]
    assert row["action"] == "wait_until"
    assert row["action_date"] == dt.date(2026, 12, 4)
    assert row["suggested_quantity"] == 50 + 5 * (10 + 10 + 30) - 200
    assert row["expected_unit_price"] == pytest.approx(9.0)
    assert row["expected_saving"] == pytest.approx(100.0)
    assert row["reason"].startswith(
        "Estoque cobre 40 dias e o preço deve cair 10,0% até 04/12/2026"
    )
    assert "espere até lá e compre 100 metros" in row["reason"]


def test_dip_after_the_latest_safe_day_is_ignored():
    recs = run(
        [{"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5}],
        forecast={"A": dip(25, 8.0)},
    )
    assert recs.loc["A", "action"] == "buy_by"
    assert recs.loc["A", "action_date"] == dt.date(2026, 12, 14)


def test_buy_by_when_no_price_move_is_expected():
    recs = run([{"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5}])
    row = recs.loc["A"]
    assert row["action"] == "buy_by"
    assert row["action_date"] == AS_OF + dt.timedelta(days=20)
    assert row["urgency_days"] == 20
    assert row["suggested_quantity"] == 50 + 5 * (20 + 10 + 30) - 200
    assert "até 14/12/2026" in row["reason"]


def test_buy_now_when_a_rise_is_forecast():
    recs = run(
        [{"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5}],
        forecast={"A": [11.0] * 30},
    )
    row = recs.loc["A"]
    assert row["action"] == "buy_now"
    assert row["suggested_quantity"] == 50
    assert "O preço deve subir" in row["reason"]


def test_no_need_when_stock_covers_the_horizon():
    recs = run(
        [
            {"sku": "A", "stock": 300, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "B", "stock": 60, "minimum": 50, "lead": 10, "use": 0},
        ]
    )
    for sku in ("A", "B"):
        assert recs.loc[sku, "action"] == "no_need"
        assert recs.loc[sku, "action_date"] is None
        assert recs.loc[sku, "suggested_quantity"] == 0
        assert "não é preciso comprar" in recs.loc[sku, "reason"]
    assert recs.loc["A", "days_of_cover"] == 60


def test_no_use_and_below_minimum_restores_the_minimum():
    recs = run([{"sku": "A", "stock": 40, "minimum": 50, "lead": 10, "use": 0, "unit": "caixa"}])
    assert recs.loc["A", "action"] == "buy_now"
    assert recs.loc["A", "suggested_quantity"] == 10


def test_untrusted_model_falls_back_to_stock_rule_and_todays_price():
    rows = [
        {"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
        {"sku": "B", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
        {"sku": "C", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
    ]
    recs = run(
        rows,
        forecast={"A": dip(10, 8.0), "B": dip(10, 8.0), "C": dip(10, 8.0)},
        beats={"A": False},
        status={"B": "skipped", "C": "skipped"},
    )
    for sku in ("A", "B"):
        row = recs.loc[sku]
        assert row["action"] == "buy_by"  # the dip is not trusted
        assert not row["trusted_model"]
        assert row["expected_unit_price"] == row["price_today"] == 10.0
        assert row["expected_saving"] == 0
    assert recs.loc["A", "reason"].startswith(UNTRUSTED_MODEL_NOTE[:-1])
    assert recs.loc["A", "model_note"] == "not_beating_baselines"
    assert recs.loc["B", "reason"].startswith(NO_MODEL_NOTE[:-1])
    assert recs.loc["C", "action"] == "buy_now"
    assert "regra de estoque pelo preço de hoje" in recs.loc["C", "reason"]


def test_missing_market_price_uses_the_reference_price_and_is_not_trusted():
    products, consumption, forecasts, models, today = make_case(
        [{"sku": "A", "stock": 100, "minimum": 50, "lead": 10, "use": 5, "ref": 12.0}]
    )
    recs = recommend(products, consumption, forecasts, models, today.iloc[0:0], AS_OF)
    assert recs.loc[0, "price_today"] == 12.0
    assert recs.loc[0, "price_source"] == "reference"
    assert not recs.loc[0, "trusted_model"]
    assert "preço de referência do catálogo" in recs.loc[0, "reason"]


def test_inactive_products_are_left_out():
    products, *rest = make_case(
        [
            {"sku": "A", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
            {"sku": "B", "stock": 100, "minimum": 50, "lead": 10, "use": 5},
        ]
    )
    products["active"] = [True, False]
    recs = recommend(products, *rest, AS_OF)
    assert recs["sku"].tolist() == ["A"]


def test_rounding_per_unit():
    np.testing.assert_array_equal(
        round_quantity([3.01, 3.01, 3.0, 0.0, -2.0], ["caixa", "metro", "galão", "kg", "par"]),
        [4.0, 3.1, 3.0, 0.0, 0.0],
    )
    recs = run([{"sku": "A", "stock": 10, "minimum": 5, "lead": 3, "use": 1.3, "unit": "lata"}])
    assert recs.loc["A", "suggested_quantity"] == np.ceil(5 + 1.3 * 33 - 10)


def test_quantities_keep_stock_above_minimum_through_lead_time_and_horizon():
    rng = np.random.default_rng(7)
    n = 400
    rows = [
        {
            "sku": f"P{i}",
            "stock": float(rng.uniform(0, 400)),
            "minimum": float(rng.uniform(1, 100)),
            "lead": int(rng.integers(1, 30)),
            "use": float(rng.uniform(0.1, 10)),
            "std": float(rng.uniform(0, 3)),
            "unit": ["metro", "caixa", "unidade", "kg"][i % 4],
        }
        for i in range(n)
    ]
    forecast = {f"P{i}": list(10 * np.exp(rng.normal(0, 0.05, 30))) for i in range(n)}
    recs = run(rows, forecast=forecast)
    horizon = 30
    for r in rows:
        rec = recs.loc[r["sku"]]
        if rec["action"] == "no_need":
            # Stock lasts through the horizon and a lead time after it.
            assert r["stock"] - r["use"] * (horizon + r["lead"]) >= r["minimum"] - 1e-6
            continue
        k = (rec["action_date"] - AS_OF).days
        assert (
            r["stock"] - r["use"] * (k + r["lead"] + horizon) + rec["suggested_quantity"]
            >= r["minimum"] - 1e-6
        )
        if r["stock"] - r["use"] * r["lead"] >= rec["reorder_level"]:
            # Not late already: the stock does not dip under the minimum before delivery.
            assert r["stock"] - r["use"] * (k + r["lead"]) >= r["minimum"] - 1e-6
    assert set(recs["action"]) == {"buy_now", "buy_by", "wait_until", "no_need"}


def test_three_thousand_products_get_one_recommendation_each():
    # Speed is measured by benchmarks/recommendations.py, not asserted here.
    rng = np.random.default_rng(1)
    n = 3000
    rows = [
        {
            "sku": f"P{i:05d}",
            "stock": float(rng.uniform(0, 400)),
            "minimum": float(rng.uniform(1, 100)),
            "lead": int(rng.integers(1, 30)),
            "use": float(rng.uniform(0, 10)),
            "std": 1.0,
        }
        for i in range(n)
    ]
    forecast = {r["sku"]: list(10 * np.exp(rng.normal(0, 0.03, 30))) for r in rows}
    inputs = make_case(rows, forecast=forecast)
    recs = recommend(*inputs, AS_OF, RecommendationSettings())
    assert len(recs) == n
    assert recs["sku"].is_unique
    assert recs["reason"].str.len().min() > 20


def test_settings_are_validated():
    with pytest.raises(ValueError):
        RecommendationSettings(horizon_days=0)
    with pytest.raises(ValueError):
        RecommendationSettings(opportunity_margin=1.5)


def test_forecast_kind_and_dates_outside_the_horizon_are_ignored():
    products, consumption, forecasts, models, today = make_case(
        [{"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5}],
        forecast={"A": dip(10, 9.0)},
    )
    forecasts["kind"] = "holdout"
    recs = recommend(products, consumption, forecasts, models, today, AS_OF)
    assert recs.loc[0, "action"] == "buy_by"
    assert recs.loc[0, "model_note"] == "no_forecast"
    forecasts["kind"] = "future"
    later = recommend(
        products, consumption, forecasts, models, today, AS_OF + dt.timedelta(days=15)
    )
    assert later.loc[0, "action"] != "wait_until"  # the dip day is now in the past
    assert isinstance(pd.Timestamp(later.loc[0, "as_of"]), pd.Timestamp)
