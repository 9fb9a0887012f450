"""Market prices: one scrape per 8-hour UTC window, and the demo market's seeded history."""

from datetime import UTC, datetime, timedelta

import dagster as dg
import pandas as pd
from pydantic import Field

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.prices.resources import DemoMarketResource, MarketplaceResource
from procurement_pipeline.defs.resources import CurrencyResource, WarehouseResource
from procurement_pipeline.lib.logging import redact_text
from procurement_pipeline.lib.scraping.collect import (
    ScrapeTarget,
    failure_summary,
    scrape_window,
)
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline.lib.scraping.errors import ScraperAPIAuthError, ScraperAPIConfigError
from procurement_pipeline.lib.warehouse.catalog import load_products
from procurement_pipeline.lib.warehouse.prices import (
    replace_demo_observations,
    store_window,
    window_duplicates,
)

SCRAPE_CRON = "0 */8 * * *"
scrape_windows = dg.TimeWindowPartitionsDefinition(
    cron_schedule=SCRAPE_CRON,
    start=datetime(2026, 1, 1),
    fmt="%Y-%m-%d-%H:%M",
    timezone="UTC",
)
# Run tag limited to one at a time by the instance (dagster.yaml) and the "scraperapi" pool.
SCRAPING_TAG = {"procurement/scraping": "window"}


def window_start_of(context: dg.AssetExecutionContext) -> datetime:
    return context.partition_time_window.start.astimezone(UTC).replace(tzinfo=None)


class ScrapeConfig(dg.Config):
    failure_share_warning: float = Field(
        default=0.2, description="Warn when more than this share of products failed."
    )
    failure_share_limit: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="Fail the run (after storing what was good, so the failure alert e-mail "
        "follows) when more than this share of products failed.",
    )


@dg.asset(
    partitions_def=scrape_windows,
    deps=[product_catalog],
    pool="scraperapi",
    group_name="prices",
    kinds={"python", "sql"},
    check_specs=[
        dg.AssetCheckSpec(
            "no_duplicate_observations",
            asset="scraped_prices",
            description="At most one observation per (product, window).",
        ),
        dg.AssetCheckSpec(
            "failure_share_under_threshold",
            asset="scraped_prices",
            description="Share of products whose scrape failed stays under the threshold.",
        ),
    ],
    description="One price observation per active product per 8-hour UTC window, scraped from "
    "Mercado Livre through ScraperAPI (or the offline demo market). Re-running a window "
    "replaces a product's rows only with a new observation: a product whose new attempt "
    "failed keeps its stored observation and offers. Every attempt's outcome is recorded. "
    "More failures than `failure_share_limit` fail the run after storing what was good.",
)
def scraped_prices(
    context: dg.AssetExecutionContext,
    config: ScrapeConfig,
    warehouse: WarehouseResource,
    marketplace: MarketplaceResource,
    currency: CurrencyResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    window_start = window_start_of(context)
    products = load_products(engine)
    targets = [ScrapeTarget(r.sku, r.search_term) for r in products.itertuples(index=False)]
    step = max(1, len(targets) // 10)

    def progress(done: int, total: int) -> None:
        if done % step == 0 or done == total:
            context.log.info(f"scraped {done}/{total} products")

    try:
        with marketplace.open_client(products, window_start) as client:
            scrape = scrape_window(
                client,
                targets,
                window_start,
                source=marketplace.source,
                currency=currency.currency,
                concurrency=marketplace.concurrency,
                progress=progress,
            )
    except (ScraperAPIAuthError, ScraperAPIConfigError) as exc:
        # Every further request would fail the same way: stop the window at once.
        raise dg.Failure(description=redact_text(str(exc)), allow_retries=False) from None
    stored = store_window(engine, scrape)

    duplicates = window_duplicates(engine, window_start)
    failure_share = scrape.failed / scrape.attempted if scrape.attempted else 0.0
    failed_by_reason = scrape.failed_by_reason
    # One line per reason (count, first SKUs); every failed SKU is in the metadata.
    failures = failure_summary(scrape.failed_skus_by_reason)
    failure_metadata = {
        "failed_by_reason": dg.MetadataValue.json(failed_by_reason),
        "failures": dg.MetadataValue.text("\n".join(failures)),
        "failed_skus_by_reason": dg.MetadataValue.json(scrape.failed_skus_by_reason),
    }
    context.log.info(
        f"window {window_start:%Y-%m-%d %H:%M}: {scrape.saved} saved, {scrape.failed} failed "
        f"({len(stored.kept)} kept their earlier observation) in {scrape.duration_s:.1f} s"
    )
    for line in failures:
        context.log.info(f"failed, {line}")
    if failure_share > config.failure_share_limit:
        # What was good is stored; failing the run is what makes the alert e-mail follow.
        raise dg.Failure(
            description=f"window {window_start:%Y-%m-%d %H:%M}: {scrape.failed} of "
            f"{scrape.attempted} products failed ({failure_share:.0%}, limit "
            f"{config.failure_share_limit:.0%}). {scrape.saved} new observations stored; "
            f"{len(stored.kept)} products kept their earlier observation of this window. "
            "Failed, by reason:\n" + "\n".join(failures),
            metadata={
                "window_start": window_start.isoformat(),
                "attempted": scrape.attempted,
                "saved": scrape.saved,
                "failed": scrape.failed,
                **failure_metadata,
                "kept_earlier_observation": len(stored.kept),
                "without_observation": len(stored.missing),
                "failure_share": round(failure_share, 4),
                "limit": config.failure_share_limit,
            },
        )
    observations = products[["sku", "name"]].merge(
        pd.DataFrame(scrape.observations, columns=["sku", "price", "seller", "offers_considered"]),
        on="sku",
    )
    return dg.MaterializeResult(
        metadata={
            "window_start": window_start.isoformat(),
            "source": scrape.source,
            "attempted": scrape.attempted,
            "saved": scrape.saved,
            "failed": scrape.failed,
            **failure_metadata,
            "kept_earlier_observation": len(stored.kept),
            "without_observation": len(stored.missing),
            "offers_stored": stored.offers_stored,
            "duration_s": round(scrape.duration_s, 2),
            "preview": preview(observations),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="no_duplicate_observations",
                passed=duplicates == 0,
                metadata={"duplicated_products": duplicates},
            ),
            dg.AssetCheckResult(
                check_name="failure_share_under_threshold",
                passed=failure_share <= config.failure_share_warning,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "failure_share": round(failure_share, 4),
                    "threshold": config.failure_share_warning,
                    "failed_by_reason": dg.MetadataValue.json(failed_by_reason),
                },
            ),
        ],
    )


class DemoHistoryConfig(dg.Config):
    days: int = Field(default=180, description="Days of demo history before the latest window.")


@dg.asset(
    deps=[product_catalog],
    group_name="prices",
    kinds={"python", "sql"},
    description="Demo market only: seeds months of observations (source 'demo') straight from "
    "the demo market's price process for the windows before the latest one, so the history, "
    "models and reports have something to work on offline. Rendering and parsing half a "
    "million pages would take hours; the latest window is scraped through the real client.",
)
def demo_price_history(
    context: dg.AssetExecutionContext,
    config: DemoHistoryConfig,
    warehouse: WarehouseResource,
    marketplace: MarketplaceResource,
    currency: CurrencyResource,
) -> dg.MaterializeResult:
    if not isinstance(marketplace, DemoMarketResource):
        raise dg.Failure(
            description="demo_price_history only runs against the demo market "
            f"(PROCUREMENT_MARKET={marketplace.source!r}); real history comes from scraping.",
            allow_retries=False,
        )
    engine = warehouse.get_engine()
    latest = scrape_windows.get_last_partition_window()
    if latest is None:
        raise dg.Failure(description="no complete scrape window yet")
    before_latest = latest.start.astimezone(UTC).replace(tzinfo=None) - timedelta(hours=8)
    windows = demo_windows(before_latest, config.days)
    products = load_products(engine)
    observations = seed_demo_observations(products, windows, currency=currency.currency)
    inserted = replace_demo_observations(engine, observations, windows[0], windows[-1])
    context.log.info(f"seeded {inserted} demo observations over {len(windows)} windows")
    return dg.MaterializeResult(
        metadata={
            "observations": inserted,
            "products": int(observations["sku"].nunique()),
            "windows": len(windows),
            "first_window": windows[0].isoformat(),
            "last_window": windows[-1].isoformat(),
            "missing_windows_share": round(1 - inserted / (len(windows) * len(products)), 4)
            if len(products)
            else 0.0,
            "preview": preview(observations[["sku", "window_start", "price", "seller"]]),
        }
    )
