"""Benchmark of one automation cycle, end to end, through a real dagster-webserver and
dagster-daemon on a temporary instance.

    .venv/bin/python -m benchmarks.cycle [--products 3000] [--latency 1.0] [--days 180]
                                         [--instance sqlite|mysql] [--baseline-runs 3]

Setup (in process, not timed): the catalog (data/products_seed.csv, first ``--products``
rows) and ``--days`` of demo market history. Then the servers start, with e-mail pointed at
a local SMTP server (aiosmtpd) and the market at a local ScraperAPI-protocol server serving
the demo market's pages with ``--latency`` seconds per request. The scrape of one window is
launched exactly as `scrape_every_8_hours` would launch it (its own run request, through the
webserver's queue); from then on nothing is touched until the automation is quiet: history,
the retraining cycle (one backfill), advice, reports, the e-mail.

Baseline in the same process: ``--baseline-runs`` single-product retrain_job runs through the
same daemon, timed, extrapolated to one run per changed product at the instance's run
concurrency (what "never one run per product" saves).

``--instance mysql`` uses deploy/dagster.yaml (dagster-mysql) and a MariaDB/MySQL warehouse
on 127.0.0.1:3306 (root, empty password; throw-away databases).

Prints progress; the LAST line is one JSON object: products, runs_launched, scrape_s,
chain_s (scrape end to the end of the cycle's last run), total_s, emails_sent (by kind:
retraining, opportunity, alert), ... Targets on a 2-core machine: chain_s < 300,
runs_launched <= 15, one retraining e-mail.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import email
import email.policy
import json
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg

from benchmarks.quiet import run_quietly
from procurement_pipeline.defs.catalog.assets import product_catalog
from procurement_pipeline.defs.catalog.resources import CatalogFileResource
from procurement_pipeline.defs.prices.assets import (
    demo_price_history,
    scrape_windows,
    scraped_prices,
)
from procurement_pipeline.defs.prices.resources import DemoMarketResource
from procurement_pipeline.defs.resources import (
    ArtifactStoreResource,
    CurrencyResource,
    WarehouseResource,
)
from procurement_pipeline.lib.scraping.demo_market import DemoMarketPages
from procurement_pipeline.lib.scraping.server import ScraperAPIServer
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.catalog import load_products
from procurement_pipeline.local_dagster import (
    dagster_servers,
    free_port,
    launch_through_webserver,
    materialization_id,
    scheduled_scrape,
    wait_for_sensor_tick,
    wait_for_webserver,
    wait_until_quiet,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
SEED_CSV = REPO_ROOT / "data" / "products_seed.csv"
BENCH_KEY = "bench-local-key"
# Variables the code reads that must not leak from the developer's shell into the servers.
HERMETIC_PREFIXES = ("PROCUREMENT_", "DATABASE_URL", "SCRAPERAPI_", "SCRAPING_", "SMTP_")
MYSQL = dict(host="127.0.0.1", port=3306, user="root", password="")


def write_catalog(path: Path, products: int) -> None:
    with SEED_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))[: products + 1]
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)


@contextlib.contextmanager
def mysql_databases() -> Iterator[tuple[str, str]]:
    import pymysql

    names = [f"pp_bench_{kind}_{uuid.uuid4().hex[:8]}" for kind in ("dagster", "warehouse")]
    conn = pymysql.connect(**MYSQL, autocommit=True)
    try:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield names[0], names[1]
    finally:
        with conn.cursor() as cursor:
            for name in names:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


def seed(instance, warehouse_url: str, artifact_root: Path, catalog: Path, days: int) -> None:
    result = dg.materialize(
        [product_catalog, demo_price_history],
        instance=instance,
        resources={
            "warehouse": WarehouseResource(database_url=warehouse_url),
            "artifact_store": ArtifactStoreResource(root=str(artifact_root)),
            "marketplace": DemoMarketResource(),
            "currency": CurrencyResource(),
            "catalog_file": CatalogFileResource(),
        },
        run_config=dg.RunConfig(
            {
                "product_catalog": {"config": {"csv_path": str(catalog)}},
                "demo_price_history": {"config": {"days": days}},
            }
        ),
    )
    assert result.success


def run_seconds(instance, run_id: str) -> tuple[float, float]:
    record = instance.get_run_record_by_id(run_id)
    return record.start_time or record.create_timestamp.timestamp(), record.end_time or time.time()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--days", type=int, default=180)
    parser.add_argument("--instance", choices=("sqlite", "mysql"), default="sqlite")
    parser.add_argument("--baseline-runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    from aiosmtpd.controller import Controller

    from procurement_pipeline.definitions import defs

    root = Path(tempfile.mkdtemp(prefix="procurement-cycle-"))
    home, artifact_root = root / "dagster_home", root / "artifacts"
    home.mkdir()
    mails: list[bytes] = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd API
            mails.append(envelope.content)
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=free_port())
    smtp.start()
    stack = contextlib.ExitStack()
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith(HERMETIC_PREFIXES)}
        if args.instance == "mysql":
            dagster_db, warehouse_db = stack.enter_context(mysql_databases())
            shutil.copy(REPO_ROOT / "deploy" / "dagster.yaml", home / "dagster.yaml")
            env.update(
                DAGSTER_MYSQL_HOST=MYSQL["host"],
                DAGSTER_MYSQL_PORT=str(MYSQL["port"]),
                DAGSTER_MYSQL_USER=MYSQL["user"],
                DAGSTER_MYSQL_PASSWORD=MYSQL["password"],
                DAGSTER_MYSQL_DB=dagster_db,
            )
            os.environ.update({k: v for k, v in env.items() if k.startswith("DAGSTER_MYSQL")})
            warehouse_url = f"mysql+pymysql://root@127.0.0.1:3306/{warehouse_db}"
        else:
            shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
            warehouse_url = f"sqlite:///{root / 'warehouse.sqlite'}"
        env.update(
            DAGSTER_HOME=str(home),
            PROCUREMENT_STATE_DIR=str(root),
            DATABASE_URL=warehouse_url,
            PROCUREMENT_ARTIFACT_ROOT=str(artifact_root),
            PROCUREMENT_LOG_LEVEL="WARNING",
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(smtp.port),
            SMTP_FROM="pipeline@example.com",
            SMTP_DEFAULT_RECIPIENT="comprador@example.com",
            PYTHONUNBUFFERED="1",
        )
        catalog = root / "catalog.csv"
        write_catalog(catalog, args.products)
        instance = stack.enter_context(dg.DagsterInstance.from_config(str(home)))
        started = time.monotonic()
        seed(instance, warehouse_url, artifact_root, catalog, args.days)
        seeded_s = time.monotonic() - started
        print(f"seeded {args.products} products x {args.days} days in {seeded_s:.0f} s")

        request = scheduled_scrape(instance, defs)
        window = scrape_windows.time_window_for_partition_key(request.partition_key)
        window_start = window.start.astimezone(dt.UTC).replace(tzinfo=None)
        engine = create_warehouse_engine(warehouse_url)
        pages = DemoMarketPages.from_products(load_products(engine), window_start=window_start)
        engine.dispose()
        market = stack.enter_context(
            ScraperAPIServer(pages, api_key=BENCH_KEY, latency_s=args.latency)
        )
        env.update(
            PROCUREMENT_MARKET="mercadolivre",
            SCRAPERAPI_KEY=BENCH_KEY,
            SCRAPERAPI_BASE_URL=market.base_url,
        )

        port = free_port()
        servers = stack.enter_context(dagster_servers(env, root / "logs", webserver_port=port))
        wait_for_webserver(servers)
        wait_for_sensor_tick(instance, "history_after_each_scrape", servers)
        wait_for_sensor_tick(instance, "plan_cycle_after_history", servers)
        print(f"servers up; scraping window {request.partition_key} as the schedule would")

        scrape_done: list[float] = []

        def report(run: dg.DagsterRun) -> None:
            start, end = run_seconds(instance, run.run_id)
            keys = sorted(k.to_user_string() for k in run.asset_selection or ())
            what = ", ".join(keys) if run.job_name.startswith("__") else run.job_name
            # When each run started and ended, counted from the end of the scrape: the gaps
            # between runs are the sensors' and daemons' hops.
            since = (
                f"+{start - scrape_done[0]:5.0f} s .. +{end - scrape_done[0]:5.0f} s"
                if scrape_done
                else ""
            )
            print(f"  {run.status.value:8} {end - start:6.1f} s {since}  {what}", flush=True)

        launched = time.time()
        scrape_run = launch_through_webserver(servers, request, "scrape_job")
        deadline = time.monotonic() + 3600
        while not instance.get_run_by_id(scrape_run).is_finished:
            servers.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError("scrape never finished")
            time.sleep(2)
        scrape_event = materialization_id(instance, scrape_run, scraped_prices.key)
        scrape_done.append(run_seconds(instance, scrape_run)[1])
        quiet = wait_until_quiet(
            instance,
            scrape_event,
            since=launched,
            servers=servers,
            on_run_finished=report,
        )
        # The e-mail sensor ticks every 30 s: give it two ticks after the cycle.
        mail_deadline = time.monotonic() + 90
        while not mails and time.monotonic() < mail_deadline:
            time.sleep(2)
        time.sleep(35)
        total_s = time.time() - launched
        emails_sent = len(mails)
        subjects = [
            str(email.message_from_bytes(m, policy=email.policy.default)["Subject"]) for m in mails
        ]
        scrape_start, scrape_end = run_seconds(instance, scrape_run)
        cycle_runs = [r for r in quiet.runs if r.run_id != scrape_run]
        statuses = {}
        for run in quiet.runs:
            statuses[run.status.value] = statuses.get(run.status.value, 0) + 1
        chain_s = (quiet.last_run_end or scrape_end) - scrape_end
        retrained = 0
        for backfill in quiet.backfills:
            subsets = backfill.asset_backfill_data.target_subset.partitions_subsets_by_asset_key
            for key, subset in subsets.items():
                if key.path == ["product_price_models"]:
                    retrained += len(list(subset.get_partition_keys()))

        # Baseline: one run per product, timed on a few single-product runs.
        single_walls = []
        skus = instance.get_dynamic_partitions("products")[: args.baseline_runs]
        for sku in skus:
            t0 = time.time()
            run_id = launch_through_webserver(
                servers, dg.RunRequest(partition_key=sku), "retrain_job"
            )
            while not instance.get_run_by_id(run_id).is_finished:
                time.sleep(1)
            single_walls.append(time.time() - t0)
        concurrency = instance.get_concurrency_config().run_queue_config.max_concurrent_runs
        per_run = sum(single_walls) / len(single_walls) if single_walls else float("nan")
        baseline_s = per_run * max(retrained, 1) / max(concurrency, 1)
    finally:
        stack.close()
        smtp.stop()
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    figures = {
        "products": args.products,
        "instance": args.instance,
        "latency_s": args.latency,
        "runs_launched": len(quiet.runs),
        "cycle_runs": len(cycle_runs),
        "run_statuses": statuses,
        "backfills": len(quiet.backfills),
        "products_retrained": retrained,
        "scrape_s": round(scrape_end - scrape_start, 1),
        "chain_s": round(chain_s, 1),
        "total_s": round(total_s, 1),
        "emails_sent": emails_sent,
        "retraining_emails": sum(s.startswith("Previsões de preços") for s in subjects),
        "opportunity_emails": sum(s.startswith("[OPORTUNIDADE]") for s in subjects),
        "alert_emails": sum(s.startswith("[ALERTA]") for s in subjects),
        "baseline_single_product_run_s": round(per_run, 1),
        "baseline_one_run_per_product_s": round(baseline_s, 0),
        "speedup_vs_one_run_per_product": round(baseline_s / chain_s, 1) if chain_s else None,
        "targets": {"chain_s": 300, "runs_launched": 15, "retraining_emails": 1},
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    run_quietly(main)
