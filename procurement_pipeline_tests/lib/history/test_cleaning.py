from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.history.cleaning import (
    OUTPUT_COLUMNS,
    HistorySettings,
    build_daily_history,
)

DAY0 = datetime(2025, 3, 1)


def obs(sku, day, price, hour=12, currency="BRL", synthetic=False):
    return {
        "sku": sku,
        "observed_at": DAY0 + timedelta(days=day, hours=hour),
        "price": price,
        "currency": currency,
        "is_synthetic": synthetic,
    }


def frame(rows):
    return pd.DataFrame(rows, columns=["sku", "observed_at", "price", "currency", "is_synthetic"])


def steady(sku, days, price=100.0, per_day=3):
    """per_day observations a day, a tiny deterministic wiggle around ``price``."""
    rows = []
    for d in days:
        for k in range(per_day):
            rows.append(obs(sku, d, price * (1 + 0.002 * ((d + k) % 3 - 1)), hour=2 + 8 * k))
    return rows


def row(daily, sku, day):
    hit = daily[(daily["sku"] == sku) & (daily["day"] == pd.Timestamp(DAY0 + timedelta(day)))]
    assert len(hit) == 1, f"expected one row for {sku} day {day}, got {len(hit)}"
    return hit.iloc[0]


def test_median_per_day_and_count():
    rows = [obs("A", 0, 10.0, 2), obs("A", 0, 12.0, 10), obs("A", 0, 11.0, 18)]
    rows += [obs("A", 1, 11.5, 3), obs("A", 1, 12.5, 15)]
    daily, report = build_daily_history(frame(rows), HistorySettings())
    assert list(daily.columns) == OUTPUT_COLUMNS
    assert str(daily["day"].dtype) == "datetime64[ns]"
    first, second = row(daily, "A", 0), row(daily, "A", 1)
    assert first["price"] == 11.0 and first["observations"] == 3
    assert first["value_source"] == "observed"
    assert second["price"] == 12.0 and second["observations"] == 2
    assert report.observations_in == 5 and report.rows == 2 and report.products == 1
    assert report.days == 2 and report.outliers_removed == 0


def test_day_is_the_utc_calendar_day():
    rows = [obs("A", 0, 10.0, hour=23), obs("A", 1, 20.0, hour=0)]
    daily, _ = build_daily_history(frame(rows), HistorySettings(min_window_observations=5))
    assert row(daily, "A", 0)["price"] == 10.0
    assert row(daily, "A", 1)["price"] == 20.0


def test_decimal_prices_are_accepted_and_rounded_to_4_places():
    rows = [obs("A", 0, Decimal("10.01")), obs("A", 0, Decimal("10.02"), hour=20)]
    daily, _ = build_daily_history(frame(rows))
    assert row(daily, "A", 0)["price"] == 10.015
    assert daily["price"].dtype == np.float64


def test_outliers_rejected_and_counted_per_product():
    rows = steady("A", range(20)) + steady("B", range(20), price=50.0)
    rows.append(obs("A", 10, 1000.0, hour=23))  # spike up
    rows.append(obs("A", 15, 10.0, hour=23))  # spike down
    daily, report = build_daily_history(frame(rows))
    assert report.outliers_removed == 2
    assert report.outliers_by_sku == {"A": 2}
    spiked = row(daily, "A", 10)
    assert spiked["observations"] == 3
    assert spiked["price"] == pytest.approx(100.0, rel=0.01)
    assert row(daily, "A", 15)["price"] == pytest.approx(100.0, rel=0.01)
    assert report.observations_used == report.observations_in - 2


def test_flat_series_keeps_small_moves_thanks_to_the_mad_floor():
    rows = [obs("A", d, 100.0, hour=h) for d in range(20) for h in (2, 10, 18)]
    rows.append(obs("A", 10, 105.0, hour=20))  # +5 % on a perfectly flat series
    _, report = build_daily_history(frame(rows))
    assert report.outliers_removed == 0


def test_level_shift_is_followed_not_rejected():
    rows = steady("A", range(15), price=100.0) + steady("A", range(15, 30), price=150.0)
    daily, report = build_daily_history(frame(rows))
    assert report.outliers_removed == 0
    assert row(daily, "A", 16)["price"] == pytest.approx(150.0, rel=0.01)


def test_gap_of_three_days_is_interpolated_and_gap_of_four_is_left():
    rows = [obs("A", 0, 100.0), obs("A", 4, 200.0)]  # days 1, 2, 3 missing (3 days)
    rows += [obs("B", 0, 100.0), obs("B", 5, 200.0)]  # days 1..4 missing (4 days)
    daily, report = build_daily_history(frame(rows), HistorySettings(max_gap_days=3))
    a = daily[daily["sku"] == "A"]
    assert len(a) == 5
    assert list(a["value_source"]) == ["observed"] + ["interpolated"] * 3 + ["observed"]
    assert list(a["observations"]) == [1, 0, 0, 0, 1]
    # linear in log price: the middle day is the geometric mean
    assert row(daily, "A", 2)["price"] == pytest.approx(round(np.sqrt(100 * 200), 4))
    assert row(daily, "A", 1)["price"] == pytest.approx(round(100 * 2**0.25, 4))
    b = daily[daily["sku"] == "B"]
    assert list(b["day"]) == [pd.Timestamp(DAY0), pd.Timestamp(DAY0 + timedelta(5))]
    assert report.interpolated_rows == 3
    assert report.gaps_left == 1 and report.gap_days_left == 4
    assert report.interpolated_share == pytest.approx(3 / 7)
    assert report.interpolated_share_by_sku == {"A": pytest.approx(3 / 5), "B": 0.0}


def test_no_extrapolation_before_first_or_after_last_day():
    rows = [obs("A", 5, 10.0), obs("A", 6, 10.0), obs("B", 0, 20.0), obs("B", 9, 20.0)]
    daily, report = build_daily_history(frame(rows))
    a = daily[daily["sku"] == "A"]
    assert a["day"].min() == pd.Timestamp(DAY0 + timedelta(5))
    assert a["day"].max() == pd.Timestamp(DAY0 + timedelta(6))
    assert report.first_day == pd.Timestamp(DAY0) and report.days == 4


def test_other_currencies_are_rejected_and_counted():
    rows = steady("A", range(3), price=100.0)
    rows += [obs("A", d, 20.0, hour=20, currency="USD") for d in range(3)]
    rows.append(obs("A", 1, 100.0, hour=21, currency=" brl "))  # normalised, accepted
    daily, report = build_daily_history(frame(rows), HistorySettings(currency="BRL"))
    assert report.wrong_currency == 3
    assert daily["price"].min() > 99 and row(daily, "A", 1)["observations"] == 4


def test_synthetic_rows_never_reach_the_daily_history():
    real = steady("A", range(5), price=100.0)
    fake = [obs("A", d, 99999.0, hour=12, synthetic=True) for d in range(10)]
    fake += [obs("ONLY-SYNTHETIC", d, 5.0, synthetic=True) for d in range(10)]
    data = frame(real + fake).sample(frac=1.0, random_state=3)  # order must not matter
    daily, report = build_daily_history(data)
    assert report.synthetic_ignored == 20
    assert daily["price"].max() < 101
    assert set(daily["sku"]) == {"A"}
    assert daily["day"].max() == pd.Timestamp(DAY0 + timedelta(4))  # synthetic days 5..9 absent
    assert (daily["observations"] == 3).all()


def test_is_synthetic_as_integers_or_none():
    data = frame([obs("A", 0, 10.0), obs("A", 0, 500.0, hour=13), obs("A", 0, 10.0, hour=14)])
    data["is_synthetic"] = pd.Series([0, 1, None], dtype=object)
    daily, report = build_daily_history(data)
    assert report.synthetic_ignored == 1
    assert row(daily, "A", 0)["price"] == 10.0


def test_active_skus_and_invalid_prices():
    rows = steady("A", range(3)) + steady("OLD", range(3)) + [obs("A", 1, 0.0, hour=23)]
    daily, report = build_daily_history(frame(rows), active_skus=["A", "NEW"])
    assert set(daily["sku"]) == {"A"}
    assert report.inactive_ignored == 9
    assert report.invalid_price == 1
    assert report.products_without_history == 1


def test_empty_input_gives_empty_output_with_columns():
    daily, report = build_daily_history(frame([]))
    assert list(daily.columns) == OUTPUT_COLUMNS and len(daily) == 0
    assert report.rows == 0 and report.interpolated_share == 0.0
    daily, report = build_daily_history(frame([obs("A", 0, 1.0, synthetic=True)]))
    assert len(daily) == 0 and report.synthetic_ignored == 1


def test_missing_column_is_a_clear_error():
    with pytest.raises(ValueError, match="is_synthetic"):
        build_daily_history(frame([obs("A", 0, 1.0)]).drop(columns="is_synthetic"))


def test_matches_a_plain_groupby_reference_on_random_data():
    rng = np.random.default_rng(7)
    n = 5000
    data = pd.DataFrame(
        {
            "sku": rng.choice([f"S{i}" for i in range(40)], n),
            "observed_at": pd.Timestamp(DAY0)
            + pd.to_timedelta(rng.integers(0, 30 * 86400, n), unit="s"),
            "price": np.round(rng.uniform(99, 101, n), 2),
            "currency": "BRL",
            "is_synthetic": False,
        }
    )
    daily, report = build_daily_history(data, HistorySettings(max_gap_days=0))
    assert report.outliers_removed == 0
    expected = (
        data.assign(day=data["observed_at"].dt.normalize())
        .groupby(["sku", "day"])["price"]
        .agg(["median", "size"])
        .reset_index()
    )
    merged = daily.merge(expected, on=["sku", "day"], how="outer", indicator=True)
    assert (merged["_merge"] == "both").all()
    np.testing.assert_allclose(merged["price"], merged["median"].round(4))
    assert (merged["observations"] == merged["size"]).all()


def test_report_metadata_is_flat():
    rows = steady("A", [0, 2]) + [obs("A", 1, 1000.0)]
    _, report = build_daily_history(frame(rows))
    meta = report.to_metadata()
    assert meta["rows"] == 3 and meta["interpolated_rows"] == 1
    assert meta["first_day"] == "2025-03-01"
    assert meta["top_outlier_skus"] == {"A": 1}
