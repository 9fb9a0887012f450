"""Reading and validating the consumption history CSV an ERP exports (date, SKU, quantity used).

Format: UTF-8 (a BOM is accepted), header ``date,sku,quantity`` (any column order, extra
columns ignored, ``;`` accepted as the separator when the header uses it — Excel in Brazil
exports that way). Dates are ISO ``yyyy-mm-dd`` or Brazilian ``dd/mm/aaaa``; quantities take a
decimal point or a decimal comma (``12.5`` / ``12,5``). Days without a line mean no use that day.

Every problem names the file, the line and the field, and all problems are reported at once
(:class:`ConsumptionValidationError`) so an analyst fixes the file in one pass. Nothing is
returned unless the whole file is valid, so nothing is ever half loaded.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from procurement_pipeline.lib.validation import (
    SAME_SKU_NOTE,
    CsvRecords,
    FileValidationError,
    Problem,
    numeric_limit,
    plain,
    shown,
    sku_key,
)
from procurement_pipeline.lib.warehouse.schema import consumption_history

REQUIRED_COLUMNS = ("date", "sku", "quantity")
# Bounds are the warehouse's column types.
MAX_SKU_LENGTH = consumption_history.c.sku.type.length
MAX_QUANTITY = numeric_limit(
    consumption_history.c.quantity.type.precision, consumption_history.c.quantity.type.scale
)

_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_BR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")


ConsumptionProblem = Problem


class ConsumptionValidationError(FileValidationError):
    kind = "consumption file"


def parse_date(text: str) -> dt.date | None:
    """``2026-11-24`` or ``24/11/2026`` -> date; anything else (or an impossible day) -> None."""
    text = text.strip()
    m = _ISO.match(text)
    if m:
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    else:
        m = _BR.match(text)
        if not m:
            return None
        day, month, year = int(m[1]), int(m[2]), int(m[3])
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def parse_quantity(text: str) -> float | None:
    """``12.5``, ``12,5``, ``3`` -> float; thousands separators are refused as ambiguous."""
    text = text.strip()
    if not _NUMBER.match(text):
        return None
    value = float(text.replace(",", "."))
    return value if math.isfinite(value) else None


def _delimiter(first_line: str) -> str:
    return ";" if first_line.count(";") > first_line.count(",") else ","


def parse_consumption(
    raw: bytes, source: str = "<consumption>", known_skus: Iterable[str] | None = None
) -> pd.DataFrame:
    """Validate consumption CSV bytes into a frame ``[day (datetime.date), sku, quantity]``,
    sorted by (day, sku). Raise :class:`ConsumptionValidationError` listing every problem.

    ``known_skus``: when given, SKUs outside it are errors (the catalog must know them).
    SKUs are compared as the warehouse (MySQL utf8mb4_unicode_ci) compares them: ``tec-1`` and
    ``TEC-1`` on the same day are a duplicate, and ``tec-1`` for a catalog ``TEC-1`` is an error
    that names the catalog's spelling.
    """
    return _parse(io.BytesIO(raw), source, known_skus)


def _parse(stream: BinaryIO, source: str, known_skus: Iterable[str] | None) -> pd.DataFrame:
    records = CsvRecords(stream, normalize=lambda h: h.strip().lower())
    header = records.read_header(_delimiter)
    if header is None or records.empty:
        if records.problems:  # not UTF-8, or a first line too long
            raise ConsumptionValidationError(source, records.problems, records.stopped)
        raise ConsumptionValidationError(
            source, [ConsumptionProblem(None, None, "the file is empty")]
        )
    header_problems = header.problems(REQUIRED_COLUMNS)
    if header_problems:
        raise ConsumptionValidationError(source, header_problems)
    index = {c: header.index(c) for c in REQUIRED_COLUMNS}
    width = len(header.names)
    known = None if known_skus is None else {str(s) for s in known_skus}
    known_spelling = None if known is None else {sku_key(s): s for s in sorted(known)}

    days: list[dt.date] = []
    skus: list[str] = []
    quantities: list[float] = []
    # (day, SKU key as MySQL compares) -> (first line, spelling there).
    first_line_of: dict[tuple[dt.date, str], tuple[int, str]] = {}
    for line, row in records.rows():
        if len(row) > width:
            records.add(line, None, "more values than columns")
            continue
        date_text, sku, qty_text = (
            (row[index[c]] if index[c] < len(row) else "").strip() for c in REQUIRED_COLUMNS
        )
        if not (date_text or sku or qty_text):
            continue  # a blank line at the end of an ERP export
        day = parse_date(date_text)
        if day is None:
            records.add(
                line, "date", f"'{shown(date_text)}' is not a date (use aaaa-mm-dd or dd/mm/aaaa)"
            )
        if not sku:
            records.add(line, "sku", "is empty")
        elif len(sku) > MAX_SKU_LENGTH:
            records.add(line, "sku", f"longer than {MAX_SKU_LENGTH} characters")
        elif known is not None and sku not in known:
            spelled = known_spelling.get(sku_key(sku))
            hint = (
                f"the catalog has '{spelled}': use the same spelling"
                if spelled
                else "not in the catalog"
            )
            records.add(line, "sku", f"unknown SKU '{sku}' ({hint})")
        quantity = parse_quantity(qty_text)
        if quantity is None:
            records.add(line, "quantity", f"'{shown(qty_text)}' is not a number")
        elif quantity < 0:
            records.add(line, "quantity", f"{shown(qty_text)} is negative")
        elif Decimal(qty_text.replace(",", ".")) > MAX_QUANTITY:
            records.add(
                line,
                "quantity",
                f"{shown(qty_text)} is too large (at most {plain(MAX_QUANTITY)})",
            )
        if day is not None and sku and len(sku) <= MAX_SKU_LENGTH:
            key = (day, sku_key(sku))
            if key in first_line_of:
                first, first_sku = first_line_of[key]
                where = (
                    f"first at line {first}"
                    if first_sku == sku
                    else f"first at line {first} as '{first_sku}'; {SAME_SKU_NOTE}"
                )
                records.add(
                    line,
                    "sku",
                    f"duplicate line for SKU '{sku}' on {day.isoformat()} ({where})",
                )
            else:
                first_line_of[key] = (line, sku)
        if records.problems:
            continue  # once anything is wrong nothing is returned: keep nothing
        days.append(day)
        skus.append(sku)
        quantities.append(quantity)
    if not records.problems and not days:
        records.add(None, None, "the file has a header but no lines")
    if records.problems:
        raise ConsumptionValidationError(source, records.problems, records.stopped)
    frame = pd.DataFrame(
        {
            "day": pd.Series(days, dtype=object),
            "sku": pd.Series(skus, dtype=object),
            "quantity": pd.Series(quantities, dtype=float),
        }
    )
    return frame.sort_values(["day", "sku"], kind="stable", ignore_index=True)


def read_consumption(path: str | Path, known_skus: Iterable[str] | None = None) -> pd.DataFrame:
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise ConsumptionValidationError(
            str(path), [ConsumptionProblem(None, None, f"cannot read: {exc}")]
        ) from None
    with stream:
        return _parse(stream, str(path), known_skus)
