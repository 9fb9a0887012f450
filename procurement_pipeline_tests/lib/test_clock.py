"""One clock (lib/clock.py): nothing else in the runtime package or the dashboard reads the
time of day through datetime/date directly."""

from __future__ import annotations

import ast
import datetime as dt

from procurement_pipeline.lib import clock
from procurement_pipeline_tests.conftest import REPO_ROOT

READERS = {"now", "today", "utcnow"}
OWNERS = {"datetime", "date"}


def _direct_reads(path, root=REPO_ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
        if node.func.attr in READERS and name in OWNERS:
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_only_lib_clock_reads_the_time_of_day():
    files = [
        *sorted((REPO_ROOT / "procurement_pipeline").rglob("*.py")),
        *sorted((REPO_ROOT / "dashboard").rglob("*.py")),
    ]
    offenders = [
        hit
        for path in files
        if path != REPO_ROOT / "procurement_pipeline" / "lib" / "clock.py"
        for hit in _direct_reads(path)
    ]
    assert offenders == []


def test_the_guard_sees_each_spelling(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\nfrom datetime import date, datetime\n"
        "a = dt.datetime.now(dt.UTC)\nb = datetime.now()\nc = date.today()\n"
        "d = dt.date.today()\ne = datetime.utcnow()\nf = dt.datetime.fromtimestamp(0)\n"
    )
    assert len(_direct_reads(sample, tmp_path)) == 5


def test_the_clock_is_utc():
    aware, naive = clock.now(), clock.utcnow()
    assert aware.tzinfo is dt.UTC and naive.tzinfo is None and naive.microsecond == 0
    assert abs((aware.replace(tzinfo=None) - naive).total_seconds()) < 2
    assert clock.today() == aware.date()
