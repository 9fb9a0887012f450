"""Opportunity alerts' ledger side: when a window is judged, its key read back, each
opportunity's e-mail (no Dagster)."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from procurement_pipeline.lib.recommendations import (
    OPPORTUNITY_COLUMNS,
    RecommendationSettings,
    opportunities,
    opportunity_key,
    recommend,
)
from procurement_pipeline.lib.recommendations.opportunity_alerts import (
    SETTLE_TIMEOUT,
    find_opportunities,
    opportunity_message,
    parse_opportunity_key,
    window_ready,
)
from procurement_pipeline_tests.lib.recommendations.conftest import AS_OF, make_case

WINDOW = dt.datetime(2026, 11, 25, 8, 0)


def found_in_window() -> pd.DataFrame:
    rows = [
        {"sku": "A", "stock": 200, "minimum": 50, "lead": 10, "use": 5},
        {"sku": "C", "stock": 900, "minimum": 50, "lead": 10, "use": 5},
    ]
    products, consumption, forecasts, models, today = make_case(rows)
    recs = recommend(products, consumption, forecasts, models, today, AS_OF)
    prices = pd.DataFrame({"sku": ["A", "C"], "price": [8.0, 8.0], "window_start": [WINDOW] * 2})
    return opportunities(prices, forecasts, recs, RecommendationSettings())


def test_a_window_waits_for_its_cycle_unless_it_is_too_old():
    young, old = dt.timedelta(hours=1), SETTLE_TIMEOUT
    assert window_ready(True, young)
    assert not window_ready(False, young) and not window_ready(None, young)
    assert window_ready(False, old) and window_ready(None, old + dt.timedelta(seconds=1))


@pytest.mark.parametrize("sku", ["TEC-00001", "PAR/M6x20:INOX"])
def test_opportunity_key_is_read_back(sku):
    assert parse_opportunity_key(opportunity_key(sku, WINDOW)) == (sku, WINDOW)


@pytest.mark.parametrize("key", ["run_failed:abc", "opportunity:2026-11-25T08:00", ""])
def test_other_keys_are_refused(key):
    with pytest.raises(ValueError, match="not an opportunity key"):
        parse_opportunity_key(key)


def test_each_opportunity_has_its_message_and_a_vanished_one_none():
    found = found_in_window()
    key = opportunity_key("A", WINDOW)
    assert found["notification_key"].tolist() == [key]
    message = opportunity_message(
        found,
        key,
        to="comprador@example.com",
        sender="pipeline@example.com",
        run_id="run-9",
        dagster_base_url="http://dagster.example:3000",
    )
    assert message["Subject"].startswith("[OPORTUNIDADE] A")
    assert "http://dagster.example:3000/runs/run-9" in message.get_body(("plain",)).get_content()
    with pytest.raises(LookupError, match="no longer an opportunity"):
        opportunity_message(
            found,
            opportunity_key("C", WINDOW),
            to="comprador@example.com",
            sender=None,
            run_id=None,
            dagster_base_url=None,
        )


def test_a_window_without_observations_has_no_opportunities(sqlite_engine):
    found = find_opportunities(sqlite_engine, WINDOW, RecommendationSettings())
    assert found.empty and list(found.columns) == list(OPPORTUNITY_COLUMNS)
