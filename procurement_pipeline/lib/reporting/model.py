"""Plain inputs of the PDF reports: dataclasses and DataFrames, no database or Dagster.

Conventions of the metric dictionaries (as produced by the forecasting code): mae, rmse, mse and
the baselines' errors are in price units (R$); mape and the baselines' mapes are percentage
points (4.2 = 4,2%), coverage_80 a fraction (0.8 = 80%); mase_* are ratios (below 1 = better
than the baseline); beats_* booleans.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from procurement_pipeline.lib import clock
from procurement_pipeline.lib.forecasting.metrics import METRIC_KEYS as FORECAST_METRIC_KEYS

METRIC_KEYS = FORECAST_METRIC_KEYS
# Medians shown on the catalog summary.
MEDIAN_METRIC_KEYS = (
    "mae",
    "rmse",
    "mape",
    "coverage_80",
    "mase_naive",
    "mase_seasonal_naive",
    "validation_mase_naive",
)
DEFAULT_PAGE_SELECTION = 50


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in columns})


def _finite(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# The legend of the synthetic gap filler, in the PDFs and the dashboard alike.
SYNTHETIC_LABEL = "Sintético (dia sem coleta; não observado)"


def synthetic_on_gap_days(synthetic: pd.DataFrame | None, shown_days: Any) -> pd.DataFrame:
    """The rows of ``synthetic`` (``day``, ``price``) on days that ``shown_days`` (the days the
    real history shows) do not hold: the gap filler appears only where there is no real
    price, so a chart never shows two prices for one day."""
    if synthetic is None or synthetic.empty:
        return _empty(["day", "price"]) if synthetic is None else synthetic
    days = pd.to_datetime(synthetic["day"]).dt.normalize()
    shown = pd.DatetimeIndex(pd.to_datetime(pd.Series(shown_days, dtype=object))).normalize()
    return synthetic[~days.isin(shown)].reset_index(drop=True)


@dataclasses.dataclass
class ProductReportData:
    """Everything one product page shows.

    history: day, price, value_source ("observed" | "interpolated") — real observations only.
    synthetic_history: day, price — the display-only gap filler (may be empty; charts show it
    only on the days ``history`` has no row, :func:`synthetic_on_gap_days`).
    forecast: ds, yhat, yhat_lower, yhat_upper — the days ahead (may be empty).
    holdout: ds, y, yhat, yhat_lower, yhat_upper, naive, seasonal_naive (may be empty).
    latest_offers: title, price, seller, url, sponsored, scraped_at.
    """

    sku: str
    name: str
    category: str = ""
    unit: str = ""
    history: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(["day", "price", "value_source"])
    )
    synthetic_history: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(["day", "price"])
    )
    forecast: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(["ds", "yhat", "yhat_lower", "yhat_upper"])
    )
    holdout: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(
            ["ds", "y", "yhat", "yhat_lower", "yhat_upper", "naive", "seasonal_naive"]
        )
    )
    metrics: dict[str, Any] | None = None
    status: str = "trained"
    reason: str | None = None
    train_start: dt.date | None = None
    train_end: dt.date | None = None
    trained_at: dt.datetime | None = None
    latest_offers: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(
            ["title", "price", "seller", "url", "sponsored", "scraped_at"]
        )
    )

    @property
    def last_price(self) -> float | None:
        """The last observed price (interpolated days do not count)."""
        history = self.history
        if history is None or history.empty:
            return None
        if "value_source" in history.columns:
            observed = history[history["value_source"] != "interpolated"]
            if not observed.empty:
                history = observed
        ordered = history.sort_values("day")
        return _finite(ordered["price"].iloc[-1])

    @property
    def last_observed_day(self) -> dt.date | None:
        if self.history is None or self.history.empty:
            return None
        return pd.Timestamp(self.history["day"].max()).date()

    @property
    def last_forecast(self) -> float | None:
        """yhat of the last forecast day."""
        if self.forecast is None or self.forecast.empty:
            return None
        return _finite(self.forecast.sort_values("ds")["yhat"].iloc[-1])

    def outcome(self) -> ProductOutcome:
        return ProductOutcome(
            sku=self.sku,
            name=self.name,
            category=self.category,
            unit=self.unit,
            status=self.status,
            reason=self.reason,
            metrics=self.metrics,
            last_price=self.last_price,
            last_forecast=self.last_forecast if self.status == "trained" else None,
        )


@dataclasses.dataclass(frozen=True)
class ProductOutcome:
    """What the catalog summary needs of one product (cheap to build from the registry)."""

    sku: str
    name: str
    status: str
    category: str = ""
    unit: str = ""
    reason: str | None = None
    metrics: dict[str, Any] | None = None
    last_price: float | None = None
    last_forecast: float | None = None

    @property
    def expected_move(self) -> float | None:
        """Last forecast yhat vs last observed price, as a fraction (0.05 = +5%)."""
        return expected_move(self.last_price, self.last_forecast)


def expected_move(last_price: float | None, last_forecast: float | None) -> float | None:
    price, forecast = _finite(last_price), _finite(last_forecast)
    if price is None or forecast is None or price <= 0:
        return None
    return forecast / price - 1.0


@dataclasses.dataclass(frozen=True)
class ProductMove:
    sku: str
    name: str
    category: str
    unit: str
    last_price: float
    last_forecast: float
    move: float  # fraction

    @property
    def move_pct(self) -> float:
        return self.move * 100.0


@dataclasses.dataclass
class CatalogSummary:
    """The catalog report's first page(s); built by summarize_catalog."""

    generated_at: dt.datetime
    products_total: int
    trained: int
    skipped: int
    failed: int
    skipped_reasons: dict[str, int]
    failed_reasons: dict[str, int]
    median_metrics: dict[str, float | None]
    share_beats_naive: float | None
    share_beats_seasonal_naive: float | None
    moves: list[ProductMove]  # every trained product with a move, largest |move| first
    # Trained products per model served (metrics["model"]: lib.forecasting.selection).
    models_used: dict[str, int] = dataclasses.field(default_factory=dict)
    horizon_days: int = 30
    top_n: int = 10
    title: str = "Relatório do catálogo de compras"

    @property
    def top_up(self) -> list[ProductMove]:
        ups = [m for m in self.moves if m.move > 0]
        return sorted(ups, key=lambda m: m.move, reverse=True)[: self.top_n]

    @property
    def top_down(self) -> list[ProductMove]:
        downs = [m for m in self.moves if m.move < 0]
        return sorted(downs, key=lambda m: m.move)[: self.top_n]

    def page_selection(self, limit: int | None = DEFAULT_PAGE_SELECTION) -> list[str]:
        """SKUs that get a page in the catalog report: the largest absolute expected moves."""
        skus = [m.sku for m in self.moves]
        return skus if limit is None else skus[:limit]


def _median(values: Iterable[float | None]) -> float | None:
    finite = [v for v in (_finite(x) for x in values) if v is not None]
    return statistics.median(finite) if finite else None


def _share(values: list[Any]) -> float | None:
    known = [bool(v) for v in values if v is not None]
    return sum(known) / len(known) if known else None


def summarize_catalog(
    products: Iterable[ProductOutcome | ProductReportData],
    *,
    generated_at: dt.datetime | None = None,
    horizon_days: int = 30,
    top_n: int = 10,
) -> CatalogSummary:
    """Counts by status, skip/failure reasons, median metrics, shares and expected moves."""
    counts: Counter[str] = Counter()
    skipped_reasons: Counter[str] = Counter()
    failed_reasons: Counter[str] = Counter()
    metrics_rows: list[dict[str, Any]] = []
    moves: list[ProductMove] = []
    for item in products:
        outcome = item.outcome() if isinstance(item, ProductReportData) else item
        counts[outcome.status] += 1
        if outcome.status == "skipped":
            skipped_reasons[outcome.reason or "sem motivo informado"] += 1
        elif outcome.status == "failed":
            failed_reasons[outcome.reason or "sem motivo informado"] += 1
        elif outcome.status == "trained":
            if outcome.metrics:
                metrics_rows.append(outcome.metrics)
            move = outcome.expected_move
            if move is not None:
                moves.append(
                    ProductMove(
                        sku=outcome.sku,
                        name=outcome.name,
                        category=outcome.category,
                        unit=outcome.unit,
                        last_price=float(outcome.last_price),  # type: ignore[arg-type]
                        last_forecast=float(outcome.last_forecast),  # type: ignore[arg-type]
                        move=move,
                    )
                )
    moves.sort(key=lambda m: (-abs(m.move), m.sku))
    models_used = Counter(str(m.get("model") or "unknown") for m in metrics_rows)
    return CatalogSummary(
        generated_at=generated_at or clock.now(),
        products_total=sum(counts.values()),
        trained=counts["trained"],
        skipped=counts["skipped"],
        failed=counts["failed"],
        skipped_reasons=dict(skipped_reasons.most_common()),
        failed_reasons=dict(failed_reasons.most_common()),
        median_metrics={k: _median(r.get(k) for r in metrics_rows) for k in MEDIAN_METRIC_KEYS},
        share_beats_naive=_share([r.get("beats_naive") for r in metrics_rows]),
        share_beats_seasonal_naive=_share([r.get("beats_seasonal_naive") for r in metrics_rows]),
        moves=moves,
        models_used=dict(models_used.most_common()),
        horizon_days=horizon_days,
        top_n=top_n,
    )


@dataclasses.dataclass
class GlobalReportData:
    """The catalog-wide price index model.

    index_history: day, index_value (and optionally products, value_source).
    holdout: ds, y, yhat, yhat_lower, yhat_upper, naive, seasonal_naive.
    forecast: ds, yhat, yhat_lower, yhat_upper.
    """

    index_history: pd.DataFrame
    holdout: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(
            ["ds", "y", "yhat", "yhat_lower", "yhat_upper", "naive", "seasonal_naive"]
        )
    )
    forecast: pd.DataFrame = dataclasses.field(
        default_factory=lambda: _empty(["ds", "yhat", "yhat_lower", "yhat_upper"])
    )
    metrics: dict[str, Any] | None = None
    status: str = "trained"
    reason: str | None = None
    products: int | None = None
    train_start: dt.date | None = None
    train_end: dt.date | None = None
    trained_at: dt.datetime | None = None
    title: str = "Índice de preços do catálogo"
