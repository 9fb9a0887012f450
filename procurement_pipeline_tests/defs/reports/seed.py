"""A small warehouse seeded by materializing the real upstream assets on a tiny catalog."""

from __future__ import annotations

import dataclasses
import shutil
import sqlite3
import tempfile
from pathlib import Path

import dagster as dg

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.forecasting.assets import (
    global_price_model,
    product_forecasts,
    product_price_models,
)
from procurement_pipeline.defs.history.assets import daily_price_history, synthetic_price_history
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.prices.assets import (
    demo_price_history,
    scrape_windows,
    scraped_prices,
)
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv
from procurement_pipeline_tests.defs.setting_resources import default_settings

SEED_ROWS = [*SAMPLE_ROWS]
MODEL_CONFIG = {"config": {"workers": 1, "min_history_days": 30, "horizon": 14}}
# This one is asked for more history than it has: skipped, with the reason in its report.
SKIPPED_SKU = "ADE-00001"
SKIPPED_CONFIG = {"config": {"workers": 1, "min_history_days": 400, "horizon": 14}}
_TEMPLATE: Seeded | None = None


@dataclasses.dataclass
class Seeded:
    database_url: str
    artifact_root: Path
    skus: list[str]

    def resources(self, **extra) -> dict:
        return {
            "warehouse": WarehouseResource(database_url=self.database_url),
            "artifact_store": ArtifactStoreResource(root=str(self.artifact_root)),
            "marketplace": DemoMarketResource(),
            **default_settings(),
            **extra,
        }


def seed_warehouse(instance: dg.DagsterInstance, folder: Path, days: int = 75) -> Seeded:
    csv_path = folder / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SEED_ROWS))
    seeded = Seeded(f"sqlite:///{folder / 'warehouse.sqlite'}", folder / "artifacts", [])
    resources = seeded.resources()
    dg.materialize(
        [product_catalog, demo_price_history],
        instance=instance,
        resources=resources,
        run_config=dg.RunConfig(
            {
                "product_catalog": {"config": {"csv_path": str(csv_path)}},
                "demo_price_history": {"config": {"days": days}},
            }
        ),
    )
    dg.materialize(
        [scraped_prices],
        instance=instance,
        resources=resources,
        partition_key=scrape_windows.get_last_partition_key(),
    )
    dg.materialize(
        [daily_price_history, synthetic_price_history],
        instance=instance,
        resources=resources,
        run_config=dg.RunConfig({"synthetic_price_history": {"config": {"days": 60}}}),
    )
    seeded.skus = sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION))
    train(instance, seeded, seeded.skus)
    return seeded


def train(instance: dg.DagsterInstance, seeded: Seeded, skus: list[str]) -> None:
    """Train the product models of `skus`, then the forecasts table and the global model."""
    for sku in skus:
        config = SKIPPED_CONFIG if sku == SKIPPED_SKU else MODEL_CONFIG
        dg.materialize(
            [product_price_models],
            instance=instance,
            resources=seeded.resources(),
            partition_key=sku,
            run_config=dg.RunConfig({"product_price_models": config}),
        )
    dg.materialize(
        [product_forecasts, global_price_model],
        instance=instance,
        resources=seeded.resources(),
        run_config=dg.RunConfig({"global_price_model": MODEL_CONFIG}),
    )


def seeded_copy(instance: dg.DagsterInstance, folder: Path) -> Seeded:
    """A private copy of a warehouse and artifact store seeded once per test process (the
    seeding materializes the real upstream assets, ~15 s), with the product partitions
    registered in `instance`."""
    global _TEMPLATE
    if _TEMPLATE is None:
        template = Path(tempfile.mkdtemp(prefix="pp-seed-"))
        with dg.instance_for_test() as seed_instance:
            _TEMPLATE = seed_warehouse(seed_instance, template)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "warehouse.sqlite"
    source = sqlite3.connect(_TEMPLATE.database_url.removeprefix("sqlite:///"))
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    shutil.copytree(_TEMPLATE.artifact_root, folder / "artifacts", dirs_exist_ok=True)
    instance.add_dynamic_partitions(PRODUCTS_PARTITION, _TEMPLATE.skus)
    return Seeded(f"sqlite:///{target}", folder / "artifacts", list(_TEMPLATE.skus))
