"""Benchmark of the buyers' dashboard: the product view on a full-size warehouse.

    .venv/bin/python -m benchmarks.dashboard [--products 3000] [--days 180] [--switches 15]
                                             [--baseline-runs 3] [--keep DIR]

Seeds a temporary SQLite warehouse (not timed) with the catalog in data/products_seed.csv,
the demo market's observations for every product over ``days`` x 3 eight-hour windows
(~1.6 million rows for 3,000 products x 180 days), one model registry row, 14 holdout and 30
future forecast rows per product and the latest offers. Then, with Streamlit's AppTest:

* first_render_s: the first run of dashboard/app.py with empty caches (engine, product list,
  the first product);
* product_switch_s: median of ``switches`` selections of a product not shown before (nothing
  cached for it: its daily series is aggregated in SQL through the (sku, observed_at) index);
* product_revisit_s: median of switching back to an already shown product (st.cache_data hit).

Baseline, same process: what a switch costs without per-product SQL - read the whole
observations table with pandas and aggregate the product's days (``baseline_switch_s``) - and
the ratio to the indexed query. Prints progress; the LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import insert, text

from procurement_pipeline.lib.catalog import read_catalog
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.catalog import load_products, upsert_catalog
from procurement_pipeline.lib.warehouse.dashboard import product_daily_series
from procurement_pipeline.lib.warehouse.history import insert_observations
from procurement_pipeline.lib.warehouse.schema import forecasts, model_registry, offers

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "dashboard" / "app.py"
TARGET_SWITCH_S = 0.5


def log(message: str) -> None:
    print(message, flush=True)


def seed(url: str, n_products: int, days: int) -> dict[str, int]:
    engine = create_warehouse_engine(url)
    migrate(engine)
    catalog = read_catalog(ROOT / "data" / "products_seed.csv")[:n_products]
    upsert_catalog(engine, catalog)
    products = load_products(engine)
    end = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    windows = demo_windows(end, days)
    t0 = time.perf_counter()
    observations = seed_demo_observations(products, windows)
    log(f"  generated {len(observations):,} observations in {time.perf_counter() - t0:.1f} s")
    t0 = time.perf_counter()
    insert_observations(engine, observations)
    log(f"  inserted them in {time.perf_counter() - t0:.1f} s")

    last = observations.groupby("sku")["price"].last()
    trained_at = end.replace(microsecond=0)
    today = end.date()
    holdout = [today - dt.timedelta(days=13 - i) for i in range(14)]
    future = [today + dt.timedelta(days=1 + i) for i in range(30)]
    rng = np.random.default_rng(7)
    forecast_rows, registry_rows, offer_rows = [], [], []
    last_window = windows[-1]
    for n, sku in enumerate(products["sku"]):
        price = float(last.get(sku, products["reference_price"].iloc[n]))
        drift = rng.normal(0, 0.002)
        for i, ds in enumerate(holdout):
            yhat = price * (1 + drift * (i - 14))
            forecast_rows.append(
                {
                    "sku": sku, "kind": "holdout", "ds": ds, "yhat": yhat,
                    "yhat_lower": yhat * 0.97, "yhat_upper": yhat * 1.03, "y": price,
                    "naive": price, "seasonal_naive": price * 1.01, "generated_at": trained_at,
                }
            )  # fmt: skip
        for i, ds in enumerate(future):
            yhat = price * (1 + drift * (i + 1))
            forecast_rows.append(
                {
                    "sku": sku, "kind": "future", "ds": ds, "yhat": yhat,
                    "yhat_lower": yhat * (0.97 - 0.002 * i),
                    "yhat_upper": yhat * (1.03 + 0.002 * i), "y": None, "naive": None,
                    "seasonal_naive": None, "generated_at": trained_at,
                }
            )  # fmt: skip
        skipped = n % 50 == 49
        mae = abs(rng.normal(0.02, 0.01)) * price
        registry_rows.append(
            {
                "sku": sku, "trained_at": trained_at, "code_version": "bench",
                "status": "skipped" if skipped else "trained",
                "reason": "histórico insuficiente" if skipped else None,
                "train_start": windows[0].date(), "train_end": today, "points": days,
                "holdout_days": 14,
                "metrics": None if skipped else {
                    "mae": mae, "rmse": mae * 1.2, "mse": (mae * 1.2) ** 2, "mape": 2.0,
                    "coverage_80": 0.8, "naive_mae": mae * 1.1, "naive_rmse": mae * 1.3,
                    "naive_mape": 2.2, "seasonal_naive_mae": mae * 1.2,
                    "seasonal_naive_rmse": mae * 1.4, "seasonal_naive_mape": 2.4,
                    "mase_naive": 0.91, "mase_seasonal_naive": 0.83, "beats_naive": True,
                    "beats_seasonal_naive": True, "holdout_days": 14,
                },
            }
        )  # fmt: skip
        for pos in range(5):
            offer_rows.append(
                {
                    "sku": sku, "window_start": last_window, "scraped_at": last_window,
                    "position": pos, "title": f"Oferta {pos}", "price": round(price, 2),
                    "previous_price": None, "currency": "BRL", "seller": f"Vendedor {pos}",
                    "url": None, "sponsored": pos == 0, "relevant": pos != 0, "source": "demo",
                }
            )  # fmt: skip
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(insert(forecasts), forecast_rows)
        conn.execute(insert(model_registry), registry_rows)
        conn.execute(insert(offers), offer_rows)
        conn.execute(text("ANALYZE"))
    log(f"  forecasts, registry and offers in {time.perf_counter() - t0:.1f} s")
    engine.dispose()
    return {"products": len(products), "observations": len(observations)}


def baseline_switch(url: str, sku: str) -> float:
    """Without per-product SQL: read every observation, then aggregate one product."""
    engine = create_warehouse_engine(url)
    t0 = time.perf_counter()
    with engine.connect() as conn:
        frame = pd.read_sql(
            text("SELECT sku, observed_at, price, is_synthetic FROM price_observations"), conn
        )
    one = frame[frame["sku"] == sku].copy()
    one["day"] = pd.to_datetime(one["observed_at"]).dt.normalize()
    one.groupby(["day", "is_synthetic"])["price"].agg(["mean", "min", "max", "count"])
    elapsed = time.perf_counter() - t0
    engine.dispose()
    return elapsed


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--switches", type=int, default=15)
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="seed into this folder and keep it")
    args = parser.parse_args(argv)

    folder = args.keep or Path(tempfile.mkdtemp(prefix="dashboard_bench_"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / 'warehouse.sqlite'}"
    try:
        log(f"seeding {args.products} products x {args.days} days into {folder} ...")
        t0 = time.perf_counter()
        counts = seed(url, args.products, args.days)
        seed_s = time.perf_counter() - t0
        log(f"seeded {counts['observations']:,} observations in {seed_s:.1f} s")

        os.environ["DATABASE_URL"] = url
        os.environ["PROCUREMENT_ARTIFACT_ROOT"] = str(folder / "artifacts")
        import streamlit as st
        from streamlit.testing.v1 import AppTest

        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(APP), default_timeout=120)
        t0 = time.perf_counter()
        at.run()
        first_render_s = time.perf_counter() - t0
        if at.exception:
            raise RuntimeError(f"the app failed: {at.exception[0].value}")
        log(f"first render: {first_render_s:.3f} s")

        skus = list(at.selectbox(key="sku").options)
        skus = [o.split(" — ")[0] for o in skus]
        rng = np.random.default_rng(11)
        picks = [skus[i] for i in rng.choice(len(skus), size=args.switches, replace=False)]
        switch_times = []
        for sku in picks:
            t0 = time.perf_counter()
            at.selectbox(key="sku").select(sku).run()
            switch_times.append(time.perf_counter() - t0)
            if at.exception or at.selectbox(key="sku").value != sku:
                raise RuntimeError(f"switch to {sku} failed: {at.exception}")
        product_switch_s = statistics.median(switch_times)
        log(
            f"product switch (new product) over {len(picks)}: median {product_switch_s:.3f} s, "
            f"max {max(switch_times):.3f} s"
        )
        revisit_times = []
        for sku in picks[:5]:
            t0 = time.perf_counter()
            at.selectbox(key="sku").select(sku).run()
            revisit_times.append(time.perf_counter() - t0)
        product_revisit_s = statistics.median(revisit_times)
        log(f"product revisit (cached): median {product_revisit_s:.3f} s")

        engine = create_warehouse_engine(url)
        query_times = []
        for sku in picks:
            t0 = time.perf_counter()
            series = product_daily_series(engine, sku)
            query_times.append(time.perf_counter() - t0)
        engine.dispose()
        series_query_s = statistics.median(query_times)
        log(f"daily series query alone: median {series_query_s * 1000:.1f} ms ({len(series)} rows)")

        baseline = [baseline_switch(url, sku) for sku in picks[: args.baseline_runs]]
        baseline_switch_s = statistics.median(baseline)
        ratio = baseline_switch_s / series_query_s
        log(
            f"baseline (whole table in pandas, then one product): {baseline_switch_s:.2f} s "
            f"= {ratio:.0f}x the indexed query"
        )
        result = {
            "benchmark": "dashboard",
            "backend": "sqlite",
            "products": counts["products"],
            "observations": counts["observations"],
            "days": args.days,
            "seed_s": round(seed_s, 2),
            "first_render_s": round(first_render_s, 3),
            "product_switch_s": round(product_switch_s, 3),
            "product_switch_max_s": round(max(switch_times), 3),
            "product_revisit_s": round(product_revisit_s, 3),
            "series_query_s": round(series_query_s, 4),
            "baseline_switch_s": round(baseline_switch_s, 3),
            "baseline_ratio": round(ratio, 1),
            "switches": len(switch_times),
            "target_switch_s": TARGET_SWITCH_S,
            "meets_target": product_switch_s < TARGET_SWITCH_S,
        }
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(json.dumps(result), flush=True)
    return result


if __name__ == "__main__":
    main(sys.argv[1:])
