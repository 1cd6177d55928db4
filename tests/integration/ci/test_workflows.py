"""The GitHub Actions workflows: linted (actionlint, zizmor) and checked for what the release process needs."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
BIN = Path(sys.executable).parent
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$")


def load(name: str) -> dict:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    data["on"] = data.pop(True)  # YAML 1.1 reads the `on` key as a boolean
    return data


def all_steps(workflow: dict):
    for job_name, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_name, job, step


def run_text(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job.get("steps", []))


def test_actionlint_finds_nothing():
    # shellcheck (from the dev environment) on PATH makes actionlint check every `run:` script too.
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    result = subprocess.run(
        [str(BIN / "actionlint"), "-no-color"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_finds_nothing():
    result = subprocess.run(
        [str(BIN / "zizmor"), "--offline", "--no-progress", str(WORKFLOWS)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout


def test_every_action_is_pinned_by_commit_with_its_version():
    lines = [
        (path.name, line.strip())
        for path in WORKFLOWS.glob("*.yml")
        for line in path.read_text().splitlines()
        if re.match(r"\s*(- )?uses: ", line)
    ]
    assert lines
    for name, line in lines:
        ref = line.split("uses: ", 1)[1]
        if ref.startswith("./"):
            continue  # a workflow of this repository, at the same commit
        assert PINNED.match(ref), f"{name}: {line} is not pinned as owner/repo@<sha> # vX.Y.Z"


def test_aws_access_is_oidc_only():
    text = "\n".join(p.read_text() for p in WORKFLOWS.glob("*.yml"))
    for static in (
        "aws-access-key-id",
        "aws-secret-access-key",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
    ):
        assert static not in text
    for path in WORKFLOWS.glob("*.yml"):
        workflow = load(path.name)
        assert workflow["permissions"] == {"contents": "read"}, f"{path.name}: least privilege by default"
        for job_name, job, step in all_steps(workflow):
            if step.get("uses", "").startswith("aws-actions/configure-aws-credentials@"):
                assert step["with"]["role-to-assume"].startswith("${{ vars."), (path.name, job_name)
                assert job["permissions"]["id-token"] == "write", (path.name, job_name)
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, (path.name, job_name)


def test_pull_requests_run_lint_tests_fmt_validate_and_a_staging_plan():
    ci = load("ci.yml")
    assert "pull_request" in ci["on"] and "workflow_call" in ci["on"]
    assert ".ci/run" in run_text(ci["jobs"]["test"]), "the README's test command, as CI runs it"
    assert "lint" in Path(REPO_ROOT / "Makefile").read_text().split("\ntest:")[1].splitlines()[0]
    tf = run_text(ci["jobs"]["terraform"])
    assert "terraform fmt -check -recursive" in tf
    assert "validate" in tf and "staging prod" in tf

    plan = load("plan-staging.yml")
    assert list(plan["on"]) == ["pull_request"]
    job = plan["jobs"]["plan-staging"]
    assert "terraform -chdir=terraform/staging plan" in run_text(job)
    assert "apply" not in run_text(job)


def test_main_tests_then_builds_with_the_script_then_applies_staging():
    deploy = load("deploy-staging.yml")
    assert deploy["on"]["push"]["branches"] == ["main"]
    jobs = deploy["jobs"]
    assert jobs["ci"]["uses"] == "./.github/workflows/ci.yml"
    # A first deploy: the repositories (and the key they use) exist before the first push.
    assert jobs["bootstrap"]["needs"] == "ci" and jobs["build-push"]["needs"] == "bootstrap"
    assert "apply -input=false -auto-approve -target=module.ecr" in " ".join(
        run_text(jobs["bootstrap"]).replace("\\\n", " ").split()
    )
    assert "scripts/build_push_ecr.sh all --environment staging" in run_text(jobs["build-push"])
    assert jobs["apply"]["needs"] == "build-push"
    apply = run_text(jobs["apply"])
    assert "terraform -chdir=terraform/staging apply -input=false tfplan" in apply
    assert deploy["concurrency"]["cancel-in-progress"] is False, "an apply is never interrupted"
    # The apply uses the tfvars the build pinned.
    download = next(
        s for s in jobs["apply"]["steps"] if s.get("uses", "").startswith("actions/download-artifact@")
    )
    assert download["with"]["path"] == "terraform/staging"
    upload = next(
        s for s in jobs["build-push"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")
    )
    assert upload["with"]["path"] == "terraform/staging/images.auto.tfvars.json"


def test_prod_is_a_manual_promotion_behind_a_protected_environment():
    prod = load("promote-prod.yml")
    assert list(prod["on"]) == ["workflow_dispatch"]
    for job in prod["jobs"].values():
        assert job["environment"] == "prod"
    script = run_text(prod["jobs"]["promote"])
    assert "scripts/build_push_ecr.sh all --environment prod" in script
    assert "merge-base --is-ancestor" in script, "only commits of main are promoted"
    assert "terraform -chdir=terraform/prod apply" in script
    # The user's input reaches the shell through an environment variable, never by template expansion.
    assert "${{ inputs" not in script
    for workflow in ("ci.yml", "plan-staging.yml", "deploy-staging.yml"):
        assert "terraform/prod" not in (WORKFLOWS / workflow).read_text()
