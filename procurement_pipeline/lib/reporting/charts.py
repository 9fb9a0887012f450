"""Price charts for the PDF reports.

Two renderers draw the same ChartData:

- "vector" draws lines straight onto the reportlab canvas (no raster, no matplotlib): crisp at
  any zoom, and measured about ten times faster than a PNG from matplotlib, so product pages use
  it by default;
- "matplotlib" renders a PNG in memory with the object-oriented API (Agg, one Figure reused per
  renderer, modest DPI) — used for the global index chart and available for product pages.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
from typing import Any

import matplotlib

matplotlib.use("Agg")  # before anything imports pyplot; we never use pyplot state here.

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402
from reportlab.lib import colors  # noqa: E402
from reportlab.lib.utils import ImageReader  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from procurement_pipeline.lib import clock
from procurement_pipeline.lib.reporting.formatting import format_number  # noqa: E402
from procurement_pipeline.lib.reporting.model import (  # noqa: E402
    SYNTHETIC_LABEL,
    synthetic_on_gap_days,
)

EPOCH = dt.date(1970, 1, 1)

# One palette for both renderers (hex for matplotlib, reportlab colors below).
C_HISTORY = "#1f4e79"
C_INTERPOLATED = "#8c8c8c"
C_SYNTHETIC = "#6e6e6e"  # grey diamonds on a dotted line: visibly not an observation
C_FORECAST = "#2e7d32"
C_BAND = "#a5d6a7"
C_HOLDOUT = "#7b1fa2"
C_TRAIN_END = "#9e9e9e"

LABEL_HISTORY = "Preço observado"
LABEL_INTERPOLATED = "Interpolado"
LABEL_SYNTHETIC = SYNTHETIC_LABEL
LABEL_FORECAST = "Previsão"
LABEL_BAND = "Intervalo 80%"
LABEL_HOLDOUT = "Previsão no holdout"
LABEL_TRAIN_END = "Fim do treino"


_EPOCH_ORDINAL = EPOCH.toordinal()


def _days(values: Any) -> np.ndarray:
    """Dates (date, datetime, Timestamp, strings) -> float days since 1970-01-01."""
    if values is None or len(values) == 0:
        return np.empty(0)
    items = values.tolist() if hasattr(values, "tolist") else list(values)
    if all(type(v) is dt.date for v in items):  # fast path: plain dates, the common case
        return np.fromiter((v.toordinal() for v in items), float, len(items)) - _EPOCH_ORDINAL
    stamps = pd.to_datetime(pd.Series(values).reset_index(drop=True))
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    return (stamps - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy() / 86400.0


def _floats(values: Any) -> np.ndarray:
    if values is None or len(values) == 0:
        return np.empty(0)
    return pd.to_numeric(pd.Series(values).reset_index(drop=True), errors="coerce").to_numpy(
        dtype=float
    )


def _has(frame: pd.DataFrame | None, *columns: str) -> bool:
    return frame is not None and not frame.empty and all(c in frame.columns for c in columns)


@dataclasses.dataclass
class ChartData:
    """Series of one chart as arrays of (day number, value); any may be empty."""

    history_x: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    history_y: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    interpolated_x: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    interpolated_y: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    synthetic_x: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    synthetic_y: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    forecast_x: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    forecast_y: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    forecast_lower: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    forecast_upper: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    holdout_x: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    holdout_y: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    holdout_lower: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    holdout_upper: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))
    train_end_x: float | None = None
    y_label: str = "R$"
    money: bool = True
    history_label: str = LABEL_HISTORY

    @classmethod
    def build(
        cls,
        *,
        history: pd.DataFrame | None = None,
        history_value: str = "price",
        history_day: str = "day",
        synthetic_history: pd.DataFrame | None = None,
        forecast: pd.DataFrame | None = None,
        holdout: pd.DataFrame | None = None,
        train_end: Any = None,
        include_forecast: bool = True,
        y_label: str = "R$",
        money: bool = True,
        history_label: str = LABEL_HISTORY,
    ) -> ChartData:
        data = cls(y_label=y_label, money=money, history_label=history_label)
        if _has(history, history_day, history_value):
            frame = history.sort_values(history_day)  # type: ignore[union-attr]
            data.history_x = _days(frame[history_day])
            data.history_y = _floats(frame[history_value])
            if "value_source" in frame.columns:
                mask = (frame["value_source"] == "interpolated").to_numpy()
                data.interpolated_x = data.history_x[mask]
                data.interpolated_y = data.history_y[mask]
        if _has(synthetic_history, "day", "price"):
            shown = history[history_day] if _has(history, history_day) else []  # type: ignore[index]
            frame = synthetic_on_gap_days(synthetic_history, shown).sort_values("day")
            data.synthetic_x = _days(frame["day"])
            data.synthetic_y = _floats(frame["price"])
        if include_forecast and _has(forecast, "ds", "yhat"):
            frame = forecast.sort_values("ds")  # type: ignore[union-attr]
            data.forecast_x = _days(frame["ds"])
            data.forecast_y = _floats(frame["yhat"])
            if "yhat_lower" in frame.columns and "yhat_upper" in frame.columns:
                data.forecast_lower = _floats(frame["yhat_lower"])
                data.forecast_upper = _floats(frame["yhat_upper"])
        if include_forecast and _has(holdout, "ds", "yhat"):
            frame = holdout.sort_values("ds")  # type: ignore[union-attr]
            data.holdout_x = _days(frame["ds"])
            data.holdout_y = _floats(frame["yhat"])
            if "yhat_lower" in frame.columns and "yhat_upper" in frame.columns:
                data.holdout_lower = _floats(frame["yhat_lower"])
                data.holdout_upper = _floats(frame["yhat_upper"])
        if train_end is not None and include_forecast:
            ends = _days([train_end])
            data.train_end_x = float(ends[0]) if len(ends) else None
        return data

    @property
    def empty(self) -> bool:
        return not (len(self.history_x) or len(self.synthetic_x) or len(self.forecast_x))

    def x_range(self) -> tuple[float, float]:
        xs = [
            a for a in (self.history_x, self.synthetic_x, self.forecast_x, self.holdout_x) if len(a)
        ]
        if not xs:
            today = (clock.today() - EPOCH).days
            return today - 30.0, float(today)
        lo = min(float(np.nanmin(a)) for a in xs)
        hi = max(float(np.nanmax(a)) for a in xs)
        return (lo, hi) if hi > lo else (lo - 1.0, hi + 1.0)

    def y_range(self) -> tuple[float, float]:
        arrays = [
            self.history_y,
            self.synthetic_y,
            self.forecast_y,
            self.forecast_lower,
            self.forecast_upper,
            self.holdout_y,
            self.holdout_lower,
            self.holdout_upper,
        ]
        finite = [a[np.isfinite(a)] for a in arrays if len(a)]
        finite = [a for a in finite if len(a)]
        if not finite:
            return 0.0, 1.0
        lo = min(float(a.min()) for a in finite)
        hi = max(float(a.max()) for a in finite)
        if hi <= lo:
            pad = abs(lo) * 0.05 or 1.0
            return lo - pad, hi + pad
        pad = (hi - lo) * 0.06
        return lo - pad, hi + pad


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi]."""
    span = hi - lo
    if span <= 0 or not math.isfinite(span):
        return [lo]
    raw = span / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def date_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    span = hi - lo
    step = max(1, int(round(span / max(count, 1))))
    if step >= 7:
        step = int(round(step / 7.0)) * 7
    start = math.ceil(lo)
    return [float(d) for d in range(start, int(math.floor(hi)) + 1, step)]


def day_label(day_number: float, with_year: bool = False) -> str:
    day = EPOCH + dt.timedelta(days=int(round(day_number)))
    return day.strftime("%d/%m/%Y" if with_year else "%d/%m/%y")


def _tick_label(value: float, step: float) -> str:
    decimals = 0 if step >= 1 else (1 if step >= 0.1 else 2)
    return format_number(value, decimals)


def _consecutive_days(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a daily series where days are missing: the real history is not drawn across a
    gap, and synthetic gap days are joined only to their neighbouring gap days."""
    if len(x) == 0:
        return []
    breaks = np.flatnonzero(np.diff(x) > 1.5) + 1
    return list(zip(np.split(x, breaks), np.split(y, breaks), strict=True))


def _finite_runs(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """Split a series at NaNs so lines break over missing values."""
    ok = np.isfinite(y) & np.isfinite(x)
    if ok.all():
        return [(x, y)]
    runs: list[tuple[np.ndarray, np.ndarray]] = []
    start = None
    for i, good in enumerate(ok):
        if good and start is None:
            start = i
        elif not good and start is not None:
            runs.append((x[start:i], y[start:i]))
            start = None
    if start is not None:
        runs.append((x[start:], y[start:]))
    return runs


def draw_vector_chart(
    canvas: Canvas,
    data: ChartData,
    x: float,
    y: float,
    width: float,
    height: float,
    *,
    title: str | None = None,
    font_size: float = 7.0,
) -> None:
    """Draw the chart with reportlab primitives inside the box (x, y) — (x+width, y+height)."""
    c = canvas
    c.saveState()
    legend_h = 12.0
    title_h = 13.0 if title else 0.0
    left_pad, bottom_pad, right_pad = 46.0, 14.0, 6.0
    px, py = x + left_pad, y + bottom_pad
    pw = width - left_pad - right_pad
    ph = height - bottom_pad - legend_h - title_h - 4.0
    if title:
        c.setFont("Helvetica-Bold", font_size + 2)
        c.setFillColor(colors.black)
        c.drawString(x, y + height - font_size - 3, title)

    x_lo, x_hi = data.x_range()
    y_lo, y_hi = data.y_range()
    sx = pw / (x_hi - x_lo)
    sy = ph / (y_hi - y_lo)

    def tx(v: np.ndarray | float) -> Any:
        return px + (v - x_lo) * sx

    def ty(v: np.ndarray | float) -> Any:
        return py + (v - y_lo) * sy

    # Frame, grid and ticks.
    c.setLineWidth(0.3)
    c.setStrokeColor(colors.HexColor("#dddddd"))
    c.setFont("Helvetica", font_size)
    c.setFillColor(colors.HexColor("#333333"))
    yticks = [t for t in nice_ticks(y_lo, y_hi, 5) if y_lo <= t <= y_hi]
    ystep = (yticks[1] - yticks[0]) if len(yticks) > 1 else 1.0
    for t in yticks:
        yy = ty(t)
        c.line(px, yy, px + pw, yy)
        c.drawRightString(px - 3, yy - font_size / 3, _tick_label(t, ystep))
    with_year = (x_hi - x_lo) > 330
    for t in date_ticks(x_lo, x_hi, 6):
        xx = tx(t)
        c.line(xx, py, xx, py + ph)
        c.drawCentredString(xx, py - font_size - 2, day_label(t, with_year))
    c.setStrokeColor(colors.HexColor("#666666"))
    c.setLineWidth(0.6)
    c.rect(px, py, pw, ph, stroke=1, fill=0)
    c.saveState()
    c.translate(x + 6, py + ph / 2)
    c.rotate(90)
    c.drawCentredString(0, 0, data.y_label)
    c.restoreState()

    clip = c.beginPath()
    clip.rect(px, py, pw, ph)
    c.clipPath(clip, stroke=0, fill=0)

    def band(xs: np.ndarray, lo: np.ndarray, hi: np.ndarray, color: str, alpha: float) -> None:
        ok = np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() < 2:
            return
        bx, blo, bhi = tx(xs[ok]), ty(lo[ok]), ty(hi[ok])
        p = c.beginPath()
        p.moveTo(float(bx[0]), float(bhi[0]))
        for a, b in zip(bx[1:], bhi[1:], strict=True):
            p.lineTo(float(a), float(b))
        for a, b in zip(bx[::-1], blo[::-1], strict=True):
            p.lineTo(float(a), float(b))
        p.close()
        c.setFillColor(colors.HexColor(color), alpha=alpha)
        c.drawPath(p, stroke=0, fill=1)

    def line(xs: np.ndarray, ys: np.ndarray, color: str, lw: float, dash: Any = None) -> None:
        c.setStrokeColor(colors.HexColor(color))
        c.setLineWidth(lw)
        c.setDash(dash) if dash else c.setDash()
        for rx, ry in _finite_runs(xs, ys):
            if len(rx) == 1:
                c.circle(float(tx(rx[0])), float(ty(ry[0])), 1.2, stroke=1, fill=0)
                continue
            p = c.beginPath()
            lx, ly = tx(rx), ty(ry)
            p.moveTo(float(lx[0]), float(ly[0]))
            for a, b in zip(lx[1:], ly[1:], strict=True):
                p.lineTo(float(a), float(b))
            c.drawPath(p, stroke=1, fill=0)
        c.setDash()

    def diamond(cx: float, cy: float, r: float) -> None:
        p = c.beginPath()
        p.moveTo(cx, cy + r)
        p.lineTo(cx + r, cy)
        p.lineTo(cx, cy - r)
        p.lineTo(cx - r, cy)
        p.close()
        c.drawPath(p, stroke=0, fill=1)

    legend: list[tuple[str, str, Any, str]] = []  # (label, color, dash, kind)
    if len(data.forecast_lower):
        band(data.forecast_x, data.forecast_lower, data.forecast_upper, C_BAND, 0.55)
        legend.append((LABEL_BAND, C_BAND, None, "band"))
    if len(data.holdout_lower):
        band(data.holdout_x, data.holdout_lower, data.holdout_upper, C_BAND, 0.35)
    if data.train_end_x is not None and x_lo <= data.train_end_x <= x_hi:
        xx = float(tx(data.train_end_x))
        c.setStrokeColor(colors.HexColor(C_TRAIN_END))
        c.setLineWidth(0.6)
        c.setDash([1, 2])
        c.line(xx, py, xx, py + ph)
        c.setDash()
        legend.append((LABEL_TRAIN_END, C_TRAIN_END, [1, 2], "line"))
    if len(data.synthetic_x):
        for rx, ry in _consecutive_days(data.synthetic_x, data.synthetic_y):
            if len(rx) > 1:
                line(rx, ry, C_SYNTHETIC, 0.6, [0.8, 1.6])
        c.setFillColor(colors.HexColor(C_SYNTHETIC))
        for a, b in zip(tx(data.synthetic_x), ty(data.synthetic_y), strict=True):
            if math.isfinite(b):
                diamond(float(a), float(b), 1.9)
        legend.append((LABEL_SYNTHETIC, C_SYNTHETIC, [0.8, 1.6], "diamond"))
    if len(data.history_x):
        for rx, ry in _consecutive_days(data.history_x, data.history_y):  # no line over a gap
            line(rx, ry, C_HISTORY, 1.1)
        legend.insert(0, (data.history_label, C_HISTORY, None, "line"))
    if len(data.interpolated_x):
        c.setStrokeColor(colors.HexColor(C_INTERPOLATED))
        c.setFillColor(colors.white)
        c.setLineWidth(0.5)
        for a, b in zip(tx(data.interpolated_x), ty(data.interpolated_y), strict=True):
            if math.isfinite(b):
                c.circle(float(a), float(b), 1.3, stroke=1, fill=1)
        legend.append((LABEL_INTERPOLATED, C_INTERPOLATED, None, "dot"))
    if len(data.holdout_x):
        line(data.holdout_x, data.holdout_y, C_HOLDOUT, 0.9, [1, 1.5])
        legend.append((LABEL_HOLDOUT, C_HOLDOUT, [1, 1.5], "line"))
    if len(data.forecast_x):
        line(data.forecast_x, data.forecast_y, C_FORECAST, 1.3)
        legend.append((LABEL_FORECAST, C_FORECAST, None, "line"))
    c.restoreState()

    # Legend above the plot area.
    c.saveState()
    c.setFont("Helvetica", font_size)
    lx = px
    ly = py + ph + 5
    for label, color, dash, kind in legend:
        c.setStrokeColor(colors.HexColor(color))
        c.setFillColor(colors.HexColor(color))
        if kind == "band":
            c.rect(lx, ly - 1, 14, 5, stroke=0, fill=1)
        elif kind == "diamond":
            c.setLineWidth(0.6)
            c.setDash(dash)
            c.line(lx, ly + 1.5, lx + 14, ly + 1.5)
            c.setDash()
            diamond(lx + 7, ly + 1.5, 2.2)
        elif kind == "dot":
            c.setFillColor(colors.white)
            c.setLineWidth(0.6)
            c.circle(lx + 7, ly + 1.5, 1.6, stroke=1, fill=1)
        else:
            c.setLineWidth(1.2)
            c.setDash(dash) if dash else c.setDash()
            c.line(lx, ly + 1.5, lx + 14, ly + 1.5)
            c.setDash()
        c.setFillColor(colors.HexColor("#333333"))
        c.drawString(lx + 17, ly - 0.5, label)
        lx += 17 + c.stringWidth(label, "Helvetica", font_size) + 9
    c.restoreState()


class MatplotlibChartRenderer:
    """Renders ChartData to PNG bytes with one reusable Figure (object-oriented API, Agg)."""

    def __init__(self, width_in: float = 7.3, height_in: float = 3.0, dpi: int = 110) -> None:
        self.dpi = dpi
        self.figure = Figure(figsize=(width_in, height_in), dpi=dpi)
        FigureCanvasAgg(self.figure)
        self.axes = self.figure.add_subplot(111)

    def render_png(self, data: ChartData, *, title: str | None = None) -> bytes:
        ax = self.axes
        ax.clear()
        if len(data.forecast_lower):
            ax.fill_between(
                data.forecast_x,
                data.forecast_lower,
                data.forecast_upper,
                color=C_BAND,
                alpha=0.55,
                linewidth=0,
                label=LABEL_BAND,
            )
        if len(data.holdout_lower):
            ax.fill_between(
                data.holdout_x,
                data.holdout_lower,
                data.holdout_upper,
                color=C_BAND,
                alpha=0.35,
                linewidth=0,
            )
        if len(data.history_x):
            runs = _consecutive_days(data.history_x, data.history_y)  # no line over a gap
            for n, (rx, ry) in enumerate(runs):
                label = data.history_label if n == 0 else None
                ax.plot(rx, ry, "-", color=C_HISTORY, lw=1.2, label=label)
        if len(data.interpolated_x):
            ax.plot(
                data.interpolated_x,
                data.interpolated_y,
                "o",
                ms=2.5,
                mfc="white",
                mec=C_INTERPOLATED,
                label=LABEL_INTERPOLATED,
            )
        if len(data.synthetic_x):
            for rx, ry in _consecutive_days(data.synthetic_x, data.synthetic_y):
                ax.plot(rx, ry, ":", color=C_SYNTHETIC, lw=0.8)
            ax.plot(
                data.synthetic_x,
                data.synthetic_y,
                "D",
                ms=2.8,
                color=C_SYNTHETIC,
                ls=":",
                lw=0,
                label=LABEL_SYNTHETIC,
            )
        if len(data.holdout_x):
            ax.plot(data.holdout_x, data.holdout_y, ":", color=C_HOLDOUT, lw=1, label=LABEL_HOLDOUT)
        if len(data.forecast_x):
            ax.plot(
                data.forecast_x,
                data.forecast_y,
                "-",
                color=C_FORECAST,
                lw=1.4,
                label=LABEL_FORECAST,
            )
        if data.train_end_x is not None:
            ax.axvline(data.train_end_x, color=C_TRAIN_END, lw=0.8, ls=":", label=LABEL_TRAIN_END)
        x_lo, x_hi = data.x_range()
        ax.set_xlim(x_lo, x_hi)
        ax.set_ylim(*data.y_range())
        with_year = (x_hi - x_lo) > 330
        ax.set_xticks(date_ticks(x_lo, x_hi, 6))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _p: day_label(v, with_year)))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _p: format_number(v, 2)))
        ax.tick_params(labelsize=7)
        ax.set_ylabel(data.y_label, fontsize=8)
        ax.grid(True, color="#dddddd", lw=0.5)
        if title:
            ax.set_title(title, fontsize=9, loc="left")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize=6.5, ncol=4, frameon=False)
        self.figure.subplots_adjust(left=0.09, right=0.985, bottom=0.11, top=0.88)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", dpi=self.dpi)
        return buffer.getvalue()

    def draw(
        self,
        canvas: Canvas,
        data: ChartData,
        x: float,
        y: float,
        width: float,
        height: float,
        *,
        title: str | None = None,
    ) -> None:
        size = (width / 72.0, height / 72.0)
        if tuple(self.figure.get_size_inches()) != size:
            self.figure.set_size_inches(*size)
        png = self.render_png(data, title=title)
        canvas.drawImage(ImageReader(io.BytesIO(png)), x, y, width, height)
