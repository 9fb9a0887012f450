"""defs/environment.py, the one place settings are read: with nothing set, the embedded demo
(lib's defaults); a set text variable is an EnvVar (a secret's value never in the resource's
config); bad numbers fail when the definitions load, naming the variable; PROCUREMENT_MARKET
picks the market implementation."""

from __future__ import annotations

import dagster as dg
import pytest

from procurement_pipeline.defs.environment import (
    mail_configured,
    market_from_environment,
    resources_from_environment,
)
from procurement_pipeline.defs.prices.resources import (
    DemoMarketResource,
    MercadoLivreMarketResource,
)
from procurement_pipeline.lib import settings
from procurement_pipeline.lib.scraping.errors import ScraperAPIConfigError
from procurement_pipeline.lib.scraping.scraperapi import ScraperAPISettings
from procurement_pipeline_tests.conftest import REPO_ROOT
from procurement_pipeline_tests.deploy.env_scan import variables_read_by_code

PREFIXES = ("PROCUREMENT_", "SCRAPERAPI_", "SCRAPING_", "SMTP_", "DAGSTER_WEBSERVER_URL")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No setting variable set; the state folder in tmp_path."""
    for name in variables_read_by_code(REPO_ROOT / "procurement_pipeline"):
        if name.startswith(PREFIXES) or name in {"DATABASE_URL"}:
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(settings.STATE_DIR_ENV, str(tmp_path))
    return monkeypatch


def resolved(resource: dg.ConfigurableResource) -> dg.ConfigurableResource:
    """The resource as a run sees it: EnvVars read."""
    return resource.process_config_and_initialize()


def test_nothing_set_is_the_offline_demo(clean_env, tmp_path):
    built = resources_from_environment()
    # The warehouse and artifact store hold literals here (their variables are unset).
    resources = {key: r if key == "warehouse" else resolved(r) for key, r in built.items()}
    assert isinstance(resources["marketplace"], DemoMarketResource)
    assert resources["marketplace"].source == "demo"
    assert resources["marketplace"].concurrency == ScraperAPISettings().concurrency
    assert resources["warehouse"].database_url == f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    assert resources["artifact_store"].root == str(tmp_path / "artifacts")
    assert resources["currency"].currency == "BRL"
    assert resources["catalog_file"].file() == str(settings.DEMO_CATALOG)
    assert resources["consumption_file"].file() == str(settings.DEMO_CONSUMPTION)
    advice = resources["advice_settings"].recommendation_settings()
    assert advice.holding_cost_rate == settings.DEFAULT_HOLDING_COST_RATE
    assert advice.opportunity_margin == settings.DEFAULT_OPPORTUNITY_MARGIN
    assert resources["model_training"].fast_prophet is True
    assert not resources["mailer"].is_configured and not mail_configured()


def test_the_real_market_with_its_key_as_an_env_var(clean_env):
    clean_env.setenv("PROCUREMENT_MARKET", "mercadolivre")
    clean_env.setenv("SCRAPERAPI_KEY", " s3cret\n")
    clean_env.setenv("SCRAPERAPI_TIMEOUT", "12.5")
    clean_env.setenv("SCRAPERAPI_COUNTRY_CODE", " BR ")
    clean_env.setenv("SCRAPING_CURRENCY", " usd ")
    market = market_from_environment()
    assert isinstance(market, MercadoLivreMarketResource) and market.source == "mercadolivre"
    # The resource holds the variable, not its value: the UI and the run config show the name.
    assert isinstance(vars(market)["scraperapi_key"], dg.EnvVar)
    assert "s3cret" not in repr(vars(market))
    client = resolved(market).scraperapi_settings()
    assert (client.api_key, client.timeout_s, client.country_code) == ("s3cret", 12.5, "br")
    assert resolved(resources_from_environment()["currency"]).currency == "USD"


def test_bad_settings_fail_when_the_definitions_load_naming_the_variable(clean_env):
    clean_env.setenv("PROCUREMENT_MARKET", "amazon")
    with pytest.raises(ValueError, match="PROCUREMENT_MARKET='amazon'"):
        market_from_environment()
    clean_env.setenv("PROCUREMENT_MARKET", "demo")
    clean_env.setenv("SCRAPERAPI_TIMEOUT", "soon")
    with pytest.raises(ScraperAPIConfigError, match="SCRAPERAPI_TIMEOUT"):
        resources_from_environment()
    clean_env.delenv("SCRAPERAPI_TIMEOUT")
    clean_env.setenv("SMTP_PORT", "twenty-five")
    with pytest.raises(ValueError, match="SMTP_PORT"):
        resources_from_environment()
    clean_env.delenv("SMTP_PORT")
    clean_env.setenv(settings.HOLDING_COST_RATE_ENV, "9")
    with pytest.raises(ValueError, match=settings.HOLDING_COST_RATE_ENV):
        resources_from_environment()


def test_mail_settings_with_the_password_as_an_env_var(clean_env, tmp_path):
    ca_file = tmp_path / "ca.pem"
    for name, value in {
        "SMTP_HOST": " smtp.example.com ",
        "SMTP_PORT": "2525",
        "SMTP_USER": "compras",
        "SMTP_PASSWORD": " with spaces ",
        "SMTP_DEFAULT_RECIPIENT": "a@example.com, b@example.com",
        "SMTP_USE_TLS": "true",
        "SMTP_CA_FILE": str(ca_file),
        "SMTP_MAX_ATTEMPTS": "2",
        "DAGSTER_WEBSERVER_URL": "http://dagster:3000",
    }.items():
        clean_env.setenv(name, value)
    mailer = resources_from_environment()["mailer"]
    assert isinstance(vars(mailer)["password"], dg.EnvVar)
    assert mail_configured()
    smtp = resolved(mailer).smtp_settings()
    assert (smtp.host, smtp.port, smtp.user) == ("smtp.example.com", 2525, "compras")
    assert smtp.password == " with spaces "  # a password is taken as set
    assert smtp.recipients == ["a@example.com", "b@example.com"] and smtp.use_tls
    assert (smtp.ca_file, smtp.max_attempts) == (str(ca_file), 2)
    assert resolved(mailer).webserver_url == "http://dagster:3000"


def test_catalog_and_advice_settings_from_the_environment(clean_env, tmp_path):
    catalog = tmp_path / "catalogo.xlsx"
    clean_env.setenv(settings.CATALOG_CSV_ENV, str(catalog))
    clean_env.setenv(settings.CATALOG_SHEET_ENV, " Produtos ")
    clean_env.setenv(settings.OPPORTUNITY_MARGIN_ENV, "0,1")
    clean_env.setenv(settings.HOLDING_COST_RATE_ENV, "0.3")
    clean_env.setenv(settings.FAST_PROPHET_ENV, "0")
    resources = resources_from_environment()
    assert isinstance(vars(resources["catalog_file"])["path"], dg.EnvVar)
    catalog_file = resolved(resources["catalog_file"])
    assert (catalog_file.file(), catalog_file.sheet) == (str(catalog), "Produtos")
    # A run's Config override wins over the resource.
    assert catalog_file.file("/elsewhere.csv") == "/elsewhere.csv"
    # Another catalog and no consumption file set: no consumption file.
    assert resolved(resources["consumption_file"]).file() == ""
    advice = resources["advice_settings"].recommendation_settings(horizon_days=10)
    assert (advice.opportunity_margin, advice.holding_cost_rate) == (pytest.approx(0.1), 0.3)
    assert advice.horizon_days == 10
    assert resources["advice_settings"].recommendation_settings(
        holding_cost_rate=None
    ).holding_cost_rate == pytest.approx(0.3)
    assert resources["model_training"].fast_prophet is False
