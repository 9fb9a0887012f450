"""Do the buying recommendations save money? Replay the demo history day by day.

    .venv/bin/python -m benchmarks.recommendations [--end 2026-11-24] [--days 180]
                                                   [--products 3000] [--history-days 60]

* prices: the demo market (``seed_demo_observations`` over ``demo_windows(end, days +
  history_days)``, three 8-hour windows a day) reduced to the daily median per product;
* consumption: the demo generator (:mod:`procurement_pipeline.lib.consumption.generator`),
  generated over the replay plus the estimate's 56-day window before it (a day's value does
  not depend on the span generated, so the replay's days equal ``data/consumption_demo.csv``
  when ``--end`` is its last day);
* catalog: ``data/products_seed.csv`` (the first ``--products`` rows), its ``current_stock``
  being the stock on the replay's first morning.

Both policies see the same prices and consumption (see
:mod:`procurement_pipeline.lib.recommendations.replay`): the recommended one follows
``recommend()`` with the cheap :class:`RecentLevelForecaster` (no Prophet); the naive one
reorders at the minimum at the day's price. Spend is compared net of what each policy still
holds (stock + on order) at the end, valued at the last prices, so ending with more stock is
not counted as spending more; the raw spend is reported too. Also the average price paid
relative to the average market price of the replay, per unit bought (quantity-weighted over
products) — the part of the saving that comes from timing.

Prints progress; the LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.consumption.generator import generate_consumption
from procurement_pipeline.lib.recommendations.engine import RecommendationSettings
from procurement_pipeline.lib.recommendations.replay import (
    RecentLevelForecaster,
    daily_prices_from_observations,
    replay,
)
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations

CATALOG = Path(__file__).resolve().parent.parent / "data" / "products_seed.csv"


def _price_ratio(orders: pd.DataFrame, prices: pd.DataFrame, start: dt.date) -> float:
    """Quantity-weighted (price paid / the product's mean daily price over the replay)."""
    if orders.empty:
        return float("nan")
    window = prices[prices["day"] >= pd.Timestamp(start)]
    mean_price = window.groupby("sku")["price"].mean()
    ratio = orders["price"].to_numpy() / mean_price.reindex(orders["sku"]).to_numpy()
    weights = orders["quantity"].to_numpy() * mean_price.reindex(orders["sku"]).to_numpy()
    ok = np.isfinite(ratio)
    return float(np.average(ratio[ok], weights=weights[ok]))


def run(args: argparse.Namespace) -> dict:
    end = dt.date.fromisoformat(args.end)
    start = end - dt.timedelta(days=args.days - 1)
    catalog = pd.read_csv(CATALOG, dtype={"sku": str})
    if args.products:
        catalog = catalog.head(args.products).reset_index(drop=True)
    settings = RecommendationSettings(
        horizon_days=args.horizon,
        min_saving_share=args.min_saving_share,
        min_rise_share=args.min_rise_share,
        safety_z=args.safety_z,
        min_order_days=args.min_order_days,
    )

    t0 = time.perf_counter()
    windows = demo_windows(
        dt.datetime.combine(end, dt.time(16)), days=args.days + args.history_days
    )
    observations = seed_demo_observations(catalog, windows)
    prices = daily_prices_from_observations(observations)
    consumption = generate_consumption(catalog, end, args.days + settings.consumption_window_days)
    t_data = time.perf_counter() - t0
    print(
        f"data: {len(observations):,} observations -> {len(prices):,} daily prices, "
        f"{len(consumption):,} consumption lines ({t_data:.1f}s)",
        file=sys.stderr,
    )

    results = {}
    timings = {}
    for policy in ("recommended", "naive"):
        t1 = time.perf_counter()
        results[policy] = replay(
            catalog,
            prices,
            consumption,
            start,
            end,
            policy,
            RecentLevelForecaster(horizon_days=settings.horizon_days),
            settings,
        )
        timings[policy] = time.perf_counter() - t1
        print(
            f"{policy}: {json.dumps(results[policy].summary())} ({timings[policy]:.1f}s)",
            file=sys.stderr,
        )
    rec, naive = results["recommended"], results["naive"]
    saving_pct = (naive.net_spend - rec.net_spend) / naive.net_spend * 100.0
    raw_saving_pct = (naive.spend - rec.spend) / naive.spend * 100.0
    return {
        "benchmark": "recommendations",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "products": len(catalog),
        "days": args.days,
        "history_days": args.history_days,
        "forecaster": "RecentLevelForecaster (median of 7 days, 28-day residual interval)",
        "settings": {
            "horizon_days": settings.horizon_days,
            "safety_z": settings.safety_z,
            "min_saving_share": settings.min_saving_share,
            "min_rise_share": settings.min_rise_share,
            "min_order_days": settings.min_order_days,
        },
        "spend_recommended": round(rec.net_spend, 2),
        "spend_naive": round(naive.net_spend, 2),
        "saving_pct": round(saving_pct, 3),
        "spend_recommended_raw": round(rec.spend, 2),
        "spend_naive_raw": round(naive.spend, 2),
        "raw_saving_pct": round(raw_saving_pct, 3),
        "ending_value_recommended": round(rec.ending_value, 2),
        "ending_value_naive": round(naive.ending_value, 2),
        "price_paid_vs_mean_recommended": round(_price_ratio(rec.orders, prices, start), 5),
        "price_paid_vs_mean_naive": round(_price_ratio(naive.orders, prices, start), 5),
        "orders_recommended": len(rec.orders),
        "orders_naive": len(naive.orders),
        "stockouts": rec.stockout_days,
        "stockouts_naive": naive.stockout_days,
        "products_with_stockout": rec.products_with_stockout,
        "products_with_stockout_naive": naive.products_with_stockout,
        "unmet_quantity_share": round(rec.unmet_quantity / max(rec.demand_quantity, 1e-9), 5),
        "unmet_quantity_share_naive": round(
            naive.unmet_quantity / max(naive.demand_quantity, 1e-9), 5
        ),
        "min_stock": min(rec.min_stock, naive.min_stock),
        "actions_recommended": rec.actions,
        "data_s": round(t_data, 1),
        "replay_s_recommended": round(timings["recommended"], 1),
        "replay_s_naive": round(timings["naive"], 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recommendations")
    parser.add_argument("--end", default="2026-11-24", help="last replayed day (aaaa-mm-dd)")
    parser.add_argument("--days", type=int, default=180, help="days replayed")
    parser.add_argument("--history-days", type=int, default=60, help="price days before")
    parser.add_argument("--products", type=int, default=0, help="first N products (0 = all)")
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--min-saving-share", type=float, default=0.02)
    parser.add_argument("--min-rise-share", type=float, default=0.03)
    parser.add_argument("--safety-z", type=float, default=1.28)
    parser.add_argument("--min-order-days", type=float, default=7.0)
    args = parser.parse_args(argv)
    print(json.dumps(run(args), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
