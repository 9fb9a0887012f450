"""Mercado Livre HTML parsing: search result pages and product pages.

Search pages come in two layouts:

* the current ``poly-card`` layout (``div.poly-card``, title in ``.poly-component__title``,
  current price in ``.poly-price__current .andes-money-amount``);
* the older ``ui-search-result`` layout (``h2.ui-search-item__title``, current price in
  ``.ui-search-price__second-line .andes-money-amount``).

Rules that real pages taught (see ``/work/shared/fixtures/mercadolivre/README.md``):

* the struck-out previous price (``s.andes-money-amount--previous``) often comes *before* the
  current one, so the parser never takes "the first fraction on the card";
* cents are a separate ``andes-money-amount__cents`` span and the fraction has a thousands
  dot ("1.299");
* installment amounts (``.poly-price__installments``, ``.ui-search-installments``,
  ``.ui-pdp-price__subtitles``) are never a price;
* a second offer inside ``.poly-component__buy-box`` is ignored: the card's own offer is read
  and the buy-box price never replaces it (nor counts twice for the same product);
* sponsored results carry ``.poly-component__ads-promotions`` (or an ad label) and a
  click-tracking link: they are parsed and flagged ``sponsored=True``;
* a page without results is either a valid "no results" page (:class:`EmptyResultsError`) or
  an anti-bot challenge answered with HTTP 200 (:class:`ChallengePageError`). Challenge markers
  are only looked for when no result is found, so a word like "captcha" in a script of a normal
  page cannot turn it into a failure.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from bs4 import BeautifulSoup, Tag

from procurement_pipeline.lib.scraping.errors import (
    ChallengePageError,
    EmptyResultsError,
    ParseError,
    ScrapeError,
)

__all__ = [
    "ChallengePageError",
    "EmptyResultsError",
    "LISTING_BASE_URL",
    "Offer",
    "ParseError",
    "ScrapeError",
    "parse_product_page",
    "parse_search_page",
    "search_url",
    "slugify",
]

LISTING_BASE_URL = "https://lista.mercadolivre.com.br/"
CENT = Decimal("0.01")

_CURRENCY_SYMBOLS = {"R$": "BRL", "US$": "USD", "U$S": "USD", "$": "BRL", "€": "EUR"}

# Markers of an anti-bot / captcha page (checked in lower-cased HTML, only without results).
_CHALLENGE_MARKERS = (
    "captcha",
    "account-verification",
    "não é um robô",
    "nao e um robo",
    "não sou um robô",
    "confirme que você é humano",
    "are you a human",
    "verify you are human",
    "cf-chl",
    "challenge-form",
    "px-captcha",
    "datadome",
    "acesso negado",
    "access denied",
)
# Markers of Mercado Livre's own "no results" page.
_NO_RESULTS_MARKERS = (
    "ui-search-rescue",
    "não há anúncios que correspondam",
    "nao ha anuncios que correspondam",
    "não encontramos resultados",
    "zrp-",
)
# A search page whose results container is present but empty is also a valid empty page.
_SEARCH_PAGE_MARKERS = ("ui-search-layout", "ui-search-results", "ui-search-main")


@dataclass(frozen=True, slots=True)
class Offer:
    """One offer read from a page. ``price`` is None when the result shows no price."""

    title: str
    price: Decimal | None
    previous_price: Decimal | None = None
    currency: str = "BRL"
    url: str | None = None
    seller: str | None = None
    sponsored: bool = False


# --------------------------------------------------------------------------------------------
# URLs


def slugify(text: str) -> str:
    """'Cola de Contato 2,8 kg' -> 'cola-de-contato-2-8-kg' (accents dropped, lower case)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def search_url(search_term: str) -> str:
    """The Mercado Livre listing URL for a search term (https://lista.mercadolivre.com.br/<slug>)."""
    slug = slugify(search_term)
    if not slug:
        raise ValueError(f"search term {search_term!r} has no letters or digits")
    return LISTING_BASE_URL + slug


# --------------------------------------------------------------------------------------------
# Small helpers


def _text(node: Tag | None) -> str:
    if node is None:
        return ""
    return " ".join(node.get_text(" ", strip=True).split())


def _clean_url(href: str | None) -> str | None:
    if not href:
        return None
    href = href.strip()
    # Tracking fragments (#position=3&tracking_id=...) say nothing about the offer.
    return href.split("#", 1)[0] or None


def _inside(node: Tag, class_name: str, stop: Tag) -> bool:
    """Whether ``node`` sits inside an element of class ``class_name`` below ``stop``."""
    for parent in node.parents:
        if parent is stop:
            return False
        if class_name in (parent.get("class") or []):
            return True
    return False


def _parse_amount(node: Tag | None) -> Decimal | None:
    """Read an ``andes-money-amount`` (or old ``price-tag``): fraction with a thousands dot
    plus a separate cents span."""
    if node is None:
        return None
    fraction = node.find(class_="andes-money-amount__fraction") or node.find(
        class_="price-tag-fraction"
    )
    if fraction is None:
        return None
    digits = re.sub(r"\D", "", fraction.get_text())
    if not digits:
        return None
    cents_node = node.find(class_="andes-money-amount__cents") or node.find(
        class_="price-tag-cents"
    )
    cents = re.sub(r"\D", "", cents_node.get_text()) if cents_node is not None else ""
    cents = (cents + "00")[:2]
    return Decimal(f"{int(digits)}.{cents}")


def _currency_of(node: Tag | None, default: str = "BRL") -> str:
    if node is None:
        return default
    symbol = node.find(class_="andes-money-amount__currency-symbol") or node.find(
        class_="price-tag-symbol"
    )
    if symbol is not None:
        return _CURRENCY_SYMBOLS.get(_text(symbol), default)
    meta = node.select_one("[itemprop=priceCurrency]")
    if meta is not None and meta.get("content"):
        return str(meta["content"]).upper()
    return default


def _clean_seller(raw: str) -> str | None:
    seller = re.sub(r"^(vendido\s+)?por\s+", "", raw.strip(), flags=re.IGNORECASE).strip()
    return seller or None


def _to_decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value).strip()).quantize(CENT)
    except (InvalidOperation, ValueError):
        return None


def _soup(html: str) -> BeautifulSoup:
    if not isinstance(html, str):
        raise ParseError(f"expected HTML text, got {type(html).__name__}")
    return BeautifulSoup(html, "lxml")


def _looks_like_challenge(html_lower: str) -> bool:
    return any(marker in html_lower for marker in _CHALLENGE_MARKERS)


# --------------------------------------------------------------------------------------------
# Search pages


def _first_outside(card: Tag, selector: str, *, exclude: tuple[str, ...]) -> Tag | None:
    for node in card.select(selector):
        if not any(_inside(node, cls, card) for cls in exclude):
            return node
    return None


def _first_class_outside(
    card: Tag, class_name: str, *, exclude: tuple[str, ...], inner: str | None = None
) -> Tag | None:
    """Like :func:`_first_outside` for ``.class_name`` (or ``.class_name .inner``), without
    the CSS engine (search pages are parsed thousands of times per window)."""
    for node in card.find_all(class_=class_name):
        if any(_inside(node, cls, card) for cls in exclude):
            continue
        if inner is None:
            return node
        found = node.find(class_=inner)
        if found is not None:
            return found
    return None


_NOT_THE_PRICE = (
    "poly-component__buy-box",
    "poly-price__installments",
    "ui-search-installments",
)


def _parse_poly_card(card: Tag) -> Offer | None:
    title_node = _first_class_outside(card, "poly-component__title", exclude=_NOT_THE_PRICE)
    title = _text(title_node)
    if not title:
        return None
    link = title_node if title_node is not None and title_node.name == "a" else None
    if link is None and title_node is not None:
        link = title_node.find("a", href=True) or title_node.find_parent("a", href=True)
    url = _clean_url(link.get("href") if link is not None else None)

    current = _first_class_outside(
        card, "poly-price__current", exclude=_NOT_THE_PRICE, inner="andes-money-amount"
    )
    previous = _first_class_outside(card, "andes-money-amount--previous", exclude=_NOT_THE_PRICE)
    seller_node = _first_class_outside(card, "poly-component__seller", exclude=_NOT_THE_PRICE)
    sponsored = card.find(class_="poly-component__ads-promotions") is not None or bool(
        url and ("click1.mercadolivre" in url or "/mclics/" in url)
    )
    return Offer(
        title=title,
        price=_parse_amount(current),
        previous_price=_parse_amount(previous),
        currency=_currency_of(current or previous),
        url=url,
        seller=_clean_seller(_text(seller_node)),
        sponsored=sponsored,
    )


def _parse_old_result(card: Tag) -> Offer | None:
    title_node = card.select_one(".ui-search-item__title, .poly-component__title")
    title = _text(title_node)
    link = card.select_one("a.ui-search-link[href], a.ui-search-item__group__element[href]")
    if not title and link is not None:
        title = " ".join(str(link.get("title") or "").split())
    if not title:
        return None
    if link is None:
        link = card.find("a", href=True)
    url = _clean_url(link.get("href") if link is not None else None)

    current = _first_outside(
        card, ".ui-search-price__second-line .andes-money-amount", exclude=_NOT_THE_PRICE
    )
    if current is None:
        for node in card.select(".ui-search-price .andes-money-amount, .price-tag"):
            classes = node.get("class") or []
            if node.name == "s" or "andes-money-amount--previous" in classes:
                continue
            if _inside(node, "ui-search-price__original-value", card):
                continue
            if any(_inside(node, cls, card) for cls in _NOT_THE_PRICE):
                continue
            current = node
            break
    previous = _first_outside(
        card,
        "s.andes-money-amount--previous, .ui-search-price__original-value .andes-money-amount,"
        " s.price-tag",
        exclude=_NOT_THE_PRICE,
    )
    seller_node = card.select_one(
        ".ui-search-official-store-label, .ui-search-item__group__element--seller"
    )
    ad_label = card.select_one(
        ".ui-search-item__ad-label, .ui-search-item__pub-label, .ui-search-item__ad-container"
    )
    sponsored = ad_label is not None or bool(
        url and ("click1.mercadolivre" in url or "/mclics/" in url)
    )
    return Offer(
        title=title,
        price=_parse_amount(current),
        previous_price=_parse_amount(previous),
        currency=_currency_of(current or previous),
        url=url,
        seller=_clean_seller(_text(seller_node)),
        sponsored=sponsored,
    )


def parse_search_page(html: str) -> list[Offer]:
    """All results of a search page, in page order (sponsored ones flagged, not dropped).

    Raises :class:`ChallengePageError` for an anti-bot page, :class:`EmptyResultsError` for a
    valid page without results and :class:`ParseError` for a page that is neither.
    """
    soup = _soup(html)
    cards = soup.find_all("div", class_="poly-card")
    parser = _parse_poly_card
    if not cards:
        cards = soup.select("div.ui-search-result, li.ui-search-result")
        parser = _parse_old_result
    if cards:
        offers = [offer for offer in (parser(card) for card in cards) if offer is not None]
        if not offers:
            raise ParseError(f"{len(cards)} result cards but none has a title")
        return offers

    lower = html.lower()
    if _looks_like_challenge(lower):
        raise ChallengePageError("anti-bot challenge page instead of search results")
    if any(marker in lower for marker in _NO_RESULTS_MARKERS):
        raise EmptyResultsError("the search returned no results")
    if any(marker in lower for marker in _SEARCH_PAGE_MARKERS):
        raise EmptyResultsError("search page with an empty results list")
    raise ParseError("unrecognised page: no results, no challenge and no search layout")


# --------------------------------------------------------------------------------------------
# Product pages


def _json_ld_nodes(soup: BeautifulSoup) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = []
    for script in soup.find_all("script", type="application/ld+json"):
        raw = script.string if script.string is not None else script.get_text()
        try:
            data = json.loads(raw)
        except (TypeError, ValueError):
            continue
        stack = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            elif isinstance(item, dict):
                nodes.append(item)
                if isinstance(item.get("@graph"), list):
                    stack.extend(item["@graph"])
    return nodes


def _is_type(node: dict[str, Any], name: str) -> bool:
    kind = node.get("@type")
    return kind == name or (isinstance(kind, list) and name in kind)


def _json_ld_offer(soup: BeautifulSoup) -> tuple[str, dict[str, Any]] | None:
    for node in _json_ld_nodes(soup):
        if not _is_type(node, "Product"):
            continue
        offers = node.get("offers")
        candidates = offers if isinstance(offers, list) else [offers]
        for offer in candidates:
            if isinstance(offer, dict) and (
                offer.get("price") is not None or offer.get("lowPrice") is not None
            ):
                return str(node.get("name") or ""), offer
    return None


def _price_block(soup: BeautifulSoup) -> Tag | None:
    return soup.select_one(".ui-pdp-price") or soup.select_one(".ui-pdp-price__main-container")


def _block_current_price(block: Tag) -> tuple[Decimal | None, str]:
    meta = block.select_one("meta[itemprop=price]")
    amount_node = block.select_one(".ui-pdp-price__second-line .andes-money-amount")
    if amount_node is None:
        for node in block.select(".andes-money-amount"):
            classes = node.get("class") or []
            if node.name == "s" or "andes-money-amount--previous" in classes:
                continue
            if _inside(node, "ui-pdp-price__subtitles", block):
                continue
            amount_node = node
            break
    price = _to_decimal(meta.get("content")) if meta is not None else None
    if price is None:
        price = _parse_amount(amount_node)
    return price, _currency_of(amount_node)


def parse_product_page(html: str) -> Offer:
    """The offer of a product page: JSON-LD first, then the visible price block.

    The previous (struck-out) price only exists in the price block. Installments are never
    read as a price.
    """
    soup = _soup(html)
    block = _price_block(soup)
    previous = None
    if block is not None:
        previous = _parse_amount(
            block.select_one("s.andes-money-amount--previous, .ui-pdp-price__original-value")
        )
    canonical = soup.select_one("link[rel=canonical]")
    canonical_url = _clean_url(canonical.get("href")) if canonical is not None else None
    title = _text(soup.select_one("h1.ui-pdp-title"))
    seller_node = soup.select_one(
        ".ui-pdp-seller__link-trigger, .ui-pdp-seller__header__title, "
        ".ui-pdp-seller__link-trigger-button"
    )
    seller = _clean_seller(_text(seller_node)) if seller_node is not None else None

    found = _json_ld_offer(soup)
    if found is not None:
        name, offer = found
        price = _to_decimal(offer.get("price", offer.get("lowPrice")))
        seller_info = offer.get("seller")
        if isinstance(seller_info, dict) and seller_info.get("name"):
            seller = str(seller_info["name"])
        if price is not None:
            return Offer(
                title=" ".join((name or title).split()),
                price=price,
                previous_price=previous,
                currency=str(offer.get("priceCurrency") or "BRL").upper(),
                url=_clean_url(offer.get("url")) or canonical_url,
                seller=seller,
                sponsored=False,
            )
        title = title or " ".join(name.split())

    price, currency = (None, "BRL") if block is None else _block_current_price(block)
    if price is None and not title:
        if _looks_like_challenge(html.lower()):
            raise ChallengePageError("anti-bot challenge page instead of a product page")
        raise ParseError("product page without JSON-LD offer, price block or title")
    return Offer(
        title=title,
        price=price,
        previous_price=previous,
        currency=currency,
        url=canonical_url,
        seller=seller,
        sponsored=False,
    )
