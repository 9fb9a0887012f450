"""Parser tests on real saved pages (../shared, required) and on hand-written fixtures."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from procurement_pipeline.lib.scraping.errors import ScrapeError
from procurement_pipeline.lib.scraping.mercadolivre import (
    ChallengePageError,
    EmptyResultsError,
    ParseError,
    parse_product_page,
    parse_search_page,
    search_url,
    slugify,
)

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_ML = REPO_ROOT / ".." / "shared" / "fixtures" / "mercadolivre"
OWN = REPO_ROOT / "procurement_pipeline_tests" / "fixtures" / "mercadolivre"


def _shared(name: str) -> str:
    path = SHARED_ML / name
    # Deliberately no skip: CI has these files, a missing file must fail the suite.
    assert path.is_file(), f"shared fixture missing: {path.resolve()}"
    return path.read_text(encoding="utf-8")


def _own(name: str) -> str:
    return (OWN / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(_shared("expected.json"))


def _dec(value: float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


# ---------------------------------------------------------------------------- real pages


def test_real_search_page_matches_expected(expected):
    offers = parse_search_page(_shared("search_trimmed.html"))
    wanted = expected["search_trimmed.html"]["offers"]
    assert len(offers) == len(wanted)
    for offer, want in zip(offers, wanted, strict=True):
        assert offer.title.startswith(want["title_startswith"])
        assert offer.price == _dec(want["price"])
        assert offer.previous_price == _dec(want["previous_price"])
        assert offer.currency == "BRL"
        assert not offer.sponsored


def test_real_search_page_reads_current_price_not_struck_out_one():
    discounted = parse_search_page(_shared("search_trimmed.html"))[2]
    assert discounted.price == Decimal("413.00")
    assert discounted.previous_price == Decimal("449.90")


def test_real_search_page_keeps_thousands_cents_url_and_seller():
    first, second = parse_search_page(_shared("search_trimmed.html"))[:2]
    assert first.price == Decimal("1299.00")
    assert second.price == Decimal("208.89")
    assert first.seller == "CardKingdom Imports"
    assert second.seller == "COPAG"
    # The tracking fragment is dropped.
    assert first.url == (
        "https://www.mercadolivre.com.br/pokemon-surging-sparks-booster-box-english-36-packs"
        "/p/MLB-3399887766"
    )


def test_real_product_page_matches_expected(expected):
    offer = parse_product_page(_shared("product_page_shortened.html"))
    want = expected["product_page_shortened.html"]
    assert offer.price == _dec(want["price"])
    assert offer.previous_price == _dec(want["previous_price"])
    assert offer.currency == want["currency"]
    assert offer.price != _dec(want["installment_amount_not_a_price"])
    assert offer.title.startswith("Placa De Vídeo Geforce Rtx 5070")
    assert offer.url and offer.url.endswith("/p/MLB47363706")


# ---------------------------------------------------------------------------- own fixtures


def test_old_layout_search_page():
    offers = parse_search_page(_own("old_layout_search.html"))
    assert [o.price for o in offers] == [Decimal("1349.00"), Decimal("289.90"), Decimal("310.00")]
    first, sponsored, plain = offers
    assert first.title == "Espuma D33 Colchão 188x138x18"
    assert first.previous_price == Decimal("1499.90")
    assert first.seller == "Espumas Paulista"
    assert first.url == "https://produto.mercadolivre.com.br/MLB-1111111111-espuma-d33-colchao-_JM"
    assert not first.sponsored
    assert sponsored.sponsored
    assert sponsored.seller == "Loja Oficial Ortobom"
    assert plain.previous_price is None and not plain.sponsored


def test_poly_sponsored_buy_box_thousands_and_installments():
    offers = parse_search_page(_own("poly_sponsored_buybox.html"))
    assert len(offers) == 4  # the buy-box second offer is not an extra result
    sponsored, buy_box, discounted, accessory = offers
    assert sponsored.sponsored and sponsored.price == Decimal("299.00")
    assert sponsored.seller == "Tecidos & Cia"
    assert sponsored.url.startswith("https://click1.mercadolivre.com.br/")
    # The card's own price, not the buy-box one (2.199,00) nor the installment (234,99).
    assert buy_box.price == Decimal("2349.90")
    assert buy_box.seller == "Distribuidora Sul Tecidos"
    assert (
        buy_box.url
        == "https://www.mercadolivre.com.br/tecido-suede-amassado-rolo-50m/p/MLB2222222222"
    )
    assert not buy_box.sponsored
    assert discounted.price == Decimal("32.40")
    assert discounted.previous_price == Decimal("39.90")
    assert discounted.seller == "Casa do Estofador"  # "Por " dropped
    assert accessory.title == "Escova Para Limpeza De Estofado"
    assert accessory.seller is None


def test_no_results_page_is_empty_page():
    with pytest.raises(EmptyResultsError) as info:
        parse_search_page(_own("no_results.html"))
    assert info.value.reason == "empty_page"
    assert isinstance(info.value, ScrapeError)


def test_challenge_page_is_a_distinct_failure():
    with pytest.raises(ChallengePageError) as info:
        parse_search_page(_own("challenge.html"))
    assert info.value.reason == "challenge"
    assert not isinstance(info.value, EmptyResultsError)


def test_unknown_page_is_a_parse_error():
    with pytest.raises(ParseError) as info:
        parse_search_page("<html><body><p>Olá</p></body></html>")
    assert info.value.reason == "parse_error"


def test_product_page_without_json_ld_uses_price_block():
    offer = parse_product_page(_own("product_no_jsonld.html"))
    assert offer.price == Decimal("1159.50")
    assert offer.previous_price == Decimal("1289.90")
    assert offer.title == "Cola De Contato 2,8 Kg Sem Toluol"
    assert offer.seller == "Armazém dos Adesivos"
    assert (
        offer.url
        == "https://www.mercadolivre.com.br/cola-de-contato-28-kg-sem-toluol/p/MLB55555555"
    )


def test_product_page_challenge():
    with pytest.raises(ChallengePageError):
        parse_product_page(_own("challenge.html"))


def test_search_url_and_slug():
    assert slugify("Cola de Contato 2,8 kg") == "cola-de-contato-2-8-kg"
    assert search_url("Espuma D33  Café") == "https://lista.mercadolivre.com.br/espuma-d33-cafe"
    with pytest.raises(ValueError):
        search_url("  !!! ")
