"""The spec files are read by Terraform's yamldecode exactly as Python reads them."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from ml_platform.specs import SpecRegistry
from tests.conftest import SPECS_DIR

pytestmark = pytest.mark.integration

TERRAFORM = shutil.which("terraform")


# SageMaker's TtlDuration units in seconds (written out, not taken from ml_platform.specs).
UNIT_SECONDS = {"Seconds": 1, "Minutes": 60, "Hours": 3600, "Days": 86400, "Weeks": 604800}
FIXTURES = SPECS_DIR.parent / "terraform" / "modules" / "feature_store" / "tests" / "fixtures"


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH (the machine image provides it)")
@pytest.mark.parametrize("folder", [SPECS_DIR, FIXTURES], ids=["feature_groups", "module-fixtures"])
def test_terraform_yamldecode_reads_every_spec(folder, tmp_path):
    specs = SpecRegistry.from_directory(folder)
    decoded = {}
    for name in sorted(specs):
        # one expression per run: piped to `terraform console`, only the last result is printed
        result = subprocess.run(
            [TERRAFORM, "console"],
            input=f'jsonencode(yamldecode(file("{folder / name}.yaml")))',
            capture_output=True,
            text=True,
            cwd=tmp_path,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        doc = json.loads(json.loads(result.stdout.strip()))
        decoded[doc["name"]] = doc
    assert set(decoded) == set(specs)
    for name, doc in decoded.items():
        spec = specs[name]
        assert doc["record_identifier_feature"] == spec.record_identifier_feature
        assert [(f["name"], f["type"]) for f in doc["features"]] == [(f.name, f.type) for f in spec.features]
        ttl = doc["ttl_duration"]
        seconds = None if ttl is None else ttl["value"] * UNIT_SECONDS[ttl["unit"]]
        assert seconds == (None if spec.ttl is None else spec.ttl.total_seconds())
