"""Prophet model construction, fitting and forecasting (pure Python, no Dagster).

Everything a forecast needs is derivable from the fitted Prophet object (its ``history`` holds
the log-prices it was trained on), so a model loaded from its JSON artifact reproduces the
forecast exactly with :func:`forecast_dates`.

Speed notes (measured, Prophet 1.5 / cmdstanpy 1.3 on 180 daily points): a flat-trend fit costs
~20 ms, a linear one with 25 changepoints ~48 ms; ``Prophet.predict`` costs ~11 ms without
uncertainty samples and ~40 ms with 1,000, mostly pandas work building seasonal features. The
model here is additive on log prices, so :func:`predict_log` evaluates trend + Fourier terms
directly with numpy (well under a millisecond, identical values) and intervals come from
in-sample errors instead of posterior draws.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting.settings import ModelSettings

# Fewer (origin, origin + h) residual pairs than this and the h-step quantile is extrapolated.
MIN_ERROR_PAIRS = 10


def quiet_stan_logging() -> None:
    """cmdstanpy logs two INFO lines per fit; keep warnings and errors only."""
    from cmdstanpy.utils.logging import get_logger

    get_logger()  # installs cmdstanpy's handler and DEBUG level once; lower it afterwards
    for name in ("cmdstanpy", "prophet", "prophet.models"):
        logging.getLogger(name).setLevel(logging.WARNING)


def prepare_history(history: pd.DataFrame, *, log_scale: bool = True) -> pd.DataFrame:
    """Clean a ds/y frame: dates normalised to days, NaN dropped, one row per day, sorted.

    Raises ValueError on non-positive prices when the model works on the log scale.
    """
    missing = {"ds", "y"} - set(history.columns)
    if missing:
        raise ValueError(f"history is missing column(s) {sorted(missing)}")
    ds = pd.to_datetime(history["ds"])
    if ds.dt.tz is not None:
        ds = ds.dt.tz_localize(None)
    df = pd.DataFrame(
        {
            "ds": ds.dt.normalize().to_numpy(),
            "y": pd.to_numeric(history["y"], errors="coerce").to_numpy(dtype=float),
        }
    )
    df = df.dropna(subset=["ds", "y"])
    if log_scale and (df["y"] <= 0).any():
        bad = df.loc[df["y"] <= 0, "ds"].iloc[0].date()
        raise ValueError(f"price must be positive for a log-scale model (got {bad})")
    # Several values on one day: take their median (the daily history should already be one).
    df = df.groupby("ds", as_index=False, sort=True)["y"].median()
    return df.reset_index(drop=True)


_FAST_PROPHET = None


def _prophet_class():
    """Prophet with a numpy version of ``regressor_column_matrix``.

    Prophet builds a small 0/1 matrix (feature column x component) with ``pd.crosstab`` on every
    fit and predict: ~6 ms of a ~20 ms fit. The subclass builds the same frame with numpy (the
    result is checked against the original by Prophet itself whenever a model is used for
    ``predict``, and in the tests). Serialised models are plain Prophet JSON.
    """
    global _FAST_PROPHET
    if _FAST_PROPHET is None:
        from prophet import Prophet

        class FastProphet(Prophet):
            def regressor_column_matrix(self, seasonal_features, modes):
                if self.train_holiday_names is not None or self.extra_regressors:
                    return super().regressor_column_matrix(seasonal_features, modes)
                names = [str(x).split("_delim_")[0] for x in seasonal_features.columns]
                n = len(names)
                pairs = [(i, c) for i, c in enumerate(names)]
                for mode in ("additive", "multiplicative"):
                    group = set(modes[mode])
                    pairs += [(i, f"{mode}_terms") for i, c in enumerate(names) if c in group]
                    modes[mode].append(mode + "_terms")
                    modes[mode].append("extra_regressors_" + mode)
                modes[self.holidays_mode].append("holidays")
                columns = sorted({c for _, c in pairs})
                pos = {c: j for j, c in enumerate(columns)}
                mat = np.zeros((n, len(columns)), dtype=np.int64)
                for i, c in pairs:
                    mat[i, pos[c]] = 1
                cols = pd.DataFrame(
                    mat,
                    index=pd.Index(np.arange(n), name="col"),
                    columns=pd.Index(columns, name="component"),
                )
                for name in ("additive_terms", "multiplicative_terms"):
                    if name not in cols:
                        cols[name] = 0
                cols = cols.drop(columns="zeros", errors="ignore")
                if self.train_component_cols is not None:
                    cols = cols[self.train_component_cols.columns]
                return cols, modes

        _FAST_PROPHET = FastProphet
    return _FAST_PROPHET


def build_model(settings: ModelSettings, span_days: int):
    """A fresh Prophet configured from settings; yearly terms only with enough history."""
    model = _prophet_class()(
        growth=settings.growth,
        changepoint_prior_scale=settings.changepoint_prior_scale,
        n_changepoints=settings.n_changepoints,
        changepoint_range=settings.changepoint_range,
        seasonality_mode=settings.seasonality_mode,
        seasonality_prior_scale=settings.seasonality_prior_scale,
        yearly_seasonality=False,
        weekly_seasonality=False,
        daily_seasonality=False,
        interval_width=settings.interval_width,
        uncertainty_samples=settings.uncertainty_samples,
    )
    if settings.weekly_seasonality:
        model.add_seasonality("weekly", period=7, fourier_order=settings.weekly_fourier_order)
    if span_days >= settings.yearly_min_days:
        model.add_seasonality("yearly", period=365.25, fourier_order=settings.yearly_fourier_order)
    if settings.daily_seasonality:  # kept for completeness; off by default on daily data
        model.add_seasonality("daily", period=1, fourier_order=4)
    return model


def fit_model(train: pd.DataFrame, settings: ModelSettings, work_dir: str | Path | None = None):
    """Fit Prophet on a prepared ds/y frame (prices; logged here when settings.log_scale).

    Each fit writes cmdstan's CSV output into its own temporary directory (under work_dir, or
    the system temp dir), removed right after: cmdstanpy otherwise leaves files behind in
    worker processes (prophet issues #2344, #2668). Prophet passes fit kwargs to
    ``CmdStanModel.optimize``, which takes ``output_dir``.
    """
    quiet_stan_logging()
    if len(train) < 2:
        raise ValueError(f"need at least 2 points to fit, got {len(train)}")
    df = train[["ds", "y"]].copy()
    if settings.log_scale:
        df["y"] = np.log(df["y"].to_numpy(dtype=float))
    span_days = int((df["ds"].iloc[-1] - df["ds"].iloc[0]).days) + 1
    model = build_model(settings, span_days)
    out = tempfile.mkdtemp(prefix="fit-", dir=None if work_dir is None else str(work_dir))
    try:
        # Prophet picks Newton below 100 points, which took 10 s on a 90-day linear-trend fit
        # (L-BFGS: milliseconds); Prophet still falls back to Newton if L-BFGS fails.
        model.fit(df, output_dir=out, algorithm="LBFGS")
    finally:
        shutil.rmtree(out, ignore_errors=True)
    # The fit object points into the removed directory; nothing needs it after fitting.
    model.stan_fit = None
    model.stan_backend.stan_fit = None
    return model


def _fast_path_ok(model) -> bool:
    return (
        model.growth in ("flat", "linear")
        and not model.extra_regressors
        and model.holidays is None
        and model.country_holidays is None
        and all(
            p["mode"] == "additive" and p.get("condition_name") is None
            for p in model.seasonalities.values()
        )
        and model.params["k"].shape[0] == 1
    )


def predict_log(model, dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Prophet's yhat (on the model's own scale, i.e. log price) for the given dates.

    Evaluates trend + additive Fourier terms with numpy when the model allows it (equal to
    ``model.predict(...)["yhat"]``, tested), otherwise falls back to ``model.predict``.
    """
    ds = pd.Series(pd.to_datetime(pd.Series(dates)).to_numpy(), name="ds")
    if not _fast_path_ok(model):
        out = model.predict(pd.DataFrame({"ds": ds}))
        return out["yhat"].to_numpy(dtype=float)
    t = ((ds - model.start) / model.t_scale).to_numpy(dtype=float)
    params = model.params
    k = float(np.nanmean(params["k"]))
    m = float(np.nanmean(params["m"]))
    if model.growth == "linear":
        deltas = np.nanmean(params["delta"], axis=0)
        trend = model.piecewise_linear(t, deltas, k, m, np.asarray(model.changepoints_t))
    else:
        trend = np.full(t.shape, m)
    yhat = trend * float(model.y_scale)
    if model.seasonalities:
        features = np.hstack(
            [
                model.fourier_series(ds, props["period"], props["fourier_order"])
                for props in model.seasonalities.values()
            ]
        )
        beta = np.asarray(params["beta"], dtype=float).reshape(-1)
        yhat = yhat + features @ beta * float(model.y_scale)
    return yhat


def _residual_grid(model) -> tuple[pd.Timestamp, np.ndarray]:
    """In-sample residuals (model scale) on the daily grid of the training history (NaN gaps)."""
    hist = model.history
    fitted = predict_log(model, hist["ds"])
    resid = hist["y"].to_numpy(dtype=float) - fitted
    start = pd.Timestamp(hist["ds"].iloc[0])
    pos = ((hist["ds"] - start).dt.days).to_numpy()
    grid = np.full(int(pos[-1]) + 1, np.nan)
    grid[pos] = resid
    return start, grid


def _ar1_coefficient(grid: np.ndarray) -> float:
    a, b = grid[:-1], grid[1:]
    ok = ~(np.isnan(a) | np.isnan(b))
    den = float(np.sum(a[ok] ** 2))
    if ok.sum() < 3 or den <= 0:
        return 0.0
    return float(np.clip(np.sum(a[ok] * b[ok]) / den, 0.0, 1.0))


def _empirical_bounds(
    grid: np.ndarray, phi: float, max_h: int, settings: ModelSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Lower/upper error quantiles for h = 1..max_h from in-sample h-step errors."""
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
    # Beyond the last horizon with enough pairs: grow like a random walk (sqrt of h).
    for h in range(last_ok + 1, max_h + 1):
        f = np.sqrt(h / last_ok)
        lower[h - 1], upper[h - 1] = lower[last_ok - 1] * f, upper[last_ok - 1] * f
    lower = np.minimum(lower, 0.0) * settings.interval_scale
    upper = np.maximum(upper, 0.0) * settings.interval_scale
    # Uncertainty never shrinks with the horizon.
    return -np.maximum.accumulate(-lower), np.maximum.accumulate(upper)


def forecast_dates(model, dates, settings: ModelSettings) -> pd.DataFrame:
    """Forecast (ds, yhat, yhat_lower, yhat_upper) for dates after the model's history.

    On the model scale: Prophet's path, plus the last in-sample residual decayed by phi**h
    (settings.level_correction), with intervals from in-sample h-step errors (or Prophet's
    sampled intervals). Back-transformed with exp when the model is on the log scale.
    """
    ds = pd.Series(pd.to_datetime(pd.Series(dates)).to_numpy(), name="ds")
    if ds.empty:
        return pd.DataFrame(
            {"ds": ds, "yhat": [], "yhat_lower": [], "yhat_upper": []}, dtype=float
        ).astype({"ds": "datetime64[ns]"})
    start, grid = _residual_grid(model)
    last_day = start + pd.Timedelta(days=len(grid) - 1)
    h = (ds - last_day).dt.days.to_numpy()
    if (h < 1).any():
        raise ValueError("forecast dates must come after the model's training history")
    if settings.level_correction == "ar1":
        phi = _ar1_coefficient(grid)
    elif settings.level_correction == "last":
        phi = 1.0
    else:
        phi = 0.0
    correction = grid[-1] * phi**h
    base = predict_log(model, ds)
    yhat = base + correction
    if settings.interval_method == "prophet":
        # uncertainty_samples only matters at predict time; the fit is the same.
        saved = model.uncertainty_samples, model.interval_width
        model.uncertainty_samples = settings.uncertainty_samples
        model.interval_width = settings.interval_width
        try:
            pred = model.predict(pd.DataFrame({"ds": ds}))
        finally:
            model.uncertainty_samples, model.interval_width = saved
        lower = pred["yhat_lower"].to_numpy(dtype=float) + correction
        upper = pred["yhat_upper"].to_numpy(dtype=float) + correction
    else:
        lo, hi = _empirical_bounds(grid, phi, int(h.max()), settings)
        lower = yhat + lo[h - 1]
        upper = yhat + hi[h - 1]
    if settings.log_scale:
        yhat, lower, upper = np.exp(yhat), np.exp(lower), np.exp(upper)
    return pd.DataFrame(
        {"ds": ds.astype("datetime64[ns]"), "yhat": yhat, "yhat_lower": lower, "yhat_upper": upper}
    ).reset_index(drop=True)


def future_dates(model, horizon: int) -> pd.DatetimeIndex:
    last = pd.Timestamp(model.history["ds"].iloc[-1])
    return pd.date_range(last + pd.Timedelta(days=1), periods=horizon, freq="D")
