from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.history.cleaning import build_daily_history
from procurement_pipeline.lib.history.synthetic import (
    SyntheticSettings,
    generate_synthetic_history,
    synthetic_anchors,
)
from procurement_pipeline.lib.warehouse.schema import price_observations

ANCHOR_DAY = pd.Timestamp("2025-06-30")


def anchors(prices: dict[str, float], day=ANCHOR_DAY) -> pd.DataFrame:
    return pd.DataFrame(
        {"sku": list(prices), "anchor_price": list(prices.values()), "anchor_day": day}
    )


def test_columns_match_price_observations():
    out = generate_synthetic_history(anchors({"A": 10.0}))
    expected = [c.name for c in price_observations.columns if c.name != "id"]
    assert list(out.columns) == expected
    assert (out["source"] == "synthetic").all() and out["is_synthetic"].all()
    assert out["window_start"].isna().all() and out["seller"].isna().all()
    assert out["listing_url"].isna().all() and out["offers_considered"].isna().all()
    assert (out["currency"] == "BRL").all()


def test_days_ending_on_anchor_day_at_noon_and_anchored_on_the_last_price():
    settings = SyntheticSettings(days=180)
    out = generate_synthetic_history(anchors({"A": 123.45, "B": 7.0}), settings)
    for sku, price in (("A", 123.45), ("B", 7.0)):
        series = out[out["sku"] == sku].sort_values("observed_at")
        assert len(series) == 180
        assert series["observed_at"].iloc[-1] == ANCHOR_DAY + pd.Timedelta(hours=12)
        assert series["observed_at"].iloc[0] == ANCHOR_DAY - pd.Timedelta(days=179, hours=-12)
        assert series["observed_at"].diff().dropna().eq(pd.Timedelta(days=1)).all()
        assert series["price"].iloc[-1] == price
    assert (out["price"] == out["price"].round(2)).all()


def test_deterministic_for_a_seed_and_stable_per_sku():
    first = generate_synthetic_history(anchors({"A": 10.0, "B": 20.0}), SyntheticSettings(seed=1))
    again = generate_synthetic_history(anchors({"A": 10.0, "B": 20.0}), SyntheticSettings(seed=1))
    pd.testing.assert_frame_equal(first, again)
    alone = generate_synthetic_history(anchors({"A": 10.0}), SyntheticSettings(seed=1))
    pd.testing.assert_frame_equal(
        first[first["sku"] == "A"].reset_index(drop=True), alone.reset_index(drop=True)
    )
    other = generate_synthetic_history(anchors({"A": 10.0, "B": 20.0}), SyntheticSettings(seed=2))
    assert not np.array_equal(first["price"].to_numpy(), other["price"].to_numpy())
    # distinct SKUs get distinct paths (relative to their anchor)
    a = first[first["sku"] == "A"]["price"].to_numpy() / 10.0
    b = first[first["sku"] == "B"]["price"].to_numpy() / 20.0
    assert not np.allclose(a, b)


def test_weekend_discount_and_month_start_promotion_are_exact_without_noise():
    settings = SyntheticSettings(
        days=120,
        noise=0.0,
        seasonality_amplitude=0.0,
        weekend_discount=0.05,
        promotion_discount=0.10,
        promotion_days=3,
    )
    # anchor on a plain weekday (Wednesday 2025-06-18) so the base level is the anchor price
    out = generate_synthetic_history(anchors({"A": 100.0}, pd.Timestamp("2025-06-18")), settings)
    day = out["observed_at"]
    weekend = day.dt.day_of_week >= 5
    promo = day.dt.day <= 3
    assert np.allclose(out.loc[~weekend & ~promo, "price"], 100.0)
    assert np.allclose(out.loc[weekend & ~promo, "price"], 95.0)
    assert np.allclose(out.loc[~weekend & promo, "price"], 90.0)
    assert np.allclose(out.loc[weekend & promo, "price"], 85.5)


def test_weekend_and_promotion_visible_with_default_noise():
    out = generate_synthetic_history(anchors({f"S{i}": 50.0 + i for i in range(50)}))
    relative = out["price"] / out.groupby("sku")["price"].transform("median")
    day = out["observed_at"]
    weekend = day.dt.day_of_week >= 5
    promo = day.dt.day <= 3
    plain = relative[~weekend & ~promo].mean()
    assert relative[weekend & ~promo].mean() < plain * 0.985
    assert relative[promo & ~weekend].mean() < plain * 0.95


def test_invalid_anchor_price_is_a_clear_error():
    with pytest.raises(ValueError, match="BAD"):
        generate_synthetic_history(anchors({"OK": 1.0, "BAD": 0.0}))


def test_synthetic_rows_never_reach_the_daily_history():
    out = generate_synthetic_history(anchors({"A": 10.0}))
    daily, report = build_daily_history(out)
    assert len(daily) == 0 and report.synthetic_ignored == len(out)


def test_anchors_prefer_the_last_real_price_over_the_reference():
    products = pd.DataFrame(
        {
            "sku": ["A", "B", "GONE"],
            "reference_price": [10.0, 20.0, 30.0],
            "active": [True, True, False],
        }
    )
    last = pd.DataFrame({"sku": ["A", "GONE"], "price": [12.5, 31.0]})
    result = synthetic_anchors(products, last, date(2025, 6, 30)).set_index("sku")
    assert set(result.index) == {"A", "B"}
    assert result.loc["A", "anchor_price"] == 12.5
    assert result.loc["A", "anchor_source"] == "last_real"
    assert result.loc["B", "anchor_price"] == 20.0
    assert result.loc["B", "anchor_source"] == "reference"
    assert (result["anchor_day"] == pd.Timestamp("2025-06-30")).all()
    series = generate_synthetic_history(result.reset_index(), SyntheticSettings(days=30))
    last_rows = series.sort_values("observed_at").groupby("sku").tail(1).set_index("sku")
    assert last_rows.loc["A", "price"] == 12.5 and last_rows.loc["B", "price"] == 20.0
