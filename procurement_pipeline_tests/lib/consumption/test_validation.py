import datetime as dt

import pytest

from procurement_pipeline.lib.consumption import ConsumptionValidationError, parse_consumption


def problems_of(raw: bytes, **kwargs) -> str:
    with pytest.raises(ConsumptionValidationError) as excinfo:
        parse_consumption(raw, source="uso.csv", **kwargs)
    return str(excinfo.value)


def test_valid_file_iso_and_brazilian_dates_and_decimal_comma():
    raw = (
        "\ufeffdate,sku,quantity\n"
        '2026-11-23,TEC-1,"12,5"\n'
        '24/11/2026,TEC-1,"3,25"\n'
        "2026-11-23,ESP-1,4\n"
    ).encode()
    frame = parse_consumption(raw, source="uso.csv", known_skus={"TEC-1", "ESP-1"})
    assert list(frame.columns) == ["day", "sku", "quantity"]
    assert frame.to_dict("records") == [
        {"day": dt.date(2026, 11, 23), "sku": "ESP-1", "quantity": 4.0},
        {"day": dt.date(2026, 11, 23), "sku": "TEC-1", "quantity": 12.5},
        {"day": dt.date(2026, 11, 24), "sku": "TEC-1", "quantity": 3.25},
    ]
    dots = raw.decode().replace('"12,5"', "12.5").replace('"3,25"', "3.25").encode()
    assert parse_consumption(dots)["quantity"].tolist() == [4.0, 12.5, 3.25]


def test_a_column_mixing_decimal_comma_and_point_is_refused():
    raw = b'date,sku,quantity\n2026-11-23,TEC-1,12.5\n2026-11-24,TEC-1,"3,25"\n'
    message = problems_of(raw)
    assert "line 3, field 'quantity': '3,25' has a decimal comma, but line 2 ('12.5')" in message
    assert "use one decimal separator in the whole column" in message


def test_semicolon_export_from_excel():
    frame = parse_consumption(b"date;sku;quantity\n24/11/2026;A;1,5\n")
    assert frame["quantity"].tolist() == [1.5]


def test_empty_file_and_header_only():
    assert "the file is empty" in problems_of(b"")
    assert "no lines" in problems_of(b"date,sku,quantity\n")


def test_missing_column_is_named():
    message = problems_of(b"date,sku\n2026-11-24,A\n")
    assert "uso.csv" in message
    assert "line 1, field 'quantity': missing column" in message


def test_every_problem_names_line_and_field_at_once():
    raw = (
        b"date,sku,quantity\n"
        b"2026-11-31,A,1\n"  # impossible day
        b"24-11-2026,A,1\n"  # unknown format
        b"2026-11-24,A,-2\n"
        b"2026-11-24,B,abc\n"
        b"2026-11-24,ZZZ,1\n"
        b"2026-11-25,A,1\n"
        b"2026-11-25,A,2\n"
    )
    message = problems_of(raw, known_skus={"A", "B"})
    assert "6 problem(s)" in message
    assert "line 2, field 'date': '2026-11-31' is not a date" in message
    assert "line 3, field 'date'" in message
    assert "line 4, field 'quantity': -2 is negative" in message
    assert "line 5, field 'quantity': 'abc' is not a number" in message
    assert "line 6, field 'sku': unknown SKU 'ZZZ'" in message
    assert "line 8, field 'sku': duplicate line for SKU 'A' on 2026-11-25 (first at line 7)" in (
        message
    )
    assert message.count("duplicate") == 1


def test_unknown_skus_allowed_without_catalog():
    frame = parse_consumption(b"date,sku,quantity\n2026-11-24,ZZZ,1\n")
    assert frame["sku"].tolist() == ["ZZZ"]


def test_declared_utf8_names_the_line_of_a_byte_that_is_not():
    raw = b"date,sku,quantity\n2026-11-24,Espuma \xe7,1\n"
    message = problems_of(raw, encoding="utf-8")
    assert "line 2" in message and "UTF-8" in message
    # Left to detection it is Windows-1252.
    assert parse_consumption(raw)["sku"].tolist() == ["Espuma ç"]


def test_extra_values_and_blank_lines():
    message = problems_of(b"date,sku,quantity\n2026-11-24,A,1,9\n")
    assert "line 2: more values than columns" in message
    frame = parse_consumption(b"date,sku,quantity\n2026-11-24,A,1\n,,\n")
    assert len(frame) == 1
