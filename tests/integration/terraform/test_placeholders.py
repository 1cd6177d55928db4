"""The example values terraform.tfvars ships with never reach an apply (plan JSON against moto).
Own file, so another xdist worker plans it while test_terraform.py runs."""

from __future__ import annotations

import re

import pytest

from tests.integration.terraform.test_terraform import init, moto_copy, needs_mirror, terraform

pytestmark = pytest.mark.integration


@needs_mirror
@pytest.mark.slow
@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_the_shipped_example_values_fail_the_plan_and_name_what_to_replace(aws, tmp_path, environment):
    """terraform.tfvars and images.auto.tfvars.json exactly as shipped: the plan refuses them (filled
    in, the same files plan: test_plans_create_one_pipeline_pair_per_model...)."""
    root = moto_copy(tmp_path, aws, environment)
    init(root, tmp_path / "data", backend=True)
    result = terraform("plan", "-input=false", cwd=root, data_dir=tmp_path / "data")
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1
    assert "inference_image_uri, training_image_uri: not pinned by digest" in output
    found = re.search(r"terraform.tfvars still holds example values in ([a-z0-9_, ]+):", output)
    assert found, output[-3000:]
    named = set(found.group(1).split(", "))
    # Every setting the example fills with an example account or REPLACE-ME, found from the files.
    text = (root / "terraform.tfvars").read_text() + (root / "images.auto.tfvars.json").read_text()
    example = {
        m.group(1)
        for m in re.finditer(r'(?m)^\s*"?([a-z0-9_]+)"?\s*[=:]\s*(.*)$', text)
        if re.search(r"111111111111|222222222222|REPLACE-ME|0123456789abcdef0", m.group(2))
    }
    assert named == example
    assert not (root / "terraform.tfstate").exists()
