"""The synthetic gap filler is shown only on days without a real price (issue 14, item 4): in
the chart data of the PDFs, drawn apart from the real line, and named in the legend."""

from __future__ import annotations

import datetime as dt

import pandas as pd
from pypdf import PdfReader

from procurement_pipeline.lib.reporting import build_product_report
from procurement_pipeline.lib.reporting.charts import EPOCH, ChartData, _consecutive_days
from procurement_pipeline.lib.reporting.model import SYNTHETIC_LABEL, synthetic_on_gap_days
from tools.report_samples import sample_product

DAYS = pd.date_range("2026-01-01", periods=30, freq="D")
GAP = set(DAYS[10:14].date) | {DAYS[20].date()}


def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    real_days = [d for d in DAYS.date if d not in GAP]
    history = pd.DataFrame({"day": real_days, "price": 100.0, "value_source": "observed"})
    # As synthetic_price_history writes it: every day of the window, ~R$ 10 off.
    synthetic = pd.DataFrame({"day": DAYS, "price": 110.0})
    return history, synthetic


def test_only_gap_days_keep_their_synthetic_row():
    history, synthetic = frames()
    shown = synthetic_on_gap_days(synthetic, history["day"])
    assert set(shown["day"].dt.date) == GAP
    assert synthetic_on_gap_days(synthetic, []).equals(synthetic)
    assert synthetic_on_gap_days(None, history["day"]).empty
    everything = synthetic_on_gap_days(synthetic, pd.Series(DAYS))
    assert everything.empty  # a real price every day: no synthetic point at all


def test_interpolated_days_are_not_filled_twice():
    history, synthetic = frames()
    interpolated = pd.DataFrame(
        {"day": [DAYS[20].date()], "price": [101.0], "value_source": ["interpolated"]}
    )
    with_interpolation = pd.concat([history, interpolated], ignore_index=True)
    shown = synthetic_on_gap_days(synthetic, with_interpolation["day"])
    assert set(shown["day"].dt.date) == GAP - {DAYS[20].date()}


def test_chart_data_draws_synthetic_on_gaps_and_breaks_lines_there():
    history, synthetic = frames()
    chart = ChartData.build(history=history, synthetic_history=synthetic)
    days = {EPOCH + dt.timedelta(days=int(x)) for x in chart.synthetic_x}
    assert days == GAP
    assert not days & set(history["day"])
    # The real line is cut at each gap, the synthetic points only join inside one gap.
    assert len(_consecutive_days(chart.history_x, chart.history_y)) == 3
    runs = _consecutive_days(chart.synthetic_x, chart.synthetic_y)
    assert [len(x) for x, _ in runs] == [4, 1]


def test_pdf_legend_names_the_synthetic_points_only_when_there_are_some(tmp_path):
    product = sample_product(3)  # a 15-day gap, synthetic rows on every day
    gap_pdf = tmp_path / "gap.pdf"
    build_product_report(product, gap_pdf)
    assert SYNTHETIC_LABEL in PdfReader(str(gap_pdf)).pages[0].extract_text()

    full = sample_product(3)
    full.history = pd.DataFrame(
        {"day": full.synthetic_history["day"], "price": 50.0, "value_source": "observed"}
    )
    full_pdf = tmp_path / "full.pdf"
    build_product_report(full, full_pdf)
    assert SYNTHETIC_LABEL not in PdfReader(str(full_pdf)).pages[0].extract_text()
