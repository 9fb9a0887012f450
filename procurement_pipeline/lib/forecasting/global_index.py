"""A catalog-wide price index and its model.

Index method (documented choice):

- each product's price is divided by its own **base level**: the mean of its first ``base_days``
  observed daily prices (products join the catalog at different times, so a common calendar
  base period would exclude every product added later);
- on each day the relatives of the products that have a price that day are combined with a
  **geometric mean** (the Jevons index used for elementary price indices: every product
  weighs the same whatever its price, a 10,000 BRL machine does not outweigh a box of screws,
  and a product doubling and another halving cancel out), times 100;
- days on which fewer than ``min_share`` of the typical (median) number of contributing
  products have a price - and calendar days with none - get a value linearly interpolated
  from the neighbouring well-covered days and are flagged ``value_source = "interpolated"``
  (leading/trailing ones carry the nearest value).

``train_global_model`` runs the same holdout / metrics / refit / forecast path as a product.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting.settings import ModelSettings
from procurement_pipeline.lib.forecasting.training import TrainingResult, _fit_and_forecast

GLOBAL_KEY = "__global__"
INDEX_COLUMNS = ["day", "index_value", "products", "value_source"]


def build_price_index(
    daily_history: pd.DataFrame, base_days: int = 30, min_share: float = 0.5
) -> pd.DataFrame:
    """daily_history: columns sku, day, price (value_source optional: base levels use
    "observed" rows only when present). Returns day, index_value, products, value_source."""
    missing = {"sku", "day", "price"} - set(daily_history.columns)
    if missing:
        raise ValueError(f"daily_history is missing column(s) {sorted(missing)}")
    df = daily_history.copy()
    df["day"] = pd.to_datetime(df["day"]).dt.normalize()
    df["price"] = pd.to_numeric(df["price"], errors="coerce").astype(float)
    df = df[df["price"] > 0].dropna(subset=["price"])
    if df.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in INDEX_COLUMNS})
    if "value_source" not in df.columns:
        df["value_source"] = "observed"
    df = df.sort_values(["sku", "day"])

    observed = df[df["value_source"].fillna("observed") == "observed"]
    base_source = observed if not observed.empty else df
    base = base_source.groupby("sku")["price"].apply(lambda s: s.head(base_days).mean())
    df = df[df["sku"].isin(base.index)]
    df["log_rel"] = np.log(df["price"].to_numpy() / df["sku"].map(base).to_numpy())

    daily = df.groupby("day").agg(log_rel=("log_rel", "mean"), products=("sku", "nunique"))
    grid = pd.date_range(daily.index.min(), daily.index.max(), freq="D")
    daily = daily.reindex(grid)
    daily["products"] = daily["products"].fillna(0).astype(int)
    threshold = max(1.0, min_share * float(daily.loc[daily["products"] > 0, "products"].median()))
    good = daily["products"] >= threshold
    values = pd.Series(np.where(good, 100.0 * np.exp(daily["log_rel"]), np.nan), index=grid)
    values = values.interpolate(method="time", limit_area="inside").ffill().bfill()
    return pd.DataFrame(
        {
            "day": [d.date() for d in grid],
            "index_value": values.to_numpy(dtype=float),
            "products": daily["products"].to_numpy(dtype=int),
            "value_source": np.where(good, "observed", "interpolated"),
        }
    )


def train_global_model(
    index_df: pd.DataFrame,
    settings: ModelSettings | None = None,
    output_dir: str | Path | None = None,
) -> TrainingResult:
    """Holdout (settings.horizon days, shorter only on a short index), metrics, refit and
    forecast of the index; ``sku`` of the result is ``"__global__"``."""
    settings = settings or ModelSettings()
    hist = pd.DataFrame({"ds": pd.to_datetime(index_df["day"]), "y": index_df["index_value"]})
    if "value_source" in index_df.columns:
        points = int((index_df["value_source"] == "observed").sum())
    else:
        points = len(hist)
    return _fit_and_forecast(GLOBAL_KEY, hist, settings, output_dir, points=points)
