"""A buyer's own catalog, as an ERP's .xlsx with Portuguese headers and no consumption export
(issue 14, items 1 and 2): the pipeline materialized on it (catalog, demo market history, daily
history, forecasts table, the consumption step that has no file, the advice) gives every
product advice from its stock, minimum and lead time, marked "sem histórico de consumo" and
with low confidence; the consumption step says that no file is configured."""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import sys
import textwrap

import dagster as dg
import openpyxl
import pytest

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.catalog.resources import CatalogFileResource
from procurement_pipeline.defs.forecasting.assets import product_forecasts
from procurement_pipeline.defs.history.assets import daily_price_history
from procurement_pipeline.defs.prices.assets import demo_price_history
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.recommendations.assets import (
    NO_CONSUMPTION_FILE,
    consumption_history,
    purchase_recommendations,
)
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.recommendations.messages import NO_CONSUMPTION_HISTORY_NOTE
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.recommendations import load_recommendations
from procurement_pipeline_tests.conftest import REPO_ROOT
from procurement_pipeline_tests.defs.setting_resources import default_settings

HEADER = [
    "Código",
    "Descrição",
    "Categoria",
    "Unidade",
    "Termo de Busca",
    "Estoque Atual",
    "Estoque Mínimo",
    "Prazo de Entrega (dias)",
    "Preço de Referência",
]
# Without a consumption history the minimum stock is taken as the lead time's use
# (minimum / lead time a day): BAIXO is below its minimum, MEIO has 20 days before its latest
# safe order (60 - 10) / 2 - 5, ALTO lasts far past the horizon.
ROWS = [
    [
        "BAIXO-1",
        "Parafuso sextavado M6",
        "fixação",
        "caixa",
        "parafuso sextavado m6",
        2,
        10,
        5,
        25.9,
    ],
    ["MEIO-1", "Tecido suede café", "tecidos", "metro", "tecido suede", 60, 10, 5, "32,40"],
    ["ALTO-1", "Cola de contato 2,8 kg", "adesivos", "galão", "cola de contato", 500, 10, 5, 129],
]


def write_catalog(path) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Produtos"
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    workbook.save(path)


@pytest.fixture(scope="module")
def materialized(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("buyer_catalog")
    catalog = tmp_path / "catalogo_erp.xlsx"
    write_catalog(catalog)
    database_url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    resources = {
        "warehouse": WarehouseResource(database_url=database_url),
        "artifact_store": ArtifactStoreResource(root=str(tmp_path / "artifacts")),
        "marketplace": DemoMarketResource(),
        **default_settings(),
    }
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [
                product_catalog,
                demo_price_history,
                daily_price_history,
                product_forecasts,
                consumption_history,
                purchase_recommendations,
            ],
            instance=instance,
            resources=resources,
            run_config=dg.RunConfig(
                {
                    "product_catalog": {"config": {"csv_path": str(catalog)}},
                    "demo_price_history": {"config": {"days": 20}},
                    "consumption_history": {"config": {"csv_path": ""}},
                }
            ),
        )
        logs = [entry.user_message for entry in instance.all_logs(result.run_id)]
    engine = create_warehouse_engine(database_url)
    recommendations = load_recommendations(engine).set_index("sku")
    engine.dispose()
    return result, recommendations, logs


def test_advice_from_stock_minimum_and_lead_time_marked_without_history(materialized):
    result, recs, _ = materialized
    assert result.success
    assert sorted(recs.index) == ["ALTO-1", "BAIXO-1", "MEIO-1"]
    assert (recs["confidence"] == "low").all()
    for reason in recs["reason"]:
        assert reason.startswith(NO_CONSUMPTION_HISTORY_NOTE[:-1]), reason
        assert "sem histórico de consumo" in reason.lower()
    today = dt.datetime.now(dt.UTC).date()
    assert recs.loc["BAIXO-1", "action"] == "buy_now"
    assert recs.loc["MEIO-1", "action"] == "buy_by"
    assert recs.loc["MEIO-1", "action_date"] == today + dt.timedelta(days=20)
    assert recs.loc["MEIO-1", "daily_consumption"] == pytest.approx(2.0)
    assert recs.loc["ALTO-1", "action"] == "no_need"


def test_the_consumption_step_says_no_file_is_configured(materialized):
    result, _, logs = materialized
    (materialization,) = result.asset_materializations_for_node("consumption_history")
    meta = {k: v.value for k, v in materialization.metadata.items()}
    assert meta["rows"] == 0 and meta["source"] == "none"
    assert meta["note"] == NO_CONSUMPTION_FILE
    assert NO_CONSUMPTION_FILE.startswith("no consumption file configured")
    assert NO_CONSUMPTION_FILE in logs


DEFAULTS = textwrap.dedent(
    """
    from procurement_pipeline.defs.environment import resources_from_environment
    resources = resources_from_environment()
    # As a run sees them: EnvVars resolved.
    catalog = resources["catalog_file"].process_config_and_initialize()
    consumption = resources["consumption_file"].process_config_and_initialize()
    print(catalog.file())
    print(consumption.file() or "<none>")
    """
)


def config_defaults(**env) -> list[str]:
    """The assets' default files (their file resources) as a fresh code location sees them
    with ``env``."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PROCUREMENT_")}
    done = subprocess.run(
        [sys.executable, "-c", DEFAULTS],
        cwd=REPO_ROOT,
        env={**environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.split()


def test_demo_consumption_only_with_the_demo_catalog(tmp_path):
    catalog = (tmp_path / "catalogo.xlsx").resolve()
    assert config_defaults() == [str(settings.DEMO_CATALOG), str(settings.DEMO_CONSUMPTION)]
    assert config_defaults(PROCUREMENT_CATALOG_CSV=str(catalog)) == [str(catalog), "<none>"]
    consumption = (tmp_path / "consumo.xlsx").resolve()
    assert config_defaults(
        PROCUREMENT_CATALOG_CSV=str(catalog), PROCUREMENT_CONSUMPTION_CSV=str(consumption)
    ) == [str(catalog), str(consumption)]


def test_catalog_sheet_and_encoding_settings_reach_the_asset(tmp_path):
    raw = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.title = "Capa"
    sheet = workbook.create_sheet("Produtos")
    for row in [HEADER, *ROWS]:
        sheet.append(row)
    workbook.save(raw)
    path = tmp_path / "erp.xlsx"
    path.write_bytes(raw.getvalue())
    database_url = f"sqlite:///{tmp_path / 'w.sqlite'}"
    with dg.instance_for_test() as instance:
        result = dg.materialize(
            [product_catalog],
            instance=instance,
            resources={
                "warehouse": WarehouseResource(database_url=database_url),
                "catalog_file": CatalogFileResource(),
            },
            run_config=dg.RunConfig(
                {"product_catalog": {"config": {"csv_path": str(path), "sheet": "Produtos"}}}
            ),
        )
        (materialization,) = result.asset_materializations_for_node("product_catalog")
        assert materialization.metadata["inserted"].value == 3
        failed = dg.materialize(
            [product_catalog],
            instance=instance,
            resources={
                "warehouse": WarehouseResource(database_url=database_url),
                "catalog_file": CatalogFileResource(),
            },
            run_config=dg.RunConfig({"product_catalog": {"config": {"csv_path": str(path)}}}),
            raise_on_error=False,
        )
    assert not failed.success  # the first sheet, "Capa", is not the catalog
    (failure,) = [e for e in failed.all_events if e.is_step_failure]
    text = failure.step_failure_data.user_failure_data.description
    assert "invalid catalog" in text and "sheet 'Capa'" in text
    assert "the sheet 'Capa' is empty (the workbook has 'Capa', 'Produtos')" in text
    assert "a planilha 'Capa' está vazia" in text
