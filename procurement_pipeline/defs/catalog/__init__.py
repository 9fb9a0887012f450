import dagster as dg

from procurement_pipeline.defs.catalog.assets import product_catalog

catalog_job = dg.define_asset_job(
    "catalog_job",
    selection=[product_catalog],
    description="Validate and load the purchasing catalog; register product partitions.",
)

defs = dg.Definitions(assets=[product_catalog], jobs=[catalog_job])
