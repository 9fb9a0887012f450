"""Which finished runs and automation cycles are e-mailed, and the e-mails' content (no Dagster
here: the sensor in defs/alerts reads the run records, tags and events and passes plain data).

One notification per failed run (an alert with the error), per retraining run an operator
launched by hand (its report) and per automation cycle that retrained products (one report
for the whole cycle, the catalog PDF attached); runs inside a cycle are not mailed one by one.
Each notification has a deterministic ledger key, ``{kind}:{run or backfill id}``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import Engine

from procurement_pipeline.lib import artifacts, clock
from procurement_pipeline.lib.artifacts import ArtifactStore
from procurement_pipeline.lib.notifications.messages import build_retraining_succeeded_message
from procurement_pipeline.lib.reporting import summarize_catalog
from procurement_pipeline.lib.warehouse.reports import load_catalog_outcomes

RETRAIN_SUCCEEDED = "retraining_succeeded"
CYCLE_SUCCEEDED = "cycle_succeeded"
RUN_FAILED = "run_failed"
NOTIFICATION_KINDS = (CYCLE_SUCCEEDED, RETRAIN_SUCCEEDED, RUN_FAILED)
# Dagster's run status names (DagsterRunStatus values) of the runs that may be mailed.
SUCCESS = "SUCCESS"
FAILURE = "FAILURE"
# Run records can commit slightly out of update-time order: rescan this far behind the cursor
# (the ledger makes re-seeing a run harmless).
RESCAN_OVERLAP = dt.timedelta(minutes=2)
# With no cursor yet (sensor just turned on), look back this far; finished cycles (backfills)
# are looked up over this window on every tick (a handful a day; the ledger dedupes).
FIRST_LOOKBACK = dt.timedelta(hours=24)
NO_ERROR_MESSAGE = "(sem mensagem de erro)"


def notification_key(kind: str, run_id: str) -> str:
    return f"{kind}:{run_id}"


def notification_kind(status: str, *, retraining: bool, in_backfill: bool) -> str | None:
    """A failed run: an alert. A successful retraining run launched on its own (an operator's
    retrain_job): its report. Runs of a backfill report once per backfill (CYCLE_SUCCEEDED)."""
    if status == FAILURE:
        return RUN_FAILED
    if status == SUCCESS and retraining and not in_backfill:
        return RETRAIN_SUCCEEDED
    return None


# --------------------------------------------------------------------------- the scan cursor


def parse_cursor(cursor: str | None) -> dt.datetime | None:
    """The newest run update time already handled, from the sensor's cursor."""
    if not cursor:
        return None
    return dt.datetime.fromisoformat(json.loads(cursor)["updated"])


def encode_cursor(newest: dt.datetime) -> str:
    return json.dumps({"updated": newest.isoformat()})


def scan_start(cursor: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """Runs updated after this are looked at: a little before the cursor, or FIRST_LOOKBACK
    back when there is none."""
    return (cursor - RESCAN_OVERLAP) if cursor else now - FIRST_LOOKBACK


def finished_at(moment: float | dt.datetime | None) -> dt.datetime:
    """A run's or backfill's end (a datetime or a POSIX timestamp) in UTC; now when unknown."""
    if isinstance(moment, dt.datetime):
        return moment.astimezone(dt.UTC)
    if moment:
        return dt.datetime.fromtimestamp(moment, dt.UTC)
    return clock.now()


# --------------------------------------------------------------------------- content


def covered_partitions(
    partition: str | None,
    range_start: str | None,
    range_end: str | None,
    known_keys: Callable[[], Sequence[str]],
) -> list[str]:
    """The product partitions a run covered, from its partition tag or its range tags;
    ``known_keys`` (the partition keys in order) is read only for a range. A range whose ends
    are no longer known keeps the ends that are (or its start)."""
    if partition is not None:
        return [partition]
    if not range_start or not range_end:
        return []
    keys = list(known_keys())
    if range_start not in keys or range_end not in keys:
        return [k for k in (range_start, range_end) if k in keys] or [range_start]
    return keys[keys.index(range_start) : keys.index(range_end) + 1]


@dataclass(frozen=True)
class RunFailure:
    """One failure event of a run: a failed step (``step_key`` set) or the run's failure."""

    step_key: str | None
    message: str | None


def failure_text(failures: Iterable[RunFailure]) -> tuple[str, list[str]]:
    """The failed steps' errors (each prefixed by its step) and the run failure's message, one
    a line, and the failed step keys."""
    lines, steps = [], []
    for failure in failures:
        if failure.step_key is not None:
            steps.append(failure.step_key)
            lines.append(f"[{failure.step_key}] {failure.message}")
        else:
            lines.append(failure.message)
    return "\n".join(x for x in lines if x) or NO_ERROR_MESSAGE, steps


def retraining_message(
    engine: Engine,
    store: ArtifactStore,
    skus: Sequence[str],
    finished: dt.datetime,
    *,
    to: str | Sequence[str],
    sender: str | None,
    dagster_base_url: str | None,
    run_id: str | None = None,
    backfill_id: str | None = None,
) -> EmailMessage:
    """The report of a retraining run or cycle, rebuilt from the warehouse: the retrained
    products' outcomes, with their PDF (the product's for one product, the catalog's
    otherwise) attached when it exists."""
    summary = summarize_catalog(load_catalog_outcomes(engine, skus), generated_at=finished)
    relative, name = artifacts.retraining_attachment(skus, finished.date())
    pdf = store.path(relative)
    return build_retraining_succeeded_message(
        summary,
        to=to,
        sender=sender,
        pdf=pdf if pdf.exists() else None,
        pdf_filename=name,
        run_id=run_id,
        backfill_id=backfill_id,
        dagster_base_url=dagster_base_url,
    )
