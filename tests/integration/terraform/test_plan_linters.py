"""parliament and checkov over the plan JSON (own file: another xdist worker runs it while
test_terraform.py lints the applied state)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO_ROOT
from tests.integration.terraform.test_apply import identity_policies, parliament_findings
from tests.integration.terraform.test_terraform import needs_mirror, planned, shared_plan

pytestmark = pytest.mark.integration


# checkov over a plan sees "known after apply" as unset: the platform key's ARN (schedules, queue,
# topic) and the bucket settings made by their own resources (versioning, lifecycle). The directory
# scan (test_checkov_finds_nothing_...) checks these from the configuration, where they are set.
PLAN_ONLY_FALSE_POSITIVES = ("CKV_AWS_297", "CKV_AWS_26", "CKV_AWS_27", "CKV2_AWS_61", "CKV_AWS_21")


@needs_mirror
@pytest.mark.slow
def test_parliament_and_checkov_pass_the_plan_json(aws, tmp_path_factory, tmp_path):
    repo, plan = shared_plan(tmp_path_factory, aws, "prod")  # prod's example: SASL/SCRAM
    root = repo / "terraform" / "prod"
    known = [(a, v) for a, v in planned(plan).items() if ".aws_iam_role_policy." in a]
    assert parliament_findings(identity_policies(known)) == []
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    uv = os.environ.get("UV") or shutil.which("uv") or str(REPO_ROOT / ".mlplatform" / "tools" / "bin" / "uv")
    result = subprocess.run(
        [uv, "tool", "run", "--quiet", "--from", "checkov==3.3.30", "checkov", "-f", str(tmp_path / "plan.json"),
         "--framework", "terraform_plan", "--skip-download", "--compact", "--quiet",
         "--skip-check", ",".join(PLAN_ONLY_FALSE_POSITIVES),
         "--repo-root-for-plan-enrichment", str(root)],
        capture_output=True, text=True, timeout=900, check=False, cwd=tmp_path,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
