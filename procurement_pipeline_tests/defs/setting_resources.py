"""The settings resources at their defaults (the embedded demo: demo catalog and consumption,
BRL, lib's training and advice knobs), for tests that bind resources by hand instead of through
defs/environment.py."""

import dagster as dg

from procurement_pipeline.defs.catalog.resources import CatalogFileResource
from procurement_pipeline.defs.forecasting.resources import ModelTrainingResource
from procurement_pipeline.defs.recommendations.resources import (
    AdviceSettingsResource,
    ConsumptionFileResource,
)
from procurement_pipeline.defs.resources import CurrencyResource


def default_settings() -> dict[str, dg.ConfigurableResource]:
    return {
        "currency": CurrencyResource(),
        "catalog_file": CatalogFileResource(),
        "consumption_file": ConsumptionFileResource(),
        "model_training": ModelTrainingResource(),
        "advice_settings": AdviceSettingsResource(),
    }
