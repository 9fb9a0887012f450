"""Small layout layer over the reportlab canvas: atomic files, a cursor that breaks pages,
wrapped paragraphs and fixed-width tables. Direct canvas drawing (no platypus) keeps a product
page at a few milliseconds and its page count predictable."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen.canvas import Canvas

# The artifact store's atomic writer, re-exported for the report builders: its temporary file
# gets the mode open() gives (0666 & ~umask), not mkstemp's 0600, so a dashboard or backup job
# running as another user can read the PDFs.
from procurement_pipeline.lib import clock
from procurement_pipeline.lib.artifacts import atomic_path as atomic_path
from procurement_pipeline.lib.reporting.formatting import format_datetime_br

# Compressed streams stay binary: ASCII85 only makes files 25% larger and, without reportlab's
# optional C accelerator, costs more time than the rest of the page (measured: ~40%).
rl_config.useA85 = 0

PAGE_W, PAGE_H = A4
MARGIN = 36.0
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_H = 22.0
HEADER_BG = colors.HexColor("#1f4e79")
ZEBRA = colors.HexColor("#f2f5f9")
MUTED = colors.HexColor("#555555")


def fit_text(text: str, font: str, size: float, width: float, canvas: Canvas) -> str:
    """Truncate with an ellipsis so the text fits in width."""
    if canvas.stringWidth(text, font, size) <= width:
        return text
    ellipsis = "\u2026"
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if canvas.stringWidth(text[:mid] + ellipsis, font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + ellipsis


def latin1(text: object) -> str:
    """Helvetica (WinAnsi) covers Portuguese; replace what it cannot draw."""
    value = "" if text is None else str(text)
    try:
        value.encode("cp1252")
        return value
    except UnicodeEncodeError:
        return value.encode("cp1252", errors="replace").decode("cp1252")


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    align: str = "left"  # left | right | center


class PdfWriter:
    """A canvas with a vertical cursor, page footers and a page counter."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        title: str,
        footer: str,
        generated_at: dt.datetime | None = None,
        compress: bool = True,
    ) -> None:
        self.canvas = Canvas(str(path), pagesize=A4, pageCompression=1 if compress else 0)
        self.canvas.setTitle(latin1(title))
        self.canvas.setAuthor("procurement_pipeline")
        self.canvas.setCreator("procurement_pipeline")
        self.footer = latin1(footer)
        self.generated = format_datetime_br(generated_at or clock.now())
        self.pages = 0
        self.y = PAGE_H - MARGIN
        self._page_open = False

    # pages -----------------------------------------------------------------------------
    def start_page(self) -> None:
        if self._page_open:
            self.end_page()
        self._page_open = True
        self.y = PAGE_H - MARGIN

    def end_page(self) -> None:
        if not self._page_open:
            return
        c = self.canvas
        self.pages += 1
        c.setFont("Helvetica", 7)
        c.setFillColor(MUTED)
        c.drawString(MARGIN, MARGIN - 14, fit_text(self.footer, "Helvetica", 7, CONTENT_W - 160, c))
        c.drawRightString(
            PAGE_W - MARGIN, MARGIN - 14, f"Gerado em {self.generated} \u2014 página {self.pages}"
        )
        c.showPage()
        self._page_open = False

    def ensure(self, height: float) -> None:
        """Start a new page unless height fits above the footer."""
        if not self._page_open or self.y - height < MARGIN + FOOTER_H - 14:
            self.start_page()

    def finish(self) -> int:
        self.end_page()
        self.canvas.save()
        return self.pages

    # text --------------------------------------------------------------------------------
    def text(
        self,
        text: str,
        *,
        font: str = "Helvetica",
        size: float = 9,
        color: colors.Color = colors.black,
        gap: float = 3,
        x: float = MARGIN,
    ) -> None:
        self.ensure(size + gap)
        c = self.canvas
        c.setFont(font, size)
        c.setFillColor(color)
        self.y -= size
        c.drawString(x, self.y, fit_text(latin1(text), font, size, PAGE_W - MARGIN - x, c))
        self.y -= gap

    def paragraph(
        self,
        text: str,
        *,
        font: str = "Helvetica",
        size: float = 9,
        color: colors.Color = colors.black,
        width: float = CONTENT_W,
        max_lines: int | None = None,
        gap: float = 4,
    ) -> None:
        lines = simpleSplit(latin1(text), font, size, width) or [""]
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = fit_text(lines[-1] + " \u2026", font, size, width, self.canvas)
        leading = size * 1.25
        for line in lines:
            self.ensure(leading)
            self.canvas.setFont(font, size)
            self.canvas.setFillColor(color)
            self.y -= size
            self.canvas.drawString(MARGIN, self.y, line)
            self.y -= leading - size
        self.y -= gap

    def heading(self, text: str, size: float = 12, space_before: float = 6) -> None:
        self.ensure(space_before + size + 24)  # keep a heading with what follows
        self.y -= space_before
        self.text(text, font="Helvetica-Bold", size=size, color=HEADER_BG, gap=4)

    def spacer(self, height: float) -> None:
        self.y -= height

    def note_box(self, text: str, *, fill: str = "#fff4e5", stroke: str = "#e07b00") -> None:
        lines = simpleSplit(latin1(text), "Helvetica", 9, CONTENT_W - 16)
        height = 12 + len(lines) * 11.5
        self.ensure(height + 4)
        c = self.canvas
        c.setFillColor(colors.HexColor(fill))
        c.setStrokeColor(colors.HexColor(stroke))
        c.setLineWidth(0.8)
        c.rect(MARGIN, self.y - height, CONTENT_W, height, stroke=1, fill=1)
        c.setFillColor(colors.black)
        c.setFont("Helvetica", 9)
        yy = self.y - 6 - 9
        for line in lines:
            c.drawString(MARGIN + 8, yy, line)
            yy -= 11.5
        self.y -= height + 6

    # tables ------------------------------------------------------------------------------
    def table(
        self,
        columns: Sequence[Column],
        rows: Sequence[Sequence[str]],
        *,
        size: float = 8,
        x: float = MARGIN,
        empty_text: str = "Nenhum registro.",
        bold_first_column: bool = False,
    ) -> None:
        """Draw a table at the cursor, repeating the header on each new page."""
        row_h = size + 4.5
        if not rows:
            self._table_header(columns, x, size, row_h)
            self.text(empty_text, size=size, color=MUTED, x=x + 3)
            return
        self.ensure(row_h * 2)
        self._table_header(columns, x, size, row_h)
        for index, row in enumerate(rows):
            if self.y - row_h < MARGIN + FOOTER_H - 14:
                self.start_page()
                self._table_header(columns, x, size, row_h)
            self.y = draw_row(
                self.canvas,
                columns,
                row,
                x,
                self.y,
                size,
                row_h,
                zebra=index % 2 == 1,
                bold_first=bold_first_column,
            )
        self.y -= 4

    def _table_header(self, columns: Sequence[Column], x: float, size: float, row_h: float) -> None:
        self.ensure(row_h)
        self.y = draw_header(self.canvas, columns, x, self.y, size, row_h)


def draw_header(
    c: Canvas, columns: Sequence[Column], x: float, y: float, size: float, row_h: float
) -> float:
    total = sum(col.width for col in columns)
    c.setFillColor(HEADER_BG)
    c.rect(x, y - row_h, total, row_h, stroke=0, fill=1)
    c.setFillColor(colors.white)
    c.setFont("Helvetica-Bold", size)
    _cells(c, columns, [col.header for col in columns], x, y - row_h + 3.2, "Helvetica-Bold", size)
    return y - row_h


def draw_row(
    c: Canvas,
    columns: Sequence[Column],
    row: Sequence[str],
    x: float,
    y: float,
    size: float,
    row_h: float,
    *,
    zebra: bool = False,
    bold_first: bool = False,
) -> float:
    if zebra:
        c.setFillColor(ZEBRA)
        c.rect(x, y - row_h, sum(col.width for col in columns), row_h, stroke=0, fill=1)
    c.setFillColor(colors.black)
    c.setFont("Helvetica", size)
    _cells(c, columns, row, x, y - row_h + 3.2, "Helvetica", size, bold_first=bold_first)
    return y - row_h


def _cells(
    c: Canvas,
    columns: Sequence[Column],
    values: Sequence[str],
    x: float,
    baseline: float,
    font: str,
    size: float,
    *,
    bold_first: bool = False,
) -> None:
    """One text object per row: far fewer PDF operators than a drawString per cell."""
    pad = 3.0
    text_object = c.beginText()
    current = font
    previous: float | None = None
    text_object.setFont(font, size)
    for i, (col, value) in enumerate(zip(columns, values, strict=False)):
        cell_font = "Helvetica-Bold" if bold_first and i == 0 else font
        if cell_font != current:
            text_object.setFont(cell_font, size)
            current = cell_font
        text = latin1(value)
        width = c.stringWidth(text, cell_font, size)
        if width > col.width - 2 * pad:
            text = fit_text(text, cell_font, size, col.width - 2 * pad, c)
            width = c.stringWidth(text, cell_font, size)
        if col.align == "right":
            left = x + col.width - pad - width
        elif col.align == "center":
            left = x + (col.width - width) / 2
        else:
            left = x + pad
        if previous is None:
            text_object.setTextOrigin(left, baseline)
        else:  # relative move ("Td", 2 numbers) instead of a full text matrix (6 numbers)
            text_object.moveCursor(left - previous, 0)
        previous = left
        text_object.textOut(text)
        x += col.width
    if current != font:
        text_object.setFont(font, size)
    c.drawText(text_object)
