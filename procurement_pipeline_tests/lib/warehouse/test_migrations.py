from datetime import datetime
from decimal import Decimal

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select

from procurement_pipeline.lib.warehouse import create_warehouse_engine, head_revision, migrate
from procurement_pipeline.lib.warehouse.engine import display_url
from procurement_pipeline.lib.warehouse.schema import metadata, products

EXPECTED_TABLES = {
    "products",
    "price_observations",
    "offers",
    "scrape_attempts",
    "daily_price_history",
    "model_registry",
    "forecasts",
    "global_models",
    "global_price_index",
    "global_forecasts",
    "sent_notifications",
    "product_forecast_summary",
    "consumption_history",
    "consumption_estimates",
    "purchase_recommendations",
}


def test_migrations_apply_twice_and_match_the_schema(database_url):
    engine = create_warehouse_engine(database_url)
    assert migrate(engine) == head_revision()
    assert migrate(engine) == head_revision()  # idempotent: second call changes nothing
    # A fresh engine (another process) also finds nothing to do.
    assert migrate(create_warehouse_engine(database_url)) == head_revision()
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES
    with engine.connect() as conn:
        # The migrations produce exactly what schema.py declares: no drift.
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_accents_and_symbols_round_trip(warehouse_engine):
    name = "Cola de contato 2,8 kg — ação rápida, 100% açúcar-free ½ Ø 5 mm €£ 😀"
    now = datetime(2026, 11, 25, 12, 0, 0)
    with warehouse_engine.begin() as conn:
        conn.execute(
            products.insert(),
            {
                "sku": "ÇÃO-1",
                "name": name,
                "category": "adesivos",
                "unit": "galão",
                "search_term": "cola de contato ação",
                "current_stock": Decimal("1.5"),
                "minimum_stock": Decimal("0"),
                "lead_time_days": 3,
                "reference_price": Decimal("1234.56"),
                "created_at": now,
                "updated_at": now,
            },
        )
    with warehouse_engine.connect() as conn:
        row = conn.execute(select(products)).one()
    assert row.sku == "ÇÃO-1"
    assert row.name == name
    assert row.unit == "galão"
    assert row.reference_price == Decimal("1234.56")  # exact decimal, no float drift
    assert row.active is True


def test_display_url_hides_the_password():
    shown = display_url("mysql+pymysql://app:s3cr3t@db:3306/procurement")
    assert "s3cr3t" not in shown
    assert "app:***@db:3306/procurement" in shown


def test_mysql_urls_get_utf8mb4(database_url):
    engine = create_warehouse_engine(database_url)
    if engine.dialect.name == "mysql":
        assert engine.url.query["charset"] == "utf8mb4"
