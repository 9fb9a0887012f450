"""Every environment variable the code reads, found by reading the source (AST), not a list.

Recognised access patterns, in procurement_pipeline/ and dashboard/:

* ``os.environ.get("X")``, ``os.environ["X"]``, ``os.getenv("X")``, ``environ.get("X")`` and any
  ``<something environ-like>.get("X")`` (a receiver whose source mentions "environ");
* any call of a function whose name mentions "env" with a variable-like string argument:
  ``dg.EnvVar("X")``, ``env_or_default("X", ...)``, ``_env_value(environ, "X")``,
  ``_env_number(environ, "X", ...)``;
* the same with a constant instead of a literal: ``X_ENV = "X"`` at module or class level, used
  as ``env_or_default(settings.X_ENV, ...)`` or ``os.environ.get(X_ENV)``; every ``*_ENV``
  string constant counts as read;
* prefixed families: a function with a ``prefix="P_"`` parameter that reads ``prefix + "NAME"``
  or calls a helper defined inside it with a ``"NAME"`` literal (``SMTPSettings.from_env``'s
  ``get("HOST")``) reads ``P_NAME``.

A new variable in the code is found here, so the deploy tests fail until .env.example
documents it.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

NAME = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$|^[A-Z]{4,}$")
SUFFIX = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _str(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _callee_name(func: ast.AST) -> str:
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


class _Scanner(ast.NodeVisitor):
    def __init__(self, constants: dict[str, str]):
        self.constants = constants
        self.found: set[str] = set()

    def _resolve(self, node: ast.AST) -> str | None:
        value = _str(node)
        if value is not None:
            return value
        if isinstance(node, ast.Name):
            return self.constants.get(node.id)
        if isinstance(node, ast.Attribute):
            return self.constants.get(node.attr)
        return None

    def _add(self, value: str | None) -> None:
        if value and NAME.match(value):
            self.found.add(value)

    def visit_Call(self, node: ast.Call) -> None:
        callee = _callee_name(node.func)
        receiver = ast.unparse(node.func.value) if isinstance(node.func, ast.Attribute) else ""
        if callee in {"get", "getenv", "pop", "setdefault"} and (
            "environ" in receiver or receiver == "os"
        ):
            if node.args:
                self._add(self._resolve(node.args[0]))
        elif "env" in callee.lower():
            for arg in node.args:
                self._add(self._resolve(arg))
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if "environ" in ast.unparse(node.value):
            self._add(self._resolve(node.slice))
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        prefix = _prefix_default(node)
        if prefix:
            self.found |= _prefixed_reads(node, prefix)
        self.generic_visit(node)


def _prefix_default(node: ast.FunctionDef) -> str | None:
    args = node.args.args + node.args.kwonlyargs
    defaults = [None] * (len(node.args.args) - len(node.args.defaults)) + list(node.args.defaults)
    defaults += list(node.args.kw_defaults)
    for arg, default in zip(args, defaults, strict=True):
        if arg.arg == "prefix" and default is not None:
            return _str(default)
    return None


def _prefixed_reads(node: ast.FunctionDef, prefix: str) -> set[str]:
    helpers = {n.name for n in ast.walk(node) if isinstance(n, ast.FunctionDef) and n is not node}
    found = set()
    for sub in ast.walk(node):
        if (
            isinstance(sub, ast.BinOp)
            and isinstance(sub.op, ast.Add)
            and isinstance(sub.left, ast.Name)
            and sub.left.id == "prefix"
        ):
            suffix = _str(sub.right)
            if suffix and SUFFIX.match(suffix):
                found.add(prefix + suffix)
        if isinstance(sub, ast.Call) and _callee_name(sub.func) in helpers and sub.args:
            suffix = _str(sub.args[0])
            if suffix and SUFFIX.match(suffix):
                found.add(prefix + suffix)
    return found


def _constants(trees: Iterable[ast.Module]) -> dict[str, str]:
    """``X_ENV = "NAME"`` at module or class level, across the whole package."""
    constants = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], _str(node.value)
                if isinstance(target, ast.Name) and target.id.endswith("_ENV") and value:
                    constants[target.id] = value
    return constants


def variables_read_by_code(*roots: Path) -> dict[str, set[str]]:
    """{variable: {files that read it}} for every .py file under the roots."""
    files = sorted(p for root in roots for p in root.rglob("*.py"))
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in files}
    constants = _constants(trees.values())
    found: dict[str, set[str]] = {}
    for value in constants.values():
        if NAME.match(value):
            found.setdefault(value, set())
    for path, tree in trees.items():
        scanner = _Scanner(constants)
        scanner.visit(tree)
        for name in scanner.found:
            found.setdefault(name, set()).add(str(path))
    return found


def dotenv_variables(path: Path) -> tuple[set[str], set[str]]:
    """(documented, set): names on `NAME=` lines, and those of them not commented out."""
    documented, assigned = set(), set()
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^(#\s*)?([A-Z][A-Z0-9_]*)=", line.strip())
        if match:
            documented.add(match.group(2))
            if not match.group(1):
                assigned.add(match.group(2))
    return documented, assigned


INTERPOLATION = re.compile(r"(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)(:?[-?+][^}]*)?\}")


def compose_interpolations(text: str) -> dict[str, bool]:
    """{variable: has_default} for every ${VAR} / ${VAR:-default} in a compose file
    ($$ escapes are container-side and skipped)."""
    found: dict[str, bool] = {}
    for match in INTERPOLATION.finditer(text):
        has_default = bool(match.group(2)) and match.group(2).lstrip(":").startswith("-")
        found[match.group(1)] = found.get(match.group(1), False) or has_default
    return found


def instance_env_references(config: object) -> set[str]:
    """Names in `{env: NAME}` nodes of a dagster.yaml."""
    found = set()
    if isinstance(config, dict):
        if set(config) == {"env"} and isinstance(config["env"], str):
            found.add(config["env"])
        for value in config.values():
            found |= instance_env_references(value)
    elif isinstance(config, list):
        for value in config:
            found |= instance_env_references(value)
    return found
