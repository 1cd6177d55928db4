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
    """A model saved by training must load in inference: same scikit-learn, skops, numpy, scipy."""
    training = _locked_versions(REPO_ROOT / "src" / "training" / "uv.lock")
    inference = _locked_versions(REPO_ROOT / "src" / "inference" / "uv.lock")
    for package in ("scikit-learn", "skops", "numpy", "scipy", "mlflow"):
        assert training[package] == inference[package], package


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
