"""One naming rule for every artifact of a SKU (issue 14 item 3, issue 15 item 3): the SKU is
one reversible path segment (lib.artifacts.sku_segment), and no other module builds artifact
paths by hand."""

from __future__ import annotations

import ast
import datetime as dt
import random
import re
from pathlib import Path

import pytest

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.artifacts import ArtifactStore, sku_from_segment, sku_segment
from procurement_pipeline.lib.validation import SKU_ALPHABET, sku_character_problem, sku_key

REPO_ROOT = Path(__file__).resolve().parents[2]
# Slash, space, accents, colon, dots, "..", a Windows device name, %, an escape look-alike,
# 64 characters.
AWKWARD_SKUS = [
    "PAR/M6x20-INOX",
    "ESP D33 100x200",
    "ÇAB-ÁGUA-01",
    "FER:12",
    "v1.2.3",
    ".oculto",
    "..",
    "../../etc/passwd",
    "A\\B",
    "CON",
    "100%",
    "a=2Fb",
    ("Ç/ã: õ.é " * 7)[:60] + "Z-01",
]
# Windows refuses these in a name; and a name may not end with a dot or a space there.
WINDOWS_FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)}


def test_awkward_skus_are_catalog_skus():
    assert len(AWKWARD_SKUS[-1]) == 64
    for sku in AWKWARD_SKUS:
        assert sku_character_problem(sku) is None, sku


@pytest.mark.parametrize("sku", AWKWARD_SKUS)
def test_segment_is_one_safe_reversible_name(sku):
    segment = sku_segment(sku)
    assert sku_from_segment(segment) == sku
    assert segment not in (".", "..") and not segment.startswith(".")
    assert not set(segment) & WINDOWS_FORBIDDEN
    assert not segment.endswith((".", " "))
    assert segment.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    assert len(segment.encode("utf-8")) <= 192


def test_plain_and_accented_skus_keep_their_spelling():
    assert sku_segment("ESP-00001") == "ESP-00001"
    assert sku_segment("ÇAB-ÁGUA-01") == "ÇAB-ÁGUA-01"
    assert sku_segment("v1.2.3") == "v1.2.3"
    assert sku_segment("PAR/M6x20-INOX") == "PAR=2FM6x20-INOX"
    assert sku_segment("..") == "=2E=2E"
    assert sku_segment("CON") == "=43ON"
    with pytest.raises(ValueError):
        sku_segment("")


def test_random_catalog_skus_round_trip_and_never_share_a_segment():
    """Any SKU the catalog accepts: reversible, within the length limit, and distinct
    segments for distinct SKUs, also under case folding (a case-insensitive filesystem)."""
    rng = random.Random(14)
    alphabet = sorted(SKU_ALPHABET - {"ı"})
    skus = {"".join(rng.choices(alphabet, k=rng.randint(1, 64))) for _ in range(5000)}
    skus |= {c for c in alphabet}  # every single character too
    by_folded: dict[str, str] = {}
    for sku in skus:
        segment = sku_segment(sku)
        assert sku_from_segment(segment) == sku
        assert "/" not in segment and segment not in (".", "..")
        assert len(segment.encode("utf-8")) <= 192
        folded = segment.casefold()
        if folded in by_folded:
            assert sku_key(by_folded[folded]) == sku_key(sku)  # the catalog's same SKU
        by_folded[folded] = sku
    worst = "".join(["/"] * 64)
    assert len(sku_segment(worst).encode()) == 192


@pytest.mark.parametrize("sku", AWKWARD_SKUS)
def test_every_artifact_of_a_sku_lands_where_its_name_says(tmp_path, sku):
    store = ArtifactStore(tmp_path)
    training_id = artifacts.new_training_id()
    model = store.write_bytes(artifacts.product_model_path(sku, training_id), b"{}")
    report = store.write_bytes(artifacts.product_report_path(sku), b"%PDF-1.4")
    # The model sits one folder below models/products, the report right in reports/products.
    assert model.parent.parent == store.path(artifacts.PRODUCT_MODELS)
    assert sku_from_segment(model.parent.name) == sku
    assert report.parent == store.path(artifacts.PRODUCT_REPORTS)
    assert sku_from_segment(report.name.removesuffix(".pdf")) == sku
    assert store.relative(report) == artifacts.product_report_path(sku)
    download = artifacts.product_report_download_name(sku)
    assert "/" not in download and download.startswith("relatorio_")
    assert artifacts.retraining_attachment([sku], dt.date(2026, 11, 25)) == (
        artifacts.product_report_path(sku),
        download,
    )


def test_retraining_attachment_of_several_products_is_the_catalog_report():
    assert artifacts.retraining_attachment(["A", "B"], dt.date(2026, 11, 25)) == (
        artifacts.CATALOG_REPORT,
        "relatorio_catalogo_2026-11-25.pdf",
    )
    assert artifacts.purchases_export_name(dt.date(2026, 11, 25), "xlsx") == (
        "o_que_comprar_2026-11-25.xlsx"
    )
    with pytest.raises(ValueError):
        artifacts.purchases_export_name(dt.date(2026, 11, 25), "ods")


# --------------------------------------------------------------------------- the guard

NAMING_MODULE = REPO_ROOT / "procurement_pipeline" / "lib" / "artifacts.py"
SCANNED = [REPO_ROOT / "procurement_pipeline", REPO_ROOT / "dashboard"]
# Text that names an artifact: a store folder, an artifact file name, a download name.
ARTIFACT_TEXT = re.compile(
    r"\b(models|reports)/|^[\w.%{}-]*\.(pdf|xlsx)$|^(relatorio|o_que_comprar)_"
)
# An f-string that puts a SKU into a path or a file name (no blanks: not a sentence).
PATH_LIKE = re.compile(r"^(?=\S*$)(.*/|.*\.(pdf|xlsx|csv|json)$)")


def _names_sku(node: ast.AST) -> bool:
    return any(
        isinstance(n, ast.Name | ast.Attribute)
        and "sku" in (n.id if isinstance(n, ast.Name) else n.attr).lower()
        for n in ast.walk(node)
    )


def hand_built_artifact_paths(path: Path) -> list[str]:
    """Places in one module that spell an artifact path or name themselves, or join a SKU
    into a path (an f-string with a "/" or ending in a file suffix, or ``path / sku``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    in_fstrings = {
        id(v) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for v in node.values
    }
    found = []
    for node in ast.walk(tree):
        where = f"{path.relative_to(REPO_ROOT)}:{getattr(node, 'lineno', '?')}"
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings | in_fstrings and ARTIFACT_TEXT.search(node.value):
                found.append(f"{where} {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
            if ARTIFACT_TEXT.search(text) or (_names_sku(node) and PATH_LIKE.search(text)):
                found.append(f"{where} f-string {text!r}")
        elif (
            isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div) and _names_sku(node.right)
        ):
            found.append(f"{where} path / SKU")
    return found


def test_guard_finds_hand_built_paths(tmp_path):
    """The guard itself can fail: each way of building a path by hand is caught."""
    sample = REPO_ROOT / "procurement_pipeline" / "_guard_sample.py"
    sample.write_text(
        "from pathlib import Path\n"
        "def f(root, sku):\n"
        "    a = f'reports/products/{sku}.pdf'\n"
        "    b = f'{root}/{sku}.json'\n"
        "    c = Path(root) / sku\n"
        "    d = 'models/global'\n"
        "    return a, b, c, d\n",
        encoding="utf-8",
    )
    try:
        found = hand_built_artifact_paths(sample)
    finally:
        sample.unlink()
    assert len(found) == 4, found  # a, b, c and d


def test_no_module_but_the_naming_module_builds_artifact_paths():
    offenders = []
    for folder in SCANNED:
        for path in sorted(folder.rglob("*.py")):
            if path == NAMING_MODULE or "migrations" in path.parts:
                continue
            offenders += hand_built_artifact_paths(path)
    assert offenders == [], "artifact paths built outside lib/artifacts.py:\n" + "\n".join(
        offenders
    )
