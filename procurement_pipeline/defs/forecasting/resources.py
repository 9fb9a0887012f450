"""The training settings set per deployment, from the environment in defs/environment.py."""

import dagster as dg
from pydantic import Field

from procurement_pipeline.lib import settings
from procurement_pipeline.lib.forecasting import ModelSettings


class ModelTrainingResource(dg.ConfigurableResource):
    """How models are trained (lib ModelSettings), beyond one run's ModelConfig."""

    fast_prophet: bool = Field(
        default=ModelSettings.fast_prophet,
        description=f"${settings.FAST_PROPHET_ENV}: the faster Prophet subclass and CmdStan "
        "backend (same numbers as stock Prophet); off: stock Prophet",
    )
