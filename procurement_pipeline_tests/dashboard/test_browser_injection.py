"""The real frontend (issue 13, item 5): ``streamlit run dashboard/app.py`` in headless Debian
Chromium over a catalog whose names hold Markdown and HTML. The tracking pixel a name points
to is a local HTTP server that counts its requests: the viewer's browser must never fetch it,
and the page must show the names as text, with no link or image made from them.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator

import pytest

from procurement_pipeline.lib.catalog import parse_catalog
from procurement_pipeline.lib.warehouse import create_warehouse_engine
from procurement_pipeline.lib.warehouse.catalog import upsert_catalog
from procurement_pipeline_tests.conftest import REPO_ROOT, catalog_csv
from procurement_pipeline_tests.dashboard.browser import (
    ensure_chromium,
    headless_chromium,
    stop_process_group,
)
from procurement_pipeline_tests.dashboard.seed import OTHER, SKIPPED, TRAINED, seed_warehouse

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Pixel(http.server.BaseHTTPRequestHandler):
    hits: list[str]

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        self.server.hits.append(self.path)  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


@pytest.fixture
def pixel_server() -> Iterator[tuple[str, list[str]]]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Pixel)
    server.hits = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", server.hits  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def chromium() -> str:
    try:
        return ensure_chromium()
    except Exception as exc:  # noqa: BLE001 - any install failure fails the test
        pytest.fail(f"cannot install Debian chromium: {exc}")


def _field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def test_names_with_markdown_and_html_render_as_text(chromium, pixel_server, tmp_path):
    pixel_url, hits = pixel_server
    pixel_name = f"![x]({pixel_url}/pixel.png) [click](http://evil.test/)"
    html_name = f'**bold** <img src="{pixel_url}/img.png"> <a href="http://evil.test/">a</a>'
    directive_name = (
        f":red[alerta] $x^2$ e $y$ www.evil.test vendas@evil.test <{pixel_url}/auto> "
        ":smile: :material/home: `code` &amp; &#60;b&#62;"
    )
    seeded = seed_warehouse(tmp_path / "state")
    rows = [
        [TRAINED, pixel_name, f"[cat]({pixel_url}/cat)", "un", "espuma", "12", "5", "7", "289.90"],
        [OTHER, html_name, "adesivos", "<b>kg</b>", "cola", "4", "6", "5", "129.00"],
        [SKIPPED, directive_name, "tecidos", "m", "tecido", "1", "1", "1", "32.40"],
    ]
    body = catalog_csv([",".join(_field(v) for v in row) for row in rows])
    engine = create_warehouse_engine(seeded.url)
    upsert_catalog(engine, parse_catalog(body))
    engine.dispose()

    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": seeded.url,
        "PROCUREMENT_ARTIFACT_ROOT": str(seeded.artifact_root),
    }
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "dashboard/app.py",
            "--server.headless", "true",
            "--server.address", "127.0.0.1",
            "--server.port", str(port),
            "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "streamlit.log").read_text()
            try:
                with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "streamlit never became healthy"
            time.sleep(0.2)

        with headless_chromium(chromium, tmp_path / "chromium-profile") as page:
            for sku, name in ((TRAINED, pixel_name), (OTHER, html_name), (SKIPPED, directive_name)):
                page.call("Page.navigate", url=f"{base}/?sku={sku}")
                page.wait_for(
                    f"document.body.innerText.includes({json.dumps('SKU ' + sku)})", timeout=90
                )
                time.sleep(1.5)  # give any image or link the page would load the time to load
                assert hits == [], f"the browser fetched {hits}"
                text = page.text()
                assert name in text, text[:3000]
                made = page.evaluate(
                    "Array.from(document.querySelectorAll('img, a[href], b, strong, script'))"
                    f".filter(e => (e.src || e.href || '').startsWith({json.dumps(pixel_url)})"
                    " || (e.href || '').startsWith('http://evil.test')"
                    " || ['bold', 'kg'].includes(e.textContent))"
                    ".map(e => e.outerHTML.slice(0, 200))"
                )
                assert made == [], f"elements made from catalog text: {made}"
        assert hits == [], f"the browser fetched {hits}"
    finally:
        stop_process_group(process)
        log.close()
