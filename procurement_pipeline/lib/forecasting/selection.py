"""Model choice per series by rolling-origin validation on its own past.

For a series that ends on day ``end``, every candidate (``ModelSettings.candidates``) is fitted
on the history up to each validation cutoff ``end - k * horizon`` (k = 1..validation_origins,
expanding window) and forecasts the observed days of the ``horizon`` days after it. A
candidate's score is its pooled absolute error over all those days divided by the naive
forecast's (< 1 beats "the price stays where it is"; a perfect naive forecast scores a perfect
candidate 1.0 and any other None). The lowest score wins; a candidate other than naive must
beat naive's 1.0 by ``selection_margin``, so weak evidence keeps the last price.

Nothing after ``end`` is ever seen: the training code chooses once with ``end`` = the holdout
cutoff (the holdout then scores that choice honestly) and once with ``end`` = the last day
(the model that is served). Fits are cached by their training set, so a Prophet fit on the
history up to a cutoff serves both choices.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting.candidates import (
    DailyGrid,
    Offsets,
    daily_grid,
    expected_path,
    numpy_offsets,
    weekly_evidence,
)
from procurement_pipeline.lib.forecasting.model import fit_model, forecast_dates
from procurement_pipeline.lib.forecasting.served import ServedModel, extend
from procurement_pipeline.lib.forecasting.settings import ModelSettings


class CandidateFits:
    """The candidates fitted on prefixes of one prepared history (ds, y), cached by the
    prefix's last day."""

    def __init__(self, df: pd.DataFrame, settings: ModelSettings, work_dir: str | Path | None):
        self.df = df
        self.settings = settings
        self.work_dir = work_dir
        self._days = df["ds"].to_numpy()
        # Day numbers and prices as plain arrays: validation is numpy, not pandas.
        self._day_numbers = self._days.astype("datetime64[D]").astype(np.int64)
        self._prices = df["y"].to_numpy(dtype=float)
        self._offsets: dict[np.datetime64, dict[str, Offsets]] = {}
        self._grids: dict[np.datetime64, DailyGrid] = {}
        self._prophet: dict[np.datetime64, Any] = {}

    def train_end(self, cutoff: pd.Timestamp) -> int:
        """Number of rows on or before ``cutoff``."""
        return int(np.searchsorted(self._days, cutoff.to_datetime64(), side="right"))

    def _train(self, rows: int) -> pd.DataFrame:
        return self.df.iloc[:rows]

    def grid(self, rows: int) -> DailyGrid:
        key = self._days[rows - 1]
        if key not in self._grids:
            self._grids[key] = daily_grid(self._train(rows))
        return self._grids[key]

    def offsets(self, rows: int) -> dict[str, Offsets]:
        key = self._days[rows - 1]
        if key not in self._offsets:
            self._offsets[key] = numpy_offsets(
                self.grid(rows), self.settings, self.settings.horizon
            )
        return self._offsets[key]

    def prophet_eligible(self, rows: int) -> bool:
        """Prophet is fitted only where its one strength, a weekly pattern, shows in the
        history (or when it is the only candidate): elsewhere it is naive plus noise and
        the most expensive candidate by far."""
        if tuple(self.settings.candidates) == ("prophet",):
            return True
        return weekly_evidence(self.grid(rows)) >= self.settings.prophet_min_weekly_f

    def point_forecast(self, name: str, rows: int, days: np.ndarray) -> np.ndarray | None:
        """yhat of candidate ``name`` trained on ``rows`` rows for day numbers ``days``; None
        when the candidate does not apply (Prophet without a weekly pattern)."""
        if name == "prophet":
            if not self.prophet_eligible(rows):
                return None
            dates = days.astype("datetime64[D]").astype("datetime64[ns]")
            return forecast_dates(self.prophet(rows), dates, self.settings)["yhat"].to_numpy()
        h = days - self._day_numbers[rows - 1]
        offsets = extend(self.offsets(rows)[name], int(h.max()))
        return self._prices[rows - 1] * np.exp(offsets.center[h - 1])

    def prophet(self, rows: int):
        key = self._days[rows - 1]
        if key not in self._prophet:
            self._prophet[key] = fit_model(self._train(rows), self.settings, self.work_dir)
        return self._prophet[key]

    def served(self, name: str, rows: int, validation: dict[str, Any]) -> ServedModel:
        """Candidate ``name`` fitted on the first ``rows`` rows, anchored on its last one, with
        the expected path of the same history (whichever candidate serves)."""
        last = self.df.iloc[rows - 1]
        model = ServedModel(
            name=name,
            anchor_day=pd.Timestamp(last["ds"]),
            anchor_price=float(last["y"]),
            validation=validation,
            expected=expected_path(self.grid(rows), self.settings),
        )
        if name == "prophet":
            model.prophet = self.prophet(rows)
        else:
            model.offsets = self.offsets(rows)[name]
        return model


def score(errors: float, naive_errors: float) -> float | None:
    """Pooled absolute error relative to naive's; a perfect naive ties only a perfect model."""
    if naive_errors == 0:
        return 1.0 if errors == 0 else None
    return float(errors / naive_errors)


def choose(scores: dict[str, float | None], settings: ModelSettings) -> str:
    """The lowest score; anything but naive must beat 1.0 by the margin (ties: list order)."""
    best, best_score = "naive", 1.0 - settings.selection_margin
    for name in settings.candidates:
        value = scores.get(name)
        if name == "naive" or value is None:
            continue
        if value < best_score:
            best, best_score = name, value
    if "naive" not in settings.candidates and best == "naive":
        return settings.fallback_model
    return best


def select(fits: CandidateFits, end: pd.Timestamp) -> tuple[str, dict[str, Any]]:
    """The candidate to serve for the history up to ``end`` and its validation record:
    cutoffs, observed days scored, each candidate's score, the choice."""
    settings = fits.settings
    horizon = settings.horizon
    days, prices = fits._day_numbers, fits._prices
    end_day = int(end.to_datetime64().astype("datetime64[D]").astype(np.int64))
    names = list(dict.fromkeys(["naive", *settings.candidates]))
    errors: dict[str, float | None] = dict.fromkeys(names, 0.0)
    cutoffs: list[str] = []
    scored_days = 0
    for k in range(1, settings.validation_origins + 1):
        cutoff = end - pd.Timedelta(days=k * horizon)
        rows = fits.train_end(cutoff)
        if rows < settings.min_train_days:
            break
        # Horizons count from the last training day (a gap before the cutoff shortens the
        # window instead of stretching it past the horizon).
        origin = days[rows - 1]
        stop = int(np.searchsorted(days, min(origin + horizon, end_day), side="right"))
        if stop <= rows:
            continue
        test_days, y = days[rows:stop], prices[rows:stop]
        for name in names:
            if errors[name] is None:
                continue
            yhat = fits.point_forecast(name, rows, test_days)
            errors[name] = None if yhat is None else errors[name] + float(np.abs(y - yhat).sum())
        cutoffs.append(cutoff.date().isoformat())
        scored_days += len(y)
    scores: dict[str, float | None] = {}
    if not cutoffs:
        chosen = settings.fallback_model
    else:
        naive_errors = errors["naive"] or 0.0
        for name in names:
            value = errors[name]
            scores[name] = None if value is None else score(value, naive_errors)
        scores["naive"] = 1.0
        chosen = choose(scores, settings)
    validation = {
        "chosen": chosen,
        "cutoffs": cutoffs,
        "days": scored_days,
        "scores": {k: (None if v is None else round(v, 4)) for k, v in scores.items()},
    }
    return chosen, validation


def serve(fits: CandidateFits, end: pd.Timestamp | None = None) -> ServedModel:
    """The model to serve for the history up to ``end`` (default: all of it): the candidate
    :func:`select` chooses, fitted on that history, with its validation record."""
    end = fits.df["ds"].iloc[-1] if end is None else end
    name, validation = select(fits, end)
    return fits.served(name, fits.train_end(end), validation)
