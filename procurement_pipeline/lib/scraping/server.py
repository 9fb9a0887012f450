"""A local server that speaks ScraperAPI's protocol, for the demo, tests and benchmarks.

``GET /?api_key=<key>&url=<target>`` answers the page that ``page_provider(target)`` returns
(HTML, HTTP 200), 401 when the key is missing or wrong, 403 when configured "out of credits",
404 when the provider has no page. Faults can be injected per target-URL pattern and/or for
the first N matching requests, and/or for a random share of requests (``probability``, drawn
from the server's ``seed``): an HTTP status (429, 500, 403, ...), a delay (to exceed client
timeouts), or a challenge page answered with 200. ``latency_s`` delays every answer (e.g. 1 s
to emulate ScraperAPI). The request log keeps target URLs only, never the key.

Runs on ``ThreadingHTTPServer`` bound to 127.0.0.1 on a free port; use it as a context
manager or call :meth:`ScraperAPIServer.start` / :meth:`ScraperAPIServer.stop`.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from procurement_pipeline.lib.logging import get_logger
from procurement_pipeline.lib.scraping.demo_market import render_challenge_page

__all__ = ["Fault", "PageProvider", "RequestRecord", "ScraperAPIServer"]

PageProvider = Callable[[str], "str | None"]

_log = get_logger(__name__)

_STATUS_BODIES = {
    401: "Invalid API key. Please check your API key and try again.",
    403: "You have exhausted the API Credits available in this monthly cycle.",
    404: "Not found.",
    429: "You have made too many concurrent requests. Please upgrade your plan.",
    500: "Request failed. You will not be charged for this request. Please retry.",
}


@dataclass
class Fault:
    """An injected fault. It applies to requests whose target URL matches ``url_pattern`` (a
    regular expression searched in the URL; None = every URL), and only to the first
    ``first_n`` of them when set (counted per fault), and to a random share ``probability``
    of them when set. Random faults split one draw per request, each taking its own band of
    [0, 1) in the order they were added, so their shares add up (four faults of 0.05 fail 20%
    of requests) instead of overlapping. ``delay_s`` sleeps before answering; ``status``
    answers that HTTP status instead of the page; ``challenge`` answers an anti-bot page with
    HTTP 200."""

    status: int | None = None
    delay_s: float = 0.0
    challenge: bool = False
    url_pattern: str | None = None
    first_n: int | None = None
    probability: float | None = None
    hits: int = field(default=0, compare=False)

    def __post_init__(self) -> None:
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError(f"probability must be in [0, 1], got {self.probability}")

    def matches(self, target_url: str) -> bool:
        if self.first_n is not None and self.hits >= self.first_n:
            return False
        return self.url_pattern is None or re.search(self.url_pattern, target_url) is not None


@dataclass(frozen=True)
class RequestRecord:
    target_url: str | None
    status: int
    started_at: float
    duration_s: float
    country_code: str | None = None


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    # Idle keep-alive connections must not block stop().
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True
    owner: ScraperAPIServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out close the socket while we sleep: not worth a traceback.
        _log.debug("scraperapi_server.connection_error", client=str(client_address))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections close after this
    server: _HTTPServer

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.owner._handle(self)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # The default writes the request line (with the api_key) to stderr: never.
        return


class ScraperAPIServer:
    def __init__(
        self,
        page_provider: PageProvider,
        *,
        api_key: str = "local-demo-key",
        latency_s: float = 0.0,
        out_of_credits: bool = False,
        faults: Iterable[Fault] = (),
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int | None = None,
    ) -> None:
        self.page_provider = page_provider
        self.api_key = api_key
        self.latency_s = latency_s
        self.out_of_credits = out_of_credits
        self.faults: list[Fault] = list(faults)
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._random = random.Random(seed)
        self._records: list[RequestRecord] = []
        self._per_url: Counter[str] = Counter()
        self._in_flight = 0
        self.max_in_flight = 0
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        state = self.base_url if self._httpd else "stopped"
        return f"ScraperAPIServer({state}, requests={self.request_count})"

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> ScraperAPIServer:
        if self._httpd is not None:
            return self
        httpd = _HTTPServer((self._host, self._port), _Handler)
        httpd.owner = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
            name="scraperapi-server",
        )
        self._thread.start()
        _log.debug("scraperapi_server.started", base_url=self.base_url)
        return self

    def stop(self) -> None:
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        _log.debug("scraperapi_server.stopped", requests=self.request_count)

    def __enter__(self) -> ScraperAPIServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._httpd is None:
            raise RuntimeError("the server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/"

    # -- configuration ----------------------------------------------------------------------

    def add_fault(self, fault: Fault | None = None, **kwargs: Any) -> Fault:
        """Add a fault (a :class:`Fault`, or its fields as keyword arguments)."""
        fault = fault or Fault(**kwargs)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    # -- request log ------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._records)

    @property
    def request_log(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def requests_for(self, target_url: str) -> int:
        with self._lock:
            return self._per_url[target_url]

    @property
    def requests_per_url(self) -> dict[str, int]:
        with self._lock:
            return dict(self._per_url)

    def reset_log(self) -> None:
        with self._lock:
            self._records.clear()
            self._per_url.clear()
            self.max_in_flight = 0

    # -- serving ----------------------------------------------------------------------------

    def _choose(self, target_url: str) -> tuple[float, Fault | None]:
        """Delay to apply and the fault that replaces the answer (both consume a hit)."""
        delay = self.latency_s
        answer: Fault | None = None
        with self._lock:
            draw, band_end = self._random.random(), 0.0
            for fault in self.faults:
                if not fault.matches(target_url):
                    continue
                if fault.probability is not None:
                    band_start, band_end = band_end, band_end + fault.probability
                    if not band_start <= draw < band_end:
                        continue
                fault.hits += 1
                delay += fault.delay_s
                if answer is None and (fault.status is not None or fault.challenge):
                    answer = fault
        return delay, answer

    def _handle(self, handler: _Handler) -> None:
        started = time.monotonic()
        with self._lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        status, body, target, country = 500, _STATUS_BODIES[500], None, None
        try:
            query = parse_qs(urlsplit(handler.path).query)
            key = (query.get("api_key") or [None])[0]
            target = (query.get("url") or [None])[0]
            country = (query.get("country_code") or [None])[0]
            if not key or key != self.api_key:
                status, body = 401, _STATUS_BODIES[401]
            elif self.out_of_credits:
                status, body = 403, _STATUS_BODIES[403]
            elif not target:
                status, body = 400, "Missing url parameter."
            else:
                delay, fault = self._choose(target)
                if delay > 0:
                    time.sleep(delay)
                if fault is not None and fault.status is not None:
                    status = fault.status
                    body = _STATUS_BODIES.get(status, f"Injected status {status}.")
                elif fault is not None and fault.challenge:
                    status, body = 200, render_challenge_page()
                else:
                    try:
                        page = self.page_provider(target)
                    except LookupError:
                        page = None
                    if page is None:
                        status, body = 404, _STATUS_BODIES[404]
                    else:
                        status, body = 200, page
        except Exception as exc:  # noqa: BLE001 - a provider bug answers 500, like ScraperAPI
            _log.warning("scraperapi_server.provider_error", error=type(exc).__name__)
            status, body = 500, _STATUS_BODIES[500]
        finally:
            with self._lock:
                self._in_flight -= 1
                self._records.append(
                    RequestRecord(target, status, started, time.monotonic() - started, country)
                )
                if target:
                    self._per_url[target] += 1
        self._send(handler, status, body)

    @staticmethod
    def _send(handler: _Handler, status: int, body: str) -> None:
        data = body.encode("utf-8")
        content_type = "text/html; charset=utf-8" if status == 200 else "text/plain; charset=utf-8"
        try:
            handler.send_response(status)
            handler.send_header("Content-Type", content_type)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            handler.wfile.write(data)
        except OSError:  # the client gave up (timeout) and closed the connection
            handler.close_connection = True
