import datetime as dt
import re

import pandas as pd
import pytest
from pypdf import PdfReader

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.reporting import (
    ReportBuildError,
    build_catalog_report,
    build_global_report,
    build_product_report,
    build_product_reports,
    expected_move,
    summarize_catalog,
)
from procurement_pipeline.lib.reporting.formatting import (
    format_brl,
    format_date_br,
    format_number,
    format_pct,
    format_pct_points,
)
from procurement_pipeline.lib.reporting.model import SYNTHETIC_LABEL
from tools.report_samples import (
    sample_catalog,
    sample_global,
    sample_product,
)


def pdf_text(path) -> tuple[int, list[str]]:
    reader = PdfReader(str(path))
    return len(reader.pages), [page.extract_text() for page in reader.pages]


def no_temp_files(folder) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".tmp")]


def test_product_report_contents(tmp_path):
    data = sample_product(3)
    data.name = "Conexão de PVC – joelho 90° açúcar nº 3"
    path = tmp_path / "p.pdf"
    pages = build_product_report(data, path)
    assert pages == 2
    count, texts = pdf_text(path)
    assert count == pages
    first = texts[0]
    assert "Conexão de PVC – joelho 90° açúcar nº 3" in first
    assert "SKU-00003" in first
    m = data.metrics
    for value in (format_brl(m["mae"]), format_brl(m["naive_mae"]), format_brl(m["rmse"])):
        assert value in first
    assert format_number(m["mase_naive"], 2) in first
    assert format_pct_points(m["mape"]) in first
    assert "Ingênuo" in first and "Sazonal ingênuo" in first
    assert SYNTHETIC_LABEL in first and "Intervalo 80%" in first
    assert f"Janela de treino: {format_date_br(data.train_start)}" in first
    assert format_brl(data.last_price) in first
    assert "Distribuidora Açaí" in first or "Ferragens Conceição" in first
    assert re.search(r"\b\d{2}/\d{2}/\d{4}\b", first)
    assert "Últimas ofertas coletadas" in first
    # Page 2: the daily forecast and holdout tables.
    last_fc = data.forecast.iloc[-1]
    assert format_date_br(last_fc["ds"]) in texts[1]
    assert format_brl(last_fc["yhat"]) in texts[1]
    assert no_temp_files(tmp_path)


def test_skipped_product_shows_reason_and_no_forecast(tmp_path):
    data = sample_product(4, status="skipped")
    path = tmp_path / "s.pdf"
    assert build_product_report(data, path) == 1
    _, texts = pdf_text(path)
    assert "ignorado" in texts[0]
    assert "histórico insuficiente (menos de 60 dias observados)" in texts[0]
    assert "Previsão para" not in texts[0]
    assert "Intervalo 80%" not in texts[0]


def test_failed_product_without_history_or_offers(tmp_path):
    data = sample_product(5, status="failed")
    data.reason = "Prophet não convergiu"
    data.history = data.history.iloc[0:0]
    data.synthetic_history = data.synthetic_history.iloc[0:0]
    data.latest_offers = data.latest_offers.iloc[0:0]
    path = tmp_path / "f.pdf"
    assert build_product_report(data, path) == 1
    _, texts = pdf_text(path)
    assert "Prophet não convergiu" in texts[0]
    assert "Nenhuma oferta coletada." in texts[0]


def test_matplotlib_renderer(tmp_path):
    path = tmp_path / "m.pdf"
    assert build_product_report(sample_product(6), path, renderer="matplotlib") == 2
    reader = PdfReader(str(path))
    assert reader.pages[0].images  # the chart is a raster
    assert "SKU-00006" in reader.pages[0].extract_text()


def test_summary_and_moves():
    items = list(sample_catalog(45))
    summary = summarize_catalog(items, generated_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
    assert summary.products_total == 45
    assert summary.skipped == 3 and summary.failed == 0 and summary.trained == 42
    assert summary.skipped_reasons == {"histórico insuficiente (menos de 60 dias observados)": 3}
    assert len(summary.moves) == 42
    magnitudes = [abs(m.move) for m in summary.moves]
    assert magnitudes == sorted(magnitudes, reverse=True)
    assert all(m.move > 0 for m in summary.top_up)
    assert all(m.move < 0 for m in summary.top_down)
    first = items[0]
    assert expected_move(first.last_price, first.last_forecast) == pytest.approx(
        first.forecast["yhat"].iloc[-1] / first.last_price - 1
    )
    assert 0 <= summary.share_beats_naive <= 1
    assert summary.median_metrics["mase_naive"] is not None


def test_catalog_report_pages_and_text(tmp_path):
    items = list(sample_catalog(70))
    items[1].status = "failed"
    items[1].reason = "Prophet não convergiu"
    summary = summarize_catalog(items, generated_at=dt.datetime(2026, 4, 1, 9, 30, tzinfo=dt.UTC))
    only_summary = build_catalog_report(summary, items, tmp_path / "s.pdf", selection=0)
    assert only_summary >= 1
    path = tmp_path / "catalog.pdf"
    pages = build_catalog_report(summary, items, path)
    assert pages == only_summary + 50
    count, texts = pdf_text(path)
    assert count == pages
    head = "\n".join(texts[:only_summary])
    assert "Relatório do catálogo de compras" in head
    assert "01/04/2026 09:30" in head
    assert "histórico insuficiente (menos de 60 dias observados)" in head
    assert "Prophet não convergiu" in head
    assert summary.top_up[0].sku in head and summary.top_down[0].sku in head
    assert format_pct(summary.top_up[0].move, signed=True) in head
    assert format_number(summary.median_metrics["mase_naive"], 2) in head
    # Product pages follow in order of the largest absolute move.
    assert summary.moves[0].sku in texts[only_summary]
    assert summary.moves[49].sku in texts[only_summary + 49]

    chosen = build_catalog_report(
        summary, items, tmp_path / "chosen.pdf", selection=["SKU-00010", "SKU-00002", "nope"]
    )
    assert chosen == only_summary + 2
    _, texts = pdf_text(tmp_path / "chosen.pdf")
    assert "SKU-00010" in texts[only_summary] and "SKU-00002" in texts[only_summary + 1]
    assert no_temp_files(tmp_path)


def test_global_report(tmp_path):
    data = sample_global()
    path = tmp_path / "g.pdf"
    pages = build_global_report(data, path)
    assert pages == 2
    count, texts = pdf_text(path)
    assert count == 2
    assert "Índice de preços do catálogo" in texts[0]
    assert format_number(data.metrics["mae"], 2) in texts[0]
    assert format_number(data.metrics["mase_seasonal_naive"], 2) in texts[0]
    assert format_date_br(data.train_end) in texts[0]
    assert format_date_br(data.forecast["ds"].iloc[-1]) in texts[1]


def test_global_report_skipped(tmp_path):
    data = sample_global()
    data.status, data.reason = "skipped", "poucos produtos com histórico"
    path = tmp_path / "g.pdf"
    assert build_global_report(data, path) == 1
    assert "poucos produtos com histórico" in pdf_text(path)[1][0]


@pytest.mark.parametrize("workers", [1, 2])
def test_build_product_reports(tmp_path, workers):
    items = [
        sample_product(i, days=60, status="skipped" if i == 2 else "trained") for i in range(5)
    ]
    batch = build_product_reports(iter(items), tmp_path, workers=workers, chunk_size=2)
    assert batch.failures == {}
    results = batch.built
    assert [sku for sku, _, _ in results] == [d.sku for d in items]
    assert [pages for _, _, pages in results] == [2, 2, 1, 2, 2]
    for sku, path, pages in results:
        assert path == tmp_path / artifacts.product_report_path(sku)
        assert len(PdfReader(str(path)).pages) == pages
    assert no_temp_files(tmp_path / artifacts.PRODUCT_REPORTS)


def test_failed_build_leaves_nothing_and_names_the_sku(tmp_path):
    bad = sample_product(1)
    bad.history = pd.DataFrame({"day": ["not a date"], "price": [1.0], "value_source": ["x"]})
    with pytest.raises(Exception):  # noqa: B017 - whatever pandas raises
        build_product_report(bad, tmp_path / "bad.pdf")
    assert not (tmp_path / "bad.pdf").exists()
    assert list(tmp_path.iterdir()) == []
    batch = build_product_reports([sample_product(0), bad], tmp_path / "out", workers=1)
    assert list(batch.failures) == [bad.sku]
    assert [sku for sku, _, _ in batch.built] == ["SKU-00000"]
    with pytest.raises(ReportBuildError) as info:
        batch.raise_for_failures()
    assert list(info.value.failures) == [bad.sku]


def test_catalog_product_section_is_one_page_even_with_a_long_reason(tmp_path):
    items = list(sample_catalog(5, skipped_every=0, failed_every=0))
    items[0].status = "skipped"
    items[0].reason = "motivo muito longo " * 200
    items[0].latest_offers = sample_product(0, offers=40).latest_offers
    summary = summarize_catalog(items)
    base = build_catalog_report(summary, items, tmp_path / "a.pdf", selection=[])
    pages = build_catalog_report(summary, items, tmp_path / "b.pdf", selection=["SKU-00000"])
    assert pages == base + 1
    text = pdf_text(tmp_path / "b.pdf")[1][-1]
    assert "e mais" in text  # offers that did not fit are counted, not spilled over
