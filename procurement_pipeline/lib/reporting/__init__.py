"""PDF reports for the buyer, in Portuguese (no Dagster here)."""

from procurement_pipeline.lib.reporting.catalog import build_catalog_report, select_pages
from procurement_pipeline.lib.reporting.formatting import (
    format_brl,
    format_date_br,
    format_datetime_br,
    format_number,
    format_pct,
)
from procurement_pipeline.lib.reporting.global_report import build_global_report
from procurement_pipeline.lib.reporting.model import (
    CatalogSummary,
    GlobalReportData,
    ProductMove,
    ProductOutcome,
    ProductReportData,
    expected_move,
    summarize_catalog,
)
from procurement_pipeline.lib.reporting.product import (
    ReportBatch,
    ReportBuildError,
    build_product_report,
    build_product_reports,
)
from procurement_pipeline.lib.reporting.purchases import (
    PurchaseLine,
    purchase_lines,
    purchase_list,
    sort_recommendations,
)

__all__ = [
    "CatalogSummary",
    "GlobalReportData",
    "ProductMove",
    "ProductOutcome",
    "ProductReportData",
    "PurchaseLine",
    "ReportBatch",
    "ReportBuildError",
    "build_catalog_report",
    "build_global_report",
    "build_product_report",
    "build_product_reports",
    "expected_move",
    "format_brl",
    "format_date_br",
    "format_datetime_br",
    "format_number",
    "format_pct",
    "purchase_lines",
    "purchase_list",
    "select_pages",
    "sort_recommendations",
    "summarize_catalog",
]
