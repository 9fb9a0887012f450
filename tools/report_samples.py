"""Synthetic report inputs for tests, benchmarks and demos (deterministic per seed)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from procurement_pipeline.lib.reporting.model import GlobalReportData, ProductReportData

CATEGORIES = ("Elétrica", "Hidráulica", "Fixação", "Embalagens", "Químicos", "Usinagem")
NAMES = (
    "Cabo flexível 2,5 mm² azul",
    "Conexão de PVC – joelho 90°",
    "Parafuso sextavado inox",
    "Caixa de papelão ondulado",
    "Solução de limpeza ácida",
    "Broca de aço rápido HSS",
    "Válvula de retenção",
    "Fita adesiva açúcar-proof",
)
SELLERS = ("Loja São João", "Distribuidora Açaí", "Ferragens Conceição", "MegaPeças")


def _metrics(rng: np.random.Generator, holdout: pd.DataFrame) -> dict:
    y, yhat = holdout["y"].to_numpy(), holdout["yhat"].to_numpy()
    naive, snaive = holdout["naive"].to_numpy(), holdout["seasonal_naive"].to_numpy()
    err = yhat - y
    mae = float(np.mean(np.abs(err)))
    naive_mae = float(np.mean(np.abs(naive - y)))
    snaive_mae = float(np.mean(np.abs(snaive - y)))
    inside = (holdout["yhat_lower"] <= holdout["y"]) & (holdout["y"] <= holdout["yhat_upper"])
    return {
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
        "mse": float(np.mean(err**2)),
        "mape": float(np.mean(np.abs(err / y)) * 100),
        "coverage_80": float(inside.mean()),
        "naive_mae": naive_mae,
        "naive_rmse": float(np.sqrt(np.mean((naive - y) ** 2))),
        "naive_mape": float(np.mean(np.abs((naive - y) / y)) * 100),
        "seasonal_naive_mae": snaive_mae,
        "seasonal_naive_rmse": float(np.sqrt(np.mean((snaive - y) ** 2))),
        "seasonal_naive_mape": float(np.mean(np.abs((snaive - y) / y)) * 100),
        "mase_naive": mae / naive_mae if naive_mae else None,
        "mase_seasonal_naive": mae / snaive_mae if snaive_mae else None,
        "beats_naive": mae < naive_mae,
        "beats_seasonal_naive": mae < snaive_mae,
        "holdout_days": len(holdout),
    }


def sample_product(
    index: int,
    *,
    days: int = 180,
    horizon: int = 30,
    holdout_days: int = 30,
    status: str = "trained",
    end: dt.date = dt.date(2026, 3, 31),
    offers: int = 6,
) -> ProductReportData:
    rng = np.random.default_rng(index)
    start = end - dt.timedelta(days=days - 1)
    day_index = pd.date_range(start, end, freq="D")
    base = float(rng.uniform(5, 2500))
    trend = rng.normal(0, 0.002)
    weekly = np.sin(np.arange(days) * 2 * np.pi / 7) * base * 0.01
    noise = np.cumsum(rng.normal(0, base * 0.006, days))
    price = np.maximum(base * (1 + trend * np.arange(days)) + weekly + noise, 0.5)
    source = np.where(rng.random(days) < 0.08, "interpolated", "observed")
    source[-1] = "observed"
    history = pd.DataFrame({"day": day_index.date, "price": price.round(2), "value_source": source})
    # 15 days without a price, shown by the synthetic filler, which (as the asset writes it)
    # covers the whole window.
    gap = history.index[40:55]
    synthetic = pd.DataFrame(
        {"day": history["day"], "price": (history["price"] * rng.uniform(0.97, 1.03)).round(2)}
    )
    history = history.drop(gap).reset_index(drop=True)
    name = f"{NAMES[index % len(NAMES)]} nº {index}"
    offers_frame = pd.DataFrame(
        {
            "title": [f"{name} — oferta {k + 1} com entrega rápida" for k in range(offers)],
            "price": (price[-1] * rng.uniform(0.9, 1.1, offers)).round(2),
            "seller": [SELLERS[(index + k) % len(SELLERS)] for k in range(offers)],
            "url": [f"https://produto.example/MLB{index}{k}" for k in range(offers)],
            "sponsored": [k % 3 == 0 for k in range(offers)],
            "scraped_at": [
                dt.datetime(2026, 3, 31, 16, 0, tzinfo=dt.UTC) - dt.timedelta(hours=8 * k)
                for k in range(offers)
            ],
        }
    )
    data = ProductReportData(
        sku=f"SKU-{index:05d}",
        name=name,
        category=CATEGORIES[index % len(CATEGORIES)],
        unit="un",
        history=history,
        synthetic_history=synthetic,
        latest_offers=offers_frame,
        status=status,
    )
    if status != "trained":
        data.reason = "histórico insuficiente (menos de 60 dias observados)"
        return data
    hold = history.iloc[-holdout_days:]
    y = hold["price"].to_numpy()
    yhat = y + rng.normal(0, base * 0.01, holdout_days)
    width = base * 0.03
    data.holdout = pd.DataFrame(
        {
            "ds": hold["day"].to_numpy(),
            "y": y,
            "yhat": yhat,
            "yhat_lower": yhat - width,
            "yhat_upper": yhat + width,
            "naive": np.full(holdout_days, history["price"].iloc[-holdout_days - 1]),
            "seasonal_naive": history["price"].iloc[-holdout_days - 7 : -7].to_numpy(),
        }
    )
    drift = rng.normal(0, 0.004)
    fc_days = pd.date_range(end + dt.timedelta(days=1), periods=horizon, freq="D")
    fc = price[-1] * (1 + drift * np.arange(1, horizon + 1))
    spread = width * np.sqrt(np.arange(1, horizon + 1) / 4 + 1)
    data.forecast = pd.DataFrame(
        {"ds": fc_days.date, "yhat": fc, "yhat_lower": fc - spread, "yhat_upper": fc + spread}
    )
    data.metrics = _metrics(rng, data.holdout)
    data.train_start = start
    data.train_end = end - dt.timedelta(days=holdout_days)
    data.trained_at = dt.datetime(2026, 4, 1, 3, 15, tzinfo=dt.UTC)
    return data


def sample_catalog(count: int, *, skipped_every: int = 15, failed_every: int = 97, **kwargs):
    """count products; every Nth skipped or failed."""
    for i in range(count):
        status = "trained"
        if failed_every and i % failed_every == failed_every - 1:
            status = "failed"
        elif skipped_every and i % skipped_every == skipped_every - 1:
            status = "skipped"
        data = sample_product(i, status=status, **kwargs)
        if status == "failed":
            data.reason = "Prophet não convergiu"
        yield data


def sample_global(days: int = 365, horizon: int = 30, holdout_days: int = 30) -> GlobalReportData:
    product = sample_product(7, days=days, horizon=horizon, holdout_days=holdout_days)
    scale = 100.0 / float(product.history["price"].iloc[0])
    history = pd.DataFrame(
        {"day": product.history["day"], "index_value": product.history["price"] * scale}
    )
    holdout = product.holdout.copy()
    forecast = product.forecast.copy()
    for col in ("y", "yhat", "yhat_lower", "yhat_upper", "naive", "seasonal_naive"):
        holdout[col] = holdout[col] * scale
    for col in ("yhat", "yhat_lower", "yhat_upper"):
        forecast[col] = forecast[col] * scale
    metrics = dict(product.metrics or {})
    for key in (
        "mae",
        "rmse",
        "naive_mae",
        "naive_rmse",
        "seasonal_naive_mae",
        "seasonal_naive_rmse",
    ):
        metrics[key] = metrics[key] * scale
    metrics["mse"] = metrics["mse"] * scale**2
    return GlobalReportData(
        index_history=history,
        holdout=holdout,
        forecast=forecast,
        metrics=metrics,
        products=2950,
        train_start=product.train_start,
        train_end=product.train_end,
        trained_at=product.trained_at,
    )
