"""Train one product's model (holdout, metrics, refit, forecast, artifact) or many in parallel.

``train_product_model`` never raises for a bad series: a short history is "skipped" and an
exception during fitting is "failed", both with a reason, so a batch of thousands continues.

``train_many`` runs the work in worker processes, in chunks (one task carries several products,
which amortises pickling and scheduling overhead). Start method: ``fork`` where available (Linux):
workers inherit the already-imported prophet/cmdstanpy/pandas instead of paying a second or more
of imports each, and need no importable ``__main__``; elsewhere ``spawn``. Pass
``mp_context="forkserver"`` or ``"spawn"`` if the calling process runs threads that must not be
forked. Temporary files: every run gets one scratch directory; each worker points cmdstanpy's
own temp dir into it (cmdstanpy removes its temp dir in an ``atexit`` hook that never runs in
pool workers - prophet issues #2344, #2668) and every fit writes its uniquely named CmdStan
files into it, removed right after the fit (see ``model.fit_model``). The scratch directory is
removed when the run ends. A worker also points ``tempfile`` at its folder before it imports
cmdstanpy, so the folder cmdstanpy creates at import lands there too instead of staying behind
in the system temp dir. A run that is killed cannot clean up: its scratch directory is named
after the owning process (``procurement-forecast-<pid>-<start>-<host>-*``) and every run first
removes the ones whose owner is gone (:func:`remove_orphaned_scratch`).
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing as mp
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from procurement_pipeline.lib.artifacts import create_temp_beside
from procurement_pipeline.lib.dates import day_values
from procurement_pipeline.lib.forecasting.holdout import empty_holdout, served_holdout
from procurement_pipeline.lib.forecasting.metrics import evaluate
from procurement_pipeline.lib.forecasting.model import prepare_history, quiet_stan_logging
from procurement_pipeline.lib.forecasting.selection import CandidateFits, serve
from procurement_pipeline.lib.forecasting.served import (
    ServedModel,
    forecast,
    from_json,
    future_dates,
    history_anchor,
    to_json,
)
from procurement_pipeline.lib.forecasting.settings import CODE_VERSION, ModelSettings

FORECAST_COLUMNS = ["ds", "yhat", "yhat_lower", "yhat_upper", "yhat_expected"]


_EMPTY_FORECAST: pd.DataFrame | None = None


def empty_forecast() -> pd.DataFrame:
    global _EMPTY_FORECAST
    if _EMPTY_FORECAST is None:  # built once: every TrainingResult starts with one (~0.6 ms)
        out = pd.DataFrame({c: pd.Series(dtype=float) for c in FORECAST_COLUMNS})
        out["ds"] = pd.Series(dtype="datetime64[ns]")
        _EMPTY_FORECAST = out
    return _EMPTY_FORECAST.copy()


@dataclass
class TrainingResult:
    sku: str
    status: str  # "trained", "skipped" or "failed"
    reason: str | None = None
    train_start: date | None = None
    train_end: date | None = None
    points: int = 0
    holdout_days: int = 0
    metrics: dict[str, Any] = field(default_factory=dict)
    holdout: pd.DataFrame = field(default_factory=empty_holdout)
    forecast: pd.DataFrame = field(default_factory=empty_forecast)
    model_json: str | None = None
    # The served candidate (ModelSettings.candidates) and its validation record: cutoffs,
    # days scored, every candidate's score vs naive, and the holdout's own choice.
    model_name: str | None = None
    validation: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0
    code_version: str = CODE_VERSION


def real_points(history_df: pd.DataFrame) -> int:
    """Days with an actual observation: value_source "observed" when that column is present."""
    keep = history_df["y"].notna().to_numpy()
    if "value_source" in history_df.columns:
        source = history_df["value_source"].to_numpy(dtype=object)
        keep = keep & (pd.isna(source) | (source == "observed"))
    days = day_values(history_df["ds"])[keep]
    return int(np.unique(days[~np.isnat(days)]).size)


def _fit_and_forecast(
    key: str,
    history_df: pd.DataFrame,
    settings: ModelSettings,
    work_dir: str | Path | None,
    *,
    points: int | None = None,
) -> TrainingResult:
    """Shared path for products and the global index: the model chosen on the history before
    the holdout is scored on the holdout (metrics), then the model chosen on the whole history
    is served (forecast, model file). See ``selection`` for the choice."""
    t0 = time.perf_counter()
    result = TrainingResult(sku=key, status="failed")
    try:
        df = prepare_history(history_df, log_scale=settings.log_scale)
        result.points = len(df) if points is None else points
        if len(df):
            result.train_start = df["ds"].iloc[0].date()
            result.train_end = df["ds"].iloc[-1].date()
        if result.points < settings.min_history_days:
            result.status = "skipped"
            result.reason = (
                f"only {result.points} days of history; {settings.min_history_days} needed"
            )
            return result
        fits = CandidateFits(df, settings, work_dir)
        result.holdout, holdout_model = served_holdout(fits)
        result.metrics = evaluate(result.holdout)
        result.holdout_days = len(result.holdout)
        model = serve(fits)
        result.model_name = model.name
        result.validation = {
            **model.validation,
            "holdout_model": None if holdout_model is None else holdout_model.name,
        }
        result.metrics["model"] = model.name
        result.metrics["validation_mase_naive"] = model.validation["scores"].get(model.name)
        result.forecast = forecast(
            model, future_dates(model.anchor_day, settings.horizon), settings
        )
        result.model_json = to_json(model)
        result.status = "trained"
    except Exception as exc:  # a batch must go on; the reason goes to the registry
        result.status = "failed"
        result.reason = f"{type(exc).__name__}: {exc}"[:500]
        result.model_json = None
    finally:
        result.duration_s = time.perf_counter() - t0
    return result


def train_product_model(
    sku: str,
    history_df: pd.DataFrame,
    settings: ModelSettings | None = None,
    output_dir: str | Path | None = None,
) -> TrainingResult:
    """Holdout metrics, refit on the whole history and a ``settings.horizon``-day forecast.

    history_df: columns ds, y (daily prices; value_source optional - only "observed" days count
    towards min_history_days, interpolated days still train). output_dir: where each fit's
    temporary cmdstan files go (removed after the fit); default the system temp dir.
    """
    settings = settings or ModelSettings()
    return _fit_and_forecast(
        sku, history_df, settings, output_dir, points=_safe_real_points(history_df)
    )


def _safe_real_points(history_df: pd.DataFrame) -> int | None:
    try:
        return real_points(history_df)
    except Exception:  # malformed input: let the main path report the real error
        return None


def forecast_from_model(
    model: ServedModel,
    settings: ModelSettings | None = None,
    horizon: int | None = None,
    *,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The forecast a (loaded) model makes for the ``horizon`` days after its training
    history, or - given a newer ``history`` (ds, y) - after that history's last observed day,
    re-anchored on its last price without refitting."""
    settings = settings or ModelSettings()
    horizon = horizon or settings.horizon
    start = model.anchor_day if history is None else history_anchor(history)[0]
    return forecast(model, future_dates(start, horizon), settings, history=history)


def save_model_atomic(model_json: str, path: str | Path) -> Path:
    """Write the model JSON to path atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path)
    fd, tmp = create_temp_beside(path)  # the mode open() gives, not mkstemp's 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(model_json)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # make the rename durable where directories sync
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return path


def load_model(path: str | Path) -> ServedModel:
    """A served model from its JSON artifact."""
    return from_json(Path(path).read_text(encoding="utf-8"))


# --- parallel training -------------------------------------------------------------------------

_CMDSTANPY_TMPDIR_MODULES = (
    "cmdstanpy",
    "cmdstanpy.model",
    "cmdstanpy.utils.filesystem",
    "cmdstanpy.stanfit.runset",
    "cmdstanpy.stanfit.mcmc",
)


SCRATCH_PREFIX = "procurement-forecast-"
_SCRATCH_NAME = re.compile(r"^procurement-forecast-(\d+)-(\d+)-([0-9a-f]{8})-")


def _process_start(pid: int) -> int | None:
    """When a process started (clock ticks since boot, /proc/<pid>/stat field 22), which tells
    a reused PID from the original owner; None where /proc is not available."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read()
        return int(stat[stat.rindex(b")") + 2 :].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _host_tag() -> str:
    """The machine (container) a scratch directory belongs to: PIDs mean nothing elsewhere."""
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:8]


def _owner_alive(pid: int, start: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by another user
    if start:
        now = _process_start(pid)
        if now is not None and now != start:
            return False  # the PID was reused by another process
    return True


def new_scratch_dir(temp_dir: str | None = None) -> str:
    """A run's scratch directory in the temp dir, named after the process that owns it."""
    pid = os.getpid()
    start = _process_start(pid) or 0
    return tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{pid}-{start}-{_host_tag()}-", dir=temp_dir)


def remove_orphaned_scratch(temp_dir: str | None = None) -> list[str]:
    """Remove the scratch directories of training runs on this machine whose owning process is
    gone (killed runs never reach their cleanup). Directories of live processes, of other
    machines and any other name are left alone. Returns the names removed."""
    base = temp_dir or tempfile.gettempdir()
    host = _host_tag()
    removed = []
    try:
        entries = list(os.scandir(base))
    except OSError:
        return removed
    for entry in entries:
        match = _SCRATCH_NAME.match(entry.name)
        if not match or match[3] != host:
            continue
        with contextlib.suppress(OSError):
            if not entry.is_dir(follow_symlinks=False):
                continue
        if _owner_alive(int(match[1]), int(match[2])):
            continue
        shutil.rmtree(entry.path, ignore_errors=True)
        if not os.path.lexists(entry.path):
            removed.append(entry.name)
    return removed


def _worker_init(scratch: str) -> None:
    """Per worker process: quiet logs and a private cmdstanpy temp dir inside the run's scratch.

    ``tempfile`` points into the scratch first: a worker that imports cmdstanpy itself (spawn,
    or a parent that had not imported it) gets cmdstanpy's import-time temp folder there, where
    the run's cleanup removes it (the worker never runs cmdstanpy's ``atexit`` hook)."""
    import importlib

    own = tempfile.mkdtemp(prefix=f"worker-{os.getpid()}-", dir=scratch)
    tempfile.tempdir = own
    quiet_stan_logging()
    for name in _CMDSTANPY_TMPDIR_MODULES:
        with contextlib.suppress(ImportError):
            module = importlib.import_module(name)
            if hasattr(module, "_TMPDIR"):
                module._TMPDIR = own
    global _WORKER_SCRATCH
    _WORKER_SCRATCH = own
    threading.Thread(
        target=_exit_with_parent, args=(os.getppid(),), daemon=True, name="exit-with-parent"
    ).start()


def _exit_with_parent(parent: int, poll_s: float = 1.0) -> None:
    """End this worker once the process that started it is gone. A run killed with SIGKILL
    never shuts its pool down, and a forked worker holds both ends of the pool's queues, so
    it would wait for work forever (Prophet loaded); killed trainings would pile them up."""
    while os.getppid() == parent:
        time.sleep(poll_s)
    os._exit(1)


_WORKER_SCRATCH: str | None = None


def _train_chunk(
    chunk: list[tuple[str, pd.DataFrame]], settings: ModelSettings
) -> list[TrainingResult]:
    return [train_product_model(sku, df, settings, _WORKER_SCRATCH) for sku, df in chunk]


def _chunks(items: Iterable[tuple[str, pd.DataFrame]], size: int):
    chunk: list[tuple[str, pd.DataFrame]] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _default_context() -> str:
    return "fork" if "fork" in mp.get_all_start_methods() else "spawn"


def train_many(
    items: Iterable[tuple[str, pd.DataFrame]],
    settings: ModelSettings | None = None,
    workers: int | None = os.cpu_count(),
    progress: Callable[[int, TrainingResult], Any] | None = None,
    *,
    chunk_size: int = 16,
    mp_context: str | None = None,
) -> Iterator[TrainingResult]:
    """Train every (sku, history_df) and yield TrainingResults as chunks finish (not in input
    order). ``progress(done, result)`` is called after each product. At most ``2 * workers``
    chunks are in flight, so a lazy ``items`` iterable is never loaded whole.
    """
    settings = settings or ModelSettings()
    workers = max(1, workers or 1)
    remove_orphaned_scratch()
    scratch = new_scratch_dir()
    done = 0
    try:
        if workers == 1:
            quiet_stan_logging()
            for sku, df in items:
                result = train_product_model(sku, df, settings, scratch)
                done += 1
                if progress:
                    progress(done, result)
                yield result
            return
        ctx = mp.get_context(mp_context or _default_context())

        def new_pool() -> ProcessPoolExecutor:
            return ProcessPoolExecutor(
                workers, mp_context=ctx, initializer=_worker_init, initargs=(scratch,)
            )

        pool = new_pool()
        try:
            pending: dict[Future, list[tuple[str, pd.DataFrame]]] = {}
            chunks = _chunks(items, chunk_size)
            exhausted = False
            while True:
                while not exhausted and len(pending) < 2 * workers:
                    chunk = next(chunks, None)
                    if chunk is None:
                        exhausted = True
                        break
                    pending[pool.submit(_train_chunk, chunk, settings)] = chunk
                if not pending:
                    break
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                broken = False
                for fut in finished:
                    chunk = pending.pop(fut)
                    try:
                        results = fut.result()
                    except Exception as exc:  # the worker died (e.g. out of memory)
                        broken = broken or isinstance(exc, BrokenProcessPool)
                        reason = f"worker failed: {type(exc).__name__}: {exc}"[:500]
                        results = [
                            TrainingResult(sku=s, status="failed", reason=reason) for s, _ in chunk
                        ]
                    for result in results:
                        done += 1
                        if progress:
                            progress(done, result)
                        yield result
                if broken:
                    # Chunks still pending on the dead pool are retried on a fresh one.
                    retry = list(pending.values())
                    pending.clear()
                    pool.shutdown(wait=False, cancel_futures=True)
                    pool = new_pool()
                    for chunk in retry:
                        pending[pool.submit(_train_chunk, chunk, settings)] = chunk
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
