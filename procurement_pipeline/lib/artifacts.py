"""The artifact store: model files, PDF reports and global_metadata.json under one root.

Paths stored in the warehouse are relative to the root, so the same rows work on another
machine or container that mounts the store elsewhere. Every write is atomic.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

# What open(path, "w") asks for: the kernel then applies the process umask (and a default ACL
# of the folder, if any), so an artifact is as readable as any file the user writes. mkstemp
# would force 0600, and a dashboard running as another user could not read the file.
_FILE_MODE = 0o666
_TEMP_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def create_temp_beside(path: Path) -> tuple[int, str]:
    """Create and open (write-only) a new, uniquely named hidden file in ``path``'s folder,
    with the mode a plain ``open()`` gives. Returns ``(fd, name)``, like ``mkstemp``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for _ in range(100):
        name = str(path.parent / f".{path.name}.{secrets.token_hex(6)}.tmp")
        try:
            return os.open(name, _TEMP_FLAGS, _FILE_MODE), name
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name beside {path}")


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path beside ``path`` (created empty, normal mode) for a writer that takes a
    file name; renamed over ``path`` when the block ends without error, removed otherwise."""
    target = Path(path)
    fd, tmp_name = create_temp_beside(target)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_bytes_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary name in the same folder, fsync, then rename over the target."""
    fd, tmp_name = create_temp_beside(path)
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
