"""The consumption import reads the ERP exports a Brazilian purchasing department has (issue 14,
item 1): Excel's CSV (`;`, decimal comma, Windows-1252, dd/mm/aaaa) written by Python's csv
module, .xlsx with date cells written by openpyxl, Portuguese headers; another catalog's
export is one problem that says so, not one per line."""

from __future__ import annotations

import csv
import datetime as dt
import io

import openpyxl
import pytest

from procurement_pipeline.lib.consumption import (
    ConsumptionValidationError,
    parse_consumption,
    read_consumption,
)
from procurement_pipeline.lib.consumption.validation import MAX_UNKNOWN_LISTED

EXPECTED = [
    {"day": dt.date(2026, 11, 23), "sku": "PAR-M6X20", "quantity": 12.0},
    {"day": dt.date(2026, 11, 23), "sku": "TEC-SUEDE", "quantity": 12.5},
    {"day": dt.date(2026, 11, 24), "sku": "TEC-SUEDE", "quantity": 1250.75},
]


def excel_csv(rows, *, delimiter=";", encoding="cp1252") -> bytes:
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def test_excel_ptbr_csv(tmp_path):
    rows = [
        ["Data do movimento", "Código", "Descrição", "Quantidade consumida"],
        ["23/11/2026", "TEC-SUEDE", "Tecido suede café", "12,5"],
        ["24/11/2026", "TEC-SUEDE", "Tecido suede café", "1.250,75"],
        ["23/11/2026", "PAR-M6X20", "Parafuso sextavado", "12"],
    ]
    path = tmp_path / "consumo.csv"
    # Excel ends with a line of empty cells: blank, skipped.
    path.write_bytes(excel_csv(rows) + b";;;\r\n")
    frame = read_consumption(path, known_skus={"TEC-SUEDE", "PAR-M6X20"})
    assert frame.to_dict("records") == EXPECTED


def test_xlsx_with_date_cells_and_headers_in_capitals():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Consumo"
    sheet.append(["DATA", "SKU", "QTD"])
    sheet.append([dt.datetime(2026, 11, 23), "TEC-SUEDE", 12.5])
    sheet.append([dt.date(2026, 11, 24), "TEC-SUEDE", "1.250,75"])
    sheet.append(["23/11/2026", "PAR-M6X20", 12])
    buffer = io.BytesIO()
    workbook.save(buffer)
    frame = parse_consumption(buffer.getvalue(), source="consumo.xlsx")
    assert frame.to_dict("records") == EXPECTED


def test_xlsx_problems_name_the_sheet():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Movimentos"
    sheet.append(["data", "código", "quantidade"])
    sheet.append(["31/11/2026", "A", -1])
    buffer = io.BytesIO()
    workbook.save(buffer)
    with pytest.raises(ConsumptionValidationError) as excinfo:
        parse_consumption(buffer.getvalue(), source="consumo.xlsx")
    message = str(excinfo.value)
    assert "invalid consumption file consumo.xlsx, sheet 'Movimentos'" in message
    assert "arquivo de consumo inválido consumo.xlsx, planilha 'Movimentos'" in message
    assert "line 2, field 'data' (date): '31/11/2026' is not a date" in message
    assert "linha 2, coluna 'quantidade': -1 é negativa" in message


def test_another_catalogs_export_is_one_problem_that_says_so():
    rows = [["date", "sku", "quantity"]]
    rows += [["2026-11-24", f"DEMO-{i:05d}", "1"] for i in range(500)]
    rows.append(["2026-11-24", "MINE-1", "2"])
    with pytest.raises(ConsumptionValidationError) as excinfo:
        parse_consumption(excel_csv(rows, delimiter=","), known_skus={"MINE-1"})
    error = excinfo.value
    # The first unknown SKUs one by one, then one line for all of them.
    assert len(error.problems) == MAX_UNKNOWN_LISTED + 1
    assert "line 2, field 'sku': unknown SKU 'DEMO-00000' (not in the catalog)" in str(error)
    summary = str(error.problems[-1])
    assert "500 SKU(s) in 500 line(s) are not in the catalog" in summary
    assert "the consumption export of another catalog (e.g. the demo's)?" in summary
