"""Several first runs at once on a fresh local Dagster home (issue 13, item 10).

On a brand-new SQLite DAGSTER_HOME every process that opens the instance creates the storage
schema and stamps its Alembic revision; several at once stamp more than one head and every
later open fails ("alembic_version has more than one head") until the home is deleted. The
Makefile target that prepares DAGSTER_HOME (the one `make run` and `make dev` depend on) now
initialises the instance once. Real processes: the real `make` target, then three processes
that open the instance and start a run at the same moment, then one more.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from procurement_pipeline_tests.conftest import REPO_ROOT

pytestmark = pytest.mark.xdist_group("dagster_servers")

WORKERS = 3
WORKER = "procurement_pipeline_tests.defs.instance_worker"
HERMETIC_PREFIXES = ("PROCUREMENT_", "DATABASE_URL", "DAGSTER_")


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(HERMETIC_PREFIXES)}
    env.update(extra)
    return env


def alembic_heads(home: Path) -> dict[str, int]:
    """Rows of alembic_version in every SQLite database of the instance's storage."""
    heads = {}
    for path in sorted(home.rglob("*.db")):
        with sqlite3.connect(path) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
            if "alembic_version" in tables:
                heads[str(path.relative_to(home))] = conn.execute(
                    "SELECT COUNT(*) FROM alembic_version"
                ).fetchone()[0]
    return heads


def run_workers(env: dict[str, str], count: int, delay_s: float) -> list[tuple[int, str]]:
    start_at = time.time() + delay_s
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", WORKER, str(start_at)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        for _ in range(count)
    ]
    results = []
    for process in processes:
        out, _ = process.communicate(timeout=300)
        results.append((process.returncode, out[-3000:]))
    return results


def test_concurrent_first_runs_on_a_fresh_home_all_succeed(tmp_path):
    state = tmp_path / "state"
    home = state / "dagster_home"
    env = clean_env(
        PROCUREMENT_STATE_DIR=str(state),
        DAGSTER_HOME=str(home),
        PROCUREMENT_ARTIFACT_ROOT=str(state / "artifacts"),
    )
    # The real Makefile target `make run` / `make dev` depend on, on a home that does not exist.
    target = f"{home}/dagster.yaml"
    prepared = subprocess.run(
        ["make", "--no-print-directory", target],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert prepared.returncode == 0, prepared.stdout + prepared.stderr
    assert (home / "dagster.yaml").read_text() == (REPO_ROOT / "dagster.yaml").read_text()

    env["DAGSTER_HOME"] = str(home)
    # Three processes open the instance and start a run at the same moment...
    first = run_workers(env, WORKERS, delay_s=8)
    failed = [out for code, out in first if code != 0]
    assert not failed, "\n---\n".join(failed)
    # ... and the instance is still sound afterwards: one Alembic head per database, and a
    # following run opens it and succeeds.
    heads = alembic_heads(home)
    assert heads and set(heads.values()) == {1}, heads
    ((code, out),) = run_workers(env, 1, delay_s=0)
    assert code == 0, out


def test_initialising_twice_or_at_once_is_harmless(tmp_path):
    """The init step itself may run concurrently (two `make` at once) and again later."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO_ROOT / "dagster.yaml").read_text())
    env = clean_env(DAGSTER_HOME=str(home))
    command = [sys.executable, "-m", "procurement_pipeline.defs.instance_setup"]
    processes = [
        subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=300)[0].decode() for p in processes]
    assert [p.returncode for p in processes] == [0, 0, 0], outputs
    again = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert again.returncode == 0, again.stdout + again.stderr
    assert str(home) in again.stdout
    heads = alembic_heads(home)
    assert set(heads) >= {"history/runs.db", "history/runs/index.db", "schedules/schedules.db"}
    assert set(heads.values()) == {1}, heads
    ((code, out),) = run_workers(env, 1, delay_s=0)
    assert code == 0, out
