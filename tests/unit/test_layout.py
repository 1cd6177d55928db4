"""Repository layout rules: separate app projects sharing one package, never each other."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

APPS = {"training": "ml_training", "inference": "ml_inference"}


@pytest.mark.parametrize("app", sorted(APPS))
def test_app_is_its_own_locked_project_depending_on_common_by_path(app):
    folder = REPO_ROOT / "src" / app
    project = tomllib.loads((folder / "pyproject.toml").read_text())
    assert "ml-platform-common" in project["project"]["dependencies"]
    assert project["tool"]["uv"]["sources"]["ml-platform-common"] == {"path": "../common", "editable": True}
    lock = (folder / "uv.lock").read_text()
    assert 'source = { editable = "../common" }' in lock


@pytest.mark.parametrize(("app", "other"), [("training", "inference"), ("inference", "training")])
def test_apps_never_import_each_other(app, other):
    pattern = re.compile(rf"^\s*(from|import)\s+{APPS[other]}\b", re.MULTILINE)
    package = REPO_ROOT / "src" / app / APPS[app]  # not .venv/, which the local runner creates
    offenders = [p for p in package.rglob("*.py") if pattern.search(p.read_text())]
    assert offenders == []


def _locked_versions(lock: Path) -> dict[str, set[str]]:
    versions: dict[str, set[str]] = {}
    for package in tomllib.loads(lock.read_text()).get("package", []):
        versions.setdefault(package["name"], set()).add(package.get("version", ""))
    return versions


def test_model_libraries_are_locked_to_the_same_versions_in_both_apps():
    """The ONNX file training checked must score the same in inference: the same onnxruntime, numpy
    and MLflow client; and inference installs no scikit-learn, scipy or skops at all."""
    training = _locked_versions(REPO_ROOT / "src" / "training" / "uv.lock")
    inference = _locked_versions(REPO_ROOT / "src" / "inference" / "uv.lock")
    for package in ("onnxruntime", "numpy", "polars"):
        assert training[package] == inference[package], package
    assert training["mlflow-skinny"] == inference["mlflow-skinny"]
    assert not {"scikit-learn", "scipy", "skops"} & set(inference)


@pytest.mark.parametrize("app", sorted(APPS))
def test_the_images_do_not_install_the_local_tools(app):
    """The images install their app's lock: no local broker, no demo data, no local runner."""
    locked = _locked_versions(REPO_ROOT / "src" / app / "uv.lock")
    assert "noida-db" not in locked and "ml-platform-local" not in locked
    assert "noida-db" in _locked_versions(REPO_ROOT / "uv.lock")  # the check looks at the right names
    package = REPO_ROOT / "src" / app / APPS[app]
    common = REPO_ROOT / "src" / "common" / "ml_platform"
    importers = [
        p
        for folder in (package, common)
        for p in folder.rglob("*.py")
        if "ml_platform_local" in p.read_text()
    ]
    assert [p.relative_to(REPO_ROOT) for p in importers] == [
        Path("src/common/ml_platform/cli.py")
    ]  # lazy, guarded


MAX_FUNCTION_LINES = 60


def long_functions(root: Path, limit: int) -> list[str]:
    """Functions (methods, nested ones) of the packages under ``root`` longer than ``limit`` lines."""
    import ast

    found = []
    for path in sorted(root.glob("*/ml_*/**/*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = node.end_lineno - node.lineno + 1
                if length > limit:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({length} lines)")
    return found


def test_no_function_in_src_is_longer_than_the_limit():
    """ruff's PLR0915 counts statements, not lines; this keeps every function readable at once."""
    assert long_functions(REPO_ROOT / "src", MAX_FUNCTION_LINES) == []


def test_the_length_check_sees_a_long_function(tmp_path):
    package = tmp_path / "app" / "ml_app"
    package.mkdir(parents=True)
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (package / "long.py").write_text(f"def long():\n{body}\n\n\ndef short():\n    return 1\n")
    assert [f.split()[-3] for f in long_functions(tmp_path, MAX_FUNCTION_LINES)] == ["long"]


def _concept_rows() -> list[tuple[str, list[str]]]:
    readme = (REPO_ROOT / "README.md").read_text()
    table = readme.split("Where each concept lives:", 1)[1].split("\n\n", 2)[1]
    rows = [line.split(" | ", 1) for line in table.splitlines()[2:]]
    return [(concept.strip("| "), re.findall(r"`([^`]+)`", files)) for concept, files in rows]


# The concepts the layout must locate (issue 16's list), each a row of the README's table.
CONCEPTS = (
    "spec",
    "point-in-time",
    "online store",
    "offline store",
    "pipeline definitions",
    "pipeline parameters",
    "settings",
    "container contract",
    "publishing",
    "registry",
    "gate",
)


def test_the_readme_locates_every_concept_in_files_that_exist():
    rows = _concept_rows()
    for concept in CONCEPTS:
        assert any(concept in name for name, _ in rows), f"no README layout row for {concept}"
    sources = [p for p in REPO_ROOT.glob("src/*/*/**/*") if p.is_file()]
    for name, names in rows:
        paths = [n.split()[0] for n in names if "/" in n or n.endswith(".py")]
        assert paths, f"README layout row {name!r} names no file"
        for path in paths:
            found = any(REPO_ROOT.glob(path)) or any(str(p).endswith("/" + path) for p in sources)
            assert found, f"README layout row {name!r}: {path} does not exist"


def test_every_file_run_first_exists():
    from tests.conftest import LONGEST_FIRST

    assert len(set(LONGEST_FIRST)) == len(LONGEST_FIRST)
    missing = [path for path in LONGEST_FIRST if not (REPO_ROOT / path).is_file()]
    assert not missing, f"tests/conftest.py LONGEST_FIRST names files that do not exist: {missing}"
