"""The training speed-ups give the same numbers as stock Prophet / the code they replaced.

See "Training speed" in benchmarks/FORECAST_TUNING.md. Everything here is compared exactly
(not within a tolerance): the speed-ups change how the work is done, not what is computed.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from procurement_pipeline.lib.forecasting import ModelSettings, fit_model, prepare_history
from procurement_pipeline.lib.forecasting import model as model_module
from procurement_pipeline.lib.forecasting.model import (
    MIN_ERROR_PAIRS,
    _backend_class,
    _empirical_bounds,
    forecast_dates,
    fourier_series,
    future_dates,
)
from procurement_pipeline.lib.forecasting.training import train_product_model
from tools.model_tuning import synthetic_price_series

CASES = [
    ("weekly", 180, 0.05, "flat"),
    ("random_walk", 60, 0.0, "flat"),
    ("promotions", 120, 0.1, "linear"),
    ("trend", 800, 0.0, "flat"),  # yearly seasonality on
]


def _history(kind, days, missing, seed=7):
    return synthetic_price_series(kind, n_days=days, seed=seed, missing_share=missing)


def _model_dict(model):
    from prophet.serialize import model_to_json

    out = json.loads(model_to_json(model))
    out.pop("fit_kwargs")  # holds the (random) temp output_dir
    return out


@pytest.mark.parametrize(("kind", "days", "missing", "growth"), CASES)
def test_fit_equals_stock_prophet(kind, days, missing, growth):
    """ModelSettings.fast_prophet (PROCUREMENT_FAST_PROPHET) switches to stock Prophet and
    its cmdstanpy backend: the way back if an upgrade breaks the overrides."""
    from prophet import Prophet

    settings = ModelSettings(growth=growth)
    df = prepare_history(_history(kind, days, missing))
    fast = fit_model(df, settings)
    assert type(fast.stan_backend).__name__ == "FastCmdStanPyBackend"
    assert type(fast) is not Prophet
    stock = fit_model(df, dataclasses.replace(settings, fast_prophet=False))
    assert type(stock) is Prophet
    assert type(stock.stan_backend).__name__ == "CmdStanPyBackend"
    assert set(fast.params) == set(stock.params)
    for name in fast.params:
        assert np.array_equal(fast.params[name], stock.params[name]), name
    assert _model_dict(fast) == _model_dict(stock)
    dates = future_dates(stock, 30)
    pd.testing.assert_frame_equal(
        forecast_dates(fast, dates, settings), forecast_dates(stock, dates, settings)
    )


def test_train_product_model_equals_stock_prophet():
    hist = _history("weekly", 180, 0.05, seed=11)
    fast = train_product_model("SKU-A", hist)
    stock = train_product_model("SKU-A", hist, ModelSettings(fast_prophet=False))
    assert fast.status == stock.status == "trained"
    pd.testing.assert_frame_equal(fast.holdout, stock.holdout)
    pd.testing.assert_frame_equal(fast.forecast, stock.forecast)
    assert fast.metrics == stock.metrics
    # Every candidate's validation score (Prophet's from fits at two earlier cutoffs) agrees.
    assert fast.validation == stock.validation and "prophet" in fast.validation["scores"]
    fast_json, stock_json = json.loads(fast.model_json), json.loads(stock.model_json)
    for doc in (fast_json, stock_json):
        if doc["prophet"] is not None:
            doc["prophet"].pop("fit_kwargs")
    assert fast_json == stock_json


def test_newton_fallback_when_lbfgs_fails(monkeypatch, tmp_path):
    backend = _backend_class()
    calls = []
    original = backend._optimize

    def flaky(self, data_file, base, algorithm, iters, files):
        calls.append(algorithm)
        if algorithm == "LBFGS":
            original(self, data_file, base, algorithm, iters, files)  # writes its files
            raise RuntimeError("Line search failed")
        return original(self, data_file, base, algorithm, iters, files)

    monkeypatch.setattr(backend, "_optimize", flaky)
    model = fit_model(prepare_history(_history("weekly", 60, 0.0)), ModelSettings(), tmp_path)
    assert calls == ["LBFGS", "Newton"]
    assert np.isfinite(model.params["beta"]).all()
    assert list(tmp_path.iterdir()) == []


def test_fit_leaves_no_files(tmp_path):
    df = prepare_history(_history("weekly", 90, 0.1))
    fit_model(df, ModelSettings(), tmp_path)
    assert list(tmp_path.iterdir()) == []
    # Options the direct CmdStan call does not handle go through cmdstanpy, in a private
    # directory that is removed too.
    model = model_module.build_model(ModelSettings(), 90)
    model.fit(df.assign(y=np.log(df["y"])), output_dir=str(tmp_path), algorithm="LBFGS", refresh=50)
    assert list(tmp_path.iterdir()) == []


def test_cmdstan_error_raises_and_cleans_up(tmp_path, monkeypatch):
    backend = _backend_class()

    def broken(self, data_file, base, algorithm, iters, files):
        Path(files["inits"]).write_text("not json")  # CmdStan cannot read its inits
        return original(self, data_file, base, algorithm, iters, files)

    original = backend._optimize
    monkeypatch.setattr(backend, "_optimize", broken)
    with pytest.raises(RuntimeError, match="Error during optimization"):
        fit_model(prepare_history(_history("weekly", 60, 0.0)), ModelSettings(), tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_fourier_series_equals_prophet():
    from prophet import Prophet

    samples = [
        pd.Series(pd.date_range("2019-03-01", periods=900, freq="D")),
        pd.Series(pd.date_range("1960-01-01", periods=50, freq="7D")),
        pd.Series(pd.date_range("2024-01-01", periods=10, freq="D").astype("datetime64[s]")),
        # sub-second and later-than-midnight timestamps: Prophet's own path
        pd.Series(pd.to_datetime(["2024-01-01 13:45:12.5", "2030-05-05 00:00:00.0"])),
    ]
    for ds in samples:
        for period, order in [(7, 3), (365.25, 10), (1, 4)]:
            expected = Prophet.fourier_series(ds, period, order)
            assert np.array_equal(fourier_series(ds, period, order), expected)
            assert np.array_equal(fourier_series(pd.DatetimeIndex(ds), period, order), expected)


def _empirical_bounds_loop(grid, phi, max_h, settings):
    """The per-horizon loop _empirical_bounds replaced (kept as the reference)."""
    lo_q = (1 - settings.interval_width) / 2
    hi_q = 1 - lo_q
    lower = np.full(max_h, np.nan)
    upper = np.full(max_h, np.nan)
    last_ok = 0
    for h in range(1, max_h + 1):
        if h >= len(grid):
            break
        err = grid[h:] - phi**h * grid[:-h]
        err = err[~np.isnan(err)]
        if len(err) < MIN_ERROR_PAIRS:
            break
        lower[h - 1], upper[h - 1] = np.quantile(err, [lo_q, hi_q])
        last_ok = h
    if last_ok == 0:
        sd = float(np.nanstd(grid)) if np.isfinite(grid).sum() > 1 else 0.0
        z = 1.2815515655446004 * (settings.interval_width / 0.8)
        lower[0], upper[0], last_ok = -z * sd, z * sd, 1
    for h in range(last_ok + 1, max_h + 1):
        f = np.sqrt(h / last_ok)
        lower[h - 1], upper[h - 1] = lower[last_ok - 1] * f, upper[last_ok - 1] * f
    lower = np.minimum(lower, 0.0) * settings.interval_scale
    upper = np.maximum(upper, 0.0) * settings.interval_scale
    return -np.maximum.accumulate(-lower), np.maximum.accumulate(upper)


def test_empirical_bounds_equal_the_loop():
    rng = np.random.default_rng(0)
    settings = [ModelSettings(), ModelSettings(interval_width=0.9, interval_scale=1.0)]
    for i in range(400):
        n = int(rng.integers(1, 250))
        grid = rng.normal(size=n) * rng.uniform(0.001, 1)
        grid[rng.random(n) < rng.uniform(0, 0.6)] = np.nan
        grid[0], grid[-1] = rng.normal(), rng.normal()
        phi = [1.0, 0.0, float(rng.uniform(0, 1))][i % 3]
        for s in settings:
            for max_h in (1, 30, 60):
                got = _empirical_bounds(grid, phi, max_h, s)
                want = _empirical_bounds_loop(grid, phi, max_h, s)
                assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_prepare_history_sorted_unique_days_skip_groupby():
    hist = _history("weekly", 90, 0.1)
    fast = prepare_history(hist)
    ref = hist.assign(ds=pd.to_datetime(hist["ds"]).dt.normalize()).dropna(subset=["y"])
    ref = ref.groupby("ds", as_index=False, sort=True)["y"].median().reset_index(drop=True)
    pd.testing.assert_frame_equal(fast, ref)
    # Unsorted with a duplicate day: median per day, sorted.
    messy = pd.DataFrame(
        {"ds": ["2024-01-03", "2024-01-01", "2024-01-03", "2024-01-02"], "y": [3.0, 1, 5, 2]}
    )
    out = prepare_history(messy)
    assert list(out["y"]) == [1.0, 2.0, 4.0]
    assert list(out["ds"].dt.day) == [1, 2, 3]


def _predict_log_pandas(model, dates):
    """predict_log as it was with pandas date arithmetic (the reference)."""
    from prophet import Prophet

    ds = pd.Series(pd.to_datetime(pd.Series(dates)).to_numpy(), name="ds")
    t = ((ds - model.start) / model.t_scale).to_numpy(dtype=float)
    k, m = float(np.nanmean(model.params["k"])), float(np.nanmean(model.params["m"]))
    if model.growth == "linear":
        deltas = np.nanmean(model.params["delta"], axis=0)
        trend = model.piecewise_linear(t, deltas, k, m, np.asarray(model.changepoints_t))
    else:
        trend = np.full(t.shape, m)
    feats = np.hstack(
        [
            Prophet.fourier_series(ds, p["period"], p["fourier_order"])
            for p in model.seasonalities.values()
        ]
    )
    beta = np.asarray(model.params["beta"], dtype=float).reshape(-1)
    return trend * float(model.y_scale) + feats @ beta * float(model.y_scale)


@pytest.mark.parametrize("growth", ["flat", "linear"])
def test_numpy_dates_equal_pandas_dates(growth):
    from prophet.serialize import model_from_json, model_to_json

    from procurement_pipeline.lib.forecasting.model import predict_log

    settings = ModelSettings(growth=growth)
    fitted = fit_model(prepare_history(_history("promotions", 150, 0.1)), settings)
    loaded = model_from_json(model_to_json(fitted))  # other datetime units than a fresh fit
    for model in (fitted, loaded):
        future = future_dates(model, 30)
        for dates in (future, pd.Series(future), list(future), future.astype("datetime64[s]")):
            assert np.array_equal(predict_log(model, dates), _predict_log_pandas(model, dates))
        hist = model.history["ds"]
        assert np.array_equal(predict_log(model, hist), _predict_log_pandas(model, hist))


def test_forecast_no_dates():
    model = fit_model(prepare_history(_history("weekly", 60, 0.0)), ModelSettings())
    out = forecast_dates(model, [], ModelSettings())
    assert out.empty and list(out.columns) == ["ds", "yhat", "yhat_lower", "yhat_upper"]
    assert out["ds"].dtype == "datetime64[ns]"


@pytest.mark.parametrize("scale", [1.0, -1.0, 0.0])
def test_setup_dataframe_equals_prophet(scale):
    from prophet import Prophet

    for i, kind in enumerate(["weekly", "steps", "trend"]):
        df = prepare_history(_history(kind, 60 + 97 * i, 0.1 * i))
        df["y"] = np.log(df["y"]) * scale
        ours, ref = model_module.build_model(ModelSettings(), 200), Prophet()
        got = ours.setup_dataframe(df.copy(), initialize_scales=True)
        want = Prophet.setup_dataframe(ref, df.copy(), initialize_scales=True)
        pd.testing.assert_frame_equal(got, want, check_exact=True)
        for attr in ("y_scale", "y_min", "start", "t_scale"):
            a, b = getattr(ours, attr), getattr(ref, attr)
            assert a == b and type(a) is type(b), attr
        assert ours.start.unit == ref.start.unit and ours.t_scale.unit == ref.t_scale.unit
        pd.testing.assert_frame_equal(
            ours.setup_dataframe(df.copy()),
            Prophet.setup_dataframe(ref, df.copy()),
            check_exact=True,
        )


def test_the_switch_reads_procurement_fast_prophet(monkeypatch):
    from procurement_pipeline.lib import settings

    monkeypatch.delenv("PROCUREMENT_FAST_PROPHET", raising=False)
    assert settings.fast_prophet() is True
    for raw, expected in (("0", False), ("false", False), (" Off ", False), ("1", True)):
        monkeypatch.setenv("PROCUREMENT_FAST_PROPHET", raw)
        assert settings.fast_prophet() is expected
    monkeypatch.setenv("PROCUREMENT_FAST_PROPHET", "talvez")
    with pytest.raises(ValueError, match="PROCUREMENT_FAST_PROPHET"):
        settings.fast_prophet()
