import dagster as dg

from procurement_pipeline.defs.forecasting.assets import global_price_model, product_forecasts
from procurement_pipeline.defs.reports.assets import (
    PURCHASE_RECOMMENDATIONS,
    catalog_report,
    global_report,
    product_reports,
)

product_reports_job = dg.define_asset_job(
    "product_reports_job",
    selection=[product_reports],
    description="Rebuild the PDF reports of a range of products without retraining.",
)
reports_job = dg.define_asset_job(
    "reports_job",
    selection=dg.AssetSelection.assets(
        product_forecasts, global_price_model, catalog_report, global_report
    )
    | dg.AssetSelection.assets(PURCHASE_RECOMMENDATIONS),
    description="Rebuild the forecasts table, the purchase recommendations from it (their "
    "blocking checks stand in front of the catalog report, whose first section they are), "
    "train the global model (its blocking check stands in front of the global report), and "
    "write the catalog and global reports.",
)

defs = dg.Definitions(
    assets=[product_reports, catalog_report, global_report],
    jobs=[product_reports_job, reports_job],
)
