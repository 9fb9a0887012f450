"""Rolling-origin evaluation of the served forecast on the real price series.

    .venv/bin/python -m benchmarks.forecast_real [--origins 4] [--first-origin 1]
        [--kinds marketplace,commodity,fx] [--series SUBSTRING] [--limit N] [--workers 2]
        [--set field=value ...]

Data: ``../shared/data/real_prices/`` (catalog.csv + one CSV per series; read in place).

Per series, origin k (k = first_origin .. first_origin + origins - 1) is the last observed day
on or before ``last day - 30 * k`` days; the model trains on everything up to the origin
(expanding window) and forecasts the observed days of the 30 days after it. Origins with
fewer than 60 training points or fewer than 5 test days are skipped. Two forecasters, same
process, same origins:

- ``served``: what the pipeline serves now (``selection.serve``: the candidate chosen on the
  series' own past before the origin, fitted up to the origin);
- ``prophet``: the previous served model (Prophet, flat trend, weekly seasonality, anchored on
  the last price: the ``prophet`` candidate with the default settings).

Scoring per series (:func:`series_scores`): absolute errors pooled over all its origins,
divided by the naive forecast's ("the price stays at the last observed one"). A series where
naive is exact everywhere is a tie (ratio 1.0) if the model is exact too, else a loss
(ratio inf). "Beats naive" is a ratio below 1. Per kind and overall: median ratio, share
beating naive, 80 % interval coverage (share of test days inside the interval) and seconds
per series. ``--set`` overrides ModelSettings fields of the served forecaster (e.g.
``--set selection_margin=0.05``). The LAST line is one JSON object.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import json
import math
import multiprocessing as mp
import statistics
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting import ModelSettings, prepare_history
from procurement_pipeline.lib.forecasting.model import forecast_dates, quiet_stan_logging
from procurement_pipeline.lib.forecasting.selection import CandidateFits, score, serve
from procurement_pipeline.lib.forecasting.served import forecast

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "real_prices"
HORIZON = 30
MIN_TRAIN_POINTS = 60
MIN_TEST_POINTS = 5
FORECASTERS = ("served", "prophet")
KINDS = ("marketplace", "commodity", "fx")


def read_catalog(data: Path = DATA) -> list[dict[str, str]]:
    with open(data / "catalog.csv", encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def read_series(series_id: str, data: Path = DATA) -> pd.DataFrame:
    frame = pd.read_csv(data / f"{series_id}.csv", parse_dates=["date"])
    return frame.rename(columns={"date": "ds", "price": "y"})[["ds", "y"]]


def origins(days: pd.Series, first: int, count: int, horizon: int = HORIZON) -> list[pd.Timestamp]:
    """The last observed day on or before ``last - horizon * k`` for each k, newest first,
    when enough days train and test."""
    last = days.iloc[-1]
    out = []
    for k in range(first, first + count):
        target = last - pd.Timedelta(days=horizon * k)
        train = days[days <= target]
        if len(train) < MIN_TRAIN_POINTS:
            break
        origin = train.iloc[-1]
        test = days[(days > origin) & (days <= origin + pd.Timedelta(days=horizon))]
        if len(test) >= MIN_TEST_POINTS:
            out.append(origin)
    return out


def evaluate_series(
    history: pd.DataFrame, settings: ModelSettings, first: int, count: int
) -> dict[str, Any]:
    """Absolute errors, interval hits and seconds of each forecaster and naive, pooled over the
    series' origins."""
    df = prepare_history(history)
    totals: dict[str, Any] = {"days": 0, "origins": 0, "naive_ae": 0.0, "chosen": {}}
    totals.update(dict.fromkeys(("days_at_last", "days_above", "days_below"), 0))
    # Per horizon (days after the origin): test days above, at and below the last price.
    totals["sides_by_horizon"] = {}
    for name in FORECASTERS:
        totals.update({f"{name}_ae": 0.0, f"{name}_inside": 0, f"{name}_s": 0.0})
    baseline_settings = ModelSettings()
    for origin in origins(df["ds"], first, count):
        train = df[df["ds"] <= origin].reset_index(drop=True)
        test = df[(df["ds"] > origin) & (df["ds"] <= origin + pd.Timedelta(days=HORIZON))]
        y = test["y"].to_numpy(dtype=float)
        dates = test["ds"].to_numpy()
        t0 = time.perf_counter()
        served = serve(CandidateFits(train, settings, None))
        fc = forecast(served, dates, settings)
        t1 = time.perf_counter()
        previous = CandidateFits(train, baseline_settings, None).prophet(len(train))
        base = forecast_dates(previous, dates, baseline_settings)
        t2 = time.perf_counter()
        totals["served_s"] += t1 - t0
        totals["prophet_s"] += t2 - t1
        for name, frame in (("served", fc), ("prophet", base)):
            totals[f"{name}_ae"] += float(np.abs(y - frame["yhat"].to_numpy()).sum())
            inside = (y >= frame["yhat_lower"].to_numpy()) & (y <= frame["yhat_upper"].to_numpy())
            totals[f"{name}_inside"] += int(inside.sum())
        last = float(train["y"].iloc[-1])
        totals["naive_ae"] += float(np.abs(y - last).sum())
        totals["days_at_last"] += int((y == last).sum())
        totals["days_above"] += int((y > last).sum())
        totals["days_below"] += int((y < last).sum())
        horizons = ((test["ds"] - origin).dt.days).to_numpy()
        for h, value in zip(horizons.tolist(), y.tolist(), strict=True):
            sides = totals["sides_by_horizon"].setdefault(h, [0, 0, 0])
            sides[0 if value > last else 1 if value == last else 2] += 1
        totals["chosen"][served.name] = totals["chosen"].get(served.name, 0) + 1
        totals["days"] += len(y)
        totals["origins"] += 1
    return totals


def series_scores(totals: dict[str, Any], name: str) -> dict[str, Any]:
    """A series' ratio vs naive (None -> inf: naive exact, model not), beats and tie flags."""
    ratio = score(totals[f"{name}_ae"], totals["naive_ae"])
    ratio = math.inf if ratio is None else ratio
    return {
        "ratio": ratio,
        "beats": ratio < 1.0,
        "tie": totals["naive_ae"] == 0 and ratio == 1.0,
    }


def summarize(rows: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    """Median ratio, share beating naive, ties, coverage and seconds per series of one
    forecaster over rows (series with at least one origin)."""
    rows = [r for r in rows if r["origins"]]
    if not rows:
        return {"series": 0}
    scores = [series_scores(r, name) for r in rows]
    days = sum(r["days"] for r in rows)
    return {
        "series": len(rows),
        "median_ratio": round(statistics.median(s["ratio"] for s in scores), 4),
        "share_beating_naive": round(sum(s["beats"] for s in scores) / len(rows), 4),
        "ties": sum(s["tie"] for s in scores),
        "coverage_80": round(sum(r[f"{name}_inside"] for r in rows) / days, 4),
        "s_per_series": round(sum(r[f"{name}_s"] for r in rows) / len(rows), 4),
    }


def headroom(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """What the test days leave a forecast to win against naive, whatever the model.

    A forecast that moves the last price by a constant offset c gains at most |c| on a day on
    the side it moved to and loses |c| on every other day (a day at the last price included),
    so it can beat naive only on a series where more test days lie on one side of the last
    price than at it or on the other side: ``offset_can_win`` is the share of such series.

    A forecast whose offset depends on the horizon is bounded the same way horizon by
    horizon: it can beat naive only on a series with at least one horizon (days after the
    origin, pooled over the origins) where more test days lie on one side than at the last
    price or on the other side; a small enough offset there, and none elsewhere, then does.
    ``horizon_offset_can_win`` is the share of such series. Both bounds are hindsight (they
    pick the side from the test days). Also the median share of test days at the last price.
    """
    rows = [r for r in rows if r["days"]]
    if not rows:
        return {"series": 0}
    can_win = 0
    horizon_can_win = 0
    at_last = []
    for r in rows:
        can_win += _one_side_wins(r["days_above"], r["days_at_last"], r["days_below"])
        horizon_can_win += any(
            _one_side_wins(*sides) for sides in r.get("sides_by_horizon", {}).values()
        )
        at_last.append(r["days_at_last"] / r["days"])
    return {
        "series": len(rows),
        "median_share_of_days_at_last_price": round(statistics.median(at_last), 4),
        "offset_can_win": round(can_win / len(rows), 4),
        "horizon_offset_can_win": round(horizon_can_win / len(rows), 4),
    }


def _one_side_wins(above: int, at: int, below: int) -> bool:
    return above > at + below or below > at + above


def _work(args: tuple[dict[str, str], ModelSettings, int, int]) -> dict[str, Any]:
    entry, settings, first, count = args
    quiet_stan_logging()
    totals = evaluate_series(read_series(entry["series_id"]), settings, first, count)
    return {"series_id": entry["series_id"], "kind": entry["kind"], **totals}


def run(
    entries: Iterable[dict[str, str]],
    settings: ModelSettings,
    first: int,
    count: int,
    workers: int,
) -> list[dict[str, Any]]:
    tasks = [(e, settings, first, count) for e in entries]
    if workers <= 1:
        return [_work(t) for t in tasks]
    with mp.get_context("fork").Pool(workers) as pool:
        return pool.map(_work, tasks, chunksize=2)


def _override(settings: ModelSettings, assignments: Sequence[str]) -> ModelSettings:
    fields = {f.name: f for f in dataclasses.fields(ModelSettings)}
    changes: dict[str, Any] = {}
    for item in assignments:
        key, _, raw = item.partition("=")
        if key not in fields:
            raise SystemExit(f"--set: unknown ModelSettings field {key!r}")
        current = getattr(settings, key)
        if isinstance(current, tuple):
            changes[key] = tuple(v for v in raw.split(",") if v)
        elif isinstance(current, bool):
            changes[key] = raw.lower() in ("1", "true", "yes")
        else:
            changes[key] = type(current)(raw)
    return dataclasses.replace(settings, **changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--origins", type=int, default=4)
    parser.add_argument("--first-origin", type=int, default=1)
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--series", default="", help="only series whose id contains this")
    parser.add_argument("--limit", type=int, default=0, help="at most this many series")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE")
    parser.add_argument("--rows-out", default="", help="write per-series rows as CSV here")
    args = parser.parse_args()

    settings = _override(ModelSettings(), args.set)
    kinds = {k for k in args.kinds.split(",") if k}
    entries = [e for e in read_catalog() if e["kind"] in kinds and args.series in e["series_id"]]
    if args.limit:
        entries = entries[: args.limit]
    started = time.perf_counter()
    rows = run(entries, settings, args.first_origin, args.origins, args.workers)
    wall = time.perf_counter() - started
    if args.rows_out:
        pd.DataFrame(rows).to_csv(args.rows_out, index=False)

    groups = {kind: [r for r in rows if r["kind"] == kind] for kind in KINDS if kind in kinds}
    groups["overall"] = rows
    figures: dict[str, Any] = {"benchmark": "forecast_real", "wall_s": round(wall, 1)}
    print(
        f"{len(rows)} series, origins {args.first_origin}..{args.first_origin + args.origins - 1}"
        f" x {HORIZON} days, {wall:.0f} s wall ({args.workers} workers)"
    )
    header = "| kind | forecaster | series | median MAE / naive | beats naive | ties | "
    print(header + "80 % coverage | s per series |")
    print("|:--|:--|--:|--:|--:|--:|--:|--:|")
    for group, members in groups.items():
        figures[group] = {}
        for name in FORECASTERS:
            s = summarize(members, name)
            figures[group][name] = s
            if not s["series"]:
                continue
            print(
                f"| {group} | {name} | {s['series']} | {s['median_ratio']:.3f} | "
                f"{s['share_beating_naive']:.0%} | {s['ties']} | {s['coverage_80']:.0%} | "
                f"{s['s_per_series']:.3f} |"
            )
    print(
        "\n| kind | series | median share of test days at the last price | "
        "series where a constant offset can beat naive | ... an offset by horizon |"
    )
    print("|:--|--:|--:|--:|--:|")
    for group, members in groups.items():
        h = headroom(members)
        figures[group]["headroom"] = h
        if h["series"]:
            print(
                f"| {group} | {h['series']} | {h['median_share_of_days_at_last_price']:.0%} | "
                f"{h['offset_can_win']:.0%} | {h['horizon_offset_can_win']:.0%} |"
            )
    chosen: dict[str, int] = {}
    for r in rows:
        for name, n in r["chosen"].items():
            chosen[name] = chosen.get(name, 0) + n
    print("models served at the origins:", dict(sorted(chosen.items())))
    figures["models_served"] = chosen
    overall = figures["overall"]["served"]
    market = figures.get("marketplace", {}).get("served", {})
    figures["ratio_vs_previous"] = (
        round(overall["median_ratio"] / figures["overall"]["prophet"]["median_ratio"], 4)
        if overall.get("series")
        else None
    )
    figures["targets"] = {
        "overall_median_ratio_le_0.97": overall.get("median_ratio", math.inf) <= 0.97,
        "marketplace_median_ratio_le_1.0": market.get("median_ratio", math.inf) <= 1.0,
        "share_beating_naive_ge_0.55": overall.get("share_beating_naive", 0) >= 0.55,
        "coverage_80_within_0.75_0.85": 0.75 <= overall.get("coverage_80", 0) <= 0.85,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
