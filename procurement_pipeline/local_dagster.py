"""The Dagster daemon (and webserver) on a local instance, driven from Python: what `make run`,
the cycle benchmark and the end-to-end tests use to let the real automation do its work.

Each server starts in its own session (a server started from a non-interactive shell ignores
SIGINT/SIGTERM otherwise, see DESIGN.md "Known traps"), so stopping it stops its code servers
and run workers too. `wait_until_quiet` watches the instance until the automation cycle that
followed an event has finished and nothing is queued or running.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
from dagster._core.execution.backfill import BulkActionsFilter
from dagster._core.scheduler.instigation import InstigatorType, TickStatus
from dagster._core.storage.dagster_run import IN_PROGRESS_RUN_STATUSES
from dagster._core.storage.tags import PARTITION_NAME_TAG

from procurement_pipeline.defs.automation.cycle_state import IN_PROGRESS_BACKFILL, cycle_settled
from procurement_pipeline.lib import clock

BIN = Path(sys.executable).parent
REPO_ROOT = Path(__file__).resolve().parents[1]
WORKSPACE = REPO_ROOT / "workspace.yaml"
SCRAPE_SCHEDULE = "scrape_every_8_hours"
# Read by Dagster in whichever process creates a run (the daemon for backfills): one
# ASSET_MATERIALIZATION_PLANNED event per asset for a run over a range of product partitions
# instead of one per partition. Measured: a backfill run of 500 products took ~70 s to submit
# on the SQLite instance. And in the run workers: a step's per-partition asset events reach the
# storage as one batch (instance_storage.py). Also set by the Makefile and the Docker image.
DAGSTER_PROCESS_ENV = {
    "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS": "1",
    "DAGSTER_EVENT_BATCH_SIZE": "2000",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def session_members(session_ids: set[int]) -> list[tuple[int, str]]:
    """Live processes (pid, command) whose session is one of ``session_ids``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            state, sid = fields[0], int(fields[3])
            if sid in session_ids and state != "Z":
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
                found.append((int(entry.name), cmd))
        except (OSError, ValueError):
            continue
    return found


def stop_sessions(processes: list[subprocess.Popen], timeout: float = 20) -> None:
    """SIGTERM each session, SIGKILL what is left after ``timeout``, reap the leaders."""
    sessions = {p.pid for p in processes}
    for process in processes:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while session_members(sessions) and time.monotonic() < deadline:
        for process in processes:
            process.poll()
        time.sleep(0.2)
    for pid, _ in session_members(sessions):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)


@dataclass
class Servers:
    processes: list[subprocess.Popen]
    logs: Path
    url: str | None = None

    def log_tail(self, name: str, chars: int = 4000) -> str:
        path = self.logs / f"{name}.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"

    def check_alive(self) -> None:
        for process in self.processes:
            if process.poll() is not None:
                name = Path(process.args[0]).name
                raise RuntimeError(f"{name} exited ({process.returncode}):\n{self.log_tail(name)}")


@contextlib.contextmanager
def dagster_servers(
    env: Mapping[str, str], logs: Path, *, webserver_port: int | None = None
) -> Iterator[Servers]:
    """dagster-daemon (and dagster-webserver on ``webserver_port``) over ``workspace.yaml``
    with ``env`` (which names DAGSTER_HOME); every process they started is gone on exit."""
    logs.mkdir(parents=True, exist_ok=True)
    commands = {"dagster-daemon": [str(BIN / "dagster-daemon"), "run", "-w", str(WORKSPACE)]}
    if webserver_port is not None:
        commands["dagster-webserver"] = [
            str(BIN / "dagster-webserver"),
            *("-w", str(WORKSPACE), "-h", "127.0.0.1", "-p", str(webserver_port)),
        ]
    env = {**DAGSTER_PROCESS_ENV, **env}
    processes: list[subprocess.Popen] = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=REPO_ROOT,
                        env=dict(env),
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,
                    )
                )
        url = f"http://127.0.0.1:{webserver_port}" if webserver_port is not None else None
        yield Servers(processes, logs, url)
    finally:
        sessions = {p.pid for p in processes}
        stop_sessions(processes)
        left = session_members(sessions)
        if left:
            raise RuntimeError(f"processes left behind: {left}")


def wait_for_webserver(servers: Servers, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        servers.check_alive()
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{servers.url}/server_info", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    raise TimeoutError(f"webserver never answered:\n{servers.log_tail('dagster-webserver')}")


def sensor_ticked(instance: dg.DagsterInstance, sensor_name: str) -> bool:
    """Whether the daemon has finished at least one tick of ``sensor_name``."""
    for state in instance.all_instigator_state(instigator_type=InstigatorType.SENSOR):
        if state.instigator_name != sensor_name:
            continue
        ticks = instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=5)
        if any(t.status != TickStatus.STARTED for t in ticks):
            return True
    return False


def wait_for_sensor_tick(
    instance: dg.DagsterInstance, sensor_name: str, servers: Servers, timeout: float = 180
) -> None:
    """Declarative automation ignores what happened before its first evaluation: wait for it."""
    deadline = time.monotonic() + timeout
    while not sensor_ticked(instance, sensor_name):
        servers.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"sensor {sensor_name} never ticked:\n{servers.log_tail('dagster-daemon')}"
            )
        time.sleep(1)


@dataclass
class Quiet:
    """What ran between the start of the wait and the moment nothing was left to do."""

    runs: list[dg.DagsterRun] = field(default_factory=list)
    backfills: list = field(default_factory=list)
    waited_s: float = 0.0
    last_run_end: float | None = None


def _busy(instance: dg.DagsterInstance) -> bool:
    if instance.get_runs_count(filters=dg.RunsFilter(statuses=IN_PROGRESS_RUN_STATUSES)):
        return True
    return bool(instance.get_backfills(filters=BulkActionsFilter(statuses=IN_PROGRESS_BACKFILL)))


def wait_until_quiet(
    instance: dg.DagsterInstance,
    after_storage_id: int,
    *,
    since: float,
    servers: Servers | None = None,
    timeout: float = 3600,
    poll_s: float = 2.0,
    on_run_finished: Callable[[dg.DagsterRun], None] | None = None,
    already_reported: set[str] | None = None,
) -> Quiet:
    """Wait until the automation cycle that followed the event ``after_storage_id`` (a scrape
    window's materialization) has finished and no run or backfill is in progress; report each
    run created after ``since`` (a timestamp) as it finishes."""
    started = time.monotonic()
    reported: set[str] = set(already_reported or ())
    while True:
        if servers is not None:
            servers.check_alive()
        runs = instance.get_runs(filters=dg.RunsFilter(created_after=_utc(since)), ascending=True)
        for run in runs:
            if run.is_finished and run.run_id not in reported:
                reported.add(run.run_id)
                if on_run_finished is not None:
                    on_run_finished(run)
        if cycle_settled(instance, after_storage_id) and not _busy(instance):
            records = instance.get_run_records(filters=dg.RunsFilter(created_after=_utc(since)))
            ends = [r.end_time for r in records if r.end_time]
            backfills = [
                b
                for b in instance.get_backfills(
                    filters=BulkActionsFilter(created_after=_utc(since))
                )
            ]
            return Quiet(
                runs=[r.dagster_run for r in records],
                backfills=backfills,
                waited_s=time.monotonic() - started,
                last_run_end=max(ends) if ends else None,
            )
        if time.monotonic() - started > timeout:
            tail = servers.log_tail("dagster-daemon") if servers else ""
            raise TimeoutError(f"automation not quiet after {timeout:.0f} s\n{tail}")
        time.sleep(poll_s)


def _utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def scheduled_scrape(
    instance: dg.DagsterInstance, defs: dg.Definitions, at: dt.datetime | None = None
) -> dg.RunRequest:
    """The run request `scrape_every_8_hours` makes at its tick ``at`` (default: now): the
    window that just closed, with the schedule's tags."""
    context = dg.build_schedule_context(
        instance=instance, scheduled_execution_time=at or clock.now()
    )
    schedule = defs.resolve_schedule_def(SCRAPE_SCHEDULE)
    (request,) = schedule.evaluate_tick(context).run_requests
    return request


def materialization_id(instance: dg.DagsterInstance, run_id: str, key: dg.AssetKey) -> int:
    """The storage id of the materialization of ``key`` by run ``run_id``, in the asset index
    (what sensors' cursors and fetch_materializations use: on the SQLite instance the ids of
    get_records_for_run are per-run-shard ids and compare with nothing else)."""
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=key), limit=100, ascending=False
    ).records
    for record in records:
        if record.run_id == run_id:
            return record.storage_id
    raise LookupError(f"run {run_id} has no materialization of {key.to_user_string()}")


def launch_through_webserver(servers: Servers, request: dg.RunRequest, job_name: str) -> str:
    """Submit ``request`` to the webserver (GraphQL), as the daemon submits a schedule's run:
    queued, then launched by the run coordinator. Returns the run id."""
    from dagster_graphql import DagsterGraphQLClient

    port = int(str(servers.url).rsplit(":", 1)[1])
    client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=120)
    tags = dict(request.tags)
    if request.partition_key:
        tags[PARTITION_NAME_TAG] = request.partition_key
    return client.submit_job_execution(job_name, run_config={}, tags=tags)
