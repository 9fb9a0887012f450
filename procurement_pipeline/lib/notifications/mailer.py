"""SMTP delivery with retries on transient failures only.

Transient (retried with exponential backoff): connection refused/reset, timeouts, a dropped
connection, any 4xx reply. Permanent (raised at once): 5xx replies, authentication failure,
certificate errors, a server without STARTTLS/AUTH when asked for. After the attempts run out a
TransientMailError is raised. No message, log line or repr ever contains the password.
"""

from __future__ import annotations

import base64
import dataclasses
import mimetypes
import os
import smtplib
import socket
import ssl
import time
from collections.abc import Iterable, Mapping, Sequence
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid
from typing import Any

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from procurement_pipeline.lib.logging import REDACTED, get_logger, redact_text

log = get_logger(__name__)

_TRUE = {"1", "true", "yes", "on", "sim", "y", "t"}
_FALSE = {"0", "false", "no", "off", "nao", "não", "n", "f", ""}


class MailError(RuntimeError):
    """Base of the delivery errors; attempts and smtp_code say what happened."""

    def __init__(self, message: str, *, attempts: int = 1, smtp_code: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.smtp_code = smtp_code


class PermanentMailError(MailError):
    """Retrying will not help (5xx, authentication, TLS, configuration)."""


class TransientMailError(MailError):
    """The server or network failed temporarily and the retries ran out."""


class MailNotConfiguredError(PermanentMailError):
    pass


def _env_bool(value: str | None, name: str, default: bool) -> bool:
    if value is None:
        return default
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{name} must be true/false, got {value!r}")


def _split_addresses(value: str | Sequence[str] | None) -> list[str]:
    if not value:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [addr for _name, addr in getaddresses(items) if addr]


@dataclasses.dataclass(frozen=True)
class SMTPSettings:
    host: str | None = None
    port: int | None = None  # default: 465 with SSL, 587 with STARTTLS, else 25
    user: str | None = None
    password: str | None = dataclasses.field(default=None, repr=False)
    from_addr: str | None = None
    default_recipient: str | None = None  # one address or a comma-separated list
    use_tls: bool = False  # STARTTLS after connecting
    use_ssl: bool = False  # implicit TLS (SMTPS)
    timeout: float = 30.0
    ca_file: str | None = None  # extra CA bundle (self-signed servers)
    verify_tls: bool = True
    max_attempts: int = 4
    backoff_initial: float = 2.0
    backoff_max: float = 60.0

    def __post_init__(self) -> None:
        if self.use_tls and self.use_ssl:
            raise ValueError("SMTP_USE_TLS (STARTTLS) and SMTP_USE_SSL are mutually exclusive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, prefix: str = "SMTP_") -> SMTPSettings:
        """Read SMTP_HOST, SMTP_PORT, SMTP_USER, SMTP_PASSWORD, SMTP_FROM,
        SMTP_DEFAULT_RECIPIENT, SMTP_USE_TLS, SMTP_USE_SSL, SMTP_TIMEOUT (and optionally
        SMTP_CA_FILE, SMTP_VERIFY_TLS, SMTP_MAX_ATTEMPTS, SMTP_BACKOFF_INITIAL, SMTP_BACKOFF_MAX).
        """
        source = os.environ if env is None else env

        def get(name: str) -> str | None:
            value = source.get(prefix + name)
            return value.strip() if isinstance(value, str) and value.strip() else None

        def number(name: str, kind: type, default: Any) -> Any:
            raw = get(name)
            if raw is None:
                return default
            try:
                return kind(raw)
            except ValueError:
                raise ValueError(f"{prefix}{name} must be a number, got {raw!r}") from None

        password = source.get(prefix + "PASSWORD") or None  # not stripped: may hold spaces
        return cls(
            host=get("HOST"),
            port=number("PORT", int, None),
            user=get("USER"),
            password=password,
            from_addr=get("FROM"),
            default_recipient=get("DEFAULT_RECIPIENT"),
            use_tls=_env_bool(get("USE_TLS"), prefix + "USE_TLS", False),
            use_ssl=_env_bool(get("USE_SSL"), prefix + "USE_SSL", False),
            timeout=number("TIMEOUT", float, 30.0),
            ca_file=get("CA_FILE"),
            verify_tls=_env_bool(get("VERIFY_TLS"), prefix + "VERIFY_TLS", True),
            max_attempts=number("MAX_ATTEMPTS", int, 4),
            backoff_initial=number("BACKOFF_INITIAL", float, 2.0),
            backoff_max=number("BACKOFF_MAX", float, 60.0),
        )

    @property
    def is_configured(self) -> bool:
        return bool(self.host) and bool(self.recipients)

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        return 465 if self.use_ssl else (587 if self.use_tls else 25)

    @property
    def recipients(self) -> list[str]:
        return _split_addresses(self.default_recipient)

    @property
    def sender(self) -> str | None:
        return self.from_addr or self.user

    def __repr__(self) -> str:
        shown = {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "password"
        }
        shown["password"] = REDACTED if self.password else None
        inner = ", ".join(f"{k}={v!r}" for k, v in shown.items())
        return f"SMTPSettings({inner})"

    __str__ = __repr__

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context


def build_message(
    subject: str,
    to: str | Sequence[str],
    text_body: str,
    html_body: str | None = None,
    attachments: Iterable[tuple[str, bytes, str]] = (),
    *,
    sender: str | None = None,
    cc: str | Sequence[str] | None = None,
    reply_to: str | None = None,
) -> EmailMessage:
    """A UTF-8 e-mail: plain text, optional HTML alternative, attachments (name, bytes, mime)."""
    message = EmailMessage()
    message["Subject"] = subject
    to_list = _split_addresses(to)
    if not to_list:
        raise ValueError("an e-mail needs at least one recipient")
    message["To"] = ", ".join(to_list)
    if cc:
        message["Cc"] = ", ".join(_split_addresses(cc))
    if sender:
        message["From"] = sender
    if reply_to:
        message["Reply-To"] = reply_to
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = sender.rsplit("@", 1)[-1].strip("> ") if sender and "@" in sender else None
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(text_body, charset="utf-8")
    if html_body:
        message.add_alternative(html_body, subtype="html", charset="utf-8")
    for filename, data, mimetype in attachments:
        mimetype = mimetype or mimetypes.guess_type(filename)[0] or "application/octet-stream"
        maintype, _, subtype = mimetype.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message


@dataclasses.dataclass(frozen=True)
class SendResult:
    message_id: str | None
    recipients: list[str]
    attempts: int


class _Transient(Exception):
    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code


class _Permanent(Exception):
    def __init__(self, text: str, code: int | None = None) -> None:
        super().__init__(text)
        self.code = code


def _reply_text(raw: Any) -> str:
    if isinstance(raw, bytes):
        return raw.decode("utf-8", errors="replace")
    return str(raw)


def classify(exc: BaseException) -> _Transient | _Permanent:
    """Map an smtplib/socket error to transient or permanent (with the SMTP code if any)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _msg in exc.recipients.values()]
        detail = "; ".join(
            f"{rcpt}: {code} {_reply_text(msg)}" for rcpt, (code, msg) in exc.recipients.items()
        )
        worst = max(codes) if codes else None
        if codes and all(400 <= c < 500 for c in codes):
            return _Transient(f"recipients refused: {detail}", worst)
        return _Permanent(f"recipients refused: {detail}", worst)
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _Permanent(
            f"authentication failed: {exc.smtp_code} {_reply_text(exc.smtp_error)}", exc.smtp_code
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        code = exc.smtp_code
        text = f"{type(exc).__name__}: {code} {_reply_text(exc.smtp_error)}"
        if 400 <= code < 500 or code < 0:  # code -1: connection problem reported by smtplib
            return _Transient(text, code)
        return _Permanent(text, code)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return _Transient(f"server disconnected: {exc}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _Permanent(f"not supported by the server: {exc}")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _Permanent(f"TLS certificate rejected: {exc.verify_message or exc}")
    if isinstance(exc, ssl.SSLError):
        return _Permanent(f"TLS error: {exc}")
    if isinstance(exc, socket.gaierror):
        return _Transient(f"host name lookup failed: {exc}")
    if isinstance(exc, TimeoutError | socket.timeout):
        return _Transient(f"timed out: {exc}")
    if isinstance(exc, ConnectionError | OSError):
        return _Transient(f"{type(exc).__name__}: {exc}")
    if isinstance(exc, smtplib.SMTPException):
        return _Permanent(f"{type(exc).__name__}: {exc}")
    return _Permanent(f"{type(exc).__name__}: {exc}")


class Mailer:
    """Sends EmailMessages through the configured SMTP server, one connection per attempt."""

    def __init__(self, settings: SMTPSettings) -> None:
        self.settings = settings

    def __repr__(self) -> str:
        return f"Mailer({self.settings!r})"

    def _scrub(self, text: str) -> str:
        secret = self.settings.password
        if secret:
            forms = {secret, base64.b64encode(secret.encode()).decode()}
            if self.settings.user:
                plain = f"\0{self.settings.user}\0{secret}".encode()
                forms.add(base64.b64encode(plain).decode())
            for form in forms:
                text = text.replace(form, REDACTED)
        return redact_text(text)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        if s.use_ssl:
            return smtplib.SMTP_SSL(
                s.host, s.effective_port, timeout=s.timeout, context=s.ssl_context()
            )
        return smtplib.SMTP(s.host, s.effective_port, timeout=s.timeout)

    def _attempt(self, message: EmailMessage, sender: str, recipients: list[str]) -> None:
        s = self.settings
        try:
            with self._connect() as smtp:
                smtp.ehlo()
                if s.use_tls:
                    smtp.starttls(context=s.ssl_context())
                    smtp.ehlo()
                if s.user:
                    smtp.login(s.user, s.password or "")
                refused = smtp.send_message(message, from_addr=sender, to_addrs=recipients)
                if refused:  # some recipients refused, others accepted: report, do not resend
                    log.warning("smtp_recipients_partially_refused", refused=sorted(refused))
        except (_Transient, _Permanent):
            raise
        except Exception as exc:
            raise classify(exc) from None

    def send(self, message: EmailMessage, *, to: Sequence[str] | None = None) -> SendResult:
        """Deliver message; fill From/To from the settings when missing.

        Raises MailNotConfiguredError without host or recipients, PermanentMailError at once on
        permanent failures, TransientMailError once max_attempts transient failures happened.
        """
        s = self.settings
        if not s.host:
            raise MailNotConfiguredError("SMTP is not configured (SMTP_HOST is empty)")
        sender_header = s.sender or message["From"]
        sender = _split_addresses(str(sender_header))[0] if sender_header else None
        if not sender:
            raise MailNotConfiguredError("no sender: set SMTP_FROM (or SMTP_USER)")
        if message["From"] is None:
            message["From"] = s.from_addr or sender
        if to is not None:
            recipients = _split_addresses(list(to))
        else:
            headers = [message.get_all(h) or [] for h in ("To", "Cc", "Bcc")]
            recipients = _split_addresses([v for values in headers for v in values])
        if not recipients:
            recipients = s.recipients
            if not recipients:
                raise MailNotConfiguredError("no recipient: set SMTP_DEFAULT_RECIPIENT")
            message["To"] = ", ".join(recipients)

        host = f"{s.host}:{s.effective_port}"
        attempts = 0
        started = time.monotonic()

        def before_sleep(state: Any) -> None:
            exc = state.outcome.exception()
            log.warning(
                "smtp_send_retry",
                host=host,
                attempt=state.attempt_number,
                error=self._scrub(str(exc)),
                wait_s=round(state.next_action.sleep, 2) if state.next_action else None,
            )

        retrying = Retrying(
            stop=stop_after_attempt(s.max_attempts),
            wait=wait_exponential(multiplier=s.backoff_initial, max=s.backoff_max),
            retry=retry_if_exception_type(_Transient),
            before_sleep=before_sleep,
            reraise=True,
        )
        try:
            for attempt in retrying:
                with attempt:
                    attempts = attempt.retry_state.attempt_number
                    self._attempt(message, sender, recipients)
        except _Permanent as exc:
            text = self._scrub(f"SMTP delivery to {host} failed permanently: {exc}")
            log.error("smtp_send_failed", host=host, attempts=attempts, error=text)
            raise PermanentMailError(text, attempts=attempts, smtp_code=exc.code) from None
        except (_Transient, RetryError) as exc:
            code = getattr(exc, "code", None)
            text = self._scrub(f"SMTP delivery to {host} failed after {attempts} attempt(s): {exc}")
            log.error("smtp_send_failed", host=host, attempts=attempts, error=text)
            raise TransientMailError(text, attempts=attempts, smtp_code=code) from None
        log.info(
            "smtp_sent",
            host=host,
            recipients=len(recipients),
            attempts=attempts,
            seconds=round(time.monotonic() - started, 2),
            subject=str(message["Subject"]),
        )
        return SendResult(
            message_id=message["Message-ID"], recipients=recipients, attempts=attempts
        )
