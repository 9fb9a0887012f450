"""Consumption history, consumption estimates and purchase recommendations: the writes of the
`consumption_history` and `purchase_recommendations` assets and the reads of the report, the
dashboard and the opportunity alerts.

Decisions:

* ``consumption_history`` keeps every day ever loaded; a load replaces the rows of the
  file's day range (every product) in one transaction, so a re-load or a corrected export
  never duplicates, and a failure leaves the table as it was.
* ``consumption_estimates`` holds one row per active product (rebuilt by each load).
* ``purchase_recommendations`` keeps one row per product per ``as_of`` day (a re-run on the
  same day replaces that day): readers take the newest ``as_of``, older days are the record
  of what was recommended.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, delete, false, func, insert, inspect, select

from procurement_pipeline.lib.recommendations.engine import RECOMMENDATION_COLUMNS
from procurement_pipeline.lib.warehouse.forecasts import _last_observed_prices
from procurement_pipeline.lib.warehouse.history import (
    _bulk_insert,
    _datetime_strings,
    _placeholder,
)
from procurement_pipeline.lib.warehouse.schema import (
    consumption_estimates,
    consumption_history,
    price_observations,
    products,
    purchase_recommendations,
)

_ROW_CHUNK = 5_000
ESTIMATE_TABLE_COLUMNS = list(consumption_estimates.c.keys())
STORED_RECOMMENDATION_COLUMNS = list(purchase_recommendations.c.keys())


def _float_or_none(value: Any) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _day(value: Any) -> dt.date | None:
    if value is None or (not isinstance(value, dt.date) and pd.isna(value)):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return pd.Timestamp(value).date()


# --------------------------------------------------------------------------- consumption


def replace_consumption(
    engine: Engine, frame: pd.DataFrame, source: str, loaded_at: dt.datetime
) -> dict[str, Any]:
    """Replace every row of ``frame``'s day range (first to last day, all products) by
    ``frame`` (``day, sku, quantity``), in one transaction. Returns what it did."""
    if frame.empty:
        raise ValueError("refusing to load an empty consumption frame")
    days = pd.to_datetime(pd.Series(frame["day"]))
    first, last = days.min().date(), days.max().date()
    n = len(frame)
    quantity = np.round(frame["quantity"].to_numpy(dtype=float), 3).tolist()
    raw = _placeholder(engine) is not None and engine.dialect.name in ("sqlite", "mysql")
    if raw:
        day_values = days.dt.strftime("%Y-%m-%d").tolist()
        stamp = _datetime_strings([loaded_at], engine.dialect.name)[0]
    else:
        day_values = [d.date() for d in days]
        stamp = loaded_at
    data = {
        "sku": frame["sku"].astype(str).tolist(),
        "day": day_values,
        "quantity": quantity,
        "source": [source[:255]] * n,
        "loaded_at": [stamp] * n,
    }
    t = consumption_history
    with engine.begin() as conn:
        deleted = conn.execute(delete(t).where(and_(t.c.day >= first, t.c.day <= last))).rowcount
        _bulk_insert(conn, t, list(data), data)
    return {
        "first_day": first,
        "last_day": last,
        "deleted": max(int(deleted or 0), 0),
        "inserted": n,
    }


def load_consumption(
    engine: Engine, start: dt.date | None = None, end: dt.date | None = None
) -> pd.DataFrame:
    """Stored daily use ``[day (date), sku, quantity (float)]`` in [start, end], by day, sku."""
    t = consumption_history
    query = select(t.c.day, t.c.sku, t.c.quantity).order_by(t.c.day, t.c.sku)
    if start is not None:
        query = query.where(t.c.day >= start)
    if end is not None:
        query = query.where(t.c.day <= end)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["day", "sku", "quantity"])
    frame["quantity"] = pd.to_numeric(frame["quantity"]).astype(float)
    return frame


def consumption_coverage(engine: Engine) -> tuple[dt.date | None, dt.date | None]:
    """First and last day the stored consumption history covers."""
    t = consumption_history
    with engine.connect() as conn:
        first, last = conn.execute(select(func.min(t.c.day), func.max(t.c.day))).one()
    return _day(first), _day(last)


def replace_consumption_estimates(
    engine: Engine,
    estimates: pd.DataFrame,
    *,
    as_of: dt.date,
    window_days: int,
    computed_at: dt.datetime,
) -> int:
    """Replace the whole ``consumption_estimates`` table (one row per product of
    ``estimates``: sku, daily_mean, daily_std, daily_mean_se, days_observed, days_of_cover)."""
    records = [
        {
            "sku": str(row["sku"]),
            "as_of": as_of,
            "window_days": int(window_days),
            "days_observed": int(row["days_observed"]),
            "daily_mean": float(row["daily_mean"]),
            "daily_std": float(row["daily_std"]),
            "daily_mean_se": float(row["daily_mean_se"]),
            "days_of_cover": _float_or_none(row.get("days_of_cover")),
            "computed_at": computed_at,
        }
        for row in estimates.to_dict("records")
    ]
    with engine.begin() as conn:
        conn.execute(delete(consumption_estimates))
        for start in range(0, len(records), _ROW_CHUNK):
            conn.execute(insert(consumption_estimates), records[start : start + _ROW_CHUNK])
    return len(records)


def load_consumption_estimates(engine: Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(select(consumption_estimates).order_by(consumption_estimates.c.sku))
        return pd.DataFrame(rows.mappings().all(), columns=ESTIMATE_TABLE_COLUMNS)


# --------------------------------------------------------------------------- prices


def latest_daily_prices(engine: Engine) -> pd.DataFrame:
    """Today's price per product: the newest observed (not interpolated) daily price —
    columns sku, price (float), observed_day (date)."""
    with engine.connect() as conn:
        frame = _last_observed_prices(conn)
    return frame.rename(columns={"last_price": "price", "last_price_day": "observed_day"})[
        ["sku", "price", "observed_day"]
    ]


def window_observations(engine: Engine, window_start: dt.datetime) -> pd.DataFrame:
    """The real observations of one scrape window: sku, price (float), window_start."""
    t = price_observations
    query = (
        select(t.c.sku, t.c.price, t.c.window_start)
        .where(t.c.window_start == window_start, t.c.is_synthetic == false())
        .order_by(t.c.sku)
    )
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame(rows, columns=["sku", "price", "window_start"])
    frame["price"] = pd.to_numeric(frame["price"]).astype(float)
    return frame


# --------------------------------------------------------------------------- recommendations


def _recommendation_record(row: dict[str, Any], generated_at: dt.datetime) -> dict[str, Any]:
    def rounded(name: str, digits: int) -> float | None:
        value = _float_or_none(row.get(name))
        return None if value is None else round(value, digits)

    return {
        "as_of": _day(row["as_of"]),
        "sku": str(row["sku"]),
        "action": str(row["action"]),
        "action_date": _day(row.get("action_date")),
        "suggested_quantity": rounded("suggested_quantity", 3) or 0.0,
        "expected_unit_price": rounded("expected_unit_price", 4),
        "price_today": rounded("price_today", 4),
        "price_source": str(row["price_source"]),
        "expected_saving": rounded("expected_saving", 2) or 0.0,
        "expected_saving_pct": _float_or_none(row.get("expected_saving_pct")),
        "urgency_days": _float_or_none(row.get("urgency_days")),
        "days_of_cover": _float_or_none(row.get("days_of_cover")),
        "daily_consumption": _float_or_none(row.get("daily_consumption")) or 0.0,
        "daily_consumption_std": _float_or_none(row.get("daily_consumption_std")) or 0.0,
        "stock_position": rounded("stock_position", 3) or 0.0,
        "reorder_level": rounded("reorder_level", 3) or 0.0,
        "trusted_model": bool(row["trusted_model"]),
        "model_note": str(row["model_note"])[:32],
        "confidence": str(row.get("confidence") or "normal")[:8],
        "reason": str(row["reason"])[:1024],
        "generated_at": generated_at,
    }


def store_recommendations(
    engine: Engine, recommendations: pd.DataFrame, generated_at: dt.datetime
) -> int:
    """Replace the recommendations of the ``as_of`` day(s) in ``recommendations`` by them, in
    one transaction. Returns the rows written."""
    records = [
        _recommendation_record(row, generated_at) for row in recommendations.to_dict("records")
    ]
    days = sorted({r["as_of"] for r in records})
    t = purchase_recommendations
    with engine.begin() as conn:
        if days:
            conn.execute(delete(t).where(t.c.as_of.in_(days)))
        for start in range(0, len(records), _ROW_CHUNK):
            conn.execute(insert(t), records[start : start + _ROW_CHUNK])
    return len(records)


def _has_table(conn: Connection, name: str) -> bool:
    return inspect(conn).has_table(name)


def load_recommendations(
    engine: Engine, as_of: dt.date | None = None, *, active_only: bool = True
) -> pd.DataFrame:
    """The recommendations of ``as_of`` (default: the newest day) with the product's name,
    category and unit — columns :data:`RECOMMENDATION_COLUMNS` + ``generated_at``; numbers as
    floats. Empty (same columns) when there are none, or the table does not exist yet (the
    dashboard reads warehouses it never migrates)."""
    columns = [*RECOMMENDATION_COLUMNS, "generated_at"]
    r, p = purchase_recommendations, products
    with engine.connect() as conn:
        if not _has_table(conn, r.name):
            return pd.DataFrame({c: [] for c in columns})
        day = as_of or _day(conn.execute(select(func.max(r.c.as_of))).scalar())
        if day is None:
            return pd.DataFrame({c: [] for c in columns})
        query = (
            select(r, p.c.name, p.c.category, p.c.unit)
            .join(p, p.c.sku == r.c.sku)
            .where(r.c.as_of == day)
            .order_by(r.c.sku)
        )
        if active_only:
            query = query.where(p.c.active.is_(True))
        rows = conn.execute(query).mappings().all()
    frame = pd.DataFrame(rows, columns=[*STORED_RECOMMENDATION_COLUMNS, "name", "category", "unit"])
    for name in (
        "suggested_quantity",
        "expected_unit_price",
        "price_today",
        "expected_saving",
        "expected_saving_pct",
        "urgency_days",
        "days_of_cover",
        "daily_consumption",
        "daily_consumption_std",
        "stock_position",
        "reorder_level",
    ):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
    frame["trusted_model"] = frame["trusted_model"].astype(bool)
    return frame[columns].reset_index(drop=True)


def recommendation_quality(engine: Engine, as_of: dt.date | None = None) -> dict[str, Any]:
    """What the purchase_recommendations checks look at, for ``as_of`` (default: newest):
    active products without a recommendation, products with more than one, negative
    quantities."""
    r, p = purchase_recommendations, products
    with engine.connect() as conn:
        day = as_of or _day(conn.execute(select(func.max(r.c.as_of))).scalar())
        active = set(conn.execute(select(p.c.sku).where(p.c.active.is_(True))).scalars().all())
        counts = dict(
            conn.execute(
                select(r.c.sku, func.count()).where(r.c.as_of == day).group_by(r.c.sku)
            ).all()
        )
        negative = (
            conn.execute(select(r.c.sku).where(r.c.as_of == day, r.c.suggested_quantity < 0))
            .scalars()
            .all()
        )
    return {
        "as_of": day,
        "active": len(active),
        "missing": sorted(active - set(counts)),
        "duplicated": sorted(s for s, n in counts.items() if n > 1),
        "negative_quantity": sorted(negative),
    }


def skus_known(engine: Engine) -> list[str]:
    """Every SKU the catalog knows (active or not): what a consumption file may name."""
    with engine.connect() as conn:
        return list(conn.execute(select(products.c.sku).order_by(products.c.sku)).scalars())
