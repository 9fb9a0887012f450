"""Where the embedded default keeps its state, resolved from environment variables.

Everything lives under one git-ignored folder (PROCUREMENT_STATE_DIR, default `.local_state`
in the working directory): the SQLite warehouse, the artifact store and DAGSTER_HOME. Each
location can be overridden on its own. Only entry points (CLI, Dagster definitions, the
dashboard) call these; library functions take explicit arguments.
"""

from __future__ import annotations

import os
from pathlib import Path

STATE_DIR_ENV = "PROCUREMENT_STATE_DIR"
DATABASE_URL_ENV = "DATABASE_URL"
ARTIFACT_ROOT_ENV = "PROCUREMENT_ARTIFACT_ROOT"
DAGSTER_HOME_ENV = "DAGSTER_HOME"


def state_dir() -> Path:
    return Path(os.environ.get(STATE_DIR_ENV) or ".local_state").resolve()


def database_url() -> str:
    return os.environ.get(DATABASE_URL_ENV) or f"sqlite:///{state_dir() / 'warehouse.sqlite'}"


def artifact_root() -> Path:
    return Path(os.environ.get(ARTIFACT_ROOT_ENV) or state_dir() / "artifacts").resolve()


def dagster_home() -> Path:
    return Path(os.environ.get(DAGSTER_HOME_ENV) or state_dir() / "dagster_home").resolve()


CATALOG_CSV_ENV = "PROCUREMENT_CATALOG_CSV"
# The project's own data/ folder (beside the package in a checkout or in the image).
PROJECT_ROOT = Path(__file__).resolve().parents[2]


def catalog_csv() -> Path:
    return Path(os.environ.get(CATALOG_CSV_ENV) or PROJECT_ROOT / "data" / "products_seed.csv")


CONSUMPTION_CSV_ENV = "PROCUREMENT_CONSUMPTION_CSV"


def consumption_csv() -> Path:
    """The ERP consumption export (default: the deterministic demo file)."""
    return Path(
        os.environ.get(CONSUMPTION_CSV_ENV) or PROJECT_ROOT / "data" / "consumption_demo.csv"
    )


HOLDING_COST_RATE_ENV = "PROCUREMENT_HOLDING_COST_RATE"
# Capital, storage, insurance and losses: 20-30 % a year is the usual rule of thumb.
DEFAULT_HOLDING_COST_RATE = 0.25


def holding_cost_rate() -> float:
    """Yearly cost of holding stock as a share of its value (the buying advice weighs it
    against a forecast price rise); PROCUREMENT_HOLDING_COST_RATE, e.g. 0.25 for 25 %."""
    raw = (os.environ.get(HOLDING_COST_RATE_ENV) or "").strip()
    if not raw:
        return DEFAULT_HOLDING_COST_RATE
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        raise ValueError(f"{HOLDING_COST_RATE_ENV} must be a number, got {raw!r}") from None
    if not 0 <= value <= 5:
        raise ValueError(f"{HOLDING_COST_RATE_ENV} must be a yearly share in [0, 5], got {raw!r}")
    return value
