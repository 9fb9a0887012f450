"""The resources every domain shares: the warehouse, the artifact store, the prices' currency.
Their settings are set in one place, defs/environment.py."""

from __future__ import annotations

from functools import cached_property

import dagster as dg
from pydantic import Field, PrivateAttr
from sqlalchemy import Engine

from procurement_pipeline.lib.artifacts import ArtifactStore
from procurement_pipeline.lib.scraping.scraperapi import ScraperAPISettings
from procurement_pipeline.lib.warehouse import create_warehouse_engine, display_url, migrate


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse database: SQLite file by default, MySQL through mysql+pymysql://…"""

    database_url: str

    _engine: Engine | None = PrivateAttr(default=None)

    @property
    def display_url(self) -> str:
        return display_url(self.database_url)

    def get_engine(self) -> Engine:
        """One engine per process, migrated to the newest schema on first use."""
        if self._engine is None:
            engine = create_warehouse_engine(self.database_url)
            migrate(engine)
            self._engine = engine
        return self._engine

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class ArtifactStoreResource(dg.ConfigurableResource):
    """Folder for model files, PDF reports and global_metadata.json."""

    root: str

    @cached_property
    def store(self) -> ArtifactStore:
        return ArtifactStore(self.root)


class CurrencyResource(dg.ConfigurableResource):
    """The currency prices are kept in (SCRAPING_CURRENCY): observations are stored with it and
    the daily history rejects any other."""

    code: str = Field(
        default=ScraperAPISettings.currency, description="SCRAPING_CURRENCY (ISO 4217, e.g. BRL)"
    )

    @property
    def currency(self) -> str:
        return self.code.strip().upper()
