"""The cheap candidate models (numpy only): each is a path of log-price offsets from the last
observed price, with an 80 % interval, for horizons h = 1..max_h days.

Why these (measured on real price series, ``benchmarks/forecast_real.py``): a month ahead most
prices behave like random walks, and marketplace prices move in steps (a price holds for
weeks, then jumps, mostly up under inflation). Over a month the error that counts is the
absolute error, whose best forecast is the *median* of what can happen, not the mean:

- ``naive``: the last price carried forward (the reference every model is judged against);
- ``steps``: the median of the series' own past h-day log changes (pairs of observed days
  ``h`` apart in the last ``steps_window_days``). A price that mostly holds gets a zero median
  change over short horizons (the naive level, exactly) and the typical step over longer
  ones, where a step usually came within h days;
- ``drift``: the average daily log change over the last ``drift_window_days`` days, continued
  and damped (factor ``damping`` per day: a trend fades rather than runs on for a month);
- Prophet (``model.py``) is the fourth candidate, the only one that sees weekly patterns.

Besides the served candidate's path (the median: what the forecast error is judged on), the
served model of a sticky price carries the *expected* path (:func:`expected_path`): the log of
the mean of the series' own past h-day price ratios. Money is linear in price, so a buying
decision needs the expected price; for a price that holds for weeks and then steps up the
median says "it holds" while the expectation rises by the chance of a step times its size.

Every numpy candidate's interval is the spread (10 %/90 % quantiles around the median) of the
past h-day changes in the last ``interval_window_days``, centred on the candidate's own path
and scaled by ``change_interval_scale``; horizons with too few pairs extrapolate like a random walk.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting.model import _linear_quantile
from procurement_pipeline.lib.forecasting.settings import ModelSettings

# Fewer (t, t + h) pairs of observed days than this and horizon h is extrapolated.
MIN_CHANGE_PAIRS = 8
NUMPY_CANDIDATES = ("naive", "steps", "drift")


@dataclass(frozen=True)
class DailyGrid:
    """Log prices on the calendar-day grid of a history: NaN on days without a price."""

    start: np.datetime64  # first day (datetime64[D])
    values: np.ndarray

    @property
    def last_day(self) -> np.datetime64:
        return self.start + np.timedelta64(len(self.values) - 1, "D")

    @property
    def last_value(self) -> float:
        return float(self.values[-1])


def daily_grid(prepared: pd.DataFrame) -> DailyGrid:
    """The grid of a prepared ds/y frame (sorted unique days, positive prices)."""
    days = prepared["ds"].to_numpy().astype("datetime64[D]")
    pos = (days - days[0]).astype(np.int64)
    values = np.full(int(pos[-1]) + 1, np.nan)
    values[pos] = np.log(prepared["y"].to_numpy(dtype=float))
    return DailyGrid(days[0], values)


def _change_pairs(
    grid: DailyGrid, window_days: int, max_h: int
) -> tuple[np.ndarray, np.ndarray, int]:
    """The log changes between observed days h apart (row h - 1; NaN where either day has no
    price or t - h is before the series) for the later days t of the last ``window_days``,
    the pairs per horizon, and how many leading horizons have MIN_CHANGE_PAIRS pairs."""
    values = grid.values
    n = len(values)
    hs = np.arange(1, min(max_h, n - 1) + 1)
    if not len(hs):
        return np.empty((0, 0)), np.zeros(0, dtype=np.int64), 0
    # All horizons at once.
    later = np.arange(max(0, n - window_days), n)
    earlier = later[None, :] - hs[:, None]
    diff = values[later][None, :] - values[np.maximum(earlier, 0)]
    diff[earlier < 0] = np.nan
    counts = np.count_nonzero(~np.isnan(diff), axis=1)
    short = np.flatnonzero(counts < MIN_CHANGE_PAIRS)
    return diff, counts, int(short[0]) if len(short) else len(hs)


def change_quantiles(grid: DailyGrid, window_days: int, max_h: int, probs) -> np.ndarray:
    """Quantiles (rows: ``probs``) of the log changes between observed days h apart, for
    h = 1..max_h (columns), over pairs whose later day falls in the last ``window_days``.

    Horizons with fewer than MIN_CHANGE_PAIRS pairs continue from the last horizon that had
    enough: the median linearly (a drift per day), the spread like a random walk (sqrt h).
    With no horizon at all: zero change and zero spread.
    """
    probs = np.asarray(probs, dtype=float)
    out = np.zeros((len(probs), max_h))
    diff, counts, last_ok = _change_pairs(grid, window_days, max_h)
    if last_ok == 0:
        return out
    ordered = np.sort(diff[:last_ok], axis=1)  # NaN sort last
    for row, q in enumerate(probs):
        out[row, :last_ok] = _linear_quantile(ordered, counts[:last_ok], q)
    if last_ok < max_h:
        ref = out[:, last_ok - 1]
        mid = ref[np.argmin(np.abs(probs - 0.5))]
        h = np.arange(last_ok + 1, max_h + 1, dtype=float)
        out[:, last_ok:] = mid * h / last_ok + (ref - mid)[:, None] * np.sqrt(h / last_ok)
    return out


def unchanged_share(grid: DailyGrid, window_days: int) -> float:
    """Share of consecutive observations in the last ``window_days`` with the same price: near
    1 for a list price that holds between steps, near 0 for a market price (NaN: fewer than
    two observations)."""
    values = grid.values[-window_days:]
    seen = values[~np.isnan(values)]
    if len(seen) < 2:
        return float("nan")
    return float(np.mean(seen[1:] == seen[:-1]))


def expected_path(grid: DailyGrid, settings: ModelSettings) -> np.ndarray | None:
    """The expected path the advice buys ahead of (:func:`expected_offsets`), for a sticky
    price only: one that held on at least ``expected_min_unchanged_share`` of its recent
    consecutive observations. A list price catches up with costs in steps, so its recent
    mean change says where it goes; a market price (a commodity future, an exchange rate)
    moves every day, and its mean change over two months is noise that buying ahead on
    pays for holding stock and loses (measured: benchmarks/FORECAST_TUNING.md, "Advice").
    None: no expected path."""
    window = settings.expected_window_days
    if not unchanged_share(grid, window) >= settings.expected_min_unchanged_share:
        return None
    return expected_offsets(grid, window, settings.horizon)


def expected_offsets(grid: DailyGrid, window_days: int, max_h: int) -> np.ndarray:
    """log E[price(t + h) / price(t)] for h = 1..max_h, estimated as the mean of the past
    h-day price ratios (pairs of observed days h apart whose later day falls in the last
    ``window_days``). Horizons with fewer than MIN_CHANGE_PAIRS pairs continue the last one
    that had enough linearly (a drift per day); with none at all: zero (the price holds)."""
    out = np.zeros(max_h)
    diff, counts, last_ok = _change_pairs(grid, window_days, max_h)
    if last_ok == 0:
        return out
    out[:last_ok] = np.log(np.nansum(np.exp(diff[:last_ok]), axis=1) / counts[:last_ok])
    if last_ok < max_h:
        h = np.arange(last_ok + 1, max_h + 1, dtype=float)
        out[last_ok:] = out[last_ok - 1] * h / last_ok
    return out


@dataclass(frozen=True)
class Offsets:
    """Log offsets from the anchor (last observed) price for h = 1..len: center, lower, upper."""

    center: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def as_lists(self) -> list[list[float]]:
        return [self.center.tolist(), self.lower.tolist(), self.upper.tolist()]

    @classmethod
    def from_lists(cls, rows) -> Offsets:
        center, lower, upper = (np.asarray(r, dtype=float) for r in rows)
        return cls(center, lower, upper)


def _drift_slope(grid: DailyGrid, window_days: int) -> float:
    """Mean daily log change over (up to) the last ``window_days`` days, between observed
    days: the last price against the first observed one in the window."""
    values = grid.values
    n = len(values)
    start = max(0, n - 1 - window_days)
    seen = np.flatnonzero(~np.isnan(values[start:]))
    if len(seen) < 2:
        return 0.0
    first = start + int(seen[0])
    span = n - 1 - first
    return float((values[-1] - values[first]) / span) if span > 0 else 0.0


def numpy_offsets(grid: DailyGrid, settings: ModelSettings, max_h: int) -> dict[str, Offsets]:
    """The offsets path of every numpy candidate (see the module docstring)."""
    (mid,) = change_quantiles(grid, settings.steps_window_days, max_h, (0.5,))
    # The spread needs more pairs than the median: its own, longer window.
    lo, center, hi = change_quantiles(grid, settings.interval_window_days, max_h, (0.1, 0.5, 0.9))
    scale = settings.change_interval_scale
    # Uncertainty never shrinks with the horizon.
    spread_lo = -np.maximum.accumulate(-np.minimum(lo - center, 0.0) * scale)
    spread_hi = np.maximum.accumulate(np.maximum(hi - center, 0.0) * scale)
    h = np.arange(1, max_h + 1, dtype=float)
    phi = settings.damping
    damped = h if phi >= 1 else phi * (1 - phi**h) / (1 - phi)
    centers = {
        "naive": np.zeros(max_h),
        "steps": mid,
        "drift": _drift_slope(grid, settings.drift_window_days) * damped,
    }
    return {
        name: Offsets(center, center + spread_lo, center + spread_hi)
        for name, center in centers.items()
    }


def weekly_evidence(grid: DailyGrid) -> float:
    """F statistic of the weekday means of day-to-day log changes (consecutive observed days):
    about 1 when the weekday does not matter, large for a weekly pattern. 0 with too few
    changes to tell."""
    values = grid.values
    diff = values[1:] - values[:-1]
    weekday = (np.arange(1, len(values)) + int(grid.start.astype(np.int64)) + 3) % 7
    ok = ~np.isnan(diff)
    diff, weekday = diff[ok], weekday[ok]
    n = len(diff)
    counts = np.bincount(weekday, minlength=7)
    groups = int((counts > 0).sum())
    if n < 21 or groups < 2:
        return 0.0
    means = np.bincount(weekday, weights=diff, minlength=7) / np.maximum(counts, 1)
    between = float(np.sum(counts * (means - diff.mean()) ** 2)) / (groups - 1)
    within = float(np.sum((diff - means[weekday]) ** 2)) / (n - groups)
    if within <= 0:
        return 0.0 if between <= 0 else float("inf")
    return between / within
