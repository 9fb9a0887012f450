"""The ScraperAPI client against the real local server (no mocks of requests)."""

from __future__ import annotations

import socket
import time
import traceback
from collections.abc import Iterator

import pytest

from procurement_pipeline.lib.scraping.errors import FetchError, ScrapeError
from procurement_pipeline.lib.scraping.scraperapi import (
    ScraperAPIAuthError,
    ScraperAPIClient,
    ScraperAPIConfigError,
    ScraperAPISettings,
    search_url,
)
from procurement_pipeline.lib.scraping.server import Fault, ScraperAPIServer

KEY = "sk-test-6f1c0ffee2bd"
TARGET = "https://lista.mercadolivre.com.br/espuma-d33"
PAGE = "<html><body><section class='ui-search-results'></section></body></html>"


def _provider(url: str) -> str | None:
    return None if url.endswith("/missing") else PAGE


@pytest.fixture
def server() -> Iterator[ScraperAPIServer]:
    with ScraperAPIServer(_provider, api_key=KEY) as srv:
        yield srv


def _settings(server: ScraperAPIServer, **kw) -> ScraperAPISettings:
    base = {
        "api_key": KEY,
        "base_url": server.base_url,
        "timeout_s": 2.0,
        "max_attempts": 3,
        "min_backoff_s": 0.05,
        "max_backoff_s": 0.2,
        "concurrency": 4,
    }
    base.update(kw)
    return ScraperAPISettings(**base)


def _assert_no_key(exc: BaseException) -> None:
    text = "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)
    assert KEY not in text


def test_success_first_try(server):
    with ScraperAPIClient(_settings(server)) as client:
        result = client.fetch(TARGET)
    assert result.status == 200 and result.html == PAGE and result.attempts == 1
    assert server.requests_for(TARGET) == 1


@pytest.mark.parametrize("status", [429, 500, 503])
def test_retries_with_backoff_then_succeeds(server, status):
    server.add_fault(status=status, first_n=2)
    with ScraperAPIClient(_settings(server)) as client:
        started = time.monotonic()
        result = client.fetch(TARGET)
        elapsed = time.monotonic() - started
    assert result.status == 200 and result.attempts == 3
    assert server.requests_for(TARGET) == 3
    # Exponential backoff: >= 0.05 s then >= 0.10 s (plus jitter).
    assert elapsed >= 0.15


@pytest.mark.parametrize(("status", "reason"), [(429, "http_429"), (500, "http_500")])
def test_retries_exhausted_gives_reason(server, status, reason):
    server.add_fault(status=status)
    with ScraperAPIClient(_settings(server)) as client, pytest.raises(FetchError) as info:
        client.fetch(TARGET)
    assert info.value.reason == reason
    assert info.value.http_status == status
    assert info.value.attempts == 3
    assert server.requests_for(TARGET) == 3
    _assert_no_key(info.value)


def test_not_found_is_not_retried(server):
    url = "https://lista.mercadolivre.com.br/missing"
    with ScraperAPIClient(_settings(server)) as client, pytest.raises(FetchError) as info:
        client.fetch(url)
    assert info.value.reason == "http_404"
    assert server.requests_for(url) == 1


def test_wrong_key_is_fatal_without_retry(server):
    client = ScraperAPIClient(_settings(server, api_key="wrong-" + KEY))
    with client, pytest.raises(ScraperAPIAuthError) as info:
        client.fetch(TARGET)
    assert info.value.reason == "http_401" and info.value.fatal
    assert server.request_count == 1
    assert "wrong-" + KEY not in "".join(traceback.format_exception(info.value))


def test_out_of_credits_is_fatal_without_retry():
    with ScraperAPIServer(_provider, api_key=KEY, out_of_credits=True) as srv:
        with ScraperAPIClient(_settings(srv)) as client, pytest.raises(ScraperAPIAuthError) as info:
            client.fetch(TARGET)
        assert info.value.reason == "http_403"
        assert srv.request_count == 1


def test_injected_403_is_fatal(server):
    server.add_fault(status=403, url_pattern="espuma")
    with ScraperAPIClient(_settings(server)) as client, pytest.raises(ScraperAPIAuthError):
        client.fetch(TARGET)
    assert server.request_count == 1


def test_timeout_on_slow_response(server):
    server.add_fault(delay_s=0.6)
    settings = _settings(server, timeout_s=0.15, max_attempts=2, min_backoff_s=0.01)
    with ScraperAPIClient(settings) as client, pytest.raises(FetchError) as info:
        client.fetch(TARGET)
    assert info.value.reason == "timeout"
    assert info.value.attempts == 2
    _assert_no_key(info.value)


def test_slow_first_answer_then_success(server):
    server.add_fault(delay_s=0.5, first_n=1)
    settings = _settings(server, timeout_s=0.2, max_attempts=3, min_backoff_s=0.01)
    with ScraperAPIClient(settings) as client:
        assert client.fetch(TARGET).attempts == 2


def test_connection_error_when_nothing_listens():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    settings = ScraperAPISettings(
        api_key=KEY,
        base_url=f"http://127.0.0.1:{port}/",
        max_attempts=2,
        min_backoff_s=0.01,
        max_backoff_s=0.02,
        timeout_s=1.0,
    )
    with ScraperAPIClient(settings) as client, pytest.raises(FetchError) as info:
        client.fetch(TARGET)
    assert info.value.reason == "connection_error"
    assert isinstance(info.value, ScrapeError)
    # requests' message embeds the full URL with the key: it was rewritten, not chained.
    assert "api_key=***" in str(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    _assert_no_key(info.value)


def test_missing_key_fails_before_any_request(server):
    with pytest.raises(ScraperAPIConfigError):
        ScraperAPIClient(_settings(server, api_key=None))
    with pytest.raises(ScraperAPIConfigError):
        ScraperAPIClient(ScraperAPISettings.from_env({}))
    assert server.request_count == 0


def test_country_code_is_sent(server):
    seen: list[str] = []

    def provider(url: str) -> str:
        seen.append(url)
        return PAGE

    with ScraperAPIServer(provider, api_key=KEY) as srv:
        client = ScraperAPIClient(_settings(srv, country_code="br"))
        with client:
            client.fetch(TARGET)
        assert [r.country_code for r in srv.request_log] == ["br"]
    assert seen == [TARGET]


def test_settings_from_env_and_repr_hides_key():
    env = {
        "SCRAPERAPI_KEY": KEY,
        "SCRAPERAPI_BASE_URL": "http://127.0.0.1:9/",
        "SCRAPERAPI_TIMEOUT": "12.5",
        "SCRAPERAPI_MAX_ATTEMPTS": "6",
        "SCRAPERAPI_MIN_BACKOFF": "0.5",
        "SCRAPERAPI_MAX_BACKOFF": "8",
        "SCRAPERAPI_COUNTRY_CODE": "BR",
        "SCRAPERAPI_CONCURRENCY": "25",
        "SCRAPING_CURRENCY": "brl",
    }
    settings = ScraperAPISettings.from_env(env)
    assert settings.api_key == KEY
    assert settings.base_url == "http://127.0.0.1:9/"
    assert settings.timeout_s == 12.5 and settings.max_attempts == 6
    assert settings.min_backoff_s == 0.5 and settings.max_backoff_s == 8.0
    assert settings.country_code == "br" and settings.concurrency == 25
    assert settings.currency == "BRL"
    assert KEY not in repr(settings) and KEY not in str(settings)
    assert KEY not in repr(ScraperAPIClient(settings))

    defaults = ScraperAPISettings.from_env({"SCRAPERAPI_KEY": "", "SCRAPERAPI_TIMEOUT": " "})
    assert defaults.api_key is None
    assert defaults.base_url == "https://api.scraperapi.com/"
    assert defaults.timeout_s == 70.0 and defaults.max_attempts == 4
    assert (defaults.min_backoff_s, defaults.max_backoff_s) == (1.0, 30.0)
    assert defaults.country_code is None and defaults.concurrency == 10
    assert defaults.currency == "BRL"


def test_settings_from_env_rejects_bad_numbers():
    with pytest.raises(ScraperAPIConfigError, match="SCRAPERAPI_MAX_ATTEMPTS"):
        ScraperAPISettings.from_env({"SCRAPERAPI_MAX_ATTEMPTS": "four"})
    with pytest.raises(ScraperAPIConfigError, match="SCRAPERAPI_CONCURRENCY"):
        ScraperAPISettings.from_env({"SCRAPERAPI_CONCURRENCY": "0"})


def test_search_url_reexported():
    assert search_url("espuma d33") == TARGET


def test_server_request_log_and_faults_by_pattern(server):
    server.add_fault(Fault(status=500, url_pattern=r"/quebrado$"))
    server.add_fault(challenge=True, url_pattern="bloqueado", first_n=1)
    with ScraperAPIClient(_settings(server, max_attempts=1)) as client:
        with pytest.raises(FetchError):
            client.fetch("https://lista.mercadolivre.com.br/quebrado")
        challenge = client.fetch("https://lista.mercadolivre.com.br/bloqueado")
        assert challenge.status == 200 and "g-recaptcha" in challenge.html
        assert client.fetch("https://lista.mercadolivre.com.br/bloqueado").html == PAGE
    assert server.request_count == 3
    assert server.requests_per_url["https://lista.mercadolivre.com.br/bloqueado"] == 2
    assert all(KEY not in (record.target_url or "") for record in server.request_log)


def _outcomes(seed: int, requests_count: int) -> list[str]:
    """What the server answered each of ``requests_count`` sequential requests, with four
    random faults of 5% each (429, 500, a delay past nothing, a challenge page)."""
    import requests

    faults = [
        Fault(status=429, probability=0.05),
        Fault(status=500, probability=0.05),
        Fault(delay_s=0.001, status=503, probability=0.05),
        Fault(challenge=True, probability=0.05),
    ]
    outcomes = []
    with (
        ScraperAPIServer(_provider, api_key=KEY, faults=faults, seed=seed) as srv,
        requests.Session() as session,
    ):
        for i in range(requests_count):
            response = session.get(srv.base_url, params={"api_key": KEY, "url": f"{TARGET}/{i}"})
            if response.status_code != 200:
                outcomes.append(str(response.status_code))
            else:
                outcomes.append("challenge" if "g-recaptcha" in response.text else "page")
        assert [f.hits for f in faults] == [
            outcomes.count(kind) for kind in ("429", "500", "503", "challenge")
        ]
    return outcomes


def test_random_faults_split_one_draw_per_request_and_follow_the_seed():
    outcomes = _outcomes(seed=7, requests_count=1000)
    failed = [o for o in outcomes if o != "page"]
    # Their shares add up (one draw per request, one band each), around 20% in all.
    assert 0.15 < len(failed) / len(outcomes) < 0.25
    for kind in ("429", "500", "503", "challenge"):
        assert 0.02 < outcomes.count(kind) / len(outcomes) < 0.08, kind
    assert _outcomes(seed=7, requests_count=200) == outcomes[:200]
    assert _outcomes(seed=8, requests_count=200) != outcomes[:200]
    with pytest.raises(ValueError, match="probability"):
        Fault(status=500, probability=1.5)
