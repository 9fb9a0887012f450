"""Importing a benchmark changes nothing in the importing process: tests import benchmark
modules for their checks, and a benchmark that set PROCUREMENT_LOG_LEVEL=WARNING at import once
silenced the logging of every later test in the same worker (test_logging failed in CI only)."""

from __future__ import annotations

import importlib
import os
import sys

import pytest

from procurement_pipeline_tests.conftest import REPO_ROOT

MODULES = sorted(
    path.stem for path in (REPO_ROOT / "benchmarks").glob("*.py") if path.stem != "__init__"
)


@pytest.mark.parametrize("name", MODULES)
def test_importing_a_benchmark_leaves_the_environment_and_stdout_alone(name):
    module = f"benchmarks.{name}"
    sys.modules.pop(module, None)
    environment, stdout = dict(os.environ), sys.stdout
    importlib.import_module(module)
    assert dict(os.environ) == environment
    assert sys.stdout is stdout
