"""The e-mails the pipeline sends, in Portuguese: retraining finished, run failed."""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import quote

from procurement_pipeline.lib import artifacts, clock
from procurement_pipeline.lib.logging import redact_text
from procurement_pipeline.lib.notifications.mailer import build_message
from procurement_pipeline.lib.reporting.formatting import (
    format_brl,
    format_date_br,
    format_datetime_br,
    format_int,
    format_number,
    format_pct,
    format_pct_points,
)
from procurement_pipeline.lib.reporting.model import CatalogSummary, ProductMove
from procurement_pipeline.lib.reporting.model_choice import models_used_text, versus_naive

MAX_ERROR_CHARS = 4000


def dagster_run_url(base_url: str | None, run_id: str) -> str | None:
    """The run's page in the Dagster UI, e.g. http://host:3000/runs/<id>."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/runs/{quote(run_id, safe='')}"


def dagster_backfill_url(base_url: str | None, backfill_id: str) -> str | None:
    """A backfill's page in the Dagster UI (an automation cycle is one backfill)."""
    if not base_url:
        return None
    return f"{base_url.rstrip('/')}/runs/b/{quote(backfill_id, safe='')}"


def _moves_text(title: str, moves: list[ProductMove]) -> list[str]:
    lines = [title]
    if not moves:
        return [*lines, "  (nenhum)"]
    for m in moves:
        lines.append(
            f"  {format_pct(m.move, signed=True):>8}  {m.sku} - {m.name}: "
            f"{format_brl(m.last_price)} -> {format_brl(m.last_forecast)}"
        )
    return lines


def _moves_html(title: str, moves: list[ProductMove]) -> str:
    if not moves:
        return f"<h3>{html.escape(title)}</h3><p>(nenhum)</p>"
    rows = "".join(
        "<tr>"
        f"<td>{html.escape(m.sku)}</td><td>{html.escape(m.name)}</td>"
        f"<td style='text-align:right'>{format_brl(m.last_price)}</td>"
        f"<td style='text-align:right'>{format_brl(m.last_forecast)}</td>"
        f"<td style='text-align:right'><b>{format_pct(m.move, signed=True)}</b></td>"
        "</tr>"
        for m in moves
    )
    return (
        f"<h3>{html.escape(title)}</h3>"
        "<table border='1' cellpadding='4' cellspacing='0' style='border-collapse:collapse'>"
        "<tr><th>SKU</th><th>Produto</th><th>Último preço</th><th>Previsão</th>"
        f"<th>Variação</th></tr>{rows}</table>"
    )


def build_retraining_succeeded_message(
    summary: CatalogSummary,
    *,
    to: str | Sequence[str],
    sender: str | None = None,
    pdf: bytes | str | Path | None = None,
    pdf_filename: str | None = None,
    run_id: str | None = None,
    dagster_base_url: str | None = None,
    top_n: int = 5,
    backfill_id: str | None = None,
) -> EmailMessage:
    """E-mail after retraining: counts, median MASE vs. naive, share beating the baselines,
    the largest expected moves, and the catalog PDF attached."""
    day = format_date_br(summary.generated_at)
    subject = (
        f"Previsões de preços atualizadas ({day}): {format_int(summary.trained)} treinados, "
        f"{format_int(summary.skipped)} ignorados, {format_int(summary.failed)} falhas"
    )
    m = summary.median_metrics
    ups, downs = summary.top_up[:top_n], summary.top_down[:top_n]
    horizon = summary.horizon_days
    facts = [
        ("Produtos no catálogo", format_int(summary.products_total)),
        ("Modelos treinados", format_int(summary.trained)),
        ("Produtos ignorados", format_int(summary.skipped)),
        ("Falhas no treinamento", format_int(summary.failed)),
        ("Modelos usados", models_used_text(summary.models_used)),
        ("Erro mediano no holdout", versus_naive(m.get("mase_naive"))),
        ("MASE mediano vs. ingênuo", format_number(m.get("mase_naive"), 2)),
        ("MASE mediano vs. sazonal ingênuo", format_number(m.get("mase_seasonal_naive"), 2)),
        ("MAPE mediano", format_pct_points(m.get("mape"))),
        ("Modelos que superam o ingênuo", format_pct(summary.share_beats_naive)),
        ("Modelos que superam o sazonal ingênuo", format_pct(summary.share_beats_seasonal_naive)),
    ]
    run_url = dagster_run_url(dagster_base_url, run_id) if run_id else None
    if backfill_id:
        run_url = dagster_backfill_url(dagster_base_url, backfill_id)

    text_lines = [
        "Olá,",
        "",
        f"Os modelos de previsão de preços foram retreinados em "
        f"{format_datetime_br(summary.generated_at)}.",
        "",
        *(f"- {label}: {value}" for label, value in facts),
        "",
        *_moves_text(f"Maiores altas esperadas em {horizon} dias:", ups),
        "",
        *_moves_text(f"Maiores quedas esperadas em {horizon} dias:", downs),
        "",
    ]
    if summary.skipped_reasons:
        text_lines.append("Motivos dos produtos ignorados:")
        text_lines += [f"  {format_int(n)} x {r}" for r, n in summary.skipped_reasons.items()]
        text_lines.append("")
    if pdf is not None:
        text_lines.append("O relatório completo do catálogo segue em PDF anexo.")
    if run_url:
        text_lines.append(f"Execução no Dagster: {run_url}")
    text_lines += [
        "",
        "MASE abaixo de 1: o modelo erra menos que a referência.",
        "",
        "—",
        "procurement_pipeline",
    ]
    text_body = "\n".join(text_lines)

    facts_html = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'><b>{value}</b></td></tr>"
        for label, value in facts
    )
    extra = ""
    if summary.skipped_reasons:
        items = "".join(
            f"<li>{format_int(n)} × {html.escape(r)}</li>"
            for r, n in summary.skipped_reasons.items()
        )
        extra += f"<h3>Motivos dos produtos ignorados</h3><ul>{items}</ul>"
    if pdf is not None:
        extra += "<p>O relatório completo do catálogo segue em PDF anexo.</p>"
    if run_url:
        extra += f"<p><a href='{html.escape(run_url)}'>Ver a execução no Dagster</a></p>"
    html_body = (
        "<html><body style='font-family:Arial,Helvetica,sans-serif'>"
        "<p>Olá,</p>"
        f"<p>Os modelos de previsão de preços foram retreinados em "
        f"{format_datetime_br(summary.generated_at)}.</p>"
        f"<table border='1' cellpadding='4' cellspacing='0' style='border-collapse:collapse'>"
        f"{facts_html}</table>"
        f"{_moves_html(f'Maiores altas esperadas em {horizon} dias', ups)}"
        f"{_moves_html(f'Maiores quedas esperadas em {horizon} dias', downs)}"
        f"{extra}"
        "<p style='color:#666'>MASE abaixo de 1: o modelo erra menos que a referência.</p>"
        "</body></html>"
    )
    attachments = []
    if pdf is not None:
        data = pdf if isinstance(pdf, bytes) else Path(pdf).read_bytes()
        name = pdf_filename or (
            Path(pdf).name
            if not isinstance(pdf, bytes)
            else artifacts.catalog_report_download_name(summary.generated_at)
        )
        attachments.append((name, data, "application/pdf"))
    return build_message(subject, to, text_body, html_body, attachments, sender=sender)


def build_run_failure_message(
    *,
    run_id: str,
    job_name: str,
    error: str,
    to: str | Sequence[str],
    sender: str | None = None,
    dagster_base_url: str | None = None,
    failed_at: dt.datetime | None = None,
    step_keys: Sequence[str] = (),
) -> EmailMessage:
    """Alert for a failed run: run id, job, error (secrets redacted, truncated), UI link."""
    when = format_datetime_br(failed_at or clock.now())
    clean_error = redact_text(error or "(sem mensagem de erro)")
    if len(clean_error) > MAX_ERROR_CHARS:
        clean_error = clean_error[:MAX_ERROR_CHARS] + "\n… (mensagem truncada)"
    subject = f"[ALERTA] Falha na execução {job_name} ({run_id[:8]})"
    url = dagster_run_url(dagster_base_url, run_id)
    lines = [
        "Uma execução do pipeline de compras falhou.",
        "",
        f"Job: {job_name}",
        f"Execução (run id): {run_id}",
        f"Quando: {when}",
    ]
    if step_keys:
        lines.append(f"Etapas com falha: {', '.join(step_keys)}")
    if url:
        lines.append(f"Ver no Dagster: {url}")
    lines += ["", "Erro:", clean_error, "", "—", "procurement_pipeline"]
    text_body = "\n".join(lines)
    steps_html = (
        f"<tr><td>Etapas com falha</td><td>{html.escape(', '.join(step_keys))}</td></tr>"
        if step_keys
        else ""
    )
    link_html = (
        f"<p><a href='{html.escape(url)}'>Abrir a execução no Dagster</a></p>" if url else ""
    )
    html_body = (
        "<html><body style='font-family:Arial,Helvetica,sans-serif'>"
        "<p><b>Uma execução do pipeline de compras falhou.</b></p>"
        "<table border='1' cellpadding='4' cellspacing='0' style='border-collapse:collapse'>"
        f"<tr><td>Job</td><td>{html.escape(job_name)}</td></tr>"
        f"<tr><td>Execução (run id)</td><td><code>{html.escape(run_id)}</code></td></tr>"
        f"<tr><td>Quando</td><td>{when}</td></tr>{steps_html}</table>"
        f"{link_html}<h3>Erro</h3><pre>{html.escape(clean_error)}</pre>"
        "</body></html>"
    )
    return build_message(subject, to, text_body, html_body, sender=sender)
