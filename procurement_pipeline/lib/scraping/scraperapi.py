"""ScraperAPI client: one GET per page, retries with exponential backoff and jitter.

ScraperAPI takes the key in the query string (``GET https://api.scraperapi.com/?api_key=...&
url=...``), so every URL that could reach a log line, an exception message or a repr is
redacted, and exceptions raised by ``requests`` (whose messages embed the full URL) are
rewritten and never chained.

Retry policy (tenacity): 429 (plan concurrency limit), 5xx (ScraperAPI gave up after its own
~70 s of retries), read/connect timeouts and connection errors are retried with exponential
backoff plus jitter, up to ``max_attempts`` requests in all. 401 (bad key) and 403 (out of
credits) are fatal: :class:`ScraperAPIAuthError` is raised at once and the batch must stop.
Other 4xx answers are not retried (``http_<status>``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential_jitter,
)

from procurement_pipeline.lib.logging import REDACTED, get_logger, redact_text
from procurement_pipeline.lib.scraping.errors import (
    FetchError,
    ScrapeError,
    ScraperAPIAuthError,
    ScraperAPIConfigError,
)
from procurement_pipeline.lib.scraping.mercadolivre import search_url

__all__ = [
    "FetchResult",
    "ScraperAPIAuthError",
    "ScraperAPIClient",
    "ScraperAPIConfigError",
    "ScraperAPISettings",
    "search_url",
]

DEFAULT_BASE_URL = "https://api.scraperapi.com/"


def _env_value(environ: Mapping[str, str], name: str) -> str | None:
    value = environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _env_number(environ: Mapping[str, str], name: str, kind: type, default: Any) -> Any:
    raw = _env_value(environ, name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ScraperAPIConfigError(f"{name}={raw!r} is not a valid {kind.__name__}") from None
    if value <= 0:
        raise ScraperAPIConfigError(f"{name}={raw!r} must be positive")
    return value


@dataclass(frozen=True)
class ScraperAPISettings:
    """Connection settings. The key never shows in ``repr`` (nor ``str``)."""

    api_key: str | None = field(default=None, repr=False)
    base_url: str = DEFAULT_BASE_URL
    # ScraperAPI retries internally for up to 70 s before answering 500: a shorter client
    # timeout only wastes credits.
    timeout_s: float = 70.0
    max_attempts: int = 4
    min_backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    country_code: str | None = None
    concurrency: int = 10
    currency: str = "BRL"

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ScraperAPIConfigError("max_attempts must be at least 1")
        if self.concurrency < 1:
            raise ScraperAPIConfigError("concurrency must be at least 1")
        if self.timeout_s <= 0:
            raise ScraperAPIConfigError("timeout_s must be positive")
        if self.min_backoff_s < 0 or self.max_backoff_s < self.min_backoff_s:
            raise ScraperAPIConfigError("backoff must satisfy 0 <= min_backoff_s <= max_backoff_s")

    @property
    def has_api_key(self) -> bool:
        return bool(self.api_key)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> ScraperAPISettings:
        """Read SCRAPERAPI_* (and SCRAPING_CURRENCY); unset or blank variables keep defaults."""
        return cls(
            api_key=_env_value(environ, "SCRAPERAPI_KEY"),
            base_url=_env_value(environ, "SCRAPERAPI_BASE_URL") or DEFAULT_BASE_URL,
            timeout_s=_env_number(environ, "SCRAPERAPI_TIMEOUT", float, 70.0),
            max_attempts=_env_number(environ, "SCRAPERAPI_MAX_ATTEMPTS", int, 4),
            min_backoff_s=_env_number(environ, "SCRAPERAPI_MIN_BACKOFF", float, 1.0),
            max_backoff_s=_env_number(environ, "SCRAPERAPI_MAX_BACKOFF", float, 30.0),
            country_code=(_env_value(environ, "SCRAPERAPI_COUNTRY_CODE") or "").lower() or None,
            concurrency=_env_number(environ, "SCRAPERAPI_CONCURRENCY", int, 10),
            currency=(_env_value(environ, "SCRAPING_CURRENCY") or "BRL").upper(),
        )


@dataclass(frozen=True)
class FetchResult:
    html: str
    status: int
    attempts: int
    elapsed_s: float


class _RetryableError(Exception):
    """One failed attempt that may be retried (reason like http_429, timeout)."""

    def __init__(self, reason: str, message: str, http_status: int | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.http_status = http_status


class ScraperAPIClient:
    """Thread-safe enough for a thread pool: one ``requests.Session`` with a connection pool
    sized to ``settings.concurrency``. Use as a context manager (or call :meth:`close`)."""

    def __init__(self, settings: ScraperAPISettings, *, session: requests.Session | None = None):
        if not settings.api_key:
            raise ScraperAPIConfigError(
                "SCRAPERAPI_KEY is not set: the ScraperAPI client needs an API key"
            )
        self.settings = settings
        self._key = settings.api_key
        self._log = get_logger(__name__, base_url=redact_text(settings.base_url))
        self.session = session or requests.Session()
        adapter = HTTPAdapter(
            pool_connections=settings.concurrency,
            pool_maxsize=settings.concurrency,
            max_retries=0,
        )
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"ScraperAPIClient(settings={self.settings!r})"

    def __enter__(self) -> ScraperAPIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.session.close()

    # ----------------------------------------------------------------------------------------

    def _redact(self, text: str) -> str:
        """Redact ``api_key=...`` and any literal occurrence of the key (encoded or not)."""
        text = redact_text(text)
        key = self._key or ""
        if key:
            text = text.replace(key, REDACTED)
            encoded = requests.utils.quote(key, safe="")
            if encoded != key:
                text = text.replace(encoded, REDACTED)
        return text

    def _params(self, target_url: str) -> dict[str, str]:
        params = {"api_key": self._key or "", "url": target_url}
        if self.settings.country_code:
            params["country_code"] = self.settings.country_code
        return params

    def _attempt(self, target_url: str, timeout: tuple[float, float]) -> requests.Response:
        try:
            response = self.session.get(
                self.settings.base_url, params=self._params(target_url), timeout=timeout
            )
        except requests.Timeout as exc:
            raise _RetryableError("timeout", self._redact(f"timed out: {exc}")) from None
        except requests.ConnectionError as exc:
            raise _RetryableError(
                "connection_error", self._redact(f"connection failed: {exc}")
            ) from None
        except requests.RequestException as exc:
            raise FetchError(
                self._redact(f"request failed: {type(exc).__name__}: {exc}"),
                reason="request_error",
            ) from None
        status = response.status_code
        if status in (401, 403):
            what = "invalid API key" if status == 401 else "out of credits or plan refused"
            raise ScraperAPIAuthError(
                f"ScraperAPI answered {status} ({what}) for {target_url}",
                reason=f"http_{status}",
                http_status=status,
            )
        if status == 429 or status >= 500:
            raise _RetryableError(
                f"http_{status}", f"ScraperAPI answered {status} for {target_url}", status
            )
        if status >= 400:
            raise FetchError(
                f"ScraperAPI answered {status} for {target_url}",
                reason=f"http_{status}",
                http_status=status,
            )
        return response

    def fetch(self, target_url: str) -> FetchResult:
        """GET ``target_url`` through ScraperAPI. Raises :class:`ScraperAPIAuthError` (fatal),
        or :class:`FetchError` with ``reason`` http_<status> / timeout / connection_error once
        the retries are exhausted."""
        settings = self.settings
        timeout = (min(10.0, settings.timeout_s), settings.timeout_s)
        log = self._log.bind(url=self._redact(target_url))
        started = time.monotonic()
        attempts = 0

        # Retries and a product's failure are DEBUG lines: a window logs one summary line per
        # failure reason instead (lib.scraping.collect), not hundreds of these.
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            log.debug(
                "scraperapi.retry",
                attempt=state.attempt_number,
                reason=getattr(exc, "reason", type(exc).__name__),
                sleep_s=round(state.next_action.sleep, 3) if state.next_action else None,
            )

        retrying = Retrying(
            stop=stop_after_attempt(settings.max_attempts),
            wait=wait_exponential_jitter(
                multiplier=settings.min_backoff_s,
                max=settings.max_backoff_s,
                jitter=settings.min_backoff_s,
            ),
            retry=retry_if_exception(lambda exc: isinstance(exc, _RetryableError)),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    response = self._attempt(target_url, timeout)
        except _RetryableError as exc:
            elapsed = time.monotonic() - started
            log.debug("scraperapi.failed", reason=exc.reason, attempts=attempts, elapsed_s=elapsed)
            raise FetchError(
                self._redact(f"{exc} (gave up after {attempts} attempts)"),
                reason=exc.reason,
                http_status=exc.http_status,
                attempts=attempts,
            ) from None
        except ScrapeError as exc:
            exc.attempts = attempts
            level = log.error if exc.fatal else log.debug
            level("scraperapi.failed", reason=exc.reason, attempts=attempts)
            raise
        elapsed = time.monotonic() - started
        if "charset" not in response.headers.get("Content-Type", "").lower():
            response.encoding = "utf-8"  # requests would guess ISO-8859-1 for text/html
        log.debug(
            "scraperapi.fetched", status=response.status_code, attempts=attempts, elapsed_s=elapsed
        )
        return FetchResult(
            html=response.text, status=response.status_code, attempts=attempts, elapsed_s=elapsed
        )
