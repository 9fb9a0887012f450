"""Opportunity alerts in the e-mail ledger (no Dagster here): which scrape windows are ready to
be judged, the opportunities of a window, each one's e-mail and its ledger key.

The sensor in defs/recommendations claims one `sent_notifications` row per opportunity (key
:func:`~procurement_pipeline.lib.recommendations.opportunity_key`) and sends its kind with
:func:`~procurement_pipeline.lib.notifications.outbox.send_pending`, up to MAX_ATTEMPTS; the
e-mail is rebuilt from the warehouse when it is sent, so an opportunity that vanished
meanwhile (forecasts retrained) is not sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from email.message import EmailMessage

import pandas as pd
from sqlalchemy import Engine

from procurement_pipeline.lib.recommendations.engine import (
    OPPORTUNITY_COLUMNS,
    RecommendationSettings,
    opportunities,
)
from procurement_pipeline.lib.recommendations.messages import build_opportunity_message
from procurement_pipeline.lib.warehouse.forecasts import load_forecast_rows
from procurement_pipeline.lib.warehouse.recommendations import (
    load_recommendations,
    window_observations,
)

OPPORTUNITY_KIND = "price_opportunity"
KEY_PREFIX = "opportunity:"
# A window is judged once the automation cycle it started (history, retraining, forecasts,
# advice) has finished; if that cycle never settles (the chain is broken), judge it anyway
# after this long against whatever forecasts exist.
SETTLE_TIMEOUT = dt.timedelta(hours=8)
# A pending opportunity e-mail that still cannot go out after this many ticks is left alone.
MAX_ATTEMPTS = 10


def window_ready(settled: bool | None, age: dt.timedelta) -> bool:
    """Whether a scrape window can be judged now: its automation cycle has settled, or it is
    older than SETTLE_TIMEOUT (``settled`` None: no cycle has started from it yet)."""
    return bool(settled) or age >= SETTLE_TIMEOUT


def parse_opportunity_key(key: str) -> tuple[str, dt.datetime]:
    """``opportunity:{sku}:{aaaa-mm-ddTHH:MM}`` -> (sku, window start)."""
    if not key.startswith(KEY_PREFIX) or len(key) < len(KEY_PREFIX) + 18:
        raise ValueError(f"not an opportunity key: {key!r}")
    sku, moment = key[len(KEY_PREFIX) : -17], key[-16:]
    return sku, dt.datetime.strptime(moment, "%Y-%m-%dT%H:%M")


def find_opportunities(
    engine: Engine, window_start: dt.datetime, settings: RecommendationSettings
) -> pd.DataFrame:
    """The opportunities of one scrape window (columns OPPORTUNITY_COLUMNS)."""
    prices = window_observations(engine, window_start)
    if prices.empty:
        return pd.DataFrame({c: [] for c in OPPORTUNITY_COLUMNS})
    forecasts = load_forecast_rows(engine, sorted(set(prices["sku"])), kind="future")
    return opportunities(prices, forecasts, load_recommendations(engine), settings)


def opportunity_message(
    found: pd.DataFrame,
    key: str,
    *,
    to: str | Sequence[str],
    sender: str | None,
    run_id: str | None,
    dagster_base_url: str | None,
) -> EmailMessage:
    """The e-mail of the opportunity ``key`` among a window's ``found`` opportunities;
    LookupError when it is no longer one."""
    match = found[found["notification_key"] == key]
    if match.empty:
        raise LookupError(f"{key}: no longer an opportunity (forecast or recommendation changed)")
    return build_opportunity_message(
        match.iloc[0].to_dict(),
        to=to,
        sender=sender,
        run_id=run_id,
        dagster_base_url=dagster_base_url,
    )
