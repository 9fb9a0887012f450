"""Reading and validating the consumption history an ERP exports (date, SKU, quantity used):
a CSV file or an .xlsx worksheet, read by :mod:`procurement_pipeline.lib.tabular` (separator,
encoding and decimal separator detected; Portuguese or English headers: ``data``/``date``,
``código``/``sku``, ``quantidade``/``quantity``, any column order, extra columns ignored).

Dates are ISO ``yyyy-mm-dd`` or Brazilian ``dd/mm/aaaa`` (or Excel date cells); quantities take
a decimal point or a decimal comma, decided for the whole column. Days without a line mean no
use that day.

Every problem names the file (and sheet), the line and the column, in English and Portuguese,
and all problems are reported at once (:class:`ConsumptionValidationError`) so an analyst fixes
the file in one pass. Nothing is returned unless the whole file is valid, so nothing is ever
half loaded.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import pandas as pd

from procurement_pipeline.lib.catalog.validation import SKU_COLUMN
from procurement_pipeline.lib.tabular import Column, Table
from procurement_pipeline.lib.validation import (
    SAME_SKU_NOTE,
    SAME_SKU_NOTE_PT,
    FileValidationError,
    Problem,
    ProblemLog,
    numeric_limit,
    plain,
    shown,
    sku_key,
)
from procurement_pipeline.lib.warehouse.schema import consumption_history

# The consumption export's columns and the header names each accepts (case, accents, spacing
# and punctuation ignored); the SKU column accepts the catalog's names.
COLUMNS = (
    Column(
        "date",
        "data",
        ("dia", "data do movimento", "data de consumo", "data do consumo", "data movimento"),
        kind="date",
    ),
    SKU_COLUMN,
    Column(
        "quantity",
        "quantidade",
        ("qtd", "qtde", "quant", "consumo", "quantidade consumida", "qtd consumida"),
        kind="number",
    ),
)
REQUIRED_COLUMNS = tuple(c.key for c in COLUMNS)
# Bounds are the warehouse's column types.
MAX_SKU_LENGTH = consumption_history.c.sku.type.length
MAX_QUANTITY = numeric_limit(
    consumption_history.c.quantity.type.precision, consumption_history.c.quantity.type.scale
)
# Unknown SKUs listed one by one before the rest are summarised: a file of another catalog's
# SKUs is one problem saying so, not one per line.
MAX_UNKNOWN_LISTED = 20

ConsumptionProblem = Problem


class ConsumptionValidationError(FileValidationError):
    kind = "consumption file"
    kind_pt = "arquivo de consumo"


def parse_consumption(
    raw: bytes,
    source: str = "<consumption>",
    known_skus: Iterable[str] | None = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Validate consumption bytes (CSV or .xlsx) into a frame ``[day (datetime.date), sku,
    quantity]``, sorted by (day, sku). Raise :class:`ConsumptionValidationError` listing every
    problem. ``known_skus``: when given, SKUs outside it are errors (the catalog must know
    them). SKUs are compared as the warehouse (MySQL utf8mb4_unicode_ci) compares them:
    ``tec-1`` and ``TEC-1`` on the same day are a duplicate, and ``tec-1`` for a catalog
    ``TEC-1`` is an error that names the catalog's spelling.
    """
    return _parse(io.BytesIO(raw), source, known_skus, sheet, encoding)


def _error(table: Table) -> ConsumptionValidationError:
    return ConsumptionValidationError.of(table.source, table.problems, sheet=table.sheet_name)


def _parse(
    stream: BinaryIO,
    source: str,
    known_skus: Iterable[str] | None,
    sheet: str | None,
    encoding: str | None,
    reopen: Callable[[], BinaryIO] | None = None,
) -> pd.DataFrame:
    with Table(stream, source, COLUMNS, sheet=sheet, encoding=encoding, reopen=reopen) as table:
        if not table.open():
            raise _error(table)
        frame = _lines(table, known_skus)
        if table.problems:
            raise _error(table)
    return frame


def _lines(table: Table, known_skus: Iterable[str] | None) -> pd.DataFrame:
    known = None if known_skus is None else {str(s) for s in known_skus}
    known_spelling = None if known is None else {sku_key(s): s for s in sorted(known)}
    days: list[dt.date] = []
    skus: list[str] = []
    quantities: list[float] = []
    unknown: dict[str, int] = {}  # unknown SKU -> lines
    first_unknown_line: int | None = None
    # (day, SKU key as MySQL compares) -> (first line, spelling there).
    first_line_of: dict[tuple[dt.date, str], tuple[int, str]] = {}
    lines = 0
    for row in table.rows():
        line = row.line
        lines += 1
        day = row.date("date")
        sku = row.text("sku")
        if not sku:
            table.add(line, "sku", "is empty", "está vazia")
        elif len(sku) > MAX_SKU_LENGTH:
            table.add(
                line,
                "sku",
                f"longer than {MAX_SKU_LENGTH} characters",
                f"tem mais de {MAX_SKU_LENGTH} caracteres",
            )
        elif known is not None and sku not in known:
            spelled = known_spelling.get(sku_key(sku))
            unknown[sku] = unknown.get(sku, 0) + 1
            first_unknown_line = first_unknown_line or line
            if spelled:
                table.add(
                    line,
                    "sku",
                    f"unknown SKU '{sku}' (the catalog has '{spelled}': use the same spelling)",
                    f"SKU desconhecido '{sku}' (o catálogo tem '{spelled}': use a mesma grafia)",
                )
            elif len(unknown) <= MAX_UNKNOWN_LISTED and unknown[sku] == 1:
                table.add(
                    line,
                    "sku",
                    f"unknown SKU '{sku}' (not in the catalog)",
                    f"SKU desconhecido '{sku}' (não está no catálogo)",
                )
        quantity = row.number("quantity")
        if quantity is not None:
            text = row.text("quantity")
            if quantity < 0:
                table.add(
                    line, "quantity", f"{shown(text)} is negative", f"{shown(text)} é negativa"
                )
                quantity = None
            elif quantity > MAX_QUANTITY:
                table.add(
                    line,
                    "quantity",
                    f"{shown(text)} is too large (at most {plain(MAX_QUANTITY)})",
                    f"{shown(text)} é grande demais (no máximo {plain(MAX_QUANTITY)})",
                )
                quantity = None
        if day is not None and sku and len(sku) <= MAX_SKU_LENGTH:
            key = (day, sku_key(sku))
            if key in first_line_of:
                first, first_sku = first_line_of[key]
                if first_sku == sku:
                    where, where_pt = f"first at line {first}", f"antes na linha {first}"
                else:
                    where = f"first at line {first} as '{first_sku}'; {SAME_SKU_NOTE}"
                    where_pt = f"antes na linha {first} como '{first_sku}'; {SAME_SKU_NOTE_PT}"
                table.add(
                    line,
                    "sku",
                    f"duplicate line for SKU '{sku}' on {day.isoformat()} ({where})",
                    f"linha repetida do SKU '{sku}' em {day:%d/%m/%Y} ({where_pt})",
                )
            else:
                first_line_of[key] = (line, sku)
        if table.problems or unknown:
            continue  # once anything is wrong nothing is returned: keep nothing
        days.append(day)
        skus.append(sku)
        quantities.append(float(quantity))
    if unknown:
        _summarise_unknown(table, unknown, first_unknown_line, lines)
    if not table.problems and not days:
        table.add(
            None,
            None,
            "the file has a header but no lines",
            "o arquivo tem cabeçalho mas nenhuma linha",
        )
    frame = pd.DataFrame(
        {
            "day": pd.Series(days, dtype=object),
            "sku": pd.Series(skus, dtype=object),
            "quantity": pd.Series(quantities, dtype=float),
        }
    )
    return frame.sort_values(["day", "sku"], kind="stable", ignore_index=True)


def _summarise_unknown(
    table: Table, unknown: dict[str, int], first_line: int | None, lines: int
) -> None:
    """One problem for the unknown SKUs beyond the first ones listed; when most lines are
    unknown, the file is probably the consumption export of another catalog."""
    total = sum(unknown.values())
    if len(unknown) <= MAX_UNKNOWN_LISTED and total < lines / 2:
        return
    english = f"{len(unknown):,} SKU(s) in {total:,} line(s) are not in the catalog"
    portuguese = f"{len(unknown):,} SKU(s) em {total:,} linha(s) não estão no catálogo"
    if total >= lines / 2:
        english += (
            ": is this the consumption export of another catalog (e.g. the demo's)? Give the "
            "consumption file of this catalog, or none"
        )
        portuguese += (
            ": é o consumo de outro catálogo (por exemplo o da demonstração)? Use o arquivo de "
            "consumo deste catálogo, ou nenhum"
        )
    table.add(first_line, "sku", english, portuguese)


def read_consumption(
    path: str | Path,
    known_skus: Iterable[str] | None = None,
    *,
    sheet: str | None = None,
    encoding: str | None = None,
) -> pd.DataFrame:
    """Validate a consumption file: CSV or .xlsx (``sheet``: its worksheet, default the first;
    ``encoding``: a CSV's, default detected)."""
    path = Path(path)
    try:
        stream = path.open("rb")
    except OSError as exc:
        log = ProblemLog()
        log.add(Problem(None, None, f"cannot read: {exc}", f"não foi possível ler: {exc}"))
        raise ConsumptionValidationError.of(str(path), log) from None
    with stream:
        return _parse(
            stream, str(path), known_skus, sheet, encoding, reopen=lambda: path.open("rb")
        )
