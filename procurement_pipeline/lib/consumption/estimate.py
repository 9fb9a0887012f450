"""Expected daily consumption per product, its uncertainty, and days of stock cover.

The estimate (simple on purpose, easy to explain to a buyer):

* the window is the ``window_days`` calendar days ending on ``as_of`` (inclusive) — 56 days,
  eight whole weeks, so weekdays and Saturdays weigh as they do in a real week; it starts no
  earlier than the first day the export covers (``coverage_start``, by default the first day
  in the frame), so a short history is not diluted by days the ERP never reported;
* days inside the window without a line count as zero use (an ERP lists movements only);
* ``daily_mean`` = total use in the window / days covered (``days_observed``);
* ``daily_std`` = sample standard deviation of the daily use over those days (zeros
  included): the day-to-day variability the safety stock must absorb (over ``L`` days the
  use varies by about ``daily_std * sqrt(L)``);
* ``daily_mean_se`` = ``daily_std / sqrt(days_observed)``: how uncertain the mean itself is.

A product without a consumption history (no export configured, or added to the catalog after
the last load) still gets an expected use for the advice: :func:`use_for_advice` takes the
one its minimum stock implies.

Only rows with ``day <= as_of`` are used, whatever the frame holds. Products with no line in
the window get zero use (and products in ``skus`` absent from the frame, too); an empty
frame observes no day (``days_observed`` 0) and gives zero use.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.dates import day_ordinals, to_day

ESTIMATE_COLUMNS = ["sku", "daily_mean", "daily_std", "daily_mean_se", "days_observed"]
ADVICE_USE_COLUMNS = [*ESTIMATE_COLUMNS, "measured"]


def expected_consumption(
    consumption_df: pd.DataFrame,
    as_of: dt.date,
    window_days: int = 56,
    *,
    skus: Iterable[str] | None = None,
    coverage_start: dt.date | None = None,
) -> pd.DataFrame:
    """``[sku, daily_mean, daily_std, daily_mean_se, days_observed]`` from ``[day, sku,
    quantity]`` rows (see the module docstring for the estimate)."""
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    as_of = to_day(as_of)
    frame = consumption_df
    ordinals = np.empty(0, dtype=np.int64) if frame.empty else day_ordinals(frame["day"])
    end = as_of.toordinal()
    start = end - window_days + 1
    if coverage_start is not None:
        start = max(start, to_day(coverage_start).toordinal())
    elif ordinals.size:
        start = max(start, int(ordinals.min()))
    else:
        start = end + 1  # no data at all: nothing observed
    n = max(end - start + 1, 0)
    in_window = (ordinals >= start) & (ordinals <= end)
    quantity = frame["quantity"].to_numpy(dtype=float)[in_window] if ordinals.size else []
    window = pd.DataFrame(
        {
            "sku": frame["sku"].astype(str).to_numpy()[in_window] if ordinals.size else [],
            "total": quantity,
            "total_sq": np.square(quantity),
        }
    )
    sums = window.groupby("sku", sort=True)[["total", "total_sq"]].sum()
    if skus is None:
        all_skus = sorted(set(frame["sku"].astype(str))) if len(frame) else []
    else:
        all_skus = [str(s) for s in skus]
    sums = sums.reindex(all_skus, fill_value=0.0)
    total = sums["total"].to_numpy(dtype=float)
    total_sq = sums["total_sq"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / n if n else np.zeros_like(total)
        var = (total_sq - n * mean * mean) / (n - 1) if n > 1 else np.zeros_like(total)
    std = np.sqrt(np.clip(var, 0.0, None))
    se = std / np.sqrt(n) if n else np.zeros_like(total)
    return pd.DataFrame(
        {
            "sku": pd.Series(all_skus, dtype=object),
            "daily_mean": mean,
            "daily_std": std,
            "daily_mean_se": se,
            "days_observed": np.full(len(all_skus), n, dtype=np.int64),
        },
        columns=ESTIMATE_COLUMNS,
    )


def days_of_cover(stock: Any, daily_mean: Any) -> Any:
    """Days the stock lasts at the expected use: ``stock / daily_mean``; infinite when nothing
    is used, 0 when there is no stock. Scalars give a float, arrays/Series an array/Series."""
    stock_arr = np.asarray(stock, dtype=float)
    mean_arr = np.asarray(daily_mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cover = np.where(
            mean_arr > 0,
            np.clip(stock_arr, 0.0, None) / np.where(mean_arr > 0, mean_arr, 1.0),
            np.where(stock_arr > 0, np.inf, 0.0),
        )
    if isinstance(stock, pd.Series):
        return pd.Series(cover, index=stock.index, name="days_of_cover")
    if np.ndim(cover) == 0:
        return float(cover)
    return cover


def use_for_advice(products: pd.DataFrame, estimates: pd.DataFrame) -> pd.DataFrame:
    """The expected use of every product in ``products`` (sku, minimum_stock,
    lead_time_days), columns :data:`ADVICE_USE_COLUMNS`: its consumption estimate where it has
    one over observed days (``measured`` True), else the use its minimum stock implies. The
    minimum is meant to cover the use of one lead time (the reorder rule's own assumption), so
    ``daily_mean = minimum / lead time`` (at least one day), with no day-to-day deviation known
    (``daily_std`` 0) and ``measured`` False: the advice says "sem histórico de consumo" and
    has low confidence."""
    skus = products["sku"].astype(str)
    if "sku" not in estimates.columns:
        estimates = pd.DataFrame(columns=ESTIMATE_COLUMNS)
    known = estimates.assign(sku=estimates["sku"].astype(str)).drop_duplicates("sku", keep="last")
    if "days_observed" in known.columns:
        known = known[known["days_observed"].fillna(0).astype(int) > 0]
    known = known.set_index("sku").reindex(skus)
    measured = known["daily_mean"].notna().to_numpy()
    minimum = products["minimum_stock"].astype(float).to_numpy()
    lead = np.maximum(products["lead_time_days"].astype(float).to_numpy(), 1.0)
    implied = np.clip(minimum, 0.0, None) / lead

    def column(name: str, fill: np.ndarray | float) -> np.ndarray:
        values = known[name].to_numpy(dtype=float) if name in known.columns else np.nan
        return np.where(measured, values, fill)

    return pd.DataFrame(
        {
            "sku": skus.to_numpy(dtype=object),
            "daily_mean": column("daily_mean", implied),
            "daily_std": column("daily_std", 0.0),
            "daily_mean_se": column("daily_mean_se", 0.0),
            "days_observed": np.where(measured, column("days_observed", 0.0), 0).astype(np.int64),
            "measured": measured,
        },
        columns=ADVICE_USE_COLUMNS,
    )
