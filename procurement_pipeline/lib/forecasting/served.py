"""The served model: the candidate chosen for a series, anchored on its last observed price.

A ``ServedModel`` is what the model file holds (JSON, never pickle) and what every forecast of
a product comes from: the chosen candidate's name, the anchor (last observed day and price),
either the numpy candidate's offset path (``candidates.Offsets``) or the fitted Prophet
model, and the expected path of a sticky price (``candidates.expected_path``;
``yhat_expected``, what the advice's buy-ahead rule reads). ``forecast`` can re-anchor it on a
newer history without refitting: the paths start from the newer history's last observed price
and day (the shape, drift and interval spreads stay those the model was fitted with).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.dates import day_values
from procurement_pipeline.lib.forecasting.candidates import Offsets
from procurement_pipeline.lib.forecasting.model import forecast_dates
from procurement_pipeline.lib.forecasting.settings import ModelSettings

FORMAT = "procurement-forecast-model"
FORMAT_VERSION = 1


@dataclass
class ServedModel:
    name: str  # one of ModelSettings.candidates
    anchor_day: pd.Timestamp
    anchor_price: float
    offsets: Offsets | None = None  # numpy candidates
    prophet: Any = None  # the fitted Prophet model ("prophet")
    validation: dict[str, Any] = field(default_factory=dict)
    # log E[price(anchor + h) / anchor price], h = 1..horizon; None in files written before it.
    expected: np.ndarray | None = None


def history_anchor(history: pd.DataFrame) -> tuple[pd.Timestamp, float]:
    """(last day, price) of a ds/y history: its last row with a positive price."""
    frame = history.dropna(subset=["y"])
    frame = frame[pd.to_numeric(frame["y"], errors="coerce") > 0]
    if frame.empty:
        raise ValueError("the newer history has no observed price")
    last = frame.loc[pd.to_datetime(frame["ds"]).idxmax()]
    return pd.Timestamp(last["ds"]).normalize(), float(last["y"])


def forecast(
    model: ServedModel,
    dates,
    settings: ModelSettings | None = None,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """ds, yhat, yhat_lower, yhat_upper, yhat_expected for ``dates`` (after the anchor day):
    the served candidate's path and 80 % interval, and the expected price (NaN when the model
    has no expected path).

    ``history`` (ds, y; e.g. the daily history of today, newer than the training) re-anchors
    the forecast on its last observed price without refitting. It must not end before the
    model's own anchor."""
    settings = settings or ModelSettings()
    ds = day_values(dates).astype("datetime64[ns]")
    day, price = model.anchor_day, model.anchor_price
    if history is not None:
        day, price = history_anchor(history)
        if day < model.anchor_day:
            raise ValueError(
                f"the newer history ends on {day.date()}, before the model's anchor "
                f"{model.anchor_day.date()}"
            )
    h = ((ds - day.to_datetime64()) // np.timedelta64(1, "D")).astype(np.int64)
    if len(h) and (h < 1).any():
        raise ValueError("forecast dates must come after the anchor day")
    max_h = int(h.max()) if len(h) else 0
    base = np.log(price)
    if model.prophet is not None:
        anchor = None if history is None else (day, price)
        out = forecast_dates(model.prophet, ds, settings, anchor=anchor)
    elif model.offsets is None:
        raise ValueError(f"model {model.name!r} has neither offsets nor a Prophet fit")
    else:
        offsets = extend(model.offsets, max_h)
        out = pd.DataFrame(
            {
                "ds": ds,
                "yhat": np.exp(base + offsets.center[h - 1]),
                "yhat_lower": np.exp(base + offsets.lower[h - 1]),
                "yhat_upper": np.exp(base + offsets.upper[h - 1]),
            }
        )
    out["yhat_expected"] = (
        np.full(len(h), np.nan)
        if model.expected is None
        else np.exp(base + extend_path(model.expected, max_h)[h - 1])
    )
    return out


def extend_path(path: np.ndarray, max_h: int) -> np.ndarray:
    """A log-offset path up to ``max_h`` days, continuing its last daily change."""
    n = len(path)
    if max_h <= n:
        return path
    if n == 0:
        return np.zeros(max_h)
    step = path[-1] - path[-2] if n > 1 else 0.0
    return np.concatenate([path, path[-1] + step * np.arange(1, max_h - n + 1, dtype=float)])


def extend(offsets: Offsets, max_h: int) -> Offsets:
    """Offsets up to ``max_h`` days: beyond the stored horizon (a holdout day after a long gap)
    the center continues its last daily change and the spread grows like a random walk."""
    n = len(offsets.center)
    if max_h <= n:
        return offsets
    h = np.arange(n + 1, max_h + 1, dtype=float)
    full = extend_path(offsets.center, max_h)
    center = full[n:]
    grow = np.sqrt(h / n)
    lower = center + (offsets.lower[-1] - offsets.center[-1]) * grow
    upper = center + (offsets.upper[-1] - offsets.center[-1]) * grow
    return Offsets(
        full,
        np.concatenate([offsets.lower, lower]),
        np.concatenate([offsets.upper, upper]),
    )


def future_dates(start: pd.Timestamp, horizon: int) -> pd.DatetimeIndex:
    return pd.date_range(pd.Timestamp(start) + pd.Timedelta(days=1), periods=horizon, freq="D")


def to_json(model: ServedModel) -> str:
    from prophet.serialize import model_to_json

    return json.dumps(
        {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "name": model.name,
            "anchor_day": model.anchor_day.date().isoformat(),
            "anchor_price": model.anchor_price,
            "offsets": None if model.offsets is None else model.offsets.as_lists(),
            "prophet": None if model.prophet is None else json.loads(model_to_json(model.prophet)),
            "validation": model.validation,
            "expected": None if model.expected is None else model.expected.tolist(),
        }
    )


def from_json(text: str) -> ServedModel:
    from prophet.serialize import model_from_json

    data = json.loads(text)
    if data.get("format") != FORMAT:
        raise ValueError("not a procurement forecast model file")
    if data.get("version") != FORMAT_VERSION:
        raise ValueError(f"unsupported model file version {data.get('version')!r}")
    prophet = data.get("prophet")
    return ServedModel(
        name=data["name"],
        anchor_day=pd.Timestamp(data["anchor_day"]),
        anchor_price=float(data["anchor_price"]),
        offsets=None if data.get("offsets") is None else Offsets.from_lists(data["offsets"]),
        prophet=None if prophet is None else model_from_json(json.dumps(prophet)),
        validation=data.get("validation") or {},
        expected=None if data.get("expected") is None else np.asarray(data["expected"], float),
    )
