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


def hits_in(files: list[Path], find: Callable[[Path, Path], list[str]]) -> list[str]:
    return [hit for path in files for hit in find(path, REPO_ROOT)]


def sample_hits(tmp_path: Path, source: str, find: Callable[[Path, Path], list[str]]) -> int:
    sample = tmp_path / "sample.py"
    sample.write_text(source)
    return len(find(sample, tmp_path))


def test_lib_imports_no_dagster():
    files = sorted(LIB.rglob("*.py"))
    assert len(files) > 50
    assert hits_in(files, dagster_imports) == []


def test_the_guard_sees_each_form(tmp_path):
    source = (
        "import dagster as dg\nfrom dagster import asset\nimport dagster_mysql\n"
        "from dagster._core.storage import x\nimport dagsterish\nfrom . import dagster\n"
    )
    assert sample_hits(tmp_path, source, dagster_imports) == 4


# --------------------------------------------------------------------------- defs/ domains

DEFS = REPO_ROOT / "procurement_pipeline" / "defs"
# What one domain may import from another: the asset definitions it depends on (the graph),
# a domain's resources, and the automation's read-only view of the cycle. Sensors, schedules,
# jobs and helpers stay inside their domain: shared logic goes to lib/, shared wiring to
# defs/*.py (resources, partitions, tags, metadata), cross-domain jobs to automation/jobs.py.
CROSS_DOMAIN_MODULES = {"assets", "resources"}
CROSS_DOMAIN_EXTRA = {("automation", "cycle_state")}


def _domain_and_module(dotted: str, defs: Path) -> tuple[str, str | None] | None:
    """``procurement_pipeline.defs.<domain>[.<module>]`` -> (domain, module or None); None for
    anything else, defs/*.py included."""
    parts = dotted.split(".")
    if parts[:2] != ["procurement_pipeline", "defs"] or len(parts) < 3:
        return None
    if not (defs / parts[2]).is_dir():
        return None
    return parts[2], parts[3] if len(parts) > 3 else None


def cross_domain_imports(path: Path, root: Path, defs: Path = DEFS) -> list[str]:
    """Imports in a defs/<a>/ module of another domain's internals: any module of defs/<b>/
    but its assets and resources (and automation.cycle_state), and any private name."""
    relative = path.relative_to(root).with_suffix("")
    package = list(relative.parts[:-1])
    own = _domain_and_module(".".join(relative.parts), defs)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [(alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [(base, alias.name) for alias in node.names]
        else:
            continue
        for target, name in targets:
            located = _domain_and_module(target, defs)
            if located is None or (own is not None and located[0] == own[0]):
                continue
            domain, module = located
            # `from procurement_pipeline.defs.<b> import sensors` imports a module.
            if module is None and name is not None and (defs / domain / f"{name}.py").exists():
                module, target, name = name, f"{target}.{name}", None
            allowed = (
                module is None
                or module in CROSS_DOMAIN_MODULES
                or (domain, module) in CROSS_DOMAIN_EXTRA
            )
            private = name is not None and name.startswith("_")
            if not allowed or private:
                shown = f"{target}.{name}" if name else target
                found.append(f"{path.relative_to(root)}:{node.lineno} {shown}")
    return found


def test_no_domain_imports_another_domains_internals():
    files = sorted(DEFS.glob("*/*.py"))
    assert len(files) > 20
    assert hits_in(files, cross_domain_imports) == []


def test_the_domain_guard_sees_each_form(tmp_path):
    defs = tmp_path / "procurement_pipeline" / "defs"
    for name in ("alerts", "recommendations", "automation"):
        (defs / name).mkdir(parents=True)
        for module in ("__init__", "sensors", "assets", "resources"):
            (defs / name / f"{module}.py").write_text("")
    sample = defs / "recommendations" / "sensors.py"
    sample.write_text(
        "from procurement_pipeline.defs.alerts.sensors import send_pending\n"
        "from procurement_pipeline.defs.alerts import sensors\n"
        "import procurement_pipeline.defs.alerts.sensors\n"
        "from ..alerts.sensors import x\n"
        "from procurement_pipeline.defs.alerts.resources import _private\n"
        "from procurement_pipeline.defs.automation.cycle import planner\n"
        # Allowed: another domain's assets and resources, the cycle's state, shared wiring,
        # anything of its own domain.
        "from procurement_pipeline.defs.alerts.resources import MailerResource\n"
        "from procurement_pipeline.defs.alerts.assets import an_asset\n"
        "from ..alerts import assets\n"
        "from procurement_pipeline.defs.automation.cycle_state import cycle_settled\n"
        "from procurement_pipeline.defs.resources import WarehouseResource\n"
        "from procurement_pipeline.defs.tags import CYCLE_TAG\n"
        "from procurement_pipeline.defs.recommendations.assets import _own_private\n"
        "from .assets import helper\n"
    )
    hits = cross_domain_imports(sample, tmp_path, defs)
    assert [hit.split(" ", 1)[1] for hit in hits] == [
        "procurement_pipeline.defs.alerts.sensors.send_pending",
        "procurement_pipeline.defs.alerts.sensors",
        "procurement_pipeline.defs.alerts.sensors",
        "procurement_pipeline.defs.alerts.sensors.x",
        "procurement_pipeline.defs.alerts.resources._private",
        "procurement_pipeline.defs.automation.cycle.planner",
    ]


def test_shipped_code_never_imports_the_tools():
    files = sorted(path for folder in SHIPPED for path in folder.rglob("*.py"))
    assert len(files) > 100
    assert hits_in(files, tools_imports) == []


def test_the_tools_guard_sees_each_form(tmp_path):
    source = (
        "import tools\nfrom tools import catalog_generator\nimport tools.report_samples as s\n"
        "def later():\n    from tools.model_tuning import synthetic_price_series\n"
        "import toolsmith\nfrom .tools import x\nfrom procurement_pipeline import tools\n"
    )
    assert sample_hits(tmp_path, source, tools_imports) == 4
