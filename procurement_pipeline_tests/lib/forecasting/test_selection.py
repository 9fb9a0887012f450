"""The candidate models, the choice between them, the served model file and re-anchoring."""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from benchmarks.forecast_real import evaluate_series, headroom, series_scores, summarize
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.forecasting import (
    CandidateFits,
    ModelSettings,
    forecast_from_model,
    load_model,
    prepare_history,
    save_model_atomic,
    select,
    train_product_model,
)
from procurement_pipeline.lib.forecasting.candidates import (
    change_quantiles,
    daily_grid,
    expected_offsets,
    expected_path,
    numpy_offsets,
    unchanged_share,
    weekly_evidence,
)
from procurement_pipeline.lib.forecasting.served import from_json, to_json
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.forecasts import (
    forecast_rows,
    load_forecast_rows,
    load_registry,
    store_product_results,
)
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv

DAYS = pd.date_range("2024-01-01", periods=200, freq="D")


def _frame(values, days=DAYS) -> pd.DataFrame:
    return pd.DataFrame({"ds": days[: len(values)], "y": np.asarray(values, dtype=float)})


def _steps(n=200, every=10, size=0.1, level=100.0) -> pd.DataFrame:
    """A price that holds for ``every`` days, then rises by ``size`` (log), again and again."""
    return _frame(level * np.exp(size * (np.arange(n) // every)))


def _offsets(history: pd.DataFrame, settings=None, max_h=30):
    settings = settings or ModelSettings()
    return numpy_offsets(daily_grid(prepare_history(history)), settings, max_h)


def test_naive_holds_the_last_price():
    rng = np.random.default_rng(1)
    history = _frame(50 * np.exp(np.cumsum(rng.normal(0, 0.01, 120))))
    naive = _offsets(history)["naive"]
    assert (naive.center == 0).all()
    assert (naive.lower <= 0).all() and (naive.upper >= 0).all()
    # The spread widens with the horizon (never shrinks).
    assert (np.diff(naive.upper - naive.lower) >= 0).all() and naive.upper[-1] > naive.upper[0]


def test_steps_holds_the_level_then_takes_the_typical_step():
    # A step of +10 % every 10 days: a pair h days apart spans a step with probability h/10,
    # so the median change is 0 for h < 5 and one step for 5 < h < 15, two for 15 < h < 25.
    steps = _offsets(_steps())["steps"]
    assert np.allclose(steps.center[:4], 0.0)
    assert np.allclose(steps.center[5:14], 0.1)
    assert np.allclose(steps.center[15:24], 0.2)
    # A price that never moved: zero change and a zero-width interval at every horizon.
    flat = _offsets(_frame(np.full(90, 7.5)))["steps"]
    assert (flat.center == 0).all() and (flat.lower == 0).all() and (flat.upper == 0).all()


def test_drift_continues_a_steady_rise_damped():
    growth = 0.004  # log per day
    history = _frame(20 * np.exp(growth * np.arange(150)))
    undamped = _offsets(history, ModelSettings(damping=1.0))["drift"]
    h = np.arange(1, 31)
    assert np.allclose(undamped.center, growth * h)
    phi = 0.9
    damped = _offsets(history, ModelSettings(damping=phi))["drift"]
    assert np.allclose(damped.center, growth * phi * (1 - phi**h) / (1 - phi))
    assert damped.center[-1] < undamped.center[-1]


def test_change_quantiles_extrapolate_short_histories():
    # 12 days: only h <= 4 have 8 pairs; beyond, the median drifts on linearly.
    grid = daily_grid(prepare_history(_frame(np.exp(0.01 * np.arange(12)))))
    q = change_quantiles(grid, 180, 10, (0.1, 0.5, 0.9))
    assert np.allclose(q[1], 0.01 * np.arange(1, 11))


def test_prophet_candidate_follows_a_weekly_pattern():
    pattern = np.array([0.0, -0.02, -0.04, -0.02, 0.03, 0.06, 0.04])
    history = _frame(100 * np.exp(pattern[DAYS.day_of_week[:140]]))
    fits = CandidateFits(prepare_history(history), ModelSettings(), None)
    dates = pd.date_range(DAYS[140], periods=14)
    days = dates.to_numpy().astype("datetime64[D]").astype(np.int64)
    yhat = fits.point_forecast("prophet", 140, days)
    expected = 100 * np.exp(pattern[dates.day_of_week])
    assert np.allclose(yhat, expected, rtol=0.01)


def _regime_change() -> pd.DataFrame:
    """Flat for 140 days, then +0.8 %/day: a drift over the last 30 days sees the new trend."""
    t = np.arange(200)
    return _frame(10 * np.exp(0.008 * np.clip(t - 140, 0, None)))


WEEKLY = np.array([0.0, -0.05, -0.1, -0.05, 0.05, 0.12, 0.08])


@pytest.mark.parametrize(
    ("history", "settings", "winner"),
    [
        (_regime_change(), ModelSettings(drift_window_days=30, damping=1.0), "drift"),
        # A strong weekly pattern: only Prophet sees it.
        (
            _frame(
                100
                * np.exp(WEEKLY[DAYS.day_of_week] + np.random.default_rng(3).normal(0, 0.003, 200))
            ),
            ModelSettings(),
            "prophet",
        ),
        # Steps of +10 % every 10 days: the typical step beats holding or trending.
        (_steps(), ModelSettings(), "steps"),
        # A price that never moves: every candidate is exact, the tie keeps naive.
        (_frame(np.full(200, 42.0)), ModelSettings(), "naive"),
    ],
)
def test_selection_picks_the_candidate_that_clearly_wins(history, settings, winner):
    fits = CandidateFits(prepare_history(history), settings, None)
    chosen, validation = select(fits, fits.df["ds"].iloc[-1])
    assert chosen == winner, validation
    assert len(validation["cutoffs"]) == settings.validation_origins
    scores = validation["scores"]
    if winner == "naive":
        # Prophet is not even fitted (no weekly pattern); the others tie naive exactly.
        assert scores.pop("prophet") is None and set(scores.values()) == {1.0}
    else:
        assert scores[winner] < 0.7
        others = [v for k, v in scores.items() if k != winner and v is not None]
        assert all(scores[winner] < v for v in others), scores


def test_prophet_is_fitted_only_where_the_weekday_matters():
    rng = np.random.default_rng(5)
    walk = _frame(50 * np.exp(np.cumsum(rng.normal(0, 0.01, 200))))
    weekly = _frame(50 * np.exp(WEEKLY[DAYS.day_of_week] + rng.normal(0, 0.003, 200)))
    assert weekly_evidence(daily_grid(prepare_history(walk))) < 4
    assert weekly_evidence(daily_grid(prepare_history(weekly))) > 100
    fits = CandidateFits(prepare_history(walk), ModelSettings(), None)
    _, validation = select(fits, fits.df["ds"].iloc[-1])
    assert validation["scores"]["prophet"] is None and fits._prophet == {}


def test_selection_sees_only_the_past_of_its_end():
    history = prepare_history(_steps())
    end = history["ds"].iloc[120]
    fits = CandidateFits(history, ModelSettings(), None)
    _, before = select(fits, end)
    # Changing everything after `end` changes nothing about the choice made at `end`.
    changed = history.copy()
    changed.loc[changed["ds"] > end, "y"] *= 3.0
    _, again = select(CandidateFits(changed, ModelSettings(), None), end)
    assert before == again
    assert max(pd.Timestamp(c) for c in before["cutoffs"]) <= end - pd.Timedelta(days=30)


def test_margin_keeps_naive_on_weak_evidence():
    fits = CandidateFits(prepare_history(_steps()), ModelSettings(), None)
    chosen, validation = select(fits, fits.df["ds"].iloc[-1])
    best = validation["scores"][chosen]
    assert chosen != "naive" and best < 1
    strict = dataclasses.replace(ModelSettings(), selection_margin=1.0 - best + 0.01)
    chosen_strict, _ = select(CandidateFits(fits.df, strict, None), fits.df["ds"].iloc[-1])
    assert chosen_strict == "naive"


def test_short_history_falls_back():
    settings = ModelSettings()
    fits = CandidateFits(prepare_history(_steps(n=40)), settings, None)
    chosen, validation = select(fits, fits.df["ds"].iloc[-1])
    assert chosen == settings.fallback_model and validation["cutoffs"] == []


@pytest.mark.parametrize("candidates", [("naive", "steps", "drift", "prophet"), ("prophet",)])
def test_served_model_file_round_trips(tmp_path, candidates):
    settings = ModelSettings(candidates=candidates, fallback_model=candidates[-1])
    result = train_product_model("SKU-S", _steps(150), settings)
    assert result.status == "trained", result.reason
    assert result.model_name in candidates and result.metrics["model"] == result.model_name
    path = save_model_atomic(result.model_json, tmp_path / "SKU-S.json")
    loaded = load_model(path)
    assert loaded.name == result.model_name
    assert loaded.validation == json.loads(result.model_json)["validation"]
    pd.testing.assert_frame_equal(forecast_from_model(loaded, settings), result.forecast)
    assert from_json(to_json(loaded)).name == loaded.name


def test_forecast_on_a_newer_history_reanchors_without_refitting():
    settings = ModelSettings(candidates=("naive", "drift"), damping=1.0)
    growth = 0.003
    full = _frame(30 * np.exp(growth * np.arange(160)))
    trained = train_product_model("SKU-R", full.iloc[:130], settings)
    model = load_model_from(trained)
    assert model.name == "drift"
    # Ten newer days, ending 5 % below where the old path expected them.
    newer = full.iloc[:140].copy()
    newer.loc[newer.index[-1], "y"] *= 0.95
    fc = forecast_from_model(model, settings, horizon=30, history=newer)
    last_day, last_price = newer["ds"].iloc[-1], newer["y"].iloc[-1]
    assert fc["ds"].iloc[0] == last_day + pd.Timedelta(days=1) and len(fc) == 30
    # Same offsets as the trained model (no refit), on top of the newer last price.
    h = np.arange(1, 31)
    assert np.allclose(fc["yhat"], last_price * np.exp(growth * h))
    assert np.allclose(fc["yhat"], last_price * np.exp(model.offsets.center))
    # The newer history itself never reaches the model: the slope stays the trained one.
    assert model.anchor_day == full["ds"].iloc[129]
    # A history that ends before the model's own anchor is refused.
    with pytest.raises(ValueError, match="before the model's anchor"):
        forecast_from_model(model, settings, history=full.iloc[:100])


def test_prophet_reanchors_on_the_newer_price():
    settings = ModelSettings(candidates=("prophet",), fallback_model="prophet")
    pattern = np.array([0.0, -0.02, -0.04, -0.02, 0.03, 0.06, 0.04])
    full = _frame(80 * np.exp(pattern[DAYS.day_of_week[:150]]))
    model = load_model_from(train_product_model("SKU-P", full.iloc[:120], settings))
    same = forecast_from_model(model, settings, history=full.iloc[:120])
    pd.testing.assert_frame_equal(same, forecast_from_model(model, settings))
    newer = full.iloc[:127].copy()
    newer.loc[newer.index[-1], "y"] *= 1.10  # a 10 % jump on the newest day
    fc = forecast_from_model(model, settings, history=newer)
    assert fc["ds"].iloc[0] == newer["ds"].iloc[-1] + pd.Timedelta(days=1)
    # The weekly shape continues from a level 10 % higher.
    expected = 80 * 1.10 * np.exp(pattern[pd.DatetimeIndex(fc["ds"]).day_of_week])
    assert np.allclose(fc["yhat"], expected, rtol=0.01)


def load_model_from(result):
    assert result.status == "trained", result.reason
    return from_json(result.model_json)


def test_registry_round_trips_the_chosen_model_and_scores(warehouse_engine):
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    result = train_product_model("ESP-00001", _steps(150))
    assert result.validation["scores"] and result.validation["chosen"] == result.model_name
    store_product_results(warehouse_engine, [result], {}, datetime(2026, 12, 1, 12, 0))
    row = load_registry(warehouse_engine).iloc[0]
    assert row["model_name"] == result.model_name
    assert row["validation"] == json.loads(json.dumps(result.validation))
    assert row["metrics"]["model"] == result.model_name
    assert row["metrics"]["validation_mase_naive"] == result.validation["scores"][result.model_name]


def _totals(naive_ae, served_ae, inside=0, days=10):
    return {
        "origins": 1,
        "days": days,
        "naive_ae": naive_ae,
        "served_ae": served_ae,
        "served_inside": inside,
        "served_s": 0.5,
    }


def test_forecast_real_scoring_tie_rule():
    # Naive exact and the model exact: a tie (1.0), not a win.
    assert series_scores(_totals(0.0, 0.0), "served") == {"ratio": 1.0, "beats": False, "tie": True}
    # Naive exact and the model not: a loss (inf).
    lost = series_scores(_totals(0.0, 0.3), "served")
    assert lost["ratio"] == math.inf and not lost["beats"] and not lost["tie"]
    assert series_scores(_totals(2.0, 1.0), "served") == {"ratio": 0.5, "beats": True, "tie": False}
    assert series_scores(_totals(2.0, 2.0), "served")["beats"] is False
    rows = [
        _totals(0.0, 0.0, inside=10),
        _totals(0.0, 0.3, inside=5),
        _totals(2.0, 1.0, inside=8),
        _totals(4.0, 3.0, inside=7),
        {**_totals(1.0, 1.0), "origins": 0},  # no origin: left out
    ]
    s = summarize(rows, "served")
    # Ratios 1.0, inf, 0.5, 0.75 -> median 0.875; 2 of 4 beat naive; 30 of 40 days inside.
    assert s == {
        "series": 4,
        "median_ratio": 0.875,
        "share_beating_naive": 0.5,
        "ties": 1,
        "coverage_80": 0.75,
        "s_per_series": 0.5,
    }


def _sides(at, above, below, by_horizon=None):
    return {
        "days": at + above + below,
        "days_at_last": at,
        "days_above": above,
        "days_below": below,
        # One horizon holding every day unless a split by horizon is given.
        "sides_by_horizon": by_horizon or {1: [above, at, below]},
    }


def test_forecast_real_headroom_bounds_constant_offsets():
    rows = [
        _sides(6, 3, 1),  # most days at the last price: no constant offset beats naive
        _sides(2, 7, 1),  # mostly above: an upward offset can
        _sides(1, 1, 8),  # mostly below: a downward one can
        _sides(0, 5, 5),  # evenly split: neither
        _sides(0, 0, 0),  # no test day: left out
    ]
    assert headroom(rows) == {
        "series": 4,
        "median_share_of_days_at_last_price": 0.15,
        "offset_can_win": 0.5,
        "horizon_offset_can_win": 0.5,
    }


def test_forecast_real_headroom_by_horizon_sees_a_late_step():
    # Most days at the last price, so no constant offset wins; but the late horizons lie
    # mostly above it, so an offset there (none before) beats naive.
    late_step = _sides(6, 4, 0, by_horizon={5: [0, 6, 0], 25: [4, 0, 0]})
    # The same counts, each horizon split evenly: no offset by horizon wins either.
    even = _sides(6, 4, 0, by_horizon={5: [2, 3, 0], 25: [2, 3, 0]})
    assert headroom([late_step])["offset_can_win"] == 0.0
    assert headroom([late_step])["horizon_offset_can_win"] == 1.0
    assert headroom([even])["horizon_offset_can_win"] == 0.0


def test_forecast_real_counts_test_days_around_the_last_price():
    # 100 days at 10, then a step to 11 that holds: the one origin 30 days before the end
    # sees its last price 10 for 10 more days and 11 for the other 20.
    history = _frame([10.0] * 110 + [11.0] * 20, pd.date_range("2024-01-01", periods=130))
    totals = evaluate_series(history, ModelSettings(candidates=("naive",)), 1, 1)
    assert totals["origins"] == 1 and totals["days"] == 30
    assert (totals["days_at_last"], totals["days_above"], totals["days_below"]) == (10, 20, 0)
    assert totals["sides_by_horizon"] == {
        h: [0, 1, 0] if h <= 10 else [1, 0, 0] for h in range(1, 31)
    }
    assert totals["naive_ae"] == pytest.approx(20.0)


def test_expected_path_is_the_mean_of_past_price_ratios_not_their_median():
    # Holds 10 days, then +10 %, again and again: the median h-day change is 0 for h < 5
    # (most pairs see no step), the mean is the chance of a step times its size.
    prices = 100 * 1.1 ** (np.arange(120) // 10)
    grid = daily_grid(prepare_history(_frame(prices)))
    (median,) = change_quantiles(grid, 60, 30, (0.5,))
    expected = expected_offsets(grid, 60, 30)
    assert np.allclose(median[:4], 0.0)
    # Over h days a step comes with chance h / 10 (h <= 10): E = 1 + 0.1 h / 10.
    h = np.arange(1, 11)
    assert np.allclose(np.exp(expected[:10]), 1 + 0.1 * h / 10)
    assert expected[19] == pytest.approx(np.log(1.1**2))  # 20 days: two steps, always
    # A price that never moves expects no change; a constant growth expects that growth.
    flat = daily_grid(prepare_history(_frame(np.full(120, 50.0))))
    assert np.array_equal(expected_offsets(flat, 60, 30), np.zeros(30))
    growing = daily_grid(prepare_history(_frame(50 * np.exp(0.002 * np.arange(120)))))
    assert np.allclose(expected_offsets(growing, 60, 30), 0.002 * np.arange(1, 31))


def test_expected_path_extrapolates_horizons_without_enough_pairs():
    # 20 observed days: horizons past 12 have fewer than 8 pairs and continue linearly.
    growing = daily_grid(prepare_history(_frame(50 * np.exp(0.01 * np.arange(20)))))
    path = expected_offsets(growing, 60, 30)
    assert np.allclose(path, 0.01 * np.arange(1, 31))
    single = daily_grid(prepare_history(_frame([50.0])))
    assert np.array_equal(expected_offsets(single, 60, 30), np.zeros(30))


def test_served_model_carries_the_expected_path_through_its_file(tmp_path):
    prices = 100 * 1.1 ** (np.arange(150) // 10)
    settings = ModelSettings(candidates=("naive",))
    result = train_product_model("SKU-E", _frame(prices), settings)
    model = load_model(save_model_atomic(result.model_json, tmp_path / "SKU-E.json"))
    assert model.name == "naive"
    # The median path holds; the expected path rises with the steps, from the same anchor.
    fc = result.forecast
    assert np.allclose(fc["yhat"], prices[-1])
    assert np.allclose(fc["yhat_expected"], prices[-1] * np.exp(model.expected))
    assert fc["yhat_expected"].iloc[9] == pytest.approx(prices[-1] * 1.1)
    # Re-anchored on a newer price, the expected path moves with it.
    newer = _frame(np.append(prices, prices[-1] * 1.05), pd.date_range("2024-01-01", periods=151))
    again = forecast_from_model(model, settings, history=newer)
    assert np.allclose(again["yhat_expected"], prices[-1] * 1.05 * np.exp(model.expected))
    # A model file written before the expected path: NaN, and the advice ignores it.
    data = json.loads(result.model_json)
    del data["expected"]
    old = from_json(json.dumps(data))
    assert old.expected is None
    assert forecast_from_model(old, settings)["yhat_expected"].isna().all()


def test_the_expected_price_is_stored_with_the_forecast(warehouse_engine):
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    result = train_product_model("ESP-00001", _steps(150))
    store_product_results(warehouse_engine, [result], {}, datetime(2026, 12, 1, 12, 0))
    rows = load_forecast_rows(warehouse_engine, kind="future")
    assert np.allclose(rows["yhat_expected"], result.forecast["yhat_expected"])


def test_only_a_sticky_price_gets_an_expected_path():
    settings = ModelSettings()
    steps = daily_grid(prepare_history(_frame(100 * 1.1 ** (np.arange(120) // 10))))
    assert unchanged_share(steps, 60) == pytest.approx(54 / 59)
    assert np.array_equal(expected_path(steps, settings), expected_offsets(steps, 60, 30))
    # A market price moves on every observation: its two-month mean change is noise.
    rng = np.random.default_rng(3)
    market = daily_grid(prepare_history(_frame(100 * np.exp(np.cumsum(rng.normal(0, 0.01, 120))))))
    assert unchanged_share(market, 60) == 0.0
    assert expected_path(market, settings) is None
    # The threshold is a setting; a single observation tells nothing.
    assert expected_path(market, ModelSettings(expected_min_unchanged_share=0.0)) is not None
    assert np.isnan(unchanged_share(daily_grid(prepare_history(_frame([5.0]))), 60))


def test_forecast_rows_carry_every_column_with_missing_values_as_null():
    result = train_product_model("SKU-W", _frame(np.linspace(10, 12, 150)))
    at = datetime(2026, 12, 1, 12, 0)
    rows = forecast_rows(result, at, sku="SKU-W")
    assert len(rows) == len(result.holdout) + len(result.forecast) == 60
    keys = ["sku", "kind", "ds", "generated_at", "yhat", "yhat_lower", "yhat_upper",
            "yhat_expected", "y", "naive", "seasonal_naive"]  # fmt: skip
    assert all(list(row) == keys for row in rows)
    holdout, future = rows[0], rows[-1]
    assert holdout["kind"] == "holdout" and holdout["y"] == result.holdout["y"].iloc[0]
    assert future["kind"] == "future" and future["ds"] == result.forecast["ds"].iloc[-1].date()
    # A holdout has no expected price, a future day no actual: NULL, never NaN.
    assert holdout["yhat_expected"] is None and future["y"] is None and future["naive"] is None
    # The expected path of this moving price is none either (it is no sticky list price).
    assert future["yhat_expected"] is None
    assert all(isinstance(row["yhat"], float) for row in rows)
    assert list(forecast_rows(result, at)[0]) == keys[1:]
