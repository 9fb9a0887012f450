"""The mailer: SMTP settings from SMTP_* variables, resolved when the definitions load."""

from __future__ import annotations

import os

import dagster as dg
from pydantic import Field

from procurement_pipeline.lib.notifications import Mailer, SMTPSettings

WEBSERVER_URL_ENV = "DAGSTER_WEBSERVER_URL"
NOT_CONFIGURED = (
    "E-mail is not configured: set SMTP_HOST and SMTP_DEFAULT_RECIPIENT (and SMTP_FROM or "
    "SMTP_USER; optionally SMTP_PORT, SMTP_PASSWORD, SMTP_USE_TLS, SMTP_USE_SSL, "
    "SMTP_TIMEOUT, DAGSTER_WEBSERVER_URL for links) where Dagster runs, then reload the code "
    "location."
)


class MailerResource(dg.ConfigurableResource):
    """SMTP delivery of the retraining reports and failure alerts."""

    host: str | None = Field(default=None, description="SMTP_HOST")
    port: int | None = Field(default=None, description="SMTP_PORT (default 465/587/25)")
    user: str | None = Field(default=None, description="SMTP_USER")
    password: str | None = Field(default=None, description="SMTP_PASSWORD (secret)")
    from_addr: str | None = Field(default=None, description="SMTP_FROM")
    default_recipient: str | None = Field(
        default=None, description="SMTP_DEFAULT_RECIPIENT (comma-separated list allowed)"
    )
    use_tls: bool = Field(default=False, description="SMTP_USE_TLS (STARTTLS)")
    use_ssl: bool = Field(default=False, description="SMTP_USE_SSL (implicit TLS)")
    timeout: float = Field(default=30.0, description="SMTP_TIMEOUT (seconds)")
    webserver_url: str | None = Field(
        default=None, description="DAGSTER_WEBSERVER_URL: base of the run links in e-mails"
    )

    @property
    def is_configured(self) -> bool:
        return self.smtp_settings().is_configured

    def smtp_settings(self, **overrides) -> SMTPSettings:
        values = dict(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password,
            from_addr=self.from_addr,
            default_recipient=self.default_recipient,
            use_tls=self.use_tls,
            use_ssl=self.use_ssl,
            timeout=self.timeout,
        )
        values.update(overrides)
        return SMTPSettings(**values)

    def get_mailer(self, **overrides) -> Mailer:
        """A Mailer; sensors pass max_attempts=1 because their ticks are the retry loop."""
        return Mailer(self.smtp_settings(**overrides))

    @property
    def recipients(self) -> list[str]:
        return self.smtp_settings().recipients


def mailer_from_env() -> MailerResource:
    """Settings from SMTP_* and DAGSTER_WEBSERVER_URL (validated with a clear error); the
    password stays an EnvVar so its value is never shown in the UI or stored with a run."""
    env = SMTPSettings.from_env()
    return MailerResource(
        host=env.host,
        port=env.port,
        user=env.user,
        password=dg.EnvVar("SMTP_PASSWORD") if env.password else None,
        from_addr=env.from_addr,
        default_recipient=env.default_recipient,
        use_tls=env.use_tls,
        use_ssl=env.use_ssl,
        timeout=env.timeout,
        webserver_url=os.environ.get(WEBSERVER_URL_ENV) or None,
    )


def mail_configured_in_env() -> bool:
    """Whether e-mail is configured, as seen when the definitions load."""
    return SMTPSettings.from_env().is_configured
