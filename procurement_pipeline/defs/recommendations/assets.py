"""`consumption_history` (the ERP export, validated and loaded, with each product's expected
daily use) and `purchase_recommendations` (what to buy, when, how much and why)."""

import datetime as dt
from pathlib import Path

import dagster as dg
import pandas as pd
from pydantic import Field

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.forecasting.assets import product_forecasts
from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.recommendations.resources import (
    AdviceSettingsResource,
    ConsumptionFileResource,
)
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib import clock, settings
from procurement_pipeline.lib.consumption import (
    ConsumptionValidationError,
    days_of_cover,
    expected_consumption,
    read_consumption,
    use_for_advice,
)
from procurement_pipeline.lib.recommendations import (
    RecommendationSettings,
    recommend,
    recommendation_counts,
)
from procurement_pipeline.lib.reporting.purchases import purchase_list
from procurement_pipeline.lib.warehouse.catalog import load_products, utcnow
from procurement_pipeline.lib.warehouse.forecasts import load_forecast_rows, load_forecast_summary
from procurement_pipeline.lib.warehouse.recommendations import (
    consumption_coverage,
    latest_daily_prices,
    load_consumption,
    load_consumption_estimates,
    recommendation_quality,
    replace_consumption,
    replace_consumption_estimates,
    skus_known,
    store_recommendations,
)

LISTED = 20


class ConsumptionConfig(dg.Config):
    """One run's overrides of the `consumption_file` resource (PROCUREMENT_CONSUMPTION_*);
    None: the resource's setting."""

    csv_path: str | None = Field(
        default=None,
        description="Consumption file exported by the ERP, CSV or .xlsx: date/data, "
        "sku/código, quantity/quantidade (headers in Portuguese or English; separator, "
        "encoding and decimal comma detected). Unset: the consumption_file resource "
        f"(${settings.CONSUMPTION_CSV_ENV}; unset, the demo's file with the demo catalog and "
        "none with any other). Empty: no file (nothing is loaded; products without a "
        "consumption history get advice from stock, minimum and lead time).",
    )
    sheet: str | None = Field(
        default=None,
        description="Worksheet of an .xlsx file; empty: the first. Unset: the resource's "
        f"(${settings.CONSUMPTION_SHEET_ENV}).",
    )
    encoding: str | None = Field(
        default=None,
        description="Encoding of a CSV file (utf-8, cp1252, latin-1, utf-16); empty: detected. "
        f"Unset: the resource's (${settings.CONSUMPTION_ENCODING_ENV}).",
    )
    window_days: int = Field(
        default=RecommendationSettings().consumption_window_days,
        description="Days (ending on the file's last day) the expected daily use averages.",
    )


NO_CONSUMPTION_FILE = (
    f"no consumption file configured (${settings.CONSUMPTION_CSV_ENV}, or CONSUMPTION=path "
    "with make run): nothing loaded; products without a consumption history get advice from "
    "stock, minimum and lead time, marked 'sem histórico de consumo'"
)


@dg.asset(
    deps=[product_catalog],
    group_name="recommendations",
    kinds={"csv", "sql"},
    description="Validates the ERP consumption export (date, SKU, quantity used; CSV or .xlsx) "
    "against the catalog, replaces the stored rows of the file's day range in one transaction "
    "(bad input fails naming file, sheet, line and column, and changes nothing), then "
    "estimates each active product's expected daily use over the last 56 days (mean, "
    "day-to-day deviation, standard error) and its days of stock cover. Without a file "
    "configured it loads nothing and says so (the advice then comes from stock, minimum and "
    "lead time).",
)
def consumption_history(
    context: dg.AssetExecutionContext,
    config: ConsumptionConfig,
    warehouse: WarehouseResource,
    consumption_file: ConsumptionFileResource,
) -> dg.MaterializeResult:
    path = consumption_file.file(config.csv_path)
    sheet = consumption_file.sheet if config.sheet is None else config.sheet
    encoding = consumption_file.encoding if config.encoding is None else config.encoding
    if not path.strip():
        # Materialized (not skipped) so that a run with the advice after it still runs it.
        context.log.warning(NO_CONSUMPTION_FILE)
        return dg.MaterializeResult(
            metadata={"source": "none", "rows": 0, "note": NO_CONSUMPTION_FILE}
        )
    engine = warehouse.get_engine()
    try:
        frame = read_consumption(
            path,
            known_skus=skus_known(engine),
            sheet=sheet or None,
            encoding=encoding or None,
        )
    except ConsumptionValidationError as exc:
        raise dg.Failure(
            description=str(exc),
            metadata={
                "source": dg.MetadataValue.path(path),
                "problems": len(exc.problems),
            },
            allow_retries=False,
        ) from exc
    loaded = replace_consumption(engine, frame, Path(path).name, loaded_at=utcnow())
    as_of = loaded["last_day"]
    first_stored, _ = consumption_coverage(engine)
    window = load_consumption(engine, as_of - dt.timedelta(days=config.window_days - 1), as_of)
    products = load_products(engine)
    estimates = expected_consumption(
        window,
        as_of,
        config.window_days,
        skus=products["sku"].tolist(),
        coverage_start=first_stored,
    )
    stock = products.set_index("sku")["current_stock"].astype(float)
    estimates["days_of_cover"] = days_of_cover(
        stock.reindex(estimates["sku"]).to_numpy(), estimates["daily_mean"].to_numpy()
    )
    replace_consumption_estimates(
        engine, estimates, as_of=as_of, window_days=config.window_days, computed_at=utcnow()
    )
    zero_use = estimates.loc[estimates["daily_mean"] <= 0, "sku"].tolist()
    context.log.info(
        f"consumption {path}: {len(frame)} rows, {loaded['first_day']} to "
        f"{as_of}, {loaded['deleted']} stored rows replaced; {len(zero_use)} active products "
        "with no use in the window"
    )
    shown = estimates.merge(products[["sku", "name", "unit"]], on="sku", how="left")
    shown = shown[["sku", "name", "unit", "daily_mean", "daily_std", "days_of_cover"]].round(2)
    return dg.MaterializeResult(
        metadata={
            "source": dg.MetadataValue.path(path),
            "rows": len(frame),
            "products": int(frame["sku"].nunique()),
            "first_day": loaded["first_day"].isoformat(),
            "last_day": as_of.isoformat(),
            "replaced_rows": loaded["deleted"],
            "window_days": config.window_days,
            "days_observed": int(estimates["days_observed"].max()) if len(estimates) else 0,
            "zero_use_products": len(zero_use),
            "zero_use_examples": dg.MetadataValue.json(zero_use[:LISTED]),
            "preview": preview(shown),
        }
    )


class RecommendationConfig(dg.Config):
    as_of: str = Field(
        default="", description="Day the list is for (aaaa-mm-dd); empty: today (UTC)."
    )
    horizon_days: int = Field(default=30, description="Planning horizon after the lead time.")
    safety_z: float = Field(default=1.28, description="Safety stock in standard deviations.")
    min_saving_share: float = Field(
        default=0.02, description="Smallest expected price drop worth waiting for."
    )
    min_rise_share: float = Field(
        default=0.03,
        description="Smallest expected price rise, beyond the cost of holding the stock, worth "
        "buying early for.",
    )
    holding_cost_rate: float | None = Field(
        default=None,
        description="Yearly cost of holding stock as a share of its value (0.25 = 25 %). "
        f"Unset: the advice_settings resource (${settings.HOLDING_COST_RATE_ENV} or 0.25).",
    )

    def day(self) -> dt.date:
        if self.as_of:
            return dt.date.fromisoformat(self.as_of)
        return clock.today()

    def settings(self, advice: AdviceSettingsResource) -> RecommendationSettings:
        """The deployment's settings (`advice`) with this run's knobs."""
        return advice.recommendation_settings(
            horizon_days=self.horizon_days,
            safety_z=self.safety_z,
            min_saving_share=self.min_saving_share,
            min_rise_share=self.min_rise_share,
            holding_cost_rate=self.holding_cost_rate,
        )


@dg.asset(
    deps=[consumption_history, product_forecasts],
    group_name="recommendations",
    kinds={"python", "sql"},
    description="One recommendation per active product: buy now, buy by a date, wait until a "
    "date or no need; a quantity that keeps the stock above the minimum through the lead time "
    "and the horizon. With a trusted forecast it buys ahead of a rise larger than the cost of "
    "holding the stock, waits for the cheapest forecast day before the deadline when prices "
    "fall, and buys extra when today's price is well below the forecast's normal level (within "
    "the stock and budget limits); the expected unit price, the expected saving and the reason "
    "in one sentence. Products whose model is missing or does not beat both baselines fall "
    "back to the stock rule at today's price, and say so. Reads the forecasts table, not the "
    "product partitions.",
)
def purchase_recommendations(
    context: dg.AssetExecutionContext,
    config: RecommendationConfig,
    warehouse: WarehouseResource,
    advice_settings: AdviceSettingsResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    as_of = config.day()
    products = load_products(engine)
    estimates = load_consumption_estimates(engine)
    use = use_for_advice(products, estimates)
    without_history = int((~use["measured"]).sum())
    if without_history:
        context.log.warning(
            f"{without_history} of {len(use)} products without a consumption history: advice "
            "from stock, minimum and lead time ('sem histórico de consumo', low confidence)"
        )
    models = load_forecast_summary(engine)[["sku", "status", "beats_naive", "beats_seasonal_naive"]]
    recommendations = recommend(
        products,
        use,
        load_forecast_rows(engine, kind="future"),
        models,
        latest_daily_prices(engine),
        as_of,
        config.settings(advice_settings),
    )
    store_recommendations(engine, recommendations, generated_at=utcnow())
    counts = dict(recommendation_counts(recommendations))
    trusted = int(recommendations["trusted_model"].sum())
    total_saving = float(recommendations["expected_saving"].sum())
    context.log.info(f"recommendations for {as_of}: {counts}, {trusted} with a trusted model")
    urgent = purchase_list(recommendations, LISTED)
    return dg.MaterializeResult(
        metadata={
            "as_of": as_of.isoformat(),
            "recommendations": len(recommendations),
            "by_action": dg.MetadataValue.json(counts),
            "trusted_models": trusted,
            "fallback_by_note": dg.MetadataValue.json(
                recommendations.loc[~recommendations["trusted_model"], "model_note"]
                .value_counts()
                .to_dict()
            ),
            "total_expected_saving": round(total_saving, 2),
            "consumption_as_of": str(estimates["as_of"].max()) if len(estimates) else None,
            "without_consumption_history": without_history,
            "urgent": preview(
                urgent[
                    [
                        "sku",
                        "name",
                        "action",
                        "action_date",
                        "suggested_quantity",
                        "unit",
                        "expected_unit_price",
                        "expected_saving",
                    ]
                ]
                if len(urgent)
                else pd.DataFrame(),
                rows=LISTED,
            ),
        }
    )


@dg.asset_check(
    asset=purchase_recommendations,
    blocking=True,
    description="Every active product has exactly one recommendation for the newest day.",
)
def one_recommendation_per_active_product(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    quality = recommendation_quality(warehouse.get_engine())
    return dg.AssetCheckResult(
        passed=not quality["missing"] and not quality["duplicated"],
        metadata={
            "as_of": str(quality["as_of"]),
            "active_products": quality["active"],
            "missing": len(quality["missing"]),
            "duplicated": len(quality["duplicated"]),
            "examples": dg.MetadataValue.json(
                (quality["missing"] + quality["duplicated"])[:LISTED]
            ),
        },
    )


@dg.asset_check(
    asset=purchase_recommendations,
    blocking=True,
    description="No suggested quantity is negative.",
)
def suggested_quantities_not_negative(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    quality = recommendation_quality(warehouse.get_engine())
    negative = quality["negative_quantity"]
    return dg.AssetCheckResult(
        passed=not negative,
        metadata={
            "negative": len(negative),
            "examples": dg.MetadataValue.json(negative[:LISTED]),
        },
    )
