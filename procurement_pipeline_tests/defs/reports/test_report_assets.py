"""The report assets materialized for real on a small seeded warehouse; PDFs read back."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from pypdf import PdfReader

from procurement_pipeline.defs.automation.jobs import reports_job
from procurement_pipeline.defs.forecasting.assets import (
    global_model_trustworthy,
    global_price_model,
    product_forecasts,
)
from procurement_pipeline.defs.reports.assets import (
    catalog_report,
    global_report,
    product_reports,
)
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.reporting.formatting import (
    format_brl,
    format_number,
    format_pct,
    format_pct_points,
)
from procurement_pipeline.lib.reporting.model import SYNTHETIC_LABEL, synthetic_on_gap_days
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.forecasts import latest_global_model, load_registry
from procurement_pipeline.lib.warehouse.reports import (
    changed_products,
    load_product_report_data,
)
from procurement_pipeline_tests.defs.reports.seed import SKIPPED_SKU, seeded_copy

pytestmark = pytest.mark.slow


def _asset_graph():
    from procurement_pipeline.definitions import defs

    return defs.get_repository_def().asset_graph


ASSET_GRAPH = _asset_graph()


def pdf_text(path) -> tuple[int, list[str]]:
    reader = PdfReader(str(path))
    return len(reader.pages), [page.extract_text() for page in reader.pages]


def metadata_of(result, node: str) -> list[dict]:
    return [
        {k: v.value for k, v in m.metadata.items()}
        for m in result.asset_materializations_for_node(node)
    ]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    with dg.instance_for_test() as instance:
        seeded = seeded_copy(instance, tmp_path_factory.mktemp("reports"))
        seeded.instance = instance
        seeded.engine = create_warehouse_engine(seeded.database_url)
        yield seeded
        seeded.engine.dispose()


def test_product_reports_one_run_for_a_range(seeded):
    skus = seeded.skus
    result = dg.materialize(
        [product_reports],
        instance=seeded.instance,
        resources=seeded.resources(),
        tags={ASSET_PARTITION_RANGE_START_TAG: skus[0], ASSET_PARTITION_RANGE_END_TAG: skus[-1]},
    )
    metas = metadata_of(result, "product_reports")
    assert len(metas) == len(skus)  # one materialization per partition, in one run
    meta = metas[0]
    assert meta["reports"] == len(skus)
    assert set(meta["reports_by_sku"]) == set(skus)

    registry = load_registry(seeded.engine).set_index("sku")
    data = {d.sku: d for d in load_product_report_data(seeded.engine, skus)}
    total_pages = 0
    for sku in skus:
        path = seeded.artifact_root / artifacts.product_report_path(sku)
        assert meta["reports_by_sku"][sku]["path"] == artifacts.product_report_path(sku)
        pages, texts = pdf_text(path)
        total_pages += pages
        assert pages == meta["reports_by_sku"][sku]["pages"]
        first = texts[0]
        assert data[sku].name in first and f"SKU: {sku}" in first
        row = registry.loc[sku]
        if sku == SKIPPED_SKU:
            assert row["status"] == "skipped"
            assert pages == 1
            assert "Produto ignorado no treinamento" in first
            assert row["reason"] in first.replace("\n", " ")
        else:
            assert row["status"] == "trained"
            assert pages == 2  # product page + daily tables
            m = row["metrics"]
            assert format_brl(m["mae"]) in first
            assert format_pct_points(m["mape"]) in first
            assert format_number(m["mase_naive"], 2) in first
            assert format_pct(m["coverage_80"]) in first
            assert format_brl(data[sku].last_price) in first
            assert "Últimas ofertas coletadas" in first
            # The synthetic filler is drawn (and named in the legend) only on gap days.
            gap_days = synthetic_on_gap_days(data[sku].synthetic_history, data[sku].history["day"])
            assert (SYNTHETIC_LABEL in first) == (not gap_days.empty)
    assert meta["pages_total"] == total_pages
    assert not list((seeded.artifact_root / "reports/products").glob("*.tmp"))


def test_catalog_report_summary_and_selected_pages(seeded):
    result = dg.materialize(
        [catalog_report],
        instance=seeded.instance,
        resources=seeded.resources(),
        run_config=dg.RunConfig({"catalog_report": {"config": {"pages": 1}}}),
    )
    (meta,) = metadata_of(result, "catalog_report")
    path = seeded.artifact_root / artifacts.CATALOG_REPORT
    assert meta["path"] == str(path)
    pages, texts = pdf_text(path)
    assert pages == meta["pages"] == 2  # summary + one selected product
    summary = texts[0]
    assert "Relatório do catálogo de compras" in summary
    assert (meta["products"], meta["trained"], meta["skipped"]) == (3, 2, 1)
    assert "Modelos treinados" in summary and "2 (66,7%)" in summary.replace("\xa0", " ")
    registry = load_registry(seeded.engine).set_index("sku")
    trained = registry[registry["status"] == "trained"]
    mases = sorted(float(m["mase_naive"]) for m in trained["metrics"])
    median = (mases[0] + mases[1]) / 2
    assert format_number(median, 2) in summary
    # The page after the summary is the product with the largest expected move.
    assert "SKU: " in texts[1]

    explicit = dg.materialize(
        [catalog_report],
        instance=seeded.instance,
        resources=seeded.resources(),
        run_config=dg.RunConfig({"catalog_report": {"config": {"skus": seeded.skus}}}),
    )
    (meta,) = metadata_of(explicit, "catalog_report")
    assert meta["product_pages"] == 3 and meta["pages"] == pdf_text(path)[0] == 4
    texts = pdf_text(path)[1]
    for sku, text in zip(seeded.skus, texts[1:], strict=True):
        assert f"SKU: {sku}" in text


def test_reports_job_runs_the_blocking_check_before_the_global_report(seeded):
    # reports_job rebuilds reports only; the cycle runs the global model with its blocking
    # check in front of the global report, as this run does.
    assert {k.to_user_string() for k in reports_job.selection.resolve(ASSET_GRAPH)} == {
        "product_reports",
        "catalog_report",
        "global_report",
    }
    result = dg.materialize(
        [product_forecasts, global_price_model, global_model_trustworthy, catalog_report],
        instance=seeded.instance,
        resources=seeded.resources(),
        run_config=dg.RunConfig({"global_price_model": {"config": {"workers": 1, "horizon": 14}}}),
    )
    result = dg.materialize(
        [global_report, global_price_model, global_model_trustworthy],
        selection=[global_report.key, global_price_model.key],
        instance=seeded.instance,
        resources=seeded.resources(),
        run_config=dg.RunConfig({"global_price_model": {"config": {"workers": 1, "horizon": 14}}}),
        raise_on_error=False,
    )
    model = latest_global_model(seeded.engine)
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.event_specific_data.check_name == global_model_trustworthy.check_key.name
    ]
    assert checks, "the blocking check ran in the job"
    # The seed is deterministic and its global model is trustworthy: the report is written.
    assert checks[0].passed, checks[0].metadata
    (meta,) = metadata_of(result, "global_report")
    path = seeded.artifact_root / artifacts.GLOBAL_REPORT
    pages, texts = pdf_text(path)
    assert pages == meta["pages"] >= 2
    assert "Índice de preços do catálogo" in texts[0]
    assert format_number(model["metrics"]["mase_naive"], 2) in texts[0]


def test_global_report_fails_clearly_without_a_model(tmp_path):
    from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource

    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [global_report],
            instance=instance,
            resources={
                "warehouse": WarehouseResource(database_url=f"sqlite:///{tmp_path / 'w.sqlite'}"),
                "artifact_store": ArtifactStoreResource(root=str(tmp_path / "a")),
            },
            raise_on_error=False,
        )
    assert not result.success
    (failure,) = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    assert "no global model" in failure.step_failure_data.user_failure_data.description


def test_history_changes_track_what_the_models_saw(seeded):
    # Right after training nothing changed.
    assert changed_products(seeded.engine, seeded.skus) == []
