"""Prophet model construction, fitting and forecasting (pure Python, no Dagster).

Everything a forecast needs is derivable from the fitted Prophet object (its ``history`` holds
the log-prices it was trained on), so a model loaded from its JSON artifact reproduces the
forecast exactly with :func:`forecast_dates`.

Speed notes (measured, Prophet 1.5 / cmdstanpy 1.3 on 180 daily points): a flat-trend fit cost
~14-20 ms with stock Prophet and ~8 ms with the overrides below (same numbers, see "Training
speed" in benchmarks/FORECAST_TUNING.md), a linear one with 25 changepoints ~48 ms (stock);
``Prophet.predict`` costs ~11 ms without uncertainty samples and ~40 ms with 1,000, mostly
pandas work building seasonal features. The model here is additive on log prices, so
:func:`predict_log` evaluates trend + Fourier terms directly with numpy (well under a
millisecond, identical values) and intervals come from in-sample errors instead of posterior
draws.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.dates import day_values
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
    days = day_values(history["ds"])
    y = history["y"]
    y = (
        y.to_numpy(dtype=float)
        if y.dtype.kind in "fiu"
        else pd.to_numeric(y, errors="coerce").to_numpy(dtype=float)
    )
    keep = ~(np.isnat(days) | np.isnan(y))
    if not keep.all():
        days, y = days[keep], y[keep]
    if log_scale and (y <= 0).any():
        bad = pd.Timestamp(days[np.argmax(y <= 0)]).date()
        raise ValueError(f"price must be positive for a log-scale model (got {bad})")
    df = pd.DataFrame({"ds": days, "y": y})
    if len(days) > 1 and not (days[1:] > days[:-1]).all():
        # Several values on one day: take their median (the daily history should already be
        # one); already sorted unique days - the usual case - are returned as they are.
        df = df.groupby("ds", as_index=False, sort=True)["y"].median()
    return df


def fourier_series(dates, period: float, series_order: int) -> np.ndarray:
    """``Prophet.fourier_series`` with numpy (bit-identical, tested; ~10x faster).

    Prophet takes ``(dates - epoch).dt.total_seconds() / 86400``; for timezone-naive dates on
    whole seconds (daily prices always are) pandas' total_seconds is the exact integer number of
    seconds, which numpy computes with an integer division. Anything else goes to Prophet.
    """
    from prophet import Prophet

    values = np.asarray(dates)
    if values.dtype.kind != "M" or series_order < 1:
        return Prophet.fourier_series(pd.Series(dates), period, series_order)
    ns = values.astype("datetime64[ns]").view(np.int64)
    seconds, rest = np.divmod(ns, 1_000_000_000)
    if rest.any() or np.abs(seconds).max(initial=0) >= 2**52:
        return Prophet.fourier_series(pd.Series(dates), period, series_order)
    x_t = np.pi * 2 * (seconds.astype(np.float64) / (24 * 60 * 60))
    out = np.empty((len(ns), 2 * series_order))
    for i in range(series_order):
        c = (i + 1) / period * x_t
        out[:, 2 * i] = np.sin(c)
        out[:, 2 * i + 1] = np.cos(c)
    return out


_FAST_PROPHET = None
_FAST_BACKEND = None
# regressor_column_matrix results by (feature names, modes, ...): identical for every fit of
# the same configuration.
_COMPONENT_COLS: dict[tuple, pd.DataFrame] = {}
_STAN_MODEL = None


# The optimize arguments the direct CmdStan call understands; anything else goes to cmdstanpy.
_DIRECT_KWARGS = frozenset({"output_dir", "algorithm", "iter"})
# Fixed seed: with every parameter initialised (Prophet always passes inits) the optimizer does
# not draw random numbers, so the seed cannot change the result; fixed keeps runs reproducible.
_SEED = 20240101


def _read_cmdstan_csv(path: Path) -> tuple[list[str], np.ndarray]:
    """Column names and the (last) row of values of a CmdStan optimize output CSV."""
    header: list[str] | None = None
    row: str | None = None
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip() or line.startswith("#"):
                continue
            if header is None:
                header = line.strip().split(",")
            else:
                row = line
    if header is None or row is None:
        raise RuntimeError(f"CmdStan wrote no estimate to {path}")
    return header, np.array(row.strip().split(","), dtype=float)


def _backend_class():
    """Prophet's cmdstanpy backend with less Python around the one CmdStan process per fit.

    Same compiled Prophet model, same inputs, same CmdStan command line (optimize, L-BFGS,
    iter), same Newton fallback; measured per fit on 180 points it saves ~8-10 ms of ~20:

    - data and inits are written with ``json.dumps`` (C encoder, ``repr`` of every float, so
      CmdStan reads the very same numbers) instead of cmdstanpy's ``stanio``, which walks every
      value in Python through the pure-Python JSON encoder (~4-7 ms -> ~0.5 ms);
    - CmdStan is run with ``subprocess.run`` and its one-row CSV read directly, instead of
      cmdstanpy's ``optimize`` (argument objects, a busy loop reading stdout line by line,
      temp-file bookkeeping, CSV metadata parsing: ~4 ms over the ~4 ms the process takes);
    - the ``CmdStanModel`` is created once per process instead of once per Prophet object.

    Every file (inputs, CSV, console output) is created in ``output_dir`` under a unique
    ``mkstemp`` name and unlinked when the fit ends, failed or not. Without ``output_dir`` the
    call goes to cmdstanpy unchanged; with any other optimize option it goes to cmdstanpy in a
    private subdirectory, removed afterwards. Results equal stock Prophet's exactly (tested).
    """
    global _FAST_BACKEND
    if _FAST_BACKEND is None:
        from prophet.models import CmdStanPyBackend

        class FastCmdStanPyBackend(CmdStanPyBackend):
            def load_model(self):
                global _STAN_MODEL
                if _STAN_MODEL is None:
                    _STAN_MODEL = super().load_model()
                return _STAN_MODEL

            def fit(self, stan_init, stan_data, **kwargs):
                out = kwargs.get("output_dir")
                if out is None:
                    return super().fit(stan_init, stan_data, **kwargs)
                if not set(kwargs) <= _DIRECT_KWARGS:
                    # cmdstanpy's own path, in a private directory removed afterwards.
                    sub = tempfile.mkdtemp(prefix="fit-", dir=str(out))
                    try:
                        return super().fit(stan_init, stan_data, **{**kwargs, "output_dir": sub})
                    finally:
                        shutil.rmtree(sub, ignore_errors=True)
                inits, data = self.prepare_data(stan_init, stan_data)
                # Uniquely named files straight in output_dir, each removed after the fit: a
                # directory per fit costs ~2.8 ms to remove on ext4 (discard), files ~0.02 ms.
                fd, data_file = tempfile.mkstemp(prefix="fit-", suffix="-data.json", dir=str(out))
                base = data_file[: -len("-data.json")]
                files = {"inits": f"{base}-inits.json"}
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.write(json.dumps(data))
                    with open(files["inits"], "w", encoding="utf-8") as fh:
                        fh.write(json.dumps(inits))
                    algorithm = kwargs.get("algorithm") or (
                        "Newton" if data["T"] < 100 else "LBFGS"
                    )
                    iters = int(kwargs.get("iter") or 10_000)
                    self.stan_fit = None
                    try:
                        names, values = self._optimize(data_file, base, algorithm, iters, files)
                    except RuntimeError:
                        if not self.newton_fallback or algorithm == "Newton":
                            raise
                        logging.getLogger("prophet.models").warning(
                            "Optimization terminated abnormally. Falling back to Newton."
                        )
                        names, values = self._optimize(data_file, base, "Newton", iters, files)
                finally:
                    for path in [*files.values(), data_file]:  # the mkstemp name last
                        with contextlib.suppress(FileNotFoundError):
                            os.unlink(path)
                params = self.stan_to_dict_numpy(names, values)
                for par in params:
                    params[par] = params[par].reshape((1, -1))
                return params

            def _optimize(self, data_file, base, algorithm, iters, files):
                """Run CmdStan optimize; files it writes are recorded in ``files``."""
                files[f"csv-{algorithm}"] = csv = f"{base}-output-{algorithm.lower()}.csv"
                files[f"console-{algorithm}"] = console = f"{base}-console-{algorithm.lower()}.txt"
                cmd = [
                    str(self.model.exe_file),
                    "random",
                    f"seed={_SEED}",
                    "data",
                    f"file={data_file}",
                    f"init={files['inits']}",
                    "output",
                    f"file={csv}",
                    "method=optimize",
                    f"algorithm={algorithm.lower()}",
                    f"iter={iters}",
                ]
                with open(console, "w", encoding="utf-8") as fh:
                    proc = subprocess.run(
                        cmd, stdin=subprocess.DEVNULL, stdout=fh, stderr=subprocess.STDOUT
                    )
                if proc.returncode != 0:
                    msg = Path(console).read_text(encoding="utf-8", errors="replace")[-2000:]
                    raise RuntimeError(
                        f"Error during optimization! Command '{' '.join(cmd)}' failed: {msg}"
                    )
                return _read_cmdstan_csv(Path(csv))

        _FAST_BACKEND = FastCmdStanPyBackend
    return _FAST_BACKEND


def _stock_prophet_class():
    from prophet import Prophet

    return Prophet


def _prophet_class():
    """Prophet with faster internals and the same results (serialised models are plain Prophet
    JSON; every override is compared with stock Prophet in the tests):

    - ``regressor_column_matrix``: Prophet builds a small 0/1 matrix (feature column x
      component) with ``pd.crosstab`` on every fit and predict: ~6 ms of a ~20 ms fit. Built
      here with numpy, once per configuration, and copied (Prophet itself checks it against the
      original whenever a model is used for ``predict``);
    - ``fourier_series``: numpy instead of pandas datetime arithmetic (:func:`fourier_series`);
    - ``set_auto_seasonalities``: skipped when no seasonality is left on "auto";
    - ``setup_dataframe``: numpy for the plain sorted ds/y frame fit_model passes;
    - the Stan backend: :func:`_backend_class` (fewer files, no stanio, no cmdstanpy loop).
    """
    global _FAST_PROPHET
    if _FAST_PROPHET is None:
        from prophet import Prophet

        class FastProphet(Prophet):
            def _load_stan_backend(self, stan_backend):
                if stan_backend is not None:
                    return super()._load_stan_backend(stan_backend)
                self.stan_backend = _backend_class()()

            fourier_series = staticmethod(fourier_series)

            def setup_dataframe(self, df, initialize_scales=False):
                # Prophet's version for what fit_model passes (sorted unique days, float y, no
                # regressors/conditions/cap), with numpy instead of pandas column arithmetic.
                ds = df["ds"].to_numpy() if "ds" in df else None
                simple = (
                    ds is not None
                    and ds.dtype.kind == "M"
                    and "y" in df
                    and df["y"].dtype == np.float64
                    and list(df.columns) == ["ds", "y"]
                    and df.index.name is None
                    and not self.extra_regressors
                    and self.growth != "logistic"
                    and not self.logistic_floor
                    and self.scaling == "absmax"
                    and all(p["condition_name"] is None for p in self.seasonalities.values())
                    and len(ds) > 0
                    and bool((ds[1:] > ds[:-1]).all())
                )
                y = df["y"].to_numpy() if simple else None
                if y is None or np.isnan(y).any():
                    return super().setup_dataframe(df, initialize_scales)
                if np.isinf(y).any():
                    raise ValueError("Found infinity in column y.")
                if initialize_scales:  # Prophet.initialize_scales for "absmax", no regressors
                    self.y_min = 0.0
                    self.y_scale = float(np.abs(y).max()) or 1.0
                    self.start = pd.Timestamp(ds[0])
                    self.t_scale = pd.Timestamp(ds[-1]) - self.start
                t = (ds - self.start.to_datetime64()) / self.t_scale.to_timedelta64()
                floor = np.zeros(len(y))
                return pd.DataFrame(
                    {
                        "ds": ds,
                        "y": y,
                        "floor": floor,
                        "t": t,
                        "y_scaled": (y - floor) / self.y_scale,
                    }
                )

            def set_auto_seasonalities(self):
                # build_model sets every seasonality explicitly (auto ones are False), for which
                # Prophet only computes date statistics it then ignores (~0.5 ms of pandas).
                if (self.yearly_seasonality, self.weekly_seasonality, self.daily_seasonality) != (
                    False,
                    False,
                    False,
                ):
                    super().set_auto_seasonalities()

            def regressor_column_matrix(self, seasonal_features, modes):
                if self.train_holiday_names is not None or self.extra_regressors:
                    return super().regressor_column_matrix(seasonal_features, modes)
                names = [str(x).split("_delim_")[0] for x in seasonal_features.columns]
                key = (
                    tuple(names),
                    tuple(modes["additive"]),
                    tuple(modes["multiplicative"]),
                    self.holidays_mode,
                    None
                    if self.train_component_cols is None
                    else tuple(self.train_component_cols.columns),
                )
                n = len(names)
                pairs = [(i, c) for i, c in enumerate(names)]
                for mode in ("additive", "multiplicative"):
                    group = set(modes[mode])
                    pairs += [(i, f"{mode}_terms") for i, c in enumerate(names) if c in group]
                    modes[mode].append(mode + "_terms")
                    modes[mode].append("extra_regressors_" + mode)
                modes[self.holidays_mode].append("holidays")
                cached = _COMPONENT_COLS.get(key)
                if cached is not None:  # same seasonalities -> same matrix
                    return cached.copy(), modes
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
                if len(_COMPONENT_COLS) < 64:
                    _COMPONENT_COLS[key] = cols.copy()
                return cols, modes

        _FAST_PROPHET = FastProphet
    return _FAST_PROPHET


def build_model(settings: ModelSettings, span_days: int):
    """A fresh Prophet configured from settings; yearly terms only with enough history."""
    model = (_prophet_class() if settings.fast_prophet else _stock_prophet_class())(
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

    CmdStan's input and output files go under work_dir (or the system temp dir) and are removed
    right after the fit: cmdstanpy otherwise leaves files behind in worker processes (prophet
    issues #2344, #2668). Prophet passes fit kwargs to the Stan backend; ``output_dir`` is
    where it writes. Our backend (:func:`_backend_class`) writes uniquely named files straight
    into it and removes them; any other backend gets a fresh directory, removed afterwards.
    """
    quiet_stan_logging()
    if len(train) < 2:
        raise ValueError(f"need at least 2 points to fit, got {len(train)}")
    df = train[["ds", "y"]].copy()
    if settings.log_scale:
        df["y"] = np.log(df["y"].to_numpy(dtype=float))
    span_days = int((df["ds"].iloc[-1] - df["ds"].iloc[0]).days) + 1
    model = build_model(settings, span_days)
    base = tempfile.gettempdir() if work_dir is None else str(work_dir)
    own_files = isinstance(model.stan_backend, _backend_class())
    out = base if own_files else tempfile.mkdtemp(prefix="fit-", dir=base)
    try:
        # Prophet picks Newton below 100 points, which took 10 s on a 90-day linear-trend fit
        # (L-BFGS: milliseconds); Prophet still falls back to Newton if L-BFGS fails.
        model.fit(df, output_dir=out, algorithm="LBFGS")
    finally:
        if not own_files:
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


def _datetimes(dates) -> np.ndarray:
    """Dates as a numpy datetime64 array (unit kept); pandas converts anything else."""
    if isinstance(dates, (pd.Series, pd.Index, np.ndarray)):
        values = np.asarray(dates)
        if values.dtype.kind == "M":
            return values
    return pd.to_datetime(pd.Series(dates)).to_numpy()


def predict_log(model, dates: pd.Series | pd.DatetimeIndex) -> np.ndarray:
    """Prophet's yhat (on the model's own scale, i.e. log price) for the given dates.

    Evaluates trend + additive Fourier terms with numpy when the model allows it (equal to
    ``model.predict(...)["yhat"]``, tested), otherwise falls back to ``model.predict``.
    """
    ds = _datetimes(dates)
    if not _fast_path_ok(model):
        out = model.predict(pd.DataFrame({"ds": ds}))
        return out["yhat"].to_numpy(dtype=float)
    # numpy datetime arithmetic, same unit promotion and division as pandas' (tested equal)
    t = ((ds - model.start.to_datetime64()) / model.t_scale.to_timedelta64()).astype(float)
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
                fourier_series(ds, props["period"], props["fourier_order"])
                for props in model.seasonalities.values()
            ]
        )
        beta = np.asarray(params["beta"], dtype=float).reshape(-1)
        yhat = yhat + features @ beta * float(model.y_scale)
    return yhat


def _residual_grid(model) -> tuple[pd.Timestamp, np.ndarray]:
    """In-sample residuals (model scale) on the daily grid of the training history (NaN gaps)."""
    hist = model.history
    ds = _datetimes(hist["ds"])
    fitted = predict_log(model, ds)
    resid = hist["y"].to_numpy(dtype=float) - fitted
    start = pd.Timestamp(ds[0])
    pos = (ds - ds[0]) // np.timedelta64(1, "D")
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


def _linear_quantile(sorted_rows: np.ndarray, counts: np.ndarray, q: float) -> np.ndarray:
    """Per row, ``np.quantile(row[:count], q)`` of rows sorted ascending (same arithmetic)."""
    virtual = (counts - 1) * q
    prev = np.floor(virtual).astype(np.int64)
    nxt = np.minimum(prev + 1, counts - 1)
    gamma = virtual - prev
    rows = np.arange(len(sorted_rows))
    a = sorted_rows[rows, prev]
    b = sorted_rows[rows, nxt]
    diff = b - a
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), a + diff * gamma)


def _empirical_bounds(
    grid: np.ndarray, phi: float, max_h: int, settings: ModelSettings
) -> tuple[np.ndarray, np.ndarray]:
    """Lower/upper error quantiles for h = 1..max_h from in-sample h-step errors."""
    lo_q = (1 - settings.interval_width) / 2
    hi_q = 1 - lo_q
    lower = np.full(max_h, np.nan)
    upper = np.full(max_h, np.nan)
    n = len(grid)
    hs = np.arange(1, min(max_h, n - 1) + 1)
    last_ok = 0
    if len(hs):
        # Row h-1 holds grid[h:] - phi**h * grid[:-h] (NaN-padded); all horizons at once.
        cols = np.arange(n)
        idx = cols[None, :] + hs[:, None]
        inside = idx < n
        coef = np.array([phi**h for h in hs.tolist()])[:, None]
        err = grid[np.where(inside, idx, 0)] - coef * grid[None, :]
        err[~inside] = np.nan
        counts = np.count_nonzero(~np.isnan(err), axis=1)
        short = np.flatnonzero(counts < MIN_ERROR_PAIRS)
        last_ok = int(short[0]) if len(short) else len(hs)
        if last_ok:
            err = np.sort(err[:last_ok], axis=1)  # NaN sort last
            lower[:last_ok] = _linear_quantile(err, counts[:last_ok], lo_q)
            upper[:last_ok] = _linear_quantile(err, counts[:last_ok], hi_q)
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


def forecast_dates(
    model, dates, settings: ModelSettings, anchor: tuple[pd.Timestamp, float] | None = None
) -> pd.DataFrame:
    """Forecast (ds, yhat, yhat_lower, yhat_upper) for dates after the model's history.

    On the model scale: Prophet's path, plus the last in-sample residual decayed by phi**h
    (settings.level_correction), with intervals from in-sample h-step errors (or Prophet's
    sampled intervals). Back-transformed with exp when the model is on the log scale.

    ``anchor`` = (day, price) re-anchors the forecast on a newer observation without
    refitting: the residual is that price's against Prophet's path on that day, and h counts
    from that day (the intervals still come from the training history's errors).
    """
    ds = _datetimes(dates)
    if len(ds) == 0:
        return pd.DataFrame(
            {
                "ds": pd.Series(dtype="datetime64[ns]"),
                **{c: pd.Series(dtype=float) for c in ("yhat", "yhat_lower", "yhat_upper")},
            }
        )
    start, grid = _residual_grid(model)
    last_day = start + pd.Timedelta(days=len(grid) - 1)
    residual = grid[-1]
    if anchor is not None:
        anchor_day = pd.Timestamp(anchor[0]).normalize()
        if anchor_day < last_day:
            raise ValueError("the anchor must not come before the model's training history")
        value = np.log(float(anchor[1])) if settings.log_scale else float(anchor[1])
        residual = value - predict_log(model, np.array([anchor_day.to_datetime64()]))[0]
        last_day = anchor_day
    h = (ds - last_day.to_datetime64()) // np.timedelta64(1, "D")
    if (h < 1).any():
        raise ValueError("forecast dates must come after the model's training history")
    if settings.level_correction == "ar1":
        phi = _ar1_coefficient(grid)
    elif settings.level_correction == "last":
        phi = 1.0
    else:
        phi = 0.0
    correction = residual * phi**h
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
