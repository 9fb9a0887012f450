"""Where the embedded default keeps its state, resolved from environment variables.

Everything lives under one git-ignored folder (PROCUREMENT_STATE_DIR, default `.local_state`
in the working directory): the SQLite warehouse, the artifact store and DAGSTER_HOME. Each
location can be overridden on its own. Only entry points (CLI, the Dagster wiring in
defs/environment.py, the dashboard) call these; library functions take explicit arguments.
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


# The buyer's files: each a CSV or an .xlsx (the variables keep their historical _CSV names);
# SHEET names the worksheet of an .xlsx (default the first), ENCODING a CSV's encoding
# (default detected; utf-8, cp1252, latin-1 or utf-16).
CATALOG_CSV_ENV = "PROCUREMENT_CATALOG_CSV"
CATALOG_SHEET_ENV = "PROCUREMENT_CATALOG_SHEET"
CATALOG_ENCODING_ENV = "PROCUREMENT_CATALOG_ENCODING"
CONSUMPTION_CSV_ENV = "PROCUREMENT_CONSUMPTION_CSV"
CONSUMPTION_SHEET_ENV = "PROCUREMENT_CONSUMPTION_SHEET"
CONSUMPTION_ENCODING_ENV = "PROCUREMENT_CONSUMPTION_ENCODING"
# The project's own data/ folder (beside the package in a checkout or in the image).
PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEMO_CATALOG = PROJECT_ROOT / "data" / "products_seed.csv"
DEMO_CONSUMPTION = PROJECT_ROOT / "data" / "consumption_demo.csv"


def catalog_file() -> Path:
    """The purchasing catalog (default: the demo catalog)."""
    return Path(os.environ.get(CATALOG_CSV_ENV) or DEMO_CATALOG).expanduser().resolve()


def catalog_sheet() -> str:
    return (os.environ.get(CATALOG_SHEET_ENV) or "").strip()


def catalog_encoding() -> str:
    return (os.environ.get(CATALOG_ENCODING_ENV) or "").strip()


def consumption_file() -> Path | None:
    """The ERP consumption export. Unset: the demo's, but only with the demo catalog (its
    SKUs are the demo's); any other catalog then has none, and its advice comes from stock,
    minimum and lead time ("sem histórico de consumo")."""
    configured = os.environ.get(CONSUMPTION_CSV_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    if catalog_file() == DEMO_CATALOG.resolve():
        return DEMO_CONSUMPTION
    return None


def consumption_sheet() -> str:
    return (os.environ.get(CONSUMPTION_SHEET_ENV) or "").strip()


def consumption_encoding() -> str:
    return (os.environ.get(CONSUMPTION_ENCODING_ENV) or "").strip()


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


OPPORTUNITY_MARGIN_ENV = "PROCUREMENT_OPPORTUNITY_MARGIN"
# A scraped price must be more than this share below the forecast's lower bound to be e-mailed.
DEFAULT_OPPORTUNITY_MARGIN = 0.05


def opportunity_margin() -> float:
    """PROCUREMENT_OPPORTUNITY_MARGIN as a fraction in [0, 1) (default 0.05)."""
    raw = (os.environ.get(OPPORTUNITY_MARGIN_ENV) or "").strip()
    if not raw:
        return DEFAULT_OPPORTUNITY_MARGIN
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = float("nan")
    if not 0 <= value < 1:
        raise ValueError(
            f"{OPPORTUNITY_MARGIN_ENV}={raw!r}: expected a fraction in [0, 1), e.g. 0.05 for 5 % "
            "below the forecast's lower bound"
        )
    return value


FAST_PROPHET_ENV = "PROCUREMENT_FAST_PROPHET"
_TRUE, _FALSE = ("1", "true", "yes", "on", "sim"), ("0", "false", "no", "off", "nao", "não")


def fast_prophet() -> bool:
    """Whether training uses the faster Prophet subclass and CmdStan backend
    (lib/forecasting/model.py) or stock Prophet: PROCUREMENT_FAST_PROPHET, default on."""
    raw = (os.environ.get(FAST_PROPHET_ENV) or "").strip().lower()
    if not raw or raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(f"{FAST_PROPHET_ENV} must be 1 or 0 (true/false), got {raw!r}")
