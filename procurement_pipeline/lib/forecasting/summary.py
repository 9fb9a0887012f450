"""What a batch of trainings amounts to: counts, reasons, median metrics, slowest products."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Sequence
from typing import Any

from procurement_pipeline.lib.forecasting.training import TrainingResult


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def summarize_training(results: Sequence[TrainingResult], slowest: int = 5) -> dict[str, Any]:
    trained = [r for r in results if r.status == "trained"]
    skipped = [r for r in results if r.status == "skipped"]
    failed = [r for r in results if r.status == "failed"]

    def metric(name: str) -> list[float]:
        return [float(r.metrics[name]) for r in trained if r.metrics.get(name) is not None]

    def share(name: str) -> float | None:
        return (
            round(sum(bool(r.metrics.get(name)) for r in trained) / len(trained), 4)
            if trained
            else None
        )

    models = Counter(r.model_name or "unknown" for r in trained)
    # "only 12 days of history; 30 needed" and "only 9 days…" are one reason.
    skip_reasons = Counter(re.sub(r"\d+", "N", r.reason or "unknown") for r in skipped)
    return {
        "products": len(results),
        "trained": len(trained),
        "skipped": len(skipped),
        "failed": len(failed),
        "skipped_reasons": dict(skip_reasons.most_common()),
        "failed_reasons": {r.sku: r.reason for r in failed[:20]},
        "models_served": dict(models.most_common()),
        "median_validation_mase_naive": _median(metric("validation_mase_naive")),
        "median_mase_naive": _median(metric("mase_naive")),
        "median_mase_seasonal_naive": _median(metric("mase_seasonal_naive")),
        "median_mape_pct": _median(metric("mape")),
        "median_coverage_80": _median(metric("coverage_80")),
        "share_beating_naive": share("beats_naive"),
        "share_beating_seasonal_naive": share("beats_seasonal_naive"),
        "slowest_products": {
            r.sku: round(r.duration_s, 3)
            for r in sorted(results, key=lambda r: r.duration_s, reverse=True)[:slowest]
        },
    }
