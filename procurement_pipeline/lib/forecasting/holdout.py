"""Holdout evaluation: fit on all but the last days, forecast them, compare with baselines.

Prices over a month move much like random walks, so a forecast is only worth showing if it beats
the two baselines computed here on the same held-out days:

- ``naive``: the last training price carried forward;
- ``seasonal_naive``: the price of the same weekday in the last training week, carried forward
  week after week. Missing days are handled on a daily grid forward-filled from the last
  observation before them (a missing Tuesday takes Monday's price, never a stale Tuesday).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting.model import prepare_history
from procurement_pipeline.lib.forecasting.selection import CandidateFits, serve
from procurement_pipeline.lib.forecasting.served import ServedModel, forecast
from procurement_pipeline.lib.forecasting.settings import ModelSettings

HOLDOUT_COLUMNS = ["ds", "y", "yhat", "yhat_lower", "yhat_upper", "naive", "seasonal_naive"]


_EMPTY_HOLDOUT: pd.DataFrame | None = None


def empty_holdout() -> pd.DataFrame:
    global _EMPTY_HOLDOUT
    if _EMPTY_HOLDOUT is None:  # built once: every TrainingResult starts with one (~0.6 ms)
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in HOLDOUT_COLUMNS})
        out["ds"] = pd.Series(dtype="datetime64[ns]")
        _EMPTY_HOLDOUT = out
    return _EMPTY_HOLDOUT.copy()


def split_holdout(
    df: pd.DataFrame, horizon: int, min_train_days: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Train/test split of a prepared history: test = observed days in the last ``horizon``
    calendar days, moved later when needed so that at least ``min_train_days`` points train."""
    if len(df) <= min_train_days or horizon < 1:
        return df, df.iloc[0:0]
    last = df["ds"].iloc[-1]
    cutoff = max(last - pd.Timedelta(days=horizon), df["ds"].iloc[min_train_days - 1])
    train = df[df["ds"] <= cutoff]
    test = df[df["ds"] > cutoff]
    return train.reset_index(drop=True), test.reset_index(drop=True)


def naive_baselines(train: pd.DataFrame, dates: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(naive, seasonal_naive) values for the given dates after a prepared training frame."""
    dates = pd.to_datetime(pd.Series(dates))
    naive = np.full(len(dates), float(train["y"].iloc[-1]))
    series = train.set_index("ds")["y"]
    last = series.index[-1]
    grid = pd.date_range(min(series.index[0], last - pd.Timedelta(days=6)), last, freq="D")
    # Forward-fill gaps; a training history shorter than a week back-fills its first value.
    filled = series.reindex(grid).ffill().bfill()
    last_week = filled.iloc[-7:]
    by_weekday = dict(
        zip(last_week.index.day_of_week, last_week.to_numpy(dtype=float), strict=True)
    )
    seasonal = np.array([by_weekday[d] for d in dates.dt.day_of_week], dtype=float)
    return naive, seasonal


def holdout_frame(
    test: pd.DataFrame, fc: pd.DataFrame, naive: np.ndarray, seasonal: np.ndarray
) -> pd.DataFrame:
    """The :data:`HOLDOUT_COLUMNS` frame of the held-out days ``test``: their forecast ``fc``
    (yhat, yhat_lower, yhat_upper row by row with ``test``) and :func:`naive_baselines`."""
    return pd.DataFrame(
        {
            "ds": test["ds"].astype("datetime64[ns]").to_numpy(),
            "y": test["y"].to_numpy(dtype=float),
            "yhat": fc["yhat"].to_numpy(),
            "yhat_lower": fc["yhat_lower"].to_numpy(),
            "yhat_upper": fc["yhat_upper"].to_numpy(),
            "naive": naive,
            "seasonal_naive": seasonal,
        }
    )


def holdout_forecast(
    history: pd.DataFrame,
    horizon: int = 30,
    settings: ModelSettings | None = None,
    *,
    work_dir: str | Path | None = None,
) -> pd.DataFrame:
    """The served model (chosen and fitted on the history minus its last ``horizon`` days)
    forecasts those days.

    Returns one row per observed held-out day with columns ds, y, yhat, yhat_lower, yhat_upper,
    naive, seasonal_naive (empty when the history is too short to hold anything out).
    """
    settings = settings or ModelSettings()
    df = prepare_history(history, log_scale=settings.log_scale)
    return holdout_from_prepared(df, horizon, settings, work_dir=work_dir)


def holdout_from_prepared(
    df: pd.DataFrame,
    horizon: int,
    settings: ModelSettings,
    *,
    work_dir: str | Path | None = None,
) -> pd.DataFrame:
    """:func:`holdout_forecast` on a frame that already went through ``prepare_history``."""
    settings = dataclasses.replace(settings, horizon=horizon)
    frame, _ = served_holdout(CandidateFits(df, settings, work_dir))
    return frame


def served_holdout(fits: CandidateFits) -> tuple[pd.DataFrame, ServedModel | None]:
    """The holdout frame of the model chosen and fitted on the history before the holdout
    (``split_holdout``), and that model (None when nothing can be held out)."""
    settings = fits.settings
    df = fits.df
    train, test = split_holdout(df, settings.horizon, settings.min_train_days)
    if test.empty:
        return empty_holdout(), None
    # The split's own cutoff: validation cutoffs a month apart from it are the whole
    # history's too, so their fits serve both choices.
    cutoff = max(df["ds"].iloc[-1] - pd.Timedelta(days=settings.horizon), train["ds"].iloc[-1])
    model = serve(fits, cutoff)
    fc = forecast(model, test["ds"], settings)
    return holdout_frame(test, fc, *naive_baselines(train, test["ds"])), model
