"""Terraform planned and applied against moto server, and the helpers the other Terraform tests use
(fmt, validate, `terraform test` and checkov of the modules: test_modules.py)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, built_once

pytestmark = pytest.mark.integration

TERRAFORM = shutil.which("terraform")
# A filesystem mirror: <root>/registry.terraform.io/hashicorp/aws/<version>/...; -plugin-dir takes <root>.
# TF_PLUGIN_MIRROR overrides the search (the GitHub workflow builds one with `terraform providers mirror`).
MIRROR = (Path(os.environ["TF_PLUGIN_MIRROR"]) if os.environ.get("TF_PLUGIN_MIRROR") else None) or next(
    (
        p.parents[2]
        for pattern in (
            "opt/*/registry.terraform.io/hashicorp/aws",
            "*/*/registry.terraform.io/hashicorp/aws",
        )
        for p in Path("/").glob(pattern)
    ),
    None,
)
needs_terraform = pytest.mark.skipif(
    TERRAFORM is None, reason="terraform is not on PATH (the machine image provides it)"
)
needs_mirror = pytest.mark.skipif(
    TERRAFORM is None or MIRROR is None,
    reason="no filesystem mirror of the hashicorp/aws provider (the machine image provides one under /opt)",
)
TF_DIR = REPO_ROOT / "terraform"


def _cli_config() -> str:
    """A CLI config whose dev_overrides run the mirror's provider binary as it is.

    Without it every command (init, plan, show, test, validate) hashes the 700 MB binary against
    the lock file first: 0.5 CPU-s each, about 70 commands a run. The binary and the protocol are
    the same; Terraform prints a warning that overrides are in effect."""
    binaries = sorted(MIRROR.glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")) if MIRROR else []
    if not binaries:
        return ""
    return (
        'provider_installation {\n  dev_overrides {\n    "registry.terraform.io/hashicorp/aws" = '
        f"{json.dumps(str(binaries[-1].parent))}\n  }}\n  direct {{}}\n}}\n"
    )


CLI_CONFIG = _cli_config()


def terraform(*args: str, cwd: Path, data_dir: Path) -> subprocess.CompletedProcess:
    cli_config = data_dir / "terraformrc"
    cli_config.parent.mkdir(parents=True, exist_ok=True)
    cli_config.write_text(CLI_CONFIG)
    env = {
        **os.environ,
        "TF_DATA_DIR": str(data_dir / ".terraform"),
        "TF_CLI_CONFIG_FILE": str(cli_config),
        "TF_IN_AUTOMATION": "1",
        "CHECKPOINT_DISABLE": "1",
        # Go's collector runs a quarter as often in terraform and the provider: a plan of an
        # environment took 4.8 CPU-s instead of 6.6 here, for memory this machine has spare.
        "GOGC": os.environ.get("GOGC", "400"),
    }
    return subprocess.run(
        [TERRAFORM, *args, "-no-color"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def init(cwd: Path, data_dir: Path, *, backend: bool = False) -> None:
    backend_flag = [] if backend else ["-backend=false"]
    result = terraform(
        "init", *backend_flag, f"-plugin-dir={MIRROR}", "-input=false", cwd=cwd, data_dir=data_dir
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -- plan and apply against moto server ------------------------------------------------------
MOTO_OVERRIDE = """
terraform {{
  backend "local" {{}}
}}

provider "aws" {{
  region                      = "us-east-1"
  access_key                  = "testing"
  secret_key                  = "testing"
  skip_credentials_validation = true
  skip_metadata_api_check     = true
  skip_region_validation      = true
  s3_use_path_style           = true
  endpoints {{
{endpoints}
  }}
}}
"""
SERVICES = ("s3", "sts", "iam", "kms", "ecr", "sagemaker", "scheduler", "events", "sqs", "sns", "cloudwatch")


def moto_copy(tmp_path: Path, endpoint: str, environment: str) -> Path:
    """A copy of the repository's Terraform, specs and definitions, with the provider pointed at moto."""
    for folder in ("terraform", "feature_groups", "models", "pipelines"):
        shutil.copytree(
            REPO_ROOT / folder, tmp_path / folder, symlinks=True, ignore=shutil.ignore_patterns(".terraform*")
        )
    root = tmp_path / "terraform" / environment
    endpoints = "\n".join(f'    {s} = "{endpoint}"' for s in SERVICES)
    # An *_override.tf file merges into the configuration: only the provider and backend change.
    (root / "moto_override.tf").write_text(MOTO_OVERRIDE.format(endpoints=endpoints))
    return root


def plan_json(root: Path, data_dir: Path) -> dict:
    init(root, data_dir, backend=True)
    result = terraform("plan", "-input=false", "-out=plan.bin", cwd=root, data_dir=data_dir)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    shown = terraform("show", "-json", "plan.bin", cwd=root, data_dir=data_dir)
    assert shown.returncode == 0, shown.stderr
    import json

    return json.loads(shown.stdout)


def planned(plan: dict) -> dict[str, dict]:
    return {
        r["address"]: r["change"]["after"]
        for r in plan["resource_changes"]
        if r["change"]["actions"] == ["create"]
    }


MOTO_ACCOUNT = "123456789012"
TAGS = {"CostCenter": "ml-42", "Owner": "data-platform"}


EXAMPLE_ACCOUNTS = r"\b(111111111111|222222222222)\b"
FILLED = "0f1e2d3c"  # what a user puts where the example says REPLACE-ME (hex, as AWS ids are)


def fill(text: str) -> str:
    """Example settings as a user fills them in: their account (moto's), their own ids."""
    filled = re.sub(EXAMPLE_ACCOUNTS, MOTO_ACCOUNT, text).replace("REPLACE-ME", FILLED)
    return filled.replace("0123456789abcdef0", FILLED)


def pinned_images(environment: str) -> dict[str, str]:
    """images.auto.tfvars.json as scripts/build_push_ecr.sh writes it after a push."""
    registry = f"{MOTO_ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com"
    return {
        f"{t}_image_uri": f"{registry}/ml-platform-{environment}-{t}@sha256:{c * 64}"
        for c, t in (("a", "inference"), ("b", "training"))
    }


def in_vpc(definition: dict, *, subnets: list[str], security_groups: list[str]) -> dict:
    """The definition as it must run in the VPC: VpcConfig on training steps (CreateTrainingJob)
    and NetworkConfig.VpcConfig on processing steps (CreateProcessingJob), per the API references."""
    vpc = {"Subnets": subnets, "SecurityGroupIds": security_groups}
    for step in definition["Steps"]:
        if step["Type"] == "Training":
            step["Arguments"]["VpcConfig"] = vpc
        else:
            step["Arguments"]["NetworkConfig"] = {"VpcConfig": vpc}
    return definition


def filled_tfvars(environment: str, settings: dict) -> str:
    """The environment's terraform.tfvars with the example values filled in and ``settings`` set:
    a setting the example has replaces its value in place (so the example's own value gives the
    example's text), any other is appended."""
    text = fill((TF_DIR / environment / "terraform.tfvars").read_text())
    for key, value in settings.items():
        literal = json.dumps(value)
        line = re.compile(rf"(?m)^({key}\s*=\s*).*$")
        if line.search(text):
            text = line.sub(lambda m, v=literal: m.group(1) + v, text, count=1)
        else:
            text += f"{key} = {literal}\n"
    return text


def filled_copy(tmp_path: Path, endpoint: str, environment: str, **settings: str) -> Path:
    """A moto copy with the example values replaced, the images pinned, and ``settings`` set."""
    root = moto_copy(tmp_path, endpoint, environment)
    (root / "terraform.tfvars").write_text(filled_tfvars(environment, settings))
    (root / "images.auto.tfvars.json").write_text(json.dumps(pinned_images(environment), indent=2))
    return root


# Every optional part on (tags, VPC endpoints, a created topic): one configuration, so the tests
# of those parts share one plan per environment.
WITH_OPTIONS = {
    "tags": TAGS,
    "create_vpc_endpoints": True,
    "vpc_id": f"vpc-{FILLED}",
    "vpc_route_table_ids": [f"rtb-{FILLED}"],
    "kafka_create_topic": "true",
}


def shared_plan(
    tmp_path_factory: pytest.TempPathFactory, endpoint: str, environment: str, **settings
) -> tuple[Path, dict]:
    """(repository copy, plan JSON) of ``filled_copy(environment, **settings)``, planned once per
    distinct terraform.tfvars in the whole run: the xdist workers share it under a file lock, so
    tests that need the same configuration pay for one plan. The copy is read-only for callers.
    A plan against moto depends only on the configuration (moto's account and region are fixed)."""
    key = hashlib.sha256(f"{environment}\n{filled_tfvars(environment, settings)}".encode()).hexdigest()[:16]

    def build(folder: Path) -> None:
        root = filled_copy(folder, endpoint, environment, **settings)
        (folder / "plan.json").write_text(json.dumps(plan_json(root, folder / "data")))

    folder = built_once(tmp_path_factory, f"terraform-plan-{key}", build)
    return folder, json.loads((folder / "plan.json").read_text())


def schedule_parameters(plan: dict) -> dict[str, dict[str, str]]:
    """Schedule name -> the pipeline parameters it starts executions with (from the plan JSON)."""
    found = {}
    for address, after in planned(plan).items():
        if ".aws_scheduler_schedule." in address:
            block = after["target"][0]["sagemaker_pipeline_parameters"][0]["pipeline_parameter"]
            found[after["name"]] = {p["name"]: p["value"] for p in block}
    return found


def manual_parameters(repo: Path, environment: str, model: str, pipeline: str, out: Path) -> dict:
    """What generate_params_json.py writes for a manual run (run as a user would, on ``repo``)."""
    result = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "scripts" / "generate_params_json.py"),
            "--pipeline-type",
            pipeline,
            "--model",
            model,
            "--environment",
            environment,
            "--output-dir",
            str(out),
            "--repo",
            str(repo),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(Path(result.stdout.strip()).read_text())


def parameter_differences(plan: dict, repo: Path, environment: str, out: Path) -> list[str]:
    """Every difference between the schedules in the plan and generate_params_json's requests."""
    schedules = schedule_parameters(plan)
    problems = []
    for model in sorted(p.stem for p in (repo / "models").glob("*.yaml")):
        for pipeline in ("training", "inference"):
            request = manual_parameters(repo, environment, model, pipeline, out)
            name = request["PipelineName"]
            if name not in schedules:
                problems.append(f"{name}: no schedule in the plan (schedules: {sorted(schedules)})")
                continue
            manual = {p["Name"]: p["Value"] for p in request["PipelineParameters"]}
            for key in sorted(set(manual) | set(schedules[name])):
                if manual.get(key) != schedules[name].get(key):
                    problems.append(
                        f"{name} {key}: schedule {schedules[name].get(key)!r}, manual {manual.get(key)!r}"
                    )
    return problems


@needs_mirror
@pytest.mark.slow
def test_plans_create_one_pipeline_pair_per_model_and_schedules_equal_manual_runs(
    aws, tmp_path_factory, tmp_path
):
    """For staging and prod x every model: the plan's schedule parameters are what
    generate_params_json.py --model M --environment E writes, parameter for parameter."""
    import yaml

    plans = {}
    models = {p.stem: yaml.safe_load(p.read_text()) for p in (REPO_ROOT / "models").glob("*.yaml")}
    for env in ("staging", "prod"):
        repo, plan = shared_plan(tmp_path_factory, aws, env)
        plans[env] = planned(plan)
        assert parameter_differences(plan, repo, env, tmp_path / env / "params") == []
        pipelines = {v["pipeline_name"]: v for k, v in plans[env].items() if ".aws_sagemaker_pipeline." in k}
        assert set(pipelines) == {
            f"ml-platform-{env}-{m}-{kind}" for m in models for kind in ("training", "inference")
        }
        for name, pipeline in pipelines.items():
            kind = name.rsplit("-", 1)[1]
            assert json.loads(pipeline["pipeline_definition"]) == in_vpc(
                json.loads((REPO_ROOT / "pipelines" / f"{kind}.json").read_text()),
                subnets=[f"subnet-{FILLED}"],
                security_groups=[f"sg-{FILLED}"],
            )
        schedules = {v["name"]: v for k, v in plans[env].items() if ".aws_scheduler_schedule." in k}
        for model, spec in models.items():
            for kind in ("training", "inference"):
                expression = schedules[f"ml-platform-{env}-{model}-{kind}"]["schedule_expression"]
                assert expression == spec["schedules"][kind]
        # the monitoring alarms of every model, at its spec's drift limit (0.25 where it sets none)
        alarms = {v["alarm_name"]: v for k, v in plans[env].items() if ".aws_cloudwatch_metric_alarm." in k}
        # and, for a model promoted on roc_auc (the default), its realised ROC-AUC below the floor
        kinds = ("feature-drift", "skipped-share", "no-successful-run")
        on_roc_auc = {
            m for m, spec in models.items() if spec.get("promotion", {}).get("metric", "roc_auc") == "roc_auc"
        }
        assert on_roc_auc, "the bundled models are promoted on roc_auc"
        assert set(alarms) == {f"ml-platform-{env}-{m}-{kind}" for m in models for kind in kinds} | {
            f"ml-platform-{env}-{m}-realised-roc-auc" for m in on_roc_auc
        }
        for model, spec in models.items():
            drift = alarms[f"ml-platform-{env}-{model}-feature-drift"]
            limit = ((spec.get("monitoring") or {}).get("drift") or {}).get("fail_psi", 0.25)
            assert drift["threshold"] == limit and drift["metric_name"] == "MaxFeaturePSI"
            assert drift["dimensions"] == {"Model": model, "Environment": env}
        for model in on_roc_auc:
            realised = alarms[f"ml-platform-{env}-{model}-realised-roc-auc"]
            floor = models[model].get("promotion", {}).get("floor", 0.6)
            assert (realised["metric_name"], realised["threshold"]) == ("RealisedRocAuc", floor)
            assert realised["comparison_operator"] == "LessThanThreshold"
            assert realised["dimensions"] == {"Model": model, "Environment": env}
    staging = plans["staging"]
    groups = {v["feature_group_name"] for k, v in staging.items() if ".aws_sagemaker_feature_group." in k}
    assert groups == {f"ml-platform-staging-{p.stem}" for p in (REPO_ROOT / "feature_groups").glob("*.yaml")}
    # staging and prod differ only where their tfvars differ: the same resources, renamed
    assert {k.replace("staging", "ENV") for k in staging} == {k.replace("prod", "ENV") for k in plans["prod"]}


@needs_mirror
@pytest.mark.slow
def test_a_schedule_parameter_missing_from_terraform_is_found(aws, tmp_path):
    root = filled_copy(tmp_path, aws, "staging")
    platform = root / "main.tf"
    text = platform.read_text()
    assert "    kafka_bootstrap_servers  = var.kafka_bootstrap_servers\n" in text
    platform.write_text(
        text.replace("    kafka_bootstrap_servers  = var.kafka_bootstrap_servers\n", "", 1)
    )  # local.settings
    problems = parameter_differences(
        plan_json(root, tmp_path / "data"), tmp_path, "staging", tmp_path / "params"
    )
    assert problems and all("KafkaBootstrapServers" in p for p in problems)


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
    import json
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


# A malformed cron in a model spec is refused by the plan: a row of the bad-input catalogue.


# -- security of what Terraform creates --------------------------------------------------------
# Services that hold or decrypt data: an Allow on them must name its resources.
DATA_SERVICES = ("s3", "kms", "glue", "athena", "secretsmanager", "sagemaker", "ecr", "dynamodb", "sns")
POLICY_TYPES = ("aws_iam_role_policy", "aws_iam_policy", "aws_s3_bucket_policy", "aws_sns_topic_policy")


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def policy_statements(state: dict) -> list[tuple[str, dict]]:
    import json

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
    import json

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
