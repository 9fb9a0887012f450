"""The purchasing catalog: CSV validation and the deterministic demo-catalog generator."""

from procurement_pipeline.lib.catalog.validation import (
    CatalogProblem,
    CatalogProduct,
    CatalogValidationError,
    parse_catalog,
    read_catalog,
)

__all__ = [
    "CatalogProblem",
    "CatalogProduct",
    "CatalogValidationError",
    "parse_catalog",
    "read_catalog",
]
