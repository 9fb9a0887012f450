"""`product_catalog` materialized for real: warehouse on both backends, a temporary instance."""

from decimal import Decimal

import dagster as dg
import pytest
from sqlalchemy import func, select

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.catalog.resources import CatalogFileResource
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib.warehouse.schema import products
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv


def materialize_catalog(instance, database_url, csv_path, raise_on_error=True):
    return dg.materialize(
        [product_catalog],
        instance=instance,
        resources={
            "warehouse": WarehouseResource(database_url=database_url),
            "catalog_file": CatalogFileResource(),
        },
        run_config=dg.RunConfig({"product_catalog": {"config": {"csv_path": str(csv_path)}}}),
        raise_on_error=raise_on_error,
    )


def catalog_metadata(result):
    (materialization,) = result.asset_materializations_for_node("product_catalog")
    return {k: v.value for k, v in materialization.metadata.items()}


def warehouse_rows(engine):
    with engine.connect() as conn:
        return {row.sku: row for row in conn.execute(select(products))}


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


def test_first_load_inserts_and_registers_partitions(
    instance, database_url, warehouse_engine, tmp_path
):
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SAMPLE_ROWS))
    result = materialize_catalog(instance, database_url, csv_path)
    meta = catalog_metadata(result)
    assert (meta["inserted"], meta["updated"], meta["unchanged"], meta["deactivated"]) == (
        3,
        0,
        0,
        0,
    )
    assert "ESP-00001" in meta["preview"]
    assert sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == [
        "ADE-00001",
        "ESP-00001",
        "TEC-00001",
    ]
    rows = warehouse_rows(warehouse_engine)
    assert rows["ADE-00001"].unit == "galão"
    assert rows["TEC-00001"].current_stock == Decimal("300.500")


def test_second_load_updates_deactivates_and_keeps_history(
    instance, database_url, warehouse_engine, tmp_path
):
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SAMPLE_ROWS))
    materialize_catalog(instance, database_url, csv_path)

    changed = SAMPLE_ROWS[1].replace("32.40", "35.10")
    new = "FER-00001,Dobradiça caneco 35mm reta,ferragens,unidade,dobradica caneco,80,40,4,3.90"
    csv_path.write_bytes(catalog_csv([SAMPLE_ROWS[0], changed, new]))  # ADE-00001 gone
    meta = catalog_metadata(materialize_catalog(instance, database_url, csv_path))
    assert (meta["inserted"], meta["updated"], meta["unchanged"], meta["deactivated"]) == (
        1,
        1,
        1,
        1,
    )
    rows = warehouse_rows(warehouse_engine)
    assert rows["TEC-00001"].reference_price == Decimal("35.10")
    # Deactivated, not deleted: its history stays joinable.
    assert rows["ADE-00001"].active is False
    assert rows["ADE-00001"].deactivated_at is not None
    assert sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == [
        "ESP-00001",
        "FER-00001",
        "TEC-00001",
    ]

    # Back in the CSV: reactivated, its partition registered again.
    csv_path.write_bytes(catalog_csv([SAMPLE_ROWS[0], changed, new, SAMPLE_ROWS[2]]))
    meta = catalog_metadata(materialize_catalog(instance, database_url, csv_path))
    assert meta["reactivated"] == 1
    assert warehouse_rows(warehouse_engine)["ADE-00001"].active is True
    assert "ADE-00001" in instance.get_dynamic_partitions(PRODUCTS_PARTITION)


def test_unchanged_reload_writes_nothing(instance, database_url, warehouse_engine, tmp_path):
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SAMPLE_ROWS))
    materialize_catalog(instance, database_url, csv_path)
    before = {sku: row.updated_at for sku, row in warehouse_rows(warehouse_engine).items()}
    meta = catalog_metadata(materialize_catalog(instance, database_url, csv_path))
    assert meta["unchanged"] == 3 and meta["updated"] == 0
    after = {sku: row.updated_at for sku, row in warehouse_rows(warehouse_engine).items()}
    assert before == after


@pytest.mark.parametrize(
    ("bad_rows", "expected"),
    [
        ([SAMPLE_ROWS[0], SAMPLE_ROWS[0]], "duplicate SKU"),
        ([SAMPLE_ROWS[0], "X-1,Produto,espumas,chapa,espuma,-1,1,1,10.00"], "current_stock"),
        (["X-1,,espumas,chapa,espuma,1,1,1,10.00"], "field 'name'"),
    ],
)
def test_bad_input_fails_and_leaves_the_warehouse_as_it_was(
    instance, database_url, warehouse_engine, tmp_path, bad_rows, expected
):
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv(SAMPLE_ROWS))
    materialize_catalog(instance, database_url, csv_path)
    before = warehouse_rows(warehouse_engine)

    changed_first = SAMPLE_ROWS[1].replace("32.40", "99.99")
    csv_path.write_bytes(catalog_csv([changed_first, *bad_rows]))
    result = materialize_catalog(instance, database_url, csv_path, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.user_failure_data.description
    assert str(csv_path) in message and expected in message
    assert warehouse_rows(warehouse_engine) == before
    assert len(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == 3


def test_failure_inside_the_upsert_rolls_back(sqlite_engine, tmp_path, monkeypatch):
    """A database error half-way through the upsert leaves nothing half-written."""
    from procurement_pipeline.lib.catalog import parse_catalog
    from procurement_pipeline.lib.warehouse import catalog as catalog_queries

    catalog_queries.upsert_catalog(sqlite_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    before = warehouse_rows(sqlite_engine)
    new_catalog = parse_catalog(
        catalog_csv([SAMPLE_ROWS[0], "NEW-1,Novo produto,espumas,chapa,espuma,1,1,1,10.00"])
    )
    real_update = catalog_queries.update

    def failing_update(table):  # the insert has run; the deactivation fails
        if table is products:
            raise RuntimeError("connection lost")
        return real_update(table)

    monkeypatch.setattr(catalog_queries, "update", failing_update)
    with pytest.raises(RuntimeError):
        catalog_queries.upsert_catalog(sqlite_engine, new_catalog)
    assert warehouse_rows(sqlite_engine) == before
    with sqlite_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(products)).scalar() == 3
