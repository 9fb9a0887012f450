"""The automation after each scrape window: the history rebuild (declarative automation) and
the cycle planner (a sensor that launches one backfill per rebuilt history)."""

from __future__ import annotations

import dagster as dg
from dagster._core.definitions.assets.graph.asset_graph_subset import AssetGraphSubset
from dagster._core.execution.backfill import BulkActionsFilter, PartitionBackfill
from dagster._core.storage.event_log.base import EventLogRecord
from dagster._time import get_current_timestamp

from procurement_pipeline.defs.automation.cycle_state import (
    IN_PROGRESS_BACKFILL,
    PLANNED_HISTORY_EVENT,
    PLANNED_LAUNCHED,
    PLANNED_RETRAIN,
)
from procurement_pipeline.defs.forecasting.assets import (
    global_price_model,
    product_forecasts,
    product_price_models,
)
from procurement_pipeline.defs.history.assets import (
    HISTORY_FINGERPRINT_KEY,
    daily_price_history,
    synthetic_price_history,
)
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION, products_partitions
from procurement_pipeline.defs.recommendations.assets import purchase_recommendations
from procurement_pipeline.defs.reports.assets import catalog_report, global_report, product_reports
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.defs.tags import CYCLE_TAG, RETRAINING_TAG
from procurement_pipeline.lib.cycle import PRODUCTS_PER_RUN, CyclePlan, plan_cycle
from procurement_pipeline.lib.forecasting import CODE_VERSION
from procurement_pipeline.lib.warehouse.reports import changed_products

PER_PRODUCT = (product_price_models.key, product_reports.key)
# In dependency order: what a cycle refreshes once, after the last product batch.
ONCE_PER_CYCLE = (
    product_forecasts.key,
    purchase_recommendations.key,
    global_price_model.key,
    catalog_report.key,
    global_report.key,
)
CYCLE_ASSETS = dg.AssetSelection.assets(*PER_PRODUCT, *ONCE_PER_CYCLE)

history_automation_sensor = dg.AutomationConditionSensorDefinition(
    "history_after_each_scrape",
    target=dg.AssetSelection.assets(daily_price_history, synthetic_price_history),
    default_status=dg.DefaultSensorStatus.RUNNING,
    # Every hop of the chain waits up to one interval; evaluating two unpartitioned assets is cheap.
    minimum_interval_seconds=10,
    description="Declarative automation: once a scrape window has landed and no window is "
    "still being scraped, rebuilds the cleaned daily history and the synthetic gap-filler in "
    "one run. Independent of e-mail.",
)


def latest_materialization(instance: dg.DagsterInstance, key: dg.AssetKey) -> EventLogRecord | None:
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key), limit=1, ascending=False
    ).records
    return records[0] if records else None


def _metadata_value(record: EventLogRecord | None, name: str):
    if record is None or record.asset_materialization is None:
        return None
    entry = record.asset_materialization.metadata.get(name)
    return entry.value if entry is not None else None


def behind_once_per_cycle(
    instance: dg.DagsterInstance,
    asset_graph,
    history: EventLogRecord,
    newest_model_id: int | None,
) -> dict[str, str]:
    """Once-per-cycle assets that are missing or older than one of their inputs (a failed run
    in an earlier cycle, or an input such as the consumption export refreshed on its own), by
    name, with the reason. Against the history they compare content (fingerprint), so a
    rebuild with identical content leaves the global model current."""
    latest = {key: latest_materialization(instance, key) for key in ONCE_PER_CYCLE}
    behind: dict[str, str] = {}
    for key in ONCE_PER_CYCLE:
        record = latest[key]
        name = key.to_user_string()
        if record is None:
            behind[name] = "never materialized"
            continue
        for parent in sorted(asset_graph.get(key).parent_keys):
            if parent == daily_price_history.key:
                if _metadata_value(record, HISTORY_FINGERPRINT_KEY) != _metadata_value(
                    history, HISTORY_FINGERPRINT_KEY
                ):
                    behind[name] = "trained on another daily history"
            elif parent == product_price_models.key:
                if newest_model_id is not None and newest_model_id > record.storage_id:
                    behind[name] = "older than the newest product model"
            else:
                upstream = latest.get(parent) or latest_materialization(instance, parent)
                if upstream is not None and upstream.storage_id > record.storage_id:
                    behind[name] = f"older than {parent.to_user_string()}"
    return behind


def plan_for_history(
    instance: dg.DagsterInstance, asset_graph, engine, history: EventLogRecord
) -> CyclePlan:
    """The cycle after the history materialization ``history``: what changed and what is
    behind, from the warehouse (fingerprints) and Dagster's event log (materializations)."""
    partition_keys = instance.get_dynamic_partitions(PRODUCTS_PARTITION)
    changed = changed_products(engine, partition_keys, CODE_VERSION)
    storage = instance.event_log_storage
    model_ids = storage.get_latest_storage_id_by_partition(
        product_price_models.key, dg.DagsterEventType.ASSET_MATERIALIZATION
    )
    report_ids = storage.get_latest_storage_id_by_partition(
        product_reports.key, dg.DagsterEventType.ASSET_MATERIALIZATION
    )
    reports_behind = [
        key for key, model_id in model_ids.items() if report_ids.get(key, -1) < model_id
    ]
    names = [key.to_user_string() for key in ONCE_PER_CYCLE]
    downstream = {
        key.to_user_string(): [
            child.to_user_string()
            for child in asset_graph.get(key).child_keys
            if child in ONCE_PER_CYCLE
        ]
        for key in ONCE_PER_CYCLE
    }
    return plan_cycle(
        partition_keys,
        changed,
        reports_behind,
        behind_once_per_cycle(
            instance, asset_graph, history, max(model_ids.values()) if model_ids else None
        ),
        names,
        downstream,
    )


def cycle_subset(plan: CyclePlan) -> AssetGraphSubset:
    """The backfill of one cycle: product partitions per asset, once-per-cycle assets whole."""
    by_key: dict[dg.AssetKey, object] = {}
    if plan.retrain:
        by_key[product_price_models.key] = products_partitions.subset_with_partition_keys(
            plan.retrain
        )
    if plan.retrain or plan.reports:
        by_key[product_reports.key] = products_partitions.subset_with_partition_keys(
            [*plan.retrain, *plan.reports]
        )
    return AssetGraphSubset(
        partitions_subsets_by_asset_key=by_key,
        non_partitioned_asset_keys={dg.AssetKey(name) for name in plan.refresh},
    )


def cycle_tags(history_event: int, plan: CyclePlan) -> dict[str, str]:
    tags = {CYCLE_TAG: str(history_event)}
    if plan.retrain:
        tags[RETRAINING_TAG] = "true"
    return tags


def cycle_backfill_id(history_event: int) -> str:
    """The backfill of the cycle after one history materialization. Deterministic, like a run
    key: a tick evaluated again (the daemon stopped before it stored the cursor) finds the
    backfill it already submitted instead of submitting a second one."""
    return f"cycle-{history_event}"


def submit_cycle_backfill(instance: dg.DagsterInstance, history_event: int, plan: CyclePlan) -> str:
    """Submits the cycle's backfill (once per history event) and returns its id.

    Why not ``RunRequest.for_asset_graph_subset``: the sensor daemon keeps a tick's run
    requests in the tick's row, and Dagster's ``job_ticks.tick_body`` is a TEXT column, 64 KB
    on MySQL. A subset naming ~2,000 product partitions or more overflowed it, so every tick
    of the planner failed on the production instance (measured: 3,000 products, 80 KB) while
    SQLite took it. The backfill row itself (``bulk_actions.body``) is LONGTEXT on MySQL."""
    backfill_id = cycle_backfill_id(history_event)
    if instance.get_backfill(backfill_id) is None:
        instance.add_backfill(
            PartitionBackfill.from_asset_graph_subset(
                backfill_id=backfill_id,
                backfill_timestamp=get_current_timestamp(),  # Dagster's clock, as its daemon
                tags=cycle_tags(history_event, plan),
                dynamic_partitions_store=instance,
                asset_graph_subset=cycle_subset(plan),
                title=f"Ciclo após o histórico {history_event}",
                description=plan.summary(),
                run_config=None,
            )
        )
    return backfill_id


def cycle_observation(history_event: int, plan: CyclePlan) -> dg.AssetObservation:
    """The planner's decision, on daily_price_history's timeline in the UI: what the cycle
    after this history does (or that nothing changed)."""
    return dg.AssetObservation(
        asset_key=daily_price_history.key,
        metadata={
            PLANNED_HISTORY_EVENT: history_event,
            PLANNED_LAUNCHED: not plan.empty,
            PLANNED_RETRAIN: len(plan.retrain),
            "cycle_products_changed": len(plan.changed),
            "cycle_reports_behind": len(plan.reports),
            "cycle_refresh": dg.MetadataValue.json(
                {name: plan.reasons[name] for name in plan.refresh}
            ),
            "cycle_summary": plan.summary(),
        },
    )


def cycle_in_progress(instance: dg.DagsterInstance) -> str | None:
    """The id of an automation cycle's backfill that is still running, if any."""
    for backfill in instance.get_backfills(
        filters=BulkActionsFilter(statuses=IN_PROGRESS_BACKFILL), limit=50
    ):
        if CYCLE_TAG in (backfill.tags or {}):
            return backfill.backfill_id
    return None


@dg.sensor(
    name="plan_cycle_after_history",
    asset_selection=CYCLE_ASSETS,
    # Most ticks stop at the cursor check (no new history materialization): cheap to run often.
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="After each rebuild of daily_price_history (once its run finished and no "
    "earlier cycle is still running): retrains exactly the products whose cleaned history "
    "differs, by content fingerprint, from what their model was trained on, with their PDFs, "
    f"in runs of up to {PRODUCTS_PER_RUN:,} products, then refreshes the forecasts table, "
    "purchase recommendations, global model and catalog and global reports once. One backfill "
    "per cycle (id cycle-<history event>, tag procurement/cycle), submitted by the sensor "
    "itself, so a tick that launched one shows as skipped with its id; a history that "
    "changed nothing launches nothing. What an earlier cycle missed (a failed run) is picked "
    "up by the next. Independent of e-mail. Cursor: the last handled history materialization.",
)
def plan_cycle_after_history(
    context: dg.SensorEvaluationContext, warehouse: WarehouseResource
) -> dg.SensorResult | dg.SkipReason:
    after = int(context.cursor) if context.cursor else None
    history = context.instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=daily_price_history.key, after_storage_id=after),
        limit=1,
        ascending=False,
    ).records
    if not history:
        return dg.SkipReason("no new materialization of daily_price_history")
    record = history[0]
    run = context.instance.get_run_by_id(record.run_id)
    if run is not None and not run.is_finished:
        return dg.SkipReason(f"history run {record.run_id} is still running")
    running = cycle_in_progress(context.instance)
    if running:
        return dg.SkipReason(f"cycle backfill {running} is still running; planning after it")
    asset_graph = context.repository_def.asset_graph
    plan = plan_for_history(context.instance, asset_graph, warehouse.get_engine(), record)
    event = record.storage_id
    context.log.info(f"history event {event}: {plan.summary()}")
    observation = cycle_observation(event, plan)
    if plan.empty:
        return dg.SensorResult(
            skip_reason=f"history event {event}: {plan.summary()}",
            cursor=str(event),
            asset_events=[observation],
        )
    backfill_id = submit_cycle_backfill(context.instance, event, plan)
    # No run request (see submit_cycle_backfill): the tick shows as skipped, with this message.
    return dg.SensorResult(
        skip_reason=f"history event {event}: submitted backfill {backfill_id}: {plan.summary()}",
        cursor=str(event),
        asset_events=[observation],
    )
