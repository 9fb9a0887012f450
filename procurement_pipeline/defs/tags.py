"""Run and backfill tags shared across domains (no imports: any module may use them)."""

# Every run and backfill that retrains products; the e-mail sensor reports on these.
RETRAINING_TAG = "procurement/retraining"
# An automation cycle's backfill (and its runs): the storage id of the daily_price_history
# materialization the cycle was planned from.
CYCLE_TAG = "procurement/cycle"
# Set by Dagster on every run a backfill launches.
BACKFILL_TAG = "dagster/backfill"
