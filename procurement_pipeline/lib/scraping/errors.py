"""The scraping layer's exceptions: one base class carrying a short machine-readable reason.

The reason is what lands in ``scrape_attempts.reason`` ("http_429", "timeout", "challenge",
"empty_page", "no_relevant_offer", "parse_error", ...). Messages never contain secrets: the
client rewrites every message with :func:`procurement_pipeline.lib.logging.redact_text` before
raising, and never chains the original ``requests`` exception (whose text holds the full URL).
"""

from __future__ import annotations


class ScrapeError(Exception):
    """A scrape that did not produce a price, with a short machine ``reason``."""

    reason: str = "scrape_error"
    #: Fatal errors stop the whole batch (see :class:`ScraperAPIAuthError`).
    fatal: bool = False

    def __init__(
        self,
        message: str = "",
        *,
        reason: str | None = None,
        http_status: int | None = None,
        attempts: int = 1,
    ) -> None:
        super().__init__(message or type(self).reason)
        if reason is not None:
            self.reason = reason
        self.http_status = http_status
        self.attempts = attempts

    @property
    def detail(self) -> str:
        return str(self)


class ParseError(ScrapeError):
    """The page could not be read (unknown layout, no title, broken markup)."""

    reason = "parse_error"


class EmptyResultsError(ScrapeError):
    """A valid Mercado Livre page that lists no result for the search."""

    reason = "empty_page"


class ChallengePageError(ScrapeError):
    """An anti-bot / captcha page answered with HTTP 200: a failed scrape, not 'no price'."""

    reason = "challenge"


class NoRelevantOfferError(ScrapeError):
    """Offers were listed but none matched the product (or none had a usable price)."""

    reason = "no_relevant_offer"


class FetchError(ScrapeError):
    """The request failed after the retries were exhausted (http_<status>, timeout, ...)."""

    reason = "fetch_error"


class ScraperAPIConfigError(ScrapeError, ValueError):
    """Bad or missing ScraperAPI settings (raised before any request is made)."""

    reason = "config_error"
    fatal = True


class ScraperAPIAuthError(ScrapeError):
    """ScraperAPI answered 401 (bad key) or 403 (out of credits): the batch must stop."""

    reason = "auth_error"
    fatal = True
