"""The forecasting assets materialized for real on a small demo warehouse."""

import json
import os
from datetime import UTC, datetime

import dagster as dg
import pandas as pd
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from sqlalchemy import func, select

from procurement_pipeline.defs.forecasting.assets import (
    forecasts_finite_and_positive,
    global_model_trustworthy,
    global_price_model,
    interval_coverage_near_nominal,
    models_beat_baselines,
    product_forecasts,
    product_price_models,
)
from procurement_pipeline.defs.forecasting.resources import ModelTrainingResource
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION, products_partitions
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.forecasting import CODE_VERSION, load_model
from procurement_pipeline.lib.history.cleaning import build_daily_history
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.catalog import load_products, upsert_catalog
from procurement_pipeline.lib.warehouse.forecasts import latest_global_model, load_forecast_summary
from procurement_pipeline.lib.warehouse.history import (
    insert_observations,
    load_real_observations,
    replace_daily_history,
    replace_synthetic_observations,
)
from procurement_pipeline.lib.warehouse.schema import forecasts, global_models, model_registry
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, catalog_csv, seed_demo_warehouse

SHORT_HISTORY_SKU = "NEW-00001"
ROWS = [
    *SAMPLE_ROWS,
    "FER-00001,Dobradiça caneco 35mm reta,ferragens,unidade,dobradica caneco 35mm,80,40,4,3.90",
    "EMB-00001,Filme stretch 500mm x 25 micras,embalagens,rolo,filme stretch 500mm,10,5,3,54.90",
    f"{SHORT_HISTORY_SKU},Espuma soft D20 placa nova,espumas,chapa,espuma soft d20,3,2,7,150.00",
]
NOW = datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture
def warehouse(tmp_path):
    """A small warehouse: 6 products, 75 days of demo observations (10 for the newest
    product), the daily history built from them."""
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    engine = create_warehouse_engine(url)
    migrate(engine)
    upsert_catalog(engine, parse_catalog(catalog_csv(ROWS)))
    products = load_products(engine)
    long_windows = demo_windows(NOW, 75)
    observations = seed_demo_observations(products, long_windows)
    cutoff = pd.Timestamp(NOW) - pd.Timedelta(days=10)
    observations = observations[
        (observations["sku"] != SHORT_HISTORY_SKU) | (observations["window_start"] >= cutoff)
    ]
    insert_observations(engine, observations)
    daily, _ = build_daily_history(load_real_observations(engine))
    replace_daily_history(engine, daily, built_at=NOW)
    yield url, engine, products["sku"].tolist()
    engine.dispose()


def forecasting_defs(url: str, artifact_root, code_version: str = CODE_VERSION):
    models = product_price_models
    if code_version != CODE_VERSION:
        models = (
            product_price_models.with_attributes(
                asset_key_to_code_version={product_price_models.key: code_version}
            )
            if hasattr(product_price_models, "with_attributes")
            else product_price_models
        )
    return dg.Definitions(
        assets=[models, product_forecasts, global_price_model],
        asset_checks=[
            forecasts_finite_and_positive,
            models_beat_baselines,
            interval_coverage_near_nominal,
            global_model_trustworthy,
        ],
        jobs=[
            dg.define_asset_job("models", selection=[product_price_models]),
            dg.define_asset_job(
                "downstream",
                selection=dg.AssetSelection.assets(product_forecasts, global_price_model),
            ),
        ],
        resources={
            "warehouse": WarehouseResource(database_url=url),
            "artifact_store": ArtifactStoreResource(root=str(artifact_root)),
            "model_training": ModelTrainingResource(),
        },
    )


def train_all(defs, instance, skus, workers=2):
    instance.add_dynamic_partitions(PRODUCTS_PARTITION, skus)
    return defs.resolve_job_def("models").execute_in_process(
        instance=instance,
        tags={ASSET_PARTITION_RANGE_START_TAG: skus[0], ASSET_PARTITION_RANGE_END_TAG: skus[-1]},
        run_config={"ops": {"product_price_models": {"config": {"workers": workers}}}},
    )


def materialization_metadata(result, key):
    events = [
        e.event_specific_data.materialization
        for e in result.get_asset_materialization_events()
        if e.event_specific_data.materialization.asset_key.to_user_string() == key
    ]
    return {k: v.value for k, v in events[0].metadata.items()}, len(events)


def count(engine, table, *where):
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table).where(*where)).scalar_one()


def test_one_run_trains_every_product_and_rerunning_replaces(warehouse, tmp_path, monkeypatch):
    url, engine, skus = warehouse
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))  # cmdstanpy writes its files under TMPDIR
    defs = forecasting_defs(url, tmp_path / "artifacts")
    with dg.instance_for_test() as instance:
        result = train_all(defs, instance, skus)
        assert result.success
        meta, partitions = materialization_metadata(result, "product_price_models")
        assert partitions == len(skus)  # one run, every partition materialized
        assert (meta["trained"], meta["skipped"], meta["failed"]) == (len(skus) - 1, 1, 0)
        assert meta["code_version"] == CODE_VERSION
        assert meta["median_mase_naive"] > 0
        assert "slowest_products" in meta

        with engine.connect() as conn:
            registry = {r.sku: r for r in conn.execute(select(model_registry))}
        skipped = registry[SHORT_HISTORY_SKU]
        assert skipped.status == "skipped"
        assert "30 needed" in skipped.reason
        trained = registry["ESP-00001"]
        assert trained.status == "trained"
        # The run's own file name (issue 13, item 3: files are versioned by training id).
        assert trained.artifact_path == artifacts.product_model_path(
            "ESP-00001", meta["training_id"]
        )
        assert not os.path.isabs(trained.artifact_path)  # relative to the artifact root
        assert set(trained.metrics) >= {
            "mae",
            "rmse",
            "mse",
            "mape",
            "coverage_80",
            "mase_naive",
            "mase_seasonal_naive",
            "naive_mae",
            "seasonal_naive_mae",
            "beats_naive",
            "beats_seasonal_naive",
        }
        model_file = tmp_path / "artifacts" / trained.artifact_path
        assert load_model(model_file) is not None
        future = count(
            engine, forecasts, forecasts.c.sku == "ESP-00001", forecasts.c.kind == "future"
        )
        holdout = count(
            engine, forecasts, forecasts.c.sku == "ESP-00001", forecasts.c.kind == "holdout"
        )
        assert future == 30 and 20 <= holdout <= 30
        rows_before = count(engine, forecasts)

        # Re-materializing replaces: same rows, no duplicates.
        assert train_all(defs, instance, skus).success
        assert count(engine, forecasts) == rows_before
        assert count(engine, model_registry) == len(skus)
    # Worker processes left no cmdstanpy files behind.
    assert list(scratch.iterdir()) == []


def test_forecasts_table_checks_and_global_model(warehouse, tmp_path):
    url, engine, skus = warehouse
    root = tmp_path / "artifacts"
    defs = forecasting_defs(url, root)
    with dg.instance_for_test() as instance:
        assert train_all(defs, instance, skus).success
        result = defs.resolve_job_def("downstream").execute_in_process(instance=instance)
        assert result.success
        checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
        assert checks["forecasts_finite_and_positive"].passed
        assert checks["global_model_trustworthy"].passed
        beat = checks["models_beat_baselines"]
        share = beat.metadata["share_beating_both"].value
        assert 0.0 <= share <= 1.0
        assert beat.passed == (share == 1.0)
        assert "mean_coverage" in checks["interval_coverage_near_nominal"].metadata

    summary = load_forecast_summary(engine).set_index("sku")
    assert len(summary) == len(skus)
    assert summary.loc[SHORT_HISTORY_SKU, "status"] == "skipped"
    trained = summary.loc["ESP-00001"]
    assert trained["last_price"] > 0 and trained["forecast_end"] > 0
    assert trained["expected_move"] == pytest.approx(
        (trained["forecast_end"] - trained["last_price"]) / trained["last_price"]
    )

    latest = latest_global_model(engine)
    metadata = json.loads((root / latest["metadata_path"]).read_text())
    assert latest["metadata_path"] == artifacts.global_metadata_path(metadata["training_id"])
    assert metadata["model_path"] == latest["artifact_path"]
    assert metadata["status"] == "trained"
    assert metadata["holdout_days"] == 30
    assert {"mase_naive", "coverage_80", "mape"} <= set(metadata["metrics"])
    assert (root / metadata["model_path"]).exists()
    assert count(engine, global_models) == 1


def test_global_check_blocks_an_untrustworthy_model(tmp_path):
    """Too little history: the global model is skipped and its blocking check fails, which
    stops anything downstream (the reports and their e-mail)."""
    url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    seed_demo_warehouse(url, NOW, 8)
    defs = forecasting_defs(url, tmp_path / "artifacts")
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [global_price_model, global_model_trustworthy],
            instance=instance,
            resources=defs.resources,
            raise_on_error=False,
        )
        (evaluation,) = result.get_asset_check_evaluations()
        assert not evaluation.passed
        assert evaluation.blocking


def test_synthetic_prices_never_reach_a_model(warehouse, tmp_path):
    url, engine, skus = warehouse
    synthetic = pd.DataFrame(
        {
            "sku": skus,
            "observed_at": [NOW] * len(skus),
            "price": [99_999.0] * len(skus),
            "currency": ["BRL"] * len(skus),
            "is_synthetic": [True] * len(skus),
            "source": ["synthetic"] * len(skus),
        }
    )
    replace_synthetic_observations(engine, synthetic)
    daily, report = build_daily_history(load_real_observations(engine))
    assert report.synthetic_ignored == 0  # the loader never even reads them
    replace_daily_history(engine, daily, built_at=NOW)
    defs = forecasting_defs(url, tmp_path / "artifacts")
    with dg.instance_for_test() as instance:
        assert train_all(defs, instance, skus).success
    with engine.connect() as conn:
        top = conn.execute(select(func.max(forecasts.c.yhat_upper))).scalar_one()
    assert top < 5_000  # the dearest demo product costs a few hundred reais


def test_changing_the_model_code_version_marks_models_stale(warehouse, tmp_path):
    url, _engine, skus = warehouse
    # The asset carries the model code's version: bumping CODE_VERSION changes it.
    assert product_price_models.code_versions_by_key[product_price_models.key] == CODE_VERSION
    with dg.instance_for_test() as instance:
        defs = forecasting_defs(url, tmp_path / "artifacts")
        assert train_all(defs, instance, skus[:2], workers=1).success
        graph = defs.resolve_asset_graph()
        fresh = CachingStaleStatusResolver(instance, graph, LoadingContextForTest(instance))
        assert fresh.get_status(product_price_models.key, skus[0]) == StaleStatus.FRESH

        bumped = dg.Definitions(
            assets=[
                dg.asset(
                    name="product_price_models",
                    partitions_def=products_partitions,
                    code_version=CODE_VERSION + "-next",
                )(lambda: None)
            ]
        )
        resolver = CachingStaleStatusResolver(
            instance, bumped.resolve_asset_graph(), LoadingContextForTest(instance)
        )
        assert resolver.get_status(product_price_models.key, skus[0]) == StaleStatus.STALE
