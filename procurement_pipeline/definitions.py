"""The code location: every domain's definitions merged, with the shared resources."""

import dagster as dg

from procurement_pipeline.defs import (
    alerts,
    automation,
    catalog,
    forecasting,
    history,
    prices,
    recommendations,
    reports,
)
from procurement_pipeline.defs.resources import default_resources
from procurement_pipeline.lib.logging import configure_logging

configure_logging()

defs = dg.Definitions.merge(
    catalog.defs,
    prices.defs,
    history.defs,
    forecasting.defs,
    recommendations.defs,
    reports.defs,
    alerts.defs,
    automation.defs,
    dg.Definitions(resources=default_resources()),
)
