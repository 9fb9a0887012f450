"""Code location of the stuck-run tests (test_run_monitoring.py): the real scrape job and
asset with the real resources, configured from the environment like the project's own
definitions (defs/environment.py), and nothing else (no schedule or sensor submitting runs
of its own)."""

import dagster as dg

from procurement_pipeline.defs.environment import resources_from_environment
from procurement_pipeline.defs.prices import scrape_job
from procurement_pipeline.defs.prices.assets import scraped_prices

defs = dg.Definitions(
    assets=[scraped_prices],
    jobs=[scrape_job],
    resources=resources_from_environment(),
)
