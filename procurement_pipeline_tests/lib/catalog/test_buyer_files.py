"""The catalog import reads the files a Brazilian purchasing department has (issue 14, item 1):
Excel's "CSV (separado por vírgulas)" (`;`, decimal comma, Windows-1252) written by Python's
csv module, CSV UTF-8 with a BOM, .xlsx workbooks written by openpyxl, Portuguese headers in
any case and with or without accents; and the mistakes people make with them get a message
that names the file, sheet, line and column in English and Portuguese and says what to do."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from procurement_pipeline.lib.catalog import CatalogValidationError, parse_catalog, read_catalog

PT_HEADER = [
    "Código",
    "Descrição",
    "Categoria",
    "Unidade",
    "Termo de busca",
    "Estoque atual",
    "Estoque mínimo",
    "Prazo de entrega (dias)",
    "Preço de referência",
]
# As an ERP in Brazil writes them: decimal comma, thousands with '.', accents in the text.
PT_ROWS = [
    [
        "PAR-M6X20",
        "Parafuso sextavado M6x20 inox",
        "fixação",
        "caixa",
        "parafuso m6",
        "12",
        "5",
        "7",
        "1.234,50",
    ],
    [
        "TEC-SUEDE",
        "Tecido suede amassado café",
        "tecidos",
        "metro",
        "tecido suede",
        "300,5",
        "100",
        "10",
        "32,40",
    ],
    [
        "COL-28",
        "Cola de contato 2,8 kg",
        "adesivos",
        "galão",
        "cola de contato",
        "4",
        "6",
        "5",
        "129,00",
    ],
]


def excel_csv(rows, *, delimiter=";", encoding="cp1252") -> bytes:
    """What Excel pt-BR's CSV export gives: Python's csv module, CRLF, the given encoding."""
    buffer = io.StringIO(newline="")
    csv.writer(buffer, delimiter=delimiter).writerows(rows)
    return buffer.getvalue().encode(encoding)


def workbook_bytes(sheets: dict[str, list[list]]) -> bytes:
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def error_of(raw: bytes, source="catalogo.csv", **kwargs) -> str:
    with pytest.raises(CatalogValidationError) as excinfo:
        parse_catalog(raw, source=source, **kwargs)
    return str(excinfo.value)


def as_tuples(products):
    return [
        (p.sku, p.name, p.current_stock, p.minimum_stock, p.lead_time_days, p.reference_price)
        for p in products
    ]


EXPECTED = [
    (
        "PAR-M6X20",
        "Parafuso sextavado M6x20 inox",
        Decimal("12"),
        Decimal("5"),
        7,
        Decimal("1234.50"),
    ),
    (
        "TEC-SUEDE",
        "Tecido suede amassado café",
        Decimal("300.5"),
        Decimal("100"),
        10,
        Decimal("32.40"),
    ),
    ("COL-28", "Cola de contato 2,8 kg", Decimal("4"), Decimal("6"), 5, Decimal("129.00")),
]


def test_excel_ptbr_csv_windows_1252_semicolon_decimal_comma(tmp_path):
    path = tmp_path / "catálogo.csv"
    path.write_bytes(excel_csv([PT_HEADER, *PT_ROWS]))
    assert b"\xe7" in path.read_bytes()  # really Windows-1252: 'ç' is one byte
    products = read_catalog(path)
    assert as_tuples(products) == EXPECTED
    assert products[0].category == "fixação" and products[2].unit == "galão"


def test_csv_utf8_with_bom_and_without():
    raw = excel_csv([PT_HEADER, *PT_ROWS], encoding="utf-8")
    assert as_tuples(parse_catalog(b"\xef\xbb\xbf" + raw)) == EXPECTED
    assert as_tuples(parse_catalog(raw)) == EXPECTED


def test_declared_encoding_is_used():
    raw = excel_csv([PT_HEADER, *PT_ROWS], encoding="latin-1")
    assert as_tuples(parse_catalog(raw, encoding="latin-1")) == EXPECTED
    assert as_tuples(parse_catalog(raw, encoding="cp1252")) == EXPECTED


def test_headers_in_any_case_with_or_without_accents_and_in_english():
    plain = [
        "CODIGO",
        "descricao",
        "CATEGORIA",
        "unidade",
        "termo_de_busca",
        "Estoque Atual",
        "estoque minimo",
        "PRAZO DE ENTREGA",
        "preco de referencia (R$)",
    ]
    assert as_tuples(parse_catalog(excel_csv([plain, *PT_ROWS]))) == EXPECTED
    english = [
        "SKU",
        "Name",
        "category",
        "Unit",
        "Search Term",
        "current_stock",
        "Minimum Stock",
        "lead_time_days",
        "Reference_Price",
    ]
    assert as_tuples(parse_catalog(excel_csv([english, *PT_ROWS]))) == EXPECTED
    # Any column order, extra columns ignored.
    shuffled = [
        [row[i] for i in (8, 0, 1, 2, 3, 4, 5, 6, 7)] + ["obs"] for row in [PT_HEADER, *PT_ROWS]
    ]
    assert as_tuples(parse_catalog(excel_csv(shuffled))) == EXPECTED


def test_xlsx_first_sheet_with_number_cells():
    rows = [
        PT_HEADER,
        [
            "PAR-M6X20",
            "Parafuso sextavado M6x20 inox",
            "fixação",
            "caixa",
            "parafuso m6",
            12,
            5,
            7,
            1234.5,
        ],
        [
            "TEC-SUEDE",
            "Tecido suede amassado café",
            "tecidos",
            "metro",
            "tecido suede",
            300.5,
            100,
            10,
            32.4,
        ],
        [
            "COL-28",
            "Cola de contato 2,8 kg",
            "adesivos",
            "galão",
            "cola de contato",
            4,
            6,
            5,
            "129,00",
        ],
    ]
    raw = workbook_bytes({"Produtos": rows, "Notas": [["não é o catálogo"]]})
    assert as_tuples(parse_catalog(raw, source="catalogo.xlsx")) == EXPECTED


def test_xlsx_sheet_named_by_the_setting_case_and_accents_ignored(tmp_path):
    rows = [PT_HEADER, *PT_ROWS]
    path = tmp_path / "export_erp.xlsx"
    path.write_bytes(workbook_bytes({"Resumo": [["Relatório"]], "Catálogo": rows}))
    assert as_tuples(read_catalog(path, sheet="Catálogo")) == EXPECTED
    assert as_tuples(read_catalog(path, sheet="catalogo")) == EXPECTED
    with pytest.raises(CatalogValidationError) as excinfo:
        read_catalog(path, sheet="Produtos")
    message = str(excinfo.value)
    assert "no sheet named 'Produtos' (the workbook has 'Resumo', 'Catálogo')" in message
    assert "não há planilha chamada 'Produtos'" in message


def test_xlsx_problems_name_file_sheet_line_and_column_in_both_languages():
    rows = [
        PT_HEADER,
        PT_ROWS[0],
        [None] * 9,
        ["X-1", "Prego", "fixação", "caixa", "prego", -1, "abc", 2.5, 0],
    ]
    message = error_of(workbook_bytes({"Produtos": rows}), source="catalogo.xlsx")
    assert message.startswith(
        "invalid catalog catalogo.xlsx, sheet 'Produtos': 4 problem(s) / catálogo inválido "
        "catalogo.xlsx, planilha 'Produtos': 4 problema(s)"
    )
    # Line 4: the blank row 3 keeps its number, as Excel shows it.
    assert "line 4, field 'Estoque atual' (current_stock): -1 is negative" in message
    assert "linha 4, coluna 'Estoque atual': -1 é negativo" in message
    assert "line 4, field 'Estoque mínimo' (minimum_stock): 'abc' is not a number" in message
    assert "linha 4, coluna 'Prazo de entrega (dias)': '2.5' não é um número inteiro" in message
    assert "linha 4, coluna 'Preço de referência': precisa ser maior que zero" in message


def test_ambiguous_decimal_column_is_an_error_naming_line_and_column():
    # The stock column has whole numbers and '1.500': 1500 or 1.5?
    rows = [PT_HEADER, PT_ROWS[0], [*PT_ROWS[1][:5], "1.500", "100", "10", "32,40"]]
    message = error_of(excel_csv(rows))
    assert (
        "line 3, field 'Estoque atual' (current_stock): '1.500' could be 1500 ('.' separating "
        "thousands) or 1.5 ('.' as the decimal separator)"
    ) in message
    assert "linha 3, coluna 'Estoque atual': '1.500' pode ser 1500" in message


def test_column_mixing_decimal_comma_and_point_is_an_error():
    rows = [
        PT_HEADER,
        *PT_ROWS,
        ["FER-1", "Dobradiça", "ferragens", "unidade", "dobradica", "80", "40", "4", "3.90"],
    ]
    message = error_of(excel_csv(rows))
    assert "line 5, field 'Preço de referência' (reference_price): '3.90' has a decimal point" in (
        message
    )
    assert "line 2 ('1.234,50') has a decimal comma" in message


def test_windows_1252_file_declared_utf8_says_what_to_do():
    message = error_of(excel_csv([PT_HEADER, *PT_ROWS]), encoding="utf-8")
    assert "line 1: not valid UTF-8 (byte 0xf3)" in message
    assert "leave its encoding to detection (it looks like Windows-1252" in message
    assert "linha 1: não é UTF-8 válido" in message


def test_utf8_file_declared_windows_1252_says_what_to_do():
    message = error_of(excel_csv([PT_HEADER, *PT_ROWS], encoding="utf-8"), encoding="cp1252")
    assert "the encoding setting says Windows-1252 but the file is UTF-8 (line 1" in message
    assert "set it to utf-8 or remove it" in message


def test_file_mixing_utf8_and_windows_1252_names_both_lines():
    raw = excel_csv([PT_HEADER, PT_ROWS[0]], encoding="utf-8") + excel_csv([PT_ROWS[1]])
    message = error_of(raw)
    assert "the file mixes encodings: line 1 has UTF-8 accents and line 3 has byte 0xe9" in message
    assert "o arquivo mistura codificações" in message


def test_wrong_separator_is_named():
    raw = "|".join(PT_HEADER).encode() + b"\nA|b|c|d|e|1|1|1|1\n"
    message = error_of(raw)
    assert "1 problem(s)" in message  # not nine "missing column" lines
    assert "the header is one column" in message
    assert "the file seems separated by '|'" in message
    assert "o arquivo parece separado por '|'" in message
    # A line separated by ';' in a ','-separated file.
    raw = excel_csv([PT_HEADER, PT_ROWS[0]], delimiter=",", encoding="utf-8")
    raw += ";".join(PT_ROWS[1]).encode() + b"\n"
    message = error_of(raw)
    assert (
        "line 3: 3 value(s) for 9 columns: this line seems separated by ';' while the header "
        "uses ','"
    ) in message


def test_unquoted_decimal_comma_in_a_comma_separated_file_is_explained():
    raw = ",".join(PT_HEADER).encode() + b"\nA,b,c,d,e,12,5,5,7,10\n"
    message = error_of(raw)
    assert (
        "line 2: more values than columns (10 for 9): a decimal comma in a ','-separated file?"
        in (message)
    )


def test_a_column_that_looks_like_another_is_suggested():
    header = [*PT_HEADER[:6], "Estoque minimo atual", "Prazo entrega", "Preço ref."]
    message = error_of(excel_csv([header, *PT_ROWS]))
    assert "line 1, field 'minimum_stock': missing column (header must name it)" in message
    assert "The header has 'Estoque minimo atual': if it is this column, rename it" in message
    assert "O cabeçalho tem 'Estoque minimo atual': se for esta coluna, renomeie para" in message
    assert "The header has 'Prazo entrega'" in message
    assert "The header has 'Preço ref.'" in message
    assert "accepted names: 'reference_price', 'preço de referência'" in message


def test_two_header_cells_naming_one_column_are_refused():
    header = [*PT_HEADER, "SKU"]
    message = error_of(excel_csv([header, *[[*r, "x"] for r in PT_ROWS]]))
    assert "line 1, field 'sku': duplicate column (2 times in the header): 'Código', 'SKU'" in (
        message
    )


def test_old_xls_and_other_files_are_refused_saying_what_to_save(tmp_path):
    xls = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert "an Excel 97-2003 workbook (.xls): save it as .xlsx" in error_of(xls)
    ods = io.BytesIO()
    with zipfile.ZipFile(ods, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
    assert "not an .xlsx workbook" in error_of(ods.getvalue())


def test_demo_catalog_still_reads_the_same(tmp_path):
    """The shipped seed (',' separated, decimal point, UTF-8, English headers) through the
    same reader, and the same content saved as .xlsx gives the same products."""
    seed = Path(__file__).resolve().parents[3] / "data" / "products_seed.csv"
    from_csv = read_catalog(seed)
    assert len(from_csv) == 3000
    with seed.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    path = tmp_path / "seed.xlsx"
    path.write_bytes(workbook_bytes({"catalog": rows}))
    assert [p.as_row() for p in read_catalog(path)] == [p.as_row() for p in from_csv]
