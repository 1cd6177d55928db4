"""The images' install step without Docker, and lint of Dockerfiles and shell scripts."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

APPS = {"training": "ml-training", "inference": "ml-inference"}
BIN = Path(sys.executable).parent
DOCKERFILE = REPO_ROOT / "docker" / "Dockerfile"


def uv() -> str:
    return (
        os.environ.get("UV") or shutil.which("uv") or str(REPO_ROOT / ".mlplatform" / "tools" / "bin" / "uv")
    )


def test_dockerfiles_are_hadolint_clean():
    result = subprocess.run(
        [str(BIN / "hadolint"), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_shell_scripts_are_shellcheck_clean():
    scripts = [str(p) for p in (REPO_ROOT / "scripts").glob("*.sh")] + [
        str(REPO_ROOT / ".ci" / "run"),
        str(REPO_ROOT / "docker" / "entrypoint.sh"),
    ]
    result = subprocess.run([str(BIN / "shellcheck"), *scripts], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def image_sync_command() -> list[str]:
    """The build stage's last `uv sync` line of docker/Dockerfile (the app's project is its WORKDIR)."""
    return re.findall(r"RUN (uv sync [^\n]+)", DOCKERFILE.read_text())[-1].split()


def install_like_the_image(app: str, workdir: Path) -> subprocess.CompletedProcess:
    """Copy what the Dockerfile copies and run its `uv sync` line, then the entry point's --help."""
    for folder in ("common", app):
        shutil.copytree(
            REPO_ROOT / "src" / folder,
            workdir / "src" / folder,
            ignore=shutil.ignore_patterns(".venv", "__pycache__"),
        )
    sync = image_sync_command()
    # Without the image's bytecode compilation (15k files, most of this test's time once the uv
    # cache is warm): what is checked is that the lock installs and the entry point runs.
    env = {**os.environ, "UV_PROJECT_ENVIRONMENT": str(workdir / "venv"), "UV_COMPILE_BYTECODE": "0"}
    env.pop("VIRTUAL_ENV", None)
    result = subprocess.run(
        [uv(), *sync[1:]],
        cwd=workdir / "src" / app,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        return result
    return subprocess.run(
        [str(workdir / "venv" / "bin" / APPS[app]), "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize("app", sorted(APPS))
def test_image_install_step_works_from_the_lock(app, tmp_path):
    result = install_like_the_image(app, tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "usage:" in result.stdout


@pytest.mark.slow
def test_a_stale_lock_fails_the_install_step(tmp_path):
    shutil.copytree(
        REPO_ROOT / "src" / "common",
        tmp_path / "src" / "common",
        ignore=shutil.ignore_patterns(".venv", "__pycache__"),
    )
    project = tmp_path / "src" / "inference" / "pyproject.toml"
    shutil.copytree(
        REPO_ROOT / "src" / "inference", project.parent, ignore=shutil.ignore_patterns(".venv", "__pycache__")
    )
    project.write_text(
        project.read_text().replace('"onnxruntime>=1.20",', '"onnxruntime>=1.20",\n  "tabulate>=0.9",')
    )
    sync = image_sync_command()
    result = subprocess.run(
        [uv(), *sync[1:]],
        cwd=project.parent,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "UV_PROJECT_ENVIRONMENT": str(tmp_path / "venv")},
    )
    assert result.returncode != 0
    assert "needs to be updated" in result.stderr or "lockfile" in result.stderr.lower()
