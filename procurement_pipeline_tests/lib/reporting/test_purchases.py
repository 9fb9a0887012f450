"""The "O que comprar" list: ordering by urgency and saving, and the catalog report's first
section read back with pypdf."""

import datetime as dt

import numpy as np
import pandas as pd
from pypdf import PdfReader

from procurement_pipeline.lib.reporting import (
    build_catalog_report,
    purchase_lines,
    purchase_list,
    sort_recommendations,
    summarize_catalog,
)
from tools.report_samples import sample_catalog

AS_OF = dt.date(2026, 11, 25)


def frame() -> pd.DataFrame:
    rows = [
        # sku, action, urgency, saving
        ("A", "buy_by", 10.0, 0.0),
        ("B", "wait_until", 4.0, 120.0),
        ("C", "buy_now", -2.0, 0.0),
        ("D", "buy_now", np.nan, 0.0),  # below the minimum with no recorded use
        ("E", "no_need", np.nan, 0.0),
        ("F", "buy_by", 4.0, 15.0),
    ]
    return pd.DataFrame(
        {
            "sku": [r[0] for r in rows],
            "name": [f"Produto {r[0]}" for r in rows],
            "unit": "metro",
            "category": "tecidos",
            "action": [r[1] for r in rows],
            "action_date": [None if r[1] == "no_need" else AS_OF for r in rows],
            "urgency_days": [r[2] for r in rows],
            "expected_saving": [r[3] for r in rows],
            "suggested_quantity": 12.5,
            "expected_unit_price": 30.0,
            "reason": [f"Motivo do produto {r[0]}." for r in rows],
        }
    )


def test_order_by_urgency_then_saving_and_by_saving():
    by_urgency = sort_recommendations(frame(), "urgency")["sku"].tolist()
    assert by_urgency == ["D", "C", "B", "F", "A", "E"]
    by_saving = sort_recommendations(frame(), "saving")["sku"].tolist()
    assert by_saving == ["B", "F", "D", "C", "A", "E"]
    assert purchase_list(frame(), 3)["sku"].tolist() == ["D", "C", "B"]  # no_need left out
    lines = purchase_lines(frame(), top_n=None)
    assert [line.sku for line in lines] == ["D", "C", "B", "F", "A"]
    assert lines[0].action_date == AS_OF and lines[0].quantity == 12.5


def test_catalog_report_opens_with_what_to_buy(tmp_path):
    items = list(sample_catalog(5, skipped_every=0, failed_every=0))
    summary = summarize_catalog(items, generated_at=dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC))
    path = tmp_path / "catalog.pdf"
    lines = purchase_lines(frame(), top_n=20)
    pages = build_catalog_report(
        summary, items, path, selection=0, purchases=lines, purchases_to_buy=5
    )
    assert pages == 1
    text = PdfReader(str(path)).pages[0].extract_text()
    assert text.index("O que comprar") < text.index("Resumo do treinamento")
    assert "5 de 5 produtos precisam de compra" in text
    assert "Comprar agora" in text and "Esperar até 25/11/2026" in text
    assert "12,5 metros" in text and "R$ 120,00" in text
    assert "Motivo do produto B." in text
    # Without purchases (older callers) the section is left out; an empty list says so.
    build_catalog_report(summary, items, tmp_path / "none.pdf", selection=0)
    assert "O que comprar" not in PdfReader(str(tmp_path / "none.pdf")).pages[0].extract_text()
    build_catalog_report(summary, items, tmp_path / "empty.pdf", selection=0, purchases=[])
    empty = PdfReader(str(tmp_path / "empty.pdf")).pages[0].extract_text()
    assert "Nenhuma compra recomendada" in empty
