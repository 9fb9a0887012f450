import datetime as dt
import math

import pandas as pd
import pytest

from procurement_pipeline.lib.reporting.formatting import (
    MISSING,
    format_brl,
    format_date_br,
    format_datetime_br,
    format_int,
    format_number,
    format_pct,
    format_yes_no,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1234.56, "R$ 1.234,56"),
        (0.5, "R$ 0,50"),
        (1234567.891, "R$ 1.234.567,89"),
        (12, "R$ 12,00"),
        (-1234.5, "-R$ 1.234,50"),
        (-0.001, "R$ 0,00"),
        (999.999, "R$ 1.000,00"),
        (None, MISSING),
        (float("nan"), MISSING),
        (pd.NA, MISSING),
    ],
)
def test_format_brl(value, expected):
    assert format_brl(value) == expected


def test_format_number_and_int():
    assert format_number(1234.5, 1) == "1.234,5"
    assert format_number(0.8123) == "0,81"
    assert format_number(-1234.567) == "-1.234,57"
    assert format_number(math.inf) == "\u221e"
    assert format_int(3000) == "3.000"
    assert format_int(None) == MISSING


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (dt.date(2026, 3, 5), "05/03/2026"),
        (dt.datetime(2026, 12, 31, 23, 59), "31/12/2026"),
        (pd.Timestamp("2026-01-02"), "02/01/2026"),
        ("2026-07-09", "09/07/2026"),
        (None, MISSING),
        (pd.NaT, MISSING),
    ],
)
def test_format_date_br(value, expected):
    assert format_date_br(value) == expected


def test_format_datetime_br():
    assert format_datetime_br(dt.datetime(2026, 4, 1, 3, 15)) == "01/04/2026 03:15"
    aware = dt.datetime(2026, 4, 1, 3, 15, tzinfo=dt.UTC)
    assert format_datetime_br(aware) == "01/04/2026 03:15 UTC"
    assert format_datetime_br(None) == MISSING


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        (0.1234, {}, "12,3%"),
        (0.8, {"decimals": 0}, "80%"),
        (1.5, {}, "150,0%"),
        (0.052, {"signed": True}, "+5,2%"),
        (-0.04, {"signed": True}, "-4,0%"),
        (0.0, {"signed": True}, "0,0%"),
        (12.5, {"decimals": 2}, "1.250,00%"),
        (None, {}, MISSING),
    ],
)
def test_format_pct(value, kwargs, expected):
    assert format_pct(value, **kwargs) == expected


def test_format_yes_no():
    assert format_yes_no(True) == "Sim"
    assert format_yes_no(False) == "Não"
    assert format_yes_no(None) == MISSING
