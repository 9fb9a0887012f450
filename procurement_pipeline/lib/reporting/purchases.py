"""The "what to buy" list shared by the catalog report and the dashboard: ordering and the
lines the report draws (plain pandas; no database, no Dagster).

Order "by urgency": the latest safe order day first (``urgency_days`` ascending; a product to
buy now without a finite urgency — below the minimum with no recorded use — counts as most
urgent, one that needs nothing as least), then the larger expected saving, then the SKU.
Order "by saving": the larger expected saving first, then urgency, then SKU.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

SORTS = ("urgency", "saving")
NO_NEED = "no_need"


def urgency_key(frame: pd.DataFrame) -> np.ndarray:
    """``urgency_days`` with the missing values placed: buy_now first, others last."""
    urgency = pd.to_numeric(frame["urgency_days"], errors="coerce").to_numpy(dtype=float)
    buy_now = (frame["action"] == "buy_now").to_numpy()
    return np.where(np.isnan(urgency), np.where(buy_now, -np.inf, np.inf), urgency)


def sort_recommendations(frame: pd.DataFrame, by: str = "urgency") -> pd.DataFrame:
    """The recommendations ordered by ``"urgency"`` or ``"saving"`` (see the module doc)."""
    if by not in SORTS:
        raise ValueError(f"unknown order {by!r}; expected one of {SORTS}")
    if frame.empty:
        return frame.reset_index(drop=True)
    keyed = frame.assign(
        _urgency=urgency_key(frame),
        _saving=-pd.to_numeric(frame["expected_saving"], errors="coerce").fillna(0.0),
    )
    keys = ["_urgency", "_saving", "sku"] if by == "urgency" else ["_saving", "_urgency", "sku"]
    ordered = keyed.sort_values(keys, kind="stable")
    return ordered.drop(columns=["_urgency", "_saving"]).reset_index(drop=True)


def purchase_list(
    frame: pd.DataFrame, top_n: int | None = None, by: str = "urgency"
) -> pd.DataFrame:
    """Products that need buying within the horizon (action other than no_need), ordered,
    optionally the first ``top_n``."""
    if frame.empty:
        return frame.reset_index(drop=True)
    to_buy = sort_recommendations(frame[frame["action"] != NO_NEED], by)
    return to_buy if top_n is None else to_buy.head(top_n).reset_index(drop=True)


@dataclasses.dataclass(frozen=True)
class PurchaseLine:
    """One line of the report's "O que comprar" section."""

    sku: str
    name: str
    unit: str
    action: str
    action_date: dt.date | None
    quantity: float
    expected_unit_price: float | None
    expected_saving: float
    reason: str
    urgency_days: float | None = None
    category: str = ""


def _value(value: Any) -> Any:
    if value is None:
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        return value
    return value


def purchase_lines(frame: pd.DataFrame, top_n: int | None = 20) -> list[PurchaseLine]:
    """The report's lines: :func:`purchase_list` by urgency, as :class:`PurchaseLine`."""
    lines = []
    for row in purchase_list(frame, top_n).to_dict("records"):
        date = _value(row.get("action_date"))
        lines.append(
            PurchaseLine(
                sku=str(row["sku"]),
                name=str(row.get("name") or row["sku"]),
                unit=str(row.get("unit") or ""),
                action=str(row["action"]),
                action_date=None if date is None else pd.Timestamp(date).date(),
                quantity=float(row["suggested_quantity"]),
                expected_unit_price=_value(row.get("expected_unit_price")),
                expected_saving=float(_value(row.get("expected_saving")) or 0.0),
                reason=str(row.get("reason") or ""),
                urgency_days=_value(row.get("urgency_days")),
                category=str(row.get("category") or ""),
            )
        )
    return lines
