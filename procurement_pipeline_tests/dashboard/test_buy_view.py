"""AppTest: the "O que comprar" view — empty state, category filter, order, CSV export."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from openpyxl import load_workbook
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from streamlit.runtime.memory_media_file_storage import _calculate_file_id

from dashboard.views import CSV, XLSX, buy_csv, buy_xlsx
from procurement_pipeline.lib.recommendations import RECOMMENDATION_COLUMNS
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.recommendations import store_recommendations
from procurement_pipeline_tests.dashboard.seed import OTHER, SKIPPED, TRAINED

TODAY = dt.date(2026, 11, 25)


def recommendation(sku, category, action, urgency, saving, **extra) -> dict:
    row = dict.fromkeys(RECOMMENDATION_COLUMNS)
    row.update(
        sku=sku,
        category=category,
        as_of=TODAY,
        action=action,
        action_date=None if action == "no_need" else TODAY + dt.timedelta(days=max(urgency, 0)),
        suggested_quantity=0.0 if action == "no_need" else 10.0,
        expected_unit_price=None if action == "no_need" else 100.0 - saving / 10,
        price_today=100.0,
        price_source="market",
        expected_saving=saving,
        expected_saving_pct=saving / 1000,
        urgency_days=float(urgency),
        days_of_cover=20.0,
        daily_consumption=1.0,
        daily_consumption_std=0.2,
        stock_position=20.0,
        reorder_level=8.0,
        trusted_model=True,
        model_note="trusted",
        reason=f"motivo de {sku}",
    )
    row.update(extra)
    return row


@pytest.fixture
def with_recommendations(seeded):
    frame = pd.DataFrame(
        [
            # ESP (espumas): buy by a date, no saving; ADE (adesivos): wait for a drop, saving;
            # TEC (tecidos): nothing to buy.
            recommendation(TRAINED, "espumas", "buy_by", 5, 0.0),
            recommendation(OTHER, "adesivos", "wait_until", 12, 80.0),
            recommendation(SKIPPED, "tecidos", "no_need", 45, 0.0),
        ]
    )
    engine = create_warehouse_engine(seeded.url)
    store_recommendations(engine, frame, generated_at=dt.datetime(2026, 11, 25, 12, 0))
    engine.dispose()
    return seeded


def open_view(app):
    at = app.run()
    at.radio(key="view").set_value("O que comprar").run()
    assert not at.exception
    return at


def served_csv(button, data: bytes, file_name: str) -> bool:
    return button.proto.url.endswith(_calculate_file_id(data, CSV, file_name) + ".csv")


def served_xlsx(button, data: bytes, file_name: str) -> bool:
    return button.proto.url.endswith(_calculate_file_id(data, XLSX, file_name) + ".xlsx")


def shown_cells(dataframe) -> pd.DataFrame:
    """What the grid displays (the Styler's display values), not the data it sorts by."""
    return convert_arrow_bytes_to_pandas_df(dataframe.proto.arrow_data.styler.display_values)


def test_empty_state_says_what_to_run(app):
    at = open_view(app)
    assert "O que comprar" in [t.value for t in at.title]
    (info,) = [i.value for i in at.info]
    assert "make run" in info and "purchase_recommendations" in info
    assert at.get("download_button") == []


def test_filter_order_and_csv_export(make_app, with_recommendations):
    at = open_view(make_app(with_recommendations.url, with_recommendations.artifact_root))
    table = at.dataframe[0].value
    # "Só o que comprar" (default): the no_need product is hidden; most urgent first.
    assert list(table["SKU"]) == [TRAINED, OTHER]
    assert list(table["Ação"]) == ["Comprar até", "Esperar até"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Esperar queda de preço"] == "1" and metrics["Economia esperada"] == "R$ 80,00"

    at.selectbox(key="buy_sort").select("Economia esperada").run()
    assert list(at.dataframe[0].value["SKU"]) == [OTHER, TRAINED]

    at.selectbox(key="buy_category").select("adesivos").run()
    filtered = at.dataframe[0].value
    assert list(filtered["SKU"]) == [OTHER]

    csv_button, xlsx_button = at.get("download_button")
    content = buy_csv(filtered)
    assert served_csv(csv_button, content, f"o_que_comprar_{TODAY.isoformat()}.csv")
    assert served_xlsx(xlsx_button, buy_xlsx(filtered), f"o_que_comprar_{TODAY.isoformat()}.xlsx")
    parsed = pd.read_csv(io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig")
    assert list(parsed.columns[:6]) == ["SKU", "Produto", "Categoria", "Ação", "Data", "Quantidade"]
    assert "Motivo" in parsed.columns and "Economia esperada" in parsed.columns
    assert list(parsed["SKU"]) == [OTHER]
    assert parsed.loc[0, "Economia esperada"] == 80.0
    assert parsed.loc[0, "Motivo"] == f"motivo de {OTHER}"

    at.selectbox(key="buy_category").select("Todas as categorias").run()
    at.checkbox(key="buy_only").uncheck().run()
    assert sorted(at.dataframe[0].value["SKU"]) == sorted([TRAINED, OTHER, SKIPPED])


def test_deep_link_opens_the_view(make_app, with_recommendations):
    app = make_app(with_recommendations.url, with_recommendations.artifact_root)
    app.query_params["view"] = "comprar"
    at = app.run()
    assert at.radio(key="view").value == "O que comprar"
    assert len(at.dataframe[0].value) == 2


@pytest.fixture
def with_big_numbers(seeded):
    frame = pd.DataFrame(
        [
            recommendation(
                TRAINED, "espumas", "buy_now", 0, 1234.5,
                suggested_quantity=418.5, price_today=12287.44, expected_unit_price=169.39,
                reason="=HYPERLINK(\"http://evil.test\",\"clique\")",
            ),
            recommendation(OTHER, "adesivos", "buy_by", 9, 0.0, suggested_quantity=1.0),
        ]
    )  # fmt: skip
    engine = create_warehouse_engine(seeded.url)
    store_recommendations(engine, frame, generated_at=dt.datetime(2026, 11, 25, 12, 0))
    engine.dispose()
    return seeded


def test_table_shows_pt_br_numbers_and_dates_and_sorts_by_value(make_app, with_big_numbers):
    at = open_view(make_app(with_big_numbers.url, with_big_numbers.artifact_root))
    (frame,) = at.dataframe
    shown = shown_cells(frame).set_index("SKU")
    assert shown.loc[TRAINED, "Preço hoje"] == "R$ 12.287,44"
    assert shown.loc[TRAINED, "Preço esperado"] == "R$ 169,39"
    assert shown.loc[TRAINED, "Economia esperada"] == "R$ 1.234,50"
    assert shown.loc[TRAINED, "Quantidade"] == "418,5"
    assert shown.loc[OTHER, "Quantidade"] == "1"
    assert shown.loc[TRAINED, "Data"] == TODAY.strftime("%d/%m/%Y")
    assert shown.loc[OTHER, "Urgência (dias)"] == "9,0"
    everything = " ".join(shown.astype(str).to_numpy().ravel())
    assert "169.39" not in everything and "1.0 " not in everything + " "
    # The grid still holds the numbers, so a click on a header sorts numerically.
    data = frame.value.set_index("SKU")
    assert data.loc[TRAINED, "Preço hoje"] == 12287.44
    assert data.loc[TRAINED, "Quantidade"] == 418.5


def test_csv_and_xlsx_downloads_open_right_in_excel_pt_br(make_app, with_big_numbers):
    at = open_view(make_app(with_big_numbers.url, with_big_numbers.artifact_root))
    table = at.dataframe[0].value
    content = buy_csv(table)
    assert content.startswith(b"\xef\xbb\xbf")
    header, *lines = content[3:].decode("utf-8").splitlines()
    assert header.split(";")[:6] == ["SKU", "Produto", "Categoria", "Ação", "Data", "Quantidade"]
    first = dict(zip(header.split(";"), lines[0].split(";"), strict=False))
    assert first["SKU"] == TRAINED and first["Quantidade"] == "418,50"
    assert first["Preço hoje"] == "12287,44" and first["Data"] == TODAY.strftime("%d/%m/%Y")
    assert "'=HYPERLINK" in lines[0]  # the reason is neutralised in the CSV

    xlsx_button = at.get("download_button")[1]
    workbook = buy_xlsx(table)
    assert served_xlsx(xlsx_button, workbook, f"o_que_comprar_{TODAY.isoformat()}.xlsx")
    sheet = load_workbook(io.BytesIO(workbook)).active
    header = [c.value for c in sheet[1]]
    row = {name: cell for name, cell in zip(header, sheet[2], strict=True)}
    assert row["SKU"].value == TRAINED
    assert (
        row["Preço hoje"].value == 12287.44 and row["Preço hoje"].number_format == '"R$" #,##0.00'
    )
    assert row["Quantidade"].value == 418.5 and row["Quantidade"].data_type == "n"
    assert row["Data"].is_date and row["Data"].value.date() == TODAY
    assert row["Motivo"].data_type == "s" and row["Motivo"].quotePrefix
    assert row["Motivo"].value.startswith("=HYPERLINK")
