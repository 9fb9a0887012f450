"""Any SKU the catalog accepts round-trips (issue 14, item 3): SKUs with a slash, spaces,
accents, a colon, dots, "..", a Windows device name, a percent sign and 64 characters go
through the real assets (catalog, scrape, history, model, report), then their PDFs download
from the dashboard (AppTest and headless Chromium) and go out as the e-mail attachment, all
under the one name lib.artifacts gives them. One product misses 8 days of prices: its
synthetic filler shows on exactly those days (item 4)."""

from __future__ import annotations

import datetime as dt
import io
import json
import time
import urllib.parse
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from pypdf import PdfReader
from sqlalchemy import delete, func
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime.memory_media_file_storage import _calculate_file_id

from procurement_pipeline.defs.alerts.sensors import compose_message
from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.forecasting.assets import product_price_models
from procurement_pipeline.defs.history.assets import daily_price_history, synthetic_price_history
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.prices.assets import (
    demo_price_history,
    scrape_windows,
    scraped_prices,
)
from procurement_pipeline.defs.reports.assets import product_reports
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.notifications.run_outcomes import RETRAIN_SUCCEEDED
from procurement_pipeline.lib.reporting.charts import ChartData
from procurement_pipeline.lib.reporting.model import SYNTHETIC_LABEL
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.forecasts import load_registry
from procurement_pipeline.lib.warehouse.reports import load_product_report_data
from procurement_pipeline.lib.warehouse.schema import price_observations
from procurement_pipeline_tests.conftest import catalog_csv
from procurement_pipeline_tests.dashboard.browser import (
    download_by_click,
    ensure_chromium,
    headless_chromium,
    serve_dashboard,
)
from procurement_pipeline_tests.defs.alerts.test_notification_sensor import mailer_for
from procurement_pipeline_tests.defs.reports.seed import MODEL_CONFIG, Seeded
from procurement_pipeline_tests.lib.notifications.conftest import smtp_server
from procurement_pipeline_tests.lib.test_artifact_names import AWKWARD_SKUS

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parents[2]
GAP_SKU = "PAR/M6x20-INOX"
GAP_DAYS = 8  # longer than the cleaner interpolates (3): a real gap in the history
IN_BROWSER = ["PAR/M6x20-INOX", "ÇAB-ÁGUA-01", AWKWARD_SKUS[-1]]
SCREENSHOT = REPO_ROOT / "test-artifacts" / "dashboard-awkward-sku.png"
PDF = "application/pdf"
DOWNLOAD_BUTTON = '[data-testid="stDownloadButton"] button'


def catalog_rows() -> list[str]:
    rows = []
    for n, sku in enumerate(AWKWARD_SKUS):
        rows.append(
            f"{sku},Parafuso sextavado {n} inox,fixadores,peça,parafuso sextavado m6,"
            f"{100 + n},20,7,{1.5 + n:.2f}"
        )
    return rows


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    """The real assets on a catalog of awkward SKUs, one with an 8-day gap in its prices."""
    folder = tmp_path_factory.mktemp("awkward")
    with dg.instance_for_test() as instance:
        csv_path = folder / "catalog.csv"
        csv_path.write_bytes(catalog_csv(catalog_rows()))
        seeded = Seeded(f"sqlite:///{folder / 'warehouse.sqlite'}", folder / "artifacts", [])
        resources = seeded.resources()
        dg.materialize(
            [product_catalog, demo_price_history],
            instance=instance,
            resources=resources,
            run_config=dg.RunConfig(
                {
                    "product_catalog": {"config": {"csv_path": str(csv_path)}},
                    "demo_price_history": {"config": {"days": 75}},
                }
            ),
        )
        dg.materialize(
            [scraped_prices],
            instance=instance,
            resources=resources,
            partition_key=scrape_windows.get_last_partition_key(),
        )
        engine = create_warehouse_engine(seeded.database_url)
        t = price_observations
        day = func.date(t.c.observed_at)
        newest = pd.Timestamp.now("UTC").tz_localize(None).normalize()
        gap = [(newest - pd.Timedelta(days=20 + i)).date() for i in range(GAP_DAYS)]
        with engine.begin() as conn:  # the scraper missed these days for one product
            conn.execute(
                delete(t).where(
                    t.c.sku == GAP_SKU,
                    t.c.is_synthetic.is_(False),
                    day.in_([d.isoformat() for d in gap]),
                )
            )
        dg.materialize(
            [daily_price_history, synthetic_price_history],
            instance=instance,
            resources=resources,
            run_config=dg.RunConfig({"synthetic_price_history": {"config": {"days": 60}}}),
        )
        skus = instance.get_dynamic_partitions(PRODUCTS_PARTITION)
        assert sorted(skus) == sorted(AWKWARD_SKUS)
        whole_range = {
            ASSET_PARTITION_RANGE_START_TAG: skus[0],
            ASSET_PARTITION_RANGE_END_TAG: skus[-1],
        }
        dg.materialize(
            [product_price_models],
            instance=instance,
            resources=resources,
            tags=whole_range,
            run_config=dg.RunConfig({"product_price_models": MODEL_CONFIG}),
        )
        reports = dg.materialize(
            [product_reports], instance=instance, resources=resources, tags=whole_range
        )
        single = dg.materialize(
            [product_reports], instance=instance, resources=resources, partition_key=GAP_SKU
        )
        seeded.skus = skus
        seeded.instance = instance
        seeded.engine = engine
        seeded.gap = sorted(gap)
        seeded.report_meta = [
            {k: v.value for k, v in m.metadata.items()}
            for m in reports.asset_materializations_for_node("product_reports")
        ][0]
        seeded.single_run_id = single.run_id
        yield seeded
        engine.dispose()


def test_every_artifact_is_named_by_the_one_rule(pipeline):
    root = pipeline.artifact_root
    registry = load_registry(pipeline.engine).set_index("sku")
    assert set(registry.index) == set(AWKWARD_SKUS)
    for sku in AWKWARD_SKUS:
        row = registry.loc[sku]
        assert row["status"] == "trained", (sku, row["reason"])
        training_id = Path(row["artifact_path"]).stem
        assert row["artifact_path"] == artifacts.product_model_path(sku, training_id)
        assert (root / row["artifact_path"]).is_file()
        assert pipeline.report_meta["reports_by_sku"][sku]["path"] == (
            artifacts.product_report_path(sku)
        )
        text = PdfReader(str(root / artifacts.product_report_path(sku))).pages[0].extract_text()
        assert f"SKU: {sku}" in text.replace("\n", " ")
    # Nothing but one folder per SKU under models/products and one PDF per SKU in
    # reports/products: no subfolder from a "/", nothing outside the store from a "..".
    model_dirs = sorted(p.name for p in (root / artifacts.PRODUCT_MODELS).iterdir())
    assert sorted(artifacts.sku_from_segment(n) for n in model_dirs) == sorted(AWKWARD_SKUS)
    assert all(len(list((root / artifacts.PRODUCT_MODELS / n).iterdir())) == 1 for n in model_dirs)
    reports = sorted((root / artifacts.PRODUCT_REPORTS).iterdir())
    assert all(p.is_file() and p.suffix == ".pdf" for p in reports)
    assert sorted(artifacts.sku_from_segment(p.stem) for p in reports) == sorted(AWKWARD_SKUS)
    assert sorted(p.name for p in root.iterdir()) == ["models", "reports"]


def test_synthetic_history_only_on_the_days_without_prices(pipeline):
    items = {d.sku: d for d in load_product_report_data(pipeline.engine, AWKWARD_SKUS)}
    gap_product = items[GAP_SKU]
    assert len(gap_product.synthetic_history) >= 60  # the filler covers the whole window
    chart = ChartData.build(
        history=gap_product.history, synthetic_history=gap_product.synthetic_history
    )
    shown = sorted(dt.date(1970, 1, 1) + dt.timedelta(days=int(x)) for x in chart.synthetic_x)
    assert shown == pipeline.gap
    pdf = PdfReader(str(pipeline.artifact_root / artifacts.product_report_path(GAP_SKU)))
    assert SYNTHETIC_LABEL in pdf.pages[0].extract_text().replace("\n", " ")
    # A product with a real price every day shows no synthetic point and no legend for it.
    other = items["FER:12"]
    assert not other.synthetic_history.empty
    assert len(ChartData.build(history=other.history, synthetic_history=other.synthetic_history)
               .synthetic_x) == 0  # fmt: skip
    text = PdfReader(str(pipeline.artifact_root / artifacts.product_report_path("FER:12")))
    assert SYNTHETIC_LABEL not in text.pages[0].extract_text().replace("\n", " ")


def served(button, data: bytes, file_name: str) -> bool:
    return button.proto.url.endswith(_calculate_file_id(data, PDF, file_name) + ".pdf")


@pytest.mark.parametrize("sku", AWKWARD_SKUS)
def test_each_pdf_downloads_from_the_dashboard(make_app, pipeline, sku):
    app = make_app(pipeline.database_url, pipeline.artifact_root)
    app.query_params["sku"] = sku
    at = app.run()
    assert not at.exception
    assert at.selectbox(key="sku").value == sku
    (button,) = at.get("download_button")
    pdf = (pipeline.artifact_root / artifacts.product_report_path(sku)).read_bytes()
    assert served(button, pdf, artifacts.product_report_download_name(sku))


def test_dashboard_chart_shows_synthetic_points_only_on_gap_days(make_app, pipeline):
    app = make_app(pipeline.database_url, pipeline.artifact_root)
    app.query_params["sku"] = GAP_SKU
    at = app.run()
    (chart,) = at.get("vega_lite_chart")
    frames = [convert_arrow_bytes_to_pandas_df(d.data.data) for d in chart.proto.datasets]
    points = pd.concat(frames, ignore_index=True)
    synthetic = points[points["series"] == SYNTHETIC_LABEL]
    assert sorted(pd.to_datetime(synthetic["day"]).dt.date.unique()) == pipeline.gap
    real_days = set(pd.to_datetime(points[points["series"] == "Histórico real"]["day"]).dt.date)
    assert not real_days & set(pipeline.gap)
    assert '"diamond"' in json.dumps(json.loads(chart.proto.spec))
    assert any(f"{GAP_DAYS} dia(s) sem coleta" in c.value for c in at.caption)


def test_retraining_email_attaches_the_awkward_products_pdf(pipeline):
    with smtp_server() as (controller, handler):
        mailer = mailer_for(controller.port)
        message = compose_message(
            RETRAIN_SUCCEEDED,
            pipeline.single_run_id,
            pipeline.instance,
            pipeline.resources()["warehouse"],
            pipeline.resources()["artifact_store"],
            mailer,
        )
        mailer.get_mailer().send(message)
    ((_sender, _to, received),) = handler.messages
    (attachment,) = list(received.iter_attachments())
    assert attachment.get_filename() == artifacts.product_report_download_name(GAP_SKU)
    assert attachment.get_filename() == "relatorio_PAR=2FM6x20-INOX.pdf"
    pdf = (pipeline.artifact_root / artifacts.product_report_path(GAP_SKU)).read_bytes()
    assert attachment.get_payload(decode=True) == pdf
    assert "Parafuso sextavado 0 inox" in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()


@pytest.fixture(scope="module")
def chromium() -> str:
    try:
        return ensure_chromium()
    except Exception as exc:  # noqa: BLE001 - any install failure fails the test
        pytest.fail(f"cannot install Debian chromium: {exc}")


def test_pdfs_download_in_headless_chromium(chromium, pipeline, tmp_path):
    log = tmp_path / "streamlit.log"
    with (
        serve_dashboard(pipeline.database_url, pipeline.artifact_root, log) as base,
        headless_chromium(chromium, tmp_path / "profile") as page,
    ):
        for n, sku in enumerate(IN_BROWSER):
            page.call("Page.navigate", url=f"{base}/?sku={urllib.parse.quote(sku, safe='')}")
            page.wait_for(
                "document.body.innerText.includes('Baixar relatório PDF do produto') && "
                f"document.body.innerText.includes({json.dumps('SKU ' + sku[:20])})",
                timeout=90,
            )
            if sku == GAP_SKU:
                time.sleep(1.0)  # the chart's first paint
                page.screenshot(SCREENSHOT)
                assert SYNTHETIC_LABEL in page.text()
            saved = download_by_click(page, DOWNLOAD_BUTTON, tmp_path / f"downloads-{n}")
            expected = pipeline.artifact_root / artifacts.product_report_path(sku)
            assert saved.read_bytes() == expected.read_bytes(), sku
            assert saved.name == artifacts.product_report_download_name(sku)
