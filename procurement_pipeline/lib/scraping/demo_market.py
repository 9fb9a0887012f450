"""The offline demo market: a deterministic price process per product, with two faces.

* **Pages**: :func:`demo_window_offers` gives the offers a search for the product would list
  in one 8-hour window (several sellers around the market price, some sponsored, some
  unrelated titles, an offer without price), or says the window is a challenge page / has no
  results; :func:`render_search_page` turns that into realistic Mercado Livre ``poly-card``
  HTML that :func:`~procurement_pipeline.lib.scraping.mercadolivre.parse_search_page` reads
  back exactly. :class:`DemoMarketPages` serves those pages to the local ScraperAPI server.
* **Seed**: :func:`seed_demo_observations` computes, vectorised with numpy, the observation the
  page path (render -> parse -> observation) would give for every (product, window), e.g.
  3,000 products x 540 windows in a few seconds, without rendering a page.

Both faces call the same array function (:func:`_relevant_offers`) so their numbers agree to
the cent: every random number is a counter-based hash of (SKU seed, stream, window, slot)
(splitmix64 finaliser), the seed being a BLAKE2 hash of the SKU (never Python's ``hash()``,
which changes between processes). Nothing depends on the order or the set of windows asked.

The process, in log space around the product's reference price, per 8-hour window ``i``:

* a random walk: Brownian bridges pinned at 0 every 2,048 windows (~683 days), evaluated at
  any window in 11 steps (Levy's midpoint construction), so the price wanders like a walk but
  never drifts away from the reference price;
* a small per-product trend (-2 % .. +6 % a year from 2025-01-01) and a weekly pattern;
* promotions: 4-day blocks, 8 % of them, 8-25 % off for the sellers that join (struck-out
  previous price shown);
* outliers: rare market-wide spikes (0.4 % of windows) and offer-level outliers (kits, single
  units: x2.6 or x0.45) that the median of the cheapest offers must absorb;
* 2 % of windows have no results and 1 % answer a challenge page (no observation either way).
"""

from __future__ import annotations

import hashlib
import html
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib import clock
from procurement_pipeline.lib.counter_random import hash64, normal, uniform
from procurement_pipeline.lib.logging import get_logger
from procurement_pipeline.lib.scraping.mercadolivre import (
    LISTING_BASE_URL,
    Offer,
    search_url,
    slugify,
)
from procurement_pipeline.lib.scraping.observations import DEFAULT_K, title_matches

__all__ = [
    "DemoMarketPages",
    "DemoProduct",
    "DemoWindow",
    "demo_page",
    "demo_window_offers",
    "demo_windows",
    "render_challenge_page",
    "render_no_results_page",
    "render_search_page",
    "seed_demo_observations",
    "sku_seed",
    "window_floor",
]

EPOCH = datetime(2020, 1, 1)  # a Wednesday
WINDOW = timedelta(hours=8)
WINDOWS_PER_DAY = 3
TREND_ANCHOR = datetime(2025, 1, 1)

P_CHALLENGE = 0.01
P_MISSING = 0.02

_BRIDGE_LEVELS = 11
_BRIDGE_SIZE = 1 << _BRIDGE_LEVELS
_N_RELEVANT = 9  # relevant, priced, non-sponsored slots (3..9 present per window)
_N_SPONSORED = 2
_N_IRRELEVANT = 3

# Random streams (distinct constants per component).
(
    _S_SIGMA, _S_TREND, _S_WEEK_AMP, _S_WEEK_PHASE, _S_LEVEL, _S_BRIDGE, _S_STATUS, _S_SPIKE,
    _S_SPIKE_SIGN, _S_PROMO, _S_PROMO_DEPTH, _S_NREL, _S_SELLER_OFF, _S_NOISE, _S_OUTLIER,
    _S_OUTLIER_SIGN, _S_PROMO_JOIN, _S_ORDER, _S_SELLER, _S_SUFFIX, _S_LISTING, _S_NSPON,
    _S_SPON_NOISE, _S_NIRR, _S_IRR_PRICE, _S_IRR_TITLE, _S_NOPRICE, _S_BUYBOX, _S_INSTALL,
    _S_OBS_TIME,
) = range(101, 131)  # fmt: skip

SELLERS = (
    "Casa do Estofador", "Espumas Paulista", "Distribuidora Sul Tecidos", "Loja do Tapeceiro",
    "MegaFix Ferragens", "Atacadão das Espumas", "Tecidos & Cia", "Ferragens Central",
    "Mundo do Estofado", "Indústria Confort", "Armazém dos Adesivos", "Bazar Nova Era",
    "Comercial Rio Branco", "Depósito São Jorge", "Top Materiais", "Loja Oficial Fornecedora",
    "Ponto do Artesão", "Rede Construir", "Ateliê Suprimentos", "Minas Distribuidora",
)  # fmt: skip
_TITLE_SUFFIXES = (
    "", "Original", "Pronta Entrega", "Com Nota Fiscal", "Qualidade Premium", "Envio Imediato",
    "Atacado", "Linha Profissional", "Alta Qualidade", "Promoção", "Melhor Preço",
)  # fmt: skip
_UNRELATED_TITLES = (
    "Organizador De Ferramentas Multiuso 12 Divisórias",
    "Luva De Proteção Nitrílica Tamanho G",
    "Fita Crepe Larga 48mm Rolo 50 Metros",
    "Estilete Profissional Lâmina 18mm Retrátil",
    "Trena Emborrachada 5 Metros Trava Automática",
    "Avental De Lona Com Bolsos Reforçado",
)
_LOG_KIT = math.log(2.6)
_LOG_UNIT = math.log(0.45)
_TWO_PI_OVER_7 = 2.0 * math.pi / 7.0

_log = get_logger(__name__)

# --------------------------------------------------------------------------------------------
# Counter-based random numbers (lib/counter_random.py), two counters: window and slot.


def _hash(seed: np.ndarray, stream: int, a: Any = 0, b: Any = 0) -> np.ndarray:
    return hash64(seed, stream, a, b)


def _uniform(seed: np.ndarray, stream: int, a: Any = 0, b: Any = 0) -> np.ndarray:
    """Uniform in [0, 1)."""
    return uniform(seed, stream, a, b)


def _normal(seed: np.ndarray, stream: int, a: Any = 0, b: Any = 0) -> np.ndarray:
    """Approximately standard normal (Irwin-Hall, see lib/counter_random.py)."""
    return normal(seed, stream, a, b)


def sku_seed(sku: str) -> int:
    """A stable 64-bit seed for a SKU (BLAKE2b), the same in every process and platform."""
    return int.from_bytes(hashlib.blake2b(sku.encode("utf-8"), digest_size=8).digest(), "little")


def _seeds(skus: Sequence[str]) -> np.ndarray:
    return np.array([sku_seed(s) for s in skus], dtype=np.uint64).reshape(-1, 1)


# --------------------------------------------------------------------------------------------
# Windows


def _naive_utc(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def window_index(window_start: datetime) -> int:
    """Index of the 8-hour window containing ``window_start`` (0 = 2020-01-01 00:00 UTC)."""
    return math.floor((_naive_utc(window_start) - EPOCH) / WINDOW)


def window_floor(moment: datetime) -> datetime:
    """Start of the 8-hour UTC window (00, 08, 16 h) containing ``moment``, UTC naive."""
    return EPOCH + window_index(moment) * WINDOW


def demo_windows(end: datetime, days: int) -> list[datetime]:
    """``days * 3`` consecutive window starts (00, 08, 16 UTC, naive), oldest first, the last
    one being the window that contains ``end``."""
    if days < 1:
        raise ValueError("days must be at least 1")
    last = window_floor(end)
    count = days * WINDOWS_PER_DAY
    return [last - (count - 1 - n) * WINDOW for n in range(count)]


# --------------------------------------------------------------------------------------------
# The price process (arrays: products on axis 0, windows on axis 1, offer slots on axis 2)


def _bridge(seed: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Standard random walk value (unit variance per window) at windows ``idx``: Brownian
    bridges pinned at 0 at every multiple of 2**11, built by midpoint displacement."""
    block = idx >> _BRIDGE_LEVELS
    pos = idx & (_BRIDGE_SIZE - 1)
    lo = np.zeros_like(pos)
    hi = np.full_like(pos, _BRIDGE_SIZE)
    node = np.ones_like(pos)
    shape = np.broadcast_shapes(seed.shape, idx.shape)
    w_lo = np.zeros(shape)
    w_hi = np.zeros(shape)
    for level in range(_BRIDGE_LEVELS):
        mid = (lo + hi) >> 1
        scale = math.sqrt(_BRIDGE_SIZE >> level) / 2.0  # sd of the midpoint given the ends
        w_mid = (w_lo + w_hi) * 0.5 + scale * _normal(seed, _S_BRIDGE, block, node)
        left = pos < mid
        w_hi = np.where(left, w_mid, w_hi)
        w_lo = np.where(left, w_lo, w_mid)
        hi = np.where(left, mid, hi)
        lo = np.where(left, lo, mid)
        node = node * 2 + (~left).astype(np.int64)
    return w_lo


@dataclass
class _Market:
    """Arrays for products x windows (x relevant slots)."""

    status: np.ndarray  # 0 ok, 1 no results, 2 challenge            [P, W]
    base: np.ndarray  # log market level vs reference (no offer noise) [P, W]
    promo_on: np.ndarray  # [P, W]
    n_relevant: np.ndarray  # [P, W]
    price: np.ndarray  # cents, int64                                  [P, W, R]
    previous: np.ndarray  # cents, 0 when no struck-out price            [P, W, R]
    present: np.ndarray  # bool                                         [P, W, R]
    order: np.ndarray  # page order key in [0, 1)                     [P, W, R]


def _relevant_offers(seed: np.ndarray, ref_cents: np.ndarray, idx: np.ndarray) -> _Market:
    """The core of both faces. ``seed`` and ``ref_cents`` are [P, 1], ``idx`` is [1, W]."""
    day = idx // WINDOWS_PER_DAY
    years = (idx - window_index(TREND_ANCHOR)) * (1.0 / (WINDOWS_PER_DAY * 365.25))

    sigma = 0.003 + 0.004 * _uniform(seed, _S_SIGMA)
    trend = -0.02 + 0.08 * _uniform(seed, _S_TREND)
    week_amp = 0.004 + 0.012 * _uniform(seed, _S_WEEK_AMP)
    week_phase = 7.0 * _uniform(seed, _S_WEEK_PHASE)
    level = 0.03 * _normal(seed, _S_LEVEL)

    dow = (day + 2) % 7  # Monday = 0; 2020-01-01 was a Wednesday
    weekly = week_amp * np.cos((dow - week_phase) * _TWO_PI_OVER_7)
    spike_u = _uniform(seed, _S_SPIKE, idx)
    spike = np.where(
        spike_u < 0.004, np.where(_uniform(seed, _S_SPIKE_SIGN, idx) < 0.5, 0.25, -0.2), 0.0
    )
    base = level + sigma * _bridge(seed, idx) + trend * years + weekly + spike

    status_u = _uniform(seed, _S_STATUS, idx)
    status = np.where(status_u < P_CHALLENGE, 2, np.where(status_u < P_CHALLENGE + P_MISSING, 1, 0))

    promo_block = day // 4
    promo_on = _uniform(seed, _S_PROMO, promo_block) < 0.08
    promo_log = np.log1p(-(0.08 + 0.17 * _uniform(seed, _S_PROMO_DEPTH, promo_block)))

    n_relevant = 3 + (_uniform(seed, _S_NREL, idx) * 7.0).astype(np.int64)  # 3..9

    slots = np.arange(_N_RELEVANT, dtype=np.int64).reshape(1, 1, -1)
    seed3, idx3, ref3 = seed[..., None], idx[..., None], ref_cents[..., None]
    seller_offset = 0.03 * _normal(seed3, _S_SELLER_OFF, 0, slots)  # [P, 1, R]
    noise = 0.015 * _normal(seed3, _S_NOISE, idx3, slots)
    outlier = np.where(
        _uniform(seed3, _S_OUTLIER, idx3, slots) < 0.02,
        np.where(_uniform(seed3, _S_OUTLIER_SIGN, idx3, slots) < 0.5, _LOG_KIT, _LOG_UNIT),
        0.0,
    )
    full_log = base[..., None] + seller_offset + noise + outlier
    joins = promo_on[..., None] & (_uniform(seed3, _S_PROMO_JOIN, idx3, slots) < 0.6)
    full = np.maximum(np.rint(ref3 * np.exp(full_log)), 1.0).astype(np.int64)
    discounted = np.maximum(np.rint(ref3 * np.exp(full_log + promo_log[..., None])), 1.0).astype(
        np.int64
    )
    price = np.where(joins, discounted, full)
    previous = np.where(joins & (discounted < full), full, 0)
    present = slots < n_relevant[..., None]
    order = _uniform(seed3, _S_ORDER, idx3, slots)
    return _Market(status, base, promo_on, n_relevant, price, previous, present, order)


def _ref_cents(reference_prices: Any) -> np.ndarray:
    values = np.asarray(
        [float(v) for v in np.asarray(reference_prices, dtype=object).ravel()], dtype=np.float64
    )
    cents = np.rint(values * 100.0)
    if np.any(~np.isfinite(cents)) or np.any(cents < 1):
        raise ValueError("reference prices must be positive numbers")
    return cents.reshape(-1, 1)


def _title_case(text: str) -> str:
    return " ".join(w[:1].upper() + w[1:] for w in text.split())


def _slot_strings(
    seed: int, search_term: str, slot_ids: Sequence[int]
) -> tuple[list[str], list[str], list[str]]:
    """Seller, title and listing URL of the offer slots of one product (stable across
    windows: the same sellers keep their listings)."""
    seed_arr = np.array([[seed]], dtype=np.uint64)
    ids = np.asarray(slot_ids, dtype=np.int64).reshape(1, -1)
    seller_ix = (_hash(seed_arr, _S_SELLER, 0, ids) % np.uint64(len(SELLERS))).ravel()
    suffix_ix = (_hash(seed_arr, _S_SUFFIX, 0, ids) % np.uint64(len(_TITLE_SUFFIXES))).ravel()
    listing = (_hash(seed_arr, _S_LISTING, 0, ids) % np.uint64(9_000_000_000)).ravel()
    base_title = _title_case(search_term)
    sellers, titles, urls = [], [], []
    for s_ix, t_ix, l_id in zip(seller_ix, suffix_ix, listing, strict=True):
        title = f"{base_title} {_TITLE_SUFFIXES[int(t_ix)]}".strip()
        sellers.append(SELLERS[int(s_ix)])
        titles.append(title)
        urls.append(
            f"https://www.mercadolivre.com.br/{slugify(title)}/p/MLB{1_000_000_000 + int(l_id)}"
        )
    return sellers, titles, urls


def _unrelated_titles(search_term: str) -> list[str]:
    words = [w for w in search_term.split() if any(ch.isalpha() for ch in w)]
    first = _title_case(words[0]) if words else "Produto"
    candidates = [f"Capa Protetora Para {first}", f"Suporte Universal {first}", *_UNRELATED_TITLES]
    return [t for t in candidates if not title_matches(t, search_term)]


# --------------------------------------------------------------------------------------------
# Face 1: pages


@dataclass(frozen=True)
class DemoProduct:
    sku: str
    search_term: str
    reference_price: Decimal | float | str


@dataclass(frozen=True)
class DemoWindow:
    """What a search shows for one product in one window. ``status`` is "ok", "no_results"
    (a valid empty page) or "challenge" (an anti-bot page); offers are in page order."""

    sku: str
    search_term: str
    window_start: datetime
    status: str
    offers: tuple[Offer, ...]
    #: Market level (reference price x process factor), before seller spreads.
    market_price: Decimal
    #: Offers that carry a buy-box second offer on the page (index into ``offers``) -> price.
    buy_box: Mapping[int, Decimal]
    #: Offers shown with an installment line (index -> number of installments).
    installments: Mapping[int, int]

    @property
    def url(self) -> str:
        return search_url(self.search_term)


def _cents(value: int) -> Decimal:
    return Decimal(int(value)).scaleb(-2)


def demo_window_offers(
    sku: str, search_term: str, reference_price: Any, window_start: datetime
) -> DemoWindow:
    """The offers of the demo market for (sku, window); deterministic."""
    window_start = window_floor(window_start)
    seed_int = sku_seed(sku)
    seed = np.array([[seed_int]], dtype=np.uint64)
    ref = _ref_cents([reference_price])
    idx_int = window_index(window_start)
    idx = np.array([[idx_int]], dtype=np.int64)
    market = _relevant_offers(seed, ref, idx)
    status = {0: "ok", 1: "no_results", 2: "challenge"}[int(market.status[0, 0])]
    market_price = _cents(int(np.rint(ref[0, 0] * math.exp(float(market.base[0, 0])))))
    if status != "ok":
        return DemoWindow(sku, search_term, window_start, status, (), market_price, {}, {})

    # (group, order key, slot id, offer): sponsored first (ads lead the page), then the rest.
    entries: list[tuple[int, float, int, Offer]] = []
    rel_ids = list(range(_N_RELEVANT))
    sellers, titles, urls = _slot_strings(seed_int, search_term, rel_ids)
    for r in rel_ids:
        if not market.present[0, 0, r]:
            continue
        prev = int(market.previous[0, 0, r])
        offer = Offer(
            title=titles[r],
            price=_cents(int(market.price[0, 0, r])),
            previous_price=_cents(prev) if prev else None,
            currency="BRL",
            url=urls[r],
            seller=sellers[r],
            sponsored=False,
        )
        entries.append((1, float(market.order[0, 0, r]), r, offer))

    base = float(market.base[0, 0])
    ref_c = float(ref[0, 0])
    spon_ids = [100 + s for s in range(_N_SPONSORED)]
    n_spon = int(_uniform(seed, _S_NSPON, idx_int)[0, 0] * (_N_SPONSORED + 1))
    s_sellers, s_titles, _ = _slot_strings(seed_int, search_term, spon_ids)
    for s in range(n_spon):
        noise = float(_normal(seed, _S_SPON_NOISE, idx_int, spon_ids[s])[0, 0])
        cents = max(1, round(ref_c * math.exp(base - 0.04 + 0.02 * noise)))
        listing = int(_hash(seed, _S_LISTING, 1, spon_ids[s])[0, 0] % np.uint64(10**9))
        url = (
            "https://click1.mercadolivre.com.br/mclics/clicks/external/MLB/count?"
            f"a=demo{listing}&e=search&id=MLB{2_000_000_000 + listing}"
        )
        offer = Offer(s_titles[s], _cents(cents), None, "BRL", url, s_sellers[s], True)
        entries.append(
            (0, float(_uniform(seed, _S_ORDER, idx_int, spon_ids[s])[0, 0]), spon_ids[s], offer)
        )

    unrelated = _unrelated_titles(search_term)
    n_irr = int(_uniform(seed, _S_NIRR, idx_int)[0, 0] * (_N_IRRELEVANT + 1)) if unrelated else 0
    irr_ids = [200 + j for j in range(_N_IRRELEVANT)]
    i_sellers, _, _ = _slot_strings(seed_int, search_term, irr_ids)
    for j in range(n_irr):
        slot = irr_ids[j]
        title_ix = int(_hash(seed, _S_IRR_TITLE, 0, slot)[0, 0] % np.uint64(len(unrelated)))
        factor = 0.06 + 0.3 * float(_uniform(seed, _S_IRR_PRICE, idx_int, slot)[0, 0])
        title = unrelated[title_ix]
        offer = Offer(
            title=title,
            price=_cents(max(1, round(ref_c * factor))),
            previous_price=None,
            currency="BRL",
            url=f"https://www.mercadolivre.com.br/{slugify(title)}/p/MLB{3_000_000_000 + slot}",
            seller=i_sellers[j],
            sponsored=False,
        )
        entries.append((1, float(_uniform(seed, _S_ORDER, idx_int, slot)[0, 0]), slot, offer))

    if float(_uniform(seed, _S_NOPRICE, idx_int)[0, 0]) < 0.3:
        n_sellers, n_titles, n_urls = _slot_strings(seed_int, search_term, [300])
        offer = Offer(n_titles[0], None, None, "BRL", n_urls[0], n_sellers[0], False)
        entries.append((1, float(_uniform(seed, _S_ORDER, idx_int, 300)[0, 0]), 300, offer))

    entries.sort(key=lambda e: (e[0], e[1], e[2]))
    offers = tuple(e[3] for e in entries)
    buy_box: dict[int, Decimal] = {}
    installments: dict[int, int] = {}
    for position, (_, _, slot, offer) in enumerate(entries):
        if offer.price is None:
            continue
        u_box = float(_uniform(seed, _S_BUYBOX, idx_int, slot)[0, 0])
        if u_box < 0.15:  # a second offer of the same product, a little cheaper or dearer
            buy_box[position] = (offer.price * Decimal(str(0.9 + u_box))).quantize(Decimal("0.01"))
        if float(_uniform(seed, _S_INSTALL, idx_int, slot)[0, 0]) < 0.5:
            installments[position] = 10 if offer.price >= 100 else 3
    return DemoWindow(
        sku, search_term, window_start, status, offers, market_price, buy_box, installments
    )


def _money_html(amount: Decimal, *, previous: bool = False) -> str:
    cents_total = int((amount * 100).to_integral_value())
    reais, cents = divmod(cents_total, 100)
    fraction = f"{reais:,}".replace(",", ".")
    label = f"{reais} reais" + (f" com {cents} centavos" if cents else "")
    if previous:
        return (
            '<s class="andes-money-amount andes-money-amount--previous '
            f'andes-money-amount--cents-comma" aria-label="Antes: {label}">'
            '<span class="andes-money-amount__currency-symbol">R$</span>'
            f'<span class="andes-money-amount__fraction">{fraction}</span>'
            '<span class="andes-money-amount__cents andes-money-amount__cents--comma">'
            f"{cents:02d}</span></s>"
        )
    return (
        '<span class="andes-money-amount andes-money-amount--cents-superscript" '
        f'aria-label="{label}" data-andes-money-amount>'
        '<span class="andes-money-amount__currency-symbol">R$</span>'
        f'<span class="andes-money-amount__fraction">{fraction}</span>'
        '<span class="andes-money-amount__cents andes-money-amount__cents--superscript">'
        f"{cents:02d}</span></span>"
    )


def _card_html(position: int, offer: Offer, window: DemoWindow) -> str:
    esc = html.escape
    parts = [
        '<li class="ui-search-layout__item">',
        f'<div class="andes-card poly-card poly-card--grid-card" id="_card{position + 1}">',
        '<div class="poly-card__content">',
    ]
    if offer.sponsored:
        parts.append(
            '<div class="poly-component__ads-promotions">'
            '<span class="poly-component__ads-label">Patrocinado</span></div>'
        )
    href = offer.url or ""
    if not offer.sponsored:
        href += f"#position={position + 1}&search_layout=grid&type=product"
    parts.append(
        '<h3 class="poly-component__title-wrapper">'
        f'<a class="poly-component__title" href="{esc(href)}">{esc(offer.title)}</a></h3>'
    )
    if offer.seller:
        parts.append(f'<span class="poly-component__seller">{esc(offer.seller)}</span>')
    parts.append('<div class="poly-component__price">')
    if offer.price is not None:
        if offer.previous_price is not None:
            parts.append(_money_html(offer.previous_price, previous=True))
        parts.append(f'<div class="poly-price__current">{_money_html(offer.price)}</div>')
        n = window.installments.get(position)
        if n:
            each = (offer.price / n).quantize(Decimal("0.01"))
            parts.append(
                f'<span class="poly-price__installments">em <span>{n}x </span>'
                f"{_money_html(each)} sem juros</span>"
            )
    parts.append("</div>")
    box_price = window.buy_box.get(position)
    if box_price is not None:
        parts.append(
            '<div class="poly-component__buy-box">'
            '<span class="poly-buy-box__label">Mais opções de compra</span>'
            f'<div class="poly-price__current">{_money_html(box_price)}</div>'
            '<span class="poly-component__seller">Outro vendedor</span></div>'
        )
    parts.append("</div></div></li>")
    return "".join(parts)


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="pt-BR"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body>{body}</body></html>\n"
    )


def render_challenge_page() -> str:
    """An anti-bot page as Mercado Livre answers it: HTTP 200, no results, a captcha form."""
    return _page(
        "Mercado Livre",
        '<main class="account-verification"><h1>Confirme que você não é um robô</h1>'
        '<form id="challenge-form" action="/gz/account-verification" method="post">'
        '<div class="g-recaptcha" data-sitekey="demo"></div>'
        '<button type="submit">Continuar</button></form></main>',
    )


def render_no_results_page(search_term: str) -> str:
    """Mercado Livre's "no results" page (a valid page, zero results)."""
    return _page(
        f"{search_term} | Mercado Livre",
        '<section class="ui-search-main"><div class="ui-search-rescue ui-search-rescue--zrp">'
        '<div class="ui-search-rescue__info"><h3 class="ui-search-rescue__title">'
        "Não há anúncios que correspondam à sua busca.</h3><ul>"
        "<li>Revise a ortografia da palavra.</li>"
        "<li>Utilize palavras mais genéricas ou menos palavras.</li></ul></div></div></section>",
    )


def render_search_page(window: DemoWindow) -> str:
    """Realistic ``poly-card`` HTML for a demo window (or its challenge / no-results page)."""
    if window.status == "challenge":
        return render_challenge_page()
    if window.status == "no_results":
        return render_no_results_page(window.search_term)
    cards = "".join(_card_html(i, offer, window) for i, offer in enumerate(window.offers))
    return _page(
        f"{window.search_term} | Mercado Livre",
        '<section class="ui-search-results"><ol class="ui-search-layout ui-search-layout--grid">'
        f"{cards}</ol></section>",
    )


def demo_page(sku: str, search_term: str, reference_price: Any, window_start: datetime) -> str:
    return render_search_page(demo_window_offers(sku, search_term, reference_price, window_start))


class DemoMarketPages:
    """Page provider for :class:`~procurement_pipeline.lib.scraping.server.ScraperAPIServer`:
    maps a ``lista.mercadolivre.com.br/<slug>`` URL back to a product through ``registry``
    (search-term slug -> product) and renders the demo page of ``window_start`` (a datetime,
    a callable returning one, or None for the window containing "now")."""

    def __init__(
        self,
        registry: Mapping[str, DemoProduct],
        window_start: datetime | Callable[[], datetime] | None = None,
    ) -> None:
        self.registry = dict(registry)
        self.window_start = window_start

    @classmethod
    def from_products(
        cls,
        products: Iterable[DemoProduct] | pd.DataFrame,
        window_start: datetime | Callable[[], datetime] | None = None,
    ) -> DemoMarketPages:
        if isinstance(products, pd.DataFrame):
            products = [
                DemoProduct(str(r.sku), str(r.search_term), r.reference_price)
                for r in products.itertuples(index=False)
            ]
        registry: dict[str, DemoProduct] = {}
        shared = 0
        for product in products:
            slug = slugify(product.search_term)
            if slug in registry:
                # SKUs with the same search term read the same page (as on the real site):
                # the first product of the catalog with that term owns it.
                shared += 1
                continue
            registry[slug] = product
        if shared:
            _log.debug("demo_market.shared_search_terms", skus_sharing_a_page=shared)
        return cls(registry, window_start)

    def current_window(self) -> datetime:
        ws = self.window_start
        if ws is None:
            return window_floor(clock.now())
        return window_floor(ws() if callable(ws) else ws)

    def __call__(self, url: str) -> str | None:
        if not url.startswith(LISTING_BASE_URL):
            return None
        slug = url[len(LISTING_BASE_URL) :].split("?", 1)[0].split("#", 1)[0].strip("/")
        product = self.registry.get(slug)
        if product is None:
            return render_no_results_page(slug.replace("-", " "))
        return demo_page(
            product.sku, product.search_term, product.reference_price, self.current_window()
        )


# --------------------------------------------------------------------------------------------
# Face 2: the seed (vectorised)

OBSERVATION_FRAME_COLUMNS = [
    "sku", "observed_at", "window_start", "price", "currency", "seller", "source",
    "is_synthetic", "listing_url", "offers_considered",
]  # fmt: skip


def _seed_chunk(
    skus: list[str],
    terms: list[str],
    ref_cents: np.ndarray,
    idx: np.ndarray,
    window_values: np.ndarray,
    k: int,
) -> dict[str, np.ndarray] | None:
    seed = _seeds(skus)
    market = _relevant_offers(seed, ref_cents, idx.reshape(1, -1))
    ok = market.status == 0  # [P, W]
    big = np.int64(1) << np.int64(60)
    masked = np.where(market.present, market.price, big)
    ranked = np.sort(masked, axis=-1)
    m = np.minimum(market.n_relevant, k)  # at least 3: every ok window has offers
    hi_ix = (m // 2)[..., None]
    lo_ix = ((m - 1) // 2)[..., None]
    hi = np.take_along_axis(ranked, hi_ix, axis=-1)[..., 0]
    lo = np.take_along_axis(ranked, lo_ix, axis=-1)[..., 0]
    median = np.where(m % 2 == 1, hi, (lo + hi + 1) // 2)  # half-up on half cents

    # Nearest offer: (|price - median|, price, page position) like observations.py. Equal
    # distances are either the same price or median -/+ d, so "cheaper" is one bit.
    order_masked = np.where(market.present, market.order, 2.0)
    page_order = np.argsort(order_masked, axis=-1, kind="stable")
    rank = np.empty_like(page_order)
    np.put_along_axis(
        rank, page_order, np.broadcast_to(np.arange(_N_RELEVANT), page_order.shape), axis=-1
    )
    diff = np.abs(market.price - median[..., None])
    key = (diff * 2 + (market.price > median[..., None])) * 16 + rank
    key = np.where(market.present, key, big)
    nearest = np.argmin(key, axis=-1)  # [P, W]

    p_ix, w_ix = np.nonzero(ok)
    if p_ix.size == 0:
        return None
    seller_table = np.empty((len(skus), _N_RELEVANT), dtype=object)
    url_table = np.empty((len(skus), _N_RELEVANT), dtype=object)
    for p, (sku_int, term) in enumerate(zip(seed.ravel(), terms, strict=True)):
        sellers, _, urls = _slot_strings(int(sku_int), term, range(_N_RELEVANT))
        seller_table[p] = sellers
        url_table[p] = urls
    slot = nearest[p_ix, w_ix]
    obs_offset = (60 + (_uniform(seed, _S_OBS_TIME, idx.reshape(1, -1)) * 3540.0).astype(np.int64))[
        p_ix, w_ix
    ]
    windows = window_values[w_ix]
    return {
        "sku": np.asarray(skus, dtype=object)[p_ix],
        "observed_at": windows + obs_offset.astype("timedelta64[s]"),
        "window_start": windows,
        "price_cents": median[p_ix, w_ix],
        "seller": seller_table[p_ix, slot],
        "listing_url": url_table[p_ix, slot],
        "offers_considered": market.n_relevant[p_ix, w_ix],
    }


def seed_demo_observations(
    products: pd.DataFrame,
    windows: Sequence[datetime],
    *,
    currency: str = "BRL",
    k: int = DEFAULT_K,
    chunk_size: int = 200,
) -> pd.DataFrame:
    """Demo observations for every (product, window), equal to what the page path gives.

    ``products`` has columns sku, search_term, reference_price. Windows with no results or a
    challenge page give no row. Columns are those of ``price_observations`` (no ``id``);
    ``price`` is a float rounded to cents (exact: it comes from integer cents), timestamps are
    UTC naive ``datetime64``. SKUs sharing a search term get the rows of the first of them
    (the page the local server serves for that term): the demo mirrors the real scraper, where
    such SKUs read the same listing page.
    """
    missing = {"sku", "search_term", "reference_price"} - set(products.columns)
    if missing:
        raise ValueError(f"products frame lacks columns: {sorted(missing)}")
    if k < 1:
        raise ValueError("k must be at least 1")
    window_list = [window_floor(w) for w in windows]
    if not window_list or products.empty:
        return _empty_frame()
    idx = np.array([window_index(w) for w in window_list], dtype=np.int64)
    window_values = np.array(window_list, dtype="datetime64[s]")
    all_skus = [str(s) for s in products["sku"]]
    all_terms = [str(t) for t in products["search_term"]]
    # SKUs sharing a search term see the same page (the first product with that term, as in
    # DemoMarketPages.from_products): compute each page once, then copy its rows.
    first_of: dict[str, int] = {}
    owner = [first_of.setdefault(slugify(t), i) for i, t in enumerate(all_terms)]
    canonical = sorted(set(owner))
    skus = [all_skus[i] for i in canonical]
    terms = [all_terms[i] for i in canonical]
    refs = _ref_cents(products["reference_price"].to_numpy()[canonical])

    pieces: list[dict[str, np.ndarray]] = []
    # Chunks bound the memory (products x windows x 9 offer slots per array).
    step = max(1, chunk_size)
    for start in range(0, len(skus), step):
        stop = start + step
        piece = _seed_chunk(
            skus[start:stop], terms[start:stop], refs[start:stop], idx, window_values, k
        )
        if piece is not None:
            pieces.append(piece)
    if not pieces:
        return _empty_frame()
    cols = {name: np.concatenate([p[name] for p in pieces]) for name in pieces[0]}
    n = len(cols["sku"])
    frame = pd.DataFrame(
        {
            "sku": cols["sku"],
            "observed_at": cols["observed_at"].astype("datetime64[ns]"),
            "window_start": cols["window_start"].astype("datetime64[ns]"),
            "price": np.round(cols["price_cents"] / 100.0, 2),
            "currency": np.full(n, currency, dtype=object),
            "seller": cols["seller"],
            "source": np.full(n, "demo", dtype=object),
            "is_synthetic": np.zeros(n, dtype=bool),
            "listing_url": cols["listing_url"],
            "offers_considered": cols["offers_considered"].astype(np.int64),
        },
        columns=OBSERVATION_FRAME_COLUMNS,
    )
    if len(canonical) != len(all_skus):
        sharing = pd.DataFrame({"sku": [all_skus[o] for o in owner], "_actual": all_skus})
        frame = (
            frame.merge(sharing, on="sku", how="inner")
            .assign(sku=lambda f: f["_actual"])
            .drop(columns="_actual")
            .sort_values(["sku", "window_start"], kind="stable", ignore_index=True)
        )
    return frame


def _empty_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "sku": pd.Series(dtype=object),
            "observed_at": pd.Series(dtype="datetime64[ns]"),
            "window_start": pd.Series(dtype="datetime64[ns]"),
            "price": pd.Series(dtype=float),
            "currency": pd.Series(dtype=object),
            "seller": pd.Series(dtype=object),
            "source": pd.Series(dtype=object),
            "is_synthetic": pd.Series(dtype=bool),
            "listing_url": pd.Series(dtype=object),
            "offers_considered": pd.Series(dtype=np.int64),
        },
        columns=OBSERVATION_FRAME_COLUMNS,
    )
