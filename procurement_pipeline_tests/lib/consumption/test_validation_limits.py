"""The consumption validator shares the catalog's limits (issue 13, items 7 and 8): duplicate
header columns, quantities within the column type, oversized fields, a bounded number of
problems, and SKUs compared as MySQL compares them."""

from __future__ import annotations

import pytest

from procurement_pipeline.lib.consumption import ConsumptionValidationError, parse_consumption
from procurement_pipeline.lib.validation import MAX_KEPT_PROBLEMS, MAX_LINE_CHARS


def error_of(raw: bytes, **kwargs) -> ConsumptionValidationError:
    with pytest.raises(ConsumptionValidationError) as excinfo:
        parse_consumption(raw, source="uso.csv", **kwargs)
    return excinfo.value


def test_duplicate_header_column_is_rejected_naming_it():
    message = str(error_of(b"date,sku,quantity,Quantity\n2026-11-24,A,1,2\n"))
    assert "line 1, field 'quantity': duplicate column (2 times in the header)" in message


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [
        ("1e20", "1e20 is too large (at most 99999999999.999)"),
        ("100000000000", "100000000000 is too large (at most 99999999999.999)"),
        ("99999999999,9995", "99999999999,9995 is too large (at most 99999999999.999)"),
    ],
)
def test_quantity_bounds_match_the_column_type(quantity, expected):
    raw = f'date,sku,quantity\n2026-11-24,A,"{quantity}"\n'.encode()
    assert f"line 2, field 'quantity': {expected}" in str(error_of(raw))


def test_largest_quantity_is_accepted():
    frame = parse_consumption(b'date,sku,quantity\n2026-11-24,A,"99999999999,999"\n')
    assert frame["quantity"].tolist() == [99999999999.999]


def test_oversized_field_is_a_line_and_field_problem():
    raw = b"date,sku,quantity\n2026-11-24,A,1\n2026-11-25," + b"B" * (200 * 1024) + b",1\n"
    message = str(error_of(raw))
    assert "line 3, field 'sku'" in message
    assert f"longer than {MAX_LINE_CHARS} characters" in message


def test_problems_are_capped():
    lines = "".join(f"2026-11-24,A{i},x\n" for i in range(MAX_KEPT_PROBLEMS + 500))
    error = error_of(("date,sku,quantity\n" + lines).encode())
    assert len(error.problems) == MAX_KEPT_PROBLEMS
    assert "500 more line(s) not checked" in str(error)


def test_sku_case_and_accents_are_one_sku():
    raw = b"date,sku,quantity\n2026-11-24,TEC-1,1\n2026-11-24,tec-1,2\n"
    message = str(error_of(raw))
    assert (
        "line 3, field 'sku': duplicate line for SKU 'tec-1' on 2026-11-24 (first at line 2 as "
        "'TEC-1'" in message
    )
    known = str(error_of(b"date,sku,quantity\n2026-11-24,t\xc3\xa9c-1,1\n", known_skus={"TEC-1"}))
    assert "line 2, field 'sku': unknown SKU 'téc-1' (the catalog has 'TEC-1'" in known
