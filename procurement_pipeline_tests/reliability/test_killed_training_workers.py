"""A training run killed with SIGKILL leaves no worker processes behind (found by the soak
benchmark, benchmarks/soak.py).

train_many trains in a process pool; its workers are forked, so each holds both ends of the
pool's queues and never sees its parent go: after a SIGKILL of the run worker they waited for
work forever, each with Prophet loaded, and every killed training added more. Here a real
process trains real products, is SIGKILLed mid-training, and its workers must be gone soon.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from procurement_pipeline_tests.conftest import REPO_ROOT

TRAINER = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import numpy as np
    import pandas as pd

    from procurement_pipeline.lib.forecasting import ModelSettings, train_many

    started = Path(sys.argv[1])
    days = pd.date_range("2026-01-01", periods=60, freq="D")
    rng = np.random.default_rng(0)
    items = [
        (f"SKU-{n:03d}", pd.DataFrame({"ds": days, "y": 50 + rng.normal(0, 1, 60).cumsum()}))
        for n in range(400)
    ]

    def progress(done, _result):
        started.touch()  # the pool is up and training

    for _ in train_many(items, ModelSettings(), workers=2, progress=progress, chunk_size=1):
        pass
    """
)


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2 :].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def test_workers_of_a_killed_training_exit(tmp_path):
    started = tmp_path / "started"
    trainer = subprocess.Popen(
        [sys.executable, "-c", TRAINER, str(started)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    workers: list[int] = []
    try:
        deadline = time.monotonic() + 180
        while not started.exists():
            assert trainer.poll() is None, trainer.stdout.read().decode()
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.1)
        workers = [pid for pid in children_of(trainer.pid) if alive(pid)]
        assert len(workers) >= 2, workers  # the pool's workers (and its resource tracker)

        os.kill(trainer.pid, signal.SIGKILL)  # the run worker dies without any cleanup
        trainer.wait()
        deadline = time.monotonic() + 15
        while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert [pid for pid in workers if alive(pid)] == []
    finally:
        with_leftovers = [pid for pid in workers if alive(pid)]
        for pid in with_leftovers:
            os.kill(pid, signal.SIGKILL)
        if trainer.poll() is None:
            os.killpg(trainer.pid, signal.SIGKILL)
            trainer.wait()
