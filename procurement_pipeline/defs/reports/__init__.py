import dagster as dg

from procurement_pipeline.defs.reports.assets import catalog_report, global_report, product_reports

defs = dg.Definitions(assets=[product_reports, catalog_report, global_report])
