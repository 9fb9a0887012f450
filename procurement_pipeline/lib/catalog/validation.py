"""Reading and validating the purchasing catalog CSV.

Every problem names the file, the line and the field, and all problems are reported at once
so an analyst can fix the file in one pass. Nothing is written anywhere from here.

What passes is what the warehouse can hold: text lengths, number ranges and the price's two
decimals come from the ``products`` columns (a price that rounds to 0.00 is refused), a header
may name a column once, and SKUs are unique as MySQL's utf8mb4_unicode_ci sees them (case and
accents ignored, see :func:`procurement_pipeline.lib.validation.sku_key`). The file is read as
a stream: memory and the number of problems kept stay bounded on any file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import BinaryIO

from procurement_pipeline.lib.validation import (
    MAX_INTEGER,
    SAME_SKU_NOTE,
    CsvRecords,
    FileValidationError,
    Problem,
    numeric_limit,
    plain,
    shown,
    sku_character_problem,
    sku_key,
)
from procurement_pipeline.lib.warehouse.schema import products

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
TEXT_COLUMNS = ("sku", "name", "category", "unit", "search_term")
NUMBER_COLUMNS = ("current_stock", "minimum_stock", "reference_price")
# Bounds are the warehouse's column types: what passes here is what the table can hold.
MAX_LENGTHS = {c: products.c[c].type.length for c in TEXT_COLUMNS}
SCALES = {c: products.c[c].type.scale for c in NUMBER_COLUMNS}
LIMITS = {c: numeric_limit(products.c[c].type.precision, SCALES[c]) for c in NUMBER_COLUMNS}


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
    # Where the product came from, for problems found later (against the warehouse).
    line: int | None = field(default=None, compare=False)
    source: str | None = field(default=None, compare=False, repr=False)

    def as_row(self) -> dict:
        return {name: getattr(self, name) for name in REQUIRED_COLUMNS}


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


def _check_number(records: CsvRecords, line: int, name: str, text: str) -> Decimal | None:
    number = _decimal(text)
    if number is None:
        records.add(line, name, f"'{shown(text)}' is not a number")
    elif number < 0:
        records.add(line, name, f"{shown(str(number))} is negative")
    elif number > LIMITS[name]:
        records.add(
            line, name, f"{shown(str(number))} is too large (at most {plain(LIMITS[name])})"
        )
    elif name == "reference_price" and number == 0:
        records.add(line, name, "must be greater than zero")
    elif name == "reference_price" and number.quantize(Decimal(1).scaleb(-SCALES[name])) == 0:
        records.add(
            line,
            name,
            f"{shown(text)} rounds to 0.00 at the stored precision ({SCALES[name]} decimals); "
            "must be at least 0.01",
        )
    else:
        return number
    return None


def _check_lead_time(records: CsvRecords, line: int, text: str) -> int | None:
    lead_time = _decimal(text)
    if lead_time is None or lead_time != lead_time.to_integral_value():
        records.add(line, "lead_time_days", f"'{shown(text)}' is not a whole number")
    elif lead_time < 0:
        records.add(line, "lead_time_days", "is negative")
    elif lead_time > MAX_INTEGER:
        records.add(
            line,
            "lead_time_days",
            f"{shown(str(lead_time))} is too large (at most {MAX_INTEGER})",
        )
    else:
        return int(lead_time)
    return None


def parse_catalog(raw: bytes, source: str = "<catalog>") -> list[CatalogProduct]:
    """Validate catalog CSV bytes; raise CatalogValidationError listing every problem."""
    return _parse(io.BytesIO(raw), source)


def _parse(stream: BinaryIO, source: str) -> list[CatalogProduct]:
    records = CsvRecords(stream)
    header = records.read_header()
    if header is None or records.empty:
        if records.problems:  # not UTF-8, or a first line too long
            raise CatalogValidationError(source, records.problems, records.stopped)
        raise CatalogValidationError(source, [CatalogProblem(None, None, "the file is empty")])
    header_problems = header.problems(REQUIRED_COLUMNS)
    if header_problems:
        raise CatalogValidationError(source, header_problems)
    index = {c: header.index(c) for c in REQUIRED_COLUMNS}
    width = len(header.names)

    products_: list[CatalogProduct] = []
    # SKU key (as MySQL compares) -> (first line, spelling there).
    first_of_sku: dict[str, tuple[int, str]] = {}
    for line, row in records.rows():
        if len(row) > width:
            records.add(line, None, "more values than columns")
            continue
        values = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        for name in TEXT_COLUMNS:
            if not values[name]:
                records.add(line, name, "is empty")
            elif len(values[name]) > MAX_LENGTHS[name]:
                records.add(line, name, f"longer than {MAX_LENGTHS[name]} characters")
        numbers = {
            name: _check_number(records, line, name, values[name]) for name in NUMBER_COLUMNS
        }
        lead_time = _check_lead_time(records, line, values["lead_time_days"])
        sku = values["sku"]
        if sku and len(sku) <= MAX_LENGTHS["sku"]:
            bad_character = sku_character_problem(sku)
            if bad_character:
                records.add(line, "sku", bad_character)
            else:
                key = sku_key(sku)
                if key in first_of_sku:
                    first_line, first_sku = first_of_sku[key]
                    where = (
                        f"first at line {first_line}"
                        if first_sku == sku
                        else f"first at line {first_line} as '{first_sku}'; {SAME_SKU_NOTE}"
                    )
                    records.add(line, "sku", f"duplicate SKU '{sku}' ({where})")
                else:
                    first_of_sku[key] = (line, sku)
        if records.problems:
            continue  # once anything is wrong nothing is returned: stop building products
        products_.append(
            CatalogProduct(
                sku=sku,
                name=values["name"],
                category=values["category"],
                unit=values["unit"],
                search_term=values["search_term"],
                current_stock=numbers["current_stock"],
                minimum_stock=numbers["minimum_stock"],
                lead_time_days=lead_time,
                reference_price=numbers["reference_price"].quantize(
                    Decimal(1).scaleb(-SCALES["reference_price"])
                ),
                line=line,
                source=source,
            )
        )
    if not records.problems and not products_:
        records.add(None, None, "the file has a header but no products")
    if records.problems:
        raise CatalogValidationError(source, records.problems, records.stopped)
    return products_


def read_catalog(path: str | Path) -> list[CatalogProduct]:
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise CatalogValidationError(
            str(path), [CatalogProblem(None, None, f"cannot read: {exc}")]
        ) from None
    with stream:
        return _parse(stream, str(path))
