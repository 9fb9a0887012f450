"""The marketplace: Mercado Livre through ScraperAPI, or the offline demo market.

Both go through the same client and parser. In demo mode a local server that speaks
ScraperAPI's protocol serves the demo market's pages for the duration of the scrape.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import dagster as dg
import pandas as pd
from pydantic import Field

from procurement_pipeline.defs.resources import env_or_default
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.scraperapi import (
    DEFAULT_BASE_URL,
    ScraperAPIClient,
    ScraperAPISettings,
)
from procurement_pipeline.lib.scraping.server import ScraperAPIServer

DEMO_MARKET = "demo"
MERCADO_LIVRE = "mercadolivre"


class MarketplaceResource(dg.ConfigurableResource):
    """Where prices come from. `market` is "demo" (offline, the embedded default) or
    "mercadolivre" (ScraperAPI; needs SCRAPERAPI_KEY)."""

    market: str = Field(default=DEMO_MARKET, description="demo | mercadolivre")
    scraperapi_key: str | None = Field(default=None, description="SCRAPERAPI_KEY (secret)")
    base_url: str = DEFAULT_BASE_URL
    timeout_s: float = 70.0
    max_attempts: int = 4
    min_backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    country_code: str | None = None
    concurrency: int = 10
    currency: str = "BRL"

    @property
    def source(self) -> str:
        """The `source` stored with each observation: demo prices are never market data."""
        return DEMO_MARKET if self.market == DEMO_MARKET else MERCADO_LIVRE

    @property
    def api_key(self) -> str | None:
        """The key as ScraperAPI knows it: SCRAPERAPI_KEY without surrounding whitespace (a
        trailing newline or spaces pasted into .env would otherwise be sent and answered 401).
        The one place the configured key is read."""
        key = (self.scraperapi_key or "").strip()
        return key or None

    def scraperapi_settings(self, **overrides) -> ScraperAPISettings:
        values = dict(
            api_key=self.api_key,
            base_url=self.base_url,
            timeout_s=self.timeout_s,
            max_attempts=self.max_attempts,
            min_backoff_s=self.min_backoff_s,
            max_backoff_s=self.max_backoff_s,
            country_code=self.country_code,
            concurrency=self.concurrency,
            currency=self.currency,
        )
        values.update(overrides)
        return ScraperAPISettings(**values)

    @contextmanager
    def open_client(
        self, products: pd.DataFrame, window_start: datetime
    ) -> Iterator[ScraperAPIClient]:
        """A ScraperAPI client; in demo mode, pointed at a local server of demo pages."""
        if self.market == MERCADO_LIVRE:
            with ScraperAPIClient(self.scraperapi_settings()) as client:
                yield client
            return
        if self.market != DEMO_MARKET:
            raise dg.DagsterInvariantViolationError(
                f"unknown market {self.market!r}: use 'demo' or 'mercadolivre'"
            )
        pages = DemoMarketPages.from_products(products, window_start=window_start)
        with ScraperAPIServer(pages) as server:
            settings = self.scraperapi_settings(
                api_key=server.api_key, base_url=server.base_url, timeout_s=30.0
            )
            with ScraperAPIClient(settings) as client:
                yield client


def marketplace_from_env() -> MarketplaceResource:
    """Settings from SCRAPERAPI_* / SCRAPING_CURRENCY / PROCUREMENT_MARKET; the key stays an
    EnvVar so its value is never shown in the UI or stored with the run's config."""
    env = ScraperAPISettings.from_env()  # validates numbers with a clear error
    return MarketplaceResource(
        market=env_or_default("PROCUREMENT_MARKET", DEMO_MARKET),
        scraperapi_key=dg.EnvVar("SCRAPERAPI_KEY") if env.api_key else None,
        base_url=env.base_url,
        timeout_s=env.timeout_s,
        max_attempts=env.max_attempts,
        min_backoff_s=env.min_backoff_s,
        max_backoff_s=env.max_backoff_s,
        country_code=env.country_code,
        concurrency=env.concurrency,
        currency=env.currency,
    )
