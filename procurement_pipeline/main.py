"""`make run`: the demo pipeline on the embedded default, offline.

Runs the main jobs in order on the persistent local Dagster instance (so every run shows up
in `make dev`'s UI afterwards) and prints what each materialized and where the outputs are.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import dagster as dg

from procurement_pipeline.lib import settings
from procurement_pipeline.lib.logging import configure_logging
from procurement_pipeline.lib.warehouse import display_url


@dataclass
class Step:
    """One job run of the demo pipeline."""

    job_name: str
    title: str
    partition_key: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    # Metadata keys printed after the run, per asset.
    show: tuple[str, ...] = ()


def demo_steps(defs: dg.Definitions) -> list[Step]:
    return [
        Step(
            "catalog_job",
            "Load the purchasing catalog",
            show=("active_products", "inserted", "updated", "unchanged", "deactivated"),
        ),
    ]


def _print_materializations(result: dg.ExecuteInProcessResult, show: tuple[str, ...]) -> None:
    for event in result.get_asset_materialization_events():
        materialization = event.event_specific_data.materialization
        key = materialization.asset_key.to_user_string()
        partition = f" [{materialization.partition}]" if materialization.partition else ""
        values = {
            name: materialization.metadata[name].value
            for name in show
            if name in materialization.metadata
        }
        details = ", ".join(f"{k}={v}" for k, v in values.items())
        print(f"    materialized {key}{partition}: {details}")


def run_step(defs: dg.Definitions, instance: dg.DagsterInstance, step: Step) -> bool:
    print(f"==> {step.title} ({step.job_name})", flush=True)
    started = time.monotonic()
    job = defs.resolve_job_def(step.job_name)
    result = job.execute_in_process(
        instance=instance,
        partition_key=step.partition_key,
        tags=step.tags,
        raise_on_error=False,
    )
    _print_materializations(result, step.show)
    status = "ok" if result.success else "FAILED"
    print(f"    {status} in {time.monotonic() - started:.1f} s (run {result.run_id})", flush=True)
    if not result.success:
        for event in result.all_events:
            if event.is_step_failure:
                error = event.step_failure_data.error
                print(f"    error: {error.message.strip() if error else event.message}")
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
