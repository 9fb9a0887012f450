"""`make run`: the demo pipeline on the embedded default, offline.

Runs the main jobs in order on the persistent local Dagster instance (so every run shows up
in `make dev`'s UI afterwards) and prints what each materialized and where the outputs are.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)

from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.logging import configure_logging
from procurement_pipeline.lib.warehouse import display_url


@dataclass
class Step:
    """One job run of the demo pipeline."""

    job_name: str
    title: str
    partition_key: str | None = None
    # Run tags, or a callable giving them when the step starts.
    tags: dict[str, str] | Callable[[], dict[str, str]] = field(default_factory=dict)
    # Metadata keys printed after the run, per asset.
    show: tuple[str, ...] = ()


def all_products_range() -> dict[str, str]:
    """Run tags that make one run cover every registered product partition (a single-run
    backfill): resolved when the step starts, after the catalog registered them."""
    with dg.DagsterInstance.get() as instance:
        keys = instance.get_dynamic_partitions(PRODUCTS_PARTITION)
    return {ASSET_PARTITION_RANGE_START_TAG: keys[0], ASSET_PARTITION_RANGE_END_TAG: keys[-1]}


def demo_steps(defs: dg.Definitions) -> list[Step]:
    from procurement_pipeline.defs.prices.assets import scrape_windows

    latest_window = scrape_windows.get_last_partition_key()
    return [
        Step(
            "catalog_job",
            "Load the purchasing catalog",
            show=("active_products", "inserted", "updated", "unchanged", "deactivated"),
        ),
        Step(
            "demo_history_job",
            "Seed months of demo market history (offline demo market)",
            show=("observations", "products", "windows", "first_window", "last_window"),
        ),
        Step(
            "scrape_job",
            f"Scrape the latest window {latest_window} through the client and parser",
            partition_key=latest_window,
            show=("attempted", "saved", "failed", "failed_by_reason", "duration_s"),
        ),
        Step(
            "history_job",
            "Clean the daily price history and regenerate the synthetic gap-filler",
            show=(
                "products_covered",
                "rows",
                "days",
                "outliers_removed",
                "interpolated_share",
                "rows_inserted",
            ),
        ),
        Step(
            "product_models_job",
            "Train a Prophet model per product (one run, parallel over the cores)",
            tags=all_products_range,
            show=(
                "trained",
                "skipped",
                "failed",
                "median_mase_naive",
                "share_beating_naive",
                "median_coverage_80",
                "wall_s",
            ),
        ),
        Step(
            "product_reports_job",
            "Write a PDF report per product (one run, parallel over the cores)",
            tags=all_products_range,
            show=("reports", "pages_total", "report_dir", "wall_s"),
        ),
        Step(
            "consumption_job",
            "Load the ERP consumption history and estimate each product's daily use",
            show=("rows", "products", "first_day", "last_day", "zero_use_products"),
        ),
        Step(
            "reports_job",
            "Forecasts table, purchase recommendations, global price-index model, catalog "
            '("O que comprar" first) and global reports',
            show=(
                "products",
                "by_status",
                "recommendations",
                "by_action",
                "total_expected_saving",
                "status",
                "holdout_days",
                "mase_naive",
                "path",
                "pages",
                "purchase_lines",
            ),
        ),
    ]


def _print_materializations(result: dg.ExecuteInProcessResult, show: tuple[str, ...]) -> None:
    """One line per asset; a run over many partitions shares its metadata, so print it once
    with the number of partitions."""
    partitions: dict[str, int] = {}
    metadata: dict[str, dict] = {}
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.to_user_string()
        partitions[key] = partitions.get(key, 0) + (1 if materialization.partition else 0)
        metadata[key] = materialization.metadata
    for key, values in metadata.items():
        details = ", ".join(f"{name}={values[name].value}" for name in show if name in values)
        count = f" [{partitions[key]} partitions]" if partitions[key] > 1 else ""
        if partitions[key] == 1:
            count = f" [{result.dagster_run.tags.get('dagster/partition', '')}]"
        print(f"    materialized {key}{count}: {details}")


def run_step(defs: dg.Definitions, instance: dg.DagsterInstance, step: Step) -> bool:
    print(f"==> {step.title} ({step.job_name})", flush=True)
    started = time.monotonic()
    job = defs.resolve_job_def(step.job_name)
    result = job.execute_in_process(
        instance=instance,
        partition_key=step.partition_key,
        tags=step.tags() if callable(step.tags) else step.tags,
        run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
        raise_on_error=False,
    )
    _print_materializations(result, step.show)
    status = "ok" if result.success else "FAILED"
    print(f"    {status} in {time.monotonic() - started:.1f} s (run {result.run_id})", flush=True)
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                data = event.step_failure_data
                user = data.user_failure_data
                message = user.description if user else (data.error.message if data.error else "")
                print(f"    error: {message.strip()}")
    return result.success


def main() -> int:
    configure_logging()
    from procurement_pipeline.definitions import defs

    with dg.DagsterInstance.get() as instance:
        for step in demo_steps(defs):
            if not run_step(defs, instance, step):
                return 1
    print()
    print("Outputs")
    print(f"  warehouse:      {display_url(settings.database_url())}")
    print(f"  artifact store: {settings.artifact_root()}")
    print(f"  DAGSTER_HOME:   {settings.dagster_home()}  (`make dev` shows these runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
