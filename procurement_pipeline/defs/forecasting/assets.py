"""A forecast model per product, chosen among candidates (batched over the `products`
partitions), the unpartitioned forecasts table everything downstream reads, and the
catalog-wide price index model."""

import os
import time

import dagster as dg
import pandas as pd
from pydantic import Field

from procurement_pipeline.defs.forecasting.resources import ModelTrainingResource
from procurement_pipeline.defs.history.assets import HISTORY_FINGERPRINT_KEY, daily_price_history
from procurement_pipeline.defs.metadata import preview
from procurement_pipeline.defs.partitions import products_partitions
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib.cycle import PRODUCTS_PER_RUN
from procurement_pipeline.lib.forecasting import (
    CODE_VERSION,
    ModelSettings,
    build_price_index,
    train_global_model,
    train_many,
)
from procurement_pipeline.lib.forecasting.publish import (
    publish_global_model,
    publish_product_models,
    sweep_model_files,
)
from procurement_pipeline.lib.forecasting.summary import summarize_training
from procurement_pipeline.lib.forecasting.trust import (
    MAX_MASE_NAIVE,
    MIN_HOLDOUT_DAYS,
    global_model_problems,
)
from procurement_pipeline.lib.history.fingerprint import catalog_fingerprint, history_fingerprints
from procurement_pipeline.lib.warehouse.catalog import active_skus, utcnow
from procurement_pipeline.lib.warehouse.forecasts import (
    latest_global_model,
    load_forecast_rows,
    load_forecast_summary,
    rebuild_forecast_summary,
)
from procurement_pipeline.lib.warehouse.history import load_daily_history


class ModelConfig(dg.Config):
    min_history_days: int = Field(default=30, description="Fewer real days: skipped.")
    horizon: int = Field(default=30, description="Days held out, and days forecast ahead.")
    workers: int = Field(default=0, description="Training processes; 0 = one per core.")

    def settings(self, training: ModelTrainingResource) -> ModelSettings:
        """This run's knobs with the deployment's training settings (`training`)."""
        return ModelSettings(
            min_history_days=self.min_history_days,
            horizon=self.horizon,
            fast_prophet=training.fast_prophet,
        )


def training_items(history: pd.DataFrame, skus: list[str]):
    """(sku, frame[ds, y, value_source]) per product, in partition order; products with no
    history at all still get an (empty) item so their skip reason is recorded."""
    columns = history.rename(columns={"day": "ds", "price": "y"})[["ds", "y", "value_source"]]
    # One groupby over positions, then cheap positional slices (no per-product rename/copy).
    positions = history.groupby("sku", sort=False).indices
    empty = columns.iloc[0:0]
    for sku in skus:
        rows = positions.get(sku)
        yield sku, (columns.iloc[rows] if rows is not None else empty)


@dg.asset(
    partitions_def=products_partitions,
    deps=[daily_price_history],
    backfill_policy=dg.BackfillPolicy.multi_run(max_partitions_per_run=PRODUCTS_PER_RUN),
    code_version=CODE_VERSION,
    group_name="forecasting",
    kinds={"prophet", "sql"},
    description="Per product: the candidate model (last price, price steps, damped drift, "
    "Prophet) that forecast the product's own past best (rolling monthly origins), judged on "
    "the last 30 days held out against naive and seasonal-naive baselines, refit on the whole "
    "history, 30-day forecast with an 80% interval, model JSON in the artifact store under the "
    "run's own name, registry row with the model served and its validation scores "
    "(pointing to it from its commit on) and forecast rows in the warehouse; superseded and "
    "leftover model files removed. Products with too little real history are skipped with "
    "the reason.",
)
def product_price_models(
    context: dg.AssetExecutionContext,
    config: ModelConfig,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    model_training: ModelTrainingResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    store = artifact_store.store
    skus = list(context.partition_keys)
    history = load_daily_history(engine, skus)
    # What each model is trained on, compared by content with the history's own fingerprints.
    fingerprints = history_fingerprints(history).set_index("sku")["fingerprint"].to_dict()
    trained_at = utcnow()
    started = time.monotonic()
    step = max(1, len(skus) // 10)

    def progress(done: int, _result) -> None:
        if done % step == 0 or done == len(skus):
            context.log.info(f"trained {done}/{len(skus)} products")

    results = list(
        train_many(
            training_items(history, skus),
            config.settings(model_training),
            workers=config.workers or os.cpu_count(),
            progress=progress,
        )
    )
    # Files under this run's own names, then the one transaction that points the registry at
    # them, then the superseded files go (a crash in between leaves only unreferenced files).
    published = publish_product_models(engine, store, results, trained_at, fingerprints)
    swept = sweep_model_files(engine, store)

    summary = summarize_training(results)
    for sku, reason in list(summary["failed_reasons"].items())[:10]:
        context.log.warning(f"{sku}: training failed: {reason}")
    json_keys = ("skipped_reasons", "failed_reasons", "slowest_products", "models_served")
    return dg.MaterializeResult(
        metadata={
            **{k: dg.MetadataValue.json(v) if k in json_keys else v for k, v in summary.items()},
            "wall_s": round(time.monotonic() - started, 2),
            "code_version": CODE_VERSION,
            "trained_at": trained_at.isoformat(),
            "training_id": published.training_id,
            "model_files_written": len(published.paths),
            "model_files_superseded": len(published.removed),
            "model_files_swept": len(swept),
        }
    )


@dg.asset(
    deps=[product_price_models],
    group_name="forecasting",
    kinds={"sql"},
    description="One unpartitioned table of every active product's latest model status, "
    "metrics and forecast end (product_forecast_summary). Reports, recommendations and the "
    "dashboard read this instead of 3,000 partitions.",
)
def product_forecasts(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    summary = rebuild_forecast_summary(engine, active_skus(engine), built_at=utcnow())
    trained = summary[summary["status"] == "trained"]
    counts = summary["status"].value_counts().to_dict()
    moves = trained.dropna(subset=["expected_move"]).sort_values("expected_move")
    context.log.info(f"forecast summary: {counts}")
    return dg.MaterializeResult(
        metadata={
            "products": len(summary),
            "by_status": dg.MetadataValue.json(counts),
            "stale_code_version": int(
                (trained["code_version"].notna() & (trained["code_version"] != CODE_VERSION)).sum()
            ),
            "median_expected_move": round(float(moves["expected_move"].median()), 4)
            if len(moves)
            else None,
            "largest_rises": preview(
                moves.tail(5)[["sku", "last_price", "forecast_end", "expected_move"]]
            ),
            "largest_falls": preview(
                moves.head(5)[["sku", "last_price", "forecast_end", "expected_move"]]
            ),
        }
    )


@dg.asset_check(
    asset=product_forecasts,
    description="Every future forecast value is finite and positive.",
)
def forecasts_finite_and_positive(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    rows = load_forecast_rows(warehouse.get_engine(), kind="future")
    values = rows[["yhat", "yhat_lower", "yhat_upper"]].astype(float)
    bad = rows[~(values.notna() & (values > 0)).all(axis=1)]
    return dg.AssetCheckResult(
        passed=bad.empty,
        metadata={
            "forecast_rows": len(rows),
            "bad_rows": len(bad),
            "bad_products": dg.MetadataValue.json(sorted(bad["sku"].unique().tolist())[:20]),
        },
    )


@dg.asset_check(
    asset=product_forecasts,
    description="Each trained model beats both the naive and the seasonal-naive baseline on its "
    "holdout (warning per product; the share that does is the headline number).",
)
def models_beat_baselines(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    summary = load_forecast_summary(warehouse.get_engine())
    trained = summary[summary["status"] == "trained"]
    beats_both = trained["beats_naive"].fillna(False).astype(bool) & trained[
        "beats_seasonal_naive"
    ].fillna(False).astype(bool)
    losers = trained.loc[~beats_both, "sku"].tolist()
    return dg.AssetCheckResult(
        passed=not losers,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "trained": len(trained),
            "share_beating_both": round(float(beats_both.mean()), 4) if len(trained) else 0.0,
            "share_beating_naive": round(
                float(trained["beats_naive"].fillna(False).astype(bool).mean()), 4
            )
            if len(trained)
            else 0.0,
            "share_beating_seasonal_naive": round(
                float(trained["beats_seasonal_naive"].fillna(False).astype(bool).mean()), 4
            )
            if len(trained)
            else 0.0,
            "not_beating_both": len(losers),
            "examples": dg.MetadataValue.json(losers[:20]),
        },
    )


@dg.asset_check(
    asset=product_forecasts,
    description="Mean holdout coverage of the 80% interval within 0.70-0.90.",
)
def interval_coverage_near_nominal(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    coverage = load_forecast_summary(warehouse.get_engine())["coverage_80"].dropna()
    mean = float(coverage.mean()) if len(coverage) else float("nan")
    return dg.AssetCheckResult(
        passed=bool(len(coverage)) and 0.70 <= mean <= 0.90,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "mean_coverage": round(mean, 4) if len(coverage) else -1.0,
            "nominal": 0.8,
            "products": len(coverage),
        },
    )


@dg.asset(
    deps=[daily_price_history],
    code_version=CODE_VERSION,
    group_name="forecasting",
    kinds={"prophet", "sql"},
    description="Catalog-wide daily price index (each product relative to its own base level, "
    "geometric mean across products x100, thin days interpolated and flagged), Prophet with a "
    "30-day holdout against the baselines, refit and 30-day forecast, artifact and "
    "global_metadata.json under the run's own names, and a global_models row pointing to them.",
)
def global_price_model(
    context: dg.AssetExecutionContext,
    config: ModelConfig,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    model_training: ModelTrainingResource,
) -> dg.MaterializeResult:
    engine = warehouse.get_engine()
    store = artifact_store.store
    model_settings = config.settings(model_training)
    history = load_daily_history(engine)
    trained_on = catalog_fingerprint(history_fingerprints(history))
    index = build_price_index(history)
    result = train_global_model(index, model_settings)
    trained_at = utcnow()
    payload = {
        "trained_at": trained_at.isoformat(),
        "code_version": CODE_VERSION,
        "status": result.status,
        "reason": result.reason,
        "products": int(history["sku"].nunique()),
        "train_start": str(result.train_start),
        "train_end": str(result.train_end),
        "points": result.points,
        "holdout_days": result.holdout_days,
        "metrics": result.metrics,
        "settings": model_settings.as_dict(),
    }
    # The model file and its global_metadata.json under this run's own names, then the
    # global_models row that points to them, then the files of the models it superseded go.
    published = publish_global_model(
        engine, store, result, index, payload, products=payload["products"], trained_at=trained_at
    )
    swept = sweep_model_files(engine, store)
    model_id, model_path = published.model_id, published.model_path
    context.log.info(f"global model {model_id}: {result.status} {result.metrics}")
    return dg.MaterializeResult(
        metadata={
            "model_id": model_id,
            "status": result.status,
            HISTORY_FINGERPRINT_KEY: trained_on,
            "products": payload["products"],
            "index_days": len(index),
            "interpolated_days": int((index["value_source"] == "interpolated").sum()),
            "holdout_days": result.holdout_days,
            "metrics": dg.MetadataValue.json(payload["metrics"]),
            "mase_naive": result.metrics.get("mase_naive"),
            "model_path": dg.MetadataValue.path(str(store.path(model_path)))
            if model_path
            else None,
            "metadata_path": dg.MetadataValue.path(str(store.path(published.metadata_path))),
            "training_id": published.training_id,
            "model_files_superseded": len(published.removed),
            "model_files_swept": len(swept),
            "forecast": preview(result.forecast, rows=30),
        }
    )


@dg.asset_check(
    asset=global_price_model,
    blocking=True,
    description="Blocks reports and e-mails: the newest global model trained, was judged on at "
    f"least {MIN_HOLDOUT_DAYS} held-out days, forecasts finite positive values, and is not far "
    f"worse than the naive forecast (MASE < {MAX_MASE_NAIVE:g}).",
)
def global_model_trustworthy(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    model = latest_global_model(warehouse.get_engine())
    if model is None:
        return dg.AssetCheckResult(passed=False, metadata={"reason": "no global model"})
    problems = global_model_problems(model)
    mase = (model["metrics"] or {}).get("mase_naive")
    return dg.AssetCheckResult(
        passed=not problems,
        metadata={
            "model_id": int(model["id"]),
            "holdout_days": int(model["holdout_days"]),
            "mase_naive": mase,
            "problems": dg.MetadataValue.json(problems),
        },
    )
