"""The mailer: SMTP delivery, its settings set from SMTP_* in defs/environment.py."""

from __future__ import annotations

import dagster as dg
from pydantic import Field, field_validator

from procurement_pipeline.lib.notifications import Mailer, SMTPSettings

# The defaults of every SMTP setting are SMTPSettings' own.
DEFAULTS = SMTPSettings()
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
    timeout: float = Field(default=DEFAULTS.timeout, description="SMTP_TIMEOUT (seconds)")
    ca_file: str | None = Field(default=None, description="SMTP_CA_FILE (extra CA bundle)")
    verify_tls: bool = Field(default=DEFAULTS.verify_tls, description="SMTP_VERIFY_TLS")
    max_attempts: int = Field(default=DEFAULTS.max_attempts, description="SMTP_MAX_ATTEMPTS")
    backoff_initial: float = Field(
        default=DEFAULTS.backoff_initial, description="SMTP_BACKOFF_INITIAL (seconds)"
    )
    backoff_max: float = Field(
        default=DEFAULTS.backoff_max, description="SMTP_BACKOFF_MAX (seconds)"
    )
    webserver_url: str | None = Field(
        default=None, description="DAGSTER_WEBSERVER_URL: base of the run links in e-mails"
    )

    @field_validator("host", "user", "from_addr", "default_recipient", "ca_file", "webserver_url")
    @classmethod
    def _stripped(cls, value: str | None) -> str | None:
        """Blank is unset and surrounding whitespace goes, as SMTPSettings.from_env reads the
        variables (an EnvVar's value arrives here as set; the password is kept as is)."""
        return (value or "").strip() or None

    @property
    def is_configured(self) -> bool:
        return self.smtp_settings().is_configured

    def smtp_settings(self, **overrides) -> SMTPSettings:
        """The lib settings, built from this resource's fields in this one place."""
        values = dict(
            host=self.host,
            port=self.port,
            user=self.user,
            password=self.password or None,
            from_addr=self.from_addr,
            default_recipient=self.default_recipient,
            use_tls=self.use_tls,
            use_ssl=self.use_ssl,
            timeout=self.timeout,
            ca_file=self.ca_file,
            verify_tls=self.verify_tls,
            max_attempts=self.max_attempts,
            backoff_initial=self.backoff_initial,
            backoff_max=self.backoff_max,
        )
        values.update(overrides)
        return SMTPSettings(**values)

    def get_mailer(self, **overrides) -> Mailer:
        """A Mailer; sensors pass max_attempts=1 because their ticks are the retry loop."""
        return Mailer(self.smtp_settings(**overrides))

    @property
    def recipients(self) -> list[str]:
        return self.smtp_settings().recipients
