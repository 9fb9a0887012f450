"""Do the buying recommendations save money, and how much of it is the price forecast's?

    .venv/bin/python -m benchmarks.recommendations                 # demo catalog, 180 days
    .venv/bin/python -m benchmarks.recommendations --mode real     # real price series

Four buyers see the same prices and consumption, day by day, only the past
(:mod:`tools.recommendation_replay`):

* **advice + served model**: ``recommend()`` with the served forecaster
  (:class:`~tools.recommendation_replay.ServedForecaster`: the model
  ``product_price_models`` trains, retrained on each product's history as it stood that day,
  at most every ``--refit-days``, re-anchored on the newest price in between);
* **advice + recent level**: ``recommend()`` with the cheap
  :class:`~tools.recommendation_replay.RecentLevelForecaster`;
* **advice, no forecast**: the same engine with no forecast at all (the stock rule at today's
  price): the difference to the two above is what the forecast itself earns;
* **naive**: reorders at the minimum at the day's price.

Cost of a buyer = spend - what it still holds at the end (stock + on order, at the last
price) + the cost of holding the stock along the way (``holding_cost_rate`` a year, the rate
the advice weighs). Savings compare the cost per unit actually consumed, so a buyer that
runs out (and therefore buys less) is not counted as saving; stockouts are reported beside.

Modes:

* ``demo`` — the demo market (``seed_demo_observations``, three 8-hour windows a day, daily
  median), the demo consumption generator and ``data/products_seed.csv`` (first
  ``--products`` rows); the served model only with ``--forecasters ...,served``, as it
  retrains every product every day;
* ``real`` — every series in ``../shared/data/real_prices/`` (``catalog.csv``: marketplace
  listings, commodity futures, exchange rates) becomes one product: steady use (10 a day,
  day-to-day noise ``--use-cv``, seeded per series), 7-day lead time, minimum stock a lead
  time of use, a seeded starting stock; replayed from ``--warmup-days`` after its first price
  (the forecaster needs a history) to its last, at most the last ``--max-days``. Figures per
  kind and overall; one row per product and buyer in ``--products-csv``.

Prints progress; the LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pandas as pd

from procurement_pipeline.lib.recommendations.engine import RecommendationSettings
from tools.recommendation_replay import (
    RecentLevelForecaster,
    ServedForecaster,
    daily_prices_from_observations,
    no_forecast,
    replay,
)

REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO / "data" / "products_seed.csv"
REAL_PRICES = REPO.parent / "shared" / "data" / "real_prices"
PRODUCTS_CSV = REPO / "benchmarks" / "recommendations_real_products.csv"
# Buyers, in the order they run and are reported.
ADVICE_BUYERS = {"served": "advice_served", "recent": "advice_recent"}
NO_FORECAST = "advice_no_forecast"
NAIVE = "naive"

# --------------------------------------------------------------------------- the real products


def steady_use(sku: str, first: dt.date, last: dt.date, mean: float, cv: float, seed: int):
    """Daily use ``[day, sku, quantity]`` from ``first`` to ``last``: ``mean`` a day with
    normal day-to-day noise (coefficient of variation ``cv``), never negative, seeded by the
    SKU and ``seed`` (the same series always gets the same use)."""
    rng = np.random.default_rng([seed, zlib.crc32(sku.encode())])
    days = pd.date_range(first, last, freq="D")
    quantity = np.round(np.clip(rng.normal(mean, mean * cv, len(days)), 0.0, None), 1)
    return pd.DataFrame({"day": days.date, "sku": sku, "quantity": quantity})


def real_products(
    folder: Path,
    *,
    warmup_days: int,
    max_days: int,
    use_per_day: float,
    use_cv: float,
    lead_days: int,
    horizon_days: int,
    window_days: int,
    seed: int,
    limit: int = 0,
):
    """Each real series as a product: (catalog, daily prices, consumption, starts, ends,
    kinds). The starting stock is between the minimum plus 5 and plus 35 days of use
    (seeded), so the first orders fall on different days."""
    catalog = pd.read_csv(folder / "catalog.csv")
    if limit:
        # Every kind in a small run: the first series of each kind, then the next, ...
        catalog = catalog.assign(_n=catalog.groupby("kind").cumcount()).sort_values(
            ["_n", "kind"], kind="stable"
        )
        catalog = catalog.head(limit).drop(columns="_n")
    rows, prices, uses, starts, ends, kinds = [], [], [], {}, {}, {}
    for entry in catalog.itertuples():
        series = pd.read_csv(folder / f"{entry.series_id}.csv", parse_dates=["date"])
        first, last = series["date"].iloc[0].date(), series["date"].iloc[-1].date()
        start = max(first + dt.timedelta(days=warmup_days), last - dt.timedelta(days=max_days - 1))
        if start > last:
            continue
        sku = str(entry.series_id)
        rng = np.random.default_rng([seed, zlib.crc32(sku.encode()), 1])
        minimum = use_per_day * lead_days
        rows.append(
            {
                "sku": sku,
                "name": sku,
                "category": entry.kind,
                "unit": "kg",
                "current_stock": round(minimum + use_per_day * rng.uniform(5, 35), 1),
                "minimum_stock": minimum,
                "lead_time_days": lead_days,
                "reference_price": float(series["price"].iloc[0]),
            }
        )
        prices.append(pd.DataFrame({"sku": sku, "day": series["date"], "price": series["price"]}))
        uses.append(
            steady_use(sku, start - dt.timedelta(days=window_days), last, use_per_day, use_cv, seed)
        )
        starts[sku], ends[sku], kinds[sku] = start, last, entry.kind
    return (
        pd.DataFrame(rows),
        pd.concat(prices, ignore_index=True),
        pd.concat(uses, ignore_index=True),
        starts,
        ends,
        kinds,
    )


# --------------------------------------------------------------------------- the arithmetic


def cost_per_unit(per_product: pd.DataFrame) -> pd.Series:
    """Total cost (net spend + holding) per unit consumed, by SKU."""
    served = per_product["demand_quantity"] - per_product["unmet_quantity"]
    cost = per_product["total_cost"].where(served > 0) / served.where(served > 0)
    return pd.Series(cost.to_numpy(), index=per_product["sku"].to_numpy())


def saving_vs(per_product: pd.DataFrame, baseline: pd.DataFrame) -> pd.Series:
    """Per SKU, the share by which ``per_product``'s cost per unit is below the
    baseline's (0.02 = 2 % cheaper; negative = dearer)."""
    mine, theirs = cost_per_unit(per_product), cost_per_unit(baseline)
    return 1.0 - mine / theirs.reindex(mine.index)


def price_paid_ratio(per_product: pd.DataFrame) -> pd.Series:
    """Per SKU, the average price paid over the mean market price of its replayed days."""
    ratio = per_product["average_price_paid"] / per_product["mean_price"]
    return pd.Series(ratio.to_numpy(), index=per_product["sku"].to_numpy())


def product_table(results: dict, kinds: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per product and buyer: cost, cost per unit, savings against the naive buyer
    and against the advice without a forecast, price paid vs the mean, stockouts."""
    naive = results[NAIVE].per_product
    plain = results.get(NO_FORECAST)
    frames = []
    for buyer, result in results.items():
        per = result.per_product
        frame = pd.DataFrame(
            {
                "sku": per["sku"].to_numpy(),
                "buyer": buyer,
                "days": per["days"].to_numpy(),
                "orders": per["orders"].to_numpy(),
                "total_cost": per["total_cost"].to_numpy(),
                "holding_cost": per["holding_cost"].to_numpy(),
                "cost_per_unit": cost_per_unit(per).to_numpy(),
                "saving_vs_naive": saving_vs(per, naive).to_numpy(),
                "saving_vs_no_forecast": (
                    saving_vs(per, plain.per_product).to_numpy() if plain else np.nan
                ),
                "price_paid_vs_mean": price_paid_ratio(per).to_numpy(),
                "stockout_days": per["stockout_days"].to_numpy(),
                "min_stock": per["min_stock"].to_numpy(),
            }
        )
        if kinds is not None:
            frame.insert(1, "kind", frame["sku"].map(kinds))
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _round(value: float, digits: int = 5) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), digits)


def buyer_summary(table: pd.DataFrame) -> dict:
    """Medians and totals of one buyer's rows (any set of products)."""
    return {
        "products": int(len(table)),
        "saving_vs_naive_median": _round(table["saving_vs_naive"].median()),
        "saving_vs_naive_mean": _round(table["saving_vs_naive"].mean()),
        "saving_vs_no_forecast_median": _round(table["saving_vs_no_forecast"].median()),
        "saving_vs_no_forecast_mean": _round(table["saving_vs_no_forecast"].mean()),
        "forecast_earns_share": _round((table["saving_vs_no_forecast"] > 1e-9).mean(), 3),
        "forecast_costs_share": _round((table["saving_vs_no_forecast"] < -1e-9).mean(), 3),
        "price_paid_vs_mean_median": _round(table["price_paid_vs_mean"].median()),
        "stockout_days": int(table["stockout_days"].sum()),
        "orders": int(table["orders"].sum()),
    }


def kind_summaries(table: pd.DataFrame) -> dict:
    """``{kind: {buyer: buyer_summary}}`` plus ``"all"``."""
    groups = {"all": table, **{k: g for k, g in table.groupby("kind", sort=True)}}
    return {
        kind: {buyer: buyer_summary(rows) for buyer, rows in group.groupby("buyer", sort=False)}
        for kind, group in groups.items()
    }


# --------------------------------------------------------------------------- running


def _forecaster(name: str, args: argparse.Namespace, settings: RecommendationSettings):
    if name == "served":
        return ServedForecaster(refit_days=args.refit_days, workers=args.workers)
    if name == "recent":
        return RecentLevelForecaster(horizon_days=settings.horizon_days)
    raise ValueError(f"unknown forecaster {name!r} (served, recent)")


def _progress(buyer: str):
    t0 = time.perf_counter()

    def report(day: dt.date) -> None:
        if day.day == 1 and day.month in (1, 4, 7, 10):
            print(f"  {buyer}: {day} ({time.perf_counter() - t0:.0f}s)", file=sys.stderr)

    return report


def _run_buyers(args, settings, catalog, prices, consumption, start, end) -> tuple[dict, dict]:
    results, timings = {}, {}
    buyers = [(ADVICE_BUYERS[name], name) for name in args.forecasters]
    buyers += [(NO_FORECAST, "none"), (NAIVE, "none")]
    for buyer, name in buyers:
        t0 = time.perf_counter()
        forecaster = no_forecast if name == "none" else _forecaster(name, args, settings)
        policy = "naive" if buyer == NAIVE else "recommended"
        results[buyer] = replay(
            catalog, prices, consumption, start, end, policy, forecaster, settings,
            progress=_progress(buyer),
        )  # fmt: skip
        timings[buyer] = round(time.perf_counter() - t0, 1)
        fits = getattr(forecaster, "fits", None)
        print(
            f"{buyer}: {json.dumps(results[buyer].summary())} ({timings[buyer]:.1f}s"
            + (f", {fits} model trainings" if fits is not None else "")
            + ")",
            file=sys.stderr,
        )
    return results, timings


def _settings(args: argparse.Namespace) -> RecommendationSettings:
    return RecommendationSettings(
        horizon_days=args.horizon,
        min_saving_share=args.min_saving_share,
        min_rise_share=args.min_rise_share,
        safety_z=args.safety_z,
        min_order_days=args.min_order_days,
        holding_cost_rate=args.holding_cost_rate,
    )


def _settings_dict(settings: RecommendationSettings) -> dict:
    keys = (
        "horizon_days",
        "safety_z",
        "min_saving_share",
        "min_rise_share",
        "min_order_days",
        "opportunity_margin",
        "holding_cost_rate",
        "extra_cover_days",
        "max_cover_days",
    )
    return {k: getattr(settings, k) for k in keys}


def run_demo(args: argparse.Namespace) -> dict:
    from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
    from tools.consumption_generator import generate_consumption

    end = dt.date.fromisoformat(args.end)
    start = end - dt.timedelta(days=args.days - 1)
    catalog = pd.read_csv(CATALOG, dtype={"sku": str})
    if args.products:
        catalog = catalog.head(args.products).reset_index(drop=True)
    settings = _settings(args)
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
    results, timings = _run_buyers(args, settings, catalog, prices, consumption, start, end)
    table = product_table(results)
    naive = results[NAIVE]
    out = {
        "benchmark": "recommendations",
        "mode": "demo",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "products": len(catalog),
        "days": args.days,
        "settings": _settings_dict(settings),
    }
    for buyer, result in results.items():
        rows = table[table["buyer"] == buyer]
        out[buyer] = {
            "total_cost": round(result.total_cost, 2),
            "saving_vs_naive": _round(1.0 - result.total_cost / naive.total_cost),
            **buyer_summary(rows),
            "products_with_stockout": result.products_with_stockout,
            "min_stock": result.min_stock,
            "actions": result.actions,
        }
    out["replay_s"] = timings
    out["data_s"] = round(t_data, 1)
    return out


def run_real(args: argparse.Namespace) -> dict:
    settings = _settings(args)
    t0 = time.perf_counter()
    catalog, prices, consumption, starts, ends, kinds = real_products(
        Path(args.real_dir),
        warmup_days=args.warmup_days,
        max_days=args.max_days,
        use_per_day=10.0,
        use_cv=args.use_cv,
        lead_days=7,
        horizon_days=settings.horizon_days,
        window_days=settings.consumption_window_days,
        seed=args.seed,
        limit=args.products,
    )
    t_data = time.perf_counter() - t0
    print(
        f"data: {len(catalog)} series, {len(prices):,} daily prices, "
        f"{sum((ends[s] - starts[s]).days + 1 for s in starts):,} product-days "
        f"({t_data:.1f}s)",
        file=sys.stderr,
    )
    results, timings = _run_buyers(args, settings, catalog, prices, consumption, starts, ends)
    table = product_table(results, kinds)
    csv_path = Path(args.products_csv)
    table.round(6).to_csv(csv_path, index=False)
    summaries = kind_summaries(table)
    advice = [ADVICE_BUYERS[name] for name in args.forecasters]
    targets = {}
    for buyer in advice:
        by_kind = {k: v[buyer] for k, v in summaries.items()}
        targets[buyer] = {
            "marketplace_forecast_earns_in_median": _met(
                by_kind, "marketplace", lambda s: s["saving_vs_no_forecast_median"] > 0
            ),
            "commodity_forecast_not_negative_in_median": _met(
                by_kind, "commodity", lambda s: s["saving_vs_no_forecast_median"] >= 0
            ),
            "stockouts_not_above_naive": all(
                summaries[k][buyer]["stockout_days"] <= summaries[k][NAIVE]["stockout_days"]
                for k in summaries
            ),
        }
    return {
        "benchmark": "recommendations",
        "mode": "real",
        "series": len(catalog),
        "product_days": int(results[NAIVE].days),
        "settings": _settings_dict(settings),
        "use": {"per_day": 10.0, "cv": args.use_cv, "lead_days": 7, "seed": args.seed},
        "warmup_days": args.warmup_days,
        "max_days": args.max_days,
        "refit_days": args.refit_days,
        "by_kind": summaries,
        "targets": targets,
        "products_csv": str(
            csv_path.relative_to(REPO) if csv_path.is_relative_to(REPO) else csv_path
        ),
        "replay_s": timings,
        "data_s": round(t_data, 1),
    }


def _met(by_kind: dict, kind: str, rule) -> bool | None:
    summary = by_kind.get(kind)
    if summary is None or summary["saving_vs_no_forecast_median"] is None:
        return None
    return bool(rule(summary))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.recommendations")
    parser.add_argument("--mode", choices=("demo", "real"), default="demo")
    parser.add_argument(
        "--forecasters",
        default=None,
        help="comma-separated: served, recent (default: recent for demo, served,recent for real)",
    )
    parser.add_argument("--end", default="2026-11-24", help="demo: last replayed day")
    parser.add_argument("--days", type=int, default=180, help="demo: days replayed")
    parser.add_argument("--history-days", type=int, default=60, help="demo: price days before")
    parser.add_argument("--products", type=int, default=0, help="first N products (0 = all)")
    parser.add_argument("--real-dir", default=str(REAL_PRICES))
    parser.add_argument("--products-csv", default=str(PRODUCTS_CSV))
    parser.add_argument("--warmup-days", type=int, default=60)
    parser.add_argument("--max-days", type=int, default=365)
    parser.add_argument("--use-cv", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--refit-days", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--horizon", type=int, default=30)
    parser.add_argument("--min-saving-share", type=float, default=0.02)
    parser.add_argument("--min-rise-share", type=float, default=0.03)
    parser.add_argument("--safety-z", type=float, default=1.28)
    parser.add_argument("--min-order-days", type=float, default=7.0)
    parser.add_argument("--holding-cost-rate", type=float, default=0.25)
    args = parser.parse_args(argv)
    default = "recent" if args.mode == "demo" else "served,recent"
    args.forecasters = [f.strip() for f in (args.forecasters or default).split(",") if f.strip()]
    out = run_demo(args) if args.mode == "demo" else run_real(args)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
