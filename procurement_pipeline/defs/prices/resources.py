"""The marketplace: one interface, two implementations, chosen in defs/environment.py
(PROCUREMENT_MARKET): Mercado Livre through ScraperAPI, or the offline demo market.

Both go through the same client and parser. The demo market serves its pages from a local
server that speaks ScraperAPI's protocol for the duration of the scrape.
"""

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import datetime

import dagster as dg
import pandas as pd
from pydantic import Field, field_validator

from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.scraperapi import ScraperAPIClient, ScraperAPISettings
from procurement_pipeline.lib.scraping.server import ScraperAPIServer

DEMO_MARKET = "demo"
MERCADO_LIVRE = "mercadolivre"
# The defaults of every client setting are ScraperAPISettings' own.
CLIENT_DEFAULTS = ScraperAPISettings()
# The local demo server answers at once; a stuck request means a bug, not a slow market.
DEMO_TIMEOUT_S = 30.0


class MarketplaceResource(dg.ConfigurableResource, ABC):
    """Where prices come from: a client for one scrape window, and the `source` stored with
    each observation. Assets take this interface; the definitions bind one implementation."""

    max_attempts: int = Field(
        default=CLIENT_DEFAULTS.max_attempts, description="SCRAPERAPI_MAX_ATTEMPTS"
    )
    min_backoff_s: float = Field(
        default=CLIENT_DEFAULTS.min_backoff_s, description="SCRAPERAPI_MIN_BACKOFF (seconds)"
    )
    max_backoff_s: float = Field(
        default=CLIENT_DEFAULTS.max_backoff_s, description="SCRAPERAPI_MAX_BACKOFF (seconds)"
    )
    concurrency: int = Field(
        default=CLIENT_DEFAULTS.concurrency, description="SCRAPERAPI_CONCURRENCY"
    )

    @property
    @abstractmethod
    def source(self) -> str:
        """The `source` stored with each observation: demo prices are never market data."""

    @abstractmethod
    def open_client(
        self, products: pd.DataFrame, window_start: datetime
    ) -> AbstractContextManager[ScraperAPIClient]:
        """A ScraperAPI client for one window of `products`."""


class MercadoLivreMarketResource(MarketplaceResource):
    """Mercado Livre through ScraperAPI (needs SCRAPERAPI_KEY)."""

    scraperapi_key: str | None = Field(default=None, description="SCRAPERAPI_KEY (secret)")
    base_url: str = Field(default=CLIENT_DEFAULTS.base_url, description="SCRAPERAPI_BASE_URL")
    timeout_s: float = Field(
        default=CLIENT_DEFAULTS.timeout_s, description="SCRAPERAPI_TIMEOUT (seconds)"
    )
    country_code: str | None = Field(default=None, description="SCRAPERAPI_COUNTRY_CODE")

    @field_validator("base_url", "country_code")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        """Surrounding whitespace goes, as ScraperAPISettings.from_env reads the variables (an
        EnvVar's value arrives here as set)."""
        return value.strip() if value is not None else None

    @property
    def source(self) -> str:
        return MERCADO_LIVRE

    @property
    def api_key(self) -> str | None:
        """The key as ScraperAPI knows it: SCRAPERAPI_KEY without surrounding whitespace (a
        trailing newline or spaces pasted into .env would otherwise be sent and answered 401).
        The one place the configured key is read."""
        key = (self.scraperapi_key or "").strip()
        return key or None

    def scraperapi_settings(self) -> ScraperAPISettings:
        """The client's settings, built from this resource's fields in this one place."""
        return ScraperAPISettings(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            min_backoff_s=self.min_backoff_s,
            max_backoff_s=self.max_backoff_s,
            country_code=(self.country_code or "").lower() or None,
            concurrency=self.concurrency,
        )

    @contextmanager
    def open_client(
        self, products: pd.DataFrame, window_start: datetime
    ) -> Iterator[ScraperAPIClient]:
        with ScraperAPIClient(self.scraperapi_settings()) as client:
            yield client


class DemoMarketResource(MarketplaceResource):
    """The offline demo market (the embedded default): its pages, rendered from the catalog,
    served by a local ScraperAPI-speaking server while the window is scraped."""

    @property
    def source(self) -> str:
        return DEMO_MARKET

    def scraperapi_settings(self, server: ScraperAPIServer) -> ScraperAPISettings:
        return ScraperAPISettings(
            api_key=server.api_key,
            base_url=server.base_url,
            timeout_s=DEMO_TIMEOUT_S,
            max_attempts=self.max_attempts,
            min_backoff_s=self.min_backoff_s,
            max_backoff_s=self.max_backoff_s,
            concurrency=self.concurrency,
        )

    @contextmanager
    def open_client(
        self, products: pd.DataFrame, window_start: datetime
    ) -> Iterator[ScraperAPIClient]:
        pages = DemoMarketPages.from_products(products, window_start=window_start)
        with (
            ScraperAPIServer(pages) as server,
            ScraperAPIClient(self.scraperapi_settings(server)) as client,
        ):
            yield client
