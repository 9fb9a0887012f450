"""Read-only queries behind the buyers' dashboard.

Every query here is a SELECT, is bounded (one product, the newest windows, a top-N) and walks
an index: a product switch reads one product's rows through ``(sku, observed_at)`` and
aggregates them per day in SQL, so it stays fast on millions of observations. Nothing here
migrates or writes; a warehouse without the schema is reported by :func:`warehouse_status`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import unicodedata
from typing import Any

import pandas as pd
from sqlalchemy import Engine, and_, func, inspect, select

from procurement_pipeline.lib.reporting.model import expected_move
from procurement_pipeline.lib.warehouse.history import newest_real_observation
from procurement_pipeline.lib.warehouse.prices import scrape_health
from procurement_pipeline.lib.warehouse.schema import (
    daily_price_history,
    forecasts,
    global_forecasts,
    global_models,
    global_price_index,
    model_registry,
    offers,
    price_observations,
    products,
)

__all__ = [
    "PRODUCT_COLUMNS",
    "SERIES_COLUMNS",
    "WarehouseStatus",
    "filter_products",
    "global_model_forecasts",
    "largest_expected_moves",
    "latest_global_model",
    "latest_offers",
    "load_global_index",
    "newest_real_observation",
    "product_choices",
    "product_newest_real",
    "product_daily_series",
    "product_forecasts",
    "product_registry",
    "registry_counts",
    "scrape_health",
    "summarize_scrape_health",
    "warehouse_status",
]

REQUIRED_TABLES = ("products", "price_observations", "model_registry", "forecasts")
PRODUCT_COLUMNS = ["sku", "name", "category", "unit", "reference_price", "status"]
SERIES_COLUMNS = ["day", "is_synthetic", "price", "low", "high", "observations", "last_at"]
FORECAST_COLUMNS = [
    "kind",
    "ds",
    "yhat",
    "yhat_lower",
    "yhat_upper",
    "y",
    "naive",
    "seasonal_naive",
]
OFFER_COLUMNS = [
    "position",
    "title",
    "price",
    "previous_price",
    "currency",
    "seller",
    "url",
    "sponsored",
    "relevant",
    "scraped_at",
    "window_start",
]
MOVE_COLUMNS = [
    "sku",
    "name",
    "category",
    "unit",
    "last_day",
    "last_price",
    "forecast_day",
    "last_forecast",
    "move",
]


@dataclasses.dataclass(frozen=True)
class WarehouseStatus:
    """``migrated``: the dashboard's tables exist; ``products``: active products."""

    migrated: bool
    products: int = 0
    has_observations: bool = False

    @property
    def empty(self) -> bool:
        return not self.migrated or self.products == 0


def warehouse_status(engine: Engine) -> WarehouseStatus:
    """Whether there is anything to show. Raises the driver's error when unreachable."""
    with engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
        if not set(REQUIRED_TABLES) <= names:
            return WarehouseStatus(migrated=False)
        count = conn.execute(
            select(func.count()).select_from(products).where(products.c.active.is_(True))
        ).scalar_one()
        has_obs = conn.execute(select(price_observations.c.id).limit(1)).first() is not None
    return WarehouseStatus(migrated=True, products=int(count), has_observations=has_obs)


# --------------------------------------------------------------------------- products


def product_choices(engine: Engine) -> pd.DataFrame:
    """Active products with their model status (None when never trained), sorted by SKU."""
    query = (
        select(
            products.c.sku,
            products.c.name,
            products.c.category,
            products.c.unit,
            products.c.reference_price,
            model_registry.c.status,
        )
        .select_from(products.outerjoin(model_registry, model_registry.c.sku == products.c.sku))
        .where(products.c.active.is_(True))
        .order_by(products.c.sku)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=PRODUCT_COLUMNS)
    frame["reference_price"] = pd.to_numeric(frame["reference_price"]).astype(float)
    return frame


def _fold(text: Any) -> str:
    """Case- and accent-insensitive form: "Espúma D33" -> "espuma d33"."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def filter_products(
    choices: pd.DataFrame, text: str = "", category: str | None = None
) -> pd.DataFrame:
    """Products whose SKU, name or category contain every word of ``text`` (accents and case
    ignored), optionally of one category."""
    frame = choices
    if category:
        frame = frame[frame["category"] == category]
    words = _fold(text).split()
    if words and not frame.empty:
        haystack = (frame["sku"] + " " + frame["name"] + " " + frame["category"]).map(_fold)
        mask = pd.Series(True, index=frame.index)
        for word in words:
            mask &= haystack.str.contains(word, regex=False)
        frame = frame[mask]
    return frame


def _to_datetime(values: pd.Series) -> pd.Series:
    return (
        pd.to_datetime(values, format="ISO8601") if len(values) else values.astype("datetime64[ns]")
    )


def product_daily_series(engine: Engine, sku: str) -> pd.DataFrame:
    """One product's observations aggregated per UTC day in SQL, real and synthetic apart.

    Columns: day (datetime64, midnight), is_synthetic (bool), price (daily mean), low, high,
    observations (count), last_at (newest observed_at of the day). Sorted by day."""
    t = price_observations
    day = func.date(t.c.observed_at).label("day")
    query = (
        select(
            day,
            t.c.is_synthetic,
            func.avg(t.c.price).label("price"),
            func.min(t.c.price).label("low"),
            func.max(t.c.price).label("high"),
            func.count().label("observations"),
            func.max(t.c.observed_at).label("last_at"),
        )
        .where(t.c.sku == sku)
        .group_by(day, t.c.is_synthetic)
        .order_by(day, t.c.is_synthetic)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=SERIES_COLUMNS)
    frame["day"] = _to_datetime(frame["day"].astype(str)) if len(frame) else frame["day"]
    frame["day"] = frame["day"].astype("datetime64[ns]")
    frame["is_synthetic"] = frame["is_synthetic"].astype(bool)
    for name in ("price", "low", "high"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    frame["observations"] = frame["observations"].astype(int)
    frame["last_at"] = pd.to_datetime(frame["last_at"]).astype("datetime64[ns]")
    return frame


def _forecast_frame(rows: list, columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns)
    frame["ds"] = pd.to_datetime(frame["ds"]).astype("datetime64[ns]")
    for name in ("yhat", "yhat_lower", "yhat_upper", "y", "naive", "seasonal_naive"):
        if name in frame.columns:
            frame[name] = pd.to_numeric(frame[name]).astype(float)
    return frame


def product_forecasts(engine: Engine, sku: str) -> pd.DataFrame:
    """The product's holdout and future rows (primary key sku, kind, ds), sorted by kind, ds."""
    f = forecasts
    query = (
        select(*(f.c[name] for name in FORECAST_COLUMNS))
        .where(f.c.sku == sku)
        .order_by(f.c.kind, f.c.ds)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return _forecast_frame(rows, FORECAST_COLUMNS)


def _metrics(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str | bytes):
        value = json.loads(value)
    return dict(value)


def product_registry(engine: Engine, sku: str) -> dict[str, Any] | None:
    """The product's model registry row (metrics parsed), or None when never trained."""
    with engine.connect() as conn:
        row = (
            conn.execute(select(model_registry).where(model_registry.c.sku == sku))
            .mappings()
            .first()
        )
    if row is None:
        return None
    record = dict(row)
    record["metrics"] = _metrics(record.get("metrics"))
    return record


def latest_offers(engine: Engine, sku: str, limit: int = 20) -> pd.DataFrame:
    """The offers of the product's newest scraped window, in page order."""
    o = offers
    with engine.connect() as conn:
        newest = conn.execute(select(func.max(o.c.window_start)).where(o.c.sku == sku)).scalar()
        if newest is None:
            return pd.DataFrame(columns=OFFER_COLUMNS)
        query = (
            select(*(o.c[name] for name in OFFER_COLUMNS))
            .where(o.c.sku == sku, o.c.window_start == newest)
            .order_by(o.c.position)
            .limit(limit)
        )
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=OFFER_COLUMNS)
    for name in ("price", "previous_price"):
        frame[name] = pd.to_numeric(frame[name]).astype(float)
    return frame


# --------------------------------------------------------------------------- catalog


def registry_counts(engine: Engine) -> dict[str, int]:
    """Products per model status (trained / skipped / failed)."""
    r = model_registry
    with engine.connect() as conn:
        rows = conn.execute(select(r.c.status, func.count()).group_by(r.c.status)).all()
    return {str(status): int(count) for status, count in rows}


def latest_global_model(engine: Engine) -> dict[str, Any] | None:
    """The newest global model row (any status), metrics parsed; None when there is none."""
    g = global_models
    query = select(g).order_by(g.c.trained_at.desc(), g.c.id.desc()).limit(1)
    with engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        return None
    record = dict(row)
    record["metrics"] = _metrics(record.get("metrics"))
    return record


def load_global_index(engine: Engine) -> pd.DataFrame:
    """The catalog-wide price index: day, index_value, products, value_source."""
    g = global_price_index
    with engine.connect() as conn:
        rows = conn.execute(
            select(g.c.day, g.c.index_value, g.c.products, g.c.value_source).order_by(g.c.day)
        ).all()
    frame = pd.DataFrame(rows, columns=["day", "index_value", "products", "value_source"])
    frame["day"] = pd.to_datetime(frame["day"]).astype("datetime64[ns]")
    frame["index_value"] = pd.to_numeric(frame["index_value"]).astype(float)
    return frame


def global_model_forecasts(engine: Engine, model_id: int) -> pd.DataFrame:
    """Holdout and future rows of one global model."""
    g = global_forecasts
    query = (
        select(*(g.c[name] for name in FORECAST_COLUMNS))
        .where(g.c.model_id == model_id)
        .order_by(g.c.kind, g.c.ds)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return _forecast_frame(rows, FORECAST_COLUMNS)


def largest_expected_moves(engine: Engine, limit: int = 20) -> pd.DataFrame:
    """Trained products with the largest |expected move|: the last future yhat against the last
    observed daily price (interpolated days do not count). ``move`` is a fraction."""
    f, d, r, p = forecasts, daily_price_history, model_registry, products
    last_ds = (
        select(f.c.sku, func.max(f.c.ds).label("ds"))
        .where(f.c.kind == "future")
        .group_by(f.c.sku)
        .subquery("last_ds")
    )
    last_day = (
        select(d.c.sku, func.max(d.c.day).label("day"))
        .where(d.c.value_source == "observed")
        .group_by(d.c.sku)
        .subquery("last_day")
    )
    query = (
        select(
            p.c.sku,
            p.c.name,
            p.c.category,
            p.c.unit,
            d.c.day,
            d.c.price,
            f.c.ds,
            f.c.yhat,
        )
        .select_from(
            r.join(p, p.c.sku == r.c.sku)
            .join(last_ds, last_ds.c.sku == r.c.sku)
            .join(f, and_(f.c.sku == r.c.sku, f.c.kind == "future", f.c.ds == last_ds.c.ds))
            .join(last_day, last_day.c.sku == r.c.sku)
            .join(d, and_(d.c.sku == r.c.sku, d.c.day == last_day.c.day))
        )
        .where(r.c.status == "trained", p.c.active.is_(True))
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=MOVE_COLUMNS[:-1])
    frame["last_price"] = pd.to_numeric(frame["last_price"]).astype(float)
    frame["last_forecast"] = pd.to_numeric(frame["last_forecast"]).astype(float)
    frame["move"] = [
        expected_move(price, forecast)
        for price, forecast in zip(frame["last_price"], frame["last_forecast"], strict=True)
    ]
    frame = frame.dropna(subset=["move"])
    frame["move"] = frame["move"].astype(float)
    frame["last_day"] = pd.to_datetime(frame["last_day"]).astype("datetime64[ns]")
    frame["forecast_day"] = pd.to_datetime(frame["forecast_day"]).astype("datetime64[ns]")
    order = frame["move"].abs().sort_values(ascending=False, kind="stable").index
    return frame.loc[order].head(limit).reset_index(drop=True)[MOVE_COLUMNS]


def product_newest_real(series: pd.DataFrame) -> dt.datetime | None:
    """The newest real observation in a :func:`product_daily_series` frame."""
    real = series[~series["is_synthetic"]]
    if real.empty:
        return None
    return pd.Timestamp(real["last_at"].max()).to_pydatetime()


def summarize_scrape_health(health: pd.DataFrame) -> pd.DataFrame:
    """One row per window (newest first) from :func:`scrape_health`'s rows: window_start,
    attempts, saved, failed and the failures by reason ("timeout: 3, http_503: 1")."""
    columns = ["window_start", "attempts", "saved", "failed", "failed_by_reason"]
    if health.empty:
        return pd.DataFrame(columns=columns)
    rows = []
    for window, group in health.groupby("window_start", sort=False):
        saved = int(group.loc[group["outcome"] == "saved", "products"].sum())
        failed_rows = group[group["outcome"] != "saved"]
        failed = int(failed_rows["products"].sum())
        reasons = (
            failed_rows.assign(reason=failed_rows["reason"].fillna("sem motivo"))
            .groupby("reason")["products"]
            .sum()
            .sort_values(ascending=False, kind="stable")
        )
        text = ", ".join(f"{reason}: {int(count)}" for reason, count in reasons.items())
        rows.append((window, saved + failed, saved, failed, text))
    frame = pd.DataFrame(rows, columns=columns)
    frame["window_start"] = pd.to_datetime(frame["window_start"])
    return frame.sort_values("window_start", ascending=False, ignore_index=True)
