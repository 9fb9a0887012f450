import json

import structlog

from procurement_pipeline.lib.logging import REDACTED, configure_logging, get_logger, redact_text

KEY = "0123456789abcdef0123456789abcdef"


def test_redact_text_removes_keys_in_urls_and_passwords_in_database_urls():
    url = f"https://api.scraperapi.com/?api_key={KEY}&url=https%3A%2F%2Flista.mercadolivre.com.br"
    assert KEY not in redact_text(url)
    assert "url=https%3A%2F%2Flista" in redact_text(url)
    assert "s3cr3t" not in redact_text("mysql+pymysql://app:s3cr3t@db:3306/procurement")
    assert "token=" + REDACTED in redact_text("GET /x?token=abc123")


def _capture(monkeypatch, capsys, log_format: str):
    monkeypatch.setenv("PROCUREMENT_LOG_FORMAT", log_format)
    configure_logging(force=True)
    log = get_logger("test")
    log.info(
        "fetching",
        url=f"https://api.scraperapi.com/?api_key={KEY}&url=x",
        api_key=KEY,
        smtp_password="hunter2",
        auth_token="tok-999",
        nested={"password": "hunter2", "ok": "visible"},
        sku="ESP-00001",
    )
    structlog.reset_defaults()
    configure_logging(force=True)
    return capsys.readouterr().out


def test_json_logs_never_carry_secrets(monkeypatch, capsys):
    out = _capture(monkeypatch, capsys, "json")
    record = json.loads(out.strip().splitlines()[-1])
    for secret in (KEY, "hunter2", "tok-999"):
        assert secret not in out
    assert record["api_key"] == REDACTED
    assert record["nested"] == {"password": REDACTED, "ok": "visible"}
    assert record["sku"] == "ESP-00001"
    assert record["level"] == "info"


def test_console_logs_are_readable_and_redacted(monkeypatch, capsys):
    out = _capture(monkeypatch, capsys, "console")
    assert "fetching" in out and "ESP-00001" in out
    assert KEY not in out and "hunter2" not in out
    assert not out.lstrip().startswith("{")
