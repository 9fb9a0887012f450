"""The opportunity-alert e-mail, in Portuguese, in the style of the pipeline's other e-mails.

One e-mail per product and price window (the opportunity's ``notification_key``), sent
through :class:`~procurement_pipeline.lib.notifications.Mailer` and recorded in
``sent_notifications`` by the caller, like the retraining e-mails.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from typing import Any

from procurement_pipeline.lib.notifications.mailer import build_message
from procurement_pipeline.lib.notifications.messages import dagster_run_url
from procurement_pipeline.lib.recommendations.engine import quantity_text
from procurement_pipeline.lib.reporting.formatting import (
    MISSING,
    format_brl,
    format_date_br,
    format_datetime_br,
    format_pct,
    is_missing,
)

ACTION_LABELS = {
    "buy_now": "Comprar agora",
    "buy_by": "Comprar até",
    "wait_until": "Esperar até",
    "no_need": "Sem necessidade de compra",
}


def action_label(action: str, action_date: Any = None) -> str:
    """ "Comprar até 05/12/2026", "Comprar agora", ... for a recommendation."""
    label = ACTION_LABELS.get(action, action)
    if action in ("buy_by", "wait_until") and not is_missing(action_date):
        return f"{label} {format_date_br(action_date)}"
    return label


def build_opportunity_message(
    opportunity: Mapping[str, Any],
    *,
    to: str | Sequence[str],
    sender: str | None = None,
    run_id: str | None = None,
    dagster_base_url: str | None = None,
) -> EmailMessage:
    """Alert for one row of :func:`~procurement_pipeline.lib.recommendations.opportunities`:
    the observed price, how far below the forecast's lower bound it is, the current
    recommendation, the suggested quantity and what buying it now saves against the
    forecast."""
    o = dict(opportunity)
    sku, name, unit = str(o["sku"]), str(o.get("name") or o["sku"]), str(o.get("unit") or "")
    price = format_brl(o["price"])
    below = format_pct(o.get("below_lower_pct"))
    subject = f"[OPORTUNIDADE] {sku} - {name}: {price}, {below} abaixo do mínimo previsto"
    quantity = o.get("suggested_quantity")
    qty = MISSING if is_missing(quantity) else quantity_text(float(quantity), unit)
    interval = f"{format_brl(o.get('yhat_lower'))} a {format_brl(o.get('yhat_upper'))}"
    facts = [
        ("Produto", f"{sku} - {name}"),
        ("Preço observado", price),
        ("Janela de coleta", format_datetime_br(o.get("window_start"))),
        ("Preço previsto para o dia", format_brl(o.get("yhat"))),
        ("Intervalo previsto", interval),
        ("Abaixo do limite inferior", below),
        ("Abaixo do preço previsto", format_pct(o.get("below_yhat_pct"))),
        ("Recomendação atual", action_label(str(o.get("action")), o.get("action_date"))),
        ("Quantidade sugerida", qty),
        ("Economia estimada vs. preço previsto", format_brl(o.get("expected_saving"))),
    ]
    run_url = dagster_run_url(dagster_base_url, run_id) if run_id else None
    intro = (
        f"O preço de {name} caiu para {price}, {below} abaixo do limite inferior da "
        "previsão, e o produto precisará ser comprado dentro do horizonte de planejamento."
    )
    advice = (
        f"Considere antecipar a compra de {qty} enquanto o preço estiver baixo."
        if not is_missing(quantity) and float(quantity) > 0
        else "Considere antecipar a compra enquanto o preço estiver baixo."
    )
    text_lines = [
        "Olá,",
        "",
        intro,
        "",
        *(f"- {label}: {value}" for label, value in facts),
        "",
        advice,
    ]
    if run_url:
        text_lines.append(f"Execução no Dagster: {run_url}")
    text_lines += ["", "—", "procurement_pipeline"]
    facts_html = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'><b>"
        f"{html.escape(value)}</b></td></tr>"
        for label, value in facts
    )
    link = (
        f"<p><a href='{html.escape(run_url)}'>Ver a execução no Dagster</a></p>" if run_url else ""
    )
    html_body = (
        "<html><body style='font-family:Arial,Helvetica,sans-serif'>"
        "<p>Olá,</p>"
        f"<p>{html.escape(intro)}</p>"
        "<table border='1' cellpadding='4' cellspacing='0' style='border-collapse:collapse'>"
        f"{facts_html}</table>"
        f"<p><b>{html.escape(advice)}</b></p>{link}"
        "</body></html>"
    )
    return build_message(subject, to, "\n".join(text_lines), html_body, sender=sender)
