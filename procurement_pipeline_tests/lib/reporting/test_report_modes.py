"""Report PDFs get the mode a plain ``open()`` gives (0666 & ~umask), like every other artifact:
the PDF writers go through ``lib.artifacts.atomic_path``, not a private mkstemp (0600) copy
(issue 13, item 12, follow-up B)."""

from __future__ import annotations

import datetime as dt

import pytest

from procurement_pipeline.lib.reporting import (
    build_catalog_report,
    build_global_report,
    build_product_report,
    summarize_catalog,
)
from procurement_pipeline_tests.lib.test_artifact_modes import mode, umask
from tools.report_samples import sample_catalog, sample_global, sample_product


@pytest.mark.parametrize(
    ("mask", "expected"), [(0o022, 0o644), (0o027, 0o640)], ids=["umask-022", "umask-027"]
)
def test_report_pdfs_get_the_mode_open_would_give(tmp_path, mask, expected):
    with umask(mask):
        build_product_report(sample_product(1), tmp_path / "products" / "p.pdf")
        build_global_report(sample_global(), tmp_path / "g.pdf")
        items = list(sample_catalog(3))
        summary = summarize_catalog(items, generated_at=dt.datetime(2026, 4, 1, tzinfo=dt.UTC))
        build_catalog_report(summary, items, tmp_path / "c.pdf")
    assert mode(tmp_path / "products" / "p.pdf") == expected
    assert mode(tmp_path / "g.pdf") == expected
    assert mode(tmp_path / "c.pdf") == expected
    # Nothing temporary left beside them.
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["c.pdf", "g.pdf", "p.pdf"]
