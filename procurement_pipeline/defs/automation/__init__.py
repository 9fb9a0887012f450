"""What runs by itself, and the jobs an operator launches by hand.

The chain after each scrape window (see ARCHITECTURE in the README, "What runs by itself"):

1. `scrape_every_8_hours` (schedule) scrapes the window that just closed;
2. `history_after_each_scrape` (declarative automation: an AutomationConditionSensor over
   `daily_price_history` and `synthetic_price_history`, whose condition is "a scrape window
   landed and none is still being scraped") rebuilds the cleaned daily history and the
   synthetic gap-filler in one run;
3. `plan_cycle_after_history` (a sensor with a cursor) compares each product's cleaned history
   with what its model was trained on, by content fingerprint, and launches one backfill per
   rebuilt history: the changed products' models and PDFs in runs of up to PRODUCTS_PER_RUN
   partitions (lib/cycle.py, BackfillPolicy), then, once for the whole cycle, the forecasts
   table, the purchase recommendations, the global model and the catalog and global reports;
4. `email_run_outcomes` mails one report when a cycle that retrained products succeeds and one
   alert per failed run; `price_opportunity_alerts` judges each window's prices once its cycle
   has finished. Only these two depend on e-mail being configured.

Why a sensor for step 3 and not an AutomationCondition: whether a product must be retrained is
a question about warehouse content (its history's fingerprint against its model's), which no
built-in condition can see; per product partition, `any_deps_updated` would retrain all 3,000
products after every window. The sensor decides, and Dagster's backfill daemon then does what
it is good at: ordering, batching by the BackfillPolicy, running the once-per-cycle assets
after the last batch, and showing the whole cycle as one backfill in the UI.
"""

import dagster as dg

from procurement_pipeline.defs.automation.cycle import (
    CYCLE_ASSETS,
    history_automation_sensor,
    plan_cycle_after_history,
)
from procurement_pipeline.defs.automation.jobs import reports_job, retrain_job

defs = dg.Definitions(
    jobs=[retrain_job, reports_job],
    sensors=[history_automation_sensor, plan_cycle_after_history],
)

__all__ = ["CYCLE_ASSETS", "defs", "reports_job", "retrain_job"]
