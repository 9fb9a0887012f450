"""Scrape one 8-hour window for many products, concurrently, one failure never stopping the rest.

Per product: fetch the listing page through the client, parse it, choose the observation.
Every product gets exactly one ``scrape_attempts`` row ("saved" or "failed" with a reason:
``http_<status>``, ``timeout``, ``connection_error``, ``challenge``, ``empty_page``,
``no_relevant_offer``, ``parse_error``); every parsed offer becomes an ``offers`` row; saved
products get one ``price_observations`` row. :class:`ScraperAPIAuthError` (401/403: bad key or
no credits) is the exception: queued work is cancelled and the error is raised (fail fast).

The rows are plain dicts keyed exactly like the warehouse columns (no ``id``), ready for an
``INSERT``. Timestamps are UTC naive.

Logs: one line per failure reason when the window ends (how many products, the first SKUs:
:func:`failure_summary`), never one per product at INFO (a bad window fails hundreds); each
product's failure is a DEBUG line. The full list is :attr:`WindowScrape.failed_skus_by_reason`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from procurement_pipeline.lib.clock import utcnow
from procurement_pipeline.lib.logging import get_logger, redact_text
from procurement_pipeline.lib.scraping.errors import ScrapeError, ScraperAPIAuthError
from procurement_pipeline.lib.scraping.mercadolivre import parse_search_page, search_url
from procurement_pipeline.lib.scraping.observations import DEFAULT_K, evaluate_offers

__all__ = [
    "ATTEMPT_COLUMNS",
    "OBSERVATION_COLUMNS",
    "OFFER_COLUMNS",
    "ProductScrape",
    "ScrapeTarget",
    "WindowScrape",
    "failure_summary",
    "scrape_window",
]

OBSERVATION_COLUMNS = (
    "sku", "observed_at", "window_start", "price", "currency", "seller", "source",
    "is_synthetic", "listing_url", "offers_considered",
)  # fmt: skip
OFFER_COLUMNS = (
    "sku", "window_start", "scraped_at", "position", "title", "price", "previous_price",
    "currency", "seller", "url", "sponsored", "relevant", "source",
)  # fmt: skip
ATTEMPT_COLUMNS = (
    "sku", "window_start", "attempted_at", "outcome", "reason", "http_status", "detail",
    "requests_made", "duration_ms", "source",
)  # fmt: skip

_DETAIL_MAX = 1024
# SKUs named per reason in a summary line; the rest are counted.
SUMMARY_SKUS = 5
_log = get_logger(__name__)


class _Skip(Exception):
    """Internal: no request to make for this product."""


class FetchClient(Protocol):
    def fetch(self, target_url: str) -> Any: ...  # returns an object with .html, .attempts


@dataclass(frozen=True)
class ScrapeTarget:
    sku: str
    search_term: str


@dataclass
class ProductScrape:
    """What one product produced (rows for the three tables)."""

    sku: str
    attempt: dict[str, Any]
    observation: dict[str, Any] | None
    offers: list[dict[str, Any]]


@dataclass
class WindowScrape:
    window_start: datetime
    source: str
    observations: list[dict[str, Any]] = field(default_factory=list)
    offers: list[dict[str, Any]] = field(default_factory=list)
    attempts: list[dict[str, Any]] = field(default_factory=list)
    attempted: int = 0
    saved: int = 0
    # Reason -> the failed SKUs, in target order; reasons sorted.
    failed_skus_by_reason: dict[str, list[str]] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def failed_by_reason(self) -> dict[str, int]:
        return {reason: len(skus) for reason, skus in self.failed_skus_by_reason.items()}

    @property
    def failed(self) -> int:
        return sum(len(skus) for skus in self.failed_skus_by_reason.values())


def failure_summary(
    failed_skus_by_reason: dict[str, list[str]], shown: int = SUMMARY_SKUS
) -> list[str]:
    """One line per reason: ``"timeout: 312 products (FER-00001, ..., and 307 more)"``."""
    lines = []
    for reason, skus in failed_skus_by_reason.items():
        named = ", ".join(skus[:shown])
        more = f", and {len(skus) - shown} more" if len(skus) > shown else ""
        noun = "product" if len(skus) == 1 else "products"
        lines.append(f"{reason}: {len(skus)} {noun} ({named}{more})")
    return lines


def _truncate(text: str | None, limit: int) -> str | None:
    if text is None:
        return None
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _scrape_one(
    client: FetchClient,
    target: ScrapeTarget,
    window_start: datetime,
    *,
    source: str,
    currency: str,
    k: int,
    cancelled: threading.Event,
) -> ProductScrape | None:
    if cancelled.is_set():
        return None
    attempted_at = utcnow()
    started = time.monotonic()
    reason: str | None = None
    detail: str | None = None
    url: str | None
    try:
        url = search_url(target.search_term)
    except ValueError as exc:  # a term without letters or digits: nothing to search
        url, reason, detail = None, "invalid_search_term", str(exc)
    offers_rows: list[dict[str, Any]] = []
    observation_row: dict[str, Any] | None = None
    http_status: int | None = None
    requests_made = 1

    try:
        if url is None:
            raise _Skip
        result = client.fetch(url)
    except _Skip:
        requests_made = 0
    except ScraperAPIAuthError:
        cancelled.set()  # workers stop picking up products at once, before the main thread sees it
        raise
    except ScrapeError as exc:
        reason, http_status, detail = exc.reason, exc.http_status, str(exc)
        requests_made = max(1, exc.attempts)
    except Exception as exc:  # noqa: BLE001 - one product's failure never stops the others
        reason, detail = "unexpected_error", f"{type(exc).__name__}: {exc}"
    else:
        fetched_at = utcnow()
        requests_made = getattr(result, "attempts", 1) or 1
        http_status = getattr(result, "status", None)
        try:
            offers = parse_search_page(result.html)
        except ScrapeError as exc:
            reason, detail = exc.reason, str(exc)
        except Exception as exc:  # noqa: BLE001 - a broken page is a parse error
            reason, detail = "parse_error", f"{type(exc).__name__}: {exc}"
        else:
            evaluation = evaluate_offers(
                offers, target.search_term, k=k, currency=currency, page_url=url
            )
            for position, (offer, relevant) in enumerate(
                zip(evaluation.offers, evaluation.relevant, strict=True), start=1
            ):
                offers_rows.append(
                    {
                        "sku": target.sku,
                        "window_start": window_start,
                        "scraped_at": fetched_at,
                        "position": position,
                        "title": _truncate(offer.title, 512),
                        "price": offer.price,
                        "previous_price": offer.previous_price,
                        "currency": offer.currency,
                        "seller": _truncate(offer.seller, 255),
                        "url": offer.url,
                        "sponsored": offer.sponsored,
                        "relevant": relevant,
                        "source": source,
                    }
                )
            obs = evaluation.observation
            if obs is None:
                assert evaluation.error is not None
                reason, detail = evaluation.error.reason, str(evaluation.error)
            else:
                observation_row = {
                    "sku": target.sku,
                    "observed_at": fetched_at,
                    "window_start": window_start,
                    "price": obs.price,
                    "currency": obs.currency,
                    "seller": _truncate(obs.seller, 255),
                    "source": source,
                    "is_synthetic": False,
                    "listing_url": obs.listing_url,
                    "offers_considered": obs.offers_considered,
                }

    attempt_row = {
        "sku": target.sku,
        "window_start": window_start,
        "attempted_at": attempted_at,
        "outcome": "saved" if observation_row is not None else "failed",
        "reason": reason,
        "http_status": http_status,
        "detail": _truncate(redact_text(detail), _DETAIL_MAX) if detail else None,
        "requests_made": int(requests_made),
        "duration_ms": int((time.monotonic() - started) * 1000),
        "source": source,
    }
    if reason is not None:
        _log.debug("scrape.product_failed", sku=target.sku, reason=reason, http_status=http_status)
    return ProductScrape(target.sku, attempt_row, observation_row, offers_rows)


def scrape_window(
    client: FetchClient,
    targets: Sequence[ScrapeTarget],
    window_start: datetime,
    *,
    source: str = "mercadolivre",
    currency: str = "BRL",
    concurrency: int = 10,
    progress: Callable[[int, int], None] | None = None,
    k: int = DEFAULT_K,
) -> WindowScrape:
    """Scrape every target for one window. ``window_start`` is UTC naive (an aware datetime is
    converted). ``progress(done, total)`` is called from the calling thread after each product.
    Raises :class:`ScraperAPIAuthError` (after cancelling queued work) on 401/403."""
    if window_start.tzinfo is not None:
        window_start = window_start.astimezone(UTC).replace(tzinfo=None)
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    seen: set[str] = set()
    for target in targets:
        if target.sku in seen:
            raise ValueError(f"duplicate SKU {target.sku!r} in the scrape targets")
        seen.add(target.sku)

    started = time.monotonic()
    total = len(targets)
    results: dict[str, ProductScrape] = {}
    cancelled = threading.Event()
    log = _log.bind(window_start=window_start.isoformat(), source=source, products=total)
    log.info("scrape.window_started", concurrency=concurrency)

    executor = ThreadPoolExecutor(
        max_workers=min(concurrency, max(total, 1)), thread_name_prefix="scrape"
    )
    try:
        pending: set[Future[ProductScrape | None]] = {
            executor.submit(
                _scrape_one,
                client,
                target,
                window_start,
                source=source,
                currency=currency,
                k=k,
                cancelled=cancelled,
            )
            for target in targets
        }
        done_count = 0
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                try:
                    product = future.result()
                except ScraperAPIAuthError as exc:
                    cancelled.set()
                    for other in pending:
                        other.cancel()
                    log.error(
                        "scrape.window_aborted",
                        reason=exc.reason,
                        done=done_count,
                        cancelled=sum(1 for f in pending if f.cancelled()),
                    )
                    raise
                if product is None:
                    continue
                results[product.sku] = product
                done_count += 1
                if progress is not None:
                    progress(done_count, total)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

    scrape = WindowScrape(window_start=window_start, source=source)
    failed: dict[str, list[str]] = {}
    for target in targets:  # rows in target order, whatever the completion order
        product = results[target.sku]
        scrape.attempts.append(product.attempt)
        scrape.offers.extend(product.offers)
        if product.observation is not None:
            scrape.observations.append(product.observation)
        else:
            failed.setdefault(product.attempt["reason"], []).append(target.sku)
    scrape.attempted = total
    scrape.saved = len(scrape.observations)
    scrape.failed_skus_by_reason = dict(sorted(failed.items()))
    scrape.duration_s = time.monotonic() - started
    for reason, skus in scrape.failed_skus_by_reason.items():
        log.info(
            "scrape.failures",
            reason=reason,
            failed=len(skus),
            first_skus=skus[:SUMMARY_SKUS],
        )
    log.info(
        "scrape.window_finished",
        saved=scrape.saved,
        failed=scrape.failed,
        failed_by_reason=scrape.failed_by_reason,
        duration_s=round(scrape.duration_s, 3),
    )
    return scrape
