"""A real SMTP server (aiosmtpd) on 127.0.0.1 in the test process."""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from procurement_pipeline.lib.notifications import SMTPSettings

USER = "compras@example.com"
PASSWORD = "s3nha-Sup3r-Secreta!"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RecordingHandler:
    """Accepts mail; optionally answers DATA with a 4xx for the first N attempts, or RCPT 550."""

    def __init__(self, fail_first: int = 0, fail_code: str = "451 4.3.0 Try again later"):
        self.fail_first = fail_first
        self.fail_code = fail_code
        self.data_calls = 0
        self.rcpt_calls = 0
        self.reject_rcpt: str | None = None
        self.messages: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_calls += 1
        if self.reject_rcpt:
            return self.reject_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_calls += 1
        if self.data_calls <= self.fail_first:
            return self.fail_code
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


class Authenticator:
    def __init__(self, user: str = USER, password: str = PASSWORD):
        self.user, self.password = user.encode(), password.encode()
        self.calls: list[tuple[int, str]] = []  # (id(session), mechanism)

    def __call__(self, server, session, envelope, mechanism, auth_data):
        self.calls.append((id(session), mechanism))
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == self.user
            and auth_data.password == self.password
        )
        return AuthResult(success=ok, handled=False)

    @property
    def connections(self) -> int:
        return len({sid for sid, _ in self.calls})


@contextlib.contextmanager
def smtp_server(handler=None, **kwargs) -> Iterator[tuple[Controller, RecordingHandler]]:
    handler = handler or RecordingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def local_smtp(port: int, **overrides) -> dict:
    """Settings of a test SMTP server on 127.0.0.1:``port`` (SMTPSettings or MailerResource
    fields)."""
    values = dict(
        host="127.0.0.1",
        port=port,
        from_addr="Pipeline de Compras <pipeline@example.com>",
        default_recipient="comprador@example.com",
        timeout=5.0,
    )
    values.update(overrides)
    return values


def settings_for(controller: Controller, **overrides) -> SMTPSettings:
    base = dict(max_attempts=4, backoff_initial=0.01, backoff_max=0.05)
    base.update(overrides)
    return SMTPSettings(**local_smtp(controller.port, **base))


@pytest.fixture(scope="session")
def self_signed_cert(tmp_path_factory) -> tuple[str, str]:
    """A certificate for 127.0.0.1/localhost made with the openssl CLI (cryptography is not
    a dependency of the project)."""
    if shutil.which("openssl") is None:
        pytest.fail("the openssl CLI is needed to make the STARTTLS test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return str(cert), str(key)


@pytest.fixture
def server_tls_context(self_signed_cert) -> ssl.SSLContext:
    cert, key = self_signed_cert
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
