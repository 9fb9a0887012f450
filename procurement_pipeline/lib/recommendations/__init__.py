"""Buying recommendations: the decision rule, opportunity alerts and their e-mail."""

from procurement_pipeline.lib.recommendations.engine import (
    ACTIONS,
    OPPORTUNITY_COLUMNS,
    RECOMMENDATION_COLUMNS,
    RecommendationSettings,
    opportunities,
    opportunity_key,
    recommend,
    recommendation_counts,
    round_quantity,
)

__all__ = [
    "ACTIONS",
    "OPPORTUNITY_COLUMNS",
    "RECOMMENDATION_COLUMNS",
    "RecommendationSettings",
    "opportunities",
    "opportunity_key",
    "recommend",
    "recommendation_counts",
    "round_quantity",
]
