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

from procurement_pipeline.lib.dates import epoch_days
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
    days = df["ds"].to_numpy()
    cutoff = max(days[-1] - np.timedelta64(horizon, "D"), days[min_train_days - 1])
    # A prepared history is sorted by unique day: the split is one position.
    rows = int(np.searchsorted(days, cutoff, side="right"))
    return df.iloc[:rows].reset_index(drop=True), df.iloc[rows:].reset_index(drop=True)


def naive_baselines(train: pd.DataFrame, dates) -> tuple[np.ndarray, np.ndarray]:
    """(naive, seasonal_naive) values for the given dates after a prepared training frame."""
    prices = train["y"].to_numpy(dtype=float)
    train_days = epoch_days(train["ds"])
    wanted = epoch_days(dates)
    naive = np.full(len(wanted), prices[-1])
    last = train_days[-1]
    grid = np.arange(min(train_days[0], last - 6), last + 1)
    # Forward-fill gaps (the last price on or before each day); a training history shorter
    # than a week back-fills its first value.
    filled = prices[np.maximum(np.searchsorted(train_days, grid, side="right") - 1, 0)]
    by_weekday = np.empty(7)
    by_weekday[_weekday(grid[-7:])] = filled[-7:]
    return naive, by_weekday[_weekday(wanted)]


def _weekday(days: np.ndarray) -> np.ndarray:
    """Monday 0 .. Sunday 6 of epoch days (1970-01-01 was a Thursday)."""
    return (days + 3) % 7


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
