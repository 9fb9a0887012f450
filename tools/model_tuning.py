"""Measure candidate model configurations on seeded, price-like synthetic series.

``synthetic_price_series`` generates the families prices actually come in (random walks with
drift, mean-reverting prices, weekly patterns, promotions, scraping outliers, step-wise
marketplace prices, inflation trends), some with missing days. ``evaluate_configs`` runs
rolling-origin holdouts (expanding window, several origins, 30-day horizon) and scores each
configuration against the naive and seasonal-naive baselines. Fits are shared between
configurations that differ only in post-processing (level correction, interval method/scale).

Run ``python -m benchmarks.forecast_tuning`` to reproduce ``benchmarks/FORECAST_TUNING.md``.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.forecasting.holdout import holdout_frame, naive_baselines
from procurement_pipeline.lib.forecasting.metrics import evaluate
from procurement_pipeline.lib.forecasting.model import fit_model, forecast_dates
from procurement_pipeline.lib.forecasting.settings import ModelSettings

SERIES_KINDS = (
    "random_walk",
    "mean_reverting",
    "weekly",
    "promotions",
    "outliers",
    "steps",
    "trend",
)

# Settings fields that change the fit (the rest only post-process a fitted model).
FIT_FIELDS = (
    "growth",
    "changepoint_prior_scale",
    "n_changepoints",
    "changepoint_range",
    "seasonality_mode",
    "seasonality_prior_scale",
    "weekly_seasonality",
    "weekly_fourier_order",
    "yearly_min_days",
    "log_scale",
)


def synthetic_price_series(
    kind: str, n_days: int = 240, seed: int = 0, missing_share: float = 0.0, level: float = 100.0
) -> pd.DataFrame:
    """One seeded daily price series (columns ds, y) of the given kind."""
    rng = np.random.default_rng(seed)
    ds = pd.date_range("2024-01-01", periods=n_days, freq="D")
    dow = ds.day_of_week.to_numpy()
    t = np.arange(n_days)
    if kind == "random_walk":
        drift = rng.uniform(-0.002, 0.002)
        z = np.cumsum(rng.normal(drift, rng.uniform(0.005, 0.02), n_days))
    elif kind == "mean_reverting":
        phi, sd = rng.uniform(0.8, 0.97), rng.uniform(0.01, 0.03)
        z = np.zeros(n_days)
        for i in range(1, n_days):
            z[i] = phi * z[i - 1] + rng.normal(0, sd)
    elif kind == "weekly":
        amp = rng.uniform(0.02, 0.06)
        pattern = amp * np.array([0.0, -0.3, -0.5, -0.2, 0.4, 1.0, 0.8])
        z = np.cumsum(rng.normal(0, 0.004, n_days)) + pattern[dow] + rng.normal(0, 0.01, n_days)
    elif kind == "promotions":
        z = np.cumsum(rng.normal(0, 0.004, n_days)) + rng.normal(0, 0.005, n_days)
        i = 0
        while i < n_days:
            if rng.random() < 1 / 20:
                length = int(rng.integers(2, 7))
                z[i : i + length] += np.log(1 - rng.uniform(0.10, 0.25))
                i += length
            i += 1
    elif kind == "outliers":
        z = np.cumsum(rng.normal(0, 0.008, n_days)) + rng.normal(0, 0.005, n_days)
        spikes = rng.random(n_days) < 0.03
        z[spikes] += rng.choice([-1, 1], spikes.sum()) * rng.uniform(0.2, 0.4, spikes.sum())
    elif kind == "steps":
        jumps = (rng.random(n_days) < 1 / 25) * rng.normal(0, 0.05, n_days)
        z = np.cumsum(jumps) + rng.normal(0, 0.002, n_days)
    elif kind == "trend":
        yearly = rng.uniform(0.05, 0.20)
        ar = np.zeros(n_days)
        for i in range(1, n_days):
            ar[i] = 0.7 * ar[i - 1] + rng.normal(0, 0.01)
        z = yearly * t / 365 + ar
    else:
        raise ValueError(f"unknown series kind {kind!r}")
    y = level * rng.uniform(0.2, 5.0) * np.exp(z)
    df = pd.DataFrame({"ds": ds, "y": np.round(y, 2)})
    if missing_share > 0:
        keep = rng.random(n_days) >= missing_share
        keep[0] = keep[-1] = True
        df = df[keep].reset_index(drop=True)
    return df


def synthetic_catalog(
    per_kind: int = 6, n_days: int = 240, seed: int = 0
) -> list[tuple[str, pd.DataFrame]]:
    """(kind, series) pairs: per_kind of each kind, every other one with 8% missing days."""
    out = []
    for k, kind in enumerate(SERIES_KINDS):
        for j in range(per_kind):
            s = seed * 100_000 + k * 1_000 + j
            out.append((kind, synthetic_price_series(kind, n_days, s, 0.08 * (j % 2))))
    return out


def _fit_key(settings: ModelSettings) -> tuple:
    return tuple(getattr(settings, f) for f in FIT_FIELDS)


def evaluate_configs(
    configs: dict[str, ModelSettings],
    series: Sequence[tuple[str, pd.DataFrame]],
    origins: Iterable[int] = (150, 180, 210),
    horizon: int = 30,
) -> pd.DataFrame:
    """One row per (config, series, origin) with the holdout metrics and the fit time.

    ``origins`` are training lengths in calendar days from each series' start (expanding window).
    """
    groups: dict[tuple, list[str]] = {}
    for name, s in configs.items():
        groups.setdefault(_fit_key(s), []).append(name)
    rows: list[dict[str, Any]] = []
    for names in groups.values():
        fit_settings = configs[names[0]]
        for idx, (kind, df) in enumerate(series):
            start = df["ds"].iloc[0]
            for origin in origins:
                cutoff = start + pd.Timedelta(days=origin - 1)
                train = df[df["ds"] <= cutoff].reset_index(drop=True)
                test = df[(df["ds"] > cutoff) & (df["ds"] <= cutoff + pd.Timedelta(days=horizon))]
                if test.empty:
                    continue
                t0 = time.perf_counter()
                model = fit_model(train, fit_settings)
                fit_s = time.perf_counter() - t0
                naive, seasonal = naive_baselines(train, test["ds"])
                for name in names:
                    s = configs[name]
                    t1 = time.perf_counter()
                    fc = forecast_dates(model, test["ds"], s)
                    pred_s = time.perf_counter() - t1
                    m = evaluate(holdout_frame(test, fc, naive, seasonal))
                    rows.append(
                        {
                            "config": name,
                            "kind": kind,
                            "series": idx,
                            "origin": origin,
                            "fit_s": fit_s,
                            "predict_s": pred_s,
                            **m,
                        }
                    )
    return pd.DataFrame(rows)


def summarize(results: pd.DataFrame) -> pd.DataFrame:
    """Per config: median MASE vs naive (overall and per kind), shares beating the baselines,
    interval coverage and mean fit/predict time; sorted by median MASE."""
    r = results.copy()
    r["mase_naive"] = pd.to_numeric(r["mase_naive"], errors="coerce")
    r["log_mase"] = np.log(r["mase_naive"].clip(lower=1e-6))
    g = r.groupby("config")
    out = pd.DataFrame(
        {
            "median_mase_naive": g["mase_naive"].median(),
            "geomean_mase_naive": np.exp(g["log_mase"].mean()),
            "beats_naive": g["beats_naive"].mean(),
            "beats_seasonal_naive": g["beats_seasonal_naive"].mean(),
            "coverage_80": g["coverage_80"].mean(),
            "fit_ms": g["fit_s"].mean() * 1000,
            "predict_ms": g["predict_s"].mean() * 1000,
        }
    )
    per_kind = r.pivot_table(index="config", columns="kind", values="mase_naive", aggfunc="median")
    out = out.join(per_kind.add_prefix("mase_"))
    return out.sort_values("median_mase_naive")


def choose(summary: pd.DataFrame, tie: float = 0.02) -> str:
    """The default: lowest median MASE vs naive; configurations within ``tie`` of the best
    median count as tied (that is the noise level between origins) and the tie goes to the
    lowest geometric-mean MASE (to 3 decimals), then to the simplest configuration (the
    shortest name: fewest departures from the base settings)."""
    best = summary["median_mase_naive"].min()
    tied = summary[summary["median_mase_naive"] <= best + tie]
    keys = sorted(tied.index, key=lambda n: (round(tied.loc[n, "geomean_mase_naive"], 3), len(n)))
    return str(keys[0])


def candidate_configs() -> dict[str, ModelSettings]:
    """The configurations compared in FORECAST_TUNING.md."""
    base = ModelSettings()
    r = dataclasses.replace
    configs: dict[str, ModelSettings] = {}
    fits = {
        "flat": r(base, growth="flat"),
        "flat_sps0.1": r(base, growth="flat", seasonality_prior_scale=0.1),
        "linear_cps0.05": r(base, growth="linear", changepoint_prior_scale=0.05),
        "linear_cps0.005": r(base, growth="linear", changepoint_prior_scale=0.005),
        "linear_cps0.05_raw": r(
            base, growth="linear", changepoint_prior_scale=0.05, log_scale=False
        ),
    }
    for fname, fs in fits.items():
        for corr in ("none", "last", "ar1"):
            configs[f"{fname}|{corr}"] = r(fs, level_correction=corr, interval_scale=1.0)
    # Interval calibration for the leading candidates.
    for fname, corr in (("flat", "last"), ("linear_cps0.005", "none")):
        for scale in (1.1, 1.25, 1.5):
            configs[f"{fname}|{corr}|x{scale}"] = r(
                fits[fname], level_correction=corr, interval_scale=scale
            )
    # Prophet's own intervals (what the untuned pipeline would do), for coverage and cost.
    configs["linear_cps0.05_raw|none|prophet1000"] = r(
        fits["linear_cps0.05_raw"],
        level_correction="none",
        interval_method="prophet",
        uncertainty_samples=1000,
    )
    configs["flat|last|prophet100"] = r(
        fits["flat"], level_correction="last", interval_method="prophet", uncertainty_samples=100
    )
    return configs
