"""Compare forecast configurations on seeded price-like series; writes FORECAST_TUNING.md.

.venv/bin/python -m benchmarks.forecast_tuning [--per-kind 6]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from tools.model_tuning import (
    candidate_configs,
    choose,
    evaluate_configs,
    summarize,
    synthetic_catalog,
)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-kind", type=int, default=6)
    parser.add_argument("--out", default=str(Path(__file__).with_name("tuning_results.csv")))
    args = parser.parse_args()
    series = synthetic_catalog(per_kind=args.per_kind)
    t0 = time.perf_counter()
    results = evaluate_configs(candidate_configs(), series)
    elapsed = time.perf_counter() - t0
    results.to_csv(args.out, index=False)
    table = summarize(results)
    print(f"{len(series)} series x 3 origins, {elapsed:.0f} s")
    print(table.round(3).to_markdown())
    print(f"chosen: {choose(table)}")


if __name__ == "__main__":
    main()
