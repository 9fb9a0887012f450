"""Deterministic demo consumption history for the demo catalog (``data/consumption_demo.csv``).

What the demo ERP export looks like: one line ``date,sku,quantity`` per product and day with
use; days without use (Sundays, idle days) have no line, as ERP movement reports do.

Per product (every draw a counter-based hash of (SKU seed, stream, day), the SKU seed being
:func:`procurement_pipeline.lib.scraping.demo_market.sku_seed` — BLAKE2b, never ``hash()`` — so a
day's value does not depend on which days or products are generated, and a longer file
contains the shorter one):

* **base daily use** coherent with the catalog: the minimum stock covers the lead time's use
  times a per-product factor in [1.1, 1.8], i.e. ``base = minimum_stock / (lead_time_days *
  factor)`` (the catalog generator sets each product's current stock from this same use, so
  the demo's stock positions and consumption agree);
* **weekly pattern**: Monday to Friday about 1.1x (a per-product ±10 % tilt across the week),
  Saturday 0.45x, Sunday nothing (normalised so a week averages ``base``);
* **slow level changes**: a per-product ±15 % cosine with a 60-120-day period (orders come and
  go);
* **noise**: log-normal, sd 0.25-0.55 per product; **idle days**: 4-15 % of working days;
* quantities in metro/kg/litro/m³ carry one decimal; every other unit counts whole items
  (stochastic rounding keeps the mean).

Run ``python -m tools.consumption_generator --catalog data/products_seed.csv
--output data/consumption_demo.csv --end 2026-11-24 --days 180``. Size: 3,000 products x 180
days give about 363,000 lines, 8.6 MB (zero-use days have no line).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.artifacts import write_bytes_atomic
from procurement_pipeline.lib.counter_random import normal, uniform
from procurement_pipeline.lib.scraping.demo_market import sku_seed

CONTINUOUS_UNITS = frozenset({"metro", "kg", "litro", "m³"})
DEFAULT_END = dt.date(2026, 11, 24)
DEFAULT_DAYS = 180
EPOCH = dt.date(2020, 1, 1)

# Random streams.
_S_FACTOR, _S_TILT, _S_NOISE_SD, _S_IDLE_P, _S_CYCLE_AMP, _S_CYCLE_PERIOD, _S_CYCLE_PHASE = range(
    501, 508
)
_S_NOISE, _S_IDLE, _S_ROUND = 511, 512, 513


def _uniform(seed: np.ndarray, stream: int, a: np.ndarray | int = 0) -> np.ndarray:
    return uniform(seed, stream, a)  # one counter (the day): the committed demo file's draws


def _normal(seed: np.ndarray, stream: int, a: np.ndarray | int = 0) -> np.ndarray:
    return normal(seed, stream, a)


def base_daily_use(catalog: pd.DataFrame) -> np.ndarray:
    """The demo's average daily use per product (minimum stock = lead time use x 1.1-1.8)."""
    seed = np.array([sku_seed(str(s)) for s in catalog["sku"]], dtype=np.uint64)
    factor = 1.1 + 0.7 * _uniform(seed, _S_FACTOR)
    minimum = catalog["minimum_stock"].astype(float).to_numpy()
    lead = np.maximum(catalog["lead_time_days"].astype(float).to_numpy(), 1.0)
    return minimum / (lead * factor)


def generate_consumption(
    catalog: pd.DataFrame, end: dt.date = DEFAULT_END, days: int = DEFAULT_DAYS
) -> pd.DataFrame:
    """Daily use ``[day, sku, quantity]`` for ``days`` days ending on ``end`` (inclusive),
    zero-use days left out, sorted by (day, sku order of the catalog)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    missing = {"sku", "unit", "minimum_stock", "lead_time_days"} - set(catalog.columns)
    if missing:
        raise ValueError(f"catalog frame lacks columns: {sorted(missing)}")
    skus = [str(s) for s in catalog["sku"]]
    seed = np.array([sku_seed(s) for s in skus], dtype=np.uint64).reshape(-1, 1)
    base = base_daily_use(catalog).reshape(-1, 1)
    first = end - dt.timedelta(days=days - 1)
    day_index = np.arange(days, dtype=np.int64) + (first - EPOCH).days  # [D]
    day_idx = day_index.reshape(1, -1)
    dow = (day_idx + 2) % 7  # Monday = 0 (2020-01-01 was a Wednesday)

    tilt = 0.2 * _uniform(seed, _S_TILT) - 0.1
    weekday = 1.0 + tilt * (dow - 2) / 2.0  # Mon..Fri, mean 1
    pattern = np.where(dow < 5, weekday, np.where(dow == 5, 0.45, 0.0))
    pattern = pattern * (7.0 / 5.45)  # a week averages 1
    amp = 0.15 * _uniform(seed, _S_CYCLE_AMP)
    period = 60.0 + 60.0 * _uniform(seed, _S_CYCLE_PERIOD)
    phase = 2.0 * math.pi * _uniform(seed, _S_CYCLE_PHASE)
    cycle = 1.0 + amp * np.cos(2.0 * math.pi * day_idx / period + phase)
    noise_sd = 0.25 + 0.30 * _uniform(seed, _S_NOISE_SD)
    noise = np.exp(noise_sd * _normal(seed, _S_NOISE, day_idx) - 0.5 * noise_sd**2)
    idle_p = 0.04 + 0.11 * _uniform(seed, _S_IDLE_P)
    active = _uniform(seed, _S_IDLE, day_idx) >= idle_p
    mean = base * pattern * cycle * noise * active / (1.0 - idle_p)

    continuous = catalog["unit"].isin(CONTINUOUS_UNITS).to_numpy().reshape(-1, 1)
    step = np.where(continuous, 0.1, 1.0)
    u = _uniform(seed, _S_ROUND, day_idx)
    # Stochastic rounding to the unit's step keeps the expected use equal to ``mean``.
    steps = np.floor(mean / step + u)
    keep = steps > 0
    p_ix, d_ix = np.nonzero(keep.T)  # day-major order
    p_ix, d_ix = d_ix, p_ix
    quantity = steps[p_ix, d_ix] * step[p_ix, 0]
    day_values = np.array([first + dt.timedelta(days=int(i)) for i in range(days)], dtype=object)
    return pd.DataFrame(
        {
            "day": day_values[d_ix],
            "sku": np.asarray(skus, dtype=object)[p_ix],
            "quantity": np.round(quantity, 1),
        }
    )


def consumption_csv_text(frame: pd.DataFrame, catalog: pd.DataFrame) -> str:
    """The ERP export: header ``date,sku,quantity``, ISO dates, ``\\n`` line endings."""
    continuous = set(catalog.loc[catalog["unit"].isin(CONTINUOUS_UNITS), "sku"].astype(str))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["date", "sku", "quantity"])
    for day, sku, qty in zip(frame["day"], frame["sku"], frame["quantity"], strict=True):
        text = f"{qty:.1f}" if sku in continuous else str(int(round(qty)))
        writer.writerow([day.isoformat(), sku, text])
    return buffer.getvalue()


def write_consumption_csv(
    catalog_path: str | os.PathLike[str],
    output: str | os.PathLike[str],
    end: dt.date = DEFAULT_END,
    days: int = DEFAULT_DAYS,
) -> tuple[Path, int]:
    """Generate from the catalog CSV and write atomically; returns (path, lines)."""
    catalog = pd.read_csv(catalog_path, dtype={"sku": str, "unit": str})
    frame = generate_consumption(catalog, end, days)
    data = consumption_csv_text(frame, catalog).encode("utf-8")
    target = Path(output)
    write_bytes_atomic(target, data)
    return target, len(frame)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.consumption_generator",
        description="Generate the demo consumption history CSV deterministically.",
    )
    parser.add_argument("--catalog", default="data/products_seed.csv")
    parser.add_argument("--output", default="data/consumption_demo.csv")
    parser.add_argument("--end", default=DEFAULT_END.isoformat(), help="last day, aaaa-mm-dd")
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS)
    args = parser.parse_args(argv)
    try:
        end = dt.date.fromisoformat(args.end)
        path, lines = write_consumption_csv(args.catalog, args.output, end, args.days)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {lines} lines ({args.days} days ending {end}) to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
