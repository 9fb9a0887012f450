"""A small seeded warehouse + artifact store for the dashboard tests.

Three products (sorted by SKU):

* ADE-00001 "Cola de contato" - trained, real history only, forecast, its own PDF;
* ESP-00001 "Espuma D33" - trained, real history with a 10-day gap (days 20-29) and synthetic
  rows on every day (shown only on the gap), holdout + future forecast, latest offers from two
  sellers, its PDF;
* TEC-00001 "Tecido suede" - skipped (too little history), no PDF.

Plus a global model with index and forecasts, catalog/global PDFs and two scrape windows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.history import insert_observations, replace_daily_history
from procurement_pipeline.lib.warehouse.schema import (
    forecasts,
    global_forecasts,
    global_models,
    global_price_index,
    model_registry,
    offers,
    scrape_attempts,
)

CATALOG = (
    "sku,name,category,unit,search_term,current_stock,minimum_stock,lead_time_days,"
    "reference_price\n"
    "ESP-00001,Espuma D33 placa 2x1m 50mm,espumas,chapa,espuma d33 50mm,12,5,7,289.90\n"
    "TEC-00001,Tecido suede amassado café,tecidos,metro,tecido suede,300.5,100,10,32.40\n"
    'ADE-00001,"Cola de contato 2,8 kg sem toluol",adesivos,galão,cola de contato,4,6,5,129.00\n'
)
TRAINED = "ESP-00001"
OTHER = "ADE-00001"
SKIPPED = "TEC-00001"
# Model files are named after the training run that wrote them (issue 13, item 3).
TRAINING_ID = "20260401T031500-0123456789ab"
SKIP_REASON = "histórico insuficiente: 12 dias com preço (mínimo 60)"
ESP_METRICS = {
    "mae": 3.21,
    "rmse": 4.05,
    "mse": 16.4,
    "mape": 1.1,
    "coverage_80": 0.8571,
    "naive_mae": 5.5,
    "naive_rmse": 6.1,
    "naive_mape": 1.9,
    "seasonal_naive_mae": 6.2,
    "seasonal_naive_rmse": 7.0,
    "seasonal_naive_mape": 2.2,
    "mase_naive": 0.58,
    "mase_seasonal_naive": 0.52,
    "beats_naive": True,
    "beats_seasonal_naive": True,
    "holdout_days": 14,
}
ADE_METRICS = {
    **ESP_METRICS,
    "mae": 2.0,
    "mape": 7.7,
    "mase_naive": 1.3,
    "mase_seasonal_naive": 0.9,
    "beats_naive": False,
    "beats_seasonal_naive": True,
}
GLOBAL_METRICS = {**ESP_METRICS, "mae": 0.42, "mape": 0.35, "holdout_days": 30}


@dataclasses.dataclass(frozen=True)
class SeededWarehouse:
    url: str
    path: Path
    artifact_root: Path
    end: dt.datetime
    pdfs: dict[str, bytes]


def fake_pdf(label: str) -> bytes:
    return f"%PDF-1.4\n% {label}\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".encode()


def _observations(sku: str, days: list[dt.date], base: float, synthetic: bool) -> pd.DataFrame:
    rows = []
    for n, day in enumerate(days):
        for hour in (12,) if synthetic else (0, 8, 16):
            window = dt.datetime.combine(day, dt.time(hour))
            price = round(base * (1 + 0.002 * n) + (hour / 8) * 0.5, 2)
            rows.append(
                {
                    "sku": sku,
                    "observed_at": window + dt.timedelta(minutes=7),
                    "window_start": None if synthetic else window,
                    "price": price,
                    "currency": "BRL",
                    "seller": None if synthetic else "Casa do Estofador",
                    "source": "synthetic" if synthetic else "demo",
                    "is_synthetic": synthetic,
                }
            )
    return pd.DataFrame(rows)


def seed_warehouse(root: Path, *, days: int = 60) -> SeededWarehouse:
    path = root / "warehouse.sqlite"
    url = f"sqlite:///{path}"
    artifact_root = root / "artifacts"
    engine = create_warehouse_engine(url)
    migrate(engine)
    upsert_catalog(engine, parse_catalog(CATALOG.encode("utf-8")))

    today = dt.datetime.now(dt.UTC).date()
    end = dt.datetime.combine(today, dt.time(16))
    all_days = [today - dt.timedelta(days=days - 1 - i) for i in range(days)]
    gap = set(all_days[20:30])
    esp_real = [d for d in all_days if d not in gap]
    frames = [
        _observations(TRAINED, esp_real, 280.0, False),
        # The filler covers the whole window, as synthetic_price_history writes it, ~R$ 10 off.
        _observations(TRAINED, all_days, 290.0, True),
        _observations(OTHER, all_days, 120.0, False),
        _observations(SKIPPED, all_days[-12:], 31.0, False),
    ]
    insert_observations(engine, pd.concat(frames, ignore_index=True))

    daily = pd.concat(frames[:1] + frames[2:], ignore_index=True)
    daily["day"] = pd.to_datetime(daily["observed_at"]).dt.normalize()
    daily = (
        daily.groupby(["sku", "day"], as_index=False)
        .agg(price=("price", "median"), observations=("price", "size"))
        .assign(value_source="observed")
    )
    replace_daily_history(engine, daily, built_at=end)

    trained_at = end + dt.timedelta(minutes=30)
    last_day = today
    holdout_days = [last_day - dt.timedelta(days=13 - i) for i in range(14)]
    future_days = [last_day + dt.timedelta(days=1 + i) for i in range(30)]
    forecast_rows = []
    for sku, base, slope in ((TRAINED, 300.0, 0.5), (OTHER, 125.0, -0.2)):
        for i, ds in enumerate(holdout_days):
            forecast_rows.append(
                {
                    "sku": sku, "kind": "holdout", "ds": ds, "yhat": base + i * 0.1,
                    "yhat_lower": base - 5, "yhat_upper": base + 5, "y": base + 0.3,
                    "naive": base - 1, "seasonal_naive": base - 2, "generated_at": trained_at,
                }
            )  # fmt: skip
        for i, ds in enumerate(future_days):
            yhat = base + slope * i
            forecast_rows.append(
                {
                    "sku": sku, "kind": "future", "ds": ds, "yhat": yhat,
                    "yhat_lower": yhat - 4 - i * 0.2, "yhat_upper": yhat + 4 + i * 0.2,
                    "y": None, "naive": None, "seasonal_naive": None, "generated_at": trained_at,
                }
            )  # fmt: skip
    registry_rows = [
        {
            "sku": TRAINED, "trained_at": trained_at, "code_version": "test", "status": "trained",
            "reason": None, "train_start": all_days[0], "train_end": last_day, "points": 50,
            "holdout_days": 14, "metrics": ESP_METRICS,
            "artifact_path": artifacts.product_model_path(TRAINED, TRAINING_ID), "duration_s": 1.5,
        },
        {
            "sku": OTHER, "trained_at": trained_at, "code_version": "test", "status": "trained",
            "reason": None, "train_start": all_days[0], "train_end": last_day, "points": 60,
            "holdout_days": 14, "metrics": ADE_METRICS,
            "artifact_path": artifacts.product_model_path(OTHER, TRAINING_ID), "duration_s": 1.2,
        },
        {
            "sku": SKIPPED, "trained_at": trained_at, "code_version": "test", "status": "skipped",
            "reason": SKIP_REASON, "train_start": None, "train_end": None, "points": 12,
            "holdout_days": 0, "metrics": None, "artifact_path": None, "duration_s": 0.0,
        },
    ]  # fmt: skip
    window = end
    offer_rows = [
        {
            "sku": TRAINED, "window_start": window, "scraped_at": window + dt.timedelta(minutes=7),
            "position": pos, "title": title, "price": price, "previous_price": prev,
            "currency": "BRL", "seller": seller, "url": f"https://example.test/{pos}",
            "sponsored": sponsored, "relevant": True, "source": "demo",
        }
        for pos, (title, price, prev, seller, sponsored) in enumerate(
            [
                ("Espuma D33 50mm Original", 299.9, None, "Espumas Paulista", False),
                ("Espuma D33 50mm Promoção", 279.5, 310.0, "Atacadão das Espumas", True),
            ]
        )
    ]  # fmt: skip
    previous_window = window - dt.timedelta(hours=8)
    attempts = []
    for w, outcomes in (
        (window, [("saved", None), ("saved", None), ("failed", "timeout")]),
        (previous_window, [("saved", None), ("failed", "http_503"), ("failed", "challenge")]),
    ):
        for sku, (outcome, reason) in zip((TRAINED, OTHER, SKIPPED), outcomes, strict=True):
            attempts.append(
                {
                    "sku": sku, "window_start": w, "attempted_at": w + dt.timedelta(minutes=5),
                    "outcome": outcome, "reason": reason, "source": "demo",
                }
            )  # fmt: skip
    index_days = pd.date_range(all_days[0], last_day, freq="D")
    index_rows = [
        {"day": d.date(), "index_value": 100 + 0.05 * i, "products": 2, "value_source": "observed"}
        for i, d in enumerate(index_days)
    ]
    with engine.begin() as conn:
        conn.execute(insert(forecasts), forecast_rows)
        conn.execute(insert(model_registry), registry_rows)
        conn.execute(insert(offers), offer_rows)
        conn.execute(insert(scrape_attempts), attempts)
        conn.execute(insert(global_price_index), index_rows)
        model_id = conn.execute(
            insert(global_models).values(
                trained_at=trained_at, code_version="test", status="trained",
                train_start=all_days[0], train_end=last_day, points=days, products=2,
                holdout_days=30, metrics=GLOBAL_METRICS,
                artifact_path=artifacts.global_model_path(TRAINING_ID),
                metadata_path=artifacts.global_metadata_path(TRAINING_ID),
            )
        ).inserted_primary_key[0]  # fmt: skip
        conn.execute(
            insert(global_forecasts),
            [
                {
                    "model_id": model_id, "kind": "future", "ds": ds,
                    "yhat": 103 + 0.05 * i, "yhat_lower": 101.0, "yhat_upper": 105.0 + 0.1 * i,
                }
                for i, ds in enumerate(future_days)
            ],
        )  # fmt: skip
    engine.dispose()

    pdfs = {
        artifacts.product_report_path(TRAINED): fake_pdf(f"product {TRAINED}"),
        artifacts.product_report_path(OTHER): fake_pdf(f"product {OTHER}"),
        artifacts.CATALOG_REPORT: fake_pdf("catalog"),
        artifacts.GLOBAL_REPORT: fake_pdf("global"),
    }
    store = artifacts.ArtifactStore(artifact_root)
    for relative, content in pdfs.items():
        store.write_bytes(relative, content)
    return SeededWarehouse(url=url, path=path, artifact_root=artifact_root, end=end, pdfs=pdfs)
