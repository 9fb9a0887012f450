"""The production instance (deploy/dagster.yaml) for real, on the MySQL/MariaDB at 127.0.0.1:3306.

Two throw-away utf8mb4 databases: one for Dagster's storage (runs, event log, schedules), one
for the warehouse. DAGSTER_HOME is a temporary folder holding a copy of deploy/dagster.yaml,
whose connection settings come from the same DAGSTER_MYSQL_* variables docker-compose sets.
The test migrates the instance, materializes the catalog, evaluates the scrape schedule and
runs the window it asks for, evaluates a sensor tick over the MySQL event log, and reads the
run records back. Skipped when the server is unreachable, failed when
PROCUREMENT_REQUIRE_MYSQL=1 (conftest.mysql_server).
"""

from __future__ import annotations

import shutil
import uuid
from datetime import UTC, datetime

import dagster as dg
import pytest
from sqlalchemy import func, select

from procurement_pipeline.definitions import defs as project_defs
from procurement_pipeline.defs.automation.cycle import (
    cycle_backfill_id,
    plan_cycle_after_history,
    submit_cycle_backfill,
)
from procurement_pipeline.defs.automation.jobs import retrain_job
from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.forecasting.assets import product_price_models
from procurement_pipeline.defs.history.assets import daily_price_history
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.prices import scrape_job, scrape_schedule
from procurement_pipeline.defs.prices.assets import SCRAPING_TAG
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib.cycle import CyclePlan
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.schema import products
from procurement_pipeline_tests.conftest import (
    MYSQL_HOST,
    MYSQL_PASSWORD,
    MYSQL_PORT,
    MYSQL_USER,
    REPO_ROOT,
    SAMPLE_ROWS,
    _mysql_connect,
    catalog_csv,
)
from procurement_pipeline_tests.defs.setting_resources import default_settings

pytestmark = pytest.mark.mysql

catalog_job = dg.define_asset_job("catalog_job", selection=[product_catalog])
product_models_job = dg.define_asset_job("product_models_job", selection=[product_price_models])

PRODUCTION_DAGSTER_YAML = REPO_ROOT / "deploy" / "dagster.yaml"
# Tables dagster-mysql creates for runs, the event log and schedules/sensors.
DAGSTER_TABLES = {
    "runs",
    "run_tags",
    "event_logs",
    "asset_keys",
    "dynamic_partitions",
    "instigators",
    "job_ticks",
    "alembic_version",
}


# A tick of a plain @sensor walking the event log with a cursor (the pattern DESIGN.md asks for
# with partitions): each new scrape window asks to retrain every product.
@dg.sensor(job_name="product_models_job", minimum_interval_seconds=30)
def new_prices_sensor(context: dg.SensorEvaluationContext):
    records = context.instance.fetch_materializations(
        dg.AssetKey("scraped_prices"), limit=100, cursor=context.cursor
    )
    if not records.records:
        return dg.SkipReason("no new scrape windows")
    windows = sorted({r.partition_key for r in records.records})
    context.update_cursor(records.cursor)
    active = context.instance.get_dynamic_partitions(PRODUCTS_PARTITION)
    return [
        dg.RunRequest(run_key=f"{window}:{sku}", partition_key=sku, tags={"window": window})
        for window in windows
        for sku in sorted(active)
    ]


@pytest.fixture
def mysql_databases(mysql_server):
    """(dagster_db, warehouse_db): fresh utf8mb4 databases, dropped afterwards."""
    suffix = uuid.uuid4().hex[:10]
    names = (f"pp_dagster_{suffix}", f"pp_warehouse_{suffix}")
    conn = _mysql_connect()
    try:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(
                    f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
                )
        yield names
    finally:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture
def production_instance(mysql_databases, tmp_path, monkeypatch):
    """dg.DagsterInstance.get() from a DAGSTER_HOME holding deploy/dagster.yaml."""
    dagster_db, _ = mysql_databases
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PRODUCTION_DAGSTER_YAML, home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("DAGSTER_MYSQL_HOST", MYSQL_HOST)
    monkeypatch.setenv("DAGSTER_MYSQL_PORT", str(MYSQL_PORT))
    monkeypatch.setenv("DAGSTER_MYSQL_USER", MYSQL_USER)
    monkeypatch.setenv("DAGSTER_MYSQL_PASSWORD", MYSQL_PASSWORD)
    monkeypatch.setenv("DAGSTER_MYSQL_DB", dagster_db)
    with dg.DagsterInstance.get() as instance:
        yield instance


def _dagster_tables(db_name: str) -> set[str]:
    conn = _mysql_connect()
    try:
        with conn.cursor() as cursor:
            cursor.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (db_name,),
            )
            return {row[0] for row in cursor.fetchall()}
    finally:
        conn.close()


def test_production_instance_on_mysql(production_instance, mysql_databases, tmp_path):
    instance = production_instance
    dagster_db, warehouse_db = mysql_databases
    auth = MYSQL_USER + (f":{MYSQL_PASSWORD}" if MYSQL_PASSWORD else "")
    warehouse_url = f"mysql+pymysql://{auth}@{MYSQL_HOST}:{MYSQL_PORT}/{warehouse_db}"
    # The real jobs and schedule, bound to the MySQL warehouse and the offline demo market.
    defs = dg.Definitions(
        assets=list(project_defs.assets),
        asset_checks=list(project_defs.asset_checks),
        jobs=[catalog_job, scrape_job, product_models_job, retrain_job],
        schedules=[scrape_schedule],
        sensors=[new_prices_sensor, plan_cycle_after_history],
        resources={
            "warehouse": WarehouseResource(database_url=warehouse_url),
            "marketplace": DemoMarketResource(),
            "artifact_store": ArtifactStoreResource(root=str(tmp_path / "artifacts")),
            **default_settings(),
        },
    )

    # The storage classes and the run coordinator are the ones deploy/dagster.yaml names.
    assert type(instance.run_storage).__name__ == "MySQLRunStorage"
    assert type(instance.event_log_storage).__name__ == "BatchedMySQLEventLogStorage"
    assert type(instance.schedule_storage).__name__ == "MySQLScheduleStorage"
    assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
    assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
    concurrency = instance.get_concurrency_config()
    queue = concurrency.run_queue_config
    limits = {limit["key"]: limit["limit"] for limit in queue.tag_concurrency_limits}
    assert limits == {"procurement/scraping": 1, "dagster/backfill": 3}
    assert queue.max_concurrent_runs == 4
    assert concurrency.pool_config.default_pool_limit == 1
    assert not instance.telemetry_enabled

    # `dagster instance migrate` does exactly this; on a fresh database it is idempotent.
    instance.upgrade()
    assert _dagster_tables(dagster_db) >= DAGSTER_TABLES

    # 1. The catalog: warehouse rows on MySQL, one dynamic partition per SKU in Dagster's DB.
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SAMPLE_ROWS))
    catalog = defs.resolve_job_def("catalog_job").execute_in_process(
        instance=instance,
        run_config=dg.RunConfig({"product_catalog": {"config": {"csv_path": str(csv_path)}}}),
    )
    assert catalog.success
    skus = sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION))
    assert skus == ["ADE-00001", "ESP-00001", "TEC-00001"]

    # 2. A schedule tick evaluated through the instance: the window that just closed.
    tick_time = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    with dg.build_schedule_context(
        instance=instance, scheduled_execution_time=tick_time
    ) as context:
        tick = defs.resolve_schedule_def("scrape_every_8_hours").evaluate_tick(context)
    (request,) = tick.run_requests
    assert request.partition_key == "2026-03-02-08:00"

    # ... and the run it asks for: one scrape window on the demo market.
    scrape = defs.resolve_job_def("scrape_job").execute_in_process(
        instance=instance, partition_key=request.partition_key, tags=request.tags
    )
    assert scrape.success
    (materialization,) = scrape.asset_materializations_for_node("scraped_prices")
    assert materialization.metadata["saved"].value == len(skus)

    # 3. A sensor tick over the MySQL event log: the new window asks to retrain every product.
    # (The daemon resolves dynamic partition keys against the instance the same way.)
    sensor = defs.resolve_sensor_def("new_prices_sensor")
    with (
        dg.partition_loading_context(dynamic_partitions_store=instance),
        dg.build_sensor_context(instance=instance, definitions=defs) as context,
    ):
        first = sensor.evaluate_tick(context)
        assert sorted(r.partition_key for r in first.run_requests) == skus
        assert first.cursor
        context.update_cursor(first.cursor)
        second = sensor.evaluate_tick(context)
    assert not second.run_requests
    assert second.skip_message == "no new scrape windows"

    # ... and the project's own cycle planner, after the daily history is rebuilt: every
    # product changed (none trained yet), so one backfill over every product partition.
    history = dg.materialize([daily_price_history], instance=instance, resources=defs.resources)
    assert history.success
    retrain = defs.resolve_sensor_def("plan_cycle_after_history")
    with (
        dg.partition_loading_context(dynamic_partitions_store=instance),
        dg.build_sensor_context(
            instance=instance, definitions=defs, resources=defs.resources
        ) as context,
    ):
        result = retrain.evaluate_tick(context)
    # The planner submits the backfill itself (the tick's row holds no subset) and the
    # backfill reads back from MySQL's bulk_actions.
    assert not result.run_requests and result.cursor
    (history_record,) = instance.fetch_materializations(daily_price_history.key, limit=1).records
    cycle = instance.get_backfill(cycle_backfill_id(history_record.storage_id))
    subsets = cycle.asset_backfill_data.target_subset.partitions_subsets_by_asset_key
    assert sorted(subsets[product_price_models.key].get_partition_keys()) == skus

    # 4. Run records read back from MySQL.
    records = instance.get_run_records()
    assert {r.dagster_run.run_id for r in records} == {
        catalog.run_id,
        scrape.run_id,
        history.run_id,
    }
    assert all(r.dagster_run.status == dg.DagsterRunStatus.SUCCESS for r in records)
    (scrape_record,) = instance.get_run_records(
        filters=dg.RunsFilter(tags={"dagster/partition": request.partition_key})
    )
    assert scrape_record.dagster_run.job_name == "scrape_job"
    for key, value in SCRAPING_TAG.items():  # the tag the instance's concurrency limit counts
        assert scrape_record.dagster_run.tags[key] == value
    assert scrape_record.start_time and scrape_record.end_time
    assert instance.get_latest_materialization_event(dg.AssetKey("product_catalog"))

    # The warehouse side really is the MySQL database too.
    engine = create_warehouse_engine(warehouse_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(products)).scalar_one() == 3
    finally:
        engine.dispose()


def test_a_cycle_of_thousands_of_products_is_stored_on_mysql(production_instance):
    """A cycle backfill naming 3,000 product partitions goes into MySQL's bulk_actions and
    reads back whole: where the planner keeps a cycle, since a run request that large
    overflowed the 64 KB job_ticks.tick_body column (every planner tick failed)."""
    instance = production_instance
    skus = tuple(f"PRD-{i:05d}" for i in range(3000))
    instance.add_dynamic_partitions(PRODUCTS_PARTITION, skus)
    plan = CyclePlan(changed=skus, retrain=skus, refresh=("product_forecasts",))
    backfill_id = submit_cycle_backfill(instance, 7, plan)
    assert submit_cycle_backfill(instance, 7, plan) == backfill_id  # once per history event
    (stored,) = instance.get_backfills()
    subsets = stored.asset_backfill_data.target_subset.partitions_subsets_by_asset_key
    assert sorted(subsets[product_price_models.key].get_partition_keys()) == sorted(skus)
