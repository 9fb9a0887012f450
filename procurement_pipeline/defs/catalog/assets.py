"""`product_catalog`: the purchasing catalog CSV, validated and upserted into the warehouse."""

import dagster as dg
from pydantic import Field

from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.catalog import CatalogValidationError, read_catalog
from procurement_pipeline.lib.warehouse.catalog import load_products, upsert_catalog


class CatalogConfig(dg.Config):
    csv_path: str = Field(
        default=str(settings.catalog_csv()),
        description="Catalog CSV (sku,name,category,unit,search_term,current_stock,"
        "minimum_stock,lead_time_days,reference_price), UTF-8.",
    )


@dg.asset(
    group_name="catalog",
    kinds={"csv", "sql"},
    description="Validates the catalog CSV, upserts it in one transaction (products gone from "
    "the file are deactivated, never deleted) and registers one `products` partition per "
    "active SKU.",
)
def product_catalog(
    context: dg.AssetExecutionContext, config: CatalogConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    try:
        catalog = read_catalog(config.csv_path)
    except CatalogValidationError as exc:
        # A Failure shows the analyst every problem in the UI, without a Python traceback.
        raise dg.Failure(
            description=str(exc),
            metadata={
                "source": dg.MetadataValue.path(config.csv_path),
                "problems": len(exc.problems),
            },
            allow_retries=False,
        ) from exc
    result = upsert_catalog(warehouse.get_engine(), catalog)

    registered = set(context.instance.get_dynamic_partitions(PRODUCTS_PARTITION))
    to_add = sorted(set(result.active_skus) - registered)
    to_remove = sorted(registered - set(result.active_skus))
    if to_add:
        context.instance.add_dynamic_partitions(PRODUCTS_PARTITION, to_add)
    for sku in to_remove:
        context.instance.delete_dynamic_partition(PRODUCTS_PARTITION, sku)

    context.log.info(
        f"catalog {config.csv_path}: {len(result.inserted)} inserted, {len(result.updated)} "
        f"updated, {len(result.unchanged)} unchanged, {len(result.deactivated)} deactivated"
    )
    active = load_products(warehouse.get_engine())
    return dg.MaterializeResult(
        metadata={
            "source": dg.MetadataValue.path(config.csv_path),
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
