"""The cleaned daily price history, the synthetic gap-filler, and their quality checks."""

import math

import dagster as dg
from pydantic import Field

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.prices.assets import demo_price_history, scraped_prices
from procurement_pipeline.defs.resources import CurrencyResource, WarehouseResource
from procurement_pipeline.lib import clock
from procurement_pipeline.lib.history.cleaning import HistorySettings, build_daily_history
from procurement_pipeline.lib.history.fingerprint import catalog_fingerprint, history_fingerprints
from procurement_pipeline.lib.history.synthetic import (
    SyntheticSettings,
    generate_synthetic_history,
    synthetic_anchors,
)
from procurement_pipeline.lib.warehouse.catalog import load_products, utcnow
from procurement_pipeline.lib.warehouse.history import (
    daily_history_quality,
    last_real_prices,
    load_real_observations,
    newest_real_observation,
    replace_daily_history,
    replace_synthetic_observations,
)

# Metadata key of daily_price_history and global_price_model: the catalog-wide content
# fingerprint of the history written / trained on (the cycle planner compares the two).
HISTORY_FINGERPRINT_KEY = "history_fingerprint"

# Declarative automation (the `history_after_each_scrape` sensor): rebuild once each time a
# scrape window lands, after no window is still being scraped. Only scrape windows count:
# seeding demo history or reloading the catalog is followed by the next scrape.
AFTER_EACH_SCRAPE_WINDOW = (
    (
        dg.AutomationCondition.any_deps_updated()
        .allow(dg.AssetSelection.assets(scraped_prices))
        .since_last_handled()
    )
    & ~dg.AutomationCondition.any_deps_in_progress().allow(dg.AssetSelection.assets(scraped_prices))
    & ~dg.AutomationCondition.in_progress()
).with_label("after each scrape window")


class DailyHistoryConfig(dg.Config):
    max_gap_days: int = Field(default=3, description="Longest gap (days) that is interpolated.")
    outlier_window_days: float = Field(default=15.0, description="Centred rolling window.")
    mad_threshold: float = Field(default=4.0, description="Robust z-score on log prices.")
    mad_floor: float = Field(default=0.05, description="Smallest local scale (log units).")
    outlier_share_warning: float = Field(
        default=0.02, description="Warn when more than this share of observations are outliers."
    )


@dg.asset(
    deps=[scraped_prices, demo_price_history],
    automation_condition=AFTER_EACH_SCRAPE_WINDOW,
    group_name="history",
    kinds={"pandas", "sql"},
    description="One cleaned row per active product per day from real observations only: the "
    "day's median price, its observation count, and whether it was observed or interpolated "
    "(gaps up to max_gap_days). Outliers (rolling median/MAD on log prices) and other "
    "currencies are rejected and counted. Rewritten in one transaction.",
    check_specs=[
        dg.AssetCheckSpec(
            "outliers_removed",
            asset="daily_price_history",
            description="Share of observations rejected as outliers stays small.",
        )
    ],
)
def daily_price_history(
    context: dg.AssetExecutionContext,
    config: DailyHistoryConfig,
    warehouse: WarehouseResource,
    currency: CurrencyResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    settings = HistorySettings(
        currency=currency.currency,
        max_gap_days=config.max_gap_days,
        outlier_window_days=config.outlier_window_days,
        mad_threshold=config.mad_threshold,
        mad_floor=config.mad_floor,
    )
    observations = load_real_observations(engine)
    active = load_products(engine)["sku"].tolist()
    daily, report = build_daily_history(observations, settings, active_skus=active)
    fingerprints = history_fingerprints(daily)
    replace_daily_history(engine, daily, built_at=utcnow(), fingerprints=fingerprints)

    context.log.info(
        f"{report.rows} daily rows for {report.products} products from "
        f"{report.observations_in} observations; {report.outliers_removed} outliers and "
        f"{report.wrong_currency} in another currency rejected"
    )
    outlier_share = report.outliers_removed / max(report.observations_in, 1)
    summary = report.to_metadata()
    return dg.MaterializeResult(
        metadata={
            "products_covered": report.products,
            "active_products": len(active),
            HISTORY_FINGERPRINT_KEY: catalog_fingerprint(fingerprints),
            "days": report.days,
            "rows": report.rows,
            "first_day": summary["first_day"],
            "last_day": summary["last_day"],
            "observations_in": report.observations_in,
            "synthetic_ignored": report.synthetic_ignored,
            "wrong_currency": report.wrong_currency,
            "outliers_removed": report.outliers_removed,
            "interpolated_rows": report.interpolated_rows,
            "interpolated_share": round(report.interpolated_share, 4),
            "gaps_left": report.gaps_left,
            "top_outlier_skus": dg.MetadataValue.json(summary["top_outlier_skus"]),
            "preview": preview(daily),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="outliers_removed",
                passed=outlier_share <= config.outlier_share_warning,
                severity=dg.AssetCheckSeverity.WARN,
                metadata={
                    "outliers_removed": report.outliers_removed,
                    "outlier_share": round(outlier_share, 5),
                    "threshold": config.outlier_share_warning,
                    "top_outlier_skus": dg.MetadataValue.json(summary["top_outlier_skus"]),
                },
            )
        ],
    )


@dg.asset_check(asset=daily_price_history, description="One row per (product, day).")
def daily_history_unique_product_day(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    quality = daily_history_quality(warehouse.get_engine())
    return dg.AssetCheckResult(
        passed=quality["duplicate_keys"] == 0,
        metadata={"duplicate_keys": quality["duplicate_keys"], "rows": quality["rows"]},
    )


@dg.asset_check(asset=daily_price_history, description="Every price positive and finite.")
def daily_history_prices_positive(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    quality = daily_history_quality(warehouse.get_engine())
    return dg.AssetCheckResult(
        passed=quality["non_positive_prices"] == 0,
        metadata={"non_positive_prices": quality["non_positive_prices"]},
    )


@dg.asset_check(
    asset=daily_price_history,
    description="Share of interpolated days per product under 20%: more means the feed is "
    "failing for that product and its model would learn our interpolation.",
)
def daily_history_interpolated_share(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    threshold = 0.2
    shares = daily_history_quality(warehouse.get_engine())["interpolated_share_by_sku"]
    over = shares[shares > threshold].sort_values(ascending=False)
    return dg.AssetCheckResult(
        passed=over.empty,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "threshold": threshold,
            "products_over_threshold": len(over),
            "max_share": round(float(shares.max()), 4) if len(shares) else 0.0,
            "worst_products": dg.MetadataValue.json(over.head(10).round(4).to_dict()),
        },
    )


@dg.asset_check(
    asset=daily_price_history,
    description="Newest real observation is less than 24 hours old.",
)
def daily_history_freshness(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    newest = newest_real_observation(warehouse.get_engine())
    now = clock.utcnow()
    age_h = (now - newest).total_seconds() / 3600 if newest else math.inf
    return dg.AssetCheckResult(
        passed=age_h <= 24,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "newest_real_observation": newest.isoformat() if newest else "none",
            "age_hours": round(age_h, 2) if newest else -1.0,
            "max_age_hours": 24,
        },
    )


class SyntheticHistoryConfig(dg.Config):
    days: int = Field(default=180, description="Days of synthetic history per product.")
    seed: int = Field(default=42, description="Same seed, same series.")


@dg.asset(
    deps=[product_catalog, scraped_prices, demo_price_history],
    automation_condition=AFTER_EACH_SCRAPE_WINDOW,
    group_name="history",
    kinds={"pandas", "sql"},
    description="Display-only gap-filler: up to `days` of synthetic daily prices per product "
    "(seasonality, noise, month-start promotions, weekend discount) anchored on its last real "
    "price or its catalog reference price, stored with is_synthetic = true. Never read by the "
    "daily history or the models.",
)
def synthetic_price_history(
    context: dg.AssetExecutionContext,
    config: SyntheticHistoryConfig,
    warehouse: WarehouseResource,
    currency: CurrencyResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    products = load_products(engine)
    anchors = synthetic_anchors(products, last_real_prices(engine), clock.today())
    settings = SyntheticSettings(days=config.days, seed=config.seed, currency=currency.currency)
    synthetic = generate_synthetic_history(anchors, settings)
    written = replace_synthetic_observations(engine, synthetic, skus=products["sku"])
    context.log.info(f"replaced {written['deleted']} synthetic rows by {written['inserted']}")
    return dg.MaterializeResult(
        metadata={
            "products": len(anchors),
            "anchored_on_last_real_price": int((anchors["anchor_source"] == "last_real").sum()),
            "anchored_on_reference_price": int((anchors["anchor_source"] == "reference").sum()),
            "rows_inserted": written["inserted"],
            "rows_replaced": written["deleted"],
            "days": config.days,
            "seed": config.seed,
            "preview": preview(synthetic[["sku", "observed_at", "price", "source"]]),
        }
    )
