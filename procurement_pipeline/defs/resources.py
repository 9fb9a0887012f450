"""Dagster resources: settings come from environment variables through EnvVar, with the
embedded defaults (one local state folder) when a variable is not set."""

from __future__ import annotations

import os
from functools import cached_property

import dagster as dg
from pydantic import PrivateAttr
from sqlalchemy import Engine

from procurement_pipeline.lib import settings
from procurement_pipeline.lib.artifacts import ArtifactStore
from procurement_pipeline.lib.warehouse import create_warehouse_engine, display_url, migrate


def env_or_default(name: str, default: str) -> dg.EnvVar | str:
    """EnvVar when the variable is set (the UI shows where the value came from), else the
    embedded default. Resolved when the definitions load, never inside an asset."""
    return dg.EnvVar(name) if os.environ.get(name) else default


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


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "warehouse": WarehouseResource(
            database_url=env_or_default(settings.DATABASE_URL_ENV, settings.database_url())
        ),
        "artifact_store": ArtifactStoreResource(
            root=env_or_default(settings.ARTIFACT_ROOT_ENV, str(settings.artifact_root()))
        ),
    }
