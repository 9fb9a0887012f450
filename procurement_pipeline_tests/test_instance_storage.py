"""The batched event log (procurement_pipeline/instance_storage.py) leaves what Dagster's own
one-event-at-a-time path leaves, on the embedded SQLite instance (dagster.yaml) and on MySQL
(deploy/dagster.yaml), and a partition range's materializations really arrive as one batch.

Each case materializes the same partitioned asset over one range of 40 partitions twice: once
with DAGSTER_EVENT_BATCH_SIZE=0 (Dagster stores each event on its own) and once batched, then
compares everything Dagster reads back about those events: per-partition materializations with
their metadata, materialized partitions, the asset record's last event, the data-version tags
and the storage ids' order.
"""

import shutil
import uuid
from pathlib import Path

import dagster as dg
import pytest

from procurement_pipeline import instance_storage
from procurement_pipeline_tests.conftest import _mysql_connect

REPO_ROOT = Path(__file__).resolve().parents[1]
PARTITIONS = dg.StaticPartitionsDefinition([f"sku-{i:03d}" for i in range(40)])


@dg.asset(partitions_def=PARTITIONS, backfill_policy=dg.BackfillPolicy.single_run())
def priced_products(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    keys = context.partition_keys
    return dg.MaterializeResult(metadata={"products": len(keys), "first": keys[0]})


RANGE_TAGS = {
    "dagster/asset_partition_range_start": PARTITIONS.get_partition_keys()[0],
    "dagster/asset_partition_range_end": PARTITIONS.get_partition_keys()[-1],
}


def _materialize_range(instance: dg.DagsterInstance) -> None:
    result = dg.materialize([priced_products], instance=instance, tags=RANGE_TAGS)
    assert result.success


def _what_dagster_reads(instance: dg.DagsterInstance) -> dict:
    key = priced_products.key
    records = instance.fetch_materializations(key, limit=1000, ascending=True).records
    storage_ids = [r.storage_id for r in records]
    last = instance.get_asset_records([key])[0].asset_entry.last_materialization_record
    tags = instance.event_log_storage.get_event_tags_for_asset(key)
    return {
        "materializations": [
            (r.partition_key, {k: v.value for k, v in r.asset_materialization.metadata.items()})
            for r in records
        ],
        "storage_ids_increasing": storage_ids == sorted(set(storage_ids)),
        "materialized_partitions": sorted(instance.get_materialized_partitions(key)),
        "last_partition": last.partition_key,
        "last_is_newest": last.storage_id == max(storage_ids),
        "tags": sorted(
            sorted((k, v) for k, v in t.items() if k != "dagster/data_version") for t in tags
        ),
        "data_versions": len({t.get("dagster/data_version") for t in tags}),
    }


def _batches_seen(monkeypatch, storage_class) -> list[tuple[str, int]]:
    """(event type, size) of each batch the batched path wrote (not the fallbacks)."""
    seen: list[tuple[str, int]] = []
    original = storage_class.store_event_batch

    def counting(self, events):
        if instance_storage._batchable(events):
            seen.append((events[0].dagster_event_type.value, len(events)))
        return original(self, events)

    monkeypatch.setattr(storage_class, "store_event_batch", counting)
    return seen


def _sqlite_instance(tmp_path: Path, name: str) -> dg.DagsterInstance:
    home = tmp_path / name
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return dg.DagsterInstance.from_config(str(home))


def test_the_embedded_instance_stores_a_partition_range_as_one_batch_with_the_same_result(
    tmp_path, monkeypatch
):
    seen = _batches_seen(monkeypatch, instance_storage.BatchedSqliteEventLogStorage)
    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "0")
    with _sqlite_instance(tmp_path, "one_by_one") as instance:
        assert isinstance(instance, instance_storage.ProcurementInstance)
        assert isinstance(instance.event_log_storage, instance_storage.BatchedSqliteEventLogStorage)
        _materialize_range(instance)
        one_by_one = _what_dagster_reads(instance)
    assert seen == []

    monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", "2000")
    with _sqlite_instance(tmp_path, "batched") as instance:
        _materialize_range(instance)
        batched = _what_dagster_reads(instance)
        # The index shard is the home's own (not another DAGSTER_HOME's).
        assert (Path(instance.root_directory) / "history" / "runs" / "index.db").exists()
    assert ("ASSET_MATERIALIZATION", 40) in seen

    assert len(batched["materializations"]) == 40
    assert batched["storage_ids_increasing"] and batched["last_is_newest"]
    assert batched == one_by_one


@pytest.mark.mysql
def test_the_production_instance_stores_a_partition_range_as_one_batch_with_the_same_result(
    mysql_server, tmp_path, monkeypatch
):
    seen = _batches_seen(monkeypatch, instance_storage.BatchedMySQLEventLogStorage)
    figures = {}
    for mode, batch_size in (("one_by_one", "0"), ("batched", "2000")):
        db_name = f"pp_events_{uuid.uuid4().hex[:10]}"
        conn = _mysql_connect()
        with conn.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{db_name}` CHARACTER SET utf8mb4")
        try:
            home = tmp_path / mode
            home.mkdir()
            shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
            monkeypatch.setenv("DAGSTER_MYSQL_HOST", "127.0.0.1")
            monkeypatch.setenv("DAGSTER_MYSQL_PORT", "3306")
            monkeypatch.setenv("DAGSTER_MYSQL_USER", "root")
            monkeypatch.setenv("DAGSTER_MYSQL_PASSWORD", "")
            monkeypatch.setenv("DAGSTER_MYSQL_DB", db_name)
            monkeypatch.setenv("DAGSTER_EVENT_BATCH_SIZE", batch_size)
            with dg.DagsterInstance.from_config(str(home)) as instance:
                assert isinstance(
                    instance.event_log_storage, instance_storage.BatchedMySQLEventLogStorage
                )
                _materialize_range(instance)
                figures[mode] = _what_dagster_reads(instance)
        finally:
            with conn.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{db_name}`")
            conn.close()
    assert ("ASSET_MATERIALIZATION", 40) in seen
    assert len(figures["batched"]["materializations"]) == 40
    assert figures["batched"]["storage_ids_increasing"] and figures["batched"]["last_is_newest"]
    assert figures["batched"] == figures["one_by_one"]
