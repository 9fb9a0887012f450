"""The one place the code location reads its environment: every setting reaches the code as a
field of a resource built here (a guard test, test_settings_one_way.py, fails on an
environment read anywhere else in defs/).

- A text setting whose variable is set is a `dg.EnvVar`: the UI shows the variable's name
  (never a secret's value: SCRAPERAPI_KEY, SMTP_PASSWORD), and the run reads it where it runs.
- Numbers and switches are the values the lib readers parse, because Dagster's EnvVar carries
  only text into a float or bool field.
- An unset (or blank) variable leaves the resource's default, which is lib's (lib/settings.py,
  ScraperAPISettings, SMTPSettings): the offline demo runs with nothing set.
- Every value is validated here when the definitions load, by those lib readers, with their
  errors naming the variable (a bad SCRAPERAPI_TIMEOUT or PROCUREMENT_OPPORTUNITY_MARGIN fails
  the code location, not a run hours later).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import dagster as dg

from procurement_pipeline.lib import settings
from procurement_pipeline.lib.notifications import SMTPSettings
from procurement_pipeline.lib.scraping.scraperapi import ScraperAPISettings

# The resource classes are imported where the resources are built, not here: the alerts and
# recommendations packages import this module (mail_configured) while they load.
if TYPE_CHECKING:
    from procurement_pipeline.defs.alerts.resources import MailerResource
    from procurement_pipeline.defs.prices.resources import MarketplaceResource

MARKET_ENV = "PROCUREMENT_MARKET"
WEBSERVER_URL_ENV = "DAGSTER_WEBSERVER_URL"


def _env_var(name: str, *, keep_blank: bool = False) -> dg.EnvVar | None:
    """EnvVar(name) when the variable is set (and not blank, unless `keep_blank`: a password
    may be spaces), else None."""
    raw = os.environ.get(name)
    is_set = bool(raw) if keep_blank else bool((raw or "").strip())
    return dg.EnvVar(name) if is_set else None


def _env_field(field: str, variable: str, *, keep_blank: bool = False) -> dict[str, dg.EnvVar]:
    """{field: EnvVar(variable)} when the variable is set, else {}: spread into a resource so an
    unset variable leaves the field's default."""
    found = _env_var(variable, keep_blank=keep_blank)
    return {field: found} if found is not None else {}


def market_from_environment() -> MarketplaceResource:
    """PROCUREMENT_MARKET chooses the implementation (default the demo market); the client
    settings come from SCRAPERAPI_* (the key stays an EnvVar)."""
    from procurement_pipeline.defs.prices.resources import (
        DEMO_MARKET,
        MERCADO_LIVRE,
        DemoMarketResource,
        MercadoLivreMarketResource,
    )

    market = (os.environ.get(MARKET_ENV) or DEMO_MARKET).strip().lower()
    client = ScraperAPISettings.from_env()  # validates the numbers with a clear error
    common = dict(
        max_attempts=client.max_attempts,
        min_backoff_s=client.min_backoff_s,
        max_backoff_s=client.max_backoff_s,
        concurrency=client.concurrency,
    )
    if market == DEMO_MARKET:
        return DemoMarketResource(**common)
    if market == MERCADO_LIVRE:
        return MercadoLivreMarketResource(
            **common,
            **_env_field("scraperapi_key", "SCRAPERAPI_KEY"),
            **_env_field("base_url", "SCRAPERAPI_BASE_URL"),
            **_env_field("country_code", "SCRAPERAPI_COUNTRY_CODE"),
            timeout_s=client.timeout_s,
        )
    raise ValueError(f"{MARKET_ENV}={market!r}: use {DEMO_MARKET!r} or {MERCADO_LIVRE!r}")


def mailer_from_environment() -> MailerResource:
    """SMTP_* and DAGSTER_WEBSERVER_URL (the password stays an EnvVar)."""
    from procurement_pipeline.defs.alerts.resources import MailerResource

    smtp = SMTPSettings.from_env()  # validates the numbers and switches with a clear error
    return MailerResource(
        **_env_field("host", "SMTP_HOST"),
        **_env_field("user", "SMTP_USER"),
        **_env_field("password", "SMTP_PASSWORD", keep_blank=True),
        **_env_field("from_addr", "SMTP_FROM"),
        **_env_field("default_recipient", "SMTP_DEFAULT_RECIPIENT"),
        **_env_field("ca_file", "SMTP_CA_FILE"),
        **_env_field("webserver_url", WEBSERVER_URL_ENV),
        port=smtp.port,
        use_tls=smtp.use_tls,
        use_ssl=smtp.use_ssl,
        timeout=smtp.timeout,
        verify_tls=smtp.verify_tls,
        max_attempts=smtp.max_attempts,
        backoff_initial=smtp.backoff_initial,
        backoff_max=smtp.backoff_max,
    )


def mail_configured() -> bool:
    """Whether e-mail is configured, for the e-mail sensors' default status (decided when the
    definitions load: a sensor's default status cannot wait for a tick)."""
    return SMTPSettings.from_env().is_configured


def resources_from_environment() -> dict[str, dg.ConfigurableResource]:
    """Every resource of the code location, by key."""
    from procurement_pipeline.defs.catalog.resources import CatalogFileResource
    from procurement_pipeline.defs.forecasting.resources import ModelTrainingResource
    from procurement_pipeline.defs.recommendations.resources import (
        AdviceSettingsResource,
        ConsumptionFileResource,
    )
    from procurement_pipeline.defs.resources import (
        ArtifactStoreResource,
        CurrencyResource,
        WarehouseResource,
    )

    consumption = settings.consumption_file()  # the demo's only with the demo catalog
    return {
        "warehouse": WarehouseResource(
            database_url=_env_var(settings.DATABASE_URL_ENV) or settings.database_url()
        ),
        "artifact_store": ArtifactStoreResource(
            root=_env_var(settings.ARTIFACT_ROOT_ENV) or str(settings.artifact_root())
        ),
        "currency": CurrencyResource(**_env_field("code", "SCRAPING_CURRENCY")),
        "marketplace": market_from_environment(),
        "mailer": mailer_from_environment(),
        "catalog_file": CatalogFileResource(
            **_env_field("path", settings.CATALOG_CSV_ENV),
            **_env_field("sheet", settings.CATALOG_SHEET_ENV),
            **_env_field("encoding", settings.CATALOG_ENCODING_ENV),
        ),
        "consumption_file": ConsumptionFileResource(
            path=_env_var(settings.CONSUMPTION_CSV_ENV) or str(consumption or ""),
            **_env_field("sheet", settings.CONSUMPTION_SHEET_ENV),
            **_env_field("encoding", settings.CONSUMPTION_ENCODING_ENV),
        ),
        "model_training": ModelTrainingResource(fast_prophet=settings.fast_prophet()),
        "advice_settings": AdviceSettingsResource(
            holding_cost_rate=settings.holding_cost_rate(),
            opportunity_margin=settings.opportunity_margin(),
        ),
    }
