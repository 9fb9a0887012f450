"""Catalog report: "O que comprar" (the purchase list) and the training summary, then one page
per selected product."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from procurement_pipeline.lib.reporting._pdf import (
    FOOTER_H,
    MARGIN,
    MUTED,
    Column,
    PdfWriter,
    atomic_path,
    draw_header,
    draw_row,
)
from procurement_pipeline.lib.reporting.formatting import (
    MISSING,
    format_brl,
    format_datetime_br,
    format_int,
    format_number,
    format_pct,
    format_pct_points,
)
from procurement_pipeline.lib.reporting.model import (
    DEFAULT_PAGE_SELECTION,
    CatalogSummary,
    ProductMove,
    ProductReportData,
)
from procurement_pipeline.lib.reporting.model_choice import models_used_text, versus_naive
from procurement_pipeline.lib.reporting.product import Renderer, draw_product_page
from procurement_pipeline.lib.reporting.purchases import PurchaseLine

MOVE_COLUMNS = (
    Column("SKU", 70),
    Column("Produto", 200),
    Column("Último preço", 78, "right"),
    Column("Previsão final", 78, "right"),
    Column("Variação", 97, "right"),
)
REASON_COLUMNS = (Column("Motivo", 433), Column("Produtos", 90, "right"))
KV_COLUMNS = (Column("Indicador", 300), Column("Valor", 223, "right"))
PURCHASE_COLUMNS = (
    Column("Produto", 200),
    Column("Ação", 98),
    Column("Quantidade", 72, "right"),
    Column("Preço esperado", 76, "right"),
    Column("Economia", 77, "right"),
)
PURCHASES_TITLE = "O que comprar"


def select_pages(
    summary: CatalogSummary,
    product_pages: Iterable[ProductReportData],
    selection: int | Sequence[str] | None = DEFAULT_PAGE_SELECTION,
) -> list[ProductReportData]:
    """Which products get a page, in order.

    int: the N largest absolute expected moves (summary order) among product_pages;
    a sequence of SKUs: those, in that order; None: every product page as given.
    """
    pages = list(product_pages)
    if selection is None:
        return pages
    by_sku = {p.sku: p for p in pages}
    if isinstance(selection, int):
        skus = [m.sku for m in summary.moves if m.sku in by_sku][:selection]
    else:
        skus = [s for s in selection if s in by_sku]
    return [by_sku[s] for s in skus]


def _move_rows(moves: list[ProductMove]) -> list[list[str]]:
    return [
        [
            m.sku,
            m.name,
            format_brl(m.last_price),
            format_brl(m.last_forecast),
            format_pct(m.move, signed=True),
        ]
        for m in moves
    ]


def _purchase_row(line: PurchaseLine) -> list[str]:
    # Imported here: lib.recommendations imports lib.reporting.formatting at module level.
    from procurement_pipeline.lib.recommendations.engine import quantity_text
    from procurement_pipeline.lib.recommendations.messages import action_label

    return [
        f"{line.sku} \u2014 {line.name}",
        action_label(line.action, line.action_date),
        quantity_text(line.quantity, line.unit),
        format_brl(line.expected_unit_price),
        format_brl(line.expected_saving),
    ]


def draw_purchases(
    writer: PdfWriter, purchases: Sequence[PurchaseLine], to_buy: int | None, products: int | None
) -> None:
    """The purchase list: one table row per product, its reason in a line below."""
    writer.heading(PURCHASES_TITLE)
    if to_buy is not None and products:
        writer.paragraph(
            f"{format_int(to_buy)} de {format_int(products)} produtos precisam de compra no "
            f"horizonte; {'os' if len(purchases) > 1 else 'o'} {format_int(len(purchases))} "
            "mais urgentes, pela data limite do pedido (depois pela economia esperada):",
            size=8.5,
            color=MUTED,
            gap=4,
        )
    size, row_h = 8.0, 12.5
    if not purchases:
        writer.table(PURCHASE_COLUMNS, [], empty_text="Nenhuma compra recomendada no horizonte.")
        return
    writer.ensure(row_h * 3)
    writer.y = draw_header(writer.canvas, PURCHASE_COLUMNS, MARGIN, writer.y, size, row_h)
    for index, line in enumerate(purchases):
        if writer.y - row_h * 2.6 < MARGIN + FOOTER_H - 14:
            writer.start_page()
            writer.y = draw_header(writer.canvas, PURCHASE_COLUMNS, MARGIN, writer.y, size, row_h)
        writer.y = draw_row(
            writer.canvas,
            PURCHASE_COLUMNS,
            _purchase_row(line),
            MARGIN,
            writer.y,
            size,
            row_h,
            zebra=index % 2 == 1,
        )
        writer.spacer(1.5)
        writer.paragraph(line.reason, size=7, color=MUTED, max_lines=2, gap=2.5)
    writer.paragraph(
        "Economia: esperada contra comprar a mesma quantidade hoje. Quantidade sugerida: mantém "
        "o estoque acima do mínimo durante o prazo de entrega e o horizonte.",
        size=7.5,
        color=MUTED,
        gap=4,
    )


def draw_summary(
    writer: PdfWriter,
    summary: CatalogSummary,
    pages_selected: int,
    purchases: Sequence[PurchaseLine] | None = None,
    purchases_to_buy: int | None = None,
) -> None:
    writer.start_page()
    writer.text(summary.title, font="Helvetica-Bold", size=17, gap=4)
    writer.text(
        f"Gerado em {format_datetime_br(summary.generated_at)} \u00b7 horizonte de previsão: "
        f"{summary.horizon_days} dias",
        size=9,
        color=MUTED,
        gap=8,
    )
    if purchases is not None:
        draw_purchases(writer, purchases, purchases_to_buy, summary.products_total)
    total = summary.products_total or 0

    def share(n: int) -> str:
        return f"{format_int(n)} ({format_pct(n / total)})" if total else format_int(n)

    writer.heading("Resumo do treinamento")
    m = summary.median_metrics
    writer.table(
        KV_COLUMNS,
        [
            ["Produtos no catálogo", format_int(total)],
            ["Modelos treinados", share(summary.trained)],
            ["Produtos ignorados", share(summary.skipped)],
            ["Falhas no treinamento", share(summary.failed)],
            ["MAE mediano (holdout)", format_brl(m.get("mae"))],
            ["RMSE mediano (holdout)", format_brl(m.get("rmse"))],
            ["MAPE mediano (holdout)", format_pct_points(m.get("mape"))],
            ["Cobertura mediana do intervalo de 80%", format_pct(m.get("coverage_80"))],
            ["Modelos usados", models_used_text(summary.models_used)],
            ["Erro mediano no holdout", versus_naive(m.get("mase_naive"))],
            ["MASE mediano vs. ingênuo", format_number(m.get("mase_naive"), 2)],
            ["MASE mediano vs. sazonal ingênuo", format_number(m.get("mase_seasonal_naive"), 2)],
            ["Modelos que superam o ingênuo", format_pct(summary.share_beats_naive)],
            [
                "Modelos que superam o sazonal ingênuo",
                format_pct(summary.share_beats_seasonal_naive),
            ],
        ],
        size=8.5,
    )
    writer.text(
        "MASE abaixo de 1 significa que o modelo erra menos que a referência no período de "
        "holdout.",
        size=7.5,
        color=MUTED,
    )

    writer.heading(f"Maiores altas esperadas nos próximos {summary.horizon_days} dias")
    writer.table(MOVE_COLUMNS, _move_rows(summary.top_up), empty_text="Nenhuma alta prevista.")
    writer.heading(f"Maiores quedas esperadas nos próximos {summary.horizon_days} dias")
    writer.table(MOVE_COLUMNS, _move_rows(summary.top_down), empty_text="Nenhuma queda prevista.")
    writer.text(
        "Variação esperada = último valor previsto (yhat) vs. último preço observado.",
        size=7.5,
        color=MUTED,
    )

    writer.heading(f"Produtos ignorados por motivo ({format_int(summary.skipped)})")
    writer.table(
        REASON_COLUMNS,
        [[reason, format_int(n)] for reason, n in summary.skipped_reasons.items()],
        empty_text="Nenhum produto ignorado.",
    )
    writer.heading(f"Falhas por motivo ({format_int(summary.failed)})")
    writer.table(
        REASON_COLUMNS,
        [[reason, format_int(n)] for reason, n in summary.failed_reasons.items()],
        empty_text="Nenhuma falha.",
    )
    if pages_selected:
        writer.paragraph(
            f"As {format_int(pages_selected)} páginas seguintes detalham os produtos "
            "selecionados (por padrão, os de maior variação esperada, em valor absoluto).",
            size=8.5,
            color=MUTED,
        )
    else:
        writer.text(f"Nenhum produto selecionado para detalhamento {MISSING}.", size=8.5)


def build_catalog_report(
    summary: CatalogSummary,
    product_pages: Iterable[ProductReportData],
    path: str | os.PathLike[str],
    *,
    selection: int | Sequence[str] | None = DEFAULT_PAGE_SELECTION,
    renderer: Renderer = "vector",
    purchases: Sequence[PurchaseLine] | None = None,
    purchases_to_buy: int | None = None,
) -> int:
    """Write the catalog PDF atomically; return its page count (summary pages + selection).

    ``purchases``: the "O que comprar" lines (first section; omitted when None) and
    ``purchases_to_buy`` how many products need buying in all (the lines may be the top N)."""
    chosen = select_pages(summary, product_pages, selection)
    with atomic_path(path) as tmp:
        writer = PdfWriter(
            tmp,
            title=summary.title,
            footer=f"{summary.title} \u2014 {format_datetime_br(summary.generated_at)}",
            generated_at=summary.generated_at,
        )
        draw_summary(writer, summary, len(chosen), purchases, purchases_to_buy)
        for data in chosen:
            draw_product_page(writer, data, renderer=renderer)
        return writer.finish()
