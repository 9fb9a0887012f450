"""E-mail: SMTP delivery with retries and the messages the pipeline sends (no Dagster here).

The sensors' side is imported from its modules (it reads the warehouse): `outbox` sends the
ledger's pending e-mails within a tick, `run_outcomes` says which runs and cycles are mailed
and builds their content.
"""

from procurement_pipeline.lib.notifications.mailer import (
    Mailer,
    MailError,
    MailNotConfiguredError,
    PermanentMailError,
    SendResult,
    SMTPSettings,
    TransientMailError,
    build_message,
)
from procurement_pipeline.lib.notifications.messages import (
    build_retraining_succeeded_message,
    build_run_failure_message,
    dagster_run_url,
)

__all__ = [
    "MailError",
    "MailNotConfiguredError",
    "Mailer",
    "PermanentMailError",
    "SMTPSettings",
    "SendResult",
    "TransientMailError",
    "build_message",
    "build_retraining_succeeded_message",
    "build_run_failure_message",
    "dagster_run_url",
]
