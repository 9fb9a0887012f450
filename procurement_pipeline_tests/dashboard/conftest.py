"""Fixtures for the dashboard: a seeded warehouse and an AppTest pointed at it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from procurement_pipeline_tests.dashboard.seed import SeededWarehouse, seed_warehouse

APP = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"


def _clear_streamlit_caches() -> None:
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def seeded(tmp_path) -> SeededWarehouse:
    return seed_warehouse(tmp_path)


@pytest.fixture
def clean_caches() -> Iterator[None]:
    _clear_streamlit_caches()
    yield
    _clear_streamlit_caches()


@pytest.fixture
def make_app(monkeypatch, clean_caches):
    """make_app(database_url, artifact_root) -> a fresh AppTest for dashboard/app.py."""

    def factory(database_url: str, artifact_root: Path) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", database_url)
        monkeypatch.setenv("PROCUREMENT_ARTIFACT_ROOT", str(artifact_root))
        return AppTest.from_file(str(APP), default_timeout=60)

    return factory


@pytest.fixture
def app(make_app, seeded) -> AppTest:
    return make_app(seeded.url, seeded.artifact_root)
