import pytest

from procurement_pipeline.lib.catalog import CatalogValidationError, parse_catalog
from procurement_pipeline_tests.conftest import CATALOG_HEADER, SAMPLE_ROWS, catalog_csv


def problems_of(raw: bytes) -> str:
    with pytest.raises(CatalogValidationError) as excinfo:
        parse_catalog(raw, source="catalog.csv")
    return str(excinfo.value)


def test_valid_catalog_parses_with_exact_decimals():
    catalog = parse_catalog(catalog_csv(SAMPLE_ROWS))
    assert [p.sku for p in catalog] == ["ESP-00001", "TEC-00001", "ADE-00001"]
    assert str(catalog[1].current_stock) == "300.5"
    assert str(catalog[2].reference_price) == "129.00"
    assert catalog[2].name == "Cola de contato 2,8 kg sem toluol"
    assert catalog[2].unit == "galão"


def test_empty_file():
    assert "the file is empty" in problems_of(b"")
    assert "no products" in problems_of(CATALOG_HEADER.encode())


def test_missing_column_is_named():
    raw = b"sku,name,category,unit,search_term,current_stock,minimum_stock,lead_time_days\n"
    message = problems_of(raw + b"A,b,c,d,e,1,1,1\n")
    assert "catalog.csv" in message
    assert "line 1, field 'reference_price': missing column" in message


def test_duplicate_sku_names_both_lines():
    message = problems_of(catalog_csv([SAMPLE_ROWS[0], SAMPLE_ROWS[1], SAMPLE_ROWS[0]]))
    assert "line 4, field 'sku': duplicate SKU 'ESP-00001' (first at line 2)" in message


def test_empty_name():
    row = "X-1,,espumas,chapa,espuma,1,1,1,10.00"
    assert "line 2, field 'name': is empty" in problems_of(catalog_csv([row]))


@pytest.mark.parametrize(
    ("field_values", "expected"),
    [
        ("-1,1,1,10.00", "field 'current_stock': -1 is negative"),
        ("1,abc,1,10.00", "field 'minimum_stock': 'abc' is not a number"),
        ("1,1,1,-3.50", "field 'reference_price': -3.50 is negative"),
        ("1,1,1,US$ 10", "field 'reference_price': 'US$ 10' is not a number"),
        ("1,1,2.5,10.00", "field 'lead_time_days': '2.5' is not a whole number"),
        ("1,1,1,0", "field 'reference_price': must be greater than zero"),
        ("1,1,1,nan", "field 'reference_price': 'nan' is not a number"),
    ],
)
def test_bad_numbers_name_line_and_field(field_values, expected):
    rows = [SAMPLE_ROWS[0], f"X-1,Produto,espumas,chapa,espuma,{field_values}"]
    assert f"line 3, {expected}" in problems_of(catalog_csv(rows))


def test_declared_utf8_names_the_line_of_a_byte_that_is_not():
    """With the encoding declared UTF-8, a Windows-1252 byte is a problem naming its line (left
    to detection, the same file reads as Windows-1252: test_buyer_files)."""
    raw = catalog_csv(SAMPLE_ROWS[:2]) + "X-9,Tecido algodão,tecidos,metro,t,1,1,1,9.99\n".encode(
        "latin-1"
    )
    with pytest.raises(CatalogValidationError) as excinfo:
        parse_catalog(raw, source="catalog.csv", encoding="utf-8")
    message = str(excinfo.value)
    assert "line 4" in message
    assert "not valid UTF-8" in message
    assert "linha 4: não é UTF-8 válido" in message


def test_all_problems_are_reported_at_once():
    rows = ["A,,c,u,s,1,1,1,1.00", "B,n,c,u,s,x,1,1,1.00", "C,n,c,u,s,1,1,1,-1"]
    message = problems_of(catalog_csv(rows))
    assert "3 problem(s)" in message
    for line in ("line 2", "line 3", "line 4"):
        assert line in message
