"""The real thing: ``streamlit run dashboard/app.py`` on a seeded warehouse, opened in headless
Debian Chromium; assertions on what the page shows and a screenshot kept as a test artifact
(``test-artifacts/dashboard.png`` at the repo root, git-ignored).

Chromium is installed with apt-get when missing (CI runs as root); if that fails, the test
fails - it never skips.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from procurement_pipeline_tests.dashboard.browser import (
    ensure_chromium,
    headless_chromium,
    serve_dashboard,
)
from procurement_pipeline_tests.dashboard.seed import SKIP_REASON, SKIPPED, TRAINED, seed_warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO_ROOT / "test-artifacts" / "dashboard.png"
CHART_DRAWN = (
    "document.querySelectorAll("
    '\'[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg\''
    ").length > 0"
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def chromium() -> str:
    try:
        return ensure_chromium()
    except Exception as exc:  # noqa: BLE001 - any install failure fails the test
        pytest.fail(f"cannot install Debian chromium: {exc}")


@pytest.fixture
def served_app(tmp_path) -> Iterator[str]:
    seeded = seed_warehouse(tmp_path / "state")
    with serve_dashboard(seeded.url, seeded.artifact_root, tmp_path / "streamlit.log") as base:
        yield base


def test_dashboard_in_headless_chromium(chromium, served_app, tmp_path):
    with headless_chromium(chromium, tmp_path / "chromium-profile") as page:
        page.call("Page.navigate", url=f"{served_app}/?sku={TRAINED}")
        page.wait_for(
            "document.body.innerText.includes('MAPE no holdout') && " + CHART_DRAWN, timeout=90
        )
        time.sleep(1.0)  # let the chart finish its first paint
        page.screenshot(SCREENSHOT)
        text = page.text()
        dom = page.evaluate("document.documentElement.outerHTML")

        assert "Espuma D33 placa 2x1m 50mm" in text
        assert f"SKU {TRAINED}" in text
        assert "MAPE no holdout\n\n1,1%" in text
        assert "85,7%" in text  # coverage of the 80% interval
        assert "R$ 314,50" in text  # last forecast
        assert "Sintético (dia sem coleta; não observado)" in text  # the chart's legend
        assert "supera as duas linhas de base" in text
        assert "Baixar relatório PDF do produto" in text
        assert 'data-testid="stVegaLiteChart"' in dom
        assert "Traceback" not in text

        png = SCREENSHOT.read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 20_000

        page.call("Page.navigate", url=f"{served_app}/?sku={SKIPPED}")
        page.wait_for(f"document.body.innerText.includes({SKIP_REASON!r})", timeout=60)
        assert "stVegaLiteChart" not in page.evaluate("document.documentElement.outerHTML")

        page.call("Page.navigate", url=f"{served_app}/?view=catalogo")
        # The download buttons render after the chart: wait for them too (a loaded machine
        # showed the chart first and the buttons a moment later).
        page.wait_for(
            "document.body.innerText.includes('Maiores movimentos esperados') && "
            "document.body.innerText.includes('Baixar relatório global (PDF)') && "
            "document.body.innerText.includes('Baixar relatório do catálogo (PDF)') && "
            + CHART_DRAWN,
            timeout=60,
        )
        catalog = page.text()
        assert "Dias de holdout\n\n30" in catalog
        assert "Baixar relatório global (PDF)" in catalog
        assert "Baixar relatório do catálogo (PDF)" in catalog
        page.screenshot(SCREENSHOT.with_name("dashboard-catalog.png"))
