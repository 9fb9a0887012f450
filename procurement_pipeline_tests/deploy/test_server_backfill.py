"""End to end through the server: dagster-webserver + dagster-daemon on a temporary embedded
instance, a backfill of the product models (and everything downstream of them) launched through
the GraphQL API with dagster-graphql's client, then the results checked in the warehouse and the
artifact store, and a headless-Chromium screenshot of the asset graph saved to test-artifacts/.

Both servers start in their own session (start_new_session=True: a server started from a
non-interactive shell ignores SIGINT/SIGTERM otherwise, see DESIGN.md "Known traps"), and the
test ends by killing both sessions and checking that no process of theirs (code servers, run
workers) is left.
"""

from __future__ import annotations

import contextlib
import csv
import math
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient
from sqlalchemy import select

from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.forecasting.assets import PRODUCTS_PER_RUN, global_price_model
from procurement_pipeline.defs.history.assets import daily_price_history
from procurement_pipeline.defs.partitions import PRODUCTS_PARTITION
from procurement_pipeline.defs.prices.assets import demo_price_history
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.resources import ArtifactStoreResource, WarehouseResource
from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.schema import model_registry
from procurement_pipeline.local_dagster import free_port, session_members, stop_sessions
from procurement_pipeline_tests.conftest import REPO_ROOT
from procurement_pipeline_tests.dashboard.browser import ensure_chromium, headless_chromium
from procurement_pipeline_tests.defs.setting_resources import default_settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.xdist_group("dagster_servers"),
    # dagster-graphql's client calls gql with arguments gql 4 deprecates.
    pytest.mark.filterwarnings("ignore::DeprecationWarning:gql.*"),
]

PRODUCTS = 200
DEMO_DAYS = 60
BIN = Path(sys.executable).parent
SCREENSHOT = REPO_ROOT / "test-artifacts" / "asset-graph.png"
# Variables the code reads that must not leak from the developer's shell into the servers.
HERMETIC_PREFIXES = ("PROCUREMENT_", "DATABASE_URL", "SCRAPERAPI_", "SCRAPING_", "SMTP_")
# The forecasting group's lineage: the product models, their downstream and upstream edges.
GRAPH_PAGE = "/locations/procurement_pipeline/asset-groups/forecasting"
# The UI greets a new instance with a "join the community" dialog until this is set.
SET_NUX_SEEN = "mutation { setNuxSeen }"
DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}

ASSET_NODES = """
query AssetNodes {
  assetNodes { assetKey { path } dependedByKeys { path } isPartitioned }
}
"""
LAUNCH_BACKFILL = """
mutation Launch($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on Error { message }
  }
}
"""
BACKFILL_STATUS = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { id status numPartitions error { message } }
    ... on Error { message }
  }
}
"""


@dataclass
class Stack:
    home: Path
    warehouse_url: str
    artifact_root: Path
    env: dict[str, str]
    logs: Path


def log_tail(path: Path, chars: int = 4000) -> str:
    return path.read_text(errors="replace")[-chars:] if path.exists() else "(no log)"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Stack:
    root = tmp_path_factory.mktemp("e2e")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")  # the embedded default
    artifact_root = root / "artifacts"
    warehouse_url = f"sqlite:///{root / 'warehouse.sqlite'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(HERMETIC_PREFIXES)}
    env.update(
        DAGSTER_HOME=str(home),
        PROCUREMENT_STATE_DIR=str(root),
        DATABASE_URL=warehouse_url,
        PROCUREMENT_ARTIFACT_ROOT=str(artifact_root),
        PROCUREMENT_MARKET="demo",
        PROCUREMENT_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return Stack(home, warehouse_url, artifact_root, env, root / "logs")


def seed(stack: Stack, instance: dg.DagsterInstance) -> list[str]:
    """The first PRODUCTS rows of the seed catalog, DEMO_DAYS of demo history, the daily history
    and the global model, executed in process on the servers' instance."""
    with (REPO_ROOT / "data" / "products_seed.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[: PRODUCTS + 1]
    catalog = stack.home.parent / "catalog.csv"
    with catalog.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    result = dg.materialize(
        [product_catalog, demo_price_history, daily_price_history, global_price_model],
        instance=instance,
        resources={
            "warehouse": WarehouseResource(database_url=stack.warehouse_url),
            "artifact_store": ArtifactStoreResource(root=str(stack.artifact_root)),
            "marketplace": DemoMarketResource(),
            **default_settings(),
        },
        run_config=dg.RunConfig(
            {
                "product_catalog": {"config": {"csv_path": str(catalog)}},
                "demo_price_history": {"config": {"days": DEMO_DAYS}},
            }
        ),
    )
    assert result.success
    skus = sorted(instance.get_dynamic_partitions(PRODUCTS_PARTITION))
    assert len(skus) == PRODUCTS
    return skus


@contextlib.contextmanager
def dagster_servers(stack: Stack, port: int) -> Iterator[list[subprocess.Popen]]:
    stack.logs.mkdir(exist_ok=True)
    commands = {
        "webserver": [
            str(BIN / "dagster-webserver"),
            *("-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)),
        ],
        "daemon": [str(BIN / "dagster-daemon"), "run", "-w", "workspace.yaml"],
    }
    processes: list[subprocess.Popen] = []
    try:
        for name, command in commands.items():
            with (stack.logs / f"{name}.log").open("wb") as log:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=REPO_ROOT,
                        env=stack.env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                )
        yield processes
    finally:
        sessions = {p.pid for p in processes}
        stop_sessions(processes)
        left = session_members(sessions)
        assert not left, f"processes left behind: {left}"


def wait_for_server(url: str, processes: list[subprocess.Popen], stack: Stack) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for process in processes:
            if process.poll() is not None:
                pytest.fail(f"{process.args[0]} exited:\n{log_tail(stack.logs / 'webserver.log')}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(f"{url}/server_info", timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.5)
    pytest.fail(f"webserver never answered:\n{log_tail(stack.logs / 'webserver.log')}")


def asset_graph(client: DagsterGraphQLClient) -> dict[str, dict]:
    """The code location as the server loaded it: {asset: node}; waits for it to load."""
    deadline = time.monotonic() + 90
    while True:
        nodes = client._execute(ASSET_NODES)["assetNodes"]
        if nodes or time.monotonic() > deadline:
            return {"/".join(n["assetKey"]["path"]): n for n in nodes}
        time.sleep(1)


def downstream_of(graph: dict[str, dict], start: str) -> list[str]:
    seen, todo = [], [start]
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.append(key)
        todo.extend("/".join(k["path"]) for k in graph[key]["dependedByKeys"])
    return seen


def test_backfill_through_the_server(stack):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    chromium = ensure_chromium()  # installs Debian's chromium when missing; fails if it can't

    with dg.DagsterInstance.from_config(str(stack.home)) as instance:
        skus = seed(stack, instance)
        seeded_s = time.monotonic() - started

        with dagster_servers(stack, port) as processes:
            wait_for_server(url, processes, stack)
            client = DagsterGraphQLClient("127.0.0.1", port_number=port, timeout=60)
            graph = asset_graph(client)
            assert "product_price_models" in graph, sorted(graph)
            selection = downstream_of(graph, "product_price_models")
            assert "product_forecasts" in selection

            launched = client._execute(
                LAUNCH_BACKFILL,
                {
                    "params": {
                        "partitionNames": skus,
                        "assetSelection": [{"path": key.split("/")} for key in selection],
                        "title": "e2e: product models and downstream",
                    }
                },
            )["launchPartitionBackfill"]
            assert launched["__typename"] == "LaunchBackfillSuccess", launched
            backfill_id = launched["backfillId"]

            deadline = time.monotonic() + 300
            while True:
                backfill = client._execute(BACKFILL_STATUS, {"id": backfill_id})[
                    "partitionBackfillOrError"
                ]
                if backfill.get("status") in DONE or time.monotonic() > deadline:
                    break
                time.sleep(2)
            assert backfill.get("status") in {"COMPLETED", "COMPLETED_SUCCESS"}, (
                f"{backfill}\n--- daemon ---\n{log_tail(stack.logs / 'daemon.log')}"
            )
            backfill_s = time.monotonic() - started - seeded_s
            print(f"seeded in {seeded_s:.1f} s, backfill done {backfill_s:.1f} s later")

            # The asset graph as an operator sees it, after the backfill.
            client._execute(SET_NUX_SEEN)
            with headless_chromium(
                chromium, stack.home.parent / "chromium", window=(1600, 1000)
            ) as page:
                page.call("Page.navigate", url=f"{url}{GRAPH_PAGE}")
                page.wait_for(
                    "document.body.innerText.includes('product_price_models')"
                    " && document.body.innerText.includes('product_forecasts')",
                    timeout=60,
                )
                time.sleep(2)  # let the graph layout settle
                page.screenshot(SCREENSHOT)

        # Runs the backfill used: the product partitions go in batches (BackfillPolicy), so
        # PRODUCTS partitions take ceil(PRODUCTS / PRODUCTS_PER_RUN) runs, plus one run per
        # downstream step at most.
        runs = instance.get_runs(filters=dg.RunsFilter(tags={"dagster/backfill": backfill_id}))
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in runs)
        model_runs = [
            r for r in runs if dg.AssetKey("product_price_models") in (r.asset_selection or ())
        ]
        assert len(model_runs) == math.ceil(PRODUCTS / PRODUCTS_PER_RUN)
        assert len(runs) <= len(model_runs) + len(selection) - 1
        assert len(runs) * 20 < PRODUCTS

    # Every product has its model: a registry row and the model file in the artifact store.
    engine = create_warehouse_engine(stack.warehouse_url)
    try:
        with engine.connect() as conn:
            registry = {r.sku: r for r in conn.execute(select(model_registry))}
    finally:
        engine.dispose()
    assert sorted(registry) == skus
    not_trained = {s: (r.status, r.reason) for s, r in registry.items() if r.status != "trained"}
    assert not not_trained, not_trained
    for sku in skus:
        # Named after the run that trained it (issue 13, item 3): its training id.
        path = registry[sku].artifact_path
        assert path == artifacts.product_model_path(sku, PurePosixPath(path).stem)
        assert (stack.artifact_root / path).is_file()
    if "product_reports" in selection:
        reports = stack.artifact_root
        missing = [s for s in skus if not (reports / artifacts.product_report_path(s)).is_file()]
        assert not missing, f"{len(missing)} products without a report: {missing[:5]}"

    assert SCREENSHOT.stat().st_size > 20_000
    print(
        f"seed {seeded_s:.1f} s, backfill {backfill_s:.1f} s, {len(runs)} runs for "
        f"{PRODUCTS} products ({len(selection)} assets), total {time.monotonic() - started:.1f} s"
    )
