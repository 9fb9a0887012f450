"""Jobs that span domains: what an operator launches by hand from the UI's launchpad."""

import dagster as dg

from procurement_pipeline.defs.forecasting.assets import product_forecasts, product_price_models
from procurement_pipeline.defs.recommendations.assets import purchase_recommendations
from procurement_pipeline.defs.reports.assets import catalog_report, global_report, product_reports
from procurement_pipeline.defs.tags import RETRAINING_TAG

retrain_job = dg.define_asset_job(
    "retrain_job",
    selection=dg.AssetSelection.assets(
        product_price_models,
        product_reports,
        product_forecasts,
        purchase_recommendations,
        catalog_report,
    ),
    tags={RETRAINING_TAG: "true"},
    description="Retrain a range of products (pick the partitions) and rebuild their PDF "
    "reports, then the forecasts table, the purchase recommendations and the catalog report. "
    "The automation retrains changed products by itself; this is for an operator's re-run.",
)
reports_job = dg.define_asset_job(
    "reports_job",
    selection=dg.AssetSelection.assets(product_reports, catalog_report, global_report),
    description="Rebuild the reports without retraining anything: the PDFs of a range of "
    "products (pick the partitions), the catalog report and the global report, from the "
    "models and forecasts already in the warehouse.",
)
