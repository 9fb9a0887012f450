"""A small real deployment for the end-to-end automation tests: a temporary Dagster home
(the embedded SQLite instance, or deploy/dagster.yaml on MariaDB), a warehouse, a catalog of
a few demo products with demo history, and dagster-webserver + dagster-daemon over it.

What the tests do to it is what happens in production: the scrape schedule's own run request
goes through the webserver's queue; everything after that is the daemon's doing.
"""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pandas as pd
from sqlalchemy import select

from procurement_pipeline.definitions import defs
from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.history.assets import daily_price_history
from procurement_pipeline.defs.prices.assets import demo_price_history, scraped_prices
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.schema import history_fingerprints, model_registry
from procurement_pipeline.local_dagster import (
    Quiet,
    Servers,
    launch_through_webserver,
    materialization_id,
    scheduled_scrape,
    wait_for_sensor_tick,
    wait_until_quiet,
)
from procurement_pipeline_tests.conftest import REPO_ROOT
from procurement_pipeline_tests.defs.setting_resources import default_settings

SEED_CSV = REPO_ROOT / "data" / "products_seed.csv"
HERMETIC_PREFIXES = ("PROCUREMENT_", "DATABASE_URL", "SCRAPERAPI_", "SCRAPING_", "SMTP_")
DEMO_DAYS = 45


@dataclass
class Stack:
    root: Path
    home: Path
    warehouse_url: str
    env: dict[str, str] = field(default_factory=dict)
    instance: dg.DagsterInstance | None = None
    servers: Servers | None = None

    @property
    def artifact_root(self) -> Path:
        return self.root / "artifacts"

    def resources(self) -> dict:
        return {
            "warehouse": WarehouseResource(database_url=self.warehouse_url),
            "artifact_store": ArtifactStoreResource(root=str(self.artifact_root)),
            "marketplace": DemoMarketResource(),
            **default_settings(),
        }

    def engine(self):
        return create_warehouse_engine(self.warehouse_url)

    def materialize(self, assets, **kwargs) -> dg.ExecuteInProcessResult:
        result = dg.materialize(
            assets, instance=self.instance, resources=self.resources(), **kwargs
        )
        assert result.success
        return result

    def wait_until_ticked(self) -> None:
        for name in ("history_after_each_scrape", "plan_cycle_after_history"):
            wait_for_sensor_tick(self.instance, name, self.servers)

    def launch_scheduled_window(self) -> tuple[str, int, float]:
        """The schedule's run request for its latest tick, through the webserver: returns the
        run id, the storage id of the window's materialization and the launch time."""
        request = scheduled_scrape(self.instance, defs)
        launched = time.time()
        run_id = launch_through_webserver(self.servers, request, "scrape_job")
        deadline = time.monotonic() + 300
        while not self.instance.get_run_by_id(run_id).is_finished:
            self.servers.check_alive()
            assert time.monotonic() < deadline, self.servers.log_tail("dagster-daemon")
            time.sleep(1)
        run = self.instance.get_run_by_id(run_id)
        assert run.status == dg.DagsterRunStatus.SUCCESS, self.servers.log_tail("dagster-daemon")
        return run_id, materialization_id(self.instance, run_id, scraped_prices.key), launched

    def quiet_after(self, storage_id: int, since: float) -> Quiet:
        return wait_until_quiet(
            self.instance, storage_id, since=since, servers=self.servers, timeout=900
        )

    def fingerprints(self) -> dict[str, str]:
        engine = self.engine()
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(history_fingerprints)).mappings().all()
        finally:
            engine.dispose()
        return {r["sku"]: r["fingerprint"] for r in rows}

    def trained_after(self, moment: float) -> set[str]:
        """Products whose registry row was written after ``moment`` (a timestamp)."""
        engine = self.engine()
        try:
            with engine.connect() as conn:
                rows = conn.execute(select(model_registry.c.sku, model_registry.c.trained_at)).all()
        finally:
            engine.dispose()
        cutoff = dt.datetime.fromtimestamp(moment, dt.UTC).replace(tzinfo=None)
        return {sku for sku, trained_at in rows if pd.Timestamp(trained_at) > cutoff}

    def latest_id(self, key: str, partition: str | None = None) -> int:
        records = self.instance.fetch_materializations(
            dg.AssetRecordsFilter(
                asset_key=dg.AssetKey(key), asset_partitions=[partition] if partition else None
            ),
            limit=1,
        ).records
        return records[0].storage_id if records else -1


def new_stack(root: Path, *, mysql: tuple[str, str] | None = None) -> Stack:
    """A temporary home: the embedded default instance (SQLite warehouse), or with ``mysql``
    (dagster database, warehouse URL) the production instance file on MariaDB."""
    home = root / "dagster_home"
    home.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(HERMETIC_PREFIXES)}
    if mysql is None:
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
        warehouse_url = f"sqlite:///{root / 'warehouse.sqlite'}"
    else:
        shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
        warehouse_url = mysql[1]
        env.update({k: v for k, v in os.environ.items() if k.startswith("DAGSTER_MYSQL_")})
    env.update(
        DAGSTER_HOME=str(home),
        PROCUREMENT_STATE_DIR=str(root),
        DATABASE_URL=warehouse_url,
        PROCUREMENT_ARTIFACT_ROOT=str(root / "artifacts"),
        PROCUREMENT_MARKET="demo",
        PROCUREMENT_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return Stack(root=root, home=home, warehouse_url=warehouse_url, env=env)


def with_smtp(stack: Stack, port: int) -> None:
    stack.env.update(
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=str(port),
        SMTP_FROM="Pipeline de Compras <pipeline@example.com>",
        SMTP_DEFAULT_RECIPIENT="comprador@example.com",
        SMTP_TIMEOUT="5",
        DAGSTER_WEBSERVER_URL="http://dagster.example:3000",
    )


def write_catalog(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


def seed_catalog_and_history(
    stack: Stack, products: int, *, prescraped: int = 0
) -> tuple[list[str], list[str]]:
    """``products`` demo products with DEMO_DAYS of demo history up to the window before the
    latest. The first ``prescraped`` of them already hold the latest window's observation (as
    if a scrape of that window had already stored them): scraping it again changes nothing
    for them. Returns (prescraped SKUs, the others)."""
    with SEED_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[: products + 1]
    catalog = stack.root / "catalog.csv"
    if prescraped:
        write_catalog(catalog, rows[: prescraped + 1])
        stack.materialize(
            [product_catalog],
            run_config=dg.RunConfig({"product_catalog": {"config": {"csv_path": str(catalog)}}}),
        )
        request = scheduled_scrape(stack.instance, defs)
        stack.materialize(
            [scraped_prices], partition_key=request.partition_key, tags=dict(request.tags)
        )
    write_catalog(catalog, rows)
    stack.materialize(
        [product_catalog, demo_price_history],
        run_config=dg.RunConfig(
            {
                "product_catalog": {"config": {"csv_path": str(catalog)}},
                "demo_price_history": {"config": {"days": DEMO_DAYS}},
            }
        ),
    )
    skus = [r[0] for r in rows[1:]]
    return skus[:prescraped], skus[prescraped:]


def rebuild_history(stack: Stack) -> int:
    """An operator's rebuild of the daily history (in process, on the servers' instance); the
    storage id of its materialization."""
    stack.materialize([daily_price_history])
    return stack.latest_id("daily_price_history")
