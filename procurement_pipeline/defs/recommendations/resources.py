"""The advice's settings as resources: the ERP consumption export and the knobs set per
deployment (holding cost, opportunity margin), set from the environment in
defs/environment.py."""

import dagster as dg
from pydantic import Field

from procurement_pipeline.defs.catalog.resources import BuyerFileResource
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.recommendations import RecommendationSettings


class ConsumptionFileResource(BuyerFileResource):
    """The ERP consumption export: PROCUREMENT_CONSUMPTION_CSV / _SHEET / _ENCODING. Unset, the
    demo's with the demo catalog and none ("") with any other (lib/settings.py decides)."""

    path: str = Field(
        default=str(settings.DEMO_CONSUMPTION),
        description=f"${settings.CONSUMPTION_CSV_ENV}; empty: no file (advice from stock, "
        "minimum and lead time)",
    )


class AdviceSettingsResource(dg.ConfigurableResource):
    """Deployment-wide knobs of the buying advice (lib RecommendationSettings)."""

    holding_cost_rate: float = Field(
        default=settings.DEFAULT_HOLDING_COST_RATE,
        description=f"${settings.HOLDING_COST_RATE_ENV}: yearly cost of holding stock as a share "
        "of its value (0.25 = 25 %)",
    )
    opportunity_margin: float = Field(
        default=settings.DEFAULT_OPPORTUNITY_MARGIN,
        description=f"${settings.OPPORTUNITY_MARGIN_ENV}: how far (a fraction) below the "
        "forecast's lower bound a scraped price must be to be e-mailed",
    )

    def recommendation_settings(self, **overrides) -> RecommendationSettings:
        """The lib settings from this resource's fields (validated there), with a run's
        overrides; None in `overrides` keeps this resource's value."""
        values = dict(
            holding_cost_rate=self.holding_cost_rate,
            opportunity_margin=self.opportunity_margin,
        )
        values.update({name: value for name, value in overrides.items() if value is not None})
        return RecommendationSettings(**values)
