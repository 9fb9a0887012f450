"""The artifact store: model files, PDF reports and global_metadata.json under one root.

Paths stored in the warehouse are relative to the root, so the same rows work on another
machine or container that mounts the store elsewhere. Every write is atomic.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path, PurePosixPath


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name in the same folder, fsync, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


class ArtifactStore:
    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def path(self, relative: str | PurePosixPath) -> Path:
        resolved = (self.root / str(relative)).resolve()
        if self.root not in resolved.parents and resolved != self.root:
            raise ValueError(f"artifact path escapes the store: {relative}")
        return resolved

    def relative(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    def write_bytes(self, relative: str, data: bytes) -> Path:
        target = self.path(relative)
        write_bytes_atomic(target, data)
        return target

    def write_json(self, relative: str, payload: dict) -> Path:
        data = json.dumps(payload, indent=2, ensure_ascii=False, default=str).encode("utf-8")
        return self.write_bytes(relative, data)


# Where things live inside the store (relative, POSIX). One place, read by the assets, the
# reports and the dashboard.
GLOBAL_MODEL = "models/global/prophet_model.json"
GLOBAL_METADATA = "models/global/global_metadata.json"
CATALOG_REPORT = "reports/catalog_report.pdf"
GLOBAL_REPORT = "reports/global_report.pdf"


def product_model_path(sku: str) -> str:
    return f"models/products/{sku}.json"


def product_report_path(sku: str) -> str:
    return f"reports/products/{sku}.pdf"
