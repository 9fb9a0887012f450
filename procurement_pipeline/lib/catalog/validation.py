"""Reading and validating the purchasing catalog: a CSV file or an .xlsx worksheet, as
Brazilian ERPs and Excel write them (see :mod:`procurement_pipeline.lib.tabular`: separator,
encoding and decimal separators detected, Portuguese or English headers).

Every problem names the file (and sheet), the line and the column, in English and Portuguese,
and all problems are reported at once so an analyst can fix the file in one pass. Nothing is
written anywhere from here.

What passes is what the warehouse can hold: text lengths, number ranges and the price's two
decimals come from the ``products`` columns (a price that rounds to 0.00 is refused), a header
may name a column once, and SKUs are unique as MySQL's utf8mb4_unicode_ci sees them (case and
accents ignored, see :func:`procurement_pipeline.lib.validation.sku_key`). The file is read as
a stream: memory and the number of problems kept stay bounded on any file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from procurement_pipeline.lib.tabular import Column, Row, Table
from procurement_pipeline.lib.validation import (
    MAX_INTEGER,
    SAME_SKU_NOTE,
    SAME_SKU_NOTE_PT,
    FileValidationError,
    Problem,
    ProblemLog,
    numeric_limit,
    plain,
    shown,
    sku_character_problem,
    sku_key,
)
from procurement_pipeline.lib.warehouse.schema import products

# The catalog's columns and the header names each accepts (case, accents, spacing and
# punctuation ignored), besides its English name and the Portuguese one shown first.
SKU_COLUMN = Column(
    "sku",
    "código",
    ("código do produto", "código do item", "cód", "cód. produto", "referência", "ref"),
)
COLUMNS = (
    SKU_COLUMN,
    Column("name", "descrição", ("produto", "descrição do produto", "nome", "nome do produto")),
    Column("category", "categoria", ("grupo", "família")),
    Column("unit", "unidade", ("un", "und", "unid", "um", "unidade de medida")),
    Column("search_term", "termo de busca", ("termo de pesquisa", "busca")),
    Column(
        "current_stock",
        "estoque atual",
        ("estoque", "saldo", "saldo atual", "saldo em estoque", "quantidade em estoque"),
        kind="number",
    ),
    Column(
        "minimum_stock", "estoque mínimo", ("estoque min", "mínimo", "est. mínimo"), kind="number"
    ),
    Column(
        "lead_time_days",
        "prazo de entrega (dias)",
        ("prazo de entrega", "prazo (dias)", "prazo", "lead time", "lead time (dias)"),
        kind="number",
    ),
    Column(
        "reference_price",
        "preço de referência",
        (
            "preço de referência (R$)",
            "preço",
            "preço (R$)",
            "preço unitário",
            "valor unitário",
            "custo unitário",
        ),
        kind="number",
        currency=True,
    ),
)
REQUIRED_COLUMNS = tuple(c.key for c in COLUMNS)
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
    kind_pt = "catálogo"


def _check_number(table: Table, row: Row, name: str) -> Decimal | None:
    number = row.number(name)
    if number is None:
        return None
    text = row.text(name)
    if number < 0:
        table.add(row.line, name, f"{shown(text)} is negative", f"{shown(text)} é negativo")
    elif number > LIMITS[name]:
        limit = plain(LIMITS[name])
        table.add(
            row.line,
            name,
            f"{shown(text)} is too large (at most {limit})",
            f"{shown(text)} é grande demais (no máximo {limit})",
        )
    elif name == "reference_price" and number == 0:
        table.add(row.line, name, "must be greater than zero", "precisa ser maior que zero")
    elif name == "reference_price" and number.quantize(Decimal(1).scaleb(-SCALES[name])) == 0:
        table.add(
            row.line,
            name,
            f"{shown(text)} rounds to 0.00 at the stored precision ({SCALES[name]} decimals); "
            "must be at least 0.01",
            f"{shown(text)} arredonda para 0,00 na precisão guardada ({SCALES[name]} casas); "
            "precisa ser ao menos 0,01",
        )
    else:
        return number
    return None


def _check_lead_time(table: Table, row: Row) -> int | None:
    lead_time = row.number("lead_time_days")
    if lead_time is None:
        return None
    text = row.text("lead_time_days")
    if lead_time != lead_time.to_integral_value():
        table.add(
            row.line,
            "lead_time_days",
            f"'{shown(text)}' is not a whole number",
            f"'{shown(text)}' não é um número inteiro",
        )
    elif lead_time < 0:
        table.add(row.line, "lead_time_days", "is negative", "é negativo")
    elif lead_time > MAX_INTEGER:
        table.add(
            row.line,
            "lead_time_days",
            f"{shown(text)} is too large (at most {MAX_INTEGER})",
            f"{shown(text)} é grande demais (no máximo {MAX_INTEGER})",
        )
    else:
        return int(lead_time)
    return None


def parse_catalog(
    raw: bytes, source: str = "<catalog>", *, sheet: str | None = None, encoding: str | None = None
) -> list[CatalogProduct]:
    """Validate catalog bytes (CSV or .xlsx); raise CatalogValidationError listing every
    problem."""
    return _parse(io.BytesIO(raw), source, sheet, encoding)


def _error(table: Table) -> CatalogValidationError:
    return CatalogValidationError.of(table.source, table.problems, sheet=table.sheet_name)


def _parse(
    stream: BinaryIO,
    source: str,
    sheet: str | None,
    encoding: str | None,
    reopen: Callable[[], BinaryIO] | None = None,
) -> list[CatalogProduct]:
    with Table(stream, source, COLUMNS, sheet=sheet, encoding=encoding, reopen=reopen) as table:
        if not table.open():
            raise _error(table)
        products_ = _products(table)
        if not table.problems and not products_:
            table.add(
                None,
                None,
                "the file has a header but no products",
                "o arquivo tem cabeçalho mas nenhum produto",
            )
        if table.problems:
            raise _error(table)
    return products_


def _products(table: Table) -> list[CatalogProduct]:
    products_: list[CatalogProduct] = []
    # SKU key (as MySQL compares) -> (first line, spelling there).
    first_of_sku: dict[str, tuple[int, str]] = {}
    for row in table.rows():
        line = row.line
        values = {name: row.text(name) for name in TEXT_COLUMNS}
        for name in TEXT_COLUMNS:
            if not values[name]:
                table.add(line, name, "is empty", "está vazia")
            elif len(values[name]) > MAX_LENGTHS[name]:
                table.add(
                    line,
                    name,
                    f"longer than {MAX_LENGTHS[name]} characters",
                    f"tem mais de {MAX_LENGTHS[name]} caracteres",
                )
        numbers = {name: _check_number(table, row, name) for name in NUMBER_COLUMNS}
        lead_time = _check_lead_time(table, row)
        sku = values["sku"]
        if sku and len(sku) <= MAX_LENGTHS["sku"]:
            bad_character = sku_character_problem(sku)
            if bad_character:
                table.add(line, "sku", *bad_character)
            else:
                key = sku_key(sku)
                if key in first_of_sku:
                    first_line, first_sku = first_of_sku[key]
                    if first_sku == sku:
                        where, where_pt = (
                            f"first at line {first_line}",
                            f"antes na linha {first_line}",
                        )
                    else:
                        where = f"first at line {first_line} as '{first_sku}'; {SAME_SKU_NOTE}"
                        where_pt = (
                            f"antes na linha {first_line} como '{first_sku}'; {SAME_SKU_NOTE_PT}"
                        )
                    table.add(
                        line,
                        "sku",
                        f"duplicate SKU '{sku}' ({where})",
                        f"SKU repetido '{sku}' ({where_pt})",
                    )
                else:
                    first_of_sku[key] = (line, sku)
        if table.problems:
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
                source=table.source,
            )
        )
    return products_


def read_catalog(
    path: str | Path, *, sheet: str | None = None, encoding: str | None = None
) -> list[CatalogProduct]:
    """Validate a catalog file: CSV or .xlsx (``sheet``: its worksheet, default the first;
    ``encoding``: a CSV's, default detected)."""
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        log = ProblemLog()
        log.add(Problem(None, None, f"cannot read: {exc}", f"não foi possível ler: {exc}"))
        raise CatalogValidationError.of(str(path), log) from None
    with stream:
        return _parse(stream, str(path), sheet, encoding, reopen=lambda: path.open("rb"))
