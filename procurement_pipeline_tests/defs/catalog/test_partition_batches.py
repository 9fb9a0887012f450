"""`sync_dynamic_partitions` (issue 13, item 4): registration and removal of dynamic
partitions in batches, on a real SQLite instance and a real dagster-mysql instance on MariaDB.
Batches of 3 stand in for the production batch size."""

from __future__ import annotations

import shutil
import uuid

import dagster as dg
import pytest

from procurement_pipeline.defs.catalog.partition_sync import (
    PARTITION_BATCH,
    sync_dynamic_partitions,
)
from procurement_pipeline_tests.conftest import (
    MYSQL_HOST,
    MYSQL_PASSWORD,
    MYSQL_PORT,
    MYSQL_USER,
    REPO_ROOT,
    _mysql_connect,
)

# Bind variables per statement in SQLite builds since 3.32 (Python's own included).
STOCK_SQLITE_VARIABLE_LIMIT = 32_766


def test_default_batch_fits_one_sqlite_statement():
    # add_dynamic_partitions binds every key of a batch plus the definition's name.
    assert PARTITION_BATCH + 1 <= STOCK_SQLITE_VARIABLE_LIMIT
    assert PARTITION_BATCH >= 1_000  # a 3,000-product catalog takes a handful of calls


def check_batched_sync(instance: dg.DagsterInstance) -> None:
    """sync_dynamic_partitions with batches of 3 on a real instance: the calls it makes, what
    it reports, and the partitions it leaves."""
    name = "sync_test"
    real_add = instance.add_dynamic_partitions
    add_calls: list[list[str]] = []

    def recording_add(partitions_def_name, keys):
        add_calls.append(list(keys))
        return real_add(partitions_def_name, keys)

    instance.add_dynamic_partitions = recording_add  # observes, then delegates
    progress: list[tuple[str, int, int]] = []
    wanted = [f"SKU-{i:03d}" for i in range(7)]
    try:
        first = sync_dynamic_partitions(
            instance, name, wanted, batch_size=3, progress=lambda *a: progress.append(a)
        )
        assert [len(c) for c in add_calls] == [3, 3, 1]
        assert sorted(k for c in add_calls for k in c) == wanted
        assert (first.added, first.removed) == (wanted, [])
        assert progress == [("added", 3, 7), ("added", 6, 7), ("added", 7, 7)]
        assert sorted(instance.get_dynamic_partitions(name)) == wanted

        # Nothing to do: no call at all.
        add_calls.clear()
        progress.clear()
        again = sync_dynamic_partitions(instance, name, wanted, batch_size=3)
        assert (again.added, again.removed, add_calls) == ([], [], [])

        # Five go, two come: removals in batches as well; other definitions untouched.
        real_add("other_definition", ["SKU-000", "SKU-001"])
        kept = wanted[5:] + ["SKU-100", "SKU-101"]
        third = sync_dynamic_partitions(
            instance, name, kept, batch_size=3, progress=lambda *a: progress.append(a)
        )
        assert third.added == ["SKU-100", "SKU-101"] and third.removed == wanted[:5]
        assert progress == [("added", 2, 2), ("removed", 3, 5), ("removed", 5, 5)]
        assert sorted(instance.get_dynamic_partitions(name)) == sorted(kept)
        assert sorted(instance.get_dynamic_partitions("other_definition")) == [
            "SKU-000",
            "SKU-001",
        ]
    finally:
        del instance.add_dynamic_partitions


def test_batched_sync_on_a_sqlite_instance(tmp_path):
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        check_batched_sync(instance)


@pytest.mark.mysql
def test_batched_sync_on_a_mysql_instance(mysql_server, tmp_path, monkeypatch):
    name = f"pp_dagster_{uuid.uuid4().hex[:10]}"
    conn = _mysql_connect()
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
    for key, value in {
        "DAGSTER_MYSQL_HOST": MYSQL_HOST,
        "DAGSTER_MYSQL_PORT": str(MYSQL_PORT),
        "DAGSTER_MYSQL_USER": MYSQL_USER,
        "DAGSTER_MYSQL_PASSWORD": MYSQL_PASSWORD,
        "DAGSTER_MYSQL_DB": name,
    }.items():
        monkeypatch.setenv(key, value)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.event_log_storage).__name__ == "BatchedMySQLEventLogStorage"
            check_batched_sync(instance)
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()
