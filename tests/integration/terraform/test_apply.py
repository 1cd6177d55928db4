"""Staging applied against moto server, and the security of what it creates (a file of its own, so
that another xdist worker runs it while test_terraform.py plans)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import REPO_ROOT
from tests.integration.terraform.test_terraform import (
    FILLED,
    filled_copy,
    in_vpc,
    init,
    needs_mirror,
    planned,
    shared_plan,
    terraform,
)

pytestmark = pytest.mark.integration


# moto gaps, kept out of the apply (and only those): feature groups (its ListTags does not know
# feature-group ARNs and its groups lack online-store fields: the provider waits forever), bucket
# logging (its read-back never matches, the provider retries until timeout) and lifecycle rules
# (accepted, but the provider waits ~1 min per bucket for them to read back).
MOTO_GAPS = (
    ".aws_sagemaker_feature_group.",
    ".aws_s3_bucket_logging.",
    ".aws_s3_bucket_lifecycle_configuration.",
)


@pytest.fixture(scope="module")
def staging_applied(moto_endpoint, tmp_path_factory) -> dict:
    """Staging applied against moto server (every resource but the documented moto gaps); its state."""
    import urllib.request

    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    tmp = tmp_path_factory.mktemp("applied")
    root = filled_copy(tmp, moto_endpoint, "staging")
    data_dir = tmp / "data"
    init(root, data_dir, backend=True)
    _, plan = shared_plan(tmp_path_factory, moto_endpoint, "staging")
    addresses = [a for a in planned(plan) if not any(gap in a for gap in MOTO_GAPS)]
    result = terraform(
        "apply",
        "-input=false",
        "-auto-approve",
        *[f"-target={a}" for a in addresses],
        cwd=root,
        data_dir=data_dir,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    shown = terraform("show", "-json", cwd=root, data_dir=data_dir)
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)


def state_resources(state: dict) -> list[dict]:
    def walk(module: dict):
        yield from module.get("resources", [])
        for child in module.get("child_modules", []):
            yield from walk(child)

    return list(walk(state["values"]["root_module"]))


@needs_mirror
@pytest.mark.slow
def test_apply_against_moto_creates_the_environment(staging_applied, moto_endpoint, monkeypatch):
    import boto3

    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": moto_endpoint,
    }.items():
        monkeypatch.setenv(name, value)

    buckets = {b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]}
    assert {
        f"ml-platform-staging-{b}-123456789012" for b in ("data", "offline-store", "models", "logs")
    } <= buckets
    encryption = boto3.client("s3").get_bucket_encryption(Bucket="ml-platform-staging-data-123456789012")
    assert (
        encryption["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == "aws:kms"
    )
    repos = {r["repositoryName"]: r for r in boto3.client("ecr").describe_repositories()["repositories"]}
    assert set(repos) == {"ml-platform-staging-training", "ml-platform-staging-inference"}
    assert repos["ml-platform-staging-training"]["imageTagMutability"] == "IMMUTABLE"
    roles = {r["RoleName"] for r in boto3.client("iam").list_roles()["Roles"]}
    assert {"ml-platform-staging-sagemaker-execution", "ml-platform-staging-scheduler"} <= roles
    sagemaker = boto3.client("sagemaker")
    for model in ("churn", "maintenance"):
        for name in ("training", "inference"):
            described = sagemaker.describe_pipeline(PipelineName=f"ml-platform-staging-{model}-{name}")
            repo_definition = json.loads((REPO_ROOT / "pipelines" / f"{name}.json").read_text())
            expected = in_vpc(repo_definition, subnets=[f"subnet-{FILLED}"], security_groups=[f"sg-{FILLED}"])
            assert json_equal(described["PipelineDefinition"], json.dumps(expected))
    schedule = boto3.client("scheduler").get_schedule(Name="ml-platform-staging-churn-training")
    assert schedule["ScheduleExpression"] == "cron(0 2 * * ? *)"  # models/churn.yaml


def json_equal(a: str, b: str) -> bool:
    from ml_platform.pipelines.definitions import canonical

    return canonical(a) == canonical(b)


# -- security of what Terraform creates --------------------------------------------------------
# Services that hold or decrypt data: an Allow on them must name its resources.
DATA_SERVICES = ("s3", "kms", "glue", "athena", "secretsmanager", "sagemaker", "ecr", "dynamodb", "sns")
POLICY_TYPES = ("aws_iam_role_policy", "aws_iam_policy", "aws_s3_bucket_policy", "aws_sns_topic_policy")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_statements(state: dict) -> list[tuple[str, dict]]:
    found = []
    for resource in state_resources(state):
        if resource["type"] in POLICY_TYPES:
            for statement in _as_list(json.loads(resource["values"]["policy"])["Statement"]):
                found.append((resource["address"], statement))
    return found


# Actions IAM cannot scope to a resource (the service documents Resource "*" as the only form).
UNSCOPABLE = {"ecr:GetAuthorizationToken"}


def wildcard_problems(statements: list[tuple[str, dict]]) -> list[str]:
    """Allow statements with a wildcard action, or a data action on a wildcard resource.
    (Deny statements may use wildcards: the TLS-only bucket rule denies s3:* over plain HTTP.)"""
    problems = []
    for address, st in statements:
        if st["Effect"] != "Allow":
            continue
        actions = _as_list(st.get("Action", []))
        problems += [f"{address}: action {a!r}" for a in actions if a == "*" or a.endswith(":*")]
        data_actions = [a for a in actions if a.split(":")[0] in DATA_SERVICES and a not in UNSCOPABLE]
        if data_actions:
            problems += [
                f"{address}: {data_actions[0]} on resource {r!r}"
                for r in _as_list(st.get("Resource", []))
                if r == "*" or r.endswith(":::*") or r.endswith(":*")
            ]
    return problems


@needs_mirror
@pytest.mark.slow
def test_no_policy_allows_any_action_or_any_data_resource(staging_applied):
    statements = policy_statements(staging_applied)
    addresses = {a for a, _ in statements}
    assert any(".aws_iam_role_policy.sagemaker" in a for a in addresses)
    assert any(".aws_s3_bucket_policy." in a for a in addresses)
    assert wildcard_problems(statements) == []
    # The check itself catches what it must (a policy it would pass is not proof alone).
    assert wildcard_problems([("x", {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})])
    assert wildcard_problems([("x", {"Effect": "Allow", "Action": ["kms:*"], "Resource": "arn:k"})])
    assert wildcard_problems([("x", {"Effect": "Allow", "Action": "*", "Resource": "arn:k"})])


@needs_mirror
@pytest.mark.slow
def test_every_bucket_is_kms_encrypted_and_tls_only(staging_applied):
    resources = state_resources(staging_applied)
    buckets = {r["values"]["id"]: r["values"]["arn"] for r in resources if r["type"] == "aws_s3_bucket"}
    assert len(buckets) == 4
    encryption = {
        r["values"]["bucket"]: r["values"]["rule"][0]["apply_server_side_encryption_by_default"][0]
        for r in resources
        if r["type"] == "aws_s3_bucket_server_side_encryption_configuration"
    }
    policies = {
        r["values"]["bucket"]: json.loads(r["values"]["policy"])
        for r in resources
        if r["type"] == "aws_s3_bucket_policy"
    }
    for name, arn in buckets.items():
        if name.startswith("ml-platform-staging-logs-"):
            # S3 delivers server access logs only to a target bucket encrypted with SSE-S3.
            assert encryption[name]["sse_algorithm"] == "AES256", name
        else:
            assert encryption[name]["sse_algorithm"] == "aws:kms", name
            assert encryption[name]["kms_master_key_id"].startswith("arn:aws:kms:"), name
        deny_plain_http = [
            st
            for st in _as_list(policies[name]["Statement"])
            if st["Effect"] == "Deny"
            and _as_list(st["Action"]) == ["s3:*"]
            and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        ]
        assert deny_plain_http, f"{name} has no TLS-only statement"
        assert {arn, f"{arn}/*"} <= set(_as_list(deny_plain_http[0]["Resource"])), name


# -- parliament (IAM linter) and checkov over what Terraform plans and applies -------------------
# Findings parliament reports that are reviewed and expected, each with the reason.
EXPLAINED_FINDINGS = {
    # parliament 1.6.4's action database (2025-04) predates MLflow 3's logged-model actions; AWS lists
    # them for sagemaker-mlflow (GetLoggedModel, SearchLoggedModels, ListLoggedModelArtifacts:
    # https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonsagemakerwithmlflow.html).
    ("UNKNOWN_ACTION", f"sagemaker-mlflow:{action}")
    for action in (
        "CreateLoggedModel",
        "FinalizeLoggedModel",
        "GetLoggedModel",
        "SearchLoggedModels",
        "LogLoggedModelParams",
        "SetLoggedModelTags",
        "ListLoggedModelArtifacts",
        "LogOutputs",
    )
}


def parliament_findings(policies: list[tuple[str, str]]) -> list[str]:
    """parliament's findings over (address, policy JSON) pairs, minus the explained ones."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # parliament imports pkg_resources
        from parliament import analyze_policy_string

    problems = []
    for address, document in policies:
        for finding in analyze_policy_string(document).findings:
            detail = str(finding.detail).removeprefix("Unknown action ")
            if (finding.issue, detail) not in EXPLAINED_FINDINGS:
                problems.append(f"{address}: {finding.issue} {finding.detail} {finding.location}")
    return problems


def identity_policies(resources) -> list[tuple[str, str]]:
    """Role policies (identity-based: what parliament lints) from state or plan resources."""
    return [(address, values["policy"]) for address, values in resources if values.get("policy")]


@needs_mirror
@pytest.mark.slow
def test_parliament_finds_nothing_unexplained_in_the_applied_policies(staging_applied):
    applied = [
        (r["address"], r["values"])
        for r in state_resources(staging_applied)
        if r["type"] == "aws_iam_role_policy"
    ]
    policies = identity_policies(applied)
    assert {a.rsplit(".", 1)[-1] for a, _ in policies} >= {"sagemaker", "scheduler", "kafka[0]"}
    assert parliament_findings(policies) == []
    # The linter catches what it must: a resource that does not fit the action, an unknown action.
    bad = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"},
        {"Effect": "Allow", "Action": "kafka-cluster:WriteDatum", "Resource": "*"},
    ]})  # fmt: skip
    assert len(parliament_findings([("bad", bad)])) == 2
