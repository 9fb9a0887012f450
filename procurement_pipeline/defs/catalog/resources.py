"""The buyer's files as resources (the catalog here, the consumption export beside the advice):
a path, a worksheet and an encoding, set from the environment in defs/environment.py."""

from pathlib import Path

import dagster as dg
from pydantic import Field, field_validator

from procurement_pipeline.lib import settings


class BuyerFileResource(dg.ConfigurableResource):
    """A CSV or .xlsx the buyer provides. An asset's Config may override each field for one
    run (None there = this resource's)."""

    path: str = Field(description="The file; empty: none")
    sheet: str = Field(default="", description="Worksheet of an .xlsx; empty: the first")
    encoding: str = Field(default="", description="Encoding of a CSV; empty: detected")

    @field_validator("path", "sheet", "encoding")
    @classmethod
    def _stripped(cls, value: str) -> str:
        # As lib/settings.py reads the variables (an EnvVar's value arrives here as set).
        return value.strip()

    def file(self, override: str | None = None) -> str:
        """The file to read: the run's override as given, else this resource's path resolved
        (`~` expanded) like lib/settings.py resolves it; "" when there is none."""
        if override is not None:
            return override
        return str(Path(self.path).expanduser().resolve()) if self.path else ""


class CatalogFileResource(BuyerFileResource):
    """The purchasing catalog: PROCUREMENT_CATALOG_CSV / _SHEET / _ENCODING (default: the demo
    catalog)."""

    path: str = Field(
        default=str(settings.DEMO_CATALOG),
        description=f"${settings.CATALOG_CSV_ENV}; default the demo catalog",
    )
