"""Opportunity alerts: a newly scraped price below the forecast's lower bound by more than the
margin, for a product the company will buy within the horizon, is e-mailed once: judged after
the automation cycle the window started has refreshed the forecasts and the advice.

`price_opportunity_alerts` is a plain @sensor that walks the event log for new
materializations of the `scraped_prices` windows (cursor: the last handled event storage id;
with no cursor it starts from the newest window only — older windows are stale news). For
each window it loads the window's observations, the latest future forecasts and the newest
recommendations, calls :func:`~procurement_pipeline.lib.recommendations.opportunities`, and
claims one `sent_notifications` row per opportunity (key ``opportunity:{sku}:{window}``) in
the same exactly-once ledger as the run e-mails; pending rows of its kind are then sent (and
retried on later ticks, up to ``MAX_ATTEMPTS``). The e-mail is rebuilt from the warehouse
when it is sent; an opportunity that vanished meanwhile (forecasts retrained) is not sent.

This module reads Dagster (materializations, the cycle's state); the rules (when a window is
ready, its opportunities, their e-mail and key) are in lib/recommendations/opportunity_alerts.py
and the send loop in lib/notifications/outbox.py.

The margin is the ``advice_settings`` resource's ``opportunity_margin``
(``PROCUREMENT_OPPORTUNITY_MARGIN``, a fraction, default 0.05: the price must be more than 5 %
below the lower bound).
"""

from __future__ import annotations

import datetime as dt
import time
from email.message import EmailMessage

import dagster as dg
import pandas as pd

from procurement_pipeline.defs.alerts.resources import NOT_CONFIGURED, MailerResource
from procurement_pipeline.defs.automation.cycle_state import cycle_settled
from procurement_pipeline.defs.prices.assets import scrape_windows, scraped_prices
from procurement_pipeline.defs.recommendations.resources import AdviceSettingsResource
from procurement_pipeline.defs.resources import WarehouseResource
from procurement_pipeline.lib import clock
from procurement_pipeline.lib.notifications.outbox import SEND_BUDGET_S, send_pending
from procurement_pipeline.lib.recommendations.opportunity_alerts import (
    MAX_ATTEMPTS,
    OPPORTUNITY_KIND,
    find_opportunities,
    opportunity_message,
    parse_opportunity_key,
    window_ready,
)
from procurement_pipeline.lib.settings import DEFAULT_OPPORTUNITY_MARGIN, OPPORTUNITY_MARGIN_ENV
from procurement_pipeline.lib.warehouse.notifications import claim_notification

MARGIN_ENV = OPPORTUNITY_MARGIN_ENV
WINDOWS_PER_TICK = 12


def window_start_of_partition(partition_key: str) -> dt.datetime:
    start = scrape_windows.time_window_for_partition_key(partition_key).start
    return start.astimezone(dt.UTC).replace(tzinfo=None)


def compose_opportunity(
    found: pd.DataFrame, key: str, mailer: MailerResource, run_id: str | None
) -> EmailMessage:
    return opportunity_message(
        found,
        key,
        to=mailer.recipients,
        sender=mailer.from_addr or mailer.user,
        run_id=run_id,
        dagster_base_url=mailer.webserver_url,
    )


def _description(configured: bool) -> str:
    base = (
        "E-mails SMTP_DEFAULT_RECIPIENT when a newly scraped price is more than the margin "
        f"({MARGIN_ENV}, default {DEFAULT_OPPORTUNITY_MARGIN:.0%}) below the forecast's lower "
        "bound for a product whose "
        "recommendation is to buy within the horizon: once per product and scrape window "
        "(sent_notifications ledger). Cursor: the last handled scraped_prices materialization."
    )
    return base if configured else f"{base} Stopped by default: {NOT_CONFIGURED}"


def build_opportunity_sensor(mail_configured: bool) -> dg.SensorDefinition:
    @dg.sensor(
        name="price_opportunity_alerts",
        minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING
        if mail_configured
        else dg.DefaultSensorStatus.STOPPED,
        description=_description(mail_configured),
    )
    def price_opportunity_alerts(
        context: dg.SensorEvaluationContext,
        warehouse: WarehouseResource,
        mailer: MailerResource,
        advice_settings: AdviceSettingsResource,
    ) -> dg.SensorResult | dg.SkipReason:
        if not mailer.is_configured:
            return dg.SkipReason(NOT_CONFIGURED)
        settings = advice_settings.recommendation_settings()
        started = time.monotonic()
        engine = warehouse.get_engine()
        recipient = ", ".join(mailer.recipients)
        after = int(context.cursor) if context.cursor else None
        records = context.instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=scraped_prices.key, after_storage_id=after),
            limit=WINDOWS_PER_TICK if after is not None else 1,
            ascending=after is not None,
        ).records
        cursor = after
        found_by_window: dict[dt.datetime, pd.DataFrame] = {}
        claimed = already = 0

        # 1. New windows -> one pending ledger row per opportunity (the cursor never passes a
        #    window whose rows could not be written).
        for record in records:
            if record.partition_key is None:
                cursor = record.storage_id
                continue
            settled = cycle_settled(context.instance, record.storage_id)
            age = dt.timedelta(seconds=clock.now().timestamp() - record.timestamp)
            if not window_ready(settled, age):
                context.log.info(
                    f"window {record.partition_key}: waiting for its automation cycle to refresh "
                    "the forecasts and the advice"
                )
                break
            window_start = window_start_of_partition(record.partition_key)
            try:
                found = find_opportunities(engine, window_start, settings)
                for row in found.to_dict("records"):
                    message = compose_opportunity(
                        found, row["notification_key"], mailer, record.run_id
                    )
                    created = claim_notification(
                        engine,
                        row["notification_key"],
                        kind=OPPORTUNITY_KIND,
                        run_id=record.run_id,
                        recipient=recipient,
                        subject=str(message["Subject"]),
                    )
                    claimed, already = claimed + created, already + (not created)
            except Exception as exc:  # noqa: BLE001 - retry this window next tick
                context.log.error(f"window {window_start}: opportunities not recorded: {exc}")
                break
            found_by_window[window_start] = found
            cursor = record.storage_id

        # 2. Send every pending opportunity e-mail (new or left from earlier ticks).
        def compose(row) -> EmailMessage:
            _sku, window_start = parse_opportunity_key(row["notification_key"])
            if window_start not in found_by_window:
                found_by_window[window_start] = find_opportunities(engine, window_start, settings)
            return compose_opportunity(
                found_by_window[window_start], row["notification_key"], mailer, row["run_id"]
            )

        sent, failed = send_pending(
            engine,
            mailer.smtp_settings(),
            compose,
            kinds=(OPPORTUNITY_KIND,),
            max_attempts=MAX_ATTEMPTS,
            deadline=started + SEND_BUDGET_S,
            log=context.log,
        )

        summary = (
            f"{len(records)} window(s); opportunities claimed {claimed}, already recorded "
            f"{already}, sent {sent}, failed {failed}"
        )
        context.log.info(summary)
        new_cursor = str(cursor) if cursor is not None else context.cursor
        return dg.SensorResult(cursor=new_cursor, skip_reason=None if sent or claimed else summary)

    return price_opportunity_alerts
