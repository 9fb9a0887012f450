"""Cached, read-only access to the warehouse and the artifact store.

The engine is opened once per process (``st.cache_resource``); query results are cached for
``TTL_SECONDS`` (``st.cache_data``) so a new pipeline run shows up within half a minute without
restarting the app. Cached functions take the database URL (not the engine) so the cache key
is a plain string. Errors are never cached: an unreachable warehouse is retried on every run.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from procurement_pipeline.lib import settings
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse import dashboard as queries
from procurement_pipeline.lib.warehouse.recommendations import load_recommendations

TTL_SECONDS = 30


def database_url() -> str:
    return settings.database_url()


def artifact_root() -> Path:
    return settings.artifact_root()


def sqlite_file_missing(url: str) -> Path | None:
    """The SQLite file a URL points to when it does not exist yet (connecting would create
    it, and the dashboard never writes), else None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:") or database.startswith("file:"):
        return None
    path = Path(database)
    return None if path.is_file() else path


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    return create_warehouse_engine(url)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def warehouse_status(url: str) -> queries.WarehouseStatus:
    return queries.warehouse_status(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def product_choices(url: str) -> pd.DataFrame:
    return queries.product_choices(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=256)
def product_series(url: str, sku: str) -> pd.DataFrame:
    return queries.product_daily_series(engine_for(url), sku)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=256)
def product_forecasts(url: str, sku: str) -> pd.DataFrame:
    return queries.product_forecasts(engine_for(url), sku)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=256)
def product_registry(url: str, sku: str) -> dict | None:
    return queries.product_registry(engine_for(url), sku)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=256)
def latest_offers(url: str, sku: str) -> pd.DataFrame:
    return queries.latest_offers(engine_for(url), sku)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def newest_real_observation(url: str):
    return queries.newest_real_observation(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def registry_counts(url: str) -> dict[str, int]:
    return queries.registry_counts(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def latest_global_model(url: str) -> dict | None:
    return queries.latest_global_model(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def global_index(url: str) -> pd.DataFrame:
    return queries.load_global_index(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def global_forecasts(url: str, model_id: int) -> pd.DataFrame:
    return queries.global_model_forecasts(engine_for(url), model_id)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def largest_moves(url: str, limit: int) -> pd.DataFrame:
    return queries.largest_expected_moves(engine_for(url), limit)


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def scrape_health(url: str, windows: int) -> pd.DataFrame:
    return queries.summarize_scrape_health(queries.scrape_health(engine_for(url), windows))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False)
def recommendations(url: str) -> pd.DataFrame:
    """The newest day's purchase recommendations of the active products (empty when none, or
    when the warehouse predates them)."""
    return load_recommendations(engine_for(url))


@st.cache_data(ttl=TTL_SECONDS, show_spinner=False, max_entries=64)
def _read_bytes(path: str, mtime_ns: int, size: int) -> bytes:
    return Path(path).read_bytes()


def artifact_bytes(relative: str) -> bytes | None:
    """A file of the artifact store, or None when it does not exist (yet). Cached per
    (path, modification time, size), so a regenerated report is served at once."""
    path = artifact_root() / relative
    try:
        stat = path.stat()
    except OSError:
        return None
    if not path.is_file():
        return None
    return _read_bytes(str(path), stat.st_mtime_ns, stat.st_size)


def artifact_day(relative: str) -> dt.date | None:
    """The UTC day a file of the artifact store was last written (None when it is missing):
    the date in a report's download name."""
    try:
        modified = (artifact_root() / relative).stat().st_mtime
    except OSError:
        return None
    return dt.datetime.fromtimestamp(modified, dt.UTC).date()


def clear_caches() -> None:
    st.cache_data.clear()
