"""Brazilian Portuguese formatting for reports and e-mails.

Prices are "R$ 1.234,56" (dot for thousands, comma for decimals), dates "dd/mm/aaaa" and
percentages "12,3%". Missing values (None, NaN, NaT) render as an em dash so a table never
shows "nan".
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

MISSING = "\u2014"  # em dash; in WinAnsi, so Helvetica renders it.


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas.NA (checked without importing pandas)."""
    if value is None:
        return True
    if type(value).__name__ in ("NAType", "NaTType"):
        return True
    if isinstance(value, float):
        return math.isnan(value)
    try:
        return bool(value != value)  # numpy nan scalars are the only values unequal to themselves
    except (TypeError, ValueError):
        return False


def format_number(value: Any, decimals: int = 2) -> str:
    """1234.5 -> "1.234,50"; None/NaN -> "—"."""
    if is_missing(value):
        return MISSING
    number = float(value)
    if math.isinf(number):
        return "\u221e" if number > 0 else "-\u221e"
    text = f"{abs(number):,.{decimals}f}"  # "1,234.50"
    text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    # "-0,00" would be confusing: only show the sign when the rounded value is not zero.
    negative = number < 0 and any(ch not in "0,." for ch in text)
    return f"-{text}" if negative else text


def format_brl(value: Any, decimals: int = 2) -> str:
    """1234.56 -> "R$ 1.234,56"; -5 -> "-R$ 5,00"; None/NaN -> "—"."""
    if is_missing(value):
        return MISSING
    text = format_number(value, decimals)
    if text.startswith("-"):
        return f"-R$ {text[1:]}"
    return f"R$ {text}"


def format_pct(value: Any, decimals: int = 1, *, signed: bool = False) -> str:
    """A fraction as a percentage: 0.123 -> "12,3%"; signed=True -> "+12,3%" / "-4,0%"."""
    if is_missing(value):
        return MISSING
    text = format_number(float(value) * 100.0, decimals)
    if signed and not text.startswith("-") and any(ch not in "0,." for ch in text):
        text = f"+{text}"
    return f"{text}%"


def format_pct_points(value: Any, decimals: int = 1) -> str:
    """A value already in percentage points (MAPE 4.2) -> "4,2%"."""
    return MISSING if is_missing(value) else format_pct(float(value) / 100.0, decimals)


def _to_date(value: Any) -> dt.date | None:
    if is_missing(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        return value.to_pydatetime().date()
    if isinstance(value, str):
        return dt.datetime.fromisoformat(value.strip()).date()
    raise TypeError(f"not a date: {value!r}")


def format_date_br(value: Any) -> str:
    """date/datetime/Timestamp/ISO string -> "dd/mm/aaaa"; None -> "—"."""
    day = _to_date(value)
    return MISSING if day is None else day.strftime("%d/%m/%Y")


def format_datetime_br(value: Any, *, seconds: bool = False) -> str:
    """datetime -> "dd/mm/aaaa HH:MM" (kept in the timezone it carries); None -> "—"."""
    if is_missing(value):
        return MISSING
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.strip())
    if isinstance(value, dt.datetime):
        text = value.strftime("%d/%m/%Y %H:%M:%S" if seconds else "%d/%m/%Y %H:%M")
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            text += " UTC"
        return text
    return format_date_br(value)


def format_int(value: Any) -> str:
    """3000 -> "3.000"."""
    if is_missing(value):
        return MISSING
    return format_number(int(value), 0)


def format_yes_no(value: Any) -> str:
    if value is None or is_missing(value):
        return MISSING
    return "Sim" if bool(value) else "Não"
