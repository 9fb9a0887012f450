"""The purchasing catalog: CSV validation. The demo catalog (data/products_seed.csv) is
written by tools/catalog_generator.py, which the running platform never imports."""

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
