"""Synthetic price series: a display-only gap filler for products without enough real history.

Rows are shaped like ``price_observations`` with ``is_synthetic = True`` and
``source = "synthetic"``; the daily history cleaning drops them, so they never feed a model.

The series of a product over ``days`` days ending at its anchor day is, in log price::

    log p(d) = seasonality(d) + noise(d) + weekend(d) + promotion(d) + c

- seasonality: ``seasonality_amplitude * sin(2 pi * day_of_year / 365.25 + phase)``, with a
  per-product phase;
- noise: independent normal daily noise with standard deviation ``noise`` (log units);
- weekend: ``log(1 - weekend_discount)`` on Saturdays and Sundays;
- promotion: ``log(1 - promotion_discount)`` on the first ``promotion_days`` days of a month;
- ``c`` is chosen so the anchor day's value equals the anchor price exactly.

Determinism: every random number is a stable hash of (seed, SKU, calendar day) -- blake2b for
the SKU, splitmix64 for the rest -- never Python's salted ``hash()``. A product's series depends
only on its own SKU, anchor and the settings, not on which other products are in the batch, and
the same calendar day gets the same noise whatever the anchor day. Everything is vectorised.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import pandas as pd

SYNTHETIC_SOURCE = "synthetic"
OBSERVATION_COLUMNS = [
    "sku",
    "observed_at",
    "window_start",
    "price",
    "currency",
    "seller",
    "source",
    "is_synthetic",
    "listing_url",
    "offers_considered",
]


@dataclass(frozen=True)
class SyntheticSettings:
    days: int = 180
    seed: int = 42
    seasonality_amplitude: float = 0.04
    noise: float = 0.01
    promotion_discount: float = 0.08
    promotion_days: int = 3
    weekend_discount: float = 0.03
    currency: str = "BRL"

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError(f"days must be >= 1, got {self.days}")
        for name in ("promotion_discount", "weekend_discount"):
            value = getattr(self, name)
            if not 0 <= value < 1:
                raise ValueError(f"{name} must be in [0, 1), got {value}")
        if self.noise < 0 or self.seasonality_amplitude < 0:
            raise ValueError("noise and seasonality_amplitude must be >= 0")
        if self.promotion_days < 0:
            raise ValueError(f"promotion_days must be >= 0, got {self.promotion_days}")


def _sku_hash(sku: str, seed: int) -> np.uint64:
    digest = hashlib.blake2b(f"{seed}\x1f{sku}".encode(), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """Vectorised splitmix64 finaliser (uint64 arithmetic wraps modulo 2**64)."""
    with np.errstate(over="ignore"):
        z = x + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _uniform(x: np.ndarray) -> np.ndarray:
    """Uniform floats in the open interval (0, 1) from hashed uint64."""
    return ((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53)


def _anchor_day(value) -> np.datetime64:
    return np.datetime64(pd.Timestamp(value).normalize().date(), "D")


def generate_synthetic_history(
    anchors: pd.DataFrame, settings: SyntheticSettings | None = None
) -> pd.DataFrame:
    """``settings.days`` daily rows per anchor row (columns sku, anchor_price, anchor_day),
    shaped like ``price_observations``; the last day (the anchor day, at noon UTC) carries
    exactly the anchor price rounded to cents."""
    settings = settings or SyntheticSettings()
    missing = [c for c in ("sku", "anchor_price", "anchor_day") if c not in anchors.columns]
    if missing:
        raise ValueError(f"anchors are missing column(s) {missing}")
    if anchors["sku"].duplicated().any():
        dupes = sorted(anchors.loc[anchors["sku"].duplicated(), "sku"].astype(str).unique())
        raise ValueError(f"anchors list SKU(s) more than once: {dupes[:5]}")
    anchor_price = pd.to_numeric(anchors["anchor_price"], errors="coerce").to_numpy(float)
    bad = ~(np.isfinite(anchor_price) & (anchor_price > 0))
    if bad.any():
        skus = anchors["sku"].astype(str).to_numpy()[bad][:5].tolist()
        raise ValueError(f"anchor_price must be a positive number; bad for SKU(s) {skus}")

    n_products, days = len(anchors), settings.days
    if n_products == 0:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in OBSERVATION_COLUMNS})

    skus = anchors["sku"].astype(str).to_numpy(dtype=object)
    sku_hash = np.array([_sku_hash(s, settings.seed) for s in skus], dtype=np.uint64)
    last_day = pd.to_datetime(anchors["anchor_day"]).to_numpy().astype("datetime64[D]")

    # one row per (product, day), the product's anchor day last
    offset = np.tile(np.arange(days, dtype=np.int64) - (days - 1), n_products)
    product = np.repeat(np.arange(n_products), days)
    day = last_day[product] + offset.astype("timedelta64[D]")
    day_int = day.astype(np.int64)  # days since 1970-01-01

    # per-product phase, per-(product, day) normal noise (Box-Muller on two hashes)
    phase = 2 * np.pi * _uniform(_splitmix64(sku_hash ^ np.uint64(0x5EA5)))
    with np.errstate(over="ignore"):
        cell = sku_hash[product] ^ (day_int.astype(np.uint64) * np.uint64(0x2545F4914F6CDD1D))
    u1 = _uniform(_splitmix64(cell))
    u2 = _uniform(_splitmix64(cell ^ np.uint64(0xA5A5A5A5A5A5A5A5)))
    normal = np.sqrt(-2.0 * np.log(u1)) * np.cos(2 * np.pi * u2)

    stamp = pd.DatetimeIndex(day)
    day_of_year = stamp.day_of_year.to_numpy()
    log_p = settings.seasonality_amplitude * np.sin(
        2 * np.pi * day_of_year / 365.25 + phase[product]
    )
    log_p = log_p + settings.noise * normal
    weekend = stamp.day_of_week.to_numpy() >= 5
    log_p = log_p + np.where(weekend, np.log1p(-settings.weekend_discount), 0.0)
    promo = stamp.day.to_numpy() <= settings.promotion_days
    log_p = log_p + np.where(promo, np.log1p(-settings.promotion_discount), 0.0)

    # anchor: shift each product so its last day equals the anchor price
    last_log = log_p.reshape(n_products, days)[:, -1]
    log_p = log_p - last_log[product] + np.log(anchor_price)[product]
    price = np.round(np.exp(log_p), 2)
    price.reshape(n_products, days)[:, -1] = np.round(anchor_price, 2)
    price = np.maximum(price, 0.01)

    observed_at = (day.astype("datetime64[s]") + np.timedelta64(12, "h")).astype("datetime64[ns]")
    n = len(price)
    return pd.DataFrame(
        {
            "sku": pd.Series(skus[product], dtype=object),
            "observed_at": observed_at,
            "window_start": pd.Series([None] * n, dtype=object),
            "price": price,
            "currency": settings.currency,
            "seller": pd.Series([None] * n, dtype=object),
            "source": SYNTHETIC_SOURCE,
            "is_synthetic": np.ones(n, dtype=bool),
            "listing_url": pd.Series([None] * n, dtype=object),
            "offers_considered": pd.Series([None] * n, dtype=object),
        }
    )


def synthetic_anchors(
    products_df: pd.DataFrame,
    last_real_prices_df: pd.DataFrame | None,
    today: date | datetime | str,
) -> pd.DataFrame:
    """One anchor per product: its last real price when it has one, else the catalog
    ``reference_price``. All series end ``today`` (a UTC date).

    ``products_df`` needs ``sku`` and ``reference_price`` (rows with ``active`` false are left
    out when that column exists); ``last_real_prices_df`` needs ``sku`` and ``price`` (e.g.
    :func:`procurement_pipeline.lib.warehouse.history.last_real_prices`). Returns columns
    sku, anchor_price (float), anchor_day (datetime64, midnight), anchor_source
    ("last_real" or "reference")."""
    for name in ("sku", "reference_price"):
        if name not in products_df.columns:
            raise ValueError(f"products_df is missing column {name!r}")
    products = products_df
    if "active" in products.columns:
        products = products[products["active"].fillna(True).astype(bool)]
    products = products.drop_duplicates("sku")
    reference = pd.to_numeric(products["reference_price"], errors="coerce").to_numpy(float)
    skus = products["sku"].astype(str).to_numpy(dtype=object)
    anchor = pd.Series(reference, index=skus, dtype=float)
    source = pd.Series("reference", index=skus, dtype=object)
    if last_real_prices_df is not None and len(last_real_prices_df):
        last = last_real_prices_df.drop_duplicates("sku", keep="last")
        real = pd.Series(
            pd.to_numeric(last["price"], errors="coerce").to_numpy(float),
            index=last["sku"].astype(str).to_numpy(dtype=object),
        )
        real = real[real.index.isin(anchor.index) & np.isfinite(real) & (real > 0)]
        anchor.loc[real.index] = real.to_numpy()
        source.loc[real.index] = "last_real"
    day = pd.Timestamp(_anchor_day(today))
    return pd.DataFrame(
        {
            "sku": pd.Series(skus, dtype=object),
            "anchor_price": anchor.to_numpy(),
            "anchor_day": pd.Series([day] * len(skus), dtype="datetime64[ns]"),
            "anchor_source": source.to_numpy(),
        }
    )
