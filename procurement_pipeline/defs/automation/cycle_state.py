"""Where the automation stands, read back from Dagster's storage: the planner's decisions
(observations on daily_price_history) and the cycle backfills. Imported by sensors of other
domains (opportunity alerts), so it imports no other domain's definitions."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus

from procurement_pipeline.defs.tags import CYCLE_TAG

HISTORY_ASSET = dg.AssetKey("daily_price_history")
IN_PROGRESS_BACKFILL = [
    BulkActionStatus.REQUESTED,
    BulkActionStatus.CANCELING,
    BulkActionStatus.FAILING,
]
# Metadata keys of the planner's observation on daily_price_history (one per rebuilt history).
PLANNED_HISTORY_EVENT = "cycle_history_event"
PLANNED_RETRAIN = "cycle_products_retrained"
PLANNED_LAUNCHED = "cycle_launched"


def cycle_settled(instance: dg.DagsterInstance, after_storage_id: int) -> bool | None:
    """Whether the automation cycle that followed an event (e.g. a scrape window's
    materialization) has finished: True once the planner handled a history rebuilt after it
    and that cycle's backfill, if any, is no longer running; False while it is pending; None
    when no history has been rebuilt after it yet."""
    planned = {
        event: metadata
        for event, metadata in planned_cycles(instance, after_storage_id).items()
        if event > after_storage_id
    }
    if not planned:
        return None
    first = min(planned)
    if not planned[first].get(PLANNED_LAUNCHED):
        return True
    backfills = instance.get_backfills(
        filters=BulkActionsFilter(tags={CYCLE_TAG: str(first)}), limit=1
    )
    if not backfills:
        # Planned, but the daemon has not submitted the backfill yet.
        return False
    return backfills[0].status not in IN_PROGRESS_BACKFILL


def planned_cycles(instance: dg.DagsterInstance, after_storage_id: int | None = None) -> Mapping:
    """The planner's observations after ``after_storage_id``: history event -> metadata."""
    records = instance.fetch_observations(
        dg.AssetRecordsFilter(asset_key=HISTORY_ASSET, after_storage_id=after_storage_id),
        limit=100,
        ascending=False,
    ).records
    planned = {}
    for record in records:
        observation = record.asset_observation
        if observation is None or PLANNED_HISTORY_EVENT not in observation.metadata:
            continue
        metadata = {name: value.value for name, value in observation.metadata.items()}
        planned[int(metadata[PLANNED_HISTORY_EVENT])] = metadata
    return planned
