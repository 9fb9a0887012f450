"""What the buyer reads, in Portuguese: the reason sentence of each recommendation, the action
labels, and the opportunity-alert e-mail (in the style of the pipeline's other e-mails).

The opportunity e-mail is one per product and price window (the opportunity's
``notification_key``), sent through :class:`~procurement_pipeline.lib.notifications.Mailer`
and recorded in ``sent_notifications`` by the caller, like the retraining e-mails.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from procurement_pipeline.lib.notifications.mailer import build_message
from procurement_pipeline.lib.notifications.messages import dagster_run_url
from procurement_pipeline.lib.recommendations.units import WHOLE_UNITS
from procurement_pipeline.lib.reporting.formatting import (
    MISSING,
    format_brl,
    format_date_br,
    format_datetime_br,
    format_number,
    format_pct,
    is_missing,
)

PLURALS = {
    "metro": "metros",
    "unidade": "unidades",
    "caixa": "caixas",
    "rolo": "rolos",
    "pacote": "pacotes",
    "chapa": "chapas",
    "galão": "galões",
    "lata": "latas",
    "balde": "baldes",
    "folha": "folhas",
    "par": "pares",
    "litro": "litros",
    "kg": "kg",
    "m³": "m³",
}
UNTRUSTED_MODEL_NOTE = (
    "Modelo não confiável (não supera as referências): regra de estoque pelo preço de hoje."
)
NO_MODEL_NOTE = "Sem modelo de previsão para o produto: regra de estoque pelo preço de hoje."
NO_FORECAST_NOTE = (
    "Sem previsão de preço para os próximos dias: regra de estoque pelo preço de hoje."
)
REFERENCE_PRICE_NOTE = "sem cotação de mercado, vale o preço de referência do catálogo"
# A product without a consumption history: the use is the one its minimum stock implies.
NO_CONSUMPTION_HISTORY_NOTE = (
    "Sem histórico de consumo: uso estimado pelo estoque mínimo e prazo de entrega, confiança "
    "baixa."
)
FALLBACK_NOTES = {
    "not_beating_baselines": UNTRUSTED_MODEL_NOTE,
    "no_model": NO_MODEL_NOTE,
    "no_forecast": NO_FORECAST_NOTE,
}
LIMIT_NOTES = {
    "stock": "limitado ao estoque máximo de {days} dias de consumo",
    "budget": "limitado pelo orçamento de compras antecipadas",
}


def quantity_text(quantity: float, unit: str) -> str:
    """ "150 metros", "1 caixa", "2,5 kg"."""
    whole = unit in WHOLE_UNITS or float(quantity).is_integer()
    text = format_number(quantity, 0 if whole else 1)
    word = unit if abs(quantity - 1.0) < 1e-9 else PLURALS.get(unit, unit)
    return f"{text} {word}"


def days_text(days: float) -> str:
    """ "1 dia", "12 dias", "muito tempo" (whole days, rounded down)."""
    if not math.isfinite(days):
        return "muito tempo"
    n = max(int(math.floor(days)), 0)
    return "1 dia" if n == 1 else f"{n} dias"


@dataclass(frozen=True)
class AdviceFacts:
    """What one product's reason sentence says (see :func:`reason_text`)."""

    action: str  # buy_now | buy_by | wait_until | no_need
    signal: str  # stock | rise | fall | opportunity | none (what moved the date/quantity)
    trusted: bool
    note: str  # model_note
    unit: str
    quantity: float
    extra_quantity: float
    extra_limit: str  # "" | "stock" | "budget"
    cover_days: float
    position: float
    minimum: float
    lead_days: int
    daily_use: float
    price_today: float
    from_market: bool
    expected_price: float
    drop_share: float
    rise_share: float
    holding_share: float  # holding cost of the stock bought ahead, as a share of its price
    normal_price: float
    below_normal_share: float
    saving: float
    date: dt.date | None
    deadline: dt.date
    horizon_days: int
    max_cover_days: float
    measured_use: bool = True  # False: no consumption history (use implied by the minimum)
    # The rise is the recent trend's expected price (the model's mean path), not a trusted
    # forecast's.
    rise_from_trend: bool = False


def _opportunity_text(f: AdviceFacts, qty: str, price: str) -> str:
    extra = quantity_text(f.extra_quantity, f.unit)
    limit = LIMIT_NOTES.get(f.extra_limit, "").format(days=format_number(f.max_cover_days, 0))
    extra_part = f"{extra} a mais para os dias seguintes" + (f", {limit}" if limit else "")
    opening = (
        f"O preço de hoje ({price}) está {format_pct(f.below_normal_share)} abaixo do nível "
        f"normal previsto ({format_brl(f.normal_price)}), mais que o custo de manter o estoque "
        f"({format_pct(f.holding_share)})"
    )
    if f.extra_quantity <= 0:
        return f"{opening}; compre {qty} agora (nada a mais: {limit})."
    if f.quantity - f.extra_quantity <= 1e-9:
        return (
            f"{opening}; o estoque cobre {days_text(f.cover_days)}, mas vale comprar {qty} "
            f"agora ({extra_part}; economia esperada de {format_brl(f.saving)})."
        )
    return (
        f"{opening}; compre {qty} agora, dos quais {extra_part} (economia esperada de "
        f"{format_brl(f.saving)})."
    )


def reason_text(f: AdviceFacts) -> str:
    """One sentence in Portuguese a buyer understands, prefixed by the fallback note when the
    price forecast played no part."""
    qty = quantity_text(f.quantity, f.unit)
    price = format_brl(f.price_today)
    if not f.from_market:
        price = f"{price} ({REFERENCE_PRICE_NOTE})"
    if f.action == "no_need":
        if f.daily_use <= 0:
            text = "Sem consumo recente e estoque no mínimo ou acima; não é preciso comprar agora."
        else:
            text = (
                f"Estoque cobre {days_text(f.cover_days)}, além do prazo de entrega "
                f"({f.lead_days} dias) e do horizonte de {f.horizon_days} dias; não é preciso "
                "comprar agora."
            )
    elif f.signal == "opportunity":
        text = _opportunity_text(f, qty, price)
    elif f.action == "wait_until":
        text = (
            f"Estoque cobre {days_text(f.cover_days)} e o preço deve cair "
            f"{format_pct(f.drop_share)} até {format_date_br(f.date)}; espere até lá e compre "
            f"{qty} (economia esperada de {format_brl(f.saving)})."
        )
    elif f.action == "buy_now" and f.signal == "rise" and f.rise_from_trend:
        basis = "" if f.trusted else "A previsão do modelo não supera as referências, mas p"
        text = (
            f"{basis or 'P'}ela tendência das últimas semanas o preço médio esperado sobe "
            f"{format_pct(f.rise_share)} até {format_date_br(f.deadline)}, quando o estoque "
            f"precisa de reposição, mais que o custo de manter o estoque até lá "
            f"({format_pct(f.holding_share)}); compre {qty} agora a {price}."
        )
    elif f.action == "buy_now" and f.signal == "rise":
        text = (
            f"O preço deve subir {format_pct(f.rise_share)} até "
            f"{format_date_br(f.deadline)}, quando o estoque precisa de reposição, mais que o "
            f"custo de manter o estoque até lá ({format_pct(f.holding_share)}); compre {qty} "
            f"agora a {price}."
        )
    elif f.action == "buy_now":
        if f.daily_use <= 0:
            text = (
                f"Estoque ({quantity_text(f.position, f.unit)}) abaixo do mínimo "
                f"({quantity_text(f.minimum, f.unit)}) e sem consumo recente; compre {qty} agora "
                f"para repor o mínimo, a {price}."
            )
        elif f.position < f.minimum:
            text = (
                f"Estoque ({quantity_text(f.position, f.unit)}) já está abaixo do mínimo "
                f"({quantity_text(f.minimum, f.unit)}); compre {qty} agora a {price}."
            )
        else:
            text = (
                f"Estoque cobre só {days_text(f.cover_days)} e chega ao mínimo antes de uma "
                f"entrega pedida hoje (prazo de {f.lead_days} dias); compre {qty} agora a {price}."
            )
    elif f.signal == "rise":  # buy_by a day before a rise
        text = (
            f"O preço deve subir {format_pct(f.rise_share)} até {format_date_br(f.deadline)}, "
            f"quando o estoque precisa de reposição, mais que o custo de manter o estoque até "
            f"lá ({format_pct(f.holding_share)}); compre {qty} até {format_date_br(f.date)}, "
            f"antes da alta (prazo de entrega de {f.lead_days} dias), hoje a {price}."
        )
    elif f.trusted:  # buy_by
        text = (
            f"Estoque cobre {days_text(f.cover_days)} e não há queda de preço relevante "
            f"prevista; compre {qty} até {format_date_br(f.date)} (prazo de entrega de "
            f"{f.lead_days} dias), hoje a {price}."
        )
    else:
        text = (
            f"Estoque cobre {days_text(f.cover_days)}; compre {qty} até "
            f"{format_date_br(f.date)} (prazo de entrega de {f.lead_days} dias), hoje a {price}."
        )
    # A buy ahead of the trend's rise says itself what the price part is based on.
    prefix = None if f.trusted or f.rise_from_trend else FALLBACK_NOTES.get(f.note)
    if prefix is not None:
        text = f"{prefix[:-1]} — {text[0].lower()}{text[1:]}"
    if not f.measured_use:
        text = f"{NO_CONSUMPTION_HISTORY_NOTE[:-1]} — {text[0].lower()}{text[1:]}"
    return text


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
