"""An automation cycle that retrained products finished -> e-mail the report; any failed run ->
alert e-mail.

`email_run_outcomes` is a plain @sensor that walks the run records by update time (cursor:
newest update time handled) and the finished cycle backfills, and keeps its exactly-once
ledger in the warehouse (`sent_notifications`): a row is claimed as "pending" before sending
and marked "sent" once the SMTP server accepted it, so a restart, an overlapping scan or a
tick that fails half-way never sends twice, and pending rows are retried on every tick until
they are sent. Retraining itself never depends on e-mail (defs/automation).

This module reads Dagster (run records, tags, events, backfills); which runs are mailed, the
cursor, the e-mails' content and the send loop are in lib/notifications (`run_outcomes`,
`outbox`).
"""

from __future__ import annotations

import datetime as dt
import time
from email.message import EmailMessage
from functools import partial

import dagster as dg
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED, MailerResource
from procurement_pipeline.defs.forecasting.assets import product_price_models
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.defs.tags import BACKFILL_TAG, CYCLE_TAG, RETRAINING_TAG
from procurement_pipeline.lib import clock
from procurement_pipeline.lib.notifications import build_run_failure_message
from procurement_pipeline.lib.notifications.outbox import (
    SEND_BUDGET_S,
    claim_subject,
    send_pending,
)
from procurement_pipeline.lib.notifications.run_outcomes import (
    CYCLE_SUCCEEDED,
    FIRST_LOOKBACK,
    NOTIFICATION_KINDS,
    RUN_FAILED,
    RunFailure,
    covered_partitions,
    encode_cursor,
    failure_text,
    finished_at,
    notification_key,
    notification_kind,
    parse_cursor,
    retraining_message,
    scan_start,
)
from procurement_pipeline.lib.warehouse.notifications import claim_notification

RUN_PAGE = 100


def _not_configured_description(base: str, configured: bool) -> str:
    if configured:
        return base
    return f"{base} Stopped by default: {NOT_CONFIGURED}"


# --------------------------------------------------------------------------- reading Dagster


def run_partition_keys(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    """The product partitions a run covered, from its tags."""
    tags = run.tags
    return covered_partitions(
        tags.get(PARTITION_NAME_TAG),
        tags.get(ASSET_PARTITION_RANGE_START_TAG),
        tags.get(ASSET_PARTITION_RANGE_END_TAG),
        lambda: instance.get_dynamic_partitions(PRODUCTS_PARTITION),
    )


def run_error_text(instance: dg.DagsterInstance, run_id: str) -> tuple[str, list[str]]:
    """The failed steps' errors (or the run failure's message) and the failed step keys."""
    records = instance.get_records_for_run(
        run_id,
        of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE},
    ).records
    failures = []
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None:
            continue
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            user = data.user_failure_data
            message = (user.description if user else None) or (
                data.error.to_string() if data.error else event.message
            )
            failures.append(RunFailure(step_key=event.step_key, message=message))
        else:
            message = event.message or record.event_log_entry.user_message
            failures.append(RunFailure(step_key=None, message=message))
    return failure_text(failures)


def compose_message(
    kind: str,
    run_id: str,
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    mailer: MailerResource,
) -> EmailMessage:
    """The e-mail of one notification, rebuilt from the run (or, for a cycle, the backfill) and
    the warehouse (the ledger keeps the key and subject, not the body)."""
    if kind == CYCLE_SUCCEEDED:
        return compose_cycle_message(run_id, instance, warehouse, artifact_store, mailer)
    record = instance.get_run_record_by_id(run_id)
    if record is None:
        raise LookupError(f"run {run_id} no longer exists")
    run = record.dagster_run
    finished = finished_at(record.end_time or record.update_timestamp)
    if kind == RUN_FAILED:
        error, steps = run_error_text(instance, run_id)
        return build_run_failure_message(
            run_id=run_id,
            job_name=run.job_name,
            error=error,
            to=mailer.recipients,
            sender=mailer.from_addr or mailer.user,
            dagster_base_url=mailer.webserver_url,
            failed_at=finished,
            step_keys=steps,
        )
    skus = run_partition_keys(instance, run)
    return _retraining_message(skus, finished, warehouse, artifact_store, mailer, run_id=run_id)


def _retraining_message(
    skus: list[str],
    finished: dt.datetime,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    mailer: MailerResource,
    **ids: str,
) -> EmailMessage:
    return retraining_message(
        warehouse.get_engine(),
        artifact_store.store,
        skus,
        finished,
        to=mailer.recipients,
        sender=mailer.from_addr or mailer.user,
        dagster_base_url=mailer.webserver_url,
        **ids,
    )


def cycle_retrained_keys(backfill) -> list[str]:
    """The product partitions an automation cycle (one backfill) retrained."""
    data = backfill.asset_backfill_data
    if data is None:
        return []
    subset = data.target_subset.partitions_subsets_by_asset_key.get(product_price_models.key)
    return list(subset.get_partition_keys()) if subset is not None else []


def compose_cycle_message(
    backfill_id: str,
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    mailer: MailerResource,
) -> EmailMessage:
    """The one e-mail of a finished automation cycle: what it retrained, with the catalog
    report it rebuilt attached."""
    backfill = instance.get_backfill(backfill_id)
    if backfill is None:
        raise LookupError(f"backfill {backfill_id} no longer exists")
    finished = finished_at(backfill.backfill_end_timestamp or backfill.backfill_timestamp)
    skus = cycle_retrained_keys(backfill)
    return _retraining_message(
        skus, finished, warehouse, artifact_store, mailer, backfill_id=backfill_id
    )


def run_notification_kind(run: dg.DagsterRun) -> str | None:
    """The kind of e-mail a finished run gets, if any (the rule is lib's notification_kind)."""
    return notification_kind(
        run.status.value,
        retraining=run.tags.get(RETRAINING_TAG) == "true",
        in_backfill=BACKFILL_TAG in run.tags,
    )


def finished_cycles(instance: dg.DagsterInstance, since: dt.datetime) -> list:
    """Automation cycles (backfills tagged procurement/cycle) that retrained products and
    succeeded, created after ``since``."""
    backfills = instance.get_backfills(
        filters=BulkActionsFilter(
            statuses=[BulkActionStatus.COMPLETED_SUCCESS],
            created_after=since,
            tags={RETRAINING_TAG: "true"},
        ),
        limit=RUN_PAGE,
    )
    return [b for b in backfills if CYCLE_TAG in (b.tags or {})]


def build_notification_sensor(mail_configured: bool) -> dg.SensorDefinition:
    @dg.sensor(
        name="email_run_outcomes",
        minimum_interval_seconds=30,
        default_status=dg.DefaultSensorStatus.RUNNING
        if mail_configured
        else dg.DefaultSensorStatus.STOPPED,
        description=_not_configured_description(
            "E-mails SMTP_DEFAULT_RECIPIENT: one report per automation cycle that retrained "
            "products and succeeded (the catalog report attached), one per retraining run "
            f"launched by hand (tag {RETRAINING_TAG}=true; the product report for one product), "
            "and an alert with the run id and the error after any failed run. Exactly once: a "
            "sent_notifications row is claimed before sending and marked sent after the server "
            "accepted it; unsent rows are retried every tick.",
            mail_configured,
        ),
    )
    def email_run_outcomes(
        context: dg.SensorEvaluationContext,
        warehouse: WarehouseResource,
        artifact_store: ArtifactStoreResource,
        mailer: MailerResource,
    ) -> dg.SensorResult | dg.SkipReason:
        if not mailer.is_configured:
            return dg.SkipReason(NOT_CONFIGURED)
        started = time.monotonic()
        instance, engine = context.instance, warehouse.get_engine()
        # What compose_message rebuilds an e-mail from.
        sources = (instance, warehouse, artifact_store, mailer)
        recipient = ", ".join(mailer.recipients)
        now = clock.now()
        cursor = parse_cursor(context.cursor)
        newest = cursor
        since = scan_start(cursor, now)
        claimed = already = 0

        # 1. New finished runs -> claim a pending row each (the cursor never passes a run whose
        #    row could not be written).
        stop = False
        while not stop and time.monotonic() - started < SEND_BUDGET_S:
            records = instance.get_run_records(
                filters=dg.RunsFilter(
                    statuses=[dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE],
                    updated_after=since,
                ),
                order_by="update_timestamp",
                ascending=True,
                limit=RUN_PAGE,
            )
            for record in records:
                run = record.dagster_run
                kind = run_notification_kind(run)
                if kind is not None:
                    subject = claim_subject(
                        partial(compose_message, kind, run.run_id, *sources),
                        fallback=f"{kind} {run.run_id}",
                    )
                    try:
                        created = claim_notification(
                            engine,
                            notification_key(kind, run.run_id),
                            kind=kind,
                            run_id=run.run_id,
                            recipient=recipient,
                            subject=subject,
                        )
                    except Exception as exc:  # noqa: BLE001 - retry this run next tick
                        context.log.error(f"run {run.run_id}: could not record notification: {exc}")
                        stop = True
                        break
                    claimed, already = claimed + created, already + (not created)
                stamp = record.update_timestamp.astimezone(dt.UTC)
                newest = max(newest, stamp) if newest else stamp
            if len(records) < RUN_PAGE or stop:
                break
            since = records[-1].update_timestamp

        # 2. Finished automation cycles -> one pending row each.
        if not stop:
            for backfill in finished_cycles(instance, now - FIRST_LOOKBACK):
                key = notification_key(CYCLE_SUCCEEDED, backfill.backfill_id)
                subject = claim_subject(
                    partial(compose_message, CYCLE_SUCCEEDED, backfill.backfill_id, *sources),
                    fallback=f"{CYCLE_SUCCEEDED} {backfill.backfill_id}",
                )
                try:
                    created = claim_notification(
                        engine,
                        key,
                        kind=CYCLE_SUCCEEDED,
                        run_id=backfill.backfill_id,
                        recipient=recipient,
                        subject=subject,
                    )
                except Exception as exc:  # noqa: BLE001 - retried next tick (ledger dedupes)
                    context.log.error(f"cycle {backfill.backfill_id}: not recorded: {exc}")
                    break
                claimed, already = claimed + created, already + (not created)

        # 3. Send every pending notification (new or left from earlier ticks), oldest first;
        #    a transient failure (server down) ends this tick's sending.
        sent, failed = send_pending(
            engine,
            mailer.smtp_settings(),
            lambda row: compose_message(row["kind"], row["run_id"], *sources),
            kinds=NOTIFICATION_KINDS,
            deadline=started + SEND_BUDGET_S,
            log=context.log,
        )

        new_cursor = encode_cursor(newest) if newest else context.cursor
        summary = f"claimed {claimed}, already recorded {already}, sent {sent}, failed {failed}"
        context.log.info(summary)
        return dg.SensorResult(cursor=new_cursor, skip_reason=None if sent or claimed else summary)

    return email_run_outcomes
