"""The layering rule (ARCHITECTURE.md): procurement_pipeline/lib/ is pure Python, it imports
no Dagster package, so every rule in it runs and is tested without an instance."""

from __future__ import annotations

import ast
from pathlib import Path

from procurement_pipeline_tests.conftest import REPO_ROOT

LIB = REPO_ROOT / "procurement_pipeline" / "lib"


def dagster_imports(path: Path, root: Path) -> list[str]:
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
            f"{path.relative_to(root)}:{node.lineno} {name}"
            for name in names
            if name == "dagster" or name.startswith(("dagster.", "dagster_"))
        ]
    return found


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
