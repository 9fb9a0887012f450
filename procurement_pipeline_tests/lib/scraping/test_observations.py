from __future__ import annotations

from decimal import Decimal

import pytest

from procurement_pipeline.lib.scraping.mercadolivre import Offer
from procurement_pipeline.lib.scraping.observations import (
    NoRelevantOfferError,
    evaluate_offers,
    median_of_cheapest,
    select_observation,
    title_matches,
    tokenize,
)


def _offer(title: str, price: str | None, **kw) -> Offer:
    return Offer(title=title, price=None if price is None else Decimal(price), **kw)


@pytest.mark.parametrize(
    ("title", "term", "expected"),
    [
        ("Espuma D33 Placa 2x1m 50mm", "espuma d33 50mm", True),
        ("ESPUMA D-33 50 MM", "espuma d33 50mm", True),
        ("Espuma D28 50mm", "espuma d33 50mm", False),
        ("Tecido Suede Amassado Café", "tecido suede", True),
        ("Cola Contato 2.8kg Sem Toluol", "cola de contato 2,8 kg", True),  # "de" is filler
        ("Parafusos Sextavados M8", "parafuso sextavado m8", True),  # plural rule
        ("Cafe Soluvel", "café solúvel", True),  # accents
        ("Suporte Para Espuma", "espuma d33 50mm", False),
    ],
)
def test_title_matches(title, term, expected):
    assert title_matches(title, term) is expected


def test_tokenize_splits_letters_and_numbers():
    assert tokenize("D33 50mm 2,8kg") == ["d", "33", "50", "mm", "2.8", "kg"]


def test_median_of_cheapest():
    prices = [Decimal(p) for p in ("10.00", "12.00", "11.00", "50.00", "13.00", "9.00")]
    assert median_of_cheapest(prices, 5) == Decimal("11.00")  # 9 10 11 12 13
    assert median_of_cheapest(prices, 4) == Decimal("10.50")
    assert median_of_cheapest([Decimal("10.00"), Decimal("10.01")], 5) == Decimal(
        "10.01"
    )  # half up


def test_select_observation_drops_sponsored_irrelevant_and_unpriced():
    offers = [
        _offer("Espuma D33 50mm Promo", "10.00", sponsored=True, seller="Ads"),
        _offer("Capa Para Espuma", "1.00", seller="Acessorios"),
        _offer("Espuma D33 50mm", None, seller="Sem Estoque"),
        _offer("Espuma D33 50mm A", "100.00", seller="A", url="https://x/a"),
        _offer("Espuma D33 50mm B", "110.00", seller="B", url="https://x/b"),
        _offer("Espuma D33 50mm C", "90.00", seller="C", url="https://x/c"),
        _offer("Espuma D33 50mm Kit 3", "300.00", seller="D"),
        _offer("Espuma D33 50mm E", "105.00", seller="E", url="https://x/e"),
        _offer("Espuma D33 50mm F", "500.00", seller="F"),
        _offer("Espuma D33 50mm USD", "20.00", currency="USD", seller="G"),
    ]
    obs = select_observation(offers, "espuma d33 50mm", page_url="https://lista/x")
    # Pool: 100 110 90 300 105 500 -> cheapest 5: 90 100 105 110 300 -> median 105.
    assert obs.price == Decimal("105.00")
    assert obs.seller == "E"
    assert obs.listing_url == "https://x/e"
    assert obs.offers_considered == 6
    evaluation = evaluate_offers(offers, "espuma d33 50mm")
    assert evaluation.relevant == (True, False, True, True, True, True, True, True, True, True)
    assert sum(evaluation.used) == 6


def test_even_count_takes_mean_and_nearest_cheaper_seller():
    offers = [
        _offer("Tecido Suede", "30.00", seller="X"),
        _offer("Tecido Suede", "31.01", seller="Y"),
    ]
    obs = select_observation(offers, "tecido suede")
    assert obs.price == Decimal("30.51")  # 30.505 rounded half up
    assert obs.seller == "Y"  # 0.50 away vs 0.51 away
    tie = [
        _offer("Tecido Suede", "31.00", seller="Hi"),
        _offer("Tecido Suede", "30.00", seller="Lo"),
    ]
    assert select_observation(tie, "tecido suede").seller == "Lo"  # equidistant: the cheaper


def test_no_relevant_offer_is_a_scrape_error():
    offers = [_offer("Capa Para Sofá", "10.00"), _offer("Tecido Suede", "9.00", sponsored=True)]
    with pytest.raises(NoRelevantOfferError) as info:
        select_observation(offers, "tecido suede")
    assert info.value.reason == "no_relevant_offer"
    evaluation = evaluate_offers(offers, "tecido suede")
    assert evaluation.observation is None
    assert evaluation.error is not None
    assert evaluation.relevant == (False, True)
