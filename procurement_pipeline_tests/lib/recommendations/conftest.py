import datetime as dt

import numpy as np
import pandas as pd
import pytest

AS_OF = dt.date(2026, 11, 24)


def make_case(
    rows: list[dict],
    *,
    forecast: dict[str, list[float]] | None = None,
    beats: dict[str, bool] | None = None,
    status: dict[str, str] | None = None,
    price: dict[str, float] | None = None,
    expected: dict[str, list[float]] | None = None,
):
    """Inputs of recommend() for hand-made products. Each row: sku, stock, minimum, lead,
    use (daily), unit (metro), ref (10.0); forecast: sku -> 30 yhat values (default flat at
    the price); expected: sku -> 30 yhat_expected values (the column only when given, NaN for
    the other products); prices default to the reference price."""
    products = pd.DataFrame(
        {
            "sku": [r["sku"] for r in rows],
            "name": [f"Produto {r['sku']}" for r in rows],
            "category": "tecidos",
            "unit": [r.get("unit", "metro") for r in rows],
            "current_stock": [float(r["stock"]) for r in rows],
            "minimum_stock": [float(r["minimum"]) for r in rows],
            "lead_time_days": [int(r["lead"]) for r in rows],
            "reference_price": [float(r.get("ref", 10.0)) for r in rows],
        }
    )
    consumption = pd.DataFrame(
        {
            "sku": products["sku"],
            "daily_mean": [float(r["use"]) for r in rows],
            "daily_std": [float(r.get("std", 0.0)) for r in rows],
        }
    )
    price = price or {}
    today = pd.DataFrame(
        {
            "sku": products["sku"],
            "price": [price.get(r["sku"], float(r.get("ref", 10.0))) for r in rows],
            "observed_day": AS_OF,
        }
    )
    forecast = forecast or {}
    frames = []
    for r in rows:
        values = forecast.get(r["sku"], [price.get(r["sku"], float(r.get("ref", 10.0)))] * 30)
        values = np.asarray(values, dtype=float)
        frames.append(
            pd.DataFrame(
                {
                    "sku": r["sku"],
                    "ds": pd.date_range(AS_OF + dt.timedelta(days=1), periods=30),
                    "yhat": values,
                    "yhat_lower": values * 0.95,
                    "yhat_upper": values * 1.05,
                }
            )
        )
        if expected is not None:
            frames[-1]["yhat_expected"] = np.asarray(
                expected.get(r["sku"], [np.nan] * 30), dtype=float
            )
    forecasts = pd.concat(frames, ignore_index=True)
    beats = beats or {}
    status = status or {}
    models = pd.DataFrame(
        {
            "sku": products["sku"],
            "status": [status.get(s, "trained") for s in products["sku"]],
            "beats_naive": [beats.get(s, True) for s in products["sku"]],
            "beats_seasonal_naive": True,
        }
    )
    return products, consumption, forecasts, models, today


@pytest.fixture
def as_of() -> dt.date:
    return AS_OF
