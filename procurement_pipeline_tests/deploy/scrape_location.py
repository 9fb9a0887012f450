"""Code location of the stuck-run tests (test_run_monitoring.py): the real scrape job and
asset with the real resources, configured from the environment like the project's own
definitions, and nothing else (no schedule or sensor submitting runs of its own)."""

import dagster as dg

from procurement_pipeline.defs.prices import scrape_job
from procurement_pipeline.defs.prices.assets import scraped_prices
from procurement_pipeline.defs.prices.resources import marketplace_from_env
from procurement_pipeline.defs.resources import default_resources

defs = dg.Definitions(
    assets=[scraped_prices],
    jobs=[scrape_job],
    resources={**default_resources(), "marketplace": marketplace_from_env()},
)
