"""A tiny warehouse for the recommendation assets, written directly (no Prophet: fast).

Four products, each with a constant daily use in a 60-day consumption CSV ending yesterday:

* TEC-00001 (metro): trusted model (beats both baselines), price expected to fall ~10 % in
  the order window -> ``wait_until``;
* ESP-00001 (chapa): model that does not beat the baselines -> stock rule, says so;
* ADE-00001 (galão): stock below the minimum, no model (skipped) -> ``buy_now``;
* FER-00001 (caixa): no use, stock above the minimum -> ``no_need``.

Future forecasts start yesterday (so the scrape windows tests use are all in the past),
with an interval of +-1 around yhat.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pandas as pd
from sqlalchemy import insert

from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.history import replace_daily_history
from procurement_pipeline.lib.warehouse.schema import (
    forecasts,
    model_registry,
    product_forecast_summary,
)
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv
from procurement_pipeline_tests.defs.setting_resources import default_settings

TRUSTED, UNTRUSTED, NO_MODEL, UNUSED = "TEC-00001", "ESP-00001", "ADE-00001", "FER-00001"
ROWS = [
    *SAMPLE_ROWS,
    "FER-00001,Parafuso chipboard 4x30 caixa 500,ferragens,caixa,parafuso chipboard,50,10,5,20.00",
]
DAILY_USE = {TRUSTED: 6.0, UNTRUSTED: 1.0, NO_MODEL: 0.5, UNUSED: 0.0}
PRICE_TODAY = {TRUSTED: 32.40, UNTRUSTED: 289.90, NO_MODEL: 129.00, UNUSED: 20.00}
METRICS = {"mase_naive": 0.8, "mase_seasonal_naive": 0.7, "mape": 2.0, "coverage_80": 0.8}


def today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def consumption_text(end: dt.date, days: int = 60) -> str:
    lines = ["date,sku,quantity"]
    for i in range(days):
        day = end - dt.timedelta(days=days - 1 - i)
        for sku, use in DAILY_USE.items():
            if use > 0:
                lines.append(f"{day.isoformat()},{sku},{use:g}")
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class TinyWarehouse:
    database_url: str
    artifact_root: Path
    consumption_csv: Path
    today: dt.date

    def resources(self, **extra) -> dict:
        return {
            "warehouse": WarehouseResource(database_url=self.database_url),
            "artifact_store": ArtifactStoreResource(root=str(self.artifact_root)),
            **default_settings(),
            **extra,
        }

    def engine(self):
        return create_warehouse_engine(self.database_url)


def seed_tiny_warehouse(folder: Path, database_url: str | None = None) -> TinyWarehouse:
    folder.mkdir(parents=True, exist_ok=True)
    url = database_url or f"sqlite:///{folder / 'warehouse.sqlite'}"
    engine = create_warehouse_engine(url)
    migrate(engine)
    upsert_catalog(engine, parse_catalog(catalog_csv(ROWS)))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)
    day0 = today()

    history = pd.DataFrame(
        [
            {
                "sku": sku,
                "day": pd.Timestamp(day0 - dt.timedelta(days=back)),
                "price": price,
                "observations": 3,
                "value_source": "observed",
            }
            for sku, price in PRICE_TODAY.items()
            for back in range(5)
        ]
    )
    replace_daily_history(engine, history, built_at=now)

    rows = []
    for sku, price in PRICE_TODAY.items():
        for k in range(-1, 31):
            yhat = price * (1 - 0.01 * k) if sku == TRUSTED else price
            rows.append(
                {
                    "sku": sku,
                    "kind": "future",
                    "ds": day0 + dt.timedelta(days=k),
                    "yhat": yhat,
                    "yhat_lower": yhat - 1.0,
                    "yhat_upper": yhat + 1.0,
                    "generated_at": now,
                }
            )
    status = {TRUSTED: "trained", UNTRUSTED: "trained", NO_MODEL: "skipped", UNUSED: "trained"}
    beats = {TRUSTED: True, UNTRUSTED: False, NO_MODEL: None, UNUSED: True}
    with engine.begin() as conn:
        conn.execute(insert(forecasts), rows)
        conn.execute(
            insert(model_registry),
            [
                {
                    "sku": sku,
                    "trained_at": now,
                    "code_version": "test",
                    "status": status[sku],
                    "reason": "histórico insuficiente" if status[sku] == "skipped" else None,
                    "metrics": None
                    if status[sku] == "skipped"
                    else {**METRICS, "beats_naive": beats[sku], "beats_seasonal_naive": beats[sku]},
                }
                for sku in PRICE_TODAY
            ],
        )
        conn.execute(
            insert(product_forecast_summary),
            [
                {
                    "sku": sku,
                    "status": status[sku],
                    "beats_naive": beats[sku],
                    "beats_seasonal_naive": beats[sku],
                    "last_price": PRICE_TODAY[sku],
                    "last_price_day": day0,
                    "built_at": now,
                }
                for sku in PRICE_TODAY
            ],
        )
    engine.dispose()
    csv_path = folder / "consumo.csv"
    csv_path.write_text(consumption_text(day0 - dt.timedelta(days=1)), encoding="utf-8")
    return TinyWarehouse(url, folder / "artifacts", csv_path, day0)
