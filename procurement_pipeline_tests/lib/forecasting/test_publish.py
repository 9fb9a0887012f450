"""Publishing models (lib.forecasting.publish) on a real warehouse (SQLite and MariaDB) and a
real artifact store: files under the training's own names, rows switched by the commit,
superseded files removed after it, leftovers swept once old enough (issue 13, item 3)."""

from __future__ import annotations

import os
import time
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import insert, select

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.forecasting import TrainingResult
from procurement_pipeline.lib.forecasting.publish import (
    publish_global_model,
    publish_product_models,
    sweep_model_files,
)
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.forecasts import latest_global_model
from procurement_pipeline.lib.warehouse.schema import global_models, model_registry
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv

T0 = datetime(2026, 4, 1, 3, 0, 0)
SKUS = ["ADE-00001", "ESP-00001", "TEC-00001"]
EMPTY_INDEX = pd.DataFrame(columns=["day", "index_value", "products", "value_source"])


@pytest.fixture
def setup(warehouse_engine, tmp_path):
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    return warehouse_engine, artifacts.ArtifactStore(tmp_path / "artifacts")


def trained(sku: str, version: str) -> TrainingResult:
    return TrainingResult(sku=sku, status="trained", model_json=f'{{"model": "{sku} {version}"}}')


def files(store) -> set[str]:
    top = store.root / "models"
    return {p.relative_to(store.root).as_posix() for p in top.rglob("*") if p.is_file()}


def registry_paths(engine) -> dict[str, str | None]:
    with engine.connect() as conn:
        return dict(
            conn.execute(select(model_registry.c.sku, model_registry.c.artifact_path)).all()
        )


def age(store, relative: str, hours: float = 2) -> None:
    then = time.time() - hours * 3600
    os.utime(store.path(relative), (then, then))


def test_each_training_writes_its_own_files_and_removes_what_it_superseded(setup):
    engine, store = setup
    first = publish_product_models(engine, store, [trained(s, "v1") for s in SKUS], T0)
    assert registry_paths(engine) == {
        s: artifacts.product_model_path(s, first.training_id) for s in SKUS
    }
    assert files(store) == set(first.paths.values())

    skipped = TrainingResult(sku="TEC-00001", status="skipped", reason="too short")
    second = publish_product_models(
        engine, store, [trained("ADE-00001", "v2"), skipped], T0 + timedelta(hours=8)
    )
    assert second.training_id != first.training_id
    paths = registry_paths(engine)
    assert paths["ADE-00001"] == artifacts.product_model_path("ADE-00001", second.training_id)
    assert paths["ESP-00001"] == first.paths["ESP-00001"]  # not in this run: untouched
    assert paths["TEC-00001"] is None  # skipped now: no model, and its old file is gone
    assert sorted(second.removed) == sorted([first.paths["ADE-00001"], first.paths["TEC-00001"]])
    assert files(store) == {paths["ADE-00001"], paths["ESP-00001"]}
    assert store.path(paths["ADE-00001"]).read_text() == '{"model": "ADE-00001 v2"}'


def test_a_failed_transaction_leaves_the_rows_on_their_files(setup):
    engine, store = setup
    first = publish_product_models(engine, store, [trained(s, "v1") for s in SKUS], T0)
    before = registry_paths(engine)
    # A product the catalog does not have: the registry insert violates its foreign key and
    # the whole transaction rolls back, after the new files were written.
    with pytest.raises(Exception, match="(?i)foreign key"):
        publish_product_models(
            engine, store, [trained("ESP-00001", "v2"), trained("NOPE-1", "v2")], T0
        )
    assert registry_paths(engine) == before
    for sku, path in before.items():
        assert store.path(path).read_text() == f'{{"model": "{sku} v1"}}'
    leftovers = files(store) - set(before.values())
    assert len(leftovers) == 2  # the failed run's files, which no row points to

    assert sweep_model_files(engine, store) == []  # too fresh: could be a run about to commit
    for relative in leftovers | set(first.paths.values()):
        age(store, relative)
    assert sweep_model_files(engine, store) == sorted(leftovers)
    assert files(store) == set(before.values())


def test_the_sweep_removes_only_old_files_no_row_points_to(setup):
    engine, store = setup
    published = publish_product_models(engine, store, [trained(s, "v1") for s in SKUS], T0)
    gl = publish_global_model(
        engine, store, trained("__global__", "g1"), EMPTY_INDEX, {}, products=3, trained_at=T0
    )
    crashed = artifacts.new_training_id()
    old_orphans = {
        artifacts.product_model_path("ESP-00001", crashed),  # a crashed run's file
        artifacts.global_model_path(crashed),
        artifacts.global_metadata_path(crashed),
        "models/products/TEC-00001.json",  # the unversioned layout, no longer referenced
        "models/products/ADE-00001/.20260101T000000-aaaaaaaaaaaa.json.0123456789ab.tmp",
    }
    in_flight = artifacts.product_model_path("ADE-00001", artifacts.new_training_id())
    for relative in [*old_orphans, in_flight]:
        store.write_bytes(relative, b"{}")
    for relative in old_orphans | set(published.paths.values()) | {gl.model_path}:
        age(store, relative, hours=3)

    assert sweep_model_files(engine, store) == sorted(old_orphans)
    assert files(store) == {
        *published.paths.values(),
        gl.model_path,
        gl.metadata_path,
        in_flight,
    }
    # Once old enough, the one that never got committed goes too.
    age(store, in_flight, hours=3)
    assert sweep_model_files(engine, store) == [in_flight]


def test_a_row_of_the_old_layout_loses_its_file_only_when_replaced(setup):
    engine, store = setup
    legacy = "models/products/ESP-00001.json"
    store.write_bytes(legacy, b'{"legacy": true}')
    age(store, legacy, hours=48)
    with engine.begin() as conn:
        conn.execute(
            insert(model_registry).values(
                sku="ESP-00001",
                trained_at=T0,
                code_version="old",
                status="trained",
                artifact_path=legacy,
            )
        )
    assert sweep_model_files(engine, store) == []  # referenced: kept however old
    published = publish_product_models(engine, store, [trained("ESP-00001", "v2")], T0)
    assert published.removed == [legacy]
    assert files(store) == {published.paths["ESP-00001"]}


def test_only_the_newest_global_model_keeps_its_files(setup):
    engine, store = setup
    runs = [
        publish_global_model(
            engine,
            store,
            trained("__global__", f"g{i}"),
            EMPTY_INDEX,
            {"status": "trained"},
            products=3,
            trained_at=T0 + timedelta(hours=8 * i),
        )
        for i in range(3)
    ]
    latest = latest_global_model(engine)
    assert latest["id"] == runs[-1].model_id
    assert (latest["artifact_path"], latest["metadata_path"]) == (
        runs[-1].model_path,
        runs[-1].metadata_path,
    )
    with engine.connect() as conn:
        older = conn.execute(
            select(global_models.c.artifact_path, global_models.c.metadata_path).where(
                global_models.c.id != runs[-1].model_id
            )
        ).all()
    assert older == [(None, None), (None, None)]
    assert files(store) == {runs[-1].model_path, runs[-1].metadata_path}
    assert runs[1].removed == sorted([runs[0].model_path, runs[0].metadata_path])

    # A training stored later but trained earlier (two overlapping runs) does not take the
    # files of the newer model: latest_global_model still returns the newer one, with files.
    late = publish_global_model(
        engine,
        store,
        trained("__global__", "late"),
        EMPTY_INDEX,
        {},
        products=3,
        trained_at=T0 + timedelta(hours=1),
    )
    assert late.removed == []
    assert latest_global_model(engine)["id"] == runs[-1].model_id
    assert files(store) == {
        runs[-1].model_path,
        runs[-1].metadata_path,
        late.model_path,
        late.metadata_path,
    }


def test_a_global_model_without_a_model_still_gets_its_metadata(setup):
    engine, store = setup
    skipped = TrainingResult(sku="__global__", status="skipped", reason="too short")
    published = publish_global_model(
        engine, store, skipped, EMPTY_INDEX, {"status": "skipped"}, products=0, trained_at=T0
    )
    assert published.model_path is None
    latest = latest_global_model(engine)
    assert latest["artifact_path"] is None
    assert latest["metadata_path"] == published.metadata_path
    assert store.path(published.metadata_path).is_file()
