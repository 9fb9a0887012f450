"""The reliability list names only tests that exist."""

import ast
from pathlib import Path

from procurement_pipeline_tests.reliability.faults import FAULTS

TESTS_ROOT = Path(__file__).resolve().parents[1]


def test_every_fault_names_existing_test_files_with_tests():
    assert FAULTS
    for fault in FAULTS:
        assert fault.tests, fault.fault
        for name in fault.tests:
            path = TESTS_ROOT / name
            assert path.is_file(), f"{fault.fault}: {name} does not exist"
            tree = ast.parse(path.read_text(encoding="utf-8"))
            tests = [
                node.name
                for node in ast.walk(tree)
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
            ]
            assert tests, f"{fault.fault}: {name} holds no test"


def test_readme_reliability_table_has_the_same_rows():
    readme = (TESTS_ROOT.parent / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    for fault in FAULTS:
        assert f"| {fault.fault} |" in table, fault.fault
