"""Altair charts (Altair ships with Streamlit): history, synthetic filler, forecast and band."""

from __future__ import annotations

import altair as alt
import pandas as pd

from procurement_pipeline.lib.reporting.model import SYNTHETIC_LABEL

REAL = "Histórico real"
SYNTHETIC = SYNTHETIC_LABEL
FORECAST = "Previsão"
BAND = "Intervalo de 80% da previsão"
SERIES = [REAL, SYNTHETIC, FORECAST, BAND]
COLORS = ["#1f4e79", "#6e6e6e", "#e07b00", "#f6c48a"]
DASHES = [[1, 0], [1, 3], [1, 0], [1, 0]]


# Vega's number and date formats in pt-BR (axes and tooltips: 1.234,56 and dd/mm/aaaa).
PT_BR = alt.Locale(
    number=alt.NumberLocale(decimal=",", thousands=".", grouping=[3], currency=["R$ ", ""]),
    time=alt.TimeLocale(
        dateTime="%A, %e de %B de %Y. %X",
        date="%d/%m/%Y",
        time="%H:%M:%S",
        periods=["AM", "PM"],
        days=["Domingo", "Segunda", "Terça", "Quarta", "Quinta", "Sexta", "Sábado"],
        shortDays=["Dom", "Seg", "Ter", "Qua", "Qui", "Sex", "Sáb"],
        months=[
            "Janeiro", "Fevereiro", "Março", "Abril", "Maio", "Junho",
            "Julho", "Agosto", "Setembro", "Outubro", "Novembro", "Dezembro",
        ],
        shortMonths=[
            "Jan", "Fev", "Mar", "Abr", "Mai", "Jun", "Jul", "Ago", "Set", "Out", "Nov", "Dez",
        ],
    ),
)  # fmt: skip


def _segments(days: pd.Series) -> pd.Series:
    """Runs of consecutive days: lines break across gaps instead of bridging them."""
    ordered = pd.to_datetime(days)
    return (ordered.diff() > pd.Timedelta(days=1)).cumsum()


def _line_frame(frame: pd.DataFrame, day: str, value: str, label: str) -> pd.DataFrame:
    if frame is None or frame.empty:
        return pd.DataFrame(columns=["day", "value", "series", "segment"])
    out = frame[[day, value]].rename(columns={day: "day", value: "value"}).sort_values("day")
    out = out.dropna(subset=["value"])
    out["series"] = label
    out["segment"] = label + "-" + _segments(out["day"]).astype(str)
    return out


def history_forecast_chart(
    real: pd.DataFrame,
    synthetic: pd.DataFrame | None,
    future: pd.DataFrame | None,
    *,
    value: str = "price",
    y_title: str = "Preço (R$)",
    height: int = 360,
) -> alt.LayerChart:
    """``real`` / ``synthetic``: day + ``value``; ``future``: ds, yhat, yhat_lower, yhat_upper.
    Real history is a solid line; synthetic days (pass only the gap days, see
    ``lib.reporting.model.synthetic_on_gap_days``) grey diamonds joined by a dotted line
    within a gap; the forecast an orange line over its interval band."""
    lines = pd.concat(
        [
            _line_frame(real, "day", value, REAL),
            _line_frame(synthetic, "day", value, SYNTHETIC),
            _line_frame(future, "ds", "yhat", FORECAST),
        ],
        ignore_index=True,
    )
    lines["value"] = lines["value"].astype(float)
    has_band = future is not None and not future.empty and future["yhat_lower"].notna().any()
    present = set(lines["series"]) | ({BAND} if has_band else set())
    shown = [(s, c, d) for s, c, d in zip(SERIES, COLORS, DASHES, strict=True) if s in present]
    domain = [s for s, _, _ in shown] or [REAL]
    color = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=domain, range=[c for _, c, _ in shown] or COLORS[:1]),
        legend=alt.Legend(orient="bottom", symbolType="stroke", labelLimit=400),
    )
    base_x = alt.X("day:T", title=None, axis=alt.Axis(format="%d/%m/%y"))
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(zero=False))
    layers = []
    if has_band:
        band = future[["ds", "yhat_lower", "yhat_upper"]].rename(columns={"ds": "day"}).copy()
        band["series"] = BAND
        layers.append(
            alt.Chart(band)
            .mark_area(opacity=0.45)
            .encode(
                x=base_x,
                y=alt.Y("yhat_lower:Q", title=y_title, scale=alt.Scale(zero=False)),
                y2="yhat_upper:Q",
                color=color,
                tooltip=[
                    alt.Tooltip("day:T", title="Dia", format="%d/%m/%Y"),
                    alt.Tooltip("yhat_lower:Q", title="Mínimo", format=",.2f"),
                    alt.Tooltip("yhat_upper:Q", title="Máximo", format=",.2f"),
                ],
            )
        )
    layers.append(
        alt.Chart(lines)
        .mark_line(strokeWidth=2)
        .encode(
            x=base_x,
            y=y,
            color=color,
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=domain, range=[d for _, _, d in shown] or DASHES[:1]),
                legend=None,
            ),
            detail="segment:N",
            tooltip=[
                alt.Tooltip("day:T", title="Dia", format="%d/%m/%Y"),
                alt.Tooltip("series:N", title="Série"),
                alt.Tooltip("value:Q", title=y_title, format=",.2f"),
            ],
        )
    )
    synthetic_points = lines[lines["series"] == SYNTHETIC]
    if not synthetic_points.empty:
        layers.append(
            alt.Chart(synthetic_points)
            .mark_point(shape="diamond", filled=True, size=40, opacity=0.9)
            .encode(
                x=base_x,
                y=y,
                color=color,
                tooltip=[
                    alt.Tooltip("day:T", title="Dia", format="%d/%m/%Y"),
                    alt.Tooltip("series:N", title="Série"),
                    alt.Tooltip("value:Q", title=y_title, format=",.2f"),
                ],
            )
        )
    return alt.layer(*layers).properties(height=height).configure(locale=PT_BR)
