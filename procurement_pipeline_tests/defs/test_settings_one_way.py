"""Settings reach the Dagster code one way: as fields of resources built in
defs/environment.py. Nothing else in defs/ reads the environment: no os.environ / getenv, no
dg.EnvVar, no lib settings reader (lib/settings.py's functions, a settings class's from_env),
not in an asset body and not in a Config default evaluated at import."""

from __future__ import annotations

import ast
from pathlib import Path

from procurement_pipeline_tests.conftest import REPO_ROOT

DEFS = REPO_ROOT / "procurement_pipeline" / "defs"
WIRING = DEFS / "environment.py"
# A command, not part of the code location: it creates the Dagster instance of DAGSTER_HOME
# before any definitions load (`python -m procurement_pipeline.defs.instance_setup`).
ENTRY_POINTS = {DEFS / "instance_setup.py"}
SETTINGS_MODULE = "procurement_pipeline.lib.settings"


def _settings_readers() -> set[str]:
    """The functions of lib/settings.py (each reads the environment)."""
    tree = ast.parse((REPO_ROOT / "procurement_pipeline" / "lib" / "settings.py").read_text())
    return {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}


def _dotted(node: ast.AST) -> str:
    return ast.unparse(node) if isinstance(node, ast.Attribute | ast.Name) else ""


def environment_reads(path: Path, root: Path = REPO_ROOT) -> list[str]:
    """`file:line what` for every environment read in one module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    readers = _settings_readers()
    settings_aliases: set[str] = set()  # names bound to the lib settings module
    reader_aliases: set[str] = set()  # reader functions imported by name
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "procurement_pipeline.lib":
            settings_aliases |= {a.asname or a.name for a in node.names if a.name == "settings"}
        elif isinstance(node, ast.ImportFrom) and node.module == SETTINGS_MODULE:
            reader_aliases |= {a.asname or a.name for a in node.names if a.name in readers}
        elif isinstance(node, ast.Import):
            settings_aliases |= {a.asname for a in node.names if a.name == SETTINGS_MODULE}
    found = []

    def hit(node: ast.AST, what: str) -> None:
        found.append(f"{path.relative_to(root)}:{node.lineno} {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "environ":
            hit(node, _dotted(node))
        elif isinstance(node, ast.Name) and node.id == "environ":
            hit(node, "environ")
        elif isinstance(node, ast.ImportFrom) and node.module == "os":
            for alias in node.names:
                if alias.name in {"environ", "getenv"}:
                    hit(node, f"from os import {alias.name}")
        elif isinstance(node, ast.Call):
            callee = _dotted(node.func)
            last = callee.rsplit(".", 1)[-1]
            owner = callee.rsplit(".", 1)[0] if "." in callee else ""
            reads = (
                last in {"getenv", "EnvVar", "from_env"}  # os.getenv, dg.EnvVar, X.from_env
                or owner.endswith("EnvVar")  # dg.EnvVar.int
                or (owner in settings_aliases and last in readers)  # settings.catalog_file()
                or (not owner and last in reader_aliases)  # catalog_file() imported by name
            )
            if reads:
                hit(node, callee)
    return found


def test_only_the_wiring_reads_the_environment():
    files = sorted(p for p in DEFS.rglob("*.py") if p != WIRING and p not in ENTRY_POINTS)
    offenders = [hit for path in files for hit in environment_reads(path)]
    assert offenders == []


def test_the_wiring_is_where_the_reads_are():
    # The guard would pass vacuously if it recognised nothing: the one wiring module holds
    # each kind of read it looks for.
    kinds = {hit.split(" ", 1)[1].rsplit(".", 1)[-1] for hit in environment_reads(WIRING)}
    assert {"environ", "EnvVar", "from_env", "holding_cost_rate"} <= kinds


def test_the_guard_sees_each_spelling(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import os\n"
        "from os import getenv\n"
        "import dagster as dg\n"
        "from procurement_pipeline.lib import settings\n"
        "from procurement_pipeline.lib.settings import catalog_file, DEMO_CATALOG\n"
        "from procurement_pipeline.lib.scraping.scraperapi import ScraperAPISettings\n"
        "a = os.environ.get('X')\n"
        "b = os.getenv('X')\n"
        "c = getenv('X')\n"
        "d = dg.EnvVar('X')\n"
        "e = dg.EnvVar.int('X')\n"
        "f = settings.holding_cost_rate()\n"
        "g = catalog_file()\n"
        "h = ScraperAPISettings.from_env()\n"
        "class C:\n"
        "    path: str = str(settings.catalog_file())\n"
        # Constants and other calls are not reads.
        "i = settings.CATALOG_CSV_ENV, DEMO_CATALOG, settings.DEMO_CATALOG.name\n"
        "j = dg.asset(name='x')\n"
    )
    hits = environment_reads(sample, tmp_path)
    lines = sorted(int(hit.split(":")[1].split()[0]) for hit in hits)
    assert lines == [2, 7, 8, 9, 10, 11, 12, 13, 14, 16]
