"""Headless Debian Chromium driven over the DevTools protocol (no Playwright/Selenium).

Why not ``chromium --dump-dom --virtual-time-budget=N``: Streamlit renders over a websocket,
and virtual time does not wait for websocket traffic - the dump (and ``--screenshot``) comes
back after ~1 s with the loading skeleton whatever the budget (measured with Chromium 156).
So the test starts Chromium with ``--remote-debugging-port=0``, navigates, polls the page's
text in real time until what it expects is there, then takes the screenshot and the DOM.
The websocket client is ``websockets`` (already in the locked tree through uvicorn).
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    for candidate in ("/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def ensure_chromium() -> str:
    """Debian's chromium, installed with apt-get when missing. Raises when that fails."""
    found = chromium_path()
    if found:
        return found
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    steps = (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    )
    for step in steps:
        result = subprocess.run(step, env=env, capture_output=True, text=True, timeout=900)
        if result.returncode != 0:
            raise RuntimeError(
                f"{' '.join(step)} failed ({result.returncode}): {result.stderr[-2000:]}"
            )
    found = chromium_path()
    if not found:
        raise RuntimeError("apt-get installed chromium but /usr/bin/chromium is missing")
    return found


class Page:
    def __init__(self, ws):
        self._ws = ws
        self._ids = itertools.count(1)

    def call(self, method: str, timeout: float = 30, **params: Any) -> dict[str, Any]:
        message_id = next(self._ids)
        self._ws.send(json.dumps({"id": message_id, "method": method, "params": params}))
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no answer to {method} in {timeout} s")
            reply = json.loads(self._ws.recv(timeout=remaining))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def text(self) -> str:
        return self.evaluate("document.body ? document.body.innerText : ''") or ""

    def wait_for(self, predicate: str, timeout: float = 60) -> None:
        """Poll a JavaScript boolean expression until it holds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(predicate):
                return
            time.sleep(0.25)
        raise TimeoutError(f"page never satisfied {predicate!r}; text:\n{self.text()[:3000]}")

    def screenshot(self, path: Path) -> None:
        data = self.call("Page.captureScreenshot", format="png")["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))


@contextlib.contextmanager
def headless_chromium(
    binary: str, profile: Path, window: tuple[int, int] = (1400, 1000)
) -> Iterator[Page]:
    """A headless Chromium in its own process group and a DevTools session on its tab."""
    profile.mkdir(parents=True, exist_ok=True)
    command = [
        binary,
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        f"--window-size={window[0]},{window[1]}",
        "--remote-debugging-address=127.0.0.1",
        "--remote-debugging-port=0",
        "about:blank",
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.is_file() and port_file.read_text().strip()):
            if process.poll() is not None:
                raise RuntimeError(f"chromium exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise TimeoutError("chromium did not open its DevTools port")
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
            targets = json.load(r)
        tab = next(t for t in targets if t.get("type") == "page")
        with connect(tab["webSocketDebuggerUrl"], max_size=None, open_timeout=10) as ws:
            page = Page(ws)
            page.call("Page.enable")
            page.call(
                "Emulation.setDeviceMetricsOverride",
                width=window[0],
                height=window[1],
                deviceScaleFactor=1,
                mobile=False,
            )
            yield page
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM then SIGKILL the group a ``start_new_session=True`` child leads."""
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout)


REPO_ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve_dashboard(database_url: str, artifact_root: Path, log_path: Path) -> Iterator[str]:
    """``streamlit run dashboard/app.py`` on 127.0.0.1 over this warehouse and artifact store,
    in its own process group; yields its base URL once healthy, stops it afterwards."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PROCUREMENT_ARTIFACT_ROOT": str(artifact_root),
    }
    port = _free_port()
    with log_path.open("w") as log:
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
                if process.poll() is not None:
                    raise RuntimeError(f"streamlit exited: {log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as reply:
                        if reply.status == 200:
                            break
                except OSError:
                    pass
                if time.monotonic() > deadline:
                    raise TimeoutError("streamlit never became healthy")
                time.sleep(0.2)
            yield base
        finally:
            stop_process_group(process)


def download_by_click(page: Page, selector: str, folder: Path, timeout: float = 60) -> Path:
    """Click the element ``selector`` names and wait until Chromium has saved the download in
    ``folder`` (a fresh, empty folder): the real browser download, under the name the server
    gave it."""
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())
    page.call("Browser.setDownloadBehavior", behavior="allow", downloadPath=str(folder))
    clicked = page.evaluate(
        f"(() => {{ const b = document.querySelector({json.dumps(selector)});"
        " if (!b) return false; b.click(); return true; })()"
    )
    if not clicked:
        raise RuntimeError(f"nothing to click at {selector!r}")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [p for p in set(folder.iterdir()) - before if not p.name.endswith(".crdownload")]
        if done:
            return done[0]
        time.sleep(0.2)
    raise TimeoutError(f"no download in {folder} after clicking {selector!r}")
