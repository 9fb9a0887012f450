"""`make run`: the demo pipeline on the embedded default, offline, driven by the same Dagster
definitions that run in production; `make run CATALOG=path [CONSUMPTION=path]` runs it on the
buyer's own catalog (CSV or .xlsx) instead of the demo's.

1. In process, on the persistent local instance: load the catalog, seed demo market history
   and load the consumption export, if there is one (one run; Dagster orders the three
   assets).
2. Start the Dagster daemon over the same instance and scrape the latest window exactly as
   the `scrape_every_8_hours` schedule would (its own run request).
3. Let the automation do the rest (history, the retraining cycle, advice, reports) and print
   one line per run as it finishes, until nothing is left to do.

Every run shows up in `make dev`'s UI afterwards.
"""

from __future__ import annotations

import os
import sys
import time

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from procurement_pipeline.defs.alerts.sensors import run_error_text
from procurement_pipeline.defs.automation.cycle import history_automation_sensor
from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.prices.assets import demo_price_history, scraped_prices
from procurement_pipeline.defs.recommendations.assets import consumption_history
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.logging import configure_logging
from procurement_pipeline.lib.warehouse import display_url
from procurement_pipeline.local_dagster import (
    dagster_servers,
    materialization_id,
    scheduled_scrape,
    wait_for_sensor_tick,
    wait_until_quiet,
)

SETUP_JOB = "make_run_setup"
SETUP = [product_catalog, demo_price_history, consumption_history]
# Per asset, the metadata printed after it materialized.
SHOW = {
    "product_catalog": ("active_products", "inserted", "updated", "unchanged", "deactivated"),
    "demo_price_history": ("observations", "products", "windows", "first_window", "last_window"),
    "consumption_history": (
        "rows",
        "products",
        "first_day",
        "last_day",
        "zero_use_products",
        "note",
    ),
    "scraped_prices": ("attempted", "saved", "failed", "duration_s"),
    "daily_price_history": ("products_covered", "rows", "days", "outliers_removed"),
    "synthetic_price_history": ("products", "rows_inserted"),
    "product_price_models": ("trained", "skipped", "failed", "median_mase_naive", "wall_s"),
    "product_reports": ("reports", "pages_total", "wall_s"),
    "product_forecasts": ("products", "by_status"),
    "purchase_recommendations": ("recommendations", "by_action", "total_expected_saving"),
    "global_price_model": ("status", "holdout_days", "mase_naive"),
    "catalog_report": ("path", "pages", "purchase_lines"),
    "global_report": ("path", "pages"),
}
# Per asset, a text metadata value printed below it, one indented line per line of text.
SHOW_LINES = {"scraped_prices": "failures"}


def run_title(run: dg.DagsterRun) -> str:
    """The job's name, or for the automation's runs (the implicit asset job) what they build."""
    keys = sorted(k.to_user_string() for k in run.asset_selection or ())
    if run.job_name.startswith("__ASSET_JOB") and keys:
        return ", ".join(keys)
    return run.job_name


def run_partitions(run: dg.DagsterRun) -> str:
    tags = run.tags
    if PARTITION_NAME_TAG in tags:
        return f" [{tags[PARTITION_NAME_TAG]}]"
    if ASSET_PARTITION_RANGE_START_TAG in tags:
        start, end = tags[ASSET_PARTITION_RANGE_START_TAG], tags[ASSET_PARTITION_RANGE_END_TAG]
        return f" [{start} .. {end}]"
    return ""


def print_run(instance: dg.DagsterInstance, run: dg.DagsterRun) -> None:
    """One line for the run, then one per asset it materialized with what it produced (a run
    over many partitions shares its metadata: printed once, with the count)."""
    record = instance.get_run_record_by_id(run.run_id)
    took = (
        f" in {record.end_time - record.start_time:.1f} s"
        if record and record.start_time and record.end_time
        else ""
    )
    status = "ok" if run.status == dg.DagsterRunStatus.SUCCESS else run.status.value
    print(f"==> {run_title(run)}{run_partitions(run)}: {status}{took} (run {run.run_id[:8]})")
    events = instance.get_records_for_run(
        run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10_000
    ).records
    counts: dict[str, int] = {}
    metadata: dict[str, dict] = {}
    for event in events:
        materialization = event.asset_materialization
        key = materialization.asset_key.to_user_string()
        counts[key] = counts.get(key, 0) + 1
        metadata[key] = materialization.metadata
    for key, values in metadata.items():
        details = ", ".join(
            f"{name}={values[name].value}" for name in SHOW.get(key, ()) if name in values
        )
        count = f" [{counts[key]} partitions]" if counts[key] > 1 else ""
        print(f"    {key}{count}: {details}")
        lines = values.get(SHOW_LINES.get(key, ""))
        for line in str(lines.value).splitlines() if lines else ():
            print(f"      {line}")
    if run.status == dg.DagsterRunStatus.FAILURE:
        error, _steps = run_error_text(instance, run.run_id)
        print(f"    error: {error.strip()[:2000]}")
    sys.stdout.flush()


def inputs_line() -> str:
    consumption = settings.consumption_file()
    return (
        f"==> Load the catalog ({settings.catalog_file()}), seed demo market history, load the "
        "consumption export "
        + (
            f"({consumption})"
            if consumption
            else "(none configured: skipped; advice from stock, minimum and lead time)"
        )
    )


def main() -> int:
    # The console shows this module's lines (one per run and per asset, with what it made);
    # the library's INFO lines stay in the runs' logs (make dev's UI) unless asked for.
    configure_logging(force=True, default_level="WARNING")  # imports above configured it
    from procurement_pipeline.definitions import defs

    started = time.time()
    setup = dg.Definitions.merge(
        defs,
        dg.Definitions(jobs=[dg.define_asset_job(SETUP_JOB, selection=SETUP)]),
    )
    logs = dg.RunConfig(loggers={"console": {"config": {"log_level": "WARNING"}}})
    with dg.DagsterInstance.get() as instance:
        print(inputs_line())
        result = setup.resolve_job_def(SETUP_JOB).execute_in_process(
            instance=instance, run_config=logs, raise_on_error=False
        )
        print_run(instance, result.dagster_run)
        if not result.success:
            return 1

        print("==> Start the Dagster daemon: schedules, sensors, automation, backfills")
        with dagster_servers(os.environ, settings.state_dir() / "logs") as servers:
            wait_for_sensor_tick(instance, history_automation_sensor.name, servers)
            request = scheduled_scrape(instance, defs)
            since = time.time()
            result = defs.resolve_job_def("scrape_job").execute_in_process(
                instance=instance,
                partition_key=request.partition_key,
                tags=request.tags,
                run_config=logs,
                raise_on_error=False,
            )
            print_run(instance, result.dagster_run)
            if not result.success:
                return 1
            scrape_event = materialization_id(instance, result.run_id, scraped_prices.key)
            print("==> The automation takes over (the same sensors and backfills as production)")
            quiet = wait_until_quiet(
                instance,
                scrape_event,
                since=since,
                servers=servers,
                on_run_finished=lambda run: print_run(instance, run),
                already_reported={result.run_id},
            )
    failed = [r for r in quiet.runs if r.status != dg.DagsterRunStatus.SUCCESS]
    print()
    print(
        f"{len(quiet.runs)} runs after the scrape, {len(failed)} failed; "
        f"{time.time() - started:.0f} s in all"
    )
    print("Outputs")
    print(f"  warehouse:      {display_url(settings.database_url())}")
    print(f"  artifact store: {settings.artifact_root()}")
    print(f"  DAGSTER_HOME:   {settings.dagster_home()}  (`make dev` shows these runs)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
