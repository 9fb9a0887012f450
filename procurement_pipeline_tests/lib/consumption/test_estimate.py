import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.consumption import (
    ADVICE_USE_COLUMNS,
    days_of_cover,
    expected_consumption,
    use_for_advice,
)


def test_hand_made_series_counts_missing_days_as_zero():
    # 7-day window ending 2026-11-07: A uses 7 on four days, nothing on three (no lines).
    rows = [(dt.date(2026, 11, d), "A", 7.0) for d in (1, 2, 3, 4)]
    rows += [(dt.date(2026, 11, 8), "A", 1000.0)]  # after as_of: ignored
    rows += [(dt.date(2026, 10, 1), "B", 5.0)]  # before the window
    frame = pd.DataFrame(rows, columns=["day", "sku", "quantity"])
    est = expected_consumption(
        frame, dt.date(2026, 11, 7), window_days=7, skus=["A", "B", "C"]
    ).set_index("sku")
    assert est.loc["A", "daily_mean"] == pytest.approx(4.0)
    expected_std = np.std([7, 7, 7, 7, 0, 0, 0], ddof=1)
    assert est.loc["A", "daily_std"] == pytest.approx(expected_std)
    assert est.loc["A", "daily_mean_se"] == pytest.approx(expected_std / math.sqrt(7))
    assert est.loc["A", "days_observed"] == 7
    assert est.loc["B", "daily_mean"] == 0.0
    assert est.loc["C", "daily_mean"] == 0.0


def test_window_starts_at_coverage_start():
    frame = pd.DataFrame(
        {
            "day": [dt.date(2026, 11, 6), dt.date(2026, 11, 7)],
            "sku": ["A", "A"],
            "quantity": [2.0, 4.0],
        }
    )
    est = expected_consumption(frame, dt.date(2026, 11, 7), window_days=56)
    assert est["days_observed"].tolist() == [2]
    assert est["daily_mean"].tolist() == [3.0]
    est = expected_consumption(
        frame, dt.date(2026, 11, 7), window_days=56, coverage_start=dt.date(2026, 11, 4)
    )
    assert est["daily_mean"].tolist() == [1.5]


def test_days_of_cover():
    assert days_of_cover(30, 3) == 10
    assert days_of_cover(30, 0) == math.inf
    assert days_of_cover(0, 0) == 0
    assert days_of_cover(-5, 2) == 0
    np.testing.assert_allclose(days_of_cover(np.array([10.0, 4.0]), np.array([2.0, 4.0])), [5, 1])
    series = days_of_cover(pd.Series([10.0], index=["A"]), pd.Series([5.0], index=["A"]))
    assert series.loc["A"] == 2.0


def test_empty_frame_observes_nothing():
    empty = pd.DataFrame(columns=["day", "sku", "quantity"])
    est = expected_consumption(empty, dt.date(2026, 11, 7), skus=["A"])
    assert est.to_dict("records") == [
        {"sku": "A", "daily_mean": 0.0, "daily_std": 0.0, "daily_mean_se": 0.0, "days_observed": 0}
    ]


def test_use_for_advice_takes_the_minimum_as_the_lead_times_use_without_a_history():
    """Issue 14, item 2: products without a consumption history (none loaded, or added to the
    catalog after the last load) get the use their minimum stock implies, flagged."""
    products = pd.DataFrame(
        {
            "sku": ["MEASURED", "NEW", "NO-LEAD", "NO-MIN", "EMPTY-WINDOW"],
            "minimum_stock": [10.0, 10.0, 6.0, 0.0, 8.0],
            "lead_time_days": [5, 5, 0, 7, 4],
        }
    )
    estimates = pd.DataFrame(
        {
            "sku": ["MEASURED", "EMPTY-WINDOW", "GONE"],
            "daily_mean": [3.5, 0.0, 9.0],
            "daily_std": [1.2, 0.0, 1.0],
            "daily_mean_se": [0.2, 0.0, 0.1],
            "days_observed": [56, 0, 56],
        }
    )
    use = use_for_advice(products, estimates).set_index("sku")
    assert list(use.columns) == ADVICE_USE_COLUMNS[1:]
    assert list(use.index) == list(products["sku"])
    assert use.loc["MEASURED"].to_dict() == {
        "daily_mean": 3.5,
        "daily_std": 1.2,
        "daily_mean_se": 0.2,
        "days_observed": 56,
        "measured": True,
    }
    assert use.loc["NEW", "daily_mean"] == pytest.approx(2.0)  # 10 over 5 days
    assert use.loc["NO-LEAD", "daily_mean"] == pytest.approx(6.0)  # at least one day
    assert use.loc["NO-MIN", "daily_mean"] == 0.0
    assert use.loc["EMPTY-WINDOW", "daily_mean"] == pytest.approx(2.0)  # nothing observed
    assert not use.loc[["NEW", "NO-LEAD", "NO-MIN", "EMPTY-WINDOW"], "measured"].any()
    assert (use.loc[~use["measured"], "daily_std"] == 0).all()
    # Nothing loaded at all.
    none = use_for_advice(products, pd.DataFrame())
    assert not none["measured"].any()
    assert none["daily_mean"].tolist() == pytest.approx([2.0, 2.0, 6.0, 0.0, 2.0])
