import io

import pytest
from pypdf import PdfReader
from reportlab.pdfgen.canvas import Canvas

from procurement_pipeline.lib.notifications import (
    Mailer,
    MailNotConfiguredError,
    PermanentMailError,
    SMTPSettings,
    TransientMailError,
    build_message,
)
from procurement_pipeline_tests.lib.notifications.conftest import (
    PASSWORD,
    USER,
    Authenticator,
    RecordingHandler,
    free_port,
    settings_for,
    smtp_server,
)

pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS:UserWarning")


def tiny_pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "Relatório de teste: preço R$ 1.234,56")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def sample_message(**kwargs):
    return build_message(
        "Previsões atualizadas – ação necessária",
        kwargs.pop("to", "comprador@example.com"),
        "Mediana do MASE: 0,85",
        "<p>Mediana do MASE: <b>0,85</b></p>",
        [("relatório.pdf", tiny_pdf(), "application/pdf")],
        **kwargs,
    )


# settings ------------------------------------------------------------------------------


def test_settings_from_env_and_repr():
    env = {
        "SMTP_HOST": "smtp.example.com",
        "SMTP_PORT": "2525",
        "SMTP_USER": USER,
        "SMTP_PASSWORD": PASSWORD,
        "SMTP_FROM": "pipeline@example.com",
        "SMTP_DEFAULT_RECIPIENT": "a@example.com, b@example.com",
        "SMTP_USE_TLS": "true",
        "SMTP_USE_SSL": "0",
        "SMTP_TIMEOUT": "12.5",
    }
    settings = SMTPSettings.from_env(env)
    assert settings.host == "smtp.example.com" and settings.effective_port == 2525
    assert settings.use_tls and not settings.use_ssl and settings.timeout == 12.5
    assert settings.recipients == ["a@example.com", "b@example.com"]
    assert settings.is_configured
    assert PASSWORD not in repr(settings) and PASSWORD not in str(settings)
    assert "password='***'" in repr(settings)
    assert PASSWORD not in repr(Mailer(settings))


def test_settings_validation_and_defaults():
    assert not SMTPSettings.from_env({}).is_configured
    assert not SMTPSettings.from_env({"SMTP_HOST": "h"}).is_configured
    assert SMTPSettings(use_ssl=True).effective_port == 465
    assert SMTPSettings(use_tls=True).effective_port == 587
    assert SMTPSettings().effective_port == 25
    with pytest.raises(ValueError, match="mutually exclusive"):
        SMTPSettings.from_env({"SMTP_USE_TLS": "1", "SMTP_USE_SSL": "yes"})
    with pytest.raises(ValueError, match="SMTP_USE_TLS"):
        SMTPSettings.from_env({"SMTP_USE_TLS": "maybe"})
    with pytest.raises(ValueError, match="SMTP_PORT"):
        SMTPSettings.from_env({"SMTP_PORT": "abc"})


def test_not_configured():
    with pytest.raises(MailNotConfiguredError):
        Mailer(SMTPSettings()).send(sample_message())


# delivery ------------------------------------------------------------------------------


def test_send_plain_and_parse_back():
    with smtp_server() as (controller, handler):
        message = sample_message(to=["comprador@example.com", "gerente@example.com"])
        result = Mailer(settings_for(controller)).send(message)
    assert result.attempts == 1
    assert len(handler.messages) == 1
    mail_from, rcpts, parsed = handler.messages[0]
    assert mail_from == "pipeline@example.com"
    assert rcpts == ["comprador@example.com", "gerente@example.com"]
    assert parsed["Subject"] == "Previsões atualizadas – ação necessária"
    assert "Pipeline de Compras" in parsed["From"]
    assert parsed.get_body(("plain",)).get_content().strip() == "Mediana do MASE: 0,85"
    assert "<b>0,85</b>" in parsed.get_body(("html",)).get_content()
    (attachment,) = list(parsed.iter_attachments())
    assert attachment.get_filename() == "relatório.pdf"
    assert attachment.get_content_type() == "application/pdf"
    reader = PdfReader(io.BytesIO(attachment.get_content()))
    assert "R$ 1.234,56" in reader.pages[0].extract_text()


def test_default_recipient_when_message_has_none():
    with smtp_server() as (controller, handler):
        message = sample_message()
        del message["To"]
        Mailer(settings_for(controller, default_recipient="x@example.com,y@example.com")).send(
            message
        )
    _, rcpts, parsed = handler.messages[0]
    assert rcpts == ["x@example.com", "y@example.com"]
    assert "x@example.com" in parsed["To"]


@pytest.mark.parametrize("mechanism", ["LOGIN", "PLAIN"])
def test_auth_without_tls(mechanism, capsys):
    auth = Authenticator()
    others = [m for m in ("LOGIN", "PLAIN") if m != mechanism]
    with smtp_server(
        authenticator=auth,
        auth_required=True,
        auth_require_tls=False,
        auth_exclude_mechanism=others,
    ) as (controller, handler):
        Mailer(settings_for(controller, user=USER, password=PASSWORD)).send(sample_message())
    assert len(handler.messages) == 1
    assert auth.calls and auth.calls[-1][1] == mechanism
    assert PASSWORD not in capsys.readouterr().out


def test_auth_failure_is_permanent_and_not_retried(capsys):
    auth = Authenticator()
    with smtp_server(authenticator=auth, auth_required=True, auth_require_tls=False) as (
        controller,
        handler,
    ):
        mailer = Mailer(settings_for(controller, user=USER, password="wrong-" + PASSWORD))
        with pytest.raises(PermanentMailError) as info:
            mailer.send(sample_message())
    assert info.value.attempts == 1
    assert info.value.smtp_code == 535
    assert auth.connections == 1  # one connection: smtplib may try LOGIN and PLAIN on it
    assert handler.data_calls == 0
    assert PASSWORD not in str(info.value)
    assert PASSWORD not in capsys.readouterr().out


def test_starttls_with_self_signed_certificate(self_signed_cert, server_tls_context):
    cert, _key = self_signed_cert
    auth = Authenticator()
    with smtp_server(
        tls_context=server_tls_context,
        require_starttls=True,
        authenticator=auth,
        auth_required=True,
    ) as (controller, handler):
        settings = settings_for(
            controller, use_tls=True, ca_file=cert, user=USER, password=PASSWORD
        )
        Mailer(settings).send(sample_message())
        # Without trusting the certificate: a permanent TLS failure, not retried.
        with pytest.raises(PermanentMailError, match="certificate") as info:
            Mailer(settings_for(controller, use_tls=True, user=USER, password=PASSWORD)).send(
                sample_message()
            )
    assert len(handler.messages) == 1
    assert auth.connections == 1
    assert info.value.attempts == 1


def test_plaintext_auth_refused_when_server_requires_tls(server_tls_context):
    with (
        smtp_server(
            tls_context=server_tls_context, authenticator=Authenticator(), auth_required=True
        ) as (controller, handler),
        pytest.raises(PermanentMailError) as info,
    ):
        Mailer(settings_for(controller, user=USER, password=PASSWORD)).send(sample_message())
    assert info.value.attempts == 1
    assert handler.messages == []


# retries -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["421 4.7.0 Try again later", "451 4.3.0 Mailbox busy"])
def test_transient_replies_are_retried(code):
    handler = RecordingHandler(fail_first=2, fail_code=code)
    with smtp_server(handler) as (controller, _):
        result = Mailer(settings_for(controller)).send(sample_message())
    assert result.attempts == 3
    assert handler.data_calls == 3
    assert len(handler.messages) == 1


def test_retries_run_out():
    handler = RecordingHandler(fail_first=99)
    with smtp_server(handler) as (controller, _), pytest.raises(TransientMailError) as info:
        Mailer(settings_for(controller, max_attempts=3)).send(sample_message())
    assert info.value.attempts == 3 and handler.data_calls == 3
    assert info.value.smtp_code == 451


def test_550_is_permanent():
    handler = RecordingHandler()
    handler.reject_rcpt = "550 5.1.1 No such user"
    with smtp_server(handler) as (controller, _), pytest.raises(PermanentMailError) as info:
        Mailer(settings_for(controller)).send(sample_message())
    assert info.value.attempts == 1
    assert handler.rcpt_calls == 1
    assert info.value.smtp_code == 550


def test_554_on_data_is_permanent():
    handler = RecordingHandler(fail_first=5, fail_code="554 5.7.1 Rejected as spam")
    with smtp_server(handler) as (controller, _), pytest.raises(PermanentMailError):
        Mailer(settings_for(controller)).send(sample_message())
    assert handler.data_calls == 1


def test_connection_refused_is_retried_then_transient(capsys):
    settings = SMTPSettings(
        host="127.0.0.1",
        port=free_port(),  # nothing listens there
        user=USER,
        password=PASSWORD,
        from_addr="pipeline@example.com",
        default_recipient="comprador@example.com",
        timeout=2,
        max_attempts=3,
        backoff_initial=0.01,
        backoff_max=0.02,
    )
    with pytest.raises(TransientMailError) as info:
        Mailer(settings).send(sample_message())
    assert info.value.attempts == 3
    assert "ConnectionRefusedError" in str(info.value)
    out = capsys.readouterr().out
    assert out.count("smtp_send_retry") == 2
    assert PASSWORD not in out and PASSWORD not in str(info.value)
