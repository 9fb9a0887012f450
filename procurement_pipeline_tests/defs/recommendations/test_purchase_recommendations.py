"""purchase_recommendations on a tiny warehouse: one row per active product with the right
action and fallback notes, its blocking checks, and the catalog report's first section."""

from __future__ import annotations

import dagster as dg
import pytest
from pypdf import PdfReader
from sqlalchemy import delete

from procurement_pipeline.defs.automation.jobs import retrain_job
from procurement_pipeline.defs.recommendations.assets import (
    consumption_history,
    one_recommendation_per_active_product,
    purchase_recommendations,
    suggested_quantities_not_negative,
)
from procurement_pipeline.defs.reports.assets import catalog_report
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.recommendations.engine import NO_MODEL_NOTE, UNTRUSTED_MODEL_NOTE
from procurement_pipeline.lib.warehouse.recommendations import load_recommendations
from procurement_pipeline.lib.warehouse.schema import purchase_recommendations as table
from procurement_pipeline_tests.defs.recommendations.seed import (
    DAILY_USE,
    NO_MODEL,
    TRUSTED,
    UNTRUSTED,
    UNUSED,
    seed_tiny_warehouse,
)

CHECKS = [one_recommendation_per_active_product, suggested_quantities_not_negative]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    tiny = seed_tiny_warehouse(tmp_path_factory.mktemp("recommendations"))
    with dg.instance_for_test() as instance:
        tiny.instance = instance
        tiny.result = dg.materialize(
            [consumption_history, purchase_recommendations, *CHECKS],
            instance=instance,
            resources=tiny.resources(),
            run_config=dg.RunConfig(
                {"consumption_history": {"config": {"csv_path": str(tiny.consumption_csv)}}}
            ),
        )
        yield tiny


def checks_of(result) -> dict[str, bool]:
    return {
        e.event_specific_data.check_name: e.event_specific_data.passed
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }


def test_one_recommendation_per_active_product_with_its_action(tiny):
    engine = tiny.engine()
    recs = load_recommendations(engine).set_index("sku")
    engine.dispose()
    assert sorted(recs.index) == sorted(DAILY_USE)
    assert (recs["as_of"] == tiny.today).all()
    assert recs["action"].to_dict() == {
        TRUSTED: "wait_until",
        UNTRUSTED: "buy_now",
        NO_MODEL: "buy_now",
        UNUSED: "no_need",
    }
    trusted = recs.loc[TRUSTED]
    assert trusted["trusted_model"] and trusted["model_note"] == "trusted"
    assert trusted["expected_unit_price"] < trusted["price_today"] == pytest.approx(32.40)
    assert trusted["expected_saving"] > 0 and trusted["suggested_quantity"] > 0
    assert "espere" in trusted["reason"]
    # Untrusted and missing models fall back to the stock rule at today's price, and say so.
    assert recs.loc[UNTRUSTED, "reason"].startswith(UNTRUSTED_MODEL_NOTE[:-1])
    assert recs.loc[NO_MODEL, "reason"].startswith(NO_MODEL_NOTE[:-1])
    for sku in (UNTRUSTED, NO_MODEL):
        assert not recs.loc[sku, "trusted_model"]
        assert recs.loc[sku, "expected_unit_price"] == recs.loc[sku, "price_today"]
        assert recs.loc[sku, "expected_saving"] == 0
    assert recs.loc[UNUSED, "suggested_quantity"] == 0

    (meta,) = tiny.result.asset_materializations_for_node("purchase_recommendations")
    values = {k: v.value for k, v in meta.metadata.items()}
    assert values["recommendations"] == 4
    assert values["by_action"] == {"buy_now": 2, "buy_by": 0, "wait_until": 1, "no_need": 1}
    assert values["total_expected_saving"] == pytest.approx(trusted["expected_saving"])
    assert checks_of(tiny.result) == {
        "one_recommendation_per_active_product": True,
        "suggested_quantities_not_negative": True,
    }


def test_checks_fail_on_a_missing_product_or_a_negative_quantity(tiny):
    engine = tiny.engine()
    with engine.begin() as conn:
        conn.execute(delete(table).where(table.c.sku == UNUSED))
        conn.execute(table.update().where(table.c.sku == NO_MODEL).values(suggested_quantity=-1))
    result = dg.materialize(
        CHECKS,
        instance=tiny.instance,
        resources=tiny.resources(),
        selection=dg.AssetSelection.checks(*CHECKS),
        raise_on_error=False,
    )
    assert checks_of(result) == {
        "one_recommendation_per_active_product": False,
        "suggested_quantities_not_negative": False,
    }
    # Rebuilt: back to one per product (the asset replaces its day).
    dg.materialize([purchase_recommendations], instance=tiny.instance, resources=tiny.resources())
    assert len(load_recommendations(engine)) == 4
    engine.dispose()


def test_jobs_and_the_catalog_report_first_section(tiny):
    from procurement_pipeline.definitions import defs

    graph = defs.get_repository_def().asset_graph
    # Retraining by hand refreshes the advice too (the automation's cycles always do).
    assert "purchase_recommendations" in {
        k.to_user_string() for k in retrain_job.selection.resolve(graph)
    }
    assert purchase_recommendations.key in graph.get(catalog_report.key).parent_keys

    result = dg.materialize(
        [catalog_report],
        instance=tiny.instance,
        resources=tiny.resources(),
        run_config=dg.RunConfig({"catalog_report": {"config": {"pages": 0}}}),
    )
    (meta,) = result.asset_materializations_for_node("catalog_report")
    assert meta.metadata["purchase_lines"].value == 3  # no_need is not listed
    assert meta.metadata["products_to_buy"].value == 3
    reader = PdfReader(str(tiny.artifact_root / artifacts.CATALOG_REPORT))
    first = reader.pages[0].extract_text()
    assert first.index("O que comprar") < first.index("Resumo do treinamento")
    assert "3 de 4 produtos precisam de compra" in first
    assert "Comprar agora" in first and "Esperar até" in first
    assert TRUSTED in first and UNUSED not in first.split("Resumo do treinamento")[0]
    # Most urgent first: the product already below its minimum leads.
    section = first.split("O que comprar")[1]
    assert section.index(NO_MODEL) < section.index(UNTRUSTED) < section.index(TRUSTED)
