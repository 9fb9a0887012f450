"""The warehouse: schema, engines, migrations and the queries the assets and dashboard use."""

from procurement_pipeline.lib.warehouse.engine import (
    create_warehouse_engine,
    display_url,
    normalize_url,
)
from procurement_pipeline.lib.warehouse.migrate import head_revision, migrate

__all__ = [
    "create_warehouse_engine",
    "display_url",
    "head_revision",
    "migrate",
    "normalize_url",
]
