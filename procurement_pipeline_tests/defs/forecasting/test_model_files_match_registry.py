"""Model files and the warehouse never disagree (issue 13, item 3).

Every registry row (``model_registry``, the newest ``global_models`` row) points to a file
that exists and holds the very model the row's dates, metrics and forecast rows describe:
after a training run is SIGKILLed between writing its files and committing its transaction,
and after two trainings of the same products overlap. Files of a crashed run are swept by a
later run. Real assets, real SQLite and MariaDB, real processes; the fault points hook
SQLAlchemy's events (``training_worker``), the code under test is unchanged.

How "the file holds the row's model" is judged: the model loaded from the row's file was
trained up to the row's ``train_end`` and forecasts exactly the forecast rows stored with it.
The trainings in a test see histories of different lengths, so each has another model.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.forecasting import ModelSettings, forecast_from_model, load_model
from procurement_pipeline.lib.history.cleaning import build_daily_history
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline.lib.warehouse.catalog import load_products, upsert_catalog
from procurement_pipeline.lib.warehouse.forecasts import latest_global_model, load_forecast_rows
from procurement_pipeline.lib.warehouse.history import (
    insert_observations,
    load_real_observations,
    replace_daily_history,
)
from procurement_pipeline.lib.warehouse.schema import global_models, model_registry
from procurement_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROWS, catalog_csv
from procurement_pipeline_tests.defs.forecasting import training_worker

NOW = datetime.now(UTC).replace(tzinfo=None)
SKUS = sorted(row.split(",")[0] for row in SAMPLE_ROWS)
WORKER = "procurement_pipeline_tests.defs.forecasting.training_worker"


class Warehouse:
    def __init__(self, url: str, engine, root: Path, signals: Path):
        self.url, self.engine, self.root, self.signals = url, engine, root, signals
        self.daily: pd.DataFrame | None = None

    def set_history(self, days_cut: int) -> None:
        """The daily history without its last ``days_cut`` days."""
        last = self.daily["day"].max()
        subset = self.daily[self.daily["day"] <= last - pd.Timedelta(days=days_cut)]
        replace_daily_history(self.engine, subset, built_at=NOW)

    def spec(self, asset: str, **faults) -> dict:
        return {
            "url": self.url,
            "root": str(self.root),
            "asset": asset,
            "skus": SKUS,
            "signals": str(self.signals),
            **faults,
        }

    def start(self, asset: str, **faults) -> subprocess.Popen:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        return subprocess.Popen(
            [sys.executable, "-m", WORKER, json.dumps(self.spec(asset, **faults))],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )

    def wait_ready(self, name: str, process: subprocess.Popen, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while not (self.signals / f"{name}.ready").exists():
            if process.poll() is not None:
                pytest.fail(f"{name} ended before its pause point:\n{process.stdout.read()}")
            assert time.monotonic() < deadline, f"{name} never reached its pause point"
            time.sleep(0.05)

    def release(self, name: str) -> None:
        (self.signals / f"{name}.go").touch()


def finish(process: subprocess.Popen, timeout: float = 300) -> tuple[int, str]:
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, _ = process.communicate()
        pytest.fail(f"worker timed out:\n{out}")
    return process.returncode, out


@pytest.fixture
def warehouse(database_url, warehouse_engine, tmp_path) -> Warehouse:
    """Three products with 75 days of demo prices; the history is set per test."""
    upsert_catalog(warehouse_engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    observations = seed_demo_observations(load_products(warehouse_engine), demo_windows(NOW, 75))
    insert_observations(warehouse_engine, observations)
    w = Warehouse(database_url, warehouse_engine, tmp_path / "artifacts", tmp_path / "signals")
    w.signals.mkdir()
    w.daily, _ = build_daily_history(load_real_observations(warehouse_engine))
    return w


def model_files(root: Path) -> set[str]:
    """Every file under models/ (temporary ones included), relative to the store's root."""
    folder = root / "models"
    if not folder.exists():
        return set()
    return {p.relative_to(root).as_posix() for p in folder.rglob("*") if p.is_file()}


def referenced(engine) -> set[str]:
    with engine.connect() as conn:
        paths = set(conn.execute(select(model_registry.c.artifact_path)).scalars())
        for row in conn.execute(
            select(global_models.c.artifact_path, global_models.c.metadata_path)
        ):
            paths.update(row)
    return paths - {None}


def assert_forecast_matches(model, stored: pd.DataFrame) -> None:
    stored = stored.sort_values("ds")
    predicted = forecast_from_model(model, ModelSettings(), horizon=len(stored))
    assert list(pd.to_datetime(predicted["ds"]).dt.date) == list(stored["ds"])
    for column in ("yhat", "yhat_lower", "yhat_upper"):
        assert np.allclose(predicted[column], stored[column].astype(float), rtol=1e-9), column


def registry_consistent(w: Warehouse) -> dict[str, object]:
    """Each trained registry row's file exists and holds that row's model. Returns the
    train_end of each product."""
    with w.engine.connect() as conn:
        rows = list(conn.execute(select(model_registry).order_by(model_registry.c.sku)))
    assert [r.sku for r in rows] == SKUS
    future = load_forecast_rows(w.engine, kind="future")
    ends = {}
    for row in rows:
        assert row.status == "trained", (row.sku, row.reason)
        path = w.root / row.artifact_path
        assert path.is_file(), f"{row.sku}: {row.artifact_path} is missing"
        model = load_model(path)
        assert model.anchor_day.date() == row.train_end, row.sku
        assert_forecast_matches(model, future[future["sku"] == row.sku])
        ends[row.sku] = row.train_end
    return ends


def global_consistent(w: Warehouse):
    """The newest global model's files exist and hold the model (and the metadata) its row
    describes. Returns its train_end."""
    latest = latest_global_model(w.engine)
    assert latest is not None and latest["status"] == "trained", latest
    path = w.root / latest["artifact_path"]
    assert path.is_file(), f"{latest['artifact_path']} is missing"
    model = load_model(path)
    assert model.anchor_day.date() == latest["train_end"]
    forecasts = latest["forecasts"]
    assert_forecast_matches(model, forecasts[forecasts["kind"] == "future"])
    metadata = json.loads((w.root / latest["metadata_path"]).read_text())
    assert metadata["model_path"] == latest["artifact_path"]
    assert metadata["train_end"] == str(latest["train_end"])
    assert datetime.fromisoformat(metadata["trained_at"]).replace(microsecond=0) == latest[
        "trained_at"
    ].replace(microsecond=0)
    return latest["train_end"]


def age(root: Path, paths: set[str], hours: float = 2) -> None:
    """Make files look as old as a crashed run's leftovers found by a later cycle."""
    then = time.time() - hours * 3600
    for relative in paths:
        os.utime(root / relative, (then, then))


def train_in_process(w: Warehouse, asset: str) -> None:
    assert training_worker.train(w.spec(asset))


@pytest.mark.parametrize("asset", ["products", "global"])
def test_a_run_killed_before_its_commit_leaves_every_row_with_its_own_file(warehouse, asset):
    w = warehouse
    consistent = registry_consistent if asset == "products" else global_consistent
    table = "model_registry" if asset == "products" else "global_models"
    w.set_history(10)
    train_in_process(w, asset)
    before = consistent(w)
    rows_before = referenced(w.engine)

    w.set_history(0)  # a longer history: another model
    code, out = finish(w.start(asset, kill_at_commit=table))
    assert code == -signal.SIGKILL, out

    # The rows still describe the previous models, and their files still hold them.
    assert consistent(w) == before
    assert referenced(w.engine) == rows_before
    leftovers = model_files(w.root) - rows_before
    assert leftovers, "the killed run wrote its files before the commit"

    # A later run (the next cycle) trains again and sweeps what the killed run left.
    age(w.root, leftovers)
    train_in_process(w, asset)
    after = consistent(w)
    assert after != before
    assert model_files(w.root) == referenced(w.engine)


@pytest.mark.parametrize("asset", ["products", "global"])
def test_two_overlapping_trainings_end_with_each_row_pointing_to_its_own_model(warehouse, asset):
    """A trains and stops (products: its files written, just before its transaction; global:
    just before writing its files); B, on a newer history, trains, writes and commits; then A
    goes on. The rows of the newest model (products: A's, the last committed; global: B's, the
    last trained) must point to files that hold exactly those models."""
    w = warehouse
    consistent = registry_consistent if asset == "products" else global_consistent
    pause = (
        {"pause_before": "DELETE FROM forecasts"}
        if asset == "products"
        else {"pause_at_files": True}
    )
    w.set_history(10)
    train_in_process(w, asset)
    first = consistent(w)

    w.set_history(5)
    a = w.start(asset, name="A", **pause)
    w.wait_ready("A", a)
    w.set_history(0)
    code_b, out_b = finish(w.start(asset, name="B"))
    assert code_b == 0, out_b
    w.release("A")
    code_a, out_a = finish(a)
    assert code_a == 0, out_a

    ends = consistent(w)
    assert ends != first
    if asset == "products":
        assert len(set(ends.values())) == 1  # one training's models, not a mix
    # Nothing superseded stays behind: only the files the rows point to.
    assert model_files(w.root) == referenced(w.engine)


@pytest.mark.parametrize("retrain", [True, False], ids=["retrain", "first-training"])
@pytest.mark.parametrize("asset", ["products", "global"])
def test_two_trainings_committing_at_once_end_consistent(warehouse, asset, retrain):
    """Both trainings have written their files and start their transactions together: the
    database serializes them, neither fails, the last one to commit owns rows and files. On
    a first training there are no rows to lock yet: InnoDB gives both transactions gap locks
    and refuses one insert as a deadlock, and that transaction is run again."""
    w = warehouse
    consistent = registry_consistent if asset == "products" else global_consistent
    # The first statement of each transaction (nothing locked yet when they wait).
    pause = "DELETE FROM forecasts" if asset == "products" else "DELETE FROM global_price_index"
    if retrain:
        w.set_history(10)
        train_in_process(w, asset)

    w.set_history(5)
    a = w.start(asset, pause_before=pause, name="A")
    w.wait_ready("A", a)
    w.set_history(0)
    b = w.start(asset, pause_before=pause, name="B")
    w.wait_ready("B", b)
    w.release("A")
    w.release("B")
    (code_a, out_a), (code_b, out_b) = finish(a), finish(b)
    assert code_a == 0, out_a
    assert code_b == 0, out_b

    ends = consistent(w)
    if asset == "products":
        assert len(set(ends.values())) == 1
    assert model_files(w.root) == referenced(w.engine)
