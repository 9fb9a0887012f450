"""plan_cycle_after_history on a real temporary instance and warehouse: exactly the products
whose history content changed, one backfill per rebuilt history, nothing when nothing
changed, and it waits for a running history run or cycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import NamedTuple

import dagster as dg
import pandas as pd
import pytest
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.execution.backfill import BulkActionStatus, PartitionBackfill

from procurement_pipeline.definitions import defs
from procurement_pipeline.defs.automation.cycle import (
    ONCE_PER_CYCLE,
    cycle_backfill_id,
    plan_cycle_after_history,
)
from procurement_pipeline.defs.automation.cycle_state import planned_cycles
from procurement_pipeline.defs.forecasting.assets import product_price_models
from procurement_pipeline.defs.history.assets import HISTORY_FINGERPRINT_KEY
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.reports.assets import product_reports
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.defs.tags import CYCLE_TAG, RETRAINING_TAG
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.forecasting import CODE_VERSION, TrainingResult
from procurement_pipeline.lib.history.fingerprint import catalog_fingerprint, history_fingerprints
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.forecasts import store_product_results
from procurement_pipeline.lib.warehouse.history import load_daily_history, replace_daily_history
from procurement_pipeline_tests.conftest import catalog_csv

START = dt.date(2026, 1, 1)
NOW = dt.datetime(2026, 3, 1)


def sku(i: int) -> str:
    return f"P-{i:05d}"


class World:
    """A catalog, its daily history and what the models were trained on; Dagster events
    recorded as the assets would record them."""

    def __init__(self, instance, engine, database_url, count: int):
        self.instance, self.engine = instance, engine
        self.resources = {"warehouse": WarehouseResource(database_url=database_url)}
        self.skus = [sku(i) for i in range(count)]
        rows = [f"{s},Produto {s},cat,un,termo,1,1,1,10.00" for s in self.skus]
        upsert_catalog(engine, parse_catalog(catalog_csv(rows)))
        instance.add_dynamic_partitions(PRODUCTS_PARTITION, self.skus)
        self.prices = {s: [10.0, 11.0, 12.0] for s in self.skus}

    def daily(self) -> pd.DataFrame:
        return pd.DataFrame(
            [
                {
                    "sku": s,
                    "day": pd.Timestamp(START + dt.timedelta(days=i)),
                    "price": price,
                    "observations": 1,
                    "value_source": "observed",
                }
                for s, series in self.prices.items()
                for i, price in enumerate(series)
            ]
        )

    def write_history(self) -> int:
        """Rebuild the daily history and record its materialization; its storage id."""
        frame = self.daily()
        replace_daily_history(self.engine, frame, built_at=NOW)
        fingerprint = catalog_fingerprint(history_fingerprints(frame))
        self.instance.report_runless_asset_event(
            dg.AssetMaterialization(
                "daily_price_history", metadata={HISTORY_FINGERPRINT_KEY: fingerprint}
            )
        )
        return self.latest("daily_price_history")

    def latest(self, key: str) -> int:
        return self.instance.fetch_materializations(dg.AssetKey(key), limit=1).records[0].storage_id

    def train(self, skus) -> None:
        """What a cycle records: registry rows with the fingerprint of the series trained on,
        a materialization per model and report partition, then the once-per-cycle assets."""
        history = load_daily_history(self.engine, skus)
        fingerprints = history_fingerprints(history).set_index("sku")["fingerprint"].to_dict()
        results = [TrainingResult(sku=s, status="skipped", reason="curto") for s in skus]
        store_product_results(self.engine, results, {}, NOW, fingerprints)
        for key in (product_price_models.key, product_reports.key):
            for s in skus:
                self.instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=s))
        trained_on = catalog_fingerprint(history_fingerprints(load_daily_history(self.engine)))
        for key in ONCE_PER_CYCLE:
            metadata = (
                {HISTORY_FINGERPRINT_KEY: trained_on} if key.path[0] == "global_price_model" else {}
            )
            self.instance.report_runless_asset_event(
                dg.AssetMaterialization(key, metadata=metadata)
            )

    def finish(self, request: Submitted) -> None:
        """The backfill daemon's part: the submitted cycle completed."""
        backfill = self.instance.get_backfill(request.backfill_id)
        self.instance.update_backfill(backfill.with_status(BulkActionStatus.COMPLETED_SUCCESS))

    def tick(self, cursor: str | None):
        with dg.build_sensor_context(
            instance=self.instance, cursor=cursor, resources=self.resources, definitions=defs
        ) as context:
            # evaluate_tick, as the daemon does: it validates the backfill request against the
            # sensor's asset selection.
            before = {b.backfill_id for b in self.instance.get_backfills()}
            data = plan_cycle_after_history.evaluate_tick(context)
        # The planner submits its backfill itself; the tick carries no run request (a request
        # naming thousands of partitions overflowed the tick's row on MySQL).
        assert not data.run_requests
        submitted = [b for b in self.instance.get_backfills() if b.backfill_id not in before]
        assert len(submitted) <= 1
        request = (
            Submitted(
                submitted[0].backfill_id,
                submitted[0].asset_backfill_data.target_subset,
                submitted[0].tags,
            )
            if submitted
            else None
        )
        cursor = data.cursor if data.cursor is not None else cursor
        return request, cursor, data.skip_message, list(data.asset_events)


class Submitted(NamedTuple):
    """The backfill one tick submitted."""

    backfill_id: str
    asset_graph_subset: AssetGraphSubset
    tags: Mapping[str, str]


def retrained(request) -> list[str]:
    subset = request.asset_graph_subset.partitions_subsets_by_asset_key
    return sorted(subset[product_price_models.key].get_partition_keys())


@pytest.fixture
def world(sqlite_engine, tmp_path):
    with dg.instance_for_test() as instance:
        yield lambda count: World(
            instance, sqlite_engine, f"sqlite:///{tmp_path / 'warehouse.sqlite'}", count
        )


def test_one_backfill_with_exactly_the_changed_products_then_nothing(world):
    w = world(5)
    first = w.write_history()
    request, cursor, _, events = w.tick(None)
    # Nothing trained yet: every product; the once-per-cycle assets once, in the same backfill.
    assert retrained(request) == w.skus
    subset = request.asset_graph_subset
    assert (
        sorted(subset.partitions_subsets_by_asset_key[product_reports.key].get_partition_keys())
        == w.skus
    )
    assert subset.non_partitioned_asset_keys == set(ONCE_PER_CYCLE)
    assert request.tags[CYCLE_TAG] == str(first) and request.tags[RETRAINING_TAG] == "true"
    assert request.backfill_id == cycle_backfill_id(first)
    assert cursor == str(first)
    (observation,) = events
    assert observation.metadata["cycle_products_retrained"].value == 5

    # Same event again (cursor kept): nothing re-requested.
    again, cursor2, skip, _ = w.tick(cursor)
    assert again is None and cursor2 == cursor and "no new materialization" in skip

    # The cycle ran; new prices for products 1 and 3 only.
    w.finish(request)
    w.train(w.skus)
    w.prices[sku(1)].append(13.0)
    w.prices[sku(3)][1] = 11.5  # a re-cleaned day: same shape, another price
    second = w.write_history()
    request, cursor, _, _ = w.tick(cursor)
    assert retrained(request) == [sku(1), sku(3)]
    assert request.tags[CYCLE_TAG] == str(second)

    # A rebuild with identical content: no backfill, the cursor moves on, the decision is
    # recorded for the UI and for the opportunity sensor.
    w.finish(request)
    w.train([sku(1), sku(3)])
    third = w.write_history()
    request, cursor, skip, events = w.tick(cursor)
    assert request is None and cursor == str(third) and "nothing changed" in skip
    w.instance.report_runless_asset_event(events[0])
    assert planned_cycles(w.instance)[third]["cycle_launched"] is False


def test_a_model_of_another_code_version_is_retrained(world):
    w = world(3)
    w.write_history()
    w.train(w.skus)
    results = [TrainingResult(sku=sku(2), status="skipped", code_version="old")]
    history = load_daily_history(w.engine, [sku(2)])
    fingerprints = history_fingerprints(history).set_index("sku")["fingerprint"].to_dict()
    store_product_results(w.engine, results, {}, NOW, fingerprints)
    assert CODE_VERSION != "old"
    w.write_history()
    request, _, _, _ = w.tick(None)
    assert retrained(request) == [sku(2)]


def test_what_a_failed_cycle_missed_is_picked_up(world):
    """The global model failed last cycle (no materialization after the history changed): the
    next history, even with no product change, refreshes it and what reads it, nothing else."""
    w = world(3)
    w.write_history()
    w.train(w.skus)
    w.prices[sku(0)].append(9.0)
    w.write_history()
    # The cycle retrained sku 0 but global_price_model and global_report failed.
    history = load_daily_history(w.engine, [sku(0)])
    fp = history_fingerprints(history).set_index("sku")["fingerprint"].to_dict()
    store_product_results(w.engine, [TrainingResult(sku=sku(0), status="skipped")], {}, NOW, fp)
    for key in (product_price_models.key, product_reports.key):
        w.instance.report_runless_asset_event(dg.AssetMaterialization(key, partition=sku(0)))
    for name in ("product_forecasts", "purchase_recommendations", "catalog_report"):
        w.instance.report_runless_asset_event(dg.AssetMaterialization(name))
    event = w.write_history()  # next window, identical prices
    request, cursor, _, _ = w.tick(None)
    assert cursor == str(event)
    assert request.asset_graph_subset.partitions_subsets_by_asset_key == {}
    assert request.asset_graph_subset.non_partitioned_asset_keys == {
        dg.AssetKey("global_price_model"),
        dg.AssetKey("global_report"),
    }
    assert RETRAINING_TAG not in request.tags  # a repair cycle sends no retraining e-mail


def test_waits_while_a_cycle_is_still_running(world):
    w = world(2)
    w.write_history()
    w.instance.add_backfill(
        PartitionBackfill(
            backfill_id="running1",
            status=BulkActionStatus.REQUESTED,
            from_failure=False,
            tags={CYCLE_TAG: "1"},
            backfill_timestamp=0.0,
            serialized_asset_backfill_data=None,
        )
    )
    request, cursor, skip, _ = w.tick(None)
    assert request is None and cursor is None and "running1" in skip


def test_a_tick_evaluated_again_submits_its_cycle_once(world):
    """The daemon stopped after the planner submitted the backfill but before it stored the
    cursor: the same history is planned again from the old cursor, and finds its backfill."""
    w = world(3)
    event = w.write_history()
    request, cursor, _, _ = w.tick(None)
    assert request.backfill_id == cycle_backfill_id(event) and cursor == str(event)
    w.finish(request)
    again, cursor_again, skip, _ = w.tick(None)
    assert again is None and cursor_again == str(event) and request.backfill_id in skip
    assert len(w.instance.get_backfills()) == 1


def test_a_cycle_of_thousands_of_products_keeps_the_tick_small(world):
    """What the daemon stores for a planner tick (its run requests, cursor, events) must fit
    MySQL's TEXT column job_ticks.tick_body (65,535 bytes): with the subset as a run request,
    3,000 products made it ~80 KB and every planner tick failed on MariaDB."""
    from dagster._serdes import serialize_value

    w = world(3000)
    w.write_history()
    with dg.build_sensor_context(
        instance=w.instance, cursor=None, resources=w.resources, definitions=defs
    ) as context:
        data = plan_cycle_after_history.evaluate_tick(context)
    assert len(serialize_value(data).encode()) < 16_000
    (backfill,) = w.instance.get_backfills()
    subset = backfill.asset_backfill_data.target_subset.partitions_subsets_by_asset_key
    assert len(subset[product_price_models.key].get_partition_keys()) == 3000
