"""Global report: the catalog-wide price index, its holdout evaluation and forecast."""

from __future__ import annotations

import os

from procurement_pipeline.lib.reporting._pdf import MUTED, PdfWriter, atomic_path
from procurement_pipeline.lib.reporting.charts import ChartData
from procurement_pipeline.lib.reporting.formatting import (
    format_date_br,
    format_datetime_br,
    format_int,
    format_number,
    format_pct,
)
from procurement_pipeline.lib.reporting.model import GlobalReportData, expected_move
from procurement_pipeline.lib.reporting.product import (
    STATUS_PT,
    Renderer,
    draw_chart,
    draw_metrics,
    draw_tables_page,
)


def build_global_report(
    data: GlobalReportData,
    path: str | os.PathLike[str],
    *,
    renderer: Renderer = "matplotlib",
) -> int:
    """Write the global index PDF atomically; return its page count."""
    with atomic_path(path) as tmp:
        writer = PdfWriter(tmp, title=data.title, footer=f"Relatório global \u2014 {data.title}")
        writer.start_page()
        writer.text(data.title, font="Helvetica-Bold", size=17, gap=4)
        info = [f"Situação do modelo: {STATUS_PT.get(data.status, data.status)}"]
        if data.products is not None:
            info.append(f"produtos no índice: {format_int(data.products)}")
        writer.text(" \u00b7 ".join(info), size=9, color=MUTED, gap=3)
        writer.text(
            f"Janela de treino: {format_date_br(data.train_start)} a "
            f"{format_date_br(data.train_end)} \u00b7 Modelo treinado em "
            f"{format_datetime_br(data.trained_at)}",
            size=9,
            color=MUTED,
            gap=6,
        )
        history = data.index_history
        trained = data.status == "trained"
        if not trained:
            writer.note_box(
                f"Modelo global não treinado. Motivo: {data.reason or 'não informado'}."
            )
        if history is not None and not history.empty:
            last = history.sort_values("day").iloc[-1]
            text = (
                f"Último valor do índice: {format_number(last['index_value'], 2)} "
                f"({format_date_br(last['day'])})"
            )
            if trained and data.forecast is not None and not data.forecast.empty:
                fc = data.forecast.sort_values("ds").iloc[-1]
                move = expected_move(last["index_value"], fc["yhat"])
                text += (
                    f" \u00b7 previsão para {format_date_br(fc['ds'])}: "
                    f"{format_number(fc['yhat'], 2)} ({format_pct(move, signed=True)})"
                )
            writer.text(text, font="Helvetica-Bold", size=9.5, gap=6)
        chart = ChartData.build(
            history=history,
            history_value="index_value",
            forecast=data.forecast,
            holdout=data.holdout,
            train_end=data.train_end,
            include_forecast=trained,
            y_label="Índice",
            money=False,
            history_label="Índice observado",
        )
        if chart.empty:
            writer.text("Sem histórico do índice.", size=9, color=MUTED)
        else:
            draw_chart(
                writer,
                chart,
                300,
                renderer=renderer,
                title="Índice de preços: histórico, holdout e previsão (intervalo de 80%)",
            )
        if trained:
            writer.heading("Avaliação no holdout: modelo vs. referências", size=11)
            draw_metrics(writer, data.metrics, money=False)
            draw_tables_page(
                writer,
                f"{data.title} \u2014 previsão diária e avaliação",
                data.forecast,
                data.holdout,
                money=False,
            )
        return writer.finish()
