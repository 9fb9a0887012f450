"""Alembic migrations, applied automatically and idempotently on first use."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, text

_HERE = Path(__file__).parent
_LOCK_NAME = "procurement_pipeline_migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_HERE / "migrations"))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@contextmanager
def _migration_lock(connection: Connection):
    """Several processes (code server, run workers) may start at once: on MySQL a named lock
    serialises them (its DDL is not transactional); SQLite serialises writers by itself."""
    if connection.dialect.name != "mysql":
        yield
        return
    got = connection.execute(text("SELECT GET_LOCK(:name, 120)"), {"name": _LOCK_NAME}).scalar()
    if got != 1:
        raise RuntimeError("timed out waiting for another process to migrate the warehouse")
    try:
        yield
    finally:
        connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": _LOCK_NAME})


def migrate(engine: Engine) -> str:
    """Bring the warehouse to the newest schema. Returns the revision it is at."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return head
    with engine.connect() as connection, _migration_lock(connection):
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
        connection.commit()
        return current_revision(connection) or head
