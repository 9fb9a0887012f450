"""Unit tests for procurement_pipeline.lib.forecasting (Prophet fits are ~20 ms each)."""

from __future__ import annotations

import json
import tempfile

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.forecasting import (
    HOLDOUT_COLUMNS,
    METRIC_KEYS,
    ModelSettings,
    build_price_index,
    evaluate,
    fit_model,
    forecast_from_model,
    holdout_forecast,
    load_model,
    naive_baselines,
    predict_log,
    prepare_history,
    save_model_atomic,
    train_global_model,
    train_many,
    train_product_model,
)
from tools.model_tuning import synthetic_price_series


def _series(n=120, seed=0, missing=0.0, kind="weekly"):
    return synthetic_price_series(kind, n_days=n, seed=seed, missing_share=missing)


def test_holdout_forecast_shape_with_missing_days():
    hist = _series(120, missing=0.15)
    out = holdout_forecast(hist, horizon=30)
    assert list(out.columns) == HOLDOUT_COLUMNS
    last = hist["ds"].max()
    expected = hist[hist["ds"] > last - pd.Timedelta(days=30)]
    assert len(out) == len(expected) < 30  # one row per observed held-out day
    assert (out["ds"].to_numpy() == expected["ds"].to_numpy()).all()
    assert np.allclose(out["y"], expected["y"])
    assert out[["yhat", "yhat_lower", "yhat_upper"]].notna().all().all()
    assert (out["yhat_lower"] <= out["yhat"]).all() and (out["yhat"] <= out["yhat_upper"]).all()


def test_baselines_on_hand_made_series_with_gaps():
    # Mon 2024-01-01 .. Sun 2024-01-14; Wednesday 10th and Sunday 14th missing.
    days = pd.date_range("2024-01-01", "2024-01-14")
    train = pd.DataFrame({"ds": days, "y": np.arange(1.0, 15.0)})
    train = train[~train["ds"].isin(pd.to_datetime(["2024-01-10", "2024-01-14"]))]
    train = train.reset_index(drop=True)
    test_days = pd.Series(pd.date_range("2024-01-15", periods=9))  # Mon .. Tue next week
    naive, seasonal = naive_baselines(train, test_days)
    assert (naive == 13.0).all()  # last observed value (Saturday 13th)
    # Last training week = Sun 7th .. Sat 13th on a forward-filled grid:
    # Mon 8, Tue 9, Wed (missing 10th -> Tue's 9), Thu 11, Fri 12, Sat 13, Sun 7th = 7.
    assert list(seasonal) == [8, 9, 9, 11, 12, 13, 7, 8, 9]


def test_seasonal_baseline_of_a_history_shorter_than_a_week_back_fills_its_first_price():
    # Thu 2024-01-04 .. Sat 6th only: Sun 31st .. Wed 3rd take Thursday's price.
    train = pd.DataFrame({"ds": pd.date_range("2024-01-04", periods=3), "y": [5.0, 6.0, 7.0]})
    naive, seasonal = naive_baselines(train, pd.date_range("2024-01-07", periods=7))
    assert (naive == 7.0).all()
    assert list(seasonal) == [5, 5, 5, 5, 5, 6, 7]  # Sun .. Sat


def test_metrics_on_hand_made_example():
    df = pd.DataFrame(
        {
            "y": [10.0, 20.0, 30.0, 40.0],
            "yhat": [11.0, 18.0, 30.0, 44.0],
            "yhat_lower": [9.0, 19.0, 25.0, 41.0],
            "yhat_upper": [12.0, 21.0, 35.0, 45.0],
            "naive": [10.0, 10.0, 10.0, 10.0],
            "seasonal_naive": [12.0, 22.0, 28.0, 42.0],
        }
    )
    m = evaluate(df)
    assert tuple(m) == METRIC_KEYS
    assert m["mae"] == pytest.approx(7 / 4)
    assert m["mse"] == pytest.approx((1 + 4 + 0 + 16) / 4)
    assert m["rmse"] == pytest.approx(np.sqrt(21 / 4))
    assert m["mape"] == pytest.approx((0.1 + 0.1 + 0 + 0.1) / 4 * 100)
    assert m["coverage_80"] == pytest.approx(0.75)  # 40 < 41
    assert m["naive_mae"] == pytest.approx(15.0)
    assert m["seasonal_naive_mae"] == pytest.approx(2.0)
    assert m["mase_naive"] == pytest.approx(7 / 4 / 15)
    assert m["mase_seasonal_naive"] == pytest.approx(7 / 8)
    assert m["beats_naive"] is True and m["beats_seasonal_naive"] is True
    assert m["holdout_days"] == 4
    json.dumps(m)
    assert all(
        isinstance(v, float)
        for k, v in m.items()
        if k not in ("beats_naive", "beats_seasonal_naive", "holdout_days")
    )


def test_metrics_guard_zero_division():
    df = pd.DataFrame(
        {
            c: [5.0, 5.0]
            for c in ["y", "yhat", "yhat_lower", "yhat_upper", "naive", "seasonal_naive"]
        }
    )
    df["yhat"] = [6.0, 6.0]
    m = evaluate(df)
    assert m["naive_mae"] == 0.0 and m["mase_naive"] is None and m["beats_naive"] is False
    empty = evaluate(df.iloc[0:0])
    assert empty["holdout_days"] == 0 and empty["mae"] is None
    json.dumps(empty)


def test_the_naive_model_ties_the_naive_baseline_it_does_not_beat_it():
    """A served naive forecast equals the baseline up to float rounding (it scored
    0.9999999999999127 in a real run, and the dashboard said it beat the last price)."""
    y = [10.3, 10.1, 10.7, 10.2]
    naive = [10.0] * 4
    df = pd.DataFrame({"y": y, "naive": naive, "seasonal_naive": [9.0] * 4})
    df["yhat"] = [v * (1 + 1e-15) for v in naive]
    df["yhat_lower"], df["yhat_upper"] = df["yhat"] - 1, df["yhat"] + 1
    m = evaluate(df)
    assert 1 - 1e-12 < m["mase_naive"] < 1  # "better" by rounding alone
    assert m["beats_naive"] is False
    df["yhat"] = [10.25] * 4  # closer than the last price on every day: a win
    assert evaluate(df)["beats_naive"] is True


def test_short_history_is_skipped_with_reason():
    hist = _series(12)
    hist["value_source"] = "observed"
    result = train_product_model("SKU-1", hist, ModelSettings())
    assert result.status == "skipped"
    assert result.reason == "only 12 days of history; 30 needed"
    assert result.model_json is None and result.forecast.empty


def test_interpolated_days_do_not_count_as_history():
    hist = _series(40)
    hist["value_source"] = ["observed" if i % 2 else "interpolated" for i in range(40)]
    result = train_product_model("SKU-2", hist)
    assert result.status == "skipped" and result.points == 20


def test_holdout_shortened_on_short_history():
    settings = ModelSettings()
    hist = _series(40)
    out = holdout_forecast(hist, horizon=30, settings=settings)
    assert len(out) == 40 - settings.min_train_days
    assert out["ds"].min() == hist["ds"].iloc[settings.min_train_days]


def test_failures_are_reported_not_raised():
    hist = _series(60)
    hist.loc[5, "y"] = -1.0
    result = train_product_model("SKU-BAD", hist)
    assert result.status == "failed"
    assert "positive" in result.reason


def test_no_daily_seasonality_and_weekly_on():
    settings = ModelSettings()
    model = fit_model(prepare_history(_series(100)), settings)
    assert set(model.seasonalities) == {"weekly"}
    assert model.daily_seasonality is False
    long_model = fit_model(prepare_history(_series(800, kind="random_walk")), settings)
    assert set(long_model.seasonalities) == {"weekly", "yearly"}


def test_fast_predict_matches_prophet_predict():
    for growth in ("flat", "linear"):
        model = fit_model(prepare_history(_series(90)), ModelSettings(growth=growth))
        future = pd.date_range(model.history["ds"].iloc[-1], periods=31)[1:]
        expected = model.predict(pd.DataFrame({"ds": future}))["yhat"].to_numpy()
        assert np.allclose(predict_log(model, future), expected)


def test_train_save_load_round_trip(tmp_path):
    hist = _series(150, missing=0.05)
    # Prophet alone: its file round trip (the other candidates': test_selection.py).
    settings = ModelSettings(candidates=("prophet",), fallback_model="prophet")
    result = train_product_model("SKU-3", hist, settings)
    assert result.status == "trained", result.reason
    in_last_30 = hist["ds"] > hist["ds"].max() - pd.Timedelta(days=30)
    assert result.holdout_days == len(result.holdout) == int(in_last_30.sum())
    assert result.metrics["holdout_days"] == result.holdout_days
    assert list(result.forecast.columns) == [
        "ds",
        "yhat",
        "yhat_lower",
        "yhat_upper",
        "yhat_expected",
    ]
    assert len(result.forecast) == 30
    assert result.forecast["ds"].iloc[0] == hist["ds"].max() + pd.Timedelta(days=1)
    assert (result.forecast[["yhat", "yhat_lower", "yhat_upper"]] > 0).all().all()
    # A price that moves every day is no sticky list price: no expected path for the advice.
    assert result.forecast["yhat_expected"].isna().all()
    json.dumps(result.metrics)
    path = save_model_atomic(result.model_json, tmp_path / "models" / "SKU-3.json")
    assert [p.name for p in path.parent.iterdir()] == ["SKU-3.json"]
    loaded = load_model(path)
    again = forecast_from_model(loaded, settings)
    pd.testing.assert_frame_equal(again, result.forecast)
    # A plain Prophet (as loaded) rebuilds the component matrix with pandas and checks it
    # against the one stored at fit time (built by our numpy override): predict must agree.
    future = pd.DataFrame({"ds": result.forecast["ds"]})
    prophet = loaded.prophet
    assert np.allclose(prophet.predict(future)["yhat"], predict_log(prophet, future["ds"]))


def test_component_matrix_override_matches_prophet():
    from prophet import Prophet

    for days in (100, 800):
        model = fit_model(prepare_history(_series(days, kind="random_walk")), ModelSettings())
        feats = model.make_all_seasonality_features(model.history)[0]
        model.train_component_cols = None
        modes = {"additive": list(model.seasonalities), "multiplicative": []}
        ours, _ = type(model).regressor_column_matrix(model, feats, dict(modes))
        modes = {"additive": list(model.seasonalities), "multiplicative": []}
        ref, _ = Prophet.regressor_column_matrix(model, feats, modes)
        assert ours.equals(ref) and list(ours.columns) == list(ref.columns)


def test_forecast_positive_on_falling_prices():
    ds = pd.date_range("2024-01-01", periods=90)
    noise = np.random.default_rng(3).normal(0, 0.01, 90)
    hist = pd.DataFrame({"ds": ds, "y": 50.0 * np.exp(-0.04 * np.arange(90) + noise)})
    result = train_product_model("SKU-FALL", hist)
    assert result.status == "trained", result.reason
    assert (result.forecast[["yhat", "yhat_lower", "yhat_upper"]] > 0).all().all()


def test_train_many_leaves_no_temp_files(tmp_path, monkeypatch):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    items = [(f"SKU-{i}", _series(70, seed=i)) for i in range(6)]
    items.append(("SKU-SHORT", _series(10)))
    seen = []
    results = list(
        train_many(
            items,
            ModelSettings(),
            workers=2,
            chunk_size=2,
            progress=lambda done, r: seen.append(done),
        )
    )
    assert sorted(r.sku for r in results) == sorted(s for s, _ in items)
    assert seen == list(range(1, 8))
    status = {r.sku: r.status for r in results}
    assert status.pop("SKU-SHORT") == "skipped"
    assert set(status.values()) == {"trained"}
    assert list(scratch.iterdir()) == []


def test_global_index_not_dominated_by_expensive_product():
    days = pd.date_range("2024-01-01", periods=60)
    rows = []
    for i in range(9):
        rows += [
            {"sku": f"CHEAP-{i}", "day": d, "price": 2.0 + i, "value_source": "observed"}
            for d in days
        ]
    # The expensive product doubles over the period.
    rows += [
        {"sku": "MACHINE", "day": d, "price": 10_000.0 * (1 + k / 59), "value_source": "observed"}
        for k, d in enumerate(days)
    ]
    # Only the machine is observed on one day: too few products -> interpolated.
    hist = pd.DataFrame(rows)
    hist = hist[~((hist["day"] == days[40]) & (hist["sku"] != "MACHINE"))]
    index = build_price_index(hist, base_days=1)
    assert list(index.columns) == ["day", "index_value", "products", "value_source"]
    assert len(index) == 60 and index["index_value"].iloc[0] == pytest.approx(100.0)
    # Equal weights: one product doubling moves a 10-product index by 2**(1/10), not ~2x.
    assert index["index_value"].iloc[-1] == pytest.approx(100 * 2**0.1, rel=1e-6)
    row = index.iloc[40]
    assert row["value_source"] == "interpolated" and row["products"] == 1
    assert index.iloc[39]["index_value"] < row["index_value"] < index.iloc[41]["index_value"]
    result = train_global_model(index)
    assert result.status == "trained", result.reason
    assert result.holdout_days == 30 and len(result.forecast) == 30
