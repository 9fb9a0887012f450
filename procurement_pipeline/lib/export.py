"""Files for spreadsheets, as a buyer in Brazil opens them, with formula injection neutralised.

Two formats of the same table: a CSV as Excel pt-BR writes and reads it (UTF-8 with BOM so
accents survive, ``;`` between fields, decimal comma, dates dd/mm/aaaa) and an ``.xlsx``
(openpyxl) whose numbers and dates are real numeric cells with pt-BR display formats.

CSV injection (OWASP): Excel, LibreOffice and Google Sheets evaluate a cell that starts with
``=``, ``+``, ``-`` or ``@`` (also after a tab or carriage return) as a formula, so a product
name or reason like ``=HYPERLINK(...)`` in an export would run on the buyer's machine. In the
CSV such text cells get a leading single quote, which the spreadsheet shows as text. In the
``.xlsx`` they are string cells (never formula cells) marked with Excel's own "quote prefix",
which keeps them text even when the buyer edits the cell. Only text is touched: numeric
columns keep their real negative numbers, dates stay dates.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import zipfile
from collections.abc import Mapping
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.writer.excel import ExcelWriter

# Characters that start a formula (the full-width forms too: some spreadsheets fold them).
FORMULA_TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
# Blanks a spreadsheet may skip before looking at the first character.
_LEADING_BLANKS = " \n\u00a0"


def neutralize_formula(value: Any) -> Any:
    """``value`` with a leading ``'`` when it is text a spreadsheet would read as a formula;
    anything else (other text, numbers, dates, None) is returned unchanged."""
    if not isinstance(value, str) or not value:
        return value
    first = value.lstrip(_LEADING_BLANKS)[:1] or value[:1]
    if value[0] in FORMULA_TRIGGERS or first in FORMULA_TRIGGERS:
        return "'" + value
    return value


def neutralize_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells are neutralised (:func:`neutralize_formula`);
    numeric, boolean and datetime columns are left exactly as they are."""
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if pd.api.types.is_string_dtype(series) or pd.api.types.is_object_dtype(series):
            out[column] = series.map(neutralize_formula, na_action="ignore")
    return out


# Excel number formats (the file stores them locale-free; Excel pt-BR shows 1.234,56).
MONEY_FORMAT = '"R$" #,##0.00'
DECIMAL_FORMAT = "#,##0.00"
ONE_DECIMAL_FORMAT = "#,##0.0"
INTEGER_FORMAT = "#,##0"
DATE_FORMAT = "DD/MM/YYYY"
DATETIME_FORMAT = "DD/MM/YYYY HH:MM"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MIME = "text/csv"


def _is_date_column(series: pd.Series) -> bool:
    if pd.api.types.is_datetime64_any_dtype(series):
        return True
    values = series.dropna()
    return (
        not values.empty
        and pd.api.types.is_object_dtype(series)
        and all(isinstance(v, dt.date) for v in values)
    )


def _date_text(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    stamp = pd.Timestamp(value)
    has_time = isinstance(value, dt.datetime) and (stamp.hour or stamp.minute)
    return stamp.strftime("%d/%m/%Y %H:%M" if has_time else "%d/%m/%Y")


def excel_csv(frame: pd.DataFrame) -> bytes:
    """``frame`` as CSV for Excel pt-BR: UTF-8 with BOM, ``;``, decimal comma (2 places),
    dates dd/mm/aaaa, formula-like text neutralised (:func:`neutralize_formulas`)."""
    out = neutralize_formulas(frame)  # text cells only: negative numbers stay numbers
    for column in out.columns:
        if _is_date_column(out[column]):
            out[column] = out[column].map(_date_text).astype(object)
    text = out.to_csv(index=False, sep=";", decimal=",", float_format="%.2f")
    return text.encode("utf-8-sig")


def _cell_value(value: Any) -> Any:
    """A pandas/numpy value as openpyxl takes it (None for missing)."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
        if isinstance(value, float) and math.isnan(value):
            return None
    return value


def _default_format(series: pd.Series) -> str | None:
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_integer_dtype(series):
        return INTEGER_FORMAT
    if pd.api.types.is_float_dtype(series):
        return DECIMAL_FORMAT
    if pd.api.types.is_datetime64_any_dtype(series):
        return DATETIME_FORMAT
    if _is_date_column(series):
        return DATE_FORMAT
    return None


def excel_xlsx(
    frame: pd.DataFrame, formats: Mapping[str, str] | None = None, *, sheet: str = "Planilha1"
) -> bytes:
    """``frame`` as an ``.xlsx`` workbook (one sheet, bold header, frozen first row): numbers
    and dates are numeric cells shown with ``formats`` (column -> Excel number format; by
    default ``#,##0.00`` for floats, ``#,##0`` for integers, dd/mm/aaaa for dates); text is
    always a string cell, formula-like text with Excel's quote prefix."""
    formats = dict(formats or {})
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet[:31]
    header = [str(c) for c in frame.columns]
    worksheet.append(header)
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
        cell.data_type = "s"
    column_formats = [formats.get(c) or _default_format(frame[c]) for c in frame.columns]
    widths = [len(h) for h in header]
    for r, row in enumerate(frame.itertuples(index=False, name=None), start=2):
        for c, raw in enumerate(row, start=1):
            value = _cell_value(raw)
            cell = worksheet.cell(row=r, column=c, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store "=..." as a formula
                if neutralize_formula(value) != value:
                    cell.quotePrefix = True
            elif value is not None and column_formats[c - 1]:
                cell.number_format = column_formats[c - 1]
            widths[c - 1] = max(widths[c - 1], min(len(str(value or "")), 60))
    for c, width in enumerate(widths, start=1):
        worksheet.column_dimensions[get_column_letter(c)].width = width + 2
    worksheet.freeze_panes = "A2"
    # The same table gives the same bytes (Streamlit serves a download by its content hash):
    # fixed document and zip entry times instead of "now" (save_workbook stamps "now").
    workbook.properties.created = workbook.properties.modified = _FIXED_TIME
    buffer = io.BytesIO()
    with _FixedTimeZip(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(workbook, archive).save()
    return buffer.getvalue()


_FIXED_TIME = dt.datetime(1980, 1, 1)


class _FixedTimeZip(zipfile.ZipFile):
    def writestr(self, zinfo_or_arcname, data, *args, **kwargs):  # type: ignore[override]
        if isinstance(zinfo_or_arcname, str):
            entry = zipfile.ZipInfo(zinfo_or_arcname, date_time=_FIXED_TIME.timetuple()[:6])
            entry.compress_type = self.compression
            zinfo_or_arcname = entry
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename, arcname=None, *args, **kwargs):  # type: ignore[override]
        # openpyxl streams a sheet to a temporary file: store it with the fixed time too.
        with open(filename, "rb") as handle:
            self.writestr(str(arcname or filename), handle.read())
