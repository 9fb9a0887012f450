"""New prices -> retrain the products whose history changed; retraining finished -> e-mail the
report; any failed run -> alert e-mail.

Both sensors are plain @sensor functions that walk Dagster's storage with a cursor:
- `retrain_on_new_history` walks the event log for new materializations of
  daily_price_history (cursor: the last handled event storage id);
- `email_run_outcomes` walks the run records by update time (cursor: newest update time
  handled) and keeps its exactly-once ledger in the warehouse (`sent_notifications`): a row is
  claimed as "pending" before sending and marked "sent" once the SMTP server accepted it, so a
  restart, an overlapping scan or a tick that fails half-way never sends twice, and pending
  rows are retried on every tick until they are sent.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Sequence
from email.message import EmailMessage

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED, MailerResource
from procurement_pipeline.defs.forecasting.assets import (
    PRODUCTS_PER_RUN,
    product_forecasts,
    product_price_models,
)
from procurement_pipeline.defs.history.assets import daily_price_history
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.reports.assets import (
    PRODUCT_REPORTS_DIR,
    catalog_report,
    product_reports,
)
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.notifications import (
    MailError,
    TransientMailError,
    build_retraining_succeeded_message,
    build_run_failure_message,
)
from procurement_pipeline.lib.reporting import product_report_filename, summarize_catalog
from procurement_pipeline.lib.warehouse.notifications import (
    claim_notification,
    mark_failed_attempt,
    mark_sent,
    pending_notifications,
)
from procurement_pipeline.lib.warehouse.reports import changed_products, load_catalog_outcomes

RETRAINING_TAG = "procurement/retraining"
HISTORY_EVENT_TAG = "procurement/history_event"
RETRAIN_SUCCEEDED = "retraining_succeeded"
RUN_FAILED = "run_failed"
# A sensor tick must end well under Dagster's 60 s: stop sending after this budget.
SEND_BUDGET_S = 25.0
SMTP_TIMEOUT_IN_SENSOR_S = 10.0
RUN_PAGE = 100
PENDING_PER_TICK = 20
# Run records can commit slightly out of update-time order: rescan this far behind the cursor
# (the ledger makes re-seeing a run harmless).
RESCAN_OVERLAP = dt.timedelta(minutes=2)
# With no cursor yet (sensor just turned on), look back this far.
FIRST_LOOKBACK = dt.timedelta(hours=24)
# A history change touching more separate stretches of partitions than this is covered by
# ranges of up to PRODUCTS_PER_RUN partitions instead (some unchanged products retrain too).
MAX_RETRAIN_RUNS = 12

retrain_job = dg.define_asset_job(
    "retrain_job",
    selection=dg.AssetSelection.assets(
        product_price_models, product_reports, product_forecasts, catalog_report
    ),
    tags={RETRAINING_TAG: "true"},
    description="Retrain a range of products and rebuild their PDF reports, then the forecasts "
    "table and the catalog report (the e-mail after the run attaches it).",
)


# --------------------------------------------------------------------------- retraining


def plan_retraining_batches(
    partition_keys: Sequence[str],
    changed: Sequence[str],
    max_per_run: int = PRODUCTS_PER_RUN,
    max_runs: int = MAX_RETRAIN_RUNS,
) -> list[tuple[str, str]]:
    """Partition ranges (start, end), in partition order, that cover exactly the changed
    products in runs of at most max_per_run partitions; when that takes more than max_runs
    runs (changes scattered all over the catalog), ranges of max_per_run consecutive
    partitions starting at changed products instead."""
    wanted = set(changed)
    positions = [i for i, key in enumerate(partition_keys) if key in wanted]
    if not positions:
        return []
    exact: list[tuple[int, int]] = []
    start = prev = positions[0]
    for pos in positions[1:]:
        if pos == prev + 1 and pos - start < max_per_run:
            prev = pos
            continue
        exact.append((start, prev))
        start = prev = pos
    exact.append((start, prev))
    if len(exact) > max_runs:
        covering: list[tuple[int, int]] = []
        for pos in positions:
            if covering and pos - covering[-1][0] < max_per_run:
                covering[-1] = (covering[-1][0], pos)
            else:
                covering.append((pos, pos))
        exact = covering
    return [(partition_keys[a], partition_keys[b]) for a, b in exact]


def _not_configured_description(base: str, configured: bool) -> str:
    if configured:
        return base
    return f"{base} Stopped by default: {NOT_CONFIGURED}"


def build_retraining_sensor(mail_configured: bool) -> dg.SensorDefinition:
    @dg.sensor(
        name="retrain_on_new_history",
        job=retrain_job,
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING
        if mail_configured
        else dg.DefaultSensorStatus.STOPPED,
        description=_not_configured_description(
            "When daily_price_history is materialized again, requests retrain_job for exactly "
            "the products whose history changed since their model was trained (last day or "
            "number of observed days differ, or never trained), in runs of at most "
            f"{PRODUCTS_PER_RUN} products. Cursor: the last handled materialization.",
            mail_configured,
        ),
    )
    def retrain_on_new_history(
        context: dg.SensorEvaluationContext, warehouse: WarehouseResource
    ) -> dg.SensorResult | dg.SkipReason:
        after = int(context.cursor) if context.cursor else None
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=daily_price_history.key, after_storage_id=after),
            limit=1,
            ascending=False,
        ).records
        if not records:
            return dg.SkipReason("no new materialization of daily_price_history")
        event_id = records[0].storage_id
        partition_keys = context.instance.get_dynamic_partitions(PRODUCTS_PARTITION)
        changed = changed_products(warehouse.get_engine(), partition_keys)
        batches = plan_retraining_batches(partition_keys, changed)
        if not batches:
            return dg.SensorResult(
                skip_reason=f"history event {event_id}: no product's history changed",
                cursor=str(event_id),
            )
        context.log.info(
            f"history event {event_id}: {len(changed)} product(s) changed, {len(batches)} run(s)"
        )
        requests = [
            dg.RunRequest(
                run_key=f"retrain:{event_id}:{index}",
                tags={
                    ASSET_PARTITION_RANGE_START_TAG: start,
                    ASSET_PARTITION_RANGE_END_TAG: end,
                    RETRAINING_TAG: "true",
                    HISTORY_EVENT_TAG: str(event_id),
                },
            )
            for index, (start, end) in enumerate(batches)
        ]
        return dg.SensorResult(run_requests=requests, cursor=str(event_id))

    return retrain_on_new_history


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
    return dt.datetime.now(dt.UTC)


def compose_message(
    kind: str,
    run_id: str,
    instance: dg.DagsterInstance,
    warehouse: WarehouseResource,
    artifact_store: ArtifactStoreResource,
    mailer: MailerResource,
) -> EmailMessage:
    """The e-mail of one notification, rebuilt from the run and the warehouse (the ledger keeps
    the key and subject, not the body)."""
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
    summary = summarize_catalog(
        load_catalog_outcomes(warehouse.get_engine(), skus), generated_at=finished
    )
    store = artifact_store.store
    if len(skus) == 1:
        pdf = store.path(f"{PRODUCT_REPORTS_DIR}/{product_report_filename(skus[0])}")
        name = f"relatorio_{product_report_filename(skus[0])}"
    else:
        pdf = store.path(artifacts.CATALOG_REPORT)
        name = f"relatorio_catalogo_{finished:%Y-%m-%d}.pdf"
    return build_retraining_succeeded_message(
        summary,
        to=to,
        sender=sender,
        pdf=pdf if pdf.exists() else None,
        pdf_filename=name,
        run_id=run_id,
        dagster_base_url=mailer.webserver_url,
    )


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
    if run.status == dg.DagsterRunStatus.FAILURE:
        return RUN_FAILED
    if run.status == dg.DagsterRunStatus.SUCCESS and run.tags.get(RETRAINING_TAG) == "true":
        return RETRAIN_SUCCEEDED
    return None


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
            "E-mails SMTP_DEFAULT_RECIPIENT once per run: the report after each successful "
            f"retraining run (tag {RETRAINING_TAG}=true; the product report for one product, "
            "the catalog report for a batch) and an alert with the run id and the error after "
            "any failed run. Exactly once: a sent_notifications row is claimed before sending "
            "and marked sent after the server accepted it; unsent rows are retried every tick.",
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
        now = dt.datetime.now(dt.UTC)
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

        # 2. Send every pending notification (new or left from earlier ticks), oldest first;
        #    a transient failure (server down) ends this tick's sending.
        rows = pending_notifications(
            engine, limit=PENDING_PER_TICK, kinds=(RETRAIN_SUCCEEDED, RUN_FAILED)
        )
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
