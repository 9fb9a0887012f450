"""A crashed run never stays STARTED and never blocks the next scrape (issue 13, item 2).

Every instance file in the repository enables run monitoring (checked below, and the two with
the default run launcher are loaded by Dagster). Then for real, in the production topology: a
user-code gRPC server (`dagster api grpc`, like the compose `user-code` service) serving the
real scrape job, a `dagster-daemon` loading it through a grpc_server workspace, on a temporary
DAGSTER_HOME built from the repository's dagster.yaml (only the monitoring poll interval and the
delay before a dead run's pool slots are freed are shortened, so the test takes minutes, not
ten), runs launched with `dagster job launch` through the queued run coordinator, and a local
ScraperAPI-protocol server that holds every request of a window so its run is caught
mid-scrape:

1. the run worker (and its step process) is killed with SIGKILL: the code server reports the
   run failed, the daemon frees the `scraperapi` pool slot the dead step still held, and the
   next window's run, with the same `procurement/scraping` tag and pool, starts and succeeds;
2. the run worker, its step process and the code server are all killed, and the code server is
   started again (a restart of the user-code container while a run was going): nobody is left
   to report the run, so the daemon's run monitoring fails it (per-run `dagster/max_runtime`
   here; the instance-wide limit is hours), and the next window's run starts and succeeds.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import pytest
import yaml

from procurement_pipeline.defs.instance_setup import initialize_instance
from procurement_pipeline.defs.prices.assets import SCRAPING_TAG
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.local_dagster import free_port, session_members, stop_sessions
from procurement_pipeline_tests.conftest import (
    MYSQL_HOST,
    MYSQL_PASSWORD,
    MYSQL_PORT,
    MYSQL_USER,
    REPO_ROOT,
    _mysql_connect,
)
from procurement_pipeline_tests.defs.prices.support import (
    clean_window,
    load_catalog,
    partition_key,
)

BIN = Path(sys.executable).parent
LOCATION = "scrape_location"
LOCATION_MODULE = "procurement_pipeline_tests.deploy.scrape_location"
KEY = "test-key-5c0a77e1"
HERMETIC_PREFIXES = (
    "PROCUREMENT_",
    "DATABASE_URL",
    "SCRAPERAPI_",
    "SCRAPING_",
    "SMTP_",
    "DAGSTER_",
)
# Instance files and their run launcher: only Docker and Kubernetes can resume a run.
INSTANCE_FILES = {
    "dagster.yaml": "DefaultRunLauncher",  # embedded default (no run_launcher: the default)
    "deploy/dagster.yaml": "DefaultRunLauncher",
    "deploy/dagster.docker.yaml": "DockerRunLauncher",
    "deploy/dagster.k8s.yaml": "K8sRunLauncher",
}
SCRAPE_PERIOD_S = 8 * 3600
# The only settings the daemon test shortens (seconds instead of a minute or two).
FAST_MONITORING = {"poll_interval_seconds": 2, "free_slots_after_run_end_seconds": 3}
IN_PROGRESS = {
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
}


# --------------------------------------------------------------------------- the files


def load_config(relative: str, monkeypatch, tmp_path: Path) -> dict:
    """The file validated by Dagster's own instance schema, as the instance would read it."""
    from dagster._core.instance.config import dagster_instance_config

    for name in ("USER", "PASSWORD", "HOST", "DB"):
        monkeypatch.setenv(f"DAGSTER_MYSQL_{name}", "x")
    monkeypatch.setenv("DAGSTER_MYSQL_PORT", "3306")
    home = tmp_path / relative.replace("/", "_")
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / relative).read_text())
    config, _ = dagster_instance_config(str(home))
    return config


@pytest.mark.parametrize(("relative", "launcher"), sorted(INSTANCE_FILES.items()))
def test_every_instance_file_enables_run_monitoring(relative, launcher, monkeypatch, tmp_path):
    config = load_config(relative, monkeypatch, tmp_path)
    assert config.get("run_launcher", {}).get("class", "DefaultRunLauncher") == launcher
    monitoring = config.get("run_monitoring") or {}
    assert monitoring.get("enabled") is True, relative
    for key in ("start_timeout_seconds", "cancel_timeout_seconds", "poll_interval_seconds"):
        assert monitoring.get(key, 0) > 0, (relative, key)
    assert monitoring["poll_interval_seconds"] <= 60
    # A killed run's pool slot ("scraperapi") is freed, soon: else the next scrape waits on it.
    assert 0 < monitoring.get("free_slots_after_run_end_seconds", 0) <= 300
    # A run nobody can health-check (default launcher, dead code server) still ends, before
    # the next scrape window is due.
    assert 0 < monitoring.get("max_runtime_seconds", 0) < SCRAPE_PERIOD_S
    # A launch the code location was not ready for (a code server still starting after a
    # restart) goes back to the queue a few times, a while apart, instead of failing the run.
    queue = config.get("run_queue") or {}
    assert 1 <= queue.get("max_user_code_failure_retries", 0) <= 5, relative
    assert queue.get("user_code_failure_retry_delay", 0) >= 10, relative
    resumes = monitoring.get("max_resume_run_attempts")
    if launcher == "DefaultRunLauncher":
        assert resumes == 0  # it cannot resume: anything else fails the instance at load
    else:
        assert resumes is not None and 1 <= resumes <= 3


def test_the_embedded_instance_loads_with_monitoring(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.run_monitoring_enabled
        assert instance.run_monitoring_max_resume_run_attempts == 0
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        # What the queue daemon reads: the retries and the concurrency limits side by side.
        queue = instance.get_concurrency_config().run_queue_config
        assert queue.max_user_code_failure_retries == 3
        assert queue.user_code_failure_retry_delay == 30
        assert queue.max_concurrent_runs == 4


@pytest.mark.mysql
def test_the_production_instance_loads_with_monitoring(mysql_server, tmp_path, monkeypatch):
    import uuid

    name = f"pp_dagster_{uuid.uuid4().hex[:10]}"
    conn = _mysql_connect()
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "deploy" / "dagster.yaml").read_text())
    for key, value in {
        "HOST": MYSQL_HOST,
        "PORT": str(MYSQL_PORT),
        "USER": MYSQL_USER,
        "PASSWORD": MYSQL_PASSWORD,
        "DB": name,
    }.items():
        monkeypatch.setenv(f"DAGSTER_MYSQL_{key}", value)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            assert type(instance.run_storage).__name__ == "MySQLRunStorage"
            assert instance.run_monitoring_enabled
            assert instance.run_monitoring_max_resume_run_attempts == 0
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


# --------------------------------------------------------------------------- the daemon


@dataclass
class Stack:
    root: Path
    home: Path
    workspace: Path
    env: dict[str, str]
    server: ScraperAPIServer
    windows: list[datetime]
    instance: dg.DagsterInstance
    processes: list[subprocess.Popen]
    grpc_port: int

    @property
    def daemon_log(self) -> Path:
        return self.root / "daemon.log"

    def start_code_server(self) -> subprocess.Popen:
        """The user-code server, in its own session (as its own container would be)."""
        with (self.root / "code_server.log").open("ab") as log:
            process = subprocess.Popen(
                [
                    str(BIN / "dagster"),
                    *("api", "grpc", "-m", LOCATION_MODULE, "--location-name", LOCATION),
                    *("-h", "127.0.0.1", "-p", str(self.grpc_port)),
                ],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.processes.append(process)
        deadline = time.monotonic() + 120
        while True:
            check = subprocess.run(
                [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(self.grpc_port)],
                env=self.env,
                capture_output=True,
            )
            if check.returncode == 0:
                return process
            if process.poll() is not None or time.monotonic() > deadline:
                log = log_tail(self.root / "code_server.log")
                pytest.fail(f"code server did not start:\n{log}")
            time.sleep(1)


def log_tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


def parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            with contextlib.suppress(OSError, ValueError, IndexError):
                if parent_of(int(entry.name)) == current:
                    found.append(int(entry.name))
                    todo.append(int(entry.name))
    return found


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("stuck_runs")
    home = root / "dagster_home"
    home.mkdir()
    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    config.setdefault("run_monitoring", {}).update(FAST_MONITORING)  # never `enabled`
    (home / "dagster.yaml").write_text(yaml.safe_dump(config))
    initialize_instance(home)  # what the Makefile does before anything opens the home

    warehouse_url = f"sqlite:///{root / 'warehouse.sqlite'}"
    engine = create_warehouse_engine(warehouse_url)
    migrate(engine)
    products = load_catalog(engine, 4)
    engine.dispose()
    windows = [clean_window(products)]
    while len(windows) < 4:
        windows.append(clean_window(products, windows[-1] + timedelta(hours=8)))
    grpc_port = free_port()
    workspace = root / "workspace.yaml"
    workspace.write_text(
        yaml.safe_dump(
            {
                "load_from": [
                    {
                        "grpc_server": {
                            "host": "127.0.0.1",
                            "port": grpc_port,
                            "location_name": LOCATION,
                        }
                    }
                ]
            }
        )
    )
    # The page of whichever window is being scraped: the current run's partition.
    current = {"window": windows[0]}
    pages = DemoMarketPages.from_products(products, window_start=lambda: current["window"])
    server = ScraperAPIServer(pages, api_key=KEY).start()
    server.current = current  # type: ignore[attr-defined]
    env = {k: v for k, v in os.environ.items() if not k.startswith(HERMETIC_PREFIXES)}
    env.update(
        DAGSTER_HOME=str(home),
        PROCUREMENT_STATE_DIR=str(root),
        DATABASE_URL=warehouse_url,
        PROCUREMENT_ARTIFACT_ROOT=str(root / "artifacts"),
        PROCUREMENT_MARKET="mercadolivre",
        SCRAPERAPI_KEY=KEY,
        SCRAPERAPI_BASE_URL=server.base_url,
        SCRAPERAPI_TIMEOUT="600",  # the held request never times out on its own
        SCRAPERAPI_MAX_ATTEMPTS="1",
        SCRAPERAPI_CONCURRENCY="4",
        PROCUREMENT_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    processes: list[subprocess.Popen] = []
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:
            stack = Stack(
                root, home, workspace, env, server, windows, instance, processes, grpc_port
            )
            stack.start_code_server()
            with (root / "daemon.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        [str(BIN / "dagster-daemon"), "run", "-w", str(workspace)],
                        cwd=REPO_ROOT,
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
            yield stack
    finally:
        sessions = {p.pid for p in processes}
        stop_sessions(processes)
        left = session_members(sessions)
        server.stop()
        assert not left, f"processes left behind: {left}"


def launch(stack: Stack, window: datetime, **tags: str) -> str:
    """`dagster job launch` of the scrape job for one window: queued, the daemon starts it."""
    before = {r.run_id for r in stack.instance.get_runs()}
    stack.server.current["window"] = window  # type: ignore[attr-defined]
    result = subprocess.run(
        [
            str(BIN / "dagster"),
            *("job", "launch", "-w", str(stack.workspace), "-j", "scrape_job"),
            *("--tags", json.dumps({"dagster/partition": partition_key(window), **tags})),
        ],
        cwd=REPO_ROOT,
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    (run_id,) = {r.run_id for r in stack.instance.get_runs()} - before
    run = stack.instance.get_run_by_id(run_id)
    assert SCRAPING_TAG.items() <= run.tags.items()  # the tag the instance limits to one
    return run_id


def wait_for(stack: Stack, run_id: str, statuses: set, timeout: float, *, mid_scrape=False):
    deadline = time.monotonic() + timeout
    while True:
        run = stack.instance.get_run_by_id(run_id)
        caught = not mid_scrape or stack.server.max_in_flight > 0
        if run.status in statuses and caught:
            return run
        if time.monotonic() > deadline:
            pytest.fail(
                f"run {run_id} is {run.status.value} after {timeout:.0f} s, wanted "
                f"{sorted(s.value for s in statuses)}; scraperapi pool: "
                f"{stack.instance.event_log_storage.get_concurrency_info('scraperapi')}\n"
                f"--- daemon ---\n{log_tail(stack.daemon_log)}"
            )
        time.sleep(0.5)


def run_worker_pid(stack: Stack, run_id: str) -> int:
    """The process that executes the run (it reported RUN_START)."""
    (event,) = stack.instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_START)
    return event.dagster_event.pid


def catch_mid_scrape(stack: Stack, window: datetime, **tags: str) -> tuple[str, int]:
    """Launches the window with its first request held by the server; returns once the run
    is STARTED and waiting on that request: (run id, run worker pid)."""
    stack.server.clear_faults()
    stack.server.reset_log()
    stack.server.add_fault(Fault(delay_s=3600))  # every request of this run hangs
    run_id = launch(stack, window, **tags)
    wait_for(stack, run_id, {dg.DagsterRunStatus.STARTED}, 180, mid_scrape=True)
    return run_id, run_worker_pid(stack, run_id)


def next_window_runs(stack: Stack, window: datetime) -> None:
    """The next window, same tag and pool, on a healthy market: it starts and succeeds."""
    stack.server.clear_faults()
    run_id = launch(stack, window)
    run = wait_for(stack, run_id, {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE}, 120)
    assert run.status == dg.DagsterRunStatus.SUCCESS, log_tail(stack.daemon_log)
    (materialization,) = [
        e
        for e in stack.instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
    ]
    assert materialization.dagster_event.partition == partition_key(window)
    assert not stack.instance.event_log_storage.get_concurrency_info("scraperapi").claimed_slots


@pytest.mark.slow
@pytest.mark.xdist_group("dagster_servers")
def test_killed_run_worker_fails_the_run_and_frees_its_pool_slot(stack):
    run_id, worker = catch_mid_scrape(stack, stack.windows[0])
    step_processes = descendants(worker)
    assert step_processes  # the multiprocess executor runs the step in a child process
    for pid in [worker, *step_processes]:
        os.kill(pid, signal.SIGKILL)

    run = wait_for(stack, run_id, {dg.DagsterRunStatus.FAILURE}, 60)
    assert run.status == dg.DagsterRunStatus.FAILURE
    # The killed step never released its "scraperapi" slot itself; the daemon frees it and the
    # next window's scrape starts and succeeds.
    next_window_runs(stack, stack.windows[1])


@pytest.mark.slow
@pytest.mark.xdist_group("dagster_servers")
def test_run_whose_code_server_died_too_is_failed_by_the_daemon(stack):
    # The limit counts from the run's start; it has to outlast the step's start-up (a new
    # process importing the project) on a loaded machine.
    run_id, worker = catch_mid_scrape(stack, stack.windows[2], **{"dagster/max_runtime": "90"})
    code_server = parent_of(worker)
    assert b"api\0grpc" in Path(f"/proc/{code_server}/cmdline").read_bytes()  # the code server
    victims = [worker, *descendants(worker), code_server]
    for pid in victims:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    killed_at = time.monotonic()
    stack.start_code_server()  # the container comes back, without any memory of the run

    # Nothing reports this run any more; run monitoring fails it once over its max runtime.
    run = wait_for(stack, run_id, {dg.DagsterRunStatus.FAILURE}, 150)
    assert run.status == dg.DagsterRunStatus.FAILURE
    assert time.monotonic() - killed_at < 150
    messages = [e.message or "" for e in stack.instance.all_logs(run_id)]
    assert any("maximum runtime" in m for m in messages), messages[-5:]
    next_window_runs(stack, stack.windows[3])
