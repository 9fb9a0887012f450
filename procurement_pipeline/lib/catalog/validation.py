"""Reading and validating the purchasing catalog CSV.

Every problem names the file, the line and the field, and all problems are reported at once
so an analyst can fix the file in one pass. Nothing is written anywhere from here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

from procurement_pipeline.lib.validation import FileValidationError, Problem, decode_utf8

REQUIRED_COLUMNS = (
    "sku",
    "name",
    "category",
    "unit",
    "search_term",
    "current_stock",
    "minimum_stock",
    "lead_time_days",
    "reference_price",
)
MAX_LENGTHS = {"sku": 64, "name": 255, "category": 64, "unit": 16, "search_term": 255}


@dataclass(frozen=True)
class CatalogProduct:
    sku: str
    name: str
    category: str
    unit: str
    search_term: str
    current_stock: Decimal
    minimum_stock: Decimal
    lead_time_days: int
    reference_price: Decimal

    def as_row(self) -> dict:
        return {field: getattr(self, field) for field in REQUIRED_COLUMNS}


# Kept under the catalog's own names for callers and tests.
CatalogProblem = Problem


class CatalogValidationError(FileValidationError):
    kind = "catalog"


def _decimal(value: str) -> Decimal | None:
    try:
        number = Decimal(value.strip())
    except (InvalidOperation, AttributeError):
        return None
    return number if number.is_finite() else None


def parse_catalog(raw: bytes, source: str = "<catalog>") -> list[CatalogProduct]:
    """Validate catalog CSV bytes; raise CatalogValidationError listing every problem."""
    if not raw.strip():
        raise CatalogValidationError(source, [CatalogProblem(None, None, "the file is empty")])
    text = decode_utf8(raw, source, CatalogValidationError)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    if missing:
        raise CatalogValidationError(
            source,
            [CatalogProblem(1, c, "missing column (header must name it)") for c in missing],
        )
    reader.fieldnames = header

    problems: list[CatalogProblem] = []
    products: list[CatalogProduct] = []
    first_line_of_sku: dict[str, int] = {}
    for row in reader:
        line = reader.line_num
        if None in row:
            problems.append(CatalogProblem(line, None, "more values than columns"))
            continue
        values = {k: (v or "").strip() for k, v in row.items() if k in REQUIRED_COLUMNS}
        row_problems: list[CatalogProblem] = []
        for field in ("sku", "name", "category", "unit", "search_term"):
            if not values[field]:
                row_problems.append(CatalogProblem(line, field, "is empty"))
            elif len(values[field]) > MAX_LENGTHS[field]:
                row_problems.append(
                    CatalogProblem(line, field, f"longer than {MAX_LENGTHS[field]} characters")
                )
        numbers: dict[str, Decimal] = {}
        for field in ("current_stock", "minimum_stock", "reference_price"):
            number = _decimal(values[field])
            if number is None:
                row_problems.append(
                    CatalogProblem(line, field, f"'{values[field]}' is not a number")
                )
            elif number < 0:
                row_problems.append(CatalogProblem(line, field, f"{number} is negative"))
            elif field == "reference_price" and number == 0:
                row_problems.append(CatalogProblem(line, field, "must be greater than zero"))
            else:
                numbers[field] = number
        lead_time = _decimal(values["lead_time_days"])
        if lead_time is None or lead_time != lead_time.to_integral_value():
            row_problems.append(
                CatalogProblem(
                    line, "lead_time_days", f"'{values['lead_time_days']}' is not a whole number"
                )
            )
        elif lead_time < 0:
            row_problems.append(CatalogProblem(line, "lead_time_days", "is negative"))
        sku = values["sku"]
        if sku:
            if sku in first_line_of_sku:
                row_problems.append(
                    CatalogProblem(
                        line,
                        "sku",
                        f"duplicate SKU '{sku}' (first at line {first_line_of_sku[sku]})",
                    )
                )
            else:
                first_line_of_sku[sku] = line
        if row_problems:
            problems.extend(row_problems)
            continue
        products.append(
            CatalogProduct(
                sku=sku,
                name=values["name"],
                category=values["category"],
                unit=values["unit"],
                search_term=values["search_term"],
                current_stock=numbers["current_stock"],
                minimum_stock=numbers["minimum_stock"],
                lead_time_days=int(lead_time),
                reference_price=numbers["reference_price"].quantize(Decimal("0.01")),
            )
        )
    if not problems and not products:
        problems.append(CatalogProblem(None, None, "the file has a header but no products"))
    if problems:
        raise CatalogValidationError(source, problems)
    return products


def read_catalog(path: str | Path) -> list[CatalogProduct]:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CatalogValidationError(
            str(path), [CatalogProblem(None, None, f"cannot read: {exc}")]
        ) from None
    return parse_catalog(raw, source=str(path))
