"""The artifact store: model files, PDF reports and global_metadata.json under one root, and
the one module that names every artifact (model, report, export, download and attachment).

Paths stored in the warehouse are relative to the root, so the same rows work on another
machine or container that mounts the store elsewhere. Every write is atomic.

Naming rule: a SKU becomes one path segment through :func:`sku_segment` and nothing else.
Letters (accented ones too: ``Ç``, ``á``), digits, ``-``, ``_`` and inner dots stay; every
other character (``/``, ``\\``, ``:``, space, ``=``, a leading or trailing dot...) is written
as ``=XX`` (its UTF-8 bytes, upper-case hex, as in quoted-printable): ``PAR/M6x20-INOX`` is
``PAR=2FM6x20-INOX``. Not ``%XX``: browsers percent-decode a download's file name (Chromium
saves ``relatorio_PAR%2F...`` as ``relatorio_PAR_...``), so the buyer would get another name
than the store's. The mapping is reversible (:func:`sku_from_segment`), never leaves its
folder (no ``/``, never ``.`` or ``..``), is a valid name on Windows too (a reserved device
name such as ``CON`` gets its first letter encoded), and a 64-character SKU takes at most 192
bytes, under every filesystem's 255-byte limit. Two catalog SKUs never share a segment, on a
case-insensitive filesystem either: the catalog refuses SKUs that differ only in case or
accents (the one letter Windows folds further is the Turkish dotless ``ı``). Every model,
report, download and e-mail name below derives from it.

Model files are never overwritten: each training run writes its files under a name of its own
(its training id, :func:`new_training_id`), and the warehouse transaction that records the
training is what makes a row point at them. A run that dies before its commit leaves only files
no row points to; :func:`sweep_unreferenced` removes those once they are old enough that no
running training can still be about to commit them (:data:`UNREFERENCED_MIN_AGE_S`).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path, PurePosixPath

from procurement_pipeline.lib import clock
from procurement_pipeline.lib.logging import get_logger

_log = get_logger(__name__)

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

    def remove(self, relatives: Iterable[str]) -> list[str]:
        """Delete these files (relative paths). Housekeeping after a commit: a file already
        gone is skipped, one that cannot be deleted is logged and left for
        :func:`sweep_unreferenced`. Returns the paths removed."""
        removed = []
        for relative in relatives:
            try:
                self.path(relative).unlink()
            except FileNotFoundError:
                continue
            except OSError as exc:
                _log.warning("artifact_not_removed", path=relative, error=str(exc))
                continue
            removed.append(relative)
        return removed


# Where things live inside the store (relative, POSIX). One place, read by the assets, the
# reports, the e-mails and the dashboard.
PRODUCT_MODELS = "models/products"
GLOBAL_MODELS = "models/global"
MODEL_FOLDERS = (PRODUCT_MODELS, GLOBAL_MODELS)
PRODUCT_REPORTS = "reports/products"
CATALOG_REPORT = "reports/catalog_report.pdf"
GLOBAL_REPORT = "reports/global_report.pdf"

# --------------------------------------------------------------------------- SKU -> segment

_KEPT_ASCII = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
# Windows refuses these as a file or folder name, with any extension, in any case.
_WINDOWS_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL"] + [f"{name}{n}" for name in ("COM", "LPT") for n in "0123456789"]
)


_ESCAPE = re.compile(r"=([0-9A-F]{2})")


def _encoded(char: str) -> str:
    return "".join(f"={byte:02X}" for byte in char.encode("utf-8"))


def sku_segment(sku: str) -> str:
    """The one path segment (file or folder name) that stands for ``sku`` in every artifact
    name; see the module doc. Raises ValueError for an empty SKU."""
    if not sku:
        raise ValueError("a SKU cannot be empty")
    last = len(sku) - 1
    parts = []
    for i, char in enumerate(sku):
        kept = char in _KEPT_ASCII or (not char.isascii() and char.isalpha())
        if char == "." and i in (0, last):  # never ".", "..", a hidden or a Windows-trimmed name
            kept = False
        parts.append(char if kept else _encoded(char))
    segment = "".join(parts)
    if segment.split(".")[0].upper() in _WINDOWS_DEVICES:
        segment = _encoded(segment[0]) + segment[1:]
    return segment


def sku_from_segment(segment: str) -> str:
    """The SKU a :func:`sku_segment` stands for."""
    parts = _ESCAPE.split(segment)  # text, hex, text, hex, ..., text
    data = b"".join(
        bytes.fromhex(part) if i % 2 else part.encode("utf-8") for i, part in enumerate(parts)
    )
    return data.decode("utf-8")


# --------------------------------------------------------------------------- artifact names

# A file no warehouse row points to, older than this, is a leftover (a run that died between
# writing its model files and committing, or after committing and before removing what it
# superseded). Younger ones may belong to a training that is about to commit: a run writes
# its files after its last fit and commits seconds later (a lock wait is at most a minute).
UNREFERENCED_MIN_AGE_S = 3600.0

_TRAINING_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


def new_training_id(now: datetime | None = None) -> str:
    """The name of one training run's model files: its UTC time (so names sort by age) and a
    random part (so two runs, on any machine, never share a name)."""
    now = now or clock.now()
    if now.tzinfo is not None:
        now = now.astimezone(UTC)  # naive datetimes are UTC already (lib.clock.utcnow)
    return f"{now:%Y%m%dT%H%M%S}-{secrets.token_hex(6)}"


def _checked(training_id: str) -> str:
    if not _TRAINING_ID.match(training_id):
        raise ValueError(f"not a training id: {training_id!r}")
    return training_id


def product_model_path(sku: str, training_id: str) -> str:
    """The model file of one product from one training run."""
    return f"{PRODUCT_MODELS}/{sku_segment(sku)}/{_checked(training_id)}.json"


def product_report_path(sku: str) -> str:
    """The PDF report of one product (rewritten in place by each report run)."""
    return f"{PRODUCT_REPORTS}/{sku_segment(sku)}.pdf"


def product_report_download_name(sku: str) -> str:
    """The file name a buyer gets for a product's PDF (dashboard download, e-mail)."""
    return f"relatorio_{sku_segment(sku)}.pdf"


def retraining_attachment(skus: Sequence[str], day: date) -> tuple[str, str]:
    """The PDF a retraining e-mail attaches, as (store path, attachment name): the product's
    own report when one product was retrained, the catalog report otherwise."""
    if len(skus) == 1:
        return product_report_path(skus[0]), product_report_download_name(skus[0])
    return CATALOG_REPORT, catalog_report_download_name(day)


def catalog_report_download_name(day: date) -> str:
    """The catalog PDF as a buyer receives it (dashboard download, e-mail attachment)."""
    return f"relatorio_catalogo_{day:%Y-%m-%d}.pdf"


def global_report_download_name(day: date) -> str:
    return f"relatorio_global_{day:%Y-%m-%d}.pdf"


EXPORT_FORMATS = ("csv", "xlsx")


def purchases_export_name(as_of: date, file_format: str) -> str:
    """The "O que comprar" export of one day, as ``.csv`` or ``.xlsx``."""
    if file_format not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {file_format!r}; expected {EXPORT_FORMATS}")
    return f"o_que_comprar_{as_of:%Y-%m-%d}.{file_format}"


def global_model_path(training_id: str) -> str:
    """The global price-index model from one training run."""
    return f"{GLOBAL_MODELS}/prophet_model-{_checked(training_id)}.json"


def global_metadata_path(training_id: str) -> str:
    """The global_metadata.json of one global training run (it describes that model)."""
    return f"{GLOBAL_MODELS}/global_metadata-{_checked(training_id)}.json"


def sweep_unreferenced(
    store: ArtifactStore,
    referenced: Iterable[str],
    folders: Iterable[str] = MODEL_FOLDERS,
    *,
    min_age_s: float = UNREFERENCED_MIN_AGE_S,
    now: float | None = None,
) -> list[str]:
    """Remove the files under ``folders`` that are not in ``referenced`` (relative paths the
    warehouse points to) and were last modified more than ``min_age_s`` ago: what crashed
    runs left (their model files, temporary files of an interrupted write, files of the
    unversioned layout). Returns the relative paths removed, sorted."""
    keep = set(referenced)
    cutoff = (time.time() if now is None else now) - min_age_s
    removed = []
    for folder in folders:
        top = store.path(folder)
        for dirpath, _dirs, files in os.walk(top):
            for name in files:
                path = Path(dirpath) / name
                relative = path.relative_to(store.root).as_posix()
                if relative in keep:
                    continue
                try:
                    if path.lstat().st_mtime > cutoff:
                        continue
                    path.unlink()
                except FileNotFoundError:
                    continue
                except OSError as exc:  # left for the next sweep
                    _log.warning("artifact_not_removed", path=relative, error=str(exc))
                    continue
                removed.append(relative)
    return sorted(removed)
