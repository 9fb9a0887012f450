import datetime as dt
import io

from pypdf import PdfReader

from procurement_pipeline.lib.notifications import (
    Mailer,
    build_retraining_succeeded_message,
    build_run_failure_message,
    dagster_run_url,
)
from procurement_pipeline.lib.reporting import build_catalog_report, summarize_catalog
from procurement_pipeline.lib.reporting.formatting import format_number, format_pct
from procurement_pipeline_tests.lib.notifications.conftest import settings_for, smtp_server
from tools.report_samples import sample_catalog


def test_retraining_message_sent_and_parsed_back(tmp_path):
    items = list(sample_catalog(40, failed_every=13))
    summary = summarize_catalog(items, generated_at=dt.datetime(2026, 4, 1, 6, 0, tzinfo=dt.UTC))
    pdf_path = tmp_path / "relatorio_catalogo.pdf"
    pages = build_catalog_report(summary, items, pdf_path, selection=3)
    message = build_retraining_succeeded_message(
        summary,
        to="comprador@example.com",
        pdf=pdf_path,
        run_id="abc123-run",
        dagster_base_url="http://127.0.0.1:3000/",
    )
    with smtp_server() as (controller, handler):
        Mailer(settings_for(controller)).send(message)
    _, rcpts, parsed = handler.messages[0]
    assert rcpts == ["comprador@example.com"]
    subject = parsed["Subject"]
    assert subject.startswith("Previsões de preços atualizadas (01/04/2026)")
    assert f"{summary.trained} treinados" in subject and f"{summary.failed} falhas" in subject
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    mase = format_number(summary.median_metrics["mase_naive"], 2)
    beats = format_pct(summary.share_beats_naive)
    for body in (text, html):
        assert mase in body and beats in body
        assert summary.top_up[0].sku in body and summary.top_down[0].sku in body
        assert format_pct(summary.top_up[0].move, signed=True) in body
        assert "http://127.0.0.1:3000/runs/abc123-run" in body
    assert f"Produtos ignorados: {summary.skipped}" in text
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "relatorio_catalogo.pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    assert len(reader.pages) == pages
    assert "Relatório do catálogo de compras" in reader.pages[0].extract_text()


def test_retraining_message_without_pdf_or_moves():
    summary = summarize_catalog([])
    message = build_retraining_succeeded_message(summary, to="a@example.com")
    assert not list(message.iter_attachments())
    assert "(nenhum)" in message.get_body(("plain",)).get_content()


def test_run_failure_alert():
    error = (
        "requests.exceptions.HTTPError: 500 for url "
        "https://api.scraperapi.com/?api_key=SEGREDO123&url=x\n<script>"
    )
    message = build_run_failure_message(
        run_id="0f1e2d3c-4b5a-6789",
        job_name="retrain_products_job",
        error=error,
        to=["ops@example.com"],
        sender="pipeline@example.com",
        dagster_base_url="https://dagster.example.com",
        failed_at=dt.datetime(2026, 4, 1, 12, 5, tzinfo=dt.UTC),
        step_keys=["product_price_models"],
    )
    assert message["Subject"] == "[ALERTA] Falha na execução retrain_products_job (0f1e2d3c)"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    for body in (text, html):
        assert "0f1e2d3c-4b5a-6789" in body and "retrain_products_job" in body
        assert "https://dagster.example.com/runs/0f1e2d3c-4b5a-6789" in body
        assert "HTTPError: 500" in body
        assert "SEGREDO123" not in body
        assert "01/04/2026 12:05" in body
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "product_price_models" in text


def test_run_failure_without_ui_link_and_long_error():
    message = build_run_failure_message(
        run_id="r1", job_name="j", error="x" * 10_000, to="ops@example.com"
    )
    text = message.get_body(("plain",)).get_content()
    assert "/runs/" not in text and "mensagem truncada" in text
    assert dagster_run_url(None, "r1") is None
    assert dagster_run_url("http://h:3000", "a/b") == "http://h:3000/runs/a%2Fb"
