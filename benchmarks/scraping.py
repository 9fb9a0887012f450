"""Benchmark of one scrape window for the whole catalog through the real client.

    .venv/bin/python -m benchmarks.scraping [--products N] [--concurrency 10] [--latency 1.0]
                                            [--sequential-sample 20] [--csv data/products_seed.csv]

Starts the local ScraperAPI server (lib.scraping.server) serving the offline demo market with
``--latency`` seconds per request (ScraperAPI answers in about a second), then runs
``scrape_window`` with the real ``ScraperAPIClient`` over the catalog (data/products_seed.csv
when it exists, else ``--products`` synthetic products). Before that, in the same process, it
times a sequential baseline (concurrency 1) on a small sample and extrapolates it to the
catalog. Prints progress; the LAST line is one JSON object (products, concurrency, wall_s,
sequential_estimate_s, speedup, ...). Target: < 6 minutes for 3,000 products, speedup >= 8.
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.quiet import run_quietly
from procurement_pipeline.lib.scraping.collect import ScrapeTarget, scrape_window
from procurement_pipeline.lib.scraping.demo_market import (
    DemoMarketPages,
    window_floor,
)
from procurement_pipeline.lib.scraping.scraperapi import (
    ScraperAPIClient,
    ScraperAPISettings,
)
from procurement_pipeline.lib.scraping.server import ScraperAPIServer

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CSV = REPO_ROOT / "data" / "products_seed.csv"
BENCH_KEY = "bench-local-key"


def load_products(csv: Path, products: int | None) -> tuple[pd.DataFrame, str]:
    if csv.is_file():
        frame = pd.read_csv(csv, dtype={"sku": str, "search_term": str})
        frame = frame[["sku", "search_term", "reference_price"]]
        if products is not None:
            frame = frame.head(products)
        return frame.reset_index(drop=True), str(csv)
    n = products or 3000
    rng = np.random.default_rng(42)
    kinds = ["espuma d", "tecido suede", "cola de contato", "grampo", "percinta elastica"]
    frame = pd.DataFrame(
        {
            "sku": [f"BEN-{i:05d}" for i in range(n)],
            "search_term": [f"{kinds[i % len(kinds)]} {i}" for i in range(n)],
            "reference_price": np.round(rng.lognormal(3.5, 1.0, n), 2) + 1.0,
        }
    )
    return frame, "synthetic"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=None)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--sequential-sample", type=int, default=20)
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    args = parser.parse_args(argv)

    products, origin = load_products(args.csv, args.products)
    targets = [ScrapeTarget(r.sku, r.search_term) for r in products.itertuples(index=False)]
    window = window_floor(datetime.now(UTC))
    pages = DemoMarketPages.from_products(products, window)
    print(
        f"catalog: {len(targets)} products from {origin}; window {window:%Y-%m-%d %H:%M} UTC; "
        f"latency {args.latency} s; concurrency {args.concurrency}",
        flush=True,
    )

    with ScraperAPIServer(pages, api_key=BENCH_KEY, latency_s=args.latency) as server:

        def client(concurrency: int) -> ScraperAPIClient:
            return ScraperAPIClient(
                ScraperAPISettings(
                    api_key=BENCH_KEY, base_url=server.base_url, concurrency=concurrency
                )
            )

        sample = targets[: args.sequential_sample]
        with client(1) as sequential_client:
            baseline = scrape_window(
                sequential_client, sample, window, source="demo", concurrency=1
            )
        per_product = baseline.duration_s / max(1, len(sample))
        sequential_estimate = per_product * len(targets)
        print(
            f"sequential baseline: {len(sample)} products in {baseline.duration_s:.1f} s "
            f"({per_product:.3f} s each) -> {sequential_estimate:.0f} s estimated for "
            f"{len(targets)}",
            flush=True,
        )
        server.reset_log()

        started = time.monotonic()
        step = max(1, len(targets) // 20)

        def progress(done: int, total: int) -> None:
            if done % step == 0 or done == total:
                elapsed = time.monotonic() - started
                print(
                    f"  {done:>5}/{total} products  {elapsed:6.1f} s  {done / elapsed:5.2f}/s",
                    flush=True,
                )

        with client(args.concurrency) as parallel_client:
            result = scrape_window(
                parallel_client,
                targets,
                window,
                source="demo",
                concurrency=args.concurrency,
                progress=progress,
            )
        wall = time.monotonic() - started
        requests_made = server.request_count
        max_in_flight = server.max_in_flight

    summary = {
        "benchmark": "scraping",
        "products": len(targets),
        "products_source": origin,
        "concurrency": args.concurrency,
        "latency_s": args.latency,
        "wall_s": round(wall, 2),
        "sequential_sample": len(sample),
        "sequential_per_product_s": round(per_product, 4),
        "sequential_estimate_s": round(sequential_estimate, 1),
        "speedup": round(sequential_estimate / wall, 2),
        "throughput_per_s": round(len(targets) / wall, 2),
        "saved": result.saved,
        "failed_by_reason": result.failed_by_reason,
        "offers": len(result.offers),
        "requests": requests_made,
        "max_in_flight": max_in_flight,
        "target_met": bool(wall < 360 and sequential_estimate / wall >= 8),
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    run_quietly(main)
