import dagster as dg

from procurement_pipeline.defs.environment import mail_configured
from procurement_pipeline.defs.recommendations.assets import (
    consumption_history,
    one_recommendation_per_active_product,
    purchase_recommendations,
    suggested_quantities_not_negative,
)
from procurement_pipeline.defs.recommendations.sensors import build_opportunity_sensor

defs = dg.Definitions(
    assets=[consumption_history, purchase_recommendations],
    asset_checks=[one_recommendation_per_active_product, suggested_quantities_not_negative],
    # Running by default only when e-mail is configured (like the e-mail sensors); the margin
    # comes from the advice_settings resource (PROCUREMENT_OPPORTUNITY_MARGIN).
    sensors=[build_opportunity_sensor(mail_configured())],
)
