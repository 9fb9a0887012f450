"""A catalog SKU that is a warehouse SKU spelled differently (case, accents) fails the
`product_catalog` run the way every other invalid catalog does: a ``dg.Failure`` whose
description names the file, the line and both SKUs, with the problem count in metadata and no
Python traceback for the analyst, on SQLite and on MariaDB (issue 13, brief item C)."""

import dagster as dg
import pytest

from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv
from procurement_pipeline_tests.defs.catalog.test_product_catalog import (
    materialize_catalog,
    warehouse_rows,
)


@pytest.fixture
def instance():
    with dg.instance_for_test() as instance:
        yield instance


ACCENTED = "ÁGUA-00001,Água destilada 5 L,insumos,galão,agua destilada,2,1,3,19.90"


def test_a_respelled_sku_fails_the_run_with_both_skus_named(
    instance, database_url, warehouse_engine, tmp_path
):
    csv_path = tmp_path / "catalog.csv"
    csv_path.write_bytes(catalog_csv([*SAMPLE_ROWS, ACCENTED]))
    assert materialize_catalog(instance, database_url, csv_path).success
    before = warehouse_rows(warehouse_engine)

    respelled = [
        SAMPLE_ROWS[0],
        SAMPLE_ROWS[1].replace("TEC-00001", "tec-00001"),  # case
        SAMPLE_ROWS[2],
        ACCENTED.replace("ÁGUA-00001", "AGUA-00001"),  # accents
    ]
    csv_path.write_bytes(catalog_csv(respelled))
    result = materialize_catalog(instance, database_url, csv_path, raise_on_error=False)

    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    data = failure.step_failure_data
    # A dg.Failure (user_failure_data), not an unexpected exception with a traceback.
    assert data.user_failure_data is not None
    message = data.user_failure_data.description
    assert str(csv_path) in message
    assert "'tec-00001'" in message and "'TEC-00001'" in message
    assert "'AGUA-00001'" in message and "'ÁGUA-00001'" in message
    assert "line 3" in message and "line 5" in message
    metadata = {k: v.value for k, v in data.user_failure_data.metadata.items()}
    assert metadata["problems"] == 2
    assert "Traceback" not in message
    # Nothing written: the warehouse and the partitions are as they were.
    assert warehouse_rows(warehouse_engine) == before
    assert len(instance.get_dynamic_partitions(PRODUCTS_PARTITION)) == 4
