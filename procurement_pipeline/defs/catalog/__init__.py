import dagster as dg

from procurement_pipeline.defs.catalog.assets import product_catalog

# Loaded by materializing the asset (UI or `make run`): a new catalog file is an operator's act.
defs = dg.Definitions(assets=[product_catalog])
