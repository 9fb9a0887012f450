"""Engines for the embedded SQLite warehouse and for MySQL/MariaDB, and safe URL display."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url


def normalize_url(database_url: str | URL) -> URL:
    """MySQL always speaks utf8mb4 so accents and symbols round-trip."""
    url = make_url(database_url)
    if url.get_backend_name() == "mysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    return url


def display_url(database_url: str | URL) -> str:
    """The URL with its password hidden: safe for logs, metadata and error pages."""
    return make_url(database_url).render_as_string(hide_password=True)


def create_warehouse_engine(database_url: str | URL) -> Engine:
    url = normalize_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and url.database != ":memory:":
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            # WAL lets the dashboard read while a run rewrites a table in one transaction.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_recycle=3600)
