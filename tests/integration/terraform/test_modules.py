"""Terraform's own checks, offline: fmt, validate of both environments, `terraform test` of the
modules, and checkov over the configuration (a file of its own, so that another xdist worker runs
these while test_terraform.py plans and applies)."""

from __future__ import annotations

import os
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
@pytest.mark.parametrize(
    "module",
    [
        "modules/ecr",
        "modules/feature_store",
        "modules/iam",
        "modules/monitoring",
        "modules/pipelines",
        "modules/storage",
        "modules/vpc_endpoints",
        "staging",
    ],
)
def test_terraform_tests_pass(module, tmp_path):
    cwd = TF_DIR / module
    init(cwd, tmp_path)
    result = terraform("test", cwd=cwd, data_dir=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout


@needs_mirror
def test_a_wildcard_action_fails_the_iam_tests(tmp_path):
    module = tmp_path / "iam"
    shutil.copytree(TF_DIR / "modules" / "iam", module, ignore=shutil.ignore_patterns(".terraform*"))
    main = module / "main.tf"
    main.write_text(
        main.read_text().replace(
            'actions   = ["s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketAcl"]', 'actions   = ["s3:*"]'
        )
    )
    init(module, tmp_path / "data")
    result = terraform("test", cwd=module, data_dir=tmp_path / "data")
    assert result.returncode != 0
    assert "the execution role grants a wildcard action" in result.stdout + result.stderr


def test_checkov_finds_nothing_and_every_skip_has_a_reason(tmp_path):
    """checkov over terraform/ (its own tool environment via uvx); skips must carry a reason inline."""
    import re

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
