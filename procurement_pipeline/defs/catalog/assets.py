"""`product_catalog`: the purchasing catalog (CSV or .xlsx), validated and upserted into the
warehouse."""

import dagster as dg
from pydantic import Field

from procurement_pipeline.defs.catalog.partition_sync import (
    PARTITION_BATCH,
    sync_dynamic_partitions,
)
from procurement_pipeline.defs.catalog.resources import CatalogFileResource
from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.catalog import CatalogValidationError, read_catalog
from procurement_pipeline.lib.warehouse.catalog import active_skus, load_products, upsert_catalog


class CatalogConfig(dg.Config):
    """One run's overrides of the `catalog_file` resource (PROCUREMENT_CATALOG_*); None: the
    resource's setting."""

    csv_path: str | None = Field(
        default=None,
        description="Catalog file, CSV or .xlsx: sku/código, name/descrição, category/categoria, "
        "unit/unidade, search_term/termo de busca, current_stock/estoque atual, "
        "minimum_stock/estoque mínimo, lead_time_days/prazo de entrega (dias), "
        "reference_price/preço de referência (headers in Portuguese or English; separator, "
        "encoding and decimal comma detected). Unset: the catalog_file resource "
        f"(${settings.CATALOG_CSV_ENV} or the demo catalog).",
    )
    sheet: str | None = Field(
        default=None,
        description="Worksheet of an .xlsx catalog; empty: the first. Unset: the resource's "
        f"(${settings.CATALOG_SHEET_ENV}).",
    )
    encoding: str | None = Field(
        default=None,
        description="Encoding of a CSV catalog (utf-8, cp1252, latin-1, utf-16); empty: "
        f"detected. Unset: the resource's (${settings.CATALOG_ENCODING_ENV}).",
    )


@dg.asset(
    group_name="catalog",
    kinds={"csv", "sql"},
    description="Validates the catalog (CSV or .xlsx), upserts it in one transaction (products "
    "gone from the file are deactivated, never deleted) and makes the `products` partitions "
    "equal to the active SKUs (reconciled on every run, in batches), so a run after a crash "
    "between the two repairs them.",
)
def product_catalog(
    context: dg.AssetExecutionContext,
    config: CatalogConfig,
    warehouse: WarehouseResource,
    catalog_file: CatalogFileResource,
) -> dg.MaterializeResult:
    path = catalog_file.file(config.csv_path)
    sheet = catalog_file.sheet if config.sheet is None else config.sheet
    encoding = catalog_file.encoding if config.encoding is None else config.encoding
    try:
        catalog = read_catalog(path, sheet=sheet or None, encoding=encoding or None)
        engine = warehouse.get_engine()
        # The upsert validates too: a SKU that is a warehouse SKU spelled differently (case,
        # accents) is refused before anything is written.
        result = upsert_catalog(engine, catalog)
    except CatalogValidationError as exc:
        # A Failure shows the analyst every problem in the UI, without a Python traceback.
        raise dg.Failure(
            description=str(exc),
            metadata={
                "source": dg.MetadataValue.path(path),
                "problems": len(exc.problems),
            },
            allow_retries=False,
        ) from exc

    # Two databases, no shared transaction: reconcile with the warehouse's active catalog
    # every run (not just what this upsert changed), so an earlier crash is repaired too.
    def progress(action: str, done: int, total: int) -> None:
        context.log.info(f"partitions {action}: {done}/{total}")

    synced = sync_dynamic_partitions(
        context.instance,
        PRODUCTS_PARTITION,
        active_skus(engine),
        batch_size=PARTITION_BATCH,
        progress=progress,
    )
    to_add, to_remove = synced.added, synced.removed

    context.log.info(
        f"catalog {path}: {len(result.inserted)} inserted, {len(result.updated)} "
        f"updated, {len(result.unchanged)} unchanged, {len(result.deactivated)} deactivated"
    )
    active = load_products(engine)
    return dg.MaterializeResult(
        metadata={
            "source": dg.MetadataValue.path(path),
            "warehouse": warehouse.display_url,
            "active_products": len(result.active_skus),
            "inserted": len(result.inserted),
            "updated": len(result.updated),
            "unchanged": len(result.unchanged),
            "deactivated": len(result.deactivated),
            "reactivated": len(result.reactivated),
            "partitions_added": len(to_add),
            "partitions_removed": len(to_remove),
            "categories": dg.MetadataValue.json(
                active["category"].value_counts().sort_index().to_dict()
            ),
            "preview": preview(
                active[["sku", "name", "category", "unit", "reference_price", "current_stock"]]
            ),
        }
    )
