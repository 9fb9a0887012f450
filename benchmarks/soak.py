"""Soak benchmark: many scrape cycles through the real dagster-webserver and dagster-daemon,
with a faulty market and killed runs, then a check that nothing was lost, duplicated, orphaned
or left stuck.

    .venv/bin/python -m benchmarks.soak [--cycles 30] [--products 300] [--seed 13]
                                        [--fault-share 0.2] [--kill-every 5] [--latency 0.05]

Setup (not timed): a temporary instance from the repository's dagster.yaml, initialised as the
Makefile does, with one change: run monitoring's ``max_runtime_seconds`` (6 h in the file) is
``--max-runtime`` (300 s), so a run whose worker died with its code server is failed within
minutes instead of hours; a SQLite warehouse with the first ``--products`` catalog rows and
``--days`` of demo history before the first window; e-mail to a local SMTP server (aiosmtpd);
the market is the demo market's pages behind the local ScraperAPI-protocol server.

Each cycle scrapes the next 8-hour window (windows 8 hours apart, ending with the latest
closed one), launched exactly as ``scrape_every_8_hours`` launches it (its run request for
that tick, through the webserver's queue), then lets the automation (history rebuild, the
retraining backfill, advice, reports, e-mail) run until it is quiet. When a window's scrape
failed, it is re-run once, as the README tells an operator to.

- Baseline: the first ``--baseline-cycles`` cycles run on a healthy market, no kills.
- Soak: ``--cycles`` cycles where ``--fault-share`` of the market's requests fail at random
  (seeded), split evenly between 429, 500, a timeout (no answer within SCRAPERAPI_TIMEOUT) and
  a challenge page; in each block of ``--kill-every`` cycles, one cycle (chosen at random,
  never the block's last, so the next cycle can repair) has one run SIGKILLed at a random
  point of the cycle: alternately its run worker process alone (the code server reports the
  run failed), or the daemon and webserver with everything they started (code servers and
  run workers, as a crash of the machine or of `make dev` would), after which both are
  started again as an operator would, and run monitoring must fail the orphaned run.

After each cycle the real observations ((sku, window) pairs) are snapshotted; at the end the
warehouse and the artifact store are checked (functions below, tested on hand-made states in
procurement_pipeline_tests/benchmarks/test_soak_checks.py).

Prints one line per cycle; the LAST line is one JSON object: cycles, runs_failed, runs_stuck
(runs still in progress when their cycle timed out, marked failed by hand, or at the end),
observations_lost, duplicate_rows, orphan_files, mismatched_models, ... and the time per
cycle against the baseline's. Target: everything but runs_failed at 0.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import email
import email.policy
import json
import math
import os
import random
import shutil
import signal
import statistics
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import dagster as dg
import numpy as np
import pandas as pd
import yaml
from dagster._core.execution.backfill import BulkActionsFilter
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES
from sqlalchemy import Engine, func, select

from benchmarks.quiet import run_quietly
from procurement_pipeline.defs.automation.cycle_state import (
    IN_PROGRESS_BACKFILL,
    cycle_settled,
)
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.forecasting import (
    ModelSettings,
    forecast_from_model,
    load_model,
)
from procurement_pipeline.lib.warehouse.schema import (
    daily_price_history,
    forecasts,
    global_forecasts,
    global_models,
    global_price_index,
    history_fingerprints,
    model_registry,
    offers,
    price_observations,
    product_forecast_summary,
    products,
    purchase_recommendations,
    scrape_attempts,
    sent_notifications,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
WINDOW = dt.timedelta(hours=8)
# How long a cycle whose chain was cut short (e.g. its history run killed, so no cycle
# follows that window) must stay idle before it counts as over: a few automation ticks.
IDLE_AFTER_INTERRUPTION_S = 90.0

# --------------------------------------------------------------------------- the checks

ObservationKey = tuple[str, dt.datetime]


def real_observation_keys(engine: Engine) -> set[ObservationKey]:
    """Every real (non-synthetic) observation as (sku, window_start)."""
    t = price_observations
    with engine.connect() as conn:
        rows = conn.execute(select(t.c.sku, t.c.window_start).where(t.c.is_synthetic.is_(False)))
        return {(sku, pd.Timestamp(start).to_pydatetime()) for sku, start in rows}


def lost_observations(seen: set[ObservationKey], engine: Engine) -> set[ObservationKey]:
    """The observations of ``seen`` (snapshots taken after earlier cycles) that are gone."""
    return seen - real_observation_keys(engine)


# Table -> (natural key columns, rows it applies to). Most are primary keys (a duplicate
# cannot be stored); the others are the ones the pipeline's own logic keeps unique.
NATURAL_KEYS = {
    "price_observations (real)": (
        price_observations,
        ("sku", "window_start"),
        price_observations.c.is_synthetic.is_(False),
    ),
    "price_observations (synthetic)": (
        price_observations,
        ("sku", "observed_at"),
        price_observations.c.is_synthetic.is_(True),
    ),
    "offers": (offers, ("sku", "window_start", "position"), None),
    "scrape_attempts": (scrape_attempts, ("sku", "window_start"), None),
    "daily_price_history": (daily_price_history, ("sku", "day"), None),
    "history_fingerprints": (history_fingerprints, ("sku",), None),
    "model_registry": (model_registry, ("sku",), None),
    "forecasts": (forecasts, ("sku", "kind", "ds"), None),
    "product_forecast_summary": (product_forecast_summary, ("sku",), None),
    "purchase_recommendations": (purchase_recommendations, ("as_of", "sku"), None),
    "global_forecasts": (global_forecasts, ("model_id", "kind", "ds"), None),
    "global_price_index": (global_price_index, ("day",), None),
    "sent_notifications": (sent_notifications, ("notification_key",), None),
}


def duplicate_rows(engine: Engine) -> dict[str, int]:
    """Per table, the rows beyond the first of each natural key (0 everywhere is right)."""
    found = {}
    with engine.connect() as conn:
        for name, (table, keys, where) in NATURAL_KEYS.items():
            columns = [table.c[k] for k in keys]
            groups = select(func.count().label("n")).select_from(table).group_by(*columns)
            if where is not None:
                groups = groups.where(where)
            groups = groups.having(func.count() > 1).subquery()
            found[name] = int(
                conn.execute(select(func.coalesce(func.sum(groups.c.n - 1), 0))).scalar_one()
            )
    return found


class ArtifactCheck(NamedTuple):
    orphans: list[str]  # files no row points to that nothing will remove
    missing: list[str]  # paths rows point to where no file is
    awaiting_sweep: list[str]  # unreferenced model files the next training's sweep removes


def referenced_files(engine: Engine) -> set[str]:
    """Every artifact path a warehouse row points to: model registry, global models."""
    with engine.connect() as conn:
        paths = set(conn.execute(select(model_registry.c.artifact_path)).scalars())
        for row in conn.execute(
            select(global_models.c.artifact_path, global_models.c.metadata_path)
        ):
            paths.update(row)
    paths.discard(None)
    return paths


def check_artifacts(engine: Engine, root: Path, now: float | None = None) -> ArtifactCheck:
    """Files in the artifact store against the rows that point at them.

    Model folders: a file no row points to is a leftover of a run that died; the project's
    sweep (lib.artifacts.sweep_unreferenced, after every training) removes it once it is
    older than UNREFERENCED_MIN_AGE_S, so a younger one is "awaiting sweep" and an older one
    an orphan. Reports: one PDF per active product, the catalog and the global report; any
    other file there (a temporary file of an interrupted write, a removed product's PDF) is an
    orphan, since nothing removes it. Anything outside those folders is an orphan."""
    now = time.time() if now is None else now
    referenced = referenced_files(engine)
    with engine.connect() as conn:
        active = set(
            conn.execute(select(products.c.sku).where(products.c.active.is_(True))).scalars()
        )
    reports = {artifacts.product_report_path(sku) for sku in active}
    reports |= {artifacts.CATALOG_REPORT, artifacts.GLOBAL_REPORT}
    orphans, awaiting = [], []
    for path in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
        relative = path.relative_to(root).as_posix()
        if relative in referenced:
            continue
        if relative.startswith(tuple(f"{folder}/" for folder in artifacts.MODEL_FOLDERS)):
            young = path.lstat().st_mtime > now - artifacts.UNREFERENCED_MIN_AGE_S
            (awaiting if young else orphans).append(relative)
        elif relative not in reports:
            orphans.append(relative)
    missing = sorted(p for p in referenced if not (root / p).is_file())
    return ArtifactCheck(orphans, missing, awaiting)


def _forecast_matches(model, stored: pd.DataFrame) -> bool:
    if stored.empty:
        return False
    stored = stored.sort_values("ds")
    predicted = forecast_from_model(model, ModelSettings(), horizon=len(stored))
    if list(pd.to_datetime(predicted["ds"]).dt.date) != list(stored["ds"]):
        return False
    return all(
        np.allclose(predicted[c].astype(float), stored[c].astype(float), rtol=1e-9, equal_nan=True)
        for c in ("yhat", "yhat_lower", "yhat_upper")
    )


def _trained_until(model) -> tuple[dt.date, float]:
    """The last day and price of the series a loaded model file was fitted on: a served
    model's anchor, or a bare Prophet model's last history row (fitted on log prices)."""
    if hasattr(model, "anchor_day"):
        return pd.Timestamp(model.anchor_day).date(), float(model.anchor_price)
    last = model.history.sort_values("ds").iloc[-1]
    return pd.Timestamp(last["ds"]).date(), float(np.exp(last["y"]))


def _model_mismatch(model, train_end, future: pd.DataFrame, current_end) -> str | None:
    """Why a loaded model is not the one its row describes (None: it is)."""
    day, price = _trained_until(model)
    if day != train_end:
        return "model trained up to another day than the row's train_end"
    if not _forecast_matches(model, future):
        return "model forecasts differ from the stored forecast rows"
    if current_end is not None and (
        day != current_end[0] or not math.isclose(price, current_end[1], rel_tol=1e-6)
    ):
        return "fingerprint says current history, model trained on another"
    return None


def mismatched_models(engine: Engine, root: Path) -> dict[str, str]:
    """Registry rows whose model file does not hold the model they describe: sku (or
    "global") -> why. A trained product's file must exist, be fitted up to the row's
    train_end and forecast exactly the row's future forecast rows; when the row's history
    fingerprint is the product's current one, the file's series must end on the current
    daily history's last day and price. The newest global model likewise (on the price
    index), and its global_metadata.json must name its model file and train_end."""
    bad: dict[str, str] = {}
    f, h = forecasts, daily_price_history
    g, gf = global_models, global_forecasts
    with engine.connect() as conn:
        rows = conn.execute(select(model_registry).where(model_registry.c.status == "trained"))
        rows = rows.all()
        current = dict(
            conn.execute(
                select(history_fingerprints.c.sku, history_fingerprints.c.fingerprint)
            ).all()
        )
        future = pd.DataFrame(
            conn.execute(
                select(f.c.sku, f.c.ds, f.c.yhat, f.c.yhat_lower, f.c.yhat_upper).where(
                    f.c.kind == "future"
                )
            ).all(),
            columns=["sku", "ds", "yhat", "yhat_lower", "yhat_upper"],
        )
        newest = select(h.c.sku, func.max(h.c.day).label("day")).group_by(h.c.sku).subquery()
        ends = {
            sku: (day, float(price))
            for sku, day, price in conn.execute(
                select(h.c.sku, h.c.day, h.c.price).join(
                    newest, (h.c.sku == newest.c.sku) & (h.c.day == newest.c.day)
                )
            )
        }
        latest = conn.execute(
            select(g).order_by(g.c.trained_at.desc(), g.c.id.desc()).limit(1)
        ).first()
        global_future = pd.DataFrame(
            conn.execute(
                select(gf.c.ds, gf.c.yhat, gf.c.yhat_lower, gf.c.yhat_upper).where(
                    gf.c.model_id == (latest.id if latest else -1), gf.c.kind == "future"
                )
            ).all(),
            columns=["ds", "yhat", "yhat_lower", "yhat_upper"],
        )
    future_by_sku = dict(tuple(future.groupby("sku")))
    for row in rows:
        path = root / (row.artifact_path or "")
        if not row.artifact_path or not path.is_file():
            bad[row.sku] = "no model file at its path"
            continue
        claims_current = row.history_fingerprint and row.history_fingerprint == current.get(row.sku)
        why = _model_mismatch(
            load_model(path),
            row.train_end,
            future_by_sku.get(row.sku, future.iloc[0:0]),
            ends.get(row.sku) if claims_current else None,
        )
        if why:
            bad[row.sku] = why
    if latest is not None and latest.status == "trained":
        path, meta_path = root / (latest.artifact_path or ""), root / (latest.metadata_path or "")
        if not latest.artifact_path or not path.is_file():
            bad["global"] = "no model file at its path"
        elif not latest.metadata_path or not meta_path.is_file():
            bad["global"] = "no global_metadata.json at its path"
        else:
            metadata = json.loads(meta_path.read_text(encoding="utf-8"))
            why = _model_mismatch(load_model(path), latest.train_end, global_future, None)
            if why:
                bad["global"] = why
            elif metadata.get("model_path") != latest.artifact_path or metadata.get(
                "train_end"
            ) != str(latest.train_end):
                bad["global"] = "global_metadata.json describes another model"
    return bad


def stale_models(engine: Engine) -> list[str]:
    """Products whose model was trained on another history than their current one: after a
    quiet cycle the planner has retrained every one of them, so none should be left."""
    r, h = model_registry, history_fingerprints
    with engine.connect() as conn:
        return sorted(
            conn.execute(
                select(r.c.sku)
                .join(h, h.c.sku == r.c.sku)
                .where(r.c.history_fingerprint.is_distinct_from(h.c.fingerprint))
            ).scalars()
        )


def missing_reports(engine: Engine, root: Path) -> list[str]:
    """Products with a registry row but no PDF report, and missing catalog/global reports."""
    with engine.connect() as conn:
        skus = conn.execute(select(model_registry.c.sku)).scalars().all()
    expected = [artifacts.product_report_path(s) for s in skus]
    expected += [artifacts.CATALOG_REPORT, artifacts.GLOBAL_REPORT]
    return sorted(p for p in expected if not (root / p).is_file())


# --------------------------------------------------------------------------- processes


def parent_of(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def orphan_processes(leaders: list[int]) -> list[tuple[int, str]]:
    """Processes in the servers' sessions that no longer descend from a server: what a killed
    run worker left running (e.g. its process pool)."""
    from procurement_pipeline.local_dagster import session_members

    found = []
    for pid, command in session_members(set(leaders)):
        current: int | None = pid
        while current not in (None, 0, 1) and current not in leaders:
            current = parent_of(current)
        if current not in leaders:
            found.append((pid, command))
    return found


def run_worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The process executing the run (it reported RUN_START), None before it started."""
    events = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    return events[0].dagster_event.pid if events else None


def busy(instance: dg.DagsterInstance) -> bool:
    if instance.get_runs_count(filters=dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES)):
        return True
    return bool(instance.get_backfills(filters=BulkActionsFilter(statuses=IN_PROGRESS_BACKFILL)))


def run_label(run: dg.DagsterRun) -> str:
    if not run.job_name.startswith("__"):
        return run.job_name
    keys = sorted(k.to_user_string() for k in run.asset_selection or ())
    return "+".join(keys) or run.job_name


# --------------------------------------------------------------------------- the soak


@dataclass
class Kill:
    cycle: int
    kind: str  # "run_worker" or "daemon_and_all"
    run: str  # the run the kill was aimed at
    seconds_into_run: float
    # Every run that died: that one, or with the daemon every run then executing.
    run_ids: list[str] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)  # their final statuses


@dataclass
class Cycle:
    index: int
    window: dt.datetime
    faults: bool
    seconds: float = 0.0
    runs: Counter = field(default_factory=Counter)
    scrape: str = ""
    saved: int = 0
    failed: Counter = field(default_factory=Counter)
    reruns: int = 0
    stuck: int = 0
    interrupted: bool = False
    timed_out: bool = False
    kill: Kill | None = None


class Soak:
    """The temporary deployment and what the cycles did to it."""

    def __init__(self, args: argparse.Namespace, root: Path, stack: contextlib.ExitStack):
        self.args, self.root, self.stack = args, root, stack
        self.rng = random.Random(args.seed)
        self.home = root / "dagster_home"
        self.artifact_root = root / "artifacts"
        self.warehouse_url = f"sqlite:///{root / 'warehouse.sqlite'}"
        self.current = {"window": None}
        self.mails: list[bytes] = []
        self.seen: set[ObservationKey] = set()
        self.cycles: list[Cycle] = []
        self.kills: list[Kill] = []
        self.runs_stuck = 0
        self.orphans: list[tuple[int, str]] = []
        self.servers = None
        self._servers_cm = None
        self.instance: dg.DagsterInstance | None = None
        self.engine: Engine | None = None
        self.products: pd.DataFrame | None = None
        self.server_env: dict[str, str] = {}

    # -- setup ----------------------------------------------------------------------------

    def instance_file(self) -> None:
        from procurement_pipeline.defs.instance_setup import initialize_instance

        self.home.mkdir(parents=True)
        config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
        config["run_monitoring"]["max_runtime_seconds"] = self.args.max_runtime
        (self.home / "dagster.yaml").write_text(yaml.safe_dump(config))
        initialize_instance(self.home)

    def seed(self, first_window: dt.datetime) -> None:
        from benchmarks.cycle import write_catalog
        from procurement_pipeline.defs.catalog.assets import product_catalog
        from procurement_pipeline.defs.catalog.resources import CatalogFileResource
        from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
        from procurement_pipeline.lib.scraping.demo_market import (
            demo_windows,
            seed_demo_observations,
        )
        from procurement_pipeline.lib.warehouse import create_warehouse_engine
        from procurement_pipeline.lib.warehouse.catalog import load_products
        from procurement_pipeline.lib.warehouse.prices import replace_demo_observations

        catalog = self.root / "catalog.csv"
        write_catalog(catalog, self.args.products)
        result = dg.materialize(
            [product_catalog],
            instance=self.instance,
            resources={
                "warehouse": WarehouseResource(database_url=self.warehouse_url),
                "artifact_store": ArtifactStoreResource(root=str(self.artifact_root)),
                "catalog_file": CatalogFileResource(),
            },
            run_config=dg.RunConfig({"product_catalog": {"config": {"csv_path": str(catalog)}}}),
        )
        assert result.success
        self.engine = create_warehouse_engine(self.warehouse_url)
        self.products = load_products(self.engine)
        # Demo history up to the window before the first scraped one (the demo asset seeds
        # up to the latest window, which the cycles scrape).
        windows = demo_windows(first_window - WINDOW, self.args.days)
        observations = seed_demo_observations(self.products, windows)
        replace_demo_observations(self.engine, observations, windows[0], windows[-1])
        self.seen |= real_observation_keys(self.engine)

    def env(self, smtp_port: int, market_url: str, key: str) -> dict[str, str]:
        from benchmarks.cycle import HERMETIC_PREFIXES

        env = {k: v for k, v in os.environ.items() if not k.startswith(HERMETIC_PREFIXES)}
        env.update(
            DAGSTER_HOME=str(self.home),
            PROCUREMENT_STATE_DIR=str(self.root),
            DATABASE_URL=self.warehouse_url,
            PROCUREMENT_ARTIFACT_ROOT=str(self.artifact_root),
            PROCUREMENT_LOG_LEVEL="WARNING",
            PROCUREMENT_MARKET="mercadolivre",
            SCRAPERAPI_KEY=key,
            SCRAPERAPI_BASE_URL=market_url,
            SCRAPERAPI_TIMEOUT=str(self.args.client_timeout),
            SCRAPERAPI_MIN_BACKOFF="0.2",
            SCRAPERAPI_MAX_BACKOFF="1",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp_port),
            SMTP_FROM="pipeline@example.com",
            SMTP_DEFAULT_RECIPIENT="comprador@example.com",
            PYTHONUNBUFFERED="1",
        )
        return env

    def start_servers(self) -> None:
        from procurement_pipeline.local_dagster import (
            dagster_servers,
            free_port,
            wait_for_sensor_tick,
            wait_for_webserver,
        )

        self._servers_cm = dagster_servers(
            self.server_env, self.root / "logs", webserver_port=free_port()
        )
        self.servers = self._servers_cm.__enter__()
        wait_for_webserver(self.servers)
        for name in ("history_after_each_scrape", "plan_cycle_after_history"):
            wait_for_sensor_tick(self.instance, name, self.servers)

    def stop_servers(self) -> None:
        if self._servers_cm is not None:
            cm, self._servers_cm = self._servers_cm, None
            cm.__exit__(None, None, None)

    @property
    def leaders(self) -> list[int]:
        return [p.pid for p in self.servers.processes] if self.servers else []

    # -- kills ----------------------------------------------------------------------------

    def kill(self, cycle: Cycle, kind: str, since: float) -> Kill | None:
        """SIGKILL one run of this cycle that is executing (a random one if several)."""
        from procurement_pipeline.local_dagster import session_members

        started = self.instance.get_runs(
            filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED], created_after=_utc(since))
        )
        candidates = sorted(
            ((r, pid) for r in started if (pid := run_worker_pid(self.instance, r.run_id))),
            key=lambda item: item[0].run_id,
        )
        if not candidates:
            return None
        run, pid = self.rng.choice(candidates)
        record = self.instance.get_run_record_by_id(run.run_id)
        into = time.time() - (record.start_time or time.time())
        killed = Kill(cycle.index, kind, run_label(run), round(into, 1), [run.run_id])
        if kind == "run_worker":
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        else:
            executing = self.instance.get_runs(
                filters=dg.RunsFilter(
                    statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
                )
            )
            killed.run_ids = sorted({run.run_id, *(r.run_id for r in executing)})
            victims = session_members(set(self.leaders))
            for member, _ in victims:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signal.SIGKILL)
            self.stop_servers()  # reaps them; nothing is left to stop
            self.start_servers()  # the operator starts `make dev` (daemon + webserver) again
        self.kills.append(killed)
        return killed

    # -- one cycle ------------------------------------------------------------------------

    def launch_scrape(self, request: dg.RunRequest) -> str:
        from procurement_pipeline.local_dagster import launch_through_webserver

        return launch_through_webserver(self.servers, request, "scrape_job")

    def run_cycle(self, cycle: Cycle, kill_kind: str | None, kill_after_s: float) -> bool:
        """One window, scraped as the schedule would, until the automation is quiet. Returns
        whether the requested kill happened (False: the cycle ended first)."""
        from procurement_pipeline.definitions import defs
        from procurement_pipeline.defs.prices.assets import scrape_windows, scraped_prices
        from procurement_pipeline.local_dagster import materialization_id, scheduled_scrape

        self.current["window"] = cycle.window
        tick = (cycle.window + WINDOW).replace(tzinfo=dt.UTC)
        request = scheduled_scrape(self.instance, defs, at=tick)
        start = scrape_windows.time_window_for_partition_key(request.partition_key).start
        assert start.astimezone(dt.UTC).replace(tzinfo=None) == cycle.window, request
        launched = time.time()
        scrape_runs = [self.launch_scrape(request)]
        deadline = time.monotonic() + self.args.cycle_timeout
        idle_since: float | None = None
        while True:
            if kill_kind and cycle.kill is None and time.time() >= launched + kill_after_s:
                cycle.kill = self.kill(cycle, kill_kind, launched)
            self.servers.check_alive()
            scrape = self.instance.get_run_by_id(scrape_runs[-1])
            if scrape.status == dg.DagsterRunStatus.FAILURE and len(scrape_runs) == 1:
                scrape_runs.append(self.launch_scrape(request))  # the operator's re-run
                continue
            settled = None
            if scrape.is_finished and not busy(self.instance):
                if scrape.status == dg.DagsterRunStatus.SUCCESS:
                    event = materialization_id(self.instance, scrape.run_id, scraped_prices.key)
                    settled = cycle_settled(self.instance, event)
                if settled:
                    break
                # No cycle follows (the scrape failed twice, or the history run was killed):
                # over once nothing has happened for a few automation ticks.
                if settled is None and (cycle.kill or scrape.status != dg.DagsterRunStatus.SUCCESS):
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since > IDLE_AFTER_INTERRUPTION_S:
                        cycle.interrupted = True
                        break
            else:
                idle_since = None
            if time.monotonic() > deadline:
                cycle.timed_out = True
                cycle.stuck = self.mark_stuck(launched)
                break
            time.sleep(1)
        cycle.seconds = time.time() - launched
        cycle.reruns = len(scrape_runs) - 1
        cycle.scrape = self.instance.get_run_by_id(scrape_runs[-1]).status.value
        runs = self.instance.get_runs(filters=dg.RunsFilter(created_after=_utc(launched)))
        cycle.runs = Counter(r.status.value for r in runs)
        with self.engine.connect() as conn:
            t = scrape_attempts
            outcomes = conn.execute(
                select(t.c.outcome, t.c.reason, func.count())
                .where(t.c.window_start == cycle.window)
                .group_by(t.c.outcome, t.c.reason)
            ).all()
        cycle.saved = sum(n for outcome, _r, n in outcomes if outcome == "saved")
        cycle.failed = Counter({r: n for outcome, r, n in outcomes if outcome != "saved"})
        self.seen |= real_observation_keys(self.engine)
        # A killed run worker's own children (its training pool) outlive it: count them, and
        # stop them (they are ours) so they do not weigh on the next cycles.
        for pid, command in orphan_processes(self.leaders):
            print(f"  orphan process {pid} after cycle {cycle.index + 1}: {command[:120]}")
            self.orphans.append((pid, command))
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return cycle.kill is not None

    def mark_stuck(self, since: float) -> int:
        """The operator's way out of a cycle that never ends: every run still in progress is
        marked failed by hand (each one counts as stuck)."""
        stuck = self.instance.get_runs(
            filters=dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES, created_after=_utc(since))
        )
        for run in stuck:
            print(
                f"  STUCK {run.run_id} {run.status.value} {run_label(run)}: marked failed by hand"
            )
            self.instance.report_run_failed(run)
        self.runs_stuck += len(stuck)
        return len(stuck)


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def print_cycle(cycle: Cycle, total: int, lost: int) -> None:
    kill = ""
    if cycle.kill:
        k = cycle.kill
        kill = f" | killed {k.kind} of {k.run} {k.seconds_into_run:.0f} s in"
    failed = sum(cycle.failed.values())
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(cycle.failed.items()))
    runs = ", ".join(f"{s} {n}" for s, n in sorted(cycle.runs.items()))
    label = "soak" if cycle.faults else "baseline"
    print(
        f"{label} cycle {cycle.index + 1}/{total} window {cycle.window:%Y-%m-%d %H:%M}: "
        f"scrape {cycle.scrape}{f' after {cycle.reruns} re-run' if cycle.reruns else ''}, "
        f"{cycle.saved} saved, {failed} failed ({reasons}); runs {runs}; "
        f"{cycle.seconds:.0f} s{' (chain interrupted)' if cycle.interrupted else ''}"
        f"{f', {cycle.stuck} stuck' if cycle.stuck else ''}"
        f"{' TIMED OUT' if cycle.timed_out else ''}; lost so far {lost}{kill}"
    )


def kill_plan(rng: random.Random, cycles: int, every: int) -> dict[int, str]:
    """Soak cycle -> kind of kill: one cycle per block of ``every``, never a block's last
    (the cycle after the kill repairs), kinds alternating from a random first one."""
    kinds = ["run_worker", "daemon_and_all"]
    rng.shuffle(kinds)
    plan = {}
    for n, block in enumerate(range(0, cycles, every)):
        last = min(block + every, cycles) - 1
        if last > block:
            plan[rng.randint(block, last - 1)] = kinds[n % 2]
    return plan


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--products", type=int, default=300)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--fault-share", type=float, default=0.2)
    parser.add_argument("--kill-every", type=int, default=5)
    parser.add_argument("--baseline-cycles", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    parser.add_argument("--client-timeout", type=float, default=2.0, help="SCRAPERAPI_TIMEOUT")
    parser.add_argument("--days", type=int, default=60, help="demo history before the soak")
    parser.add_argument("--max-runtime", type=int, default=300, help="run monitoring limit")
    parser.add_argument("--cycle-timeout", type=float, default=1800.0)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from procurement_pipeline.defs.prices.assets import scrape_windows
    from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
    from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer
    from procurement_pipeline.local_dagster import free_port

    started = time.time()
    root = Path(tempfile.mkdtemp(prefix="procurement-soak-"))
    stack = contextlib.ExitStack()
    soak = Soak(args, root, stack)

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            soak.mails.append(envelope.content)
            return "250 OK"

    total = args.baseline_cycles + args.cycles
    last = scrape_windows.get_last_partition_window().start.astimezone(dt.UTC)
    last = last.replace(tzinfo=None)
    windows = [last - (total - 1 - n) * WINDOW for n in range(total)]
    plan = kill_plan(soak.rng, args.cycles, args.kill_every)
    share = args.fault_share / 4
    faults = [
        Fault(status=429, probability=share),
        Fault(status=500, probability=share),
        Fault(delay_s=args.client_timeout + 1.0, probability=share),  # no answer in time
        Fault(challenge=True, probability=share),
    ]
    smtp = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    try:
        soak.instance_file()
        soak.instance = stack.enter_context(dg.DagsterInstance.from_config(str(soak.home)))
        soak.seed(windows[0])
        key = "soak-local-key"
        pages = DemoMarketPages.from_products(
            soak.products, window_start=lambda: soak.current["window"]
        )
        market = stack.enter_context(
            ScraperAPIServer(pages, api_key=key, latency_s=args.latency, seed=args.seed)
        )
        soak.server_env = soak.env(smtp.port, market.base_url, key)
        stack.callback(soak.stop_servers)
        soak.start_servers()
        print(
            f"seeded {args.products} products x {args.days} days; {args.baseline_cycles} "
            f"baseline + {args.cycles} soak cycles, kills in soak cycles "
            f"{ {k + 1: v for k, v in sorted(plan.items())} } (seed {args.seed})"
        )
        queued_kills: list[str] = []  # planned kills not done yet (a cycle ended first)
        for n, window in enumerate(windows):
            soak_index = n - args.baseline_cycles
            cycle = Cycle(n, window, faults=soak_index >= 0)
            if soak_index == 0:
                for fault in faults:
                    market.add_fault(fault)
            if soak_index in plan:
                queued_kills.append(plan[soak_index])
            kind = queued_kills[0] if queued_kills else None
            baseline_s = [c.seconds for c in soak.cycles if not c.kill] or [120.0]
            kill_after = soak.rng.uniform(0, statistics.median(baseline_s)) if kind else 0.0
            killed = soak.run_cycle(cycle, kind, kill_after)
            if killed:
                queued_kills.pop(0)
            soak.cycles.append(cycle)
            print_cycle(cycle, total, len(lost_observations(soak.seen, soak.engine)))

        # The end: the last cycle is quiet; what is left behind?
        still_running = soak.mark_stuck(started)
        runs = soak.instance.get_runs()
        statuses = Counter(r.status.value for r in runs)
        by_id = {r.run_id: r for r in runs}
        killed_ids = {run_id for k in soak.kills for run_id in k.run_ids}
        for k in soak.kills:
            k.outcomes = [by_id[run_id].status.value for run_id in k.run_ids]
        failed = [r for r in runs if r.status == dg.DagsterRunStatus.FAILURE]
        unexpected = [r for r in failed if r.run_id not in killed_ids]
        for run in unexpected:
            print(f"  failed (not killed): {run.run_id} {run_label(run)}")
        lost = lost_observations(soak.seen, soak.engine)
        duplicates = duplicate_rows(soak.engine)
        files = check_artifacts(soak.engine, soak.artifact_root)
        for path in files.orphans + files.missing:
            print(f"  orphan/missing file: {path}")
        mismatched = mismatched_models(soak.engine, soak.artifact_root)
        for name, why in sorted(mismatched.items())[:20]:
            print(f"  mismatched model {name}: {why}")
        stale = stale_models(soak.engine)
        no_report = missing_reports(soak.engine, soak.artifact_root)
        subjects = [
            str(email.message_from_bytes(m, policy=email.policy.default)["Subject"])
            for m in soak.mails
        ]
        requests = market.request_count
        injected = {
            name: f.hits
            for name, f in zip(("429", "500", "timeout", "challenge"), faults, strict=True)
        }
    finally:
        stack.close()
        smtp.stop()
        if soak.engine is not None:
            soak.engine.dispose()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    baseline = [c.seconds for c in soak.cycles if not c.faults]
    clean = [c.seconds for c in soak.cycles if c.faults and not c.kill]
    with_kill = [c.seconds for c in soak.cycles if c.kill]

    def median(values: list[float]) -> float | None:
        return round(statistics.median(values), 1) if values else None

    figures = {
        "cycles": args.cycles,
        "baseline_cycles": args.baseline_cycles,
        "products": args.products,
        "seed": args.seed,
        "fault_share": args.fault_share,
        "runs_failed": len(failed),
        "runs_stuck": soak.runs_stuck,
        "observations_lost": len(lost),
        "duplicate_rows": sum(duplicates.values()),
        "orphan_files": len(files.orphans) + len(files.missing),
        "mismatched_models": len(mismatched),
        "runs_failed_not_killed": len(unexpected),
        "runs_still_in_progress_at_end": still_running,
        "orphan_processes": len(soak.orphans),
        "stale_models": len(stale),
        "missing_reports": len(no_report),
        "unreferenced_awaiting_sweep": len(files.awaiting_sweep),
        "duplicate_rows_by_table": {k: v for k, v in duplicates.items() if v},
        "kills": [k.__dict__ for k in soak.kills],
        "kills_not_done": queued_kills,
        "runs": len(runs),
        "run_statuses": dict(statuses),
        "window_reruns": sum(c.reruns for c in soak.cycles),
        "chains_interrupted": sum(c.interrupted for c in soak.cycles),
        "cycles_timed_out": sum(c.timed_out for c in soak.cycles),
        "products_failed_per_soak_window": median(
            [sum(c.failed.values()) for c in soak.cycles if c.faults]
        ),
        "requests": requests,
        "requests_failed_by_injection": injected,
        "observations_checked": len(soak.seen),
        "emails": {
            "retraining": sum(s.startswith("Previsões de preços") for s in subjects),
            "opportunity": sum(s.startswith("[OPORTUNIDADE]") for s in subjects),
            "alert": sum(s.startswith("[ALERTA]") for s in subjects),
            "total": len(subjects),
        },
        "baseline_s_per_cycle": median(baseline),
        "soak_s_per_cycle": median(clean),
        "soak_s_per_cycle_with_kill": median(with_kill),
        "soak_vs_baseline_s_per_cycle": round(median(clean) / median(baseline), 2)
        if clean and baseline
        else None,
        "total_s": round(time.time() - started, 1),
        "targets": {
            k: 0
            for k in (
                "runs_stuck",
                "observations_lost",
                "duplicate_rows",
                "orphan_files",
                "mismatched_models",
            )
        },
    }
    print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    run_quietly(main)
