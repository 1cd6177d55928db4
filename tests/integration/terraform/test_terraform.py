"""Terraform planned against moto server, and the helpers the other Terraform tests use (the apply:
test_apply.py; fmt, validate, `terraform test` and checkov: test_modules.py, test_environment_offline.py)."""

from __future__ import annotations

import contextlib
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
from tests.integration.terraform.provider import attached, provider_binary

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
    binary = provider_binary(MIRROR)
    if binary is None:
        return ""
    return (
        'provider_installation {\n  dev_overrides {\n    "registry.terraform.io/hashicorp/aws" = '
        f"{json.dumps(str(binary.parent))}\n  }}\n  direct {{}}\n}}\n"
    )


CLI_CONFIG = _cli_config()


def terraform(
    *args: str, cwd: Path, data_dir: Path, own_providers: bool = False
) -> subprocess.CompletedProcess:
    """``terraform <args> -no-color`` with its data in ``data_dir``, attached to this process's
    provider (provider.py) unless ``own_providers``."""
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
    provider = None if own_providers else attached(MIRROR)
    with provider.lock if provider else contextlib.nullcontext():
        if provider:
            env["TF_REATTACH_PROVIDERS"] = provider.start()
        cmd = [TERRAFORM, *args, "-no-color"]
        return subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False)


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


def plan_json(root: Path, data_dir: Path, *, own_providers: bool = False) -> dict:
    init(root, data_dir, backend=True)
    result = terraform(
        "plan", "-input=false", "-out=plan.bin", cwd=root, data_dir=data_dir, own_providers=own_providers
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    shown = terraform("show", "-json", "plan.bin", cwd=root, data_dir=data_dir, own_providers=own_providers)
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


@needs_mirror
def test_the_attached_provider_plans_what_a_commands_own_providers_plan(
    moto_endpoint, tmp_path_factory, tmp_path
):
    """provider.py: the one provider process the tests attach to gives the plan a user's run gives."""
    _, attached_plan = shared_plan(tmp_path_factory, moto_endpoint, "staging")
    own = plan_json(filled_copy(tmp_path, moto_endpoint, "staging"), tmp_path / "data", own_providers=True)

    def changes(plan: dict) -> dict:
        return {r["address"]: r["change"] for r in plan["resource_changes"]}

    assert len(changes(own)) > 50  # every resource of the environment
    assert changes(own) == changes(attached_plan)
