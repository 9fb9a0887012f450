"""A process that materializes a training asset for real (``product_price_models`` over some
SKUs, or ``global_price_model``) against a warehouse URL and an artifact root, with optional
fault points that a test cannot time with a signal. They hook SQLAlchemy's events, so the code
under test is unchanged:

    python -m procurement_pipeline_tests.defs.forecasting.training_worker SPEC_JSON

SPEC_JSON keys: ``url``, ``root``, ``asset`` ("products" or "global"), ``skus`` (products),
and optionally

- ``pause_before``: an SQL prefix ("DELETE FROM forecasts"). Before the first statement that
  starts with it, the worker creates ``<signals>/<name>.ready`` and waits for
  ``<signals>/<name>.go``: the model files are written, the warehouse transaction has not taken
  a lock yet;
- ``pause_at_files``: true to pause the same way before the first model file is written (the
  models are trained, nothing is written yet): ``save_model_atomic`` is wrapped wherever the
  loaded code refers to it;
- ``kill_at_commit``: a table name. The worker SIGKILLs itself when it commits a transaction
  that inserted into that table: every statement has run, the COMMIT never reaches the
  database, and nothing after it in the asset runs (the fault of a killed run pod).

Exit status 0 when the run succeeded.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from sqlalchemy import event
from sqlalchemy.engine import Engine

from procurement_pipeline.defs.forecasting.assets import global_price_model, product_price_models
from procurement_pipeline.defs.forecasting.resources import ModelTrainingResource
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib.forecasting import training


def train(spec: dict) -> bool:
    """Materialize the asset of ``spec`` in this process on a throwaway Dagster instance."""
    resources = {
        "warehouse": WarehouseResource(database_url=spec["url"]),
        "artifact_store": ArtifactStoreResource(root=str(spec["root"])),
        "model_training": ModelTrainingResource(),
    }
    config = {"config": {"workers": 1}}
    with dg.instance_for_test() as instance:
        if spec["asset"] == "global":
            result = dg.materialize(
                [global_price_model],
                instance=instance,
                resources=resources,
                run_config={"ops": {"global_price_model": config}},
                raise_on_error=False,
            )
            return result.success
        skus = sorted(spec["skus"])
        instance.add_dynamic_partitions(PRODUCTS_PARTITION, skus)
        job = dg.Definitions(
            assets=[product_price_models],
            jobs=[dg.define_asset_job("models", selection=[product_price_models])],
            resources=resources,
        ).resolve_job_def("models")
        result = job.execute_in_process(
            instance=instance,
            tags={
                ASSET_PARTITION_RANGE_START_TAG: skus[0],
                ASSET_PARTITION_RANGE_END_TAG: skus[-1],
            },
            run_config={"ops": {"product_price_models": config}},
            raise_on_error=False,
        )
        return result.success


def _pause(spec: dict) -> None:
    signals = Path(spec["signals"])
    (signals / f"{spec['name']}.ready").touch()
    deadline = time.monotonic() + 300
    while not (signals / f"{spec['name']}.go").exists():
        if time.monotonic() > deadline:
            raise TimeoutError("never released")
        time.sleep(0.02)


def _pause_at_first_model_file(spec: dict) -> None:
    original = training.save_model_atomic
    paused = False

    def save_model_atomic(*args, **kwargs):
        nonlocal paused
        if not paused:
            paused = True
            _pause(spec)
        return original(*args, **kwargs)

    for module in list(sys.modules.values()):
        name = getattr(module, "__name__", "") or ""
        if name.startswith("procurement_pipeline.") and (
            getattr(module, "save_model_atomic", None) is original
        ):
            module.save_model_atomic = save_model_atomic


def install_fault_points(spec: dict) -> None:
    prefix = (spec.get("pause_before") or "").upper()
    kill_table = spec.get("kill_at_commit")
    paused = False
    if spec.get("pause_at_files"):
        _pause_at_first_model_file(spec)

    @event.listens_for(Engine, "before_cursor_execute")
    def _before(conn, _cursor, statement, _params, _context, _executemany):
        nonlocal paused
        text = statement.lstrip().upper()
        if prefix and not paused and text.startswith(prefix):
            paused = True
            _pause(spec)
        if kill_table and text.startswith(f"INSERT INTO {kill_table.upper()} "):
            conn.info["kill_at_commit"] = True

    @event.listens_for(Engine, "commit")
    def _commit(conn):
        if conn.info.pop("kill_at_commit", False):
            os.kill(os.getpid(), signal.SIGKILL)


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    install_fault_points(spec)
    ok = train(spec)
    print(f"{spec.get('name', 'worker')} success={ok}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
