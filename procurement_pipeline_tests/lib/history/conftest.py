"""Helpers for the history tests; the warehouse on each backend comes from the shared
`warehouse_engine` / `sqlite_engine` fixtures in procurement_pipeline_tests/conftest.py."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import insert

from procurement_pipeline.lib.warehouse.schema import products


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
