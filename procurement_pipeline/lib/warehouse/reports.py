"""Read queries that assemble the PDF reports' inputs, and the history-change query behind the
retraining sensor (no Dagster here).

Everything loads in bulk per call (``IN`` over chunks of SKUs), never one query per product:
a run of 500 product reports costs a handful of queries.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select, true

from procurement_pipeline.lib.reporting.model import (
    GlobalReportData,
    ProductOutcome,
    ProductReportData,
)
from procurement_pipeline.lib.warehouse.forecasts import (
    latest_global_model,
    load_forecast_rows,
    load_forecast_summary,
    load_registry,
)
from procurement_pipeline.lib.warehouse.history import load_daily_history, sku_chunks
from procurement_pipeline.lib.warehouse.schema import (
    history_fingerprints,
    model_registry,
    offers,
    price_observations,
    products,
)

OFFER_COLUMNS = ["sku", "title", "price", "seller", "url", "sponsored", "scraped_at"]
HOLDOUT_COLUMNS = ["ds", "y", "yhat", "yhat_lower", "yhat_upper", "naive", "seasonal_naive"]
FUTURE_COLUMNS = ["ds", "yhat", "yhat_lower", "yhat_upper"]
UNTRAINED_REASON = "modelo ainda não treinado"


def _metrics(value: Any) -> dict[str, Any] | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):  # a driver that hands JSON back as text
        value = json.loads(value)
    return dict(value) if isinstance(value, dict) else None


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _date_or_none(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return pd.Timestamp(value).date()


def _datetime_or_none(value: Any) -> dt.datetime | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    stamp = pd.Timestamp(value)
    return (stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp).to_pydatetime()


# --------------------------------------------------------------------------- product inputs


def load_product_info(engine: Engine, skus: Sequence[str]) -> pd.DataFrame:
    """Name, category and unit of the given products (active or not): sku, name, category,
    unit."""
    columns = ["sku", "name", "category", "unit"]
    query = select(products.c.sku, products.c.name, products.c.category, products.c.unit)
    rows: list[Any] = []
    with engine.connect() as conn:
        for chunk in sku_chunks(skus):
            rows += conn.execute(query.where(products.c.sku.in_(chunk))).all()
    return pd.DataFrame(rows, columns=columns)


def load_synthetic_daily(engine: Engine, skus: Sequence[str]) -> pd.DataFrame:
    """The display-only synthetic gap-filler (price_observations where is_synthetic), one
    price per product per day (the day's median): sku, day, price."""
    t = price_observations
    query = select(t.c.sku, t.c.observed_at, t.c.price).where(t.c.is_synthetic == true())
    rows: list[Any] = []
    with engine.connect() as conn:
        for chunk in sku_chunks(skus):
            rows += conn.execute(query.where(t.c.sku.in_(chunk))).all()
    frame = pd.DataFrame(rows, columns=["sku", "observed_at", "price"])
    if frame.empty:
        return pd.DataFrame({"sku": [], "day": [], "price": []})
    frame["day"] = pd.to_datetime(frame["observed_at"]).dt.normalize()
    frame["price"] = frame["price"].astype(float)
    return frame.groupby(["sku", "day"], as_index=False, sort=True)["price"].median()


def load_latest_offers(engine: Engine, skus: Sequence[str]) -> pd.DataFrame:
    """The offers of each product's newest scraped window, in result order: sku, title, price,
    seller, url, sponsored, scraped_at."""
    o = offers
    rows: list[Any] = []
    with engine.connect() as conn:
        for chunk in sku_chunks(skus):
            newest = (
                select(o.c.sku, func.max(o.c.window_start).label("window_start"))
                .where(o.c.sku.in_(chunk))
                .group_by(o.c.sku)
                .subquery()
            )
            query = (
                select(o.c.sku, o.c.title, o.c.price, o.c.seller, o.c.url, o.c.sponsored)
                .add_columns(o.c.scraped_at)
                .join(
                    newest,
                    (o.c.sku == newest.c.sku) & (o.c.window_start == newest.c.window_start),
                )
                .order_by(o.c.sku, o.c.position)
            )
            rows += conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=OFFER_COLUMNS)
    frame["price"] = pd.to_numeric(frame["price"], errors="coerce").astype(float)
    return frame


def _by_sku(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if frame.empty:
        return {}
    return {str(sku): part for sku, part in frame.groupby("sku", sort=False)}


def load_product_report_data(engine: Engine, skus: Sequence[str]) -> list[ProductReportData]:
    """Everything the product pages of `skus` show, loaded in bulk, in the order of `skus`.

    Products without a registry row get status "skipped" with the reason that no model was
    trained yet; products missing from the catalog table are named by their SKU."""
    skus = list(dict.fromkeys(str(s) for s in skus))
    if not skus:
        return []
    info = load_product_info(engine, skus).set_index("sku")
    history = _by_sku(load_daily_history(engine, skus))
    synthetic = _by_sku(load_synthetic_daily(engine, skus))
    forecast_rows = load_forecast_rows(engine, skus)
    holdout = _by_sku(forecast_rows[forecast_rows["kind"] == "holdout"])
    future = _by_sku(forecast_rows[forecast_rows["kind"] == "future"])
    registry = load_registry(engine, skus).set_index("sku")
    latest = _by_sku(load_latest_offers(engine, skus))

    items = []
    for sku in skus:
        meta = info.loc[sku] if sku in info.index else None
        data = ProductReportData(
            sku=sku,
            name=str(meta["name"]) if meta is not None else sku,
            category=str(meta["category"]) if meta is not None else "",
            unit=str(meta["unit"]) if meta is not None else "",
        )
        if sku in history:
            data.history = history[sku][["day", "price", "value_source"]].reset_index(drop=True)
        if sku in synthetic:
            data.synthetic_history = synthetic[sku][["day", "price"]].reset_index(drop=True)
        if sku in holdout:
            data.holdout = holdout[sku][HOLDOUT_COLUMNS].reset_index(drop=True)
        if sku in future:
            data.forecast = future[sku][FUTURE_COLUMNS].reset_index(drop=True)
        if sku in latest:
            data.latest_offers = latest[sku][OFFER_COLUMNS[1:]].reset_index(drop=True)
        if sku in registry.index:
            row = registry.loc[sku]
            data.status = str(row["status"])
            data.reason = row["reason"] if isinstance(row["reason"], str) else None
            data.metrics = _metrics(row["metrics"])
            data.train_start = _date_or_none(row["train_start"])
            data.train_end = _date_or_none(row["train_end"])
            data.trained_at = _datetime_or_none(row["trained_at"])
        else:
            data.status, data.reason = "skipped", UNTRAINED_REASON
        items.append(data)
    return items


# --------------------------------------------------------------------------- catalog summary


def load_catalog_outcomes(
    engine: Engine, skus: Sequence[str] | None = None
) -> list[ProductOutcome]:
    """One outcome per product of the `product_forecast_summary` table (every active product
    when it was last rebuilt), optionally only `skus`; the full metrics come from the registry
    (the summary keeps only a few). "untrained" products count as skipped."""
    summary = load_forecast_summary(engine)
    if skus is not None:
        summary = summary[summary["sku"].isin(set(skus))]
    if summary.empty:
        return []
    chosen = summary["sku"].tolist()
    info = load_product_info(engine, chosen).set_index("sku")
    registry = load_registry(engine, chosen if skus is not None else None)
    metrics = {str(r.sku): _metrics(r.metrics) for r in registry.itertuples(index=False)}
    outcomes = []
    for row in summary.to_dict("records"):
        sku = str(row["sku"])
        status, reason = str(row["status"]), row["reason"]
        if status == "untrained":
            status, reason = "skipped", UNTRAINED_REASON
        meta = info.loc[sku] if sku in info.index else None
        outcomes.append(
            ProductOutcome(
                sku=sku,
                name=str(meta["name"]) if meta is not None else sku,
                category=str(meta["category"]) if meta is not None else "",
                unit=str(meta["unit"]) if meta is not None else "",
                status=status,
                reason=reason if isinstance(reason, str) else None,
                metrics=metrics.get(sku),
                last_price=_float_or_none(row["last_price"]),
                last_forecast=_float_or_none(row["forecast_end"]) if status == "trained" else None,
            )
        )
    return outcomes


# --------------------------------------------------------------------------- global model


def load_global_report_data(engine: Engine) -> GlobalReportData | None:
    """The newest global model with its price index, holdout and forecast; None when no
    global model was ever trained."""
    model = latest_global_model(engine)
    if model is None:
        return None
    rows = model["forecasts"]
    index = model["index"]
    index_history = index[["day", "index_value", "products", "value_source"]].copy()
    index_history["index_value"] = index_history["index_value"].astype(float)
    return GlobalReportData(
        index_history=index_history.reset_index(drop=True),
        holdout=rows[rows["kind"] == "holdout"][HOLDOUT_COLUMNS].reset_index(drop=True),
        forecast=rows[rows["kind"] == "future"][FUTURE_COLUMNS].reset_index(drop=True),
        metrics=_metrics(model["metrics"]),
        status=str(model["status"]),
        reason=model["reason"],
        products=int(model["products"]) if model["products"] is not None else None,
        train_start=_date_or_none(model["train_start"]),
        train_end=_date_or_none(model["train_end"]),
        trained_at=_datetime_or_none(model["trained_at"]),
    )


# --------------------------------------------------------------------------- history changes


def history_changes(
    engine: Engine, skus: Sequence[str] | None = None, code_version: str | None = None
) -> pd.DataFrame:
    """Per product (the given SKUs, else every active product): the content fingerprint of its
    current cleaned history beside the one its registered model was trained on, and whether the
    product needs retraining: never trained, the fingerprints differ (a product without history
    has none), or its model came from another ``code_version`` (when given).

    Columns sku, days, last_day, fingerprint, trained_fingerprint, model_code_version,
    changed. One query per chunk of SKUs."""
    p, f, r = products, history_fingerprints, model_registry
    query = (
        select(
            p.c.sku,
            f.c.days,
            f.c.last_day,
            f.c.fingerprint,
            r.c.history_fingerprint,
            r.c.code_version,
            r.c.sku.label("registered"),
        )
        .select_from(p.outerjoin(f, f.c.sku == p.c.sku).outerjoin(r, r.c.sku == p.c.sku))
        .order_by(p.c.sku)
    )
    rows: list[Any] = []
    with engine.connect() as conn:
        if skus is None:
            rows = conn.execute(query.where(p.c.active == true())).all()
        else:
            for chunk in sku_chunks(skus):
                rows += conn.execute(query.where(p.c.sku.in_(chunk))).all()
    frame = pd.DataFrame(
        rows,
        columns=[
            "sku",
            "days",
            "last_day",
            "fingerprint",
            "trained_fingerprint",
            "model_code_version",
            "registered",
        ],
    )
    frame["last_day"] = frame["last_day"].map(_date_or_none)
    frame["days"] = frame["days"].fillna(0).astype(int)
    current = frame["fingerprint"].fillna("")
    trained = frame["trained_fingerprint"].fillna("")
    changed = frame["registered"].isna() | (current != trained)
    if code_version is not None:
        changed |= frame["registered"].notna() & (frame["model_code_version"] != code_version)
    frame["changed"] = changed.astype(bool)
    return frame.drop(columns="registered").reset_index(drop=True)


def changed_products(
    engine: Engine, skus: Sequence[str] | None = None, code_version: str | None = None
) -> list[str]:
    """SKUs whose cleaned history differs from what their model was trained on (or never
    trained, or trained by another code version when given); see history_changes."""
    frame = history_changes(engine, skus, code_version)
    return frame.loc[frame["changed"], "sku"].astype(str).tolist()
