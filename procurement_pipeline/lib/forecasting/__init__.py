"""Price forecasting: per series, the candidate (naive, price steps, damped drift, Prophet) that
validates best on its own past, judged against naive baselines (no Dagster here)."""

from procurement_pipeline.lib.forecasting.global_index import (
    GLOBAL_KEY,
    build_price_index,
    train_global_model,
)
from procurement_pipeline.lib.forecasting.holdout import (
    HOLDOUT_COLUMNS,
    holdout_forecast,
    naive_baselines,
    split_holdout,
)
from procurement_pipeline.lib.forecasting.metrics import METRIC_KEYS, evaluate
from procurement_pipeline.lib.forecasting.model import (
    build_model,
    fit_model,
    forecast_dates,
    predict_log,
    prepare_history,
    quiet_stan_logging,
)
from procurement_pipeline.lib.forecasting.selection import CandidateFits, select, serve
from procurement_pipeline.lib.forecasting.served import ServedModel, forecast
from procurement_pipeline.lib.forecasting.settings import CODE_VERSION, ModelSettings
from procurement_pipeline.lib.forecasting.training import (
    FORECAST_COLUMNS,
    TrainingResult,
    forecast_from_model,
    load_model,
    save_model_atomic,
    train_many,
    train_product_model,
)

__all__ = [
    "CODE_VERSION",
    "CandidateFits",
    "ServedModel",
    "forecast",
    "select",
    "serve",
    "FORECAST_COLUMNS",
    "GLOBAL_KEY",
    "HOLDOUT_COLUMNS",
    "METRIC_KEYS",
    "ModelSettings",
    "TrainingResult",
    "build_model",
    "build_price_index",
    "evaluate",
    "fit_model",
    "forecast_dates",
    "forecast_from_model",
    "holdout_forecast",
    "load_model",
    "naive_baselines",
    "predict_log",
    "prepare_history",
    "quiet_stan_logging",
    "save_model_atomic",
    "split_holdout",
    "train_global_model",
    "train_many",
    "train_product_model",
]
