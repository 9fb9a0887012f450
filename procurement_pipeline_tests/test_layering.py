"""The layering rule (ARCHITECTURE.md): procurement_pipeline/lib/ is pure Python, it imports
no Dagster package, so every rule in it runs and is tested without an instance; and nothing
the image ships (procurement_pipeline/, dashboard/) imports the development tooling in tools/,
which the image leaves out."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

from procurement_pipeline_tests.conftest import REPO_ROOT

LIB = REPO_ROOT / "procurement_pipeline" / "lib"
SHIPPED = (REPO_ROOT / "procurement_pipeline", REPO_ROOT / "dashboard")


def forbidden_imports(path: Path, root: Path, forbidden: Callable[[str], bool]) -> list[str]:
    """Every absolute import in ``path`` (at any depth, function bodies included) whose module
    name ``forbidden`` rejects, as ``file:line module``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        found += [
            f"{path.relative_to(root)}:{node.lineno} {name}" for name in names if forbidden(name)
        ]
    return found


def is_dagster(name: str) -> bool:
    return name == "dagster" or name.startswith(("dagster.", "dagster_"))


def is_tools(name: str) -> bool:
    return name == "tools" or name.startswith("tools.")


def dagster_imports(path: Path, root: Path) -> list[str]:
    return forbidden_imports(path, root, is_dagster)


def tools_imports(path: Path, root: Path) -> list[str]:
    return forbidden_imports(path, root, is_tools)


def test_lib_imports_no_dagster():
    files = sorted(LIB.rglob("*.py"))
    assert len(files) > 50
    assert [hit for path in files for hit in dagster_imports(path, REPO_ROOT)] == []


def test_the_guard_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import dagster as dg\nfrom dagster import asset\nimport dagster_mysql\n"
        "from dagster._core.storage import x\nimport dagsterish\nfrom . import dagster\n"
    )
    assert len(dagster_imports(sample, tmp_path)) == 4


def test_shipped_code_never_imports_the_tools():
    files = sorted(path for folder in SHIPPED for path in folder.rglob("*.py"))
    assert len(files) > 100
    assert [hit for path in files for hit in tools_imports(path, REPO_ROOT)] == []


def test_the_tools_guard_sees_each_form(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import tools\nfrom tools import catalog_generator\nimport tools.report_samples as s\n"
        "def later():\n    from tools.model_tuning import synthetic_price_series\n"
        "import toolsmith\nfrom .tools import x\nfrom procurement_pipeline import tools\n"
    )
    assert len(tools_imports(sample, tmp_path)) == 4
