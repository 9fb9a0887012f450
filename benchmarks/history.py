"""Benchmark of the daily price history: load real observations + clean + replace the table.

    .venv/bin/python -m benchmarks.history [--products 3000] [--days 180] [--per-day 3]
                                           [--skip-mysql] [--naive-sample 40]

Generates ~1.6 million observations with numpy (three 8-hour windows a day, a little noise,
spikes, missing windows, multi-day outages, a few USD rows and a synthetic gap-filler series
per product), bulk-inserts them (not timed) into a temporary SQLite file and a temporary
MariaDB/MySQL database on 127.0.0.1:3306, then times ``load_real_observations`` ->
``build_daily_history`` -> ``replace_daily_history`` twice: into the empty table (first build)
and over the previous build (the steady state, which also deletes the old rows; the headline
``wall_s_*`` figures). It also times, in the same process, a naive per-product pandas loop
doing the same cleaning on a sample of products, extrapolated to the whole catalog, and checks
that it agrees with the vectorised result on that sample. Prints progress; the LAST line is one
JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime

import numpy as np
import pandas as pd
from sqlalchemy import insert

from procurement_pipeline.lib.history.cleaning import HistorySettings, build_daily_history
from procurement_pipeline.lib.history.synthetic import SyntheticSettings, generate_synthetic_history
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.history import (
    insert_observations,
    load_real_observations,
    replace_daily_history,
    replace_synthetic_observations,
)
from procurement_pipeline.lib.warehouse.schema import products

TARGET_SQLITE_S = 20.0
START = np.datetime64("2025-01-01T00:00:00")
MYSQL_HOST, MYSQL_PORT = "127.0.0.1", 3306


def log(message: str) -> None:
    print(message, flush=True)


# --------------------------------------------------------------------------- data


def make_products(n: int, rng: np.random.Generator) -> pd.DataFrame:
    skus = np.array([f"BENCH-{i:05d}" for i in range(n)], dtype=object)
    return pd.DataFrame({"sku": skus, "reference_price": np.round(rng.uniform(2, 2000, n), 2)})


def make_observations(
    catalog: pd.DataFrame, days: int, per_day: int, rng: np.random.Generator
) -> pd.DataFrame:
    n_products = len(catalog)
    per_product = days * per_day
    n = n_products * per_product
    product = np.repeat(np.arange(n_products), per_product)
    window = np.tile(np.arange(per_product), n_products)
    hours = 24 // per_day
    window_start = START + (window * hours).astype("timedelta64[h]")
    observed_at = window_start + rng.integers(60, hours * 3600 - 60, n).astype("timedelta64[s]")
    # random walk in log price + noise around the reference price
    steps = rng.normal(0, 0.004, (n_products, days)).cumsum(axis=1)
    level = np.log(catalog["reference_price"].to_numpy())[:, None] + steps
    log_price = np.repeat(level, per_day, axis=1).ravel() + rng.normal(0, 0.01, n)
    spikes = rng.random(n) < 0.003
    log_price[spikes] += rng.choice([-1.0, 1.2], spikes.sum())
    price = np.round(np.exp(log_price), 2)
    keep = rng.random(n) > 0.03  # failed scrapes
    # multi-day outages: 1 in 5 products loses a random 2..6-day stretch
    outage = rng.random(n_products) < 0.2
    out_start = rng.integers(10, days - 10, n_products)
    out_len = rng.integers(2, 7, n_products)
    day = window // per_day
    in_outage = (
        outage[product]
        & (day >= out_start[product])
        & (day < out_start[product] + out_len[product])
    )
    keep &= ~in_outage
    currency = np.where(rng.random(n) < 0.001, "USD", "BRL").astype(object)
    frame = pd.DataFrame(
        {
            "sku": catalog["sku"].to_numpy()[product],
            "observed_at": observed_at,
            "window_start": window_start,
            "price": price,
            "currency": currency,
            "seller": "bench",
            "source": "demo",
            "is_synthetic": False,
            "offers_considered": 5,
        }
    )
    return frame[keep].reset_index(drop=True)


def insert_catalog(engine, catalog: pd.DataFrame) -> None:
    now = datetime(2025, 1, 1)
    rows = [
        {
            "sku": sku,
            "name": sku,
            "category": "bench",
            "unit": "un",
            "search_term": sku,
            "current_stock": 1,
            "minimum_stock": 1,
            "lead_time_days": 7,
            "reference_price": float(price),
            "currency": "BRL",
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for sku, price in zip(catalog["sku"], catalog["reference_price"], strict=True)
    ]
    with engine.begin() as conn:
        conn.execute(insert(products), rows)


# --------------------------------------------------------------------------- timing


def prepare(engine, catalog, observations, synthetic) -> None:
    t0 = time.perf_counter()
    migrate(engine)
    insert_catalog(engine, catalog)
    insert_observations(engine, observations)
    replace_synthetic_observations(engine, synthetic)
    log(
        f"  inserted {len(observations):,} real + {len(synthetic):,} synthetic observations "
        f"in {time.perf_counter() - t0:.1f} s (not timed)"
    )


def timed_build(engine, settings: HistorySettings, label: str) -> dict:
    t0 = time.perf_counter()
    observations = load_real_observations(engine)
    t1 = time.perf_counter()
    daily, report = build_daily_history(observations, settings)
    t2 = time.perf_counter()
    replace_daily_history(engine, daily, datetime.now().replace(microsecond=0))
    t3 = time.perf_counter()
    result = {
        "load_s": round(t1 - t0, 3),
        "clean_s": round(t2 - t1, 3),
        "replace_s": round(t3 - t2, 3),
        "wall_s": round(t3 - t0, 3),
        "observations": len(observations),
        "rows": len(daily),
        "report": report,
    }
    log(
        f"  {label}: load {result['load_s']:.2f} s, clean {result['clean_s']:.2f} s, "
        f"replace {result['replace_s']:.2f} s -> {result['wall_s']:.2f} s "
        f"({len(observations):,} observations -> {len(daily):,} daily rows)"
    )
    return result


def run_backend(engine, catalog, observations, synthetic, settings) -> dict:
    prepare(engine, catalog, observations, synthetic)
    first = timed_build(engine, settings, "first build (empty table)")
    steady = timed_build(engine, settings, "rebuild (replaces previous)")
    return {"first": first, "steady": steady}


# --------------------------------------------------------------------------- naive baseline


def naive_daily_history(observations: pd.DataFrame, settings: HistorySettings) -> pd.DataFrame:
    """The obvious implementation: one pandas pipeline per product in a Python loop."""
    out = []
    for sku in observations["sku"].unique():
        sub = observations[
            (observations["sku"] == sku)
            & ~observations["is_synthetic"]
            & (observations["currency"] == settings.currency)
        ].sort_values("observed_at")
        series = np.log(sub.set_index("observed_at")["price"].astype(float))
        window = pd.Timedelta(days=settings.outlier_window_days)
        # centred time window [t - w/2, t + w/2], one point at a time
        med = pd.Series(
            [
                series[(series.index >= t - window / 2) & (series.index <= t + window / 2)].median()
                for t in series.index
            ],
            index=series.index,
        )
        resid = (series - med).abs()
        mad = pd.Series(
            [
                resid[(resid.index >= t - window / 2) & (resid.index <= t + window / 2)].median()
                for t in resid.index
            ],
            index=resid.index,
        )
        counts = pd.Series(
            [
                ((series.index >= t - window / 2) & (series.index <= t + window / 2)).sum()
                for t in series.index
            ],
            index=series.index,
        )
        scale = 1.4826 * np.maximum(mad, settings.mad_floor)
        outlier = (counts >= settings.min_window_observations) & (
            resid > settings.mad_threshold * scale + 1e-12
        )
        kept = np.exp(series[~outlier])
        by_day = kept.groupby(kept.index.normalize()).agg(["median", "size"])
        full = by_day.reindex(pd.date_range(by_day.index.min(), by_day.index.max(), freq="D"))
        log_med = np.log(full["median"])
        filled = log_med.interpolate(limit=settings.max_gap_days, limit_area="inside")
        # interpolate(limit=) fills the start of long gaps: undo those
        gap_id = full["median"].notna().cumsum()
        gap_len = full["median"].isna().groupby(gap_id).transform("sum")
        filled[full["median"].isna() & (gap_len > settings.max_gap_days)] = np.nan
        frame = pd.DataFrame(
            {
                "sku": sku,
                "day": full.index,
                "price": np.round(np.exp(filled), 4),
                "observations": full["size"].fillna(0).astype(int),
            }
        ).dropna(subset=["price"])
        out.append(frame)
    return pd.concat(out, ignore_index=True)


def naive_baseline(observations, settings, sample: int, total_products: int) -> dict:
    skus = observations["sku"].drop_duplicates().iloc[:sample]
    subset = observations[observations["sku"].isin(skus)]
    t0 = time.perf_counter()
    naive = naive_daily_history(subset, settings)
    naive_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fast, _ = build_daily_history(subset, settings)
    fast_sample_s = time.perf_counter() - t0
    merged = fast.merge(naive, on=["sku", "day"], how="outer", suffixes=("", "_naive"))
    mismatched = int(
        (
            merged["price"].isna()
            | merged["price_naive"].isna()
            | ~np.isclose(merged["price"], merged["price_naive"], rtol=1e-6)
        ).sum()
    )
    extrapolated = naive_s * total_products / len(skus)
    log(
        f"  naive per-product loop: {naive_s:.2f} s for {len(skus)} products -> "
        f"{extrapolated:.1f} s extrapolated to {total_products:,}; "
        f"{mismatched} of {len(merged)} sample rows differ from the vectorised result"
    )
    return {
        "naive_sample_products": len(skus),
        "naive_sample_s": round(naive_s, 3),
        "vectorised_sample_s": round(fast_sample_s, 4),
        "naive_extrapolated_clean_s": round(extrapolated, 2),
        "naive_mismatched_rows": mismatched,
    }


# --------------------------------------------------------------------------- main


def mysql_reachable() -> bool:
    import socket

    try:
        with socket.create_connection((MYSQL_HOST, MYSQL_PORT), timeout=2):
            return True
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--per-day", type=int, default=3)
    parser.add_argument("--naive-sample", type=int, default=40)
    parser.add_argument("--skip-mysql", action="store_true")
    parser.add_argument("--seed", type=int, default=2025)
    args = parser.parse_args(argv)

    settings = HistorySettings()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    catalog = make_products(args.products, rng)
    observations = make_observations(catalog, args.days, args.per_day, rng)
    anchors = pd.DataFrame(
        {
            "sku": catalog["sku"],
            "anchor_price": catalog["reference_price"],
            "anchor_day": pd.Timestamp(str(START)) + pd.Timedelta(days=args.days - 1),
        }
    )
    synthetic = generate_synthetic_history(anchors, SyntheticSettings(days=30))
    log(
        f"generated {len(observations):,} observations for {args.products:,} products "
        f"({args.days} days, {args.per_day}/day) and {len(synthetic):,} synthetic rows "
        f"in {time.perf_counter() - t0:.1f} s; {os.cpu_count()} CPUs"
    )

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench_history_") as tmp:
        log("SQLite:")
        engine = create_warehouse_engine(f"sqlite:///{tmp}/warehouse.sqlite")
        try:
            results["sqlite"] = run_backend(engine, catalog, observations, synthetic, settings)
        finally:
            engine.dispose()

    if args.skip_mysql or not mysql_reachable():
        log("MySQL: skipped")
    else:
        import pymysql

        name = f"bench_history_{uuid.uuid4().hex[:10]}"
        admin = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user="root", autocommit=True)
        try:
            with admin.cursor() as cursor:
                cursor.execute(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
            log(f"MySQL ({name} on {MYSQL_HOST}:{MYSQL_PORT}):")
            engine = create_warehouse_engine(
                f"mysql+pymysql://root@{MYSQL_HOST}:{MYSQL_PORT}/{name}"
            )
            try:
                results["mysql"] = run_backend(engine, catalog, observations, synthetic, settings)
            finally:
                engine.dispose()
        finally:
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            admin.close()

    log("Naive baseline:")
    baseline = naive_baseline(observations, settings, args.naive_sample, args.products)

    sqlite = results["sqlite"]["steady"]
    report = sqlite["report"]
    mysql = results.get("mysql", {}).get("steady")
    summary = {
        "benchmark": "daily_price_history",
        "products": args.products,
        "observations": sqlite["observations"],
        "observations_with_synthetic": len(observations) + len(synthetic),
        "daily_rows": sqlite["rows"],
        "outliers_removed": report.outliers_removed,
        "wrong_currency": report.wrong_currency,
        "interpolated_rows": report.interpolated_rows,
        "gaps_left": report.gaps_left,
        "wall_s_sqlite": sqlite["wall_s"],
        "wall_s_sqlite_first_build": results["sqlite"]["first"]["wall_s"],
        "sqlite_load_s": sqlite["load_s"],
        "sqlite_clean_s": sqlite["clean_s"],
        "sqlite_replace_s": sqlite["replace_s"],
        "wall_s_mysql": None if mysql is None else mysql["wall_s"],
        "wall_s_mysql_first_build": None if mysql is None else results["mysql"]["first"]["wall_s"],
        "mysql_load_s": None if mysql is None else mysql["load_s"],
        "mysql_clean_s": None if mysql is None else mysql["clean_s"],
        "mysql_replace_s": None if mysql is None else mysql["replace_s"],
        "rows_per_s": round(sqlite["observations"] / sqlite["wall_s"]),
        "rows_per_s_mysql": None
        if mysql is None
        else round(mysql["observations"] / mysql["wall_s"]),
        **baseline,
        "naive_vs_vectorised_clean_ratio": round(
            baseline["naive_extrapolated_clean_s"] / sqlite["clean_s"], 1
        ),
        "target_sqlite_s": TARGET_SQLITE_S,
        "within_target": sqlite["wall_s"] < TARGET_SQLITE_S,
        "cpus": os.cpu_count(),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
