"""Consumption history: ERP CSV validation, the demo generator and the daily-use estimate."""

from procurement_pipeline.lib.consumption.estimate import (
    ESTIMATE_COLUMNS,
    days_of_cover,
    expected_consumption,
)
from procurement_pipeline.lib.consumption.validation import (
    ConsumptionProblem,
    ConsumptionValidationError,
    parse_consumption,
    read_consumption,
)

__all__ = [
    "ESTIMATE_COLUMNS",
    "ConsumptionProblem",
    "ConsumptionValidationError",
    "days_of_cover",
    "expected_consumption",
    "parse_consumption",
    "read_consumption",
]
