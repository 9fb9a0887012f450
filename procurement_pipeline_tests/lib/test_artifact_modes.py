"""Artifacts get the mode a plain ``open()`` gives (0666 & ~umask), not mkstemp's 0600: the
dashboard (or a backup job) running as another user in the same group must be able to read the
models and reports the pipeline writes (issue 13, item 12)."""

from __future__ import annotations

import contextlib
import json
import os
import stat
from collections.abc import Iterator

import pytest

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.forecasting.training import save_model_atomic


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.parametrize(
    ("mask", "expected"),
    [(0o022, 0o644), (0o027, 0o640), (0o002, 0o664)],
    ids=["umask-022", "umask-027", "umask-002"],
)
def test_artifacts_get_the_mode_open_would_give(tmp_path, mask, expected):
    store = artifacts.ArtifactStore(tmp_path / "artifacts")
    with umask(mask):
        # What a plain open() gives under this umask, measured rather than assumed.
        reference = tmp_path / "reference.txt"
        with open(reference, "wb") as handle:
            handle.write(b"x")
        pdf = store.write_bytes(artifacts.product_report_path("ESP-00001"), b"%PDF-1.4\n%%EOF\n")
        training_id = artifacts.new_training_id()
        metadata = store.write_json(
            artifacts.global_metadata_path(training_id), {"status": "trained"}
        )
        model = save_model_atomic(
            json.dumps({"params": {"k": [0.1]}}),
            store.path(artifacts.product_model_path("A-1", training_id)),
        )
    assert mode(reference) == expected
    assert (mode(pdf), mode(metadata), mode(model)) == (expected, expected, expected)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert json.loads(model.read_text())["params"] == {"k": [0.1]}


def test_rewrite_leaves_no_temporary_files_and_replaces_content(tmp_path):
    store = artifacts.ArtifactStore(tmp_path)
    with umask(0o022):
        for content in (b"first", b"second"):
            target = store.write_bytes("reports/catalog_report.pdf", content)
        save_model_atomic("{}", tmp_path / "models" / "m.json")
        save_model_atomic('{"v": 2}', tmp_path / "models" / "m.json")
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in (tmp_path / "reports").iterdir()) == ["catalog_report.pdf"]
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["m.json"]
    assert mode(target) == 0o644 and mode(tmp_path / "models" / "m.json") == 0o644


def test_failed_write_leaves_nothing_behind(tmp_path):
    target = tmp_path / "reports" / "x.pdf"
    with pytest.raises(TypeError):
        artifacts.write_bytes_atomic(target, "not bytes")  # type: ignore[arg-type]
    assert list((tmp_path / "reports").iterdir()) == []
