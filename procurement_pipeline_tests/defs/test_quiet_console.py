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
from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.history.cleaning import build_daily_history
from procurement_pipeline.lib.scraping.demo_market import demo_windows, seed_demo_observations
from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.catalog import load_products, upsert_catalog
from procurement_pipeline.lib.warehouse.history import (
    insert_observations,
    load_real_observations,
    replace_daily_history,
)
from procurement_pipeline_tests.conftest import REPO_ROOT, SAMPLE_ROWS, catalog_csv

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
    engine = create_warehouse_engine(url)
    migrate(engine)
    now = datetime.now(UTC).replace(tzinfo=None)
    upsert_catalog(engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
    insert_observations(
        engine, seed_demo_observations(load_products(engine), demo_windows(now, 75))
    )
    daily, _ = build_daily_history(load_real_observations(engine))
    replace_daily_history(engine, daily, built_at=now)
    engine.dispose()
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
