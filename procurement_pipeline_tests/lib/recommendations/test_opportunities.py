import datetime as dt

import pandas as pd

from procurement_pipeline.lib.recommendations import (
    RecommendationSettings,
    opportunities,
    opportunity_key,
    recommend,
)
from procurement_pipeline.lib.recommendations.messages import (
    action_label,
    build_opportunity_message,
)
from procurement_pipeline_tests.lib.recommendations.conftest import AS_OF, make_case

ROWS = [
    {"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5},  # buy_by: needed
    {"sku": "B", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
    {"sku": "C", "stock": 900, "minimum": 50, "lead": 10, "use": 5},  # no_need
]


def setup():
    products, consumption, forecasts, models, today = make_case(ROWS)
    recs = recommend(products, consumption, forecasts, models, today, AS_OF)
    window = dt.datetime(2026, 11, 25, 8, 0)
    # yhat_lower is 9.50 (yhat 10, lower 0.95 x); margin 5 % -> alert under 9.025.
    new_prices = pd.DataFrame(
        {"sku": ["A", "B", "C"], "price": [8.0, 9.2, 8.0], "window_start": [window] * 3}
    )
    return new_prices, forecasts, recs, window


def test_margin_rule_and_need_within_horizon():
    new_prices, forecasts, recs, window = setup()
    found = opportunities(new_prices, forecasts, recs, RecommendationSettings())
    assert found["sku"].tolist() == ["A"]  # B not far enough below, C not needed
    row = found.iloc[0]
    assert row["notification_key"] == "opportunity:A:2026-11-25T08:00"
    assert row["below_lower_pct"] == 1 - 8.0 / 9.5
    assert row["expected_saving"] == round((10.0 - 8.0) * row["suggested_quantity"], 2)
    # A looser margin lets B through too.
    looser = opportunities(
        new_prices, forecasts, recs, RecommendationSettings(opportunity_margin=0.0)
    )
    assert sorted(looser["sku"]) == ["A", "B"]


def test_key_is_deterministic_per_product_and_window():
    assert opportunity_key("A", dt.datetime(2026, 11, 25, 16, 0, 12)) == (
        "opportunity:A:2026-11-25T16:00"
    )
    assert opportunity_key("A", "2026-11-25T16:00:00") == opportunity_key(
        "A", pd.Timestamp("2026-11-25 16:00")
    )
    new_prices, forecasts, recs, _ = setup()
    twice = pd.concat([new_prices, new_prices], ignore_index=True)
    found = opportunities(twice, forecasts, recs)
    assert found["notification_key"].is_unique


def test_window_outside_the_forecast_raises_nothing():
    new_prices, forecasts, recs, _ = setup()
    new_prices["window_start"] = dt.datetime(2027, 3, 1)
    assert opportunities(new_prices, forecasts, recs).empty


def test_message():
    new_prices, forecasts, recs, _ = setup()
    row = opportunities(new_prices, forecasts, recs).iloc[0].to_dict()
    message = build_opportunity_message(row, to="compras@example.com", sender="pp@example.com")
    assert message["Subject"].startswith("[OPORTUNIDADE] A - Produto A: R$ 8,00")
    text = message.get_body(("plain",)).get_content()
    assert "R$ 8,00" in text and "R$ 9,50 a R$ 10,50" in text
    assert "Comprar até 14/12/2026" in text
    assert "150 metros" in text
    html = message.get_body(("html",)).get_content()
    assert "<table" in html
    assert action_label("buy_now") == "Comprar agora"
