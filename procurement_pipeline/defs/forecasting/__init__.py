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

defs = dg.Definitions(
    assets=[product_price_models, product_forecasts, global_price_model],
    asset_checks=[
        forecasts_finite_and_positive,
        models_beat_baselines,
        interval_coverage_near_nominal,
        global_model_trustworthy,
    ],
)
