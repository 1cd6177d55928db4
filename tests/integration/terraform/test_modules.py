"""`terraform test` of each module, offline (the environment root's checks, fmt, validate and
checkov: test_environment_offline.py; files of their own, so that xdist workers run them side by side)."""

from __future__ import annotations

import shutil

import pytest

from tests.integration.terraform.test_terraform import TF_DIR, init, needs_mirror, terraform

pytestmark = pytest.mark.integration


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
