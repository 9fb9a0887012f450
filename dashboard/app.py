"""The buyers' dashboard: ``streamlit run dashboard/app.py``.

Reads the warehouse (DATABASE_URL) and the artifact store (PROCUREMENT_ARTIFACT_ROOT) through
procurement_pipeline.lib, read-only. Never migrates nor writes: a warehouse without the
schema or without products is shown as "empty" with what to run.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ (not the project root) on sys.path.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402
from sqlalchemy.exc import SQLAlchemyError  # noqa: E402

from dashboard import data, views  # noqa: E402


def main() -> None:
    st.set_page_config(page_title="Painel de compras", page_icon="📈", layout="wide")
    url = data.database_url()
    missing = data.sqlite_file_missing(url)
    if missing is not None:
        views.show_empty(url, f"o arquivo `{missing}` não existe (nada foi materializado).")
        return
    try:
        status = data.warehouse_status(url)
    except (SQLAlchemyError, OSError) as exc:
        views.show_unreachable(url, exc)
        return
    if not status.migrated:
        views.show_empty(url, "as tabelas ainda não foram criadas (nada foi materializado).")
        return
    if status.products == 0:
        views.show_empty(url, "nenhum produto no catálogo.")
        return
    view = views.sidebar(url)
    if view == views.CATALOG_VIEW:
        views.catalog_view(url)
    elif view == views.BUY_VIEW:
        views.buy_view(url)
    else:
        views.product_view(url)


main()
