"""An automation cycle that retrained products finished -> e-mail the report; any failed run ->
alert e-mail.

`email_run_outcomes` is a plain @sensor that walks the run records by update time (cursor:
newest update time handled) and the finished cycle backfills, and keeps its exactly-once
ledger in the warehouse (`sent_notifications`): a row is claimed as "pending" before sending
and marked "sent" once the SMTP server accepted it, so a restart, an overlapping scan or a
tick that fails half-way never sends twice, and pending rows are retried on every tick until
they are sent. Retraining itself never depends on e-mail (defs/automation).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from email.message import EmailMessage

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
from procurement_pipeline.lib import artifacts, clock
from procurement_pipeline.lib.notifications import (
    MailError,
    TransientMailError,
    build_retraining_succeeded_message,
    build_run_failure_message,
)
from procurement_pipeline.lib.reporting import summarize_catalog
from procurement_pipeline.lib.warehouse.notifications import (
    claim_notification,
    mark_failed_attempt,
    mark_sent,
    pending_notifications,
)
from procurement_pipeline.lib.warehouse.reports import load_catalog_outcomes

RETRAIN_SUCCEEDED = "retraining_succeeded"
CYCLE_SUCCEEDED = "cycle_succeeded"
RUN_FAILED = "run_failed"
NOTIFICATION_KINDS = (CYCLE_SUCCEEDED, RETRAIN_SUCCEEDED, RUN_FAILED)
# A sensor tick must end well under Dagster's 60 s: stop sending after this budget.
SEND_BUDGET_S = 25.0
SMTP_TIMEOUT_IN_SENSOR_S = 10.0
RUN_PAGE = 100
PENDING_PER_TICK = 20
# Run records can commit slightly out of update-time order: rescan this far behind the cursor
# (the ledger makes re-seeing a run harmless).
RESCAN_OVERLAP = dt.timedelta(minutes=2)
# With no cursor yet (sensor just turned on), look back this far; finished cycles (backfills)
# are looked up over this window on every tick (a handful a day; the ledger dedupes).
FIRST_LOOKBACK = dt.timedelta(hours=24)


def _not_configured_description(base: str, configured: bool) -> str:
    if configured:
        return base
    return f"{base} Stopped by default: {NOT_CONFIGURED}"


# --------------------------------------------------------------------------- e-mail


def run_partition_keys(instance: dg.DagsterInstance, run: dg.DagsterRun) -> list[str]:
    """The product partitions a run covered, from its tags."""
    tags = run.tags
    if PARTITION_NAME_TAG in tags:
        return [tags[PARTITION_NAME_TAG]]
    start, end = tags.get(ASSET_PARTITION_RANGE_START_TAG), tags.get(ASSET_PARTITION_RANGE_END_TAG)
    if not start or not end:
        return []
    keys = instance.get_dynamic_partitions(PRODUCTS_PARTITION)
    if start not in keys or end not in keys:
        return [k for k in (start, end) if k in keys] or [start]
    return keys[keys.index(start) : keys.index(end) + 1]


def run_error_text(instance: dg.DagsterInstance, run_id: str) -> tuple[str, list[str]]:
    """The failed steps' errors (or the run failure's message) and the failed step keys."""
    records = instance.get_records_for_run(
        run_id,
        of_type={dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE},
    ).records
    lines, steps = [], []
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
            steps.append(event.step_key)
            lines.append(f"[{event.step_key}] {message}")
        else:
            lines.append(event.message or record.event_log_entry.user_message)
    return "\n".join(x for x in lines if x) or "(sem mensagem de erro)", steps


def _when(record_or_run_time: float | dt.datetime | None) -> dt.datetime:
    if isinstance(record_or_run_time, dt.datetime):
        return record_or_run_time.astimezone(dt.UTC)
    if record_or_run_time:
        return dt.datetime.fromtimestamp(record_or_run_time, dt.UTC)
    return clock.now()


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
    finished = _when(record.end_time or record.update_timestamp)
    sender, to = mailer.from_addr or mailer.user, mailer.recipients
    if kind == RUN_FAILED:
        error, steps = run_error_text(instance, run_id)
        return build_run_failure_message(
            run_id=run_id,
            job_name=run.job_name,
            error=error,
            to=to,
            sender=sender,
            dagster_base_url=mailer.webserver_url,
            failed_at=finished,
            step_keys=steps,
        )
    skus = run_partition_keys(instance, run)
    return _retraining_message(skus, finished, run_id, None, warehouse, artifact_store, mailer)


def _retraining_message(
    skus: list[str],
    finished: dt.datetime,
    run_id: str | None,
    backfill_id: str | None,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    mailer: MailerResource,
) -> EmailMessage:
    sender, to = mailer.from_addr or mailer.user, mailer.recipients
    summary = summarize_catalog(
        load_catalog_outcomes(warehouse.get_engine(), skus), generated_at=finished
    )
    relative, name = artifacts.retraining_attachment(skus, finished.date())
    pdf = artifact_store.store.path(relative)
    return build_retraining_succeeded_message(
        summary,
        to=to,
        sender=sender,
        pdf=pdf if pdf.exists() else None,
        pdf_filename=name,
        run_id=run_id,
        backfill_id=backfill_id,
        dagster_base_url=mailer.webserver_url,
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
    finished = _when(backfill.backfill_end_timestamp or backfill.backfill_timestamp)
    skus = cycle_retrained_keys(backfill)
    return _retraining_message(skus, finished, None, backfill_id, warehouse, artifact_store, mailer)


def _subject(kind, run_id, instance, warehouse, artifact_store, mailer) -> str:
    """The subject recorded with the claim; a message that cannot be composed yet still gets
    its row (sending retries composing it)."""
    try:
        return str(
            compose_message(kind, run_id, instance, warehouse, artifact_store, mailer)["Subject"]
        )
    except Exception:  # noqa: BLE001
        return f"{kind} {run_id}"


def notification_kind(run: dg.DagsterRun) -> str | None:
    """A failed run: an alert. A successful retraining run launched on its own (an operator's
    retrain_job): its report. Runs of a backfill report once per backfill (cycle_kind)."""
    if run.status == dg.DagsterRunStatus.FAILURE:
        return RUN_FAILED
    if (
        run.status == dg.DagsterRunStatus.SUCCESS
        and run.tags.get(RETRAINING_TAG) == "true"
        and BACKFILL_TAG not in run.tags
    ):
        return RETRAIN_SUCCEEDED
    return None


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


def notification_key(kind: str, run_id: str) -> str:
    return f"{kind}:{run_id}"


def _parse_cursor(cursor: str | None) -> dt.datetime | None:
    if not cursor:
        return None
    return dt.datetime.fromisoformat(json.loads(cursor)["updated"])


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
        recipient = ", ".join(mailer.recipients)
        now = clock.now()
        cursor = _parse_cursor(context.cursor)
        newest = cursor
        since = (cursor - RESCAN_OVERLAP) if cursor else now - FIRST_LOOKBACK
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
                kind = notification_kind(run)
                if kind is not None:
                    subject = _subject(
                        kind, run.run_id, instance, warehouse, artifact_store, mailer
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
                subject = _subject(
                    CYCLE_SUCCEEDED,
                    backfill.backfill_id,
                    instance,
                    warehouse,
                    artifact_store,
                    mailer,
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
        rows = pending_notifications(engine, limit=PENDING_PER_TICK, kinds=NOTIFICATION_KINDS)
        sent, failed = send_pending(
            context,
            engine,
            mailer,
            rows,
            lambda row: compose_message(
                row["kind"], row["run_id"], instance, warehouse, artifact_store, mailer
            ),
            deadline=started + SEND_BUDGET_S,
        )

        new_cursor = json.dumps({"updated": newest.isoformat()}) if newest else context.cursor
        summary = f"claimed {claimed}, already recorded {already}, sent {sent}, failed {failed}"
        context.log.info(summary)
        return dg.SensorResult(cursor=new_cursor, skip_reason=None if sent or claimed else summary)

    return email_run_outcomes


def send_pending(
    context: dg.SensorEvaluationContext,
    engine,
    mailer: MailerResource,
    rows,
    compose,
    *,
    deadline: float,
) -> tuple[int, int]:
    """Send pending ledger rows, oldest first, until the tick's deadline: each is marked sent
    once the server accepted it; a transient failure (server down) ends this tick's sending and
    the rest wait for the next tick; a row that cannot be composed or is refused never stops
    the others. Returns (sent, failed)."""
    sent = failed = 0
    mail = mailer.get_mailer(max_attempts=1, timeout=min(mailer.timeout, SMTP_TIMEOUT_IN_SENSOR_S))
    recipient = ", ".join(mailer.recipients)
    for row in rows:
        if time.monotonic() > deadline:
            break
        key = row["notification_key"]
        try:
            mail.send(compose(row))
        except MailError as exc:
            failed += 1
            attempts = mark_failed_attempt(engine, key, str(exc))
            context.log.warning(f"{key}: not sent (attempt {attempts}): {exc}")
            if isinstance(exc, TransientMailError):
                break
            continue
        except Exception as exc:  # noqa: BLE001 - one bad notification must not stop others
            failed += 1
            attempts = mark_failed_attempt(engine, key, f"{type(exc).__name__}: {exc}")
            context.log.error(f"{key}: could not be composed (attempt {attempts}): {exc}")
            continue
        mark_sent(engine, key)
        sent += 1
        context.log.info(f"{key}: sent to {recipient}")
    return sent, failed
