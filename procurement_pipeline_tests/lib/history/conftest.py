"""Warehouse fixtures for the history tests: SQLite in tmp_path and a throwaway MariaDB/MySQL
database on 127.0.0.1:3306 (skipped when the server is unreachable, unless
PROCUREMENT_REQUIRE_MYSQL=1)."""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime

import pytest
from sqlalchemy import insert

from procurement_pipeline.lib.warehouse import create_warehouse_engine, migrate
from procurement_pipeline.lib.warehouse.schema import products

MYSQL_HOST = os.environ.get("PROCUREMENT_TEST_MYSQL_HOST", "127.0.0.1")
MYSQL_PORT = int(os.environ.get("PROCUREMENT_TEST_MYSQL_PORT", "3306"))
MYSQL_USER = os.environ.get("PROCUREMENT_TEST_MYSQL_USER", "root")


def _mysql_reachable() -> bool:
    try:
        with socket.create_connection((MYSQL_HOST, MYSQL_PORT), timeout=2):
            return True
    except OSError:
        return False


def insert_products(engine, skus, reference_price: float = 10.0) -> None:
    """Minimal catalog rows (price_observations and daily_price_history reference them)."""
    now = datetime(2025, 1, 1)
    rows = [
        {
            "sku": sku,
            "name": f"Product {sku}",
            "category": "test",
            "unit": "un",
            "search_term": f"product {sku}",
            "current_stock": 1,
            "minimum_stock": 1,
            "lead_time_days": 7,
            "reference_price": reference_price,
            "currency": "BRL",
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        for sku in skus
    ]
    with engine.begin() as conn:
        conn.execute(insert(products), rows)


@pytest.fixture
def history_sqlite_engine(tmp_path):
    engine = create_warehouse_engine(f"sqlite:///{tmp_path / 'warehouse.sqlite'}")
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def history_mysql_engine():
    if not _mysql_reachable():
        message = f"MySQL/MariaDB not reachable on {MYSQL_HOST}:{MYSQL_PORT}"
        if os.environ.get("PROCUREMENT_REQUIRE_MYSQL") == "1":
            pytest.fail(message + " and PROCUREMENT_REQUIRE_MYSQL=1")
        pytest.skip(message)
    import pymysql

    name = f"pp_history_test_{uuid.uuid4().hex[:12]}"
    admin = pymysql.connect(host=MYSQL_HOST, port=MYSQL_PORT, user=MYSQL_USER, autocommit=True)
    try:
        with admin.cursor() as cursor:
            cursor.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
        engine = create_warehouse_engine(
            f"mysql+pymysql://{MYSQL_USER}@{MYSQL_HOST}:{MYSQL_PORT}/{name}"
        )
        try:
            migrate(engine)
            yield engine
        finally:
            engine.dispose()
            with admin.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        admin.close()


@pytest.fixture(params=["sqlite", pytest.param("mysql", marks=pytest.mark.mysql)])
def history_engine(request):
    """The same test on both warehouses."""
    fixture = "history_sqlite_engine" if request.param == "sqlite" else "history_mysql_engine"
    return request.getfixturevalue(fixture)
