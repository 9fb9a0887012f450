"""Content fingerprints of the cleaned daily history.

A product's fingerprint is a hash of every (day, price, value_source) row of its cleaned
series, at the precision the warehouse stores (4 decimals). The daily-history asset stores one
per product beside the history it writes; the training asset computes the same hash of the
series it trained on and stores it in the model registry. A product is retrained exactly when
the two differ, so a re-cleaned history with the same shape but other prices is a change and a
rebuild with identical content is not.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd

FINGERPRINT_COLUMNS = ["sku", "fingerprint", "days", "last_day"]
# The daily history's stored precision (schema.DailyPrice is NUMERIC(16, 4)).
PRICE_DECIMALS = 4


def _digest(lines: pd.Series) -> str:
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def history_fingerprints(daily: pd.DataFrame) -> pd.DataFrame:
    """One row per product of ``daily`` (columns sku, day, price, value_source): sku,
    fingerprint (sha256 hex), days, last_day. The same content gives the same fingerprint
    whether it comes from the freshly cleaned frame or is read back from the warehouse."""
    if daily.empty:
        return pd.DataFrame({c: [] for c in FINGERPRINT_COLUMNS})
    frame = pd.DataFrame(
        {
            "sku": daily["sku"].astype(str).to_numpy(),
            "day": pd.to_datetime(daily["day"]).dt.normalize().to_numpy(),
            "price": np.round(pd.to_numeric(daily["price"]).to_numpy(dtype=np.float64), 4),
            "source": daily["value_source"].astype(str).to_numpy(),
        }
    ).sort_values(["sku", "day"], kind="stable")
    lines = (
        frame["day"].dt.strftime("%Y-%m-%d")
        + "|"
        + frame["price"].map(f"{{:.{PRICE_DECIMALS}f}}".format)
        + "|"
        + frame["source"]
    )
    grouped = lines.groupby(frame["sku"], sort=True)
    out = pd.DataFrame(
        {
            "fingerprint": grouped.agg(_digest),
            "days": grouped.size(),
            "last_day": frame.groupby("sku", sort=True)["day"].max().dt.date,
        }
    )
    return out.rename_axis("sku").reset_index()[FINGERPRINT_COLUMNS]


def catalog_fingerprint(fingerprints: pd.DataFrame) -> str:
    """One hash over every product's fingerprint: what the catalog-wide model was trained on."""
    ordered = fingerprints.sort_values("sku")
    return _digest(ordered["sku"].astype(str) + ":" + ordered["fingerprint"].astype(str))
