import dagster as dg

from procurement_pipeline.defs.forecasting.assets import (
    forecasts_finite_and_positive,
    global_model_trustworthy,
    global_price_model,
    interval_coverage_near_nominal,
    models_beat_baselines,
    product_forecasts,
    product_price_models,
)

product_models_job = dg.define_asset_job(
    "product_models_job",
    selection=[product_price_models],
    description="Train the models of a range of products (one run trains many, in parallel).",
)
forecasts_job = dg.define_asset_job(
    "forecasts_job",
    selection=dg.AssetSelection.assets(product_forecasts, global_price_model),
    description="Rebuild the forecasts table and train the global price-index model.",
)

defs = dg.Definitions(
    assets=[product_price_models, product_forecasts, global_price_model],
    asset_checks=[
        forecasts_finite_and_positive,
        models_beat_baselines,
        interval_coverage_near_nominal,
        global_model_trustworthy,
    ],
    jobs=[product_models_job, forecasts_job],
)
