"""scrape_window: per-product isolation, fail-fast on auth errors, rows shaped like the tables,
and the API key never leaking into logs, messages or rows."""

from __future__ import annotations

import traceback
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import pytest
import structlog

from procurement_pipeline.lib.logging import configure_logging
from procurement_pipeline.lib.scraping.collect import ScrapeTarget, scrape_window
from procurement_pipeline.lib.scraping.mercadolivre import search_url
from procurement_pipeline.lib.scraping.scraperapi import (
    ScraperAPIAuthError,
    ScraperAPIClient,
    ScraperAPISettings,
)
from procurement_pipeline.lib.scraping.server import ScraperAPIServer
from procurement_pipeline.lib.warehouse import schema

KEY = "sk-collect-9a8b7c6d5e"
OWN = Path(__file__).resolve().parents[2] / "fixtures" / "mercadolivre"
WINDOW = datetime(2026, 3, 1, 8)

PAGES = {
    "tecido suede": "poly_sponsored_buybox.html",
    "espuma d33": "old_layout_search.html",
    "sofa retratil": "poly_sponsored_buybox.html",  # listed offers, none relevant
    "produto bloqueado": "challenge.html",
    "produto inexistente": "no_results.html",
}
TARGETS = [
    ScrapeTarget("TEC-1", "tecido suede"),
    ScrapeTarget("ESP-1", "espuma d33"),
    ScrapeTarget("SOF-1", "sofa retratil"),
    ScrapeTarget("BLQ-1", "produto bloqueado"),
    ScrapeTarget("INX-1", "produto inexistente"),
    ScrapeTarget("QBR-1", "produto quebrado"),
    ScrapeTarget("ERR-1", "produto erro"),
    ScrapeTarget("LNT-1", "produto lento"),
    ScrapeTarget("SUM-1", "produto sumido"),
]


def _provider(url: str) -> str | None:
    for term, name in PAGES.items():
        if url == search_url(term):
            return (OWN / name).read_text(encoding="utf-8")
    if url == search_url("produto quebrado"):
        return "<html><body><div>layout novo</div></body></html>"
    if url == search_url("produto sumido"):
        return None  # 404
    return "<html><body><ol class='ui-search-layout'></ol></body></html>"


@pytest.fixture
def server() -> Iterator[ScraperAPIServer]:
    with ScraperAPIServer(_provider, api_key=KEY) as srv:
        srv.add_fault(status=500, url_pattern="produto-erro")
        srv.add_fault(delay_s=0.5, url_pattern="produto-lento")
        yield srv


def _client(server: ScraperAPIServer, key: str = KEY, concurrency: int = 4) -> ScraperAPIClient:
    return ScraperAPIClient(
        ScraperAPISettings(
            api_key=key,
            base_url=server.base_url,
            timeout_s=0.2,
            max_attempts=2,
            min_backoff_s=0.01,
            max_backoff_s=0.02,
            concurrency=concurrency,
        )
    )


def _columns(table) -> set[str]:
    return {c.name for c in table.columns} - {"id"}


def test_one_failure_never_stops_the_others(server):
    calls: list[tuple[int, int]] = []
    with _client(server) as client:
        result = scrape_window(
            client,
            TARGETS,
            WINDOW,
            source="mercadolivre",
            concurrency=4,
            progress=lambda done, total: calls.append((done, total)),
        )
    assert result.attempted == len(TARGETS)
    assert result.saved == 2
    assert result.failed_by_reason == {
        "challenge": 1,
        "empty_page": 1,
        "http_404": 1,
        "http_500": 1,
        "no_relevant_offer": 1,
        "parse_error": 1,
        "timeout": 1,
    }
    assert result.failed == 7
    assert calls[-1] == (len(TARGETS), len(TARGETS)) and len(calls) == len(TARGETS)
    assert result.duration_s > 0

    by_sku = {row["sku"]: row for row in result.observations}
    # tecido suede: 2349.90 and 32.40 are relevant (sponsored one dropped) -> mean.
    assert by_sku["TEC-1"]["price"] == Decimal("1191.15")
    assert by_sku["TEC-1"]["offers_considered"] == 2
    # espuma d33: 1349.00 and 310.00 (the sponsored 289.90 is dropped).
    assert by_sku["ESP-1"]["price"] == Decimal("829.50")
    for row in result.observations:
        assert set(row) == _columns(schema.price_observations)
        assert row["window_start"] == WINDOW and row["is_synthetic"] is False
        assert row["source"] == "mercadolivre" and row["currency"] == "BRL"
        assert row["observed_at"].tzinfo is None

    attempts = {row["sku"]: row for row in result.attempts}
    assert [row["sku"] for row in result.attempts] == [t.sku for t in TARGETS]
    for row in result.attempts:
        assert set(row) == _columns(schema.scrape_attempts)
        assert row["attempted_at"].tzinfo is None
    assert attempts["TEC-1"]["outcome"] == "saved" and attempts["TEC-1"]["reason"] is None
    assert attempts["ERR-1"]["http_status"] == 500 and attempts["ERR-1"]["requests_made"] == 2
    assert attempts["LNT-1"]["reason"] == "timeout"
    assert attempts["SUM-1"]["requests_made"] == 1
    assert attempts["BLQ-1"]["outcome"] == "failed"

    # Offers of every parsed page are kept, with the relevance flag.
    for row in result.offers:
        assert set(row) == _columns(schema.offers)
    sofa = [row for row in result.offers if row["sku"] == "SOF-1"]
    assert len(sofa) == 4 and not any(row["relevant"] for row in sofa)
    tec = [row for row in result.offers if row["sku"] == "TEC-1"]
    assert [row["position"] for row in tec] == [1, 2, 3, 4]
    assert [row["sponsored"] for row in tec] == [True, False, False, False]
    assert [row["relevant"] for row in tec] == [True, True, True, False]


@pytest.mark.parametrize("mode", ["wrong_key", "out_of_credits"])
def test_auth_error_stops_the_batch(mode):
    targets = [ScrapeTarget(f"SKU-{i}", f"produto {i}") for i in range(40)]
    with ScraperAPIServer(
        _provider, api_key=KEY, out_of_credits=mode == "out_of_credits", latency_s=0.05
    ) as srv:
        key = "not-the-key" if mode == "wrong_key" else KEY
        with _client(srv, key=key, concurrency=4) as client, pytest.raises(ScraperAPIAuthError):
            scrape_window(client, targets, WINDOW, source="mercadolivre", concurrency=4)
        # Only the requests already in flight: the other 36 products were never requested.
        assert 1 <= srv.request_count <= 4


def test_duplicate_skus_are_refused(server):
    with _client(server) as client, pytest.raises(ValueError, match="duplicate SKU"):
        scrape_window(client, [TARGETS[0], TARGETS[0]], WINDOW, source="demo")


def test_api_key_never_in_logs_messages_or_rows(server, capsys, monkeypatch):
    monkeypatch.setenv("PROCUREMENT_LOG_LEVEL", "DEBUG")
    configure_logging(force=True)
    try:
        with _client(server) as client:
            result = scrape_window(client, TARGETS, WINDOW, source="demo", concurrency=3)
        with _client(server, key="bad-" + KEY) as bad, pytest.raises(ScraperAPIAuthError) as info:
            scrape_window(bad, TARGETS[:3], WINDOW, source="demo", concurrency=2)
        with structlog.testing.capture_logs() as raw_events, _client(server) as client:
            scrape_window(client, TARGETS, WINDOW, source="demo", concurrency=3)
    finally:
        monkeypatch.delenv("PROCUREMENT_LOG_LEVEL")
        configure_logging(force=True)
    output = capsys.readouterr()
    logged = output.out + output.err
    assert "scraperapi.retry" in logged and "scrape.window_finished" in logged
    assert "scraperapi.fetched" in logged  # debug lines were rendered too
    assert KEY not in logged
    assert KEY not in repr(raw_events)  # even before the redaction processor
    assert KEY not in "".join(traceback.format_exception(info.value))
    rows = result.observations + result.offers + result.attempts
    assert KEY not in repr(rows)
    assert any(row["detail"] for row in result.attempts)
