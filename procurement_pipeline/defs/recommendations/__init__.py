import dagster as dg

from procurement_pipeline.defs.alerts.resources import mail_configured_in_env
from procurement_pipeline.defs.recommendations.assets import (
    consumption_history,
    one_recommendation_per_active_product,
    purchase_recommendations,
    suggested_quantities_not_negative,
)
from procurement_pipeline.defs.recommendations.sensors import (
    build_opportunity_sensor,
    opportunity_margin_from_env,
)

defs = dg.Definitions(
    assets=[consumption_history, purchase_recommendations],
    asset_checks=[one_recommendation_per_active_product, suggested_quantities_not_negative],
    # Settings resolved once, when the definitions load (like the e-mail sensors): running by
    # default only when e-mail is configured; the margin from PROCUREMENT_OPPORTUNITY_MARGIN.
    sensors=[build_opportunity_sensor(mail_configured_in_env(), opportunity_margin_from_env())],
)
