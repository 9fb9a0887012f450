"""When a global model may feed reports and e-mails (the blocking check on
global_price_model): it trained, was judged on enough held-out days, forecasts finite
positive values, and is not far worse than the naive forecast."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MIN_HOLDOUT_DAYS = 7
# MASE against naive at or above this is "far worse than the last price": blocked.
MAX_MASE_NAIVE = 2.0


def global_model_problems(model: Mapping[str, Any]) -> list[str]:
    """Why a stored global model (``latest_global_model``'s row: status, reason,
    holdout_days, metrics, forecasts) is not trustworthy; empty when it is."""
    forecasts = model["forecasts"]
    future = forecasts[forecasts["kind"] == "future"]
    values = future[["yhat", "yhat_lower", "yhat_upper"]].astype(float)
    finite_positive = bool(len(future)) and bool((values.notna() & (values > 0)).all().all())
    mase = (model["metrics"] or {}).get("mase_naive")
    problems = []
    if model["status"] != "trained":
        problems.append(f"status {model['status']}: {model['reason']}")
    if model["holdout_days"] < MIN_HOLDOUT_DAYS:
        problems.append(f"only {model['holdout_days']} holdout days")
    if not finite_positive:
        problems.append("forecast has missing or non-positive values")
    if mase is None or mase >= MAX_MASE_NAIVE:
        problems.append(f"MASE vs naive {mase}")
    return problems
