"""retrain_on_new_history on a real temporary instance: exactly the changed products, in
batches, deterministic run keys, a cursor that never re-requests."""

from __future__ import annotations

import datetime as dt

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED
from procurement_pipeline.defs.alerts.sensors import (
    RETRAINING_TAG,
    build_retraining_sensor,
    plan_retraining_batches,
    retrain_job,
)
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.forecasting import TrainingResult
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.forecasts import store_product_results
from procurement_pipeline.lib.warehouse.history import replace_daily_history
from procurement_pipeline.lib.warehouse.reports import history_changes
from procurement_pipeline_tests.conftest import catalog_csv

START = dt.date(2026, 1, 1)
NOW = dt.datetime(2026, 3, 1)


def sku(i: int) -> str:
    return f"P-{i:05d}"


def daily(days_by_sku: dict[str, int]) -> pd.DataFrame:
    rows = [
        {
            "sku": s,
            "day": pd.Timestamp(START + dt.timedelta(days=d)),
            "price": 10.0 + d,
            "observations": 1,
            "value_source": "observed",
        }
        for s, days in days_by_sku.items()
        for d in range(days)
    ]
    return pd.DataFrame(rows)


def trained(s: str, days: int) -> TrainingResult:
    """What product_price_models records after training on `days` observed days."""
    return TrainingResult(
        sku=s,
        status="skipped",
        reason="too short",
        train_start=START,
        train_end=START + dt.timedelta(days=days - 1),
        points=days,
    )


class World:
    def __init__(self, instance, engine, database_url, count: int):
        self.instance, self.engine = instance, engine
        self.resources = {"warehouse": WarehouseResource(database_url=database_url)}
        self.skus = [sku(i) for i in range(count)]
        rows = [f"{s},Produto {s},cat,un,termo,1,1,1,10.00" for s in self.skus]
        upsert_catalog(engine, parse_catalog(catalog_csv(rows)))
        instance.add_dynamic_partitions(PRODUCTS_PARTITION, self.skus)
        self.days = dict.fromkeys(self.skus, 3)

    def write_history(self) -> int:
        """Rewrite the daily history and record a materialization of it; its storage id."""
        replace_daily_history(self.engine, daily(self.days), built_at=NOW)
        self.instance.report_runless_asset_event(dg.AssetMaterialization("daily_price_history"))
        return self.last_history_event()

    def last_history_event(self) -> int:
        records = self.instance.fetch_materializations(
            dg.AssetKey("daily_price_history"), limit=1
        ).records
        return records[0].storage_id

    def train(self, skus) -> None:
        results = [trained(s, self.days[s]) for s in skus]
        store_product_results(self.engine, results, {}, trained_at=NOW)

    def tick(self, cursor: str | None, sensor=None):
        sensor = sensor or build_retraining_sensor(True)
        with dg.build_sensor_context(
            instance=self.instance, cursor=cursor, resources=self.resources
        ) as context:
            result = sensor(context)
        if isinstance(result, dg.SkipReason):
            return [], cursor, result.skip_message
        skip = result.skip_reason.skip_message if result.skip_reason else None
        return result.run_requests or [], result.cursor, skip


@pytest.fixture
def world(sqlite_engine, tmp_path):
    with dg.instance_for_test() as instance:
        yield lambda count: World(
            instance, sqlite_engine, f"sqlite:///{tmp_path / 'warehouse.sqlite'}", count
        )


def requested(requests) -> list[tuple[str, str]]:
    return [
        (r.tags[ASSET_PARTITION_RANGE_START_TAG], r.tags[ASSET_PARTITION_RANGE_END_TAG])
        for r in requests
    ]


def test_plan_batches_exact_ranges_chunked_and_scattered_fallback():
    keys = [sku(i) for i in range(1200)]
    assert plan_retraining_batches(keys, []) == []
    assert plan_retraining_batches(keys, keys) == [
        (sku(0), sku(499)),
        (sku(500), sku(999)),
        (sku(1000), sku(1199)),
    ]
    assert plan_retraining_batches(keys, [sku(3), sku(4), sku(9)]) == [
        (sku(3), sku(4)),
        (sku(9), sku(9)),
    ]
    # Every third product changed: 400 stretches would be 400 runs; ranges of <= 500 instead.
    scattered = keys[::3]
    plan = plan_retraining_batches(keys, scattered, max_runs=12)
    assert len(plan) == 3
    covered = {k for a, b in plan for k in keys[keys.index(a) : keys.index(b) + 1]}
    assert set(scattered) <= covered
    assert all(keys.index(b) - keys.index(a) < 500 for a, b in plan)


def test_requests_exactly_the_changed_products_once(world):
    w = world(5)
    first_event = w.write_history()
    # Nothing trained yet: every product with history counts as changed; one contiguous run.
    requests, cursor, _ = w.tick(None)
    assert requested(requests) == [(w.skus[0], w.skus[-1])]
    (request,) = requests
    assert request.run_key == f"retrain:{first_event}:0"
    assert request.tags[RETRAINING_TAG] == "true"
    assert cursor == str(first_event)

    # Same event again (cursor kept): nothing re-requested.
    requests, cursor2, skip = w.tick(cursor)
    assert requests == [] and cursor2 == cursor and "no new materialization" in skip

    # The models train; new prices for products 1 and 3 only.
    w.train(w.skus)
    w.days[w.skus[1]] += 1
    w.days[w.skus[3]] += 2
    second_event = w.write_history()
    assert history_changes(w.engine)["changed"].sum() == 2
    requests, cursor, _ = w.tick(cursor)
    assert requested(requests) == [(w.skus[1], w.skus[1]), (w.skus[3], w.skus[3])]
    assert [r.run_key for r in requests] == [
        f"retrain:{second_event}:0",
        f"retrain:{second_event}:1",
    ]
    # Deterministic: evaluating the same tick again yields the same run keys (Dagster
    # launches a run key once).
    again, _, _ = w.tick(str(first_event))
    assert [r.run_key for r in again] == [r.run_key for r in requests]

    # A history rebuild that changes nothing: the cursor moves on, no run.
    w.train([w.skus[1], w.skus[3]])
    third_event = w.write_history()
    requests, cursor, skip = w.tick(cursor)
    assert requests == [] and cursor == str(third_event) and "no product" in skip


def test_batches_of_at_most_500_products(world):
    w = world(1001)
    event = w.write_history()
    requests, _, _ = w.tick(None)
    assert requested(requests) == [
        (sku(0), sku(499)),
        (sku(500), sku(999)),
        (sku(1000), sku(1000)),
    ]
    assert [r.run_key for r in requests] == [f"retrain:{event}:{i}" for i in range(3)]


def test_requests_target_the_retrain_job_and_the_sensor_says_when_it_is_off():
    on, off = build_retraining_sensor(True), build_retraining_sensor(False)
    assert on.job_name == off.job_name == retrain_job.name
    assert on.default_status == dg.DefaultSensorStatus.RUNNING
    assert off.default_status == dg.DefaultSensorStatus.STOPPED
    assert NOT_CONFIGURED in off.description and "SMTP_HOST" in off.description
