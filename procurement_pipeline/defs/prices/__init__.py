import dagster as dg

from procurement_pipeline.defs.prices.assets import (
    SCRAPING_TAG,
    demo_price_history,
    scraped_prices,
)

scrape_job = dg.define_asset_job(
    "scrape_job",
    selection=[scraped_prices],
    tags=SCRAPING_TAG,
    description="Scrape one 8-hour window for every active product.",
)
demo_history_job = dg.define_asset_job(
    "demo_history_job",
    selection=[demo_price_history],
    description="Demo market only: seed months of demo price history.",
)

# Every 8 hours, for the window that just closed. Running by default: the feed is the one
# input nobody can re-create later.
scrape_schedule = dg.build_schedule_from_partitioned_job(
    scrape_job, name="scrape_every_8_hours", default_status=dg.DefaultScheduleStatus.RUNNING
)

defs = dg.Definitions(
    assets=[scraped_prices, demo_price_history],
    jobs=[scrape_job, demo_history_job],
    schedules=[scrape_schedule],
)
