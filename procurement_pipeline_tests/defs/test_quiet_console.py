"""A quiet console (issue 14, item 6): a fresh process that loads the code location as a run
worker does (``procurement_pipeline.definitions``, its resources and executor) and trains and
reports a product (a pool of forked training workers, a pool of spawned report workers)
prints no third-party import warnings: no "Importing plotly failed" from Prophet, no Dagster
beta/preview warnings."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import dagster as dg

from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline_tests.conftest import REPO_ROOT, seed_demo_warehouse

SKU = "TEC-00001"
# The run: the code location's definitions, one product's training and report step.
RUN = """
import json, sys
import dagster as dg
from procurement_pipeline.definitions import defs

sku, config = sys.argv[1], json.loads(sys.argv[2])
job = dg.define_asset_job("train_and_report", selection=["product_price_models", "product_reports"])
with dg.DagsterInstance.get() as instance:
    result = dg.Definitions.merge(defs, dg.Definitions(jobs=[job])).resolve_job_def(
        "train_and_report"
    ).execute_in_process(instance=instance, partition_key=sku, run_config=config)
print("run succeeded" if result.success else "run failed")
"""
# Python's warning lines ("…/module.py:232: BetaWarning: …") and Prophet's import error.
NOISE = re.compile(r"\w*Warning:|Importing plotly failed|Importing matplotlib failed")


def test_a_training_and_report_run_process_prints_no_third_party_warnings(tmp_path):
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    seed_demo_warehouse(url, datetime.now(UTC).replace(tzinfo=None), 75)
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        instance.add_dynamic_partitions(PRODUCTS_PARTITION, [SKU])

    # Two workers each: the training pool forks, the report pool spawns (fresh imports).
    config = {
        "ops": {
            "product_price_models": {"config": {"workers": 2}},
            "product_reports": {"config": {"workers": 2}},
        }
    }
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "DATABASE_URL": url,
        "PROCUREMENT_STATE_DIR": str(tmp_path / "state"),
        "PROCUREMENT_ARTIFACT_ROOT": str(tmp_path / "artifacts"),
    }
    env.pop("PYTHONWARNINGS", None)
    done = subprocess.run(
        [sys.executable, "-c", RUN, SKU, json.dumps(config)],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output[-5000:]
    # The run did train and report (so Prophet was imported in the workers).
    assert "run succeeded" in done.stdout, output[-5000:]
    assert list((tmp_path / "artifacts" / "reports").rglob("*.pdf")), output[-5000:]
    noise = [line for line in output.splitlines() if NOISE.search(line)]
    assert not noise, "\n".join(noise)
