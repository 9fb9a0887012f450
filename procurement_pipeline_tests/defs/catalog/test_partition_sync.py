"""`products` partitions follow the active catalog (issue 13, item 4).

The catalog upsert (warehouse) and the partition registration (Dagster's instance) live in two
databases, so they cannot be one transaction: every run reconciles the partitions with the
active catalog, so a run after a crash between the two repairs them, and registration goes
in batches, so a catalog larger than one SQL statement can carry (SQLite's variable limit:
32,766 in stock builds, 250,000 in Debian's) never fails every run the same way.

Real instances throughout (SQLite, and dagster-mysql on MariaDB for the batched helper); the
crash is an injected failure of the instance call, the one fault that cannot be caused
otherwise from a test.
"""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import dagster as dg
import pytest
from sqlalchemy import Engine, event

from procurement_pipeline.defs.catalog import assets as catalog_assets
from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.catalog.resources import CatalogFileResource
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib.warehouse.catalog import active_skus
from procurement_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROWS, catalog_csv

SEED_CSV = REPO_ROOT / "data" / "products_seed.csv"


def materialize_catalog(instance, database_url, csv_path):
    return dg.materialize(
        [product_catalog],
        instance=instance,
        resources={
            "warehouse": WarehouseResource(database_url=database_url),
            "catalog_file": CatalogFileResource(),
        },
        run_config=dg.RunConfig({"product_catalog": {"config": {"csv_path": str(csv_path)}}}),
        raise_on_error=False,
    )


def catalog_metadata(result) -> dict:
    (materialization,) = result.asset_materializations_for_node("product_catalog")
    return {k: v.value for k, v in materialization.metadata.items()}


def seed_lines(n: int) -> list[str]:
    """The first `n` product lines of data/products_seed.csv, as they are in the file."""
    lines = SEED_CSV.read_text(encoding="utf-8").splitlines()[1:]
    assert len(lines) >= n
    return lines[:n]


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


@contextlib.contextmanager
def sqlite_variable_limit(root: Path, limit: int):
    """Lowers SQLite's bind-variable limit on every new connection to a database file under
    `root` (the instance's storage): the fault a 250,001-SKU catalog meets on Debian's build
    (250,000), at a size a test can afford. The warehouse keeps the normal limit."""

    def on_connect(dbapi_connection, _record):
        if not isinstance(dbapi_connection, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_connection.execute("PRAGMA database_list")]
        if any(f and Path(f).resolve().is_relative_to(root.resolve()) for f in files):
            dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)

    event.listen(Engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(Engine, "connect", on_connect)


def test_diverged_partitions_are_repaired_by_the_next_run_with_an_unchanged_file(
    instance, database_url, warehouse_engine, tmp_path
):
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SAMPLE_ROWS))
    assert materialize_catalog(instance, database_url, csv_path).success
    skus = active_skus(warehouse_engine)
    assert sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == skus

    # Diverged directly on the instance: two partitions lost, a stale one left behind.
    instance.delete_dynamic_partition(PRODUCTS_PARTITION, skus[0])
    instance.delete_dynamic_partition(PRODUCTS_PARTITION, skus[2])
    instance.add_dynamic_partitions(PRODUCTS_PARTITION, ["GONE-00001"])

    result = materialize_catalog(instance, database_url, csv_path)  # same file
    assert result.success
    meta = catalog_metadata(result)
    assert meta["unchanged"] == 3 and meta["inserted"] == 0
    assert (meta["partitions_added"], meta["partitions_removed"]) == (2, 1)
    assert sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == skus


def test_crash_between_commit_and_registration_is_repaired_by_the_next_run(
    instance, sqlite_engine, tmp_path, monkeypatch
):
    """The upsert commits, then registration dies after its first batch (injected kill
    point); the next run, with the same file, registers the rest."""
    database_url = str(sqlite_engine.url)
    monkeypatch.setattr(catalog_assets, "PARTITION_BATCH", 40, raising=False)
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(seed_lines(100)))
    real_add = type(instance).add_dynamic_partitions
    calls = []

    def dies_after_one_batch(self, name, keys):
        calls.append(len(keys))
        if len(calls) > 1:
            raise ConnectionError("instance storage went away")
        return real_add(self, name, keys)

    monkeypatch.setattr(type(instance), "add_dynamic_partitions", dies_after_one_batch)
    crashed = materialize_catalog(instance, database_url, csv_path)
    assert not crashed.success
    assert len(active_skus(sqlite_engine)) == 100  # committed before the crash
    assert len(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == 40

    monkeypatch.setattr(type(instance), "add_dynamic_partitions", real_add)
    repaired = materialize_catalog(instance, database_url, csv_path)
    assert repaired.success
    assert catalog_metadata(repaired)["partitions_added"] == 60
    assert sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == active_skus(sqlite_engine)


def test_a_catalog_larger_than_one_statement_registers_in_batches(
    sqlite_engine, tmp_path, monkeypatch
):
    """More new SKUs than SQLite binds in one statement: one unbatched registration fails
    (and every re-run with it); batches go through, additions and removals alike."""
    database_url = str(sqlite_engine.url)
    monkeypatch.setattr(catalog_assets, "PARTITION_BATCH", 500, raising=False)
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(seed_lines(1_500)))
    home = tmp_path / "instance"
    home.mkdir()
    with (
        dg.instance_for_test(temp_dir=str(home)) as instance,
        sqlite_variable_limit(home, 999),
    ):
        for _ in range(2):  # a re-run meets the same catalog: it must not fail the same way
            result = materialize_catalog(instance, database_url, csv_path)
            assert result.success
        registered = sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION))
        assert registered == active_skus(sqlite_engine) and len(registered) == 1_500

        # The catalog shrinks to 100 products: 1,400 partitions go, in batches too.
        csv_path.write_bytes(catalog_csv(seed_lines(100)))
        result = materialize_catalog(instance, database_url, csv_path)
        assert result.success
        meta = catalog_metadata(result)
        assert (meta["deactivated"], meta["partitions_removed"]) == (1_400, 1_400)
        assert sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == active_skus(
            sqlite_engine
        )
