"""PDF reports: one per product (batched over the product partitions), the catalog report and
the global price-index report, written atomically into the artifact store."""

import os
import time

import dagster as dg
import pandas as pd
from pydantic import Field

from procurement_pipeline.defs.forecasting.assets import (
    PRODUCTS_PER_RUN,
    global_price_model,
    product_forecasts,
    product_price_models,
)
from procurement_pipeline.defs.history.assets import synthetic_price_history
from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.partitions import products_partitions
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.reporting import (
    build_catalog_report,
    build_global_report,
    build_product_reports,
    purchase_lines,
    summarize_catalog,
)
from procurement_pipeline.lib.warehouse.recommendations import load_recommendations
from procurement_pipeline.lib.warehouse.reports import (
    load_catalog_outcomes,
    load_global_report_data,
    load_product_report_data,
)

# Below this many products a process pool costs more (spawn + imports) than it saves.
POOL_THRESHOLD = 40
LISTED_PATHS = 20
# By key, not by import: defs.recommendations imports the e-mail sensors, which import this.
PURCHASE_RECOMMENDATIONS = dg.AssetKey("purchase_recommendations")


class ProductReportsConfig(dg.Config):
    workers: int = Field(
        default=0,
        description="Report processes; 0 = one per core (one process for small runs).",
    )


def _workers(config: ProductReportsConfig, products: int) -> int:
    if config.workers:
        return config.workers
    if products < POOL_THRESHOLD:
        return 1
    return max(1, min(os.cpu_count() or 1, products // 25))


@dg.asset(
    partitions_def=products_partitions,
    deps=[product_price_models, synthetic_price_history],
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=PRODUCTS_PER_RUN),
    group_name="reports",
    kinds={"pdf"},
    description="Per product: a PDF (in Portuguese) with the daily history, the synthetic "
    "gap-filler, the 30-day forecast and its 80% interval, holdout metrics against the naive "
    "baselines and the latest offers, plus a page of daily tables. A run builds its products "
    "in a process pool; inputs load in bulk.",
)
def product_reports(
    context: dg.AssetExecutionContext,
    config: ProductReportsConfig,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    store = artifact_store.store
    skus = list(context.partition_keys)
    started = time.monotonic()
    items = load_product_report_data(engine, skus)
    loaded_s = time.monotonic() - started
    workers = _workers(config, len(skus))
    context.log.info(f"building {len(items)} product reports with {workers} process(es)")
    batch = build_product_reports(items, store.root, workers=workers)
    results, failures = batch.built, batch.failures
    pages = {sku: count for sku, _path, count in results}
    paths = {sku: store.relative(path) for sku, path, _count in results}
    by_status = pd.Series([i.status for i in items], dtype=object).value_counts().to_dict()
    if failures:
        for sku, error in list(failures.items())[:10]:
            context.log.error(f"{sku}: report failed: {error}")
        raise dg.Failure(
            description=f"{len(failures)} of {len(skus)} product report(s) failed: "
            + ", ".join(list(failures)[:20]),
            metadata={"failed": dg.MetadataValue.json(failures), "built": len(results)},
        )
    metadata: dict[str, object] = {
        "reports": len(results),
        "pages_total": sum(pages.values()),
        "by_model_status": dg.MetadataValue.json(by_status),
        "report_dir": dg.MetadataValue.path(str(store.path(artifacts.PRODUCT_REPORTS))),
        "load_s": round(loaded_s, 2),
        "wall_s": round(time.monotonic() - started, 2),
        "workers": workers,
    }
    if len(results) == 1:
        (sku,) = pages
        metadata["path"] = dg.MetadataValue.path(str(store.path(paths[sku])))
        metadata["pages"] = pages[sku]
    if len(results) <= LISTED_PATHS:
        metadata["reports_by_sku"] = dg.MetadataValue.json(
            {sku: {"path": paths[sku], "pages": pages[sku]} for sku in pages}
        )
    return dg.MaterializeResult(metadata=metadata)


class CatalogReportConfig(dg.Config):
    pages: int = Field(
        default=50,
        description="Products with a page of their own: the N largest expected moves "
        "(in absolute value). 0 = summary only.",
    )
    skus: list[str] = Field(
        default=[], description="Explicit selection (in this order); overrides `pages`."
    )
    horizon_days: int = Field(default=30, description="Forecast horizon named in the report.")
    purchases: int = Field(
        default=20,
        description='Lines of the first section, "O que comprar": the most urgent products '
        "to buy (then the largest expected saving).",
    )


@dg.asset(
    deps=[product_forecasts, PURCHASE_RECOMMENDATIONS],
    group_name="reports",
    kinds={"pdf"},
    description='The catalog report: "O que comprar" (the most urgent purchase '
    "recommendations, with date, quantity, expected price, saving and reason), the training "
    "summary (counts, skip and failure reasons, "
    "median holdout metrics, shares beating the baselines), the largest expected rises and "
    "falls, then one page per selected product (default: the 50 largest expected moves). "
    "Reads the forecasts table, not the product partitions.",
)
def catalog_report(
    context: dg.AssetExecutionContext,
    config: CatalogReportConfig,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    store = artifact_store.store
    summary = summarize_catalog(load_catalog_outcomes(engine), horizon_days=config.horizon_days)
    selection = list(config.skus) or summary.page_selection(config.pages)
    page_data = load_product_report_data(engine, selection)
    recommendations = load_recommendations(engine)
    purchases = purchase_lines(recommendations, config.purchases)
    to_buy = int((recommendations["action"] != "no_need").sum())
    path = store.path(artifacts.CATALOG_REPORT)
    pages = build_catalog_report(
        summary,
        page_data,
        path,
        selection=selection,
        purchases=purchases,
        purchases_to_buy=to_buy,
    )
    context.log.info(
        f"catalog report: {summary.products_total} products, {len(purchases)} purchase lines "
        f"({to_buy} products to buy), {len(page_data)} product pages, {pages} pages"
    )
    moves = pd.DataFrame(
        [
            {"sku": m.sku, "name": m.name, "last_price": m.last_price, "move_pct": m.move_pct}
            for m in summary.moves[:10]
        ]
    )
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "pages": pages,
            "product_pages": len(page_data),
            "purchase_lines": len(purchases),
            "products_to_buy": to_buy,
            "products": summary.products_total,
            "trained": summary.trained,
            "skipped": summary.skipped,
            "failed": summary.failed,
            "median_mase_naive": summary.median_metrics.get("mase_naive"),
            "largest_moves": preview(moves.round(4)),
        }
    )


@dg.asset(
    deps=[global_price_model],
    group_name="reports",
    kinds={"pdf"},
    description="The global report: the catalog-wide price index, its model's holdout "
    "evaluation against the baselines and the 30-day forecast. Runs after the blocking "
    "check global_model_trustworthy when both are in the run.",
)
def global_report(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
) -> dg.MaterializeResult:
    data = load_global_report_data(warehouse.get_engine())
    if data is None:
        raise dg.Failure(
            description="no global model in the warehouse: materialize global_price_model first",
            allow_retries=False,
        )
    store = artifact_store.store
    path = store.path(artifacts.GLOBAL_REPORT)
    pages = build_global_report(data, path)
    context.log.info(f"global report: {pages} pages, model {data.status}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(path)),
            "pages": pages,
            "model_status": data.status,
            "index_days": len(data.index_history),
            "trained_at": data.trained_at.isoformat() if data.trained_at else None,
            "mase_naive": (data.metrics or {}).get("mase_naive"),
        }
    )
