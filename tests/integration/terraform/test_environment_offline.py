"""Terraform's own checks of the environments, offline: fmt, validate of both, the environment root's
`terraform test`, and checkov over the configuration (the modules' tests: test_modules.py)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT
from tests.integration.terraform.test_terraform import TF_DIR, init, needs_mirror, needs_terraform, terraform

pytestmark = pytest.mark.integration


@needs_terraform
def test_fmt(tmp_path):
    result = terraform("fmt", "-check", "-recursive", str(TF_DIR), cwd=tmp_path, data_dir=tmp_path)
    assert result.returncode == 0, f"not formatted (run terraform fmt -recursive terraform): {result.stdout}"


@needs_mirror
@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_environment_validates_with_the_real_provider(environment, tmp_path):
    cwd = TF_DIR / environment
    init(cwd, tmp_path)
    result = terraform("validate", cwd=cwd, data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@needs_mirror
def test_the_environment_roots_terraform_tests_pass(tmp_path):
    """terraform/staging/tests: the environment root, planned with mock providers."""
    cwd = TF_DIR / "staging"
    init(cwd, tmp_path)
    result = terraform("test", cwd=cwd, data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


def test_checkov_finds_nothing_and_every_skip_has_a_reason(tmp_path):
    """checkov over terraform/ (its own tool environment via uvx); skips must carry a reason inline."""
    skips = []
    for path in TF_DIR.rglob("*.tf"):
        for match in re.finditer(r"#checkov:skip=([A-Z0-9_]+)(:?)(.*)", path.read_text()):
            skips.append((path.name, match.group(1), match.group(3).strip()))
    assert skips, "expected the documented skips"
    assert all(reason for _, _, reason in skips), [s for s in skips if not s[2]]
    uv = os.environ.get("UV") or shutil.which("uv") or str(REPO_ROOT / ".mlplatform" / "tools" / "bin" / "uv")
    result = subprocess.run(
        [
            uv,
            "tool",
            "run",
            "--quiet",
            "--from",
            "checkov==3.3.30",
            "checkov",
            "-d",
            str(TF_DIR),
            "--framework",
            "terraform",
            "--skip-download",
            "--compact",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        cwd=tmp_path,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
