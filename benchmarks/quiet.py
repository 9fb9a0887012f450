"""How a benchmark that drives the pipeline starts: WARNING-level library logs (per-product
lines would drown its progress output; the servers it starts inherit the level) and
line-buffered stdout. Called under ``__main__`` only, never at import: tests import benchmark
modules, and an environment change at import silenced the logging of every later test in
that process."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from procurement_pipeline.lib.logging import configure_logging


def run_quietly(main: Callable[[], int]) -> None:
    os.environ.setdefault("PROCUREMENT_LOG_LEVEL", "WARNING")
    sys.stdout.reconfigure(line_buffering=True)
    configure_logging(force=True)
    sys.exit(main())
