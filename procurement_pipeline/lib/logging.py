"""structlog configured once for the whole package, with secrets redacted.

Readable console output locally; JSON lines when PROCUREMENT_LOG_FORMAT=json. A processor
redacts API keys inside URLs (ScraperAPI takes the key in the query string) and any field
whose name looks like a secret (*key*, *password*, *token*, *secret*).
"""

from __future__ import annotations

import logging
import os
import re
from typing import Any

import structlog

REDACTED = "***"
_SECRET_FIELD = re.compile(r"(key|password|passwd|token|secret)", re.IGNORECASE)
# api_key=..., apikey=..., token=..., password=... inside URLs or free text.
_SECRET_IN_TEXT = re.compile(
    r"(?P<name>[?&;\s]?(?:api[_-]?key|apikey|key|token|access_token|password|secret)=)"
    r"(?P<value>[^&\s#'\"]+)",
    re.IGNORECASE,
)
# user:password@host in database URLs.
_PASSWORD_IN_URL = re.compile(r"(?P<prefix>://[^:/@\s]+:)(?P<value>[^@/\s]+)(?P<at>@)")


def redact_text(text: str) -> str:
    """Remove secrets from a free-form string (URLs, exception messages)."""
    text = _SECRET_IN_TEXT.sub(lambda m: m.group("name") + REDACTED, text)
    return _PASSWORD_IN_URL.sub(lambda m: m.group("prefix") + REDACTED + m.group("at"), text)


def _redact_value(key: str, value: Any) -> Any:
    if _SECRET_FIELD.search(key) and value not in (None, ""):
        return REDACTED
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {k: _redact_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_redact_value("", v) for v in value)
    return value


def redact_secrets(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: secrets never reach a log line."""
    return {k: _redact_value(k, v) for k, v in event_dict.items()}


# Third-party loggers that speak about features the project does not use, each at the level
# from which its messages matter here. "prophet.plot" logs an ERROR on every import of Prophet
# when plotly is missing (once per training and report process): Prophet's interactive plots
# are never used, the reports draw their own charts.
QUIET_LOGGERS = {"prophet.plot": logging.CRITICAL}


def quiet_third_party_loggers() -> None:
    """Raise the levels of :data:`QUIET_LOGGERS`; before the library is imported is fine (the
    library's ``getLogger`` returns the same logger), and forked workers inherit it."""
    for name, level in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(level)


_configured = False


def configure_logging(force: bool = False, default_level: str = "INFO") -> None:
    """Idempotent; called by every entry point (definitions, CLI, dashboard) and by the first
    :func:`get_logger` of a process (spawned workers too). PROCUREMENT_LOG_LEVEL, when set,
    wins over ``default_level``."""
    global _configured
    if _configured and not force:
        return
    quiet_third_party_loggers()
    json_output = os.environ.get("PROCUREMENT_LOG_FORMAT", "").lower() == "json"
    name = os.environ.get("PROCUREMENT_LOG_LEVEL") or default_level
    level = getattr(logging, name.upper(), logging.INFO)
    renderer = (
        structlog.processors.JSONRenderer()
        if json_output
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redact_secrets,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str, **initial: Any) -> structlog.typing.FilteringBoundLogger:
    configure_logging()
    return structlog.get_logger(name, **initial)
