"""Consumption history: ERP CSV validation and the daily-use estimate (demo data: tools/)."""

from procurement_pipeline.lib.consumption.estimate import (
    ADVICE_USE_COLUMNS,
    ESTIMATE_COLUMNS,
    days_of_cover,
    expected_consumption,
    use_for_advice,
)
from procurement_pipeline.lib.consumption.validation import (
    ConsumptionProblem,
    ConsumptionValidationError,
    parse_consumption,
    read_consumption,
)

__all__ = [
    "ADVICE_USE_COLUMNS",
    "ESTIMATE_COLUMNS",
    "ConsumptionProblem",
    "ConsumptionValidationError",
    "days_of_cover",
    "expected_consumption",
    "parse_consumption",
    "read_consumption",
    "use_for_advice",
]
