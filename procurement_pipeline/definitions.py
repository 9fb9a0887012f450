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
from procurement_pipeline.defs.environment import resources_from_environment
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
    # One process per run: a run's steps follow each other anyway (training and reports run
    # their own process pools), and a subprocess per step costs its Dagster and Prophet imports.
    # Every resource, its settings read from the environment in that one place.
    dg.Definitions(resources=resources_from_environment(), executor=dg.in_process_executor),
)
