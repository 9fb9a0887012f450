"""Files for spreadsheets: text that a spreadsheet would run as a formula is neutralised.

CSV injection (OWASP): Excel, LibreOffice and Google Sheets evaluate a cell that starts with
``=``, ``+``, ``-`` or ``@`` (also after a tab or carriage return) as a formula, so a product
name or reason like ``=HYPERLINK(...)`` in an export would run on the buyer's machine. Such
text cells get a leading single quote, which the spreadsheet shows as text. Only text is
touched: numeric columns keep their real negative numbers, dates stay dates.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

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
