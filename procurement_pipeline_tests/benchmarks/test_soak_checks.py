"""The soak benchmark's detectors fire on the faults they count (benchmarks/soak.py).

One small real state (three products, 75 days of demo prices, the daily history, models and
the global model trained by the real assets on SQLite) is checked clean; then each test
copies it and does by hand what a lost, duplicated, orphaned or mismatched row or file would
be, and the detector that counts it must report exactly that, so the soak's zeros mean
something.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update

from benchmarks import soak
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.schema import (
    daily_price_history,
    global_models,
    history_fingerprints,
    model_registry,
    offers,
    price_observations,
)
from procurement_pipeline_tests.conftest import SAMPLE_ROWS, seed_demo_warehouse
from procurement_pipeline_tests.defs.forecasting import training_worker

NOW = datetime.now(UTC).replace(tzinfo=None)
SKUS = sorted(row.split(",")[0] for row in SAMPLE_ROWS)


@dataclass
class State:
    root: Path
    engine: object
    seen: set

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    """The clean state, built once: a folder with warehouse.sqlite and artifacts/."""
    root = tmp_path_factory.mktemp("soak_state")
    url = f"sqlite:///{root / 'warehouse.sqlite'}"
    seed_demo_warehouse(url, NOW, 75)
    spec = {"url": url, "root": str(root / "artifacts"), "skus": SKUS}
    assert training_worker.train({**spec, "asset": "products"})
    assert training_worker.train({**spec, "asset": "global"})
    return root


@pytest.fixture
def state(trained, tmp_path) -> State:
    root = tmp_path / "state"
    shutil.copytree(trained, root)
    engine = create_warehouse_engine(f"sqlite:///{root / 'warehouse.sqlite'}")
    state = State(root, engine, soak.real_observation_keys(engine))
    yield state
    engine.dispose()


def clean(state: State) -> None:
    """What the soak expects at its end: nothing to report."""
    assert state.seen and not soak.lost_observations(state.seen, state.engine)
    assert set(soak.duplicate_rows(state.engine).values()) == {0}
    assert soak.check_artifacts(state.engine, state.artifacts) == ([], [], [])
    assert soak.mismatched_models(state.engine, state.artifacts) == {}
    assert soak.stale_models(state.engine) == []


def test_the_trained_state_is_clean(state):
    clean(state)
    with state.engine.connect() as conn:
        assert conn.execute(select(model_registry.c.status)).scalars().all() == ["trained"] * 3
    assert soak.missing_reports(state.engine, state.artifacts) == sorted(
        [f"reports/products/{sku}.pdf" for sku in SKUS]
        + ["reports/catalog_report.pdf", "reports/global_report.pdf"]
    )


def test_a_deleted_observation_is_lost(state):
    clean(state)
    t = price_observations
    with state.engine.begin() as conn:
        sku, start = conn.execute(select(t.c.sku, t.c.window_start).limit(1)).one()
        conn.execute(delete(t).where(t.c.sku == sku, t.c.window_start == start))
    assert soak.lost_observations(state.seen, state.engine) == {(sku, start)}


def test_rows_repeating_a_natural_key_are_duplicates(state):
    clean(state)
    row = {
        "sku": SKUS[0],
        "window_start": NOW,
        "scraped_at": NOW,
        "position": 1,
        "title": "oferta",
        "currency": "BRL",
        "sponsored": False,
        "relevant": True,
        "source": "demo",
    }
    synthetic = {
        "sku": SKUS[1],
        "observed_at": NOW + timedelta(days=3),
        "price": 10,
        "currency": "BRL",
        "source": "synthetic",
        "is_synthetic": True,
    }
    with state.engine.begin() as conn:
        conn.execute(insert(offers), [row, row, row])
        conn.execute(insert(price_observations), [synthetic, synthetic])
    found = soak.duplicate_rows(state.engine)
    assert found["offers"] == 2
    assert found["price_observations (synthetic)"] == 1
    assert sum(found.values()) == 3


def test_unreferenced_files_and_rows_without_their_file(state):
    clean(state)
    root = state.artifacts
    with state.engine.connect() as conn:
        model_path = conn.execute(
            select(model_registry.c.artifact_path).where(model_registry.c.sku == SKUS[0])
        ).scalar_one()
    # A PDF write interrupted by a kill, a product report nothing points to, an old model
    # file of a killed training (the sweep should have removed it) and a fresh one (the
    # next training's sweep will).
    temp_pdf = root / "reports" / "products" / f".{SKUS[0]}.pdf.0123abcd.tmp"
    stray_pdf = root / "reports" / "products" / "GONE-00001.pdf"
    old_model = root / "models" / "products" / SKUS[1] / "20200101T000000-0123456789ab.json"
    fresh_model = root / "models" / "products" / SKUS[1] / "20990101T000000-0123456789ab.json"
    for path in (temp_pdf, stray_pdf, old_model, fresh_model):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}")
    two_hours_ago = time.time() - 7200
    os.utime(old_model, (two_hours_ago, two_hours_ago))
    (root / model_path).unlink()

    found = soak.check_artifacts(state.engine, root)
    assert found.orphans == sorted(
        p.relative_to(root).as_posix() for p in (temp_pdf, stray_pdf, old_model)
    )
    assert found.missing == [model_path]
    assert found.awaiting_sweep == [fresh_model.relative_to(root).as_posix()]


def test_a_model_file_that_is_not_the_rows_model(state):
    clean(state)
    root = state.artifacts
    with state.engine.connect() as conn:
        paths = dict(
            conn.execute(select(model_registry.c.sku, model_registry.c.artifact_path)).all()
        )
    # Another product's model at the first product's path.
    shutil.copy(root / paths[SKUS[1]], root / paths[SKUS[0]])
    assert set(soak.mismatched_models(state.engine, root)) == {SKUS[0]}


def test_a_registry_row_describing_another_training(state):
    clean(state)
    r = model_registry
    with state.engine.begin() as conn:
        end = conn.execute(select(r.c.train_end).where(r.c.sku == SKUS[0])).scalar_one()
        conn.execute(update(r).where(r.c.sku == SKUS[0]).values(train_end=end - timedelta(1)))
    assert soak.mismatched_models(state.engine, state.artifacts) == {
        SKUS[0]: "model trained up to another day than the row's train_end"
    }


def test_a_fingerprint_claiming_the_current_history_for_a_model_trained_on_another(state):
    clean(state)
    h = daily_price_history
    with state.engine.begin() as conn:
        day = conn.execute(select(func.max(h.c.day)).where(h.c.sku == SKUS[2])).scalar_one()
        # The history's last price changes, its fingerprint (and the registry's) do not.
        conn.execute(
            update(h).where(h.c.sku == SKUS[2], h.c.day == day).values(price=h.c.price + 1)
        )
    assert soak.mismatched_models(state.engine, state.artifacts) == {
        SKUS[2]: "fingerprint says current history, model trained on another"
    }


def test_global_metadata_describing_another_model(state):
    clean(state)
    with state.engine.connect() as conn:
        metadata_path = conn.execute(select(global_models.c.metadata_path)).scalar_one()
    path = state.artifacts / metadata_path
    metadata = json.loads(path.read_text())
    path.write_text(json.dumps({**metadata, "model_path": "models/global/other.json"}))
    assert set(soak.mismatched_models(state.engine, state.artifacts)) == {"global"}


def test_a_model_trained_on_an_older_history_is_stale(state):
    clean(state)
    h = history_fingerprints
    with state.engine.begin() as conn:
        conn.execute(update(h).where(h.c.sku == SKUS[1]).values(fingerprint="0" * 64))
    assert soak.stale_models(state.engine) == [SKUS[1]]


def test_a_process_left_behind_by_its_parent_is_an_orphan():
    # A session leader with one child of its own and one whose parent (a subshell) exited.
    leader = subprocess.Popen(
        ["bash", "-c", "sleep 300 & (sleep 301 &); wait"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 10
        while len(soak.orphan_processes([leader.pid])) < 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        orphans = soak.orphan_processes([leader.pid])
        assert [command.split() for _pid, command in orphans] == [["sleep", "301"]]
    finally:
        os.killpg(leader.pid, signal.SIGKILL)
        leader.wait()
