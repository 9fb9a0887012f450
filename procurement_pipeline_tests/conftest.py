"""Shared fixtures: a migrated warehouse on each backend, sample catalogs, a Dagster instance.

MySQL tests use the server on 127.0.0.1:3306 (root, empty password) and create and drop their
own database. Unreachable, they skip on a laptop and fail when PROCUREMENT_REQUIRE_MYSQL=1
(set by .ci/run), so CI can never pass without running them.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine

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

MYSQL_HOST = os.environ.get("PROCUREMENT_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("PROCUREMENT_TEST_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("PROCUREMENT_TEST_MYSQL_USER", "root")
MYSQL_PASSWORD = os.environ.get("PROCUREMENT_TEST_MYSQL_PASSWORD", "")
REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DIR = REPO_ROOT.parent / "shared"


def mysql_required() -> bool:
    return os.environ.get("PROCUREMENT_REQUIRE_MYSQL") == "1"


def _mysql_connect():
    import pymysql

    return pymysql.connect(
        host=MYSQL_HOST,
        port=MYSQL_PORT,
        user=MYSQL_USER,
        password=MYSQL_PASSWORD,
        connect_timeout=5,
        autocommit=True,
    )


@pytest.fixture(scope="session")
def mysql_server() -> None:
    """Skip (laptop) or fail (CI) when the MySQL server is unreachable."""
    try:
        _mysql_connect().close()
    except Exception as exc:  # noqa: BLE001 - any connection failure means "unreachable"
        message = f"MySQL on {MYSQL_HOST}:{MYSQL_PORT} unreachable: {exc}"
        if mysql_required():
            pytest.fail(message + " (PROCUREMENT_REQUIRE_MYSQL=1)")
        pytest.skip(message)


@pytest.fixture
def mysql_database_url(mysql_server) -> Iterator[str]:
    """A fresh utf8mb4 database for one test, dropped afterwards."""
    name = f"pp_test_{uuid.uuid4().hex[:12]}"
    conn = _mysql_connect()
    with conn.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    try:
        auth = MYSQL_USER + (f":{MYSQL_PASSWORD}" if MYSQL_PASSWORD else "")
        yield f"mysql+pymysql://{auth}@{MYSQL_HOST}:{MYSQL_PORT}/{name}"
    finally:
        with conn.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def database_url(request, tmp_path) -> str:
    """The warehouse URL on each backend: the same test runs on SQLite and on MySQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    return request.getfixturevalue("mysql_database_url")


@pytest.fixture
def warehouse_engine(database_url) -> Iterator[Engine]:
    engine = create_warehouse_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def sqlite_engine(tmp_path) -> Iterator[Engine]:
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    migrate(engine)
    yield engine
    engine.dispose()


CATALOG_HEADER = (
    "sku,name,category,unit,search_term,current_stock,minimum_stock,lead_time_days,"
    "reference_price\n"
)


def catalog_csv(rows: list[str]) -> bytes:
    return (CATALOG_HEADER + "".join(r + "\n" for r in rows)).encode("utf-8")


SAMPLE_ROWS = [
    "ESP-00001,Espuma D33 placa 2x1m 50mm,espumas,chapa,espuma d33 50mm,12,5,7,289.90",
    "TEC-00001,Tecido suede amassado café,tecidos,metro,tecido suede,300.5,100,10,32.40",
    'ADE-00001,"Cola de contato 2,8 kg sem toluol",adesivos,galão,cola de contato,4,6,5,129.00',
]


@pytest.fixture
def sample_catalog(tmp_path) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_bytes(catalog_csv(SAMPLE_ROWS))
    return path


def seed_demo_warehouse(url: str, now: datetime, days: int) -> None:
    """A migrated warehouse at ``url`` with the sample catalog, ``days`` of demo-market
    windows up to ``now`` and the daily history cleaned from them."""
    engine = create_warehouse_engine(url)
    try:
        migrate(engine)
        upsert_catalog(engine, parse_catalog(catalog_csv(SAMPLE_ROWS)))
        windows = demo_windows(now, days)
        insert_observations(engine, seed_demo_observations(load_products(engine), windows))
        daily, _ = build_daily_history(load_real_observations(engine))
        replace_daily_history(engine, daily, built_at=now)
    finally:
        engine.dispose()
