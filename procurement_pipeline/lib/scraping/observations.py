"""From a product's offers to one price observation.

Relevance rule (title <-> search term), applied to every offer:

1. Both texts are normalised: Unicode NFKD with the accents dropped, case-folded.
2. They are split into tokens: runs of letters, and numbers (``2,8`` and ``2.8`` are the same
   token ``2.8``). Letters and digits are split apart, so ``50mm`` gives ``50`` + ``mm`` and
   ``D-33`` / ``d33`` both give ``d`` + ``33``.
3. A light plural rule: a letter token of four letters or more ending in ``s`` loses the
   ``s`` (``parafusos`` == ``parafuso``).
4. Portuguese filler words (de, da, do, para, com, p, c, x, ...) are dropped from the search
   term.
5. The offer is *relevant* when every remaining search-term token appears in the title
   (order free, extra title words allowed).

Selection: among relevant offers, sponsored ones, offers without a price and offers in another
currency are dropped; what is left is the pool (``offers_considered``). The price is the
median of the ``k`` cheapest offers of the pool (default 5; with an even count, the mean of
the two middle prices), rounded to cents half-up. The seller and listing URL are those of the
pool offer nearest that price (ties: the cheaper, then the one higher on the page). An empty
pool raises :class:`NoRelevantOfferError` (reason ``no_relevant_offer``): a recorded outcome,
never a price.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from procurement_pipeline.lib.scraping.errors import NoRelevantOfferError
from procurement_pipeline.lib.scraping.mercadolivre import Offer

__all__ = [
    "DEFAULT_K",
    "NoRelevantOfferError",
    "Observation",
    "OfferEvaluation",
    "evaluate_offers",
    "median_of_cheapest",
    "search_tokens",
    "select_observation",
    "title_matches",
    "tokenize",
]

DEFAULT_K = 5
CENT = Decimal("0.01")

STOPWORDS = frozenset(
    {
        "a", "o", "e", "as", "os", "um", "uma", "de", "da", "do", "das", "dos", "em", "na",
        "no", "nas", "nos", "para", "pra", "por", "com", "ou", "p", "c", "x",
    }
)  # fmt: skip

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[a-z]+")


def _normalise(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def _stem(token: str) -> str:
    if token[0].isdigit():
        return token.replace(",", ".")
    if len(token) >= 4 and token.endswith("s"):
        return token[:-1]
    return token


def tokenize(text: str) -> list[str]:
    """Normalised tokens of a text (see the module docstring)."""
    return [_stem(t) for t in _TOKEN.findall(_normalise(text))]


@lru_cache(maxsize=8192)
def search_tokens(search_term: str) -> frozenset[str]:
    """The tokens a relevant title must contain (filler words dropped)."""
    tokens = tokenize(search_term)
    significant = [t for t in tokens if t not in STOPWORDS]
    return frozenset(significant or tokens)


def title_matches(title: str, search_term: str) -> bool:
    required = search_tokens(search_term)
    return bool(required) and required <= set(tokenize(title))


def median_of_cheapest(prices: Sequence[Decimal], k: int = DEFAULT_K) -> Decimal:
    """Median of the ``k`` cheapest prices, rounded to cents half-up."""
    if not prices:
        raise ValueError("no prices")
    if k < 1:
        raise ValueError("k must be at least 1")
    cheapest = sorted(prices)[:k]
    m = len(cheapest)
    half = m // 2
    middle = cheapest[half] if m % 2 else (cheapest[half - 1] + cheapest[half]) / 2
    return middle.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Observation:
    price: Decimal
    currency: str
    seller: str | None
    listing_url: str | None
    offers_considered: int


@dataclass(frozen=True)
class OfferEvaluation:
    """Every offer with its relevance flag, plus the observation (or why there is none)."""

    offers: tuple[Offer, ...]
    relevant: tuple[bool, ...]
    used: tuple[bool, ...]
    observation: Observation | None
    error: NoRelevantOfferError | None


def evaluate_offers(
    offers: Sequence[Offer],
    search_term: str,
    *,
    k: int = DEFAULT_K,
    currency: str = "BRL",
    page_url: str | None = None,
) -> OfferEvaluation:
    """Flag every offer and choose the observation; never raises for "no relevant offer"."""
    relevant = tuple(title_matches(o.title, search_term) for o in offers)
    used = tuple(
        rel and not o.sponsored and o.price is not None and o.currency == currency
        for o, rel in zip(offers, relevant, strict=True)
    )
    pool = [(i, o) for i, (o, u) in enumerate(zip(offers, used, strict=True)) if u]
    if not pool:
        error = NoRelevantOfferError(
            f"{len(offers)} offers, {sum(relevant)} with a matching title, none usable "
            f"(not sponsored, priced in {currency}) for {search_term!r}"
        )
        return OfferEvaluation(tuple(offers), relevant, used, None, error)
    price = median_of_cheapest([o.price for _, o in pool], k)  # type: ignore[misc]
    _, nearest = min(pool, key=lambda item: (abs(item[1].price - price), item[1].price, item[0]))
    observation = Observation(
        price=price,
        currency=currency,
        seller=nearest.seller,
        listing_url=nearest.url or page_url,
        offers_considered=len(pool),
    )
    return OfferEvaluation(tuple(offers), relevant, used, observation, None)


def select_observation(
    offers: Sequence[Offer],
    search_term: str,
    *,
    k: int = DEFAULT_K,
    currency: str = "BRL",
    page_url: str | None = None,
) -> Observation:
    """The observation for one product; raises :class:`NoRelevantOfferError` without one."""
    evaluation = evaluate_offers(offers, search_term, k=k, currency=currency, page_url=page_url)
    if evaluation.observation is None:
        assert evaluation.error is not None
        raise evaluation.error
    return evaluation.observation
