"""Wall time of train_many (holdout fit + refit + forecast) vs a naive sequential Prophet loop,
plus the accuracy summary, on synthetic 180-day price series.

    .venv/bin/python -m benchmarks.forecast_timing --products 3000 --workers 2 --baseline 100
"""

from __future__ import annotations

import argparse
import logging
import time

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting import ModelSettings, quiet_stan_logging, train_many
from tools.model_tuning import SERIES_KINDS, synthetic_price_series


def items(n: int, days: int):
    for i in range(n):
        kind = SERIES_KINDS[i % len(SERIES_KINDS)]
        yield (
            f"SKU-{i:05d}",
            synthetic_price_series(kind, days, seed=i, missing_share=0.05 * (i % 3)),
        )


def default_prophet_loop(n: int, days: int) -> float:
    """Seconds per product for bare default Prophet: fit + predict 30 days, 1,000 samples."""
    from prophet import Prophet

    quiet_stan_logging()
    t0 = time.perf_counter()
    for _, df in items(n, days):
        m = Prophet(daily_seasonality=False)
        m.fit(df)
        m.predict(m.make_future_dataframe(30))
    return (time.perf_counter() - t0) / n


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--products", type=int, default=3000)
    p.add_argument("--days", type=int, default=180)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--chunk-size", type=int, default=16)
    p.add_argument("--baseline", type=int, default=100)
    args = p.parse_args()
    logging.getLogger("prophet.plot").setLevel(logging.CRITICAL)

    t0 = time.perf_counter()
    results = list(
        train_many(
            items(args.products, args.days),
            ModelSettings(),
            workers=args.workers,
            chunk_size=args.chunk_size,
        )
    )
    wall = time.perf_counter() - t0
    status = pd.Series([r.status for r in results]).value_counts().to_dict()
    per = np.array([r.duration_s for r in results])
    print(
        f"train_many: {args.products} products, {args.workers} workers: {wall:.1f} s wall "
        f"({wall / args.products * 1000:.1f} ms/product; in-worker {per.mean() * 1000:.1f} ms "
        f"per product for 2 fits + forecast); status {status}"
    )
    m = pd.DataFrame([r.metrics for r in results if r.status == "trained"])
    print(
        f"accuracy: median mase_naive {m['mase_naive'].median():.3f}, "
        f"beats naive {m['beats_naive'].mean():.1%}, "
        f"beats seasonal naive {m['beats_seasonal_naive'].mean():.1%}, "
        f"mean coverage_80 {m['coverage_80'].mean():.3f}, "
        f"median mase_seasonal_naive {m['mase_seasonal_naive'].median():.3f}"
    )
    if args.baseline:
        sec = default_prophet_loop(args.baseline, args.days)
        print(
            f"default Prophet fit + predict (1,000 samples), sequential: {sec * 1000:.1f} ms/"
            f"product -> {sec * args.products:.0f} s for {args.products} products "
            f"(one fit each; {2 * sec * args.products:.0f} s with holdout + refit)"
        )


if __name__ == "__main__":
    main()
