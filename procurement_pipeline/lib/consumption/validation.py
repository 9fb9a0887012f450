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

import csv
import datetime as dt
import io
import math
import re
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from procurement_pipeline.lib.validation import FileValidationError, Problem, decode_utf8

REQUIRED_COLUMNS = ("date", "sku", "quantity")
MAX_SKU_LENGTH = 64

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


def parse_consumption(
    raw: bytes, source: str = "<consumption>", known_skus: Iterable[str] | None = None
) -> pd.DataFrame:
    """Validate consumption CSV bytes into a frame ``[day (datetime.date), sku, quantity]``,
    sorted by (day, sku). Raise :class:`ConsumptionValidationError` listing every problem.

    ``known_skus``: when given, SKUs outside it are errors (the catalog must know them).
    """
    if not raw.strip():
        raise ConsumptionValidationError(
            source, [ConsumptionProblem(None, None, "the file is empty")]
        )
    text = decode_utf8(raw, source, ConsumptionValidationError)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise ConsumptionValidationError(
            source,
            [ConsumptionProblem(1, c, "missing column (header must name it)") for c in missing],
        )
    reader.fieldnames = header
    known = None if known_skus is None else {str(s) for s in known_skus}

    problems: list[ConsumptionProblem] = []
    days: list[dt.date] = []
    skus: list[str] = []
    quantities: list[float] = []
    first_line_of: dict[tuple[dt.date, str], int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(ConsumptionProblem(line, None, "more values than columns"))
            continue
        date_text = (row.get("date") or "").strip()
        sku = (row.get("sku") or "").strip()
        qty_text = (row.get("quantity") or "").strip()
        if not (date_text or sku or qty_text):
            continue  # a blank line at the end of an ERP export
        row_problems: list[ConsumptionProblem] = []
        day = parse_date(date_text)
        if day is None:
            row_problems.append(
                ConsumptionProblem(
                    line, "date", f"'{date_text}' is not a date (use aaaa-mm-dd or dd/mm/aaaa)"
                )
            )
        if not sku:
            row_problems.append(ConsumptionProblem(line, "sku", "is empty"))
        elif len(sku) > MAX_SKU_LENGTH:
            row_problems.append(
                ConsumptionProblem(line, "sku", f"longer than {MAX_SKU_LENGTH} characters")
            )
        elif known is not None and sku not in known:
            row_problems.append(
                ConsumptionProblem(line, "sku", f"unknown SKU '{sku}' (not in the catalog)")
            )
        quantity = parse_quantity(qty_text)
        if quantity is None:
            row_problems.append(
                ConsumptionProblem(line, "quantity", f"'{qty_text}' is not a number")
            )
        elif quantity < 0:
            row_problems.append(ConsumptionProblem(line, "quantity", f"{qty_text} is negative"))
        if day is not None and sku:
            key = (day, sku)
            if key in first_line_of:
                row_problems.append(
                    ConsumptionProblem(
                        line,
                        "sku",
                        f"duplicate line for SKU '{sku}' on {day.isoformat()} "
                        f"(first at line {first_line_of[key]})",
                    )
                )
            else:
                first_line_of[key] = line
        if row_problems:
            problems.extend(row_problems)
            continue
        days.append(day)
        skus.append(sku)
        quantities.append(quantity)
    if not problems and not days:
        problems.append(ConsumptionProblem(None, None, "the file has a header but no lines"))
    if problems:
        raise ConsumptionValidationError(source, problems)
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
        raw = path.read_bytes()
    except OSError as exc:
        raise ConsumptionValidationError(
            str(path), [ConsumptionProblem(None, None, f"cannot read: {exc}")]
        ) from None
    return parse_consumption(raw, source=str(path), known_skus=known_skus)
