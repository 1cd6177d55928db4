"""The spec files are read by Terraform's yamldecode exactly as Python reads them."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.conftest import SPECS_DIR

pytestmark = pytest.mark.integration

TERRAFORM = shutil.which("terraform")


@pytest.mark.skipif(TERRAFORM is None, reason="terraform is not on PATH (the machine image provides it)")
def test_terraform_yamldecode_reads_every_spec(specs, tmp_path):
    decoded = {}
    for name in sorted(specs):
        # one expression per run: piped to `terraform console`, only the last result is printed
        result = subprocess.run(
            [TERRAFORM, "console"],
            input=f'jsonencode(yamldecode(file("{SPECS_DIR / name}.yaml")))',
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
        assert doc["ttl_duration"]["value"] * 86400 == spec.ttl.total_seconds()
