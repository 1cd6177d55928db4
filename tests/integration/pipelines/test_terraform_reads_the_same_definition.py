"""What Terraform deploys (file() of pipelines/<name>.json) equals what the local runner executes."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ml_platform.pipelines.definitions import PIPELINES, canonical, render
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

TERRAFORM = shutil.which("terraform")


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH (the machine image provides it)")
@pytest.mark.parametrize("name", PIPELINES)
def test_terraform_renders_the_runner_definition(name, tmp_path):
    path = REPO_ROOT / "pipelines" / f"{name}.json"
    result = subprocess.run(
        [TERRAFORM, "console"],
        input=f'jsonencode(jsondecode(file("{path}")))',
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    from_terraform = json.loads(json.loads(result.stdout.strip()))
    runner_executes = json.loads(path.read_text())  # the local runner loads this same file
    assert canonical(from_terraform) == canonical(runner_executes) == canonical(render(name))
