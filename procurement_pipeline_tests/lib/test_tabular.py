"""The shared reader of buyers' files (lib/tabular.py): header names, number shapes, dates and
the per-column decimal separator, on small tables written by Python's csv and openpyxl."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

from procurement_pipeline.lib.catalog.validation import COLUMNS as CATALOG_COLUMNS
from procurement_pipeline.lib.consumption.validation import COLUMNS as CONSUMPTION_COLUMNS
from procurement_pipeline.lib.tabular import (
    Column,
    Table,
    accepted_names,
    decimal_mark,
    header_key,
    parse_date,
)
from procurement_pipeline_tests.conftest import REPO_ROOT

COLUMNS = (Column("sku", "código"), Column("qty", "quantidade", kind="number", currency=True))


def csv_bytes(rows, delimiter=",", encoding="utf-8") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def read(raw: bytes, **kwargs) -> tuple[list, Table]:
    with Table(io.BytesIO(raw), "t.csv", COLUMNS, **kwargs) as table:
        values = []
        if table.open():
            values = [(row.line, row.text("sku"), row.number("qty")) for row in table.rows()]
    return values, table


def messages(table: Table) -> str:
    return "\n".join(f"{p}\n{p.portuguese()}" for p in table.problems.items)


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Prazo de Entrega (dias)", "prazo de entrega dias"),
        ("PREÇO DE REFERÊNCIA", "preco de referencia"),
        ("preco_de_referencia", "preco de referencia"),
        ("  Estoque   mínimo ", "estoque minimo"),
        ("Cód.", "cod"),
    ],
)
def test_header_names_ignore_case_accents_spacing_and_punctuation(text, key):
    assert header_key(text) == key


def test_no_accepted_name_names_two_columns():
    """Each import's names map to one column each (a collision would raise)."""
    catalog = accepted_names(CATALOG_COLUMNS)
    consumption = accepted_names(CONSUMPTION_COLUMNS)
    assert catalog["codigo"] == catalog["sku"] == consumption["codigo"] == "sku"
    assert catalog["estoque minimo"] == "minimum_stock"
    assert catalog["estoque atual"] == "current_stock"
    assert catalog["prazo de entrega dias"] == "lead_time_days"
    assert catalog["preco de referencia"] == "reference_price"
    assert consumption["quantidade"] == "quantity" and consumption["data"] == "date"
    with pytest.raises(ValueError, match="would name two columns"):
        accepted_names((Column("a", "código"), Column("b", "Codigo")))


@pytest.mark.parametrize(
    ("mantissa", "mark"),
    [
        ("12", None),
        ("12,5", ","),
        ("12.5", "."),
        ("0,500", ","),  # a leading 0 is not a thousands group
        ("1234,567", ","),  # four digits before: not a thousands group
        ("1.234,56", ","),
        ("1,234.56", "."),
        ("1.234.567", ","),  # grouped dots: the comma is the decimal mark
        ("1,234,567", "."),
        ("1.500", "ambiguous"),
        ("12,345", "ambiguous"),
        ("12.34,5", "invalid"),
        ("1,2,3", "invalid"),
        ("12.", "invalid"),
        (".5", "."),
    ],
)
def test_what_a_number_says_about_its_decimal_mark(mantissa, mark):
    assert decimal_mark(mantissa) == mark


def test_decimal_comma_column_with_thousands_and_currency():
    rows = [["sku", "qty"], ["A", "1.234,56"], ["B", "R$ 12,50"], ["C", "1.500"], ["D", "7"]]
    values, table = read(csv_bytes(rows, ";"))
    assert not table.problems
    assert values == [
        (2, "A", Decimal("1234.56")),
        (3, "B", Decimal("12.50")),
        (4, "C", Decimal("1500")),  # the column uses a decimal comma: '.' groups thousands
        (5, "D", Decimal("7")),
    ]


def test_decimal_point_column_reads_the_same_digits_the_other_way():
    rows = [["sku", "qty"], ["A", "1,234.56"], ["C", "1.500"], ["D", "7"]]
    values, table = read(csv_bytes(rows))
    assert not table.problems
    assert [v[2] for v in values] == [Decimal("1234.56"), Decimal("1.500"), Decimal("7")]


def test_column_whose_only_separator_reads_both_ways_is_an_error():
    _, table = read(csv_bytes([["sku", "qty"], ["A", "7"], ["B", "1.500"], ["C", "2.000"]]))
    text = messages(table)
    assert len(table.problems.items) == 1  # the column, once, not every value
    assert "line 3, field 'qty': '1.500' could be 1500 ('.' separating thousands) or 1.5" in text
    assert "linha 3, coluna 'qty': '1.500' pode ser 1500" in text


def test_column_mixing_separators_is_one_problem_at_the_first_value_that_disagrees():
    rows = [["sku", "qty"], ["A", "12,5"], ["B", "3,25"], ["C", "7.25"], ["D", "1.5"]]
    _, table = read(csv_bytes(rows, ";"))
    (problem,) = table.problems.items
    assert problem.line == 4
    assert "'7.25' has a decimal point, but line 2 ('12,5') has a decimal comma" in str(problem)
    assert "use um só separador decimal na coluna toda" in problem.portuguese()


def test_first_value_that_reads_both_ways_looks_ahead_for_the_column_mark(tmp_path):
    """'1.500' before any value that shows the separator: the rest of the file decides."""
    rows = [["sku", "qty"], ["A", "1.500"], ["B", "7"], ["C", "2,25"]]
    values, table = read(csv_bytes(rows, ";"))
    assert not table.problems
    assert [v[2] for v in values] == [Decimal("1500"), Decimal("7"), Decimal("2.25")]
    path = tmp_path / "t.csv"
    path.write_bytes(csv_bytes([["sku", "qty"], ["A", "1.500"], ["C", "2.25"]]))
    with (
        path.open("rb") as stream,
        Table(stream, str(path), COLUMNS, reopen=lambda: path.open("rb")) as table,
    ):
        assert table.open()
        assert [row.number("qty") for row in table.rows()] == [Decimal("1.5"), Decimal("2.25")]


def test_xlsx_numbers_need_no_separator_and_text_cells_decide_like_csv():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Código", "Quantidade"])
    sheet.append(["A", 12.5])
    sheet.append(["B", "3,25"])
    sheet.append([1234, 2])  # a SKU Excel stored as a number
    buffer = io.BytesIO()
    workbook.save(buffer)
    values, table = read(buffer.getvalue())
    assert not table.problems
    assert table.sheet_name == "Sheet"
    assert values == [
        (2, "A", Decimal("12.5")),
        (3, "B", Decimal("3.25")),
        (4, "1234", Decimal("2")),
    ]


def test_blank_lines_are_skipped_and_lines_keep_their_numbers():
    raw = b"sku;qty\n\nA;1\n;\n\nB;2\n"
    values, table = read(raw)
    assert not table.problems
    assert [(line, sku) for line, sku, _ in values] == [(3, "A"), (6, "B")]


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2026-11-24", dt.date(2026, 11, 24)),
        ("24/11/2026", dt.date(2026, 11, 24)),
        ("1/2/2026", dt.date(2026, 2, 1)),
        ("24/11/2026 00:00:00", dt.date(2026, 11, 24)),
        ("2026-11-24 00:00:00", dt.date(2026, 11, 24)),
        ("31/11/2026", None),
        ("11/24/2026", None),  # month-first is not a Brazilian date
        ("24-11-2026", None),
    ],
)
def test_dates(text, day):
    assert parse_date(text) == day


def test_stream_is_left_open_for_the_caller():
    stream = io.BytesIO(csv_bytes([["sku", "qty"], ["A", "1"]]))
    with Table(stream, "t.csv", COLUMNS) as table:
        assert table.open()
        assert len(list(table.rows())) == 1
    assert not stream.closed


def test_readme_lists_every_accepted_header_name():
    """The documented list is the code's list."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| column | accepted header names") :]
    table = table[: table.index("\n\n")]
    for column in (*CATALOG_COLUMNS, *CONSUMPTION_COLUMNS):
        row = next(line for line in table.splitlines() if f"`{column.key}` |" in line)
        for name in (column.label_pt, *column.names):
            assert f"`{name}`" in row, (column.key, name)
