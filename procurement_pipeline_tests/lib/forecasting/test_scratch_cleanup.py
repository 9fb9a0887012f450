"""Training leaves nothing in the temp folder (issue 13, item 11).

Each run happens in a fresh Python process, as a Dagster run or step does: the in-process test
runner has cmdstanpy imported already, and forked workers inherit it, which hides what a fresh
process does (cmdstanpy creates its temp folder at import, and a pool worker never runs the
``atexit`` hook that removes it). A killed run is killed for real (SIGKILL of its process
group, workers included), and a live one is a real process still training.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from procurement_pipeline.lib.forecasting import ModelSettings, train_many
from procurement_pipeline.lib.forecasting.model import quiet_stan_logging
from procurement_pipeline_tests.conftest import REPO_ROOT
from tools.model_tuning import synthetic_price_series

SCRATCH = "procurement-forecast-"

NORMAL_RUN = """
from procurement_pipeline.lib.forecasting import train_many
from tools.model_tuning import synthetic_price_series

items = [(f"SKU-{i}", synthetic_price_series("weekly", n_days=70, seed=i)) for i in range(4)]
for workers in (2, 1):
    results = list(train_many(items, workers=workers, chunk_size=1))
    assert [r.status for r in results] == ["trained"] * 4, [r.reason for r in results]
print("done")
"""

# Trains until killed: an endless stream of series over two worker processes.
ENDLESS_RUN = """
import itertools
from procurement_pipeline.lib.forecasting import train_many
from tools.model_tuning import synthetic_price_series

items = (
    (f"SKU-{i}", synthetic_price_series("weekly", n_days=70, seed=i % 50))
    for i in itertools.count()
)
for result in train_many(items, workers=2, chunk_size=1):
    print(result.sku, result.status, flush=True)
"""


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, "TMPDIR": str(tmp), "PYTHONPATH": str(REPO_ROOT)}


def scratch_dirs(tmp: Path) -> set[str]:
    return {p.name for p in tmp.iterdir() if p.name.startswith(SCRATCH)}


@contextlib.contextmanager
def training_process(tmp: Path, log: Path) -> Iterator[subprocess.Popen]:
    """A fresh interpreter training endlessly, in its own process group; killed at the end."""
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", ENDLESS_RUN],
            cwd=REPO_ROOT,
            env=_env(tmp),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield process
    finally:
        kill_group(process)


def kill_group(process: subprocess.Popen) -> None:
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def wait_for_training(tmp: Path, log: Path, known: set[str], timeout: float = 120) -> str:
    """The scratch folder of a new run, once that run has trained at least one product."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = scratch_dirs(tmp) - known
        if new and " trained" in log.read_text():
            (name,) = new
            return name
        time.sleep(0.2)
    raise AssertionError(f"no training run started; log:\n{log.read_text()[-3000:]}")


@pytest.fixture
def temp_dir(tmp_path, monkeypatch) -> Path:
    """A private temp folder for this process and its children (TMPDIR)."""
    quiet_stan_logging()  # this process's own cmdstanpy folder stays where it already is
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    monkeypatch.setattr(tempfile, "tempdir", None)  # re-read TMPDIR
    return tmp


def test_a_normal_run_leaves_nothing_in_the_temp_dir(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", NORMAL_RUN],
        cwd=REPO_ROOT,
        env=_env(tmp),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "done" in done.stdout
    assert sorted(p.name for p in tmp.iterdir()) == []


def test_the_next_run_removes_a_killed_runs_scratch_and_keeps_a_live_ones(temp_dir, tmp_path):
    tmp = temp_dir
    items = [(f"SKU-{i}", synthetic_price_series("weekly", n_days=70, seed=i)) for i in range(2)]

    # A run killed mid-training leaves its scratch folder behind...
    with training_process(tmp, tmp_path / "killed.log") as killed:
        killed_dir = wait_for_training(tmp, tmp_path / "killed.log", set())
        kill_group(killed)
    assert scratch_dirs(tmp) == {killed_dir}

    with training_process(tmp, tmp_path / "live.log") as live:
        live_dir = wait_for_training(tmp, tmp_path / "live.log", {killed_dir})
        # ...the next run removes it, and leaves the folder of a run still training alone.
        results = list(train_many(items, ModelSettings(), workers=1))
        assert [r.status for r in results] == ["trained", "trained"]
        assert live.poll() is None
        assert scratch_dirs(tmp) == {live_dir}
        assert (tmp / live_dir).is_dir()

    # Once that one is gone too, the next run removes its folder, and nothing is left at all.
    results = list(train_many(items, ModelSettings(), workers=2, chunk_size=1))
    assert [r.status for r in results] == ["trained", "trained"]
    assert sorted(p.name for p in tmp.iterdir()) == []


def test_only_folders_of_dead_owners_on_this_machine_are_removed(tmp_path):
    from procurement_pipeline.lib.forecasting.training import (
        new_scratch_dir,
        remove_orphaned_scratch,
    )

    mine = Path(new_scratch_dir(str(tmp_path)))  # this (live) process
    pid, start, host, rest = mine.name[len(SCRATCH) :].split("-", 3)
    assert int(pid) == os.getpid()
    reused = tmp_path / f"{SCRATCH}{pid}-{int(start) + 1}-{host}-{rest}"  # same PID, other start
    other_host = tmp_path / f"{SCRATCH}{dead_pid()}-0-{'0' * 8 if host != '0' * 8 else '1' * 8}-x"
    unknown = tmp_path / f"{SCRATCH}legacyname"
    for folder in (reused, other_host, unknown):
        folder.mkdir()
        (folder / "fit-1-data.json").write_text("{}")
    assert remove_orphaned_scratch(str(tmp_path)) == [reused.name]
    assert {p.name for p in tmp_path.iterdir()} == {mine.name, other_host.name, unknown.name}


def dead_pid() -> int:
    """The PID of a process that has exited and been reaped."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid
