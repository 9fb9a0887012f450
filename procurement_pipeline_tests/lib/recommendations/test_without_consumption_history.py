"""Advice for products without a consumption history (issue 14, item 2): the use their minimum
stock implies (lib.consumption.use_for_advice), the reason marked "sem histórico de consumo"
and the confidence low; products with a history keep theirs."""

from __future__ import annotations

import datetime as dt

import pytest

from procurement_pipeline.lib.consumption import use_for_advice
from procurement_pipeline.lib.recommendations import recommend
from procurement_pipeline.lib.recommendations.messages import NO_CONSUMPTION_HISTORY_NOTE
from procurement_pipeline_tests.lib.recommendations.conftest import AS_OF, make_case

ROWS = [
    # Measured: 5 a day.
    {"sku": "HIST", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
    # Without history the minimum is the lead time's use: 10 over 5 days = 2 a day.
    {"sku": "BELOW", "stock": 4, "minimum": 10, "lead": 5, "use": 0},
    {"sku": "SOON", "stock": 60, "minimum": 10, "lead": 5, "use": 0},
    {"sku": "PLENTY", "stock": 500, "minimum": 10, "lead": 5, "use": 0},
]


@pytest.fixture
def recs():
    products, consumption, forecasts, models, today = make_case(ROWS)
    estimates = consumption[consumption["sku"] == "HIST"].assign(days_observed=56)
    use = use_for_advice(products, estimates)
    return recommend(products, use, forecasts, models, today, AS_OF).set_index("sku")


def test_use_implied_by_the_minimum_drives_the_stock_rule(recs):
    assert recs.loc["BELOW", "action"] == "buy_now"
    assert recs.loc["SOON", "daily_consumption"] == pytest.approx(2.0)
    # Latest safe order day (60 - 10) / 2 - 5 = 20 days from today.
    assert recs.loc["SOON", "action"] == "buy_by"
    assert recs.loc["SOON", "urgency_days"] == pytest.approx(20.0)
    assert recs.loc["SOON", "action_date"] == AS_OF + dt.timedelta(days=20)
    # Enough for the lead time and the horizon at the implied use: 10 + 2 * (20 + 5 + 30) - 60.
    assert recs.loc["SOON", "suggested_quantity"] == pytest.approx(60.0)
    assert recs.loc["PLENTY", "action"] == "no_need"


def test_marked_without_history_and_low_confidence(recs):
    for sku in ("BELOW", "SOON", "PLENTY"):
        assert recs.loc[sku, "confidence"] == "low"
        reason = recs.loc[sku, "reason"]
        assert reason.startswith(NO_CONSUMPTION_HISTORY_NOTE[:-1] + " — "), reason
        assert "sem histórico de consumo" in reason.lower()
    assert recs.loc["HIST", "confidence"] == "normal"
    assert "histórico de consumo" not in recs.loc["HIST", "reason"]


def test_callers_without_the_flag_keep_their_meaning():
    """A consumption frame without ``measured`` (the replay, older callers): every use is a
    measured one, and a product without a row uses nothing."""
    products, consumption, forecasts, models, today = make_case(ROWS)
    recs = recommend(products, consumption, forecasts, models, today, AS_OF).set_index("sku")
    assert (recs["confidence"] == "normal").all()
    assert recs.loc["SOON", "daily_consumption"] == 0.0
    assert recs.loc["SOON", "action"] == "no_need"
