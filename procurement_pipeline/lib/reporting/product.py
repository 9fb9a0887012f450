"""Product reports: one page (catalog section) or two (standalone) per product."""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import functools
import multiprocessing
import os
import time
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import pandas as pd
from reportlab.lib import colors

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.artifacts import ArtifactStore
from procurement_pipeline.lib.logging import get_logger
from procurement_pipeline.lib.reporting import _pdf
from procurement_pipeline.lib.reporting._pdf import (
    CONTENT_W,
    MARGIN,
    MUTED,
    Column,
    PdfWriter,
    atomic_path,
    draw_header,
    draw_row,
    latin1,
)
from procurement_pipeline.lib.reporting.charts import (
    ChartData,
    MatplotlibChartRenderer,
    draw_vector_chart,
)
from procurement_pipeline.lib.reporting.formatting import (
    MISSING,
    format_brl,
    format_date_br,
    format_datetime_br,
    format_int,
    format_number,
    format_pct,
    format_pct_points,
    format_yes_no,
    is_missing,
)
from procurement_pipeline.lib.reporting.model import ProductReportData, expected_move
from procurement_pipeline.lib.reporting.model_choice import model_sentence

Renderer = Literal["vector", "matplotlib"]
STATUS_PT = {"trained": "treinado", "skipped": "ignorado", "failed": "falhou"}
OFFERS_ON_PAGE = 8
CHART_H = 235.0
MAX_REASON_CHARS = 400

log = get_logger(__name__)


class ReportBuildError(RuntimeError):
    """Some product reports could not be built; .failures maps SKU -> error text."""

    def __init__(self, failures: dict[str, str]) -> None:
        self.failures = failures
        sample = "; ".join(f"{sku}: {err}" for sku, err in list(failures.items())[:5])
        super().__init__(f"{len(failures)} product report(s) failed: {sample}")


@dataclasses.dataclass(frozen=True)
class ReportBatch:
    """What one build_product_reports call made: (sku, path, pages) per built report in input
    order, and SKU -> error text for the products that failed (the others were built)."""

    built: list[tuple[str, Path, int]]
    failures: dict[str, str]

    def raise_for_failures(self) -> None:
        if self.failures:
            raise ReportBuildError(self.failures)


@functools.lru_cache(maxsize=1)
def _matplotlib_renderer() -> MatplotlibChartRenderer:
    """One Figure per process, reused for every chart (not for concurrent threads: report
    building parallelises with processes)."""
    return MatplotlibChartRenderer()


def draw_chart(
    writer: PdfWriter,
    data: ChartData,
    height: float,
    *,
    renderer: Renderer = "vector",
    title: str | None = None,
) -> None:
    writer.ensure(height)
    y = writer.y - height
    if renderer == "matplotlib":
        _matplotlib_renderer().draw(writer.canvas, data, MARGIN, y, CONTENT_W, height, title=title)
    else:
        draw_vector_chart(writer.canvas, data, MARGIN, y, CONTENT_W, height, title=title)
    writer.y = y - 6


def metrics_rows(metrics: dict[str, Any] | None, *, money: bool = True) -> list[list[str]]:
    """Holdout metrics of the model beside the naive and seasonal-naive baselines."""
    m = metrics or {}
    err = format_brl if money else (lambda v: format_number(v, 2))

    def get(key: str) -> Any:
        return m.get(key)

    return [
        ["MAE", err(get("mae")), err(get("naive_mae")), err(get("seasonal_naive_mae"))],
        ["RMSE", err(get("rmse")), err(get("naive_rmse")), err(get("seasonal_naive_rmse"))],
        [
            "MAPE",
            format_pct_points(get("mape")),
            format_pct_points(get("naive_mape")),
            format_pct_points(get("seasonal_naive_mape")),
        ],
        [
            "MASE do modelo (erro ÷ erro da referência)",
            MISSING,
            format_number(get("mase_naive"), 2),
            format_number(get("mase_seasonal_naive"), 2),
        ],
        [
            "O modelo supera a referência?",
            MISSING,
            format_yes_no(get("beats_naive")),
            format_yes_no(get("beats_seasonal_naive")),
        ],
    ]


METRIC_COLUMNS = (
    Column("Métrica (holdout)", 200),
    Column("Modelo", 107, "right"),
    Column("Ingênuo", 107, "right"),
    Column("Sazonal ingênuo", 109, "right"),
)


def draw_metrics(writer: PdfWriter, metrics: dict[str, Any] | None, *, money: bool = True) -> None:
    writer.table(METRIC_COLUMNS, metrics_rows(metrics, money=money), bold_first_column=True)
    m = metrics or {}
    mse = format_number(m.get("mse"), 2)
    writer.text(
        f"Cobertura do intervalo de 80%: {format_pct(m.get('coverage_80'))} \u00b7 "
        f"Dias de holdout: {format_int(m.get('holdout_days'))} \u00b7 MSE: {mse}",
        size=8,
        color=MUTED,
    )


def _offer_rows(offers: pd.DataFrame | None) -> list[list[str]]:
    if offers is None or offers.empty:
        return []
    frame = offers
    if "scraped_at" in frame.columns:
        frame = frame.sort_values("scraped_at", ascending=False, na_position="last")
    rows = []
    for rec in frame.to_dict("records"):
        sponsored = rec.get("sponsored")
        rows.append(
            [
                str(rec.get("title") or MISSING),
                str(rec.get("seller") or MISSING),
                format_brl(rec.get("price")),
                MISSING if is_missing(sponsored) else format_yes_no(sponsored),
                format_datetime_br(rec.get("scraped_at")),
            ]
        )
    return rows


OFFER_COLUMNS = (
    Column("Anúncio", 192),
    Column("Vendedor", 100),
    Column("Preço", 62, "right"),
    Column("Patrocinado", 56, "center"),
    Column("Coletado em", 113, "right"),
)


def _header(writer: PdfWriter, data: ProductReportData) -> None:
    writer.start_page()
    writer.paragraph(data.name or data.sku, font="Helvetica-Bold", size=15, max_lines=2, gap=2)
    details = [f"SKU: {data.sku}"]
    if data.category:
        details.append(f"Categoria: {data.category}")
    if data.unit:
        details.append(f"Unidade: {data.unit}")
    details.append(f"Situação do modelo: {STATUS_PT.get(data.status, data.status)}")
    writer.text(" \u00b7 ".join(details), size=9, color=MUTED, gap=5)


def _key_figures(writer: PdfWriter, data: ProductReportData) -> None:
    last_price = data.last_price
    parts = [
        f"Último preço observado: {format_brl(last_price)} "
        f"({format_date_br(data.last_observed_day)})"
    ]
    if data.status == "trained" and data.forecast is not None and not data.forecast.empty:
        fc = data.forecast.sort_values("ds").iloc[-1]
        move = expected_move(last_price, fc.get("yhat"))
        parts.append(
            f"Previsão para {format_date_br(fc.get('ds'))}: {format_brl(fc.get('yhat'))} "
            f"({format_pct(move, signed=True)})"
        )
        parts.append(
            f"Intervalo de 80% na data final: {format_brl(fc.get('yhat_lower'))} a "
            f"{format_brl(fc.get('yhat_upper'))}"
        )
    writer.text(" \u00b7 ".join(parts[:2]), font="Helvetica-Bold", size=9.5, gap=2)
    if len(parts) > 2:
        writer.text(parts[2], size=8.5, color=MUTED, gap=2)
    if data.status == "trained":
        writer.text(
            f"Janela de treino: {format_date_br(data.train_start)} a "
            f"{format_date_br(data.train_end)} \u00b7 Modelo treinado em "
            f"{format_datetime_br(data.trained_at)}",
            size=8.5,
            color=MUTED,
            gap=6,
        )


def draw_product_page(
    writer: PdfWriter,
    data: ProductReportData,
    *,
    renderer: Renderer = "vector",
    offers_limit: int = OFFERS_ON_PAGE,
) -> None:
    """One page: header, key figures, chart, holdout metrics, latest offers."""
    _header(writer, data)
    _key_figures(writer, data)
    trained = data.status == "trained"
    if not trained:
        label = "Produto ignorado no treinamento" if data.status == "skipped" else "Falha no treino"
        reason = (data.reason or "não informado").strip()
        if len(reason) > MAX_REASON_CHARS:  # keeps the page to one page
            reason = reason[:MAX_REASON_CHARS].rstrip() + " \u2026"
        writer.note_box(f"{label}. Motivo: {reason}")
    chart = ChartData.build(
        history=data.history,
        synthetic_history=data.synthetic_history,
        forecast=data.forecast,
        holdout=data.holdout,
        train_end=data.train_end,
        include_forecast=trained,
        y_label=f"R$/{data.unit}" if data.unit else "R$",
    )
    title = "Preço diário, previsão e intervalo de 80%" if trained else "Histórico de preços"
    if chart.empty:
        writer.text("Sem histórico de preços para este produto.", size=9, color=MUTED)
    else:
        draw_chart(
            writer, chart, CHART_H if trained else CHART_H + 40, renderer=renderer, title=title
        )
    if trained:
        writer.heading("Avaliação no holdout: modelo vs. referências", size=10, space_before=2)
        writer.paragraph(model_sentence(data.metrics), size=8.5, max_lines=2, gap=3)
        draw_metrics(writer, data.metrics)
    offers = _offer_rows(data.latest_offers)
    writer.heading("Últimas ofertas coletadas", size=10, space_before=4)
    shown = offers[:offers_limit]
    # Keep the section on this page: only as many rows as fit above the footer.
    row_h = 8 + 4.5
    room = int((writer.y - (MARGIN + _pdf.FOOTER_H - 14) - 2 * row_h - 14) // row_h)
    shown = shown[: max(room, 0)]
    writer.table(OFFER_COLUMNS, shown, empty_text="Nenhuma oferta coletada.")
    if len(offers) > len(shown):
        writer.text(
            f"\u2026 e mais {len(offers) - len(shown)} oferta(s).", size=7.5, color=MUTED, gap=2
        )


def _side_by_side_table(
    writer: PdfWriter,
    x: float,
    y: float,
    columns: tuple[Column, ...],
    rows: list[list[str]],
    max_rows: int,
) -> None:
    c = writer.canvas
    size, row_h = 7.5, 11.5
    y = draw_header(c, columns, x, y, size, row_h)
    for i, row in enumerate(rows[:max_rows]):
        y = draw_row(c, columns, row, x, y, size, row_h, zebra=i % 2 == 1)
    if len(rows) > max_rows:
        c.setFont("Helvetica", 7)
        c.setFillColor(MUTED)
        c.drawString(x + 3, y - 9, f"\u2026 e mais {len(rows) - max_rows} dia(s).")


FORECAST_COLUMNS = (
    Column("Data", 58),
    Column("Previsão", 62, "right"),
    Column("Inferior 80%", 62, "right"),
    Column("Superior 80%", 62, "right"),
)
HOLDOUT_COLUMNS = (
    Column("Data", 54),
    Column("Real", 54, "right"),
    Column("Modelo", 54, "right"),
    Column("Ingênuo", 54, "right"),
    Column("Sazonal", 55, "right"),
)


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    """A column as a Python list (None when the column is absent): faster than to_dict."""
    if name in frame.columns:
        return frame[name].tolist()
    return [None] * len(frame)


def forecast_rows(forecast: pd.DataFrame | None, money: bool = True) -> list[list[str]]:
    if forecast is None or forecast.empty:
        return []
    fmt = format_brl if money else (lambda v: format_number(v, 2))
    return [
        [
            format_date_br(r["ds"]),
            fmt(r["yhat"]),
            fmt(r.get("yhat_lower")),
            fmt(r.get("yhat_upper")),
        ]
        for r in forecast.sort_values("ds").to_dict("records")
    ]


def holdout_rows(holdout: pd.DataFrame | None, money: bool = True) -> list[list[str]]:
    if holdout is None or holdout.empty:
        return []
    fmt = format_brl if money else (lambda v: format_number(v, 2))
    frame = holdout.sort_values("ds")
    columns = ("ds", "y", "yhat", "naive", "seasonal_naive")
    return [
        [format_date_br(ds), fmt(y), fmt(yhat), fmt(naive), fmt(snaive)]
        for ds, y, yhat, naive, snaive in zip(*(_column(frame, c) for c in columns), strict=True)
    ]


def draw_tables_page(
    writer: PdfWriter,
    heading: str,
    forecast: pd.DataFrame | None,
    holdout: pd.DataFrame | None,
    *,
    money: bool = True,
) -> None:
    """Daily forecast and holdout tables side by side on one page."""
    writer.start_page()
    writer.text(heading, font="Helvetica-Bold", size=12, color=_pdf.HEADER_BG, gap=8)
    c = writer.canvas
    top = writer.y
    left_x, right_x = MARGIN, MARGIN + sum(col.width for col in FORECAST_COLUMNS) + 12
    c.setFont("Helvetica-Bold", 9.5)
    c.setFillColor(colors.black)
    c.drawString(left_x, top - 10, "Previsão diária")
    c.drawString(right_x, top - 10, "Holdout: real vs. modelo e referências")
    max_rows = int((top - 16 - (MARGIN + 24)) // 11.5) - 1
    _side_by_side_table(
        writer, left_x, top - 16, FORECAST_COLUMNS, forecast_rows(forecast, money), max_rows
    )
    _side_by_side_table(
        writer, right_x, top - 16, HOLDOUT_COLUMNS, holdout_rows(holdout, money), max_rows
    )
    writer.y = MARGIN + 24


def _write_product_pdf(
    data: ProductReportData, path: Path, *, renderer: Renderer, detail_page: bool
) -> int:
    writer = PdfWriter(
        path,
        title=f"Relatório do produto {data.name} ({data.sku})",
        footer=f"Relatório de preços \u2014 {data.name} ({data.sku})",
    )
    draw_product_page(writer, data, renderer=renderer)
    has_tables = (data.forecast is not None and not data.forecast.empty) or (
        data.holdout is not None and not data.holdout.empty
    )
    if detail_page and data.status == "trained" and has_tables:
        draw_tables_page(
            writer,
            f"{latin1(data.name)} ({data.sku}) \u2014 previsão diária e avaliação",
            data.forecast,
            data.holdout,
        )
    return writer.finish()


def build_product_report(
    data: ProductReportData,
    path: str | os.PathLike[str],
    *,
    renderer: Renderer = "vector",
    detail_page: bool = True,
) -> int:
    """Write one product's PDF atomically; return its page count (1, or 2 with daily tables)."""
    with atomic_path(path) as tmp:
        return _write_product_pdf(data, tmp, renderer=renderer, detail_page=detail_page)


def _build_chunk(
    chunk: list[ProductReportData], artifact_root: str, renderer: Renderer
) -> list[tuple[str, str, int | None, str | None]]:
    store = ArtifactStore(artifact_root)
    results: list[tuple[str, str, int | None, str | None]] = []
    for data in chunk:
        path = str(store.path(artifacts.product_report_path(data.sku)))
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            pages = build_product_report(data, path, renderer=renderer)
            results.append((data.sku, path, pages, None))
        except Exception as exc:  # reported per SKU by the parent
            results.append((data.sku, path, None, f"{type(exc).__name__}: {exc}"))
    return results


def _chunks(items: Iterable[ProductReportData], size: int) -> Iterator[list[ProductReportData]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def build_product_reports(
    items: Iterable[ProductReportData],
    artifact_root: str | os.PathLike[str],
    workers: int = 2,
    *,
    renderer: Renderer = "vector",
    chunk_size: int = 25,
) -> ReportBatch:
    """Build one PDF per product in a process pool, each at ``artifacts.product_report_path``
    under ``artifact_root``.

    Items are consumed lazily in chunks, with at most 2 chunks per worker in flight, so a
    generator over thousands of products never sits in memory at once. workers <= 1 builds in
    this process. A product that fails does not stop the others: the batch names it in
    ``failures`` (``raise_for_failures`` turns that into a ReportBuildError).
    """
    root = str(ArtifactStore(artifact_root).root)
    started = time.perf_counter()
    results: list[tuple[str, Path, int]] = []
    failures: dict[str, str] = {}

    def collect(rows: list[tuple[str, str, int | None, str | None]]) -> None:
        for sku, path, pages, error in rows:
            if error is None and pages is not None:
                results.append((sku, Path(path), pages))
            else:
                failures[sku] = error or "unknown error"
                log.warning("product_report_failed", sku=sku, error=error)

    if workers <= 1:
        for chunk in _chunks(items, chunk_size):
            collect(_build_chunk(chunk, root, renderer))
    else:
        # spawn: safe inside a multi-threaded host process (Dagster), same on every OS.
        context = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending: list[cf.Future[Any]] = []
            for chunk in _chunks(items, chunk_size):
                pending.append(pool.submit(_build_chunk, chunk, root, renderer))
                while len(pending) >= workers * 2:
                    collect(pending.pop(0).result())
            for future in pending:
                collect(future.result())
    log.info(
        "product_reports_built",
        reports=len(results),
        failed=len(failures),
        workers=workers,
        seconds=round(time.perf_counter() - started, 2),
    )
    return ReportBatch(built=results, failures=failures)
