"""Holdout metrics: the model's errors next to the naive and seasonal-naive baselines.

MAPE is in percent. MASE here is the ratio of the model's MAE to a baseline's MAE on the same
held-out days (< 1 means the model beats that baseline). Every value is a plain Python float,
int or bool (JSON-serialisable); ratios over a zero denominator are None, except that a perfect
model against a perfect baseline counts as a tie (1.0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

METRIC_KEYS = (
    "mae",
    "rmse",
    "mse",
    "mape",
    "coverage_80",
    "naive_mae",
    "naive_rmse",
    "naive_mape",
    "seasonal_naive_mae",
    "seasonal_naive_rmse",
    "seasonal_naive_mape",
    "mase_naive",
    "mase_seasonal_naive",
    "beats_naive",
    "beats_seasonal_naive",
    "holdout_days",
)


def _f(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _errors(y: np.ndarray, pred: np.ndarray) -> tuple[float | None, ...]:
    if len(y) == 0:
        return None, None, None, None
    err = y - pred
    mse = float(np.mean(err**2))
    nz = y != 0
    mape = float(np.mean(np.abs(err[nz] / y[nz])) * 100) if nz.any() else None
    return _f(np.mean(np.abs(err))), _f(math.sqrt(mse)), _f(mse), mape


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None:
        return None
    if den == 0:
        return 1.0 if num == 0 else None
    return float(num / den)


# A ratio this close to 1 is a tie: the served naive model scored against the naive baseline
# lands at 0.9999999999999 by float rounding, and must not read "beats the last price".
TIE_TOLERANCE = 1e-9


def beats(ratio: float | None) -> bool:
    """Whether an error ratio against a baseline is a win (a tie is not)."""
    return ratio is not None and ratio < 1 - TIE_TOLERANCE


def evaluate(holdout_df: pd.DataFrame) -> dict[str, Any]:
    """Metrics for a holdout frame (columns y, yhat, yhat_lower, yhat_upper, naive,
    seasonal_naive); rows with a missing y are ignored."""
    y = holdout_df["y"].to_numpy(dtype=float)
    observed = ~np.isnan(y)
    y = y[observed]

    def column(name: str) -> np.ndarray:
        return holdout_df[name].to_numpy(dtype=float)[observed]

    mae, rmse, mse, mape = _errors(y, column("yhat"))
    n_mae, n_rmse, _, n_mape = _errors(y, column("naive"))
    s_mae, s_rmse, _, s_mape = _errors(y, column("seasonal_naive"))
    if len(y):
        inside = (y >= column("yhat_lower")) & (y <= column("yhat_upper"))
        coverage = float(np.mean(inside))
    else:
        coverage = None
    mase_n = _ratio(mae, n_mae)
    mase_s = _ratio(mae, s_mae)
    return {
        "mae": mae,
        "rmse": rmse,
        "mse": mse,
        "mape": mape,
        "coverage_80": coverage,
        "naive_mae": n_mae,
        "naive_rmse": n_rmse,
        "naive_mape": n_mape,
        "seasonal_naive_mae": s_mae,
        "seasonal_naive_rmse": s_rmse,
        "seasonal_naive_mape": s_mape,
        "mase_naive": mase_n,
        "mase_seasonal_naive": mase_s,
        "beats_naive": beats(mase_n),
        "beats_seasonal_naive": beats(mase_s),
        "holdout_days": len(y),
    }
