"""scripts/generate_params_json.py: the shape start-pipeline-execution takes, checked, and accepted."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from ml_platform.pipelines.definitions import render
from ml_platform_local.runner import resolve_parameters
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration

SCRIPT = REPO_ROOT / "scripts" / "generate_params_json.py"


def generate(tmp_path, *args):
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args, "--output-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize("environment", ["local", "staging", "prod"])
@pytest.mark.parametrize("pipeline", ["training", "inference"])
def test_writes_start_pipeline_execution_input(tmp_path, pipeline, environment):
    result = generate(
        tmp_path, "--pipeline-type", pipeline, "--model", "maintenance", "--environment", environment
    )
    assert result.returncode == 0, result.stderr
    path = tmp_path / result.stdout.strip().rsplit("/", 1)[-1]
    assert path.name.startswith(f"{pipeline}-{environment}-maintenance-")
    request = json.loads(path.read_text())
    assert set(request) == {
        "PipelineName",
        "PipelineExecutionDisplayName",
        "PipelineExecutionDescription",
        "PipelineParameters",
        "ClientRequestToken",
    }
    assert request["PipelineName"] == f"ml-platform-{environment}-maintenance-{pipeline}"
    assert all(
        set(p) == {"Name", "Value"} and isinstance(p["Value"], str) for p in request["PipelineParameters"]
    )
    values = {p["Name"]: p["Value"] for p in request["PipelineParameters"]}
    assert values["Environment"] == environment
    assert values["Model"] == "maintenance"
    assert (
        values["ModelSpecSha256"]
        == hashlib.sha256((REPO_ROOT / "models" / "maintenance.yaml").read_bytes()).hexdigest()
    )
    resolve_parameters(render(pipeline), request, str(path))  # the local runner accepts it


def test_values_come_from_the_environment_tfvars_and_the_model(tmp_path):
    result = generate(
        tmp_path,
        "--pipeline-type",
        "training",
        "--model",
        "churn",
        "--environment",
        "staging",
        "--set",
        "TrainingInstanceType=ml.c5.xlarge",
    )
    request = json.loads((tmp_path / result.stdout.strip().rsplit("/", 1)[-1]).read_text())
    values = {p["Name"]: p["Value"] for p in request["PipelineParameters"]}
    # terraform/staging/terraform.tfvars: training_hyperparameters = { churn = { n_estimators = "200", max_depth = "12" } }
    assert json.loads(values["TrainingOverrides"]) == {"n_estimators": "200", "max_depth": "12"}
    assert values["DataUri"] == "s3://ml-platform-staging-data-111111111111"
    assert values["TrainingInstanceType"] == "ml.c5.xlarge"  # --set wins
    assert "LabelsUri" not in values  # the job reads the spec's, under DataUri
    other = generate(
        tmp_path / "m", "--pipeline-type", "training", "--model", "maintenance", "--environment", "staging"
    )
    request = json.loads(Path(other.stdout.strip()).read_text())
    assert {p["Name"]: p["Value"] for p in request["PipelineParameters"]}["TrainingOverrides"] == "{}"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "NEstimatorz=1"], "unknown training pipeline parameter 'NEstimatorz'"),
        (["--set", "InferenceInstanceCount=many"], "InferenceInstanceCount='many' is not a valid Integer"),
        (["--set", "BatchSize"], "expected NAME=VALUE"),
    ],
)
def test_bad_overrides_are_clear_errors(tmp_path, args, message):
    pipeline = "training" if "NEstimatorz" in args[1] else "inference"
    result = generate(
        tmp_path, "--pipeline-type", pipeline, "--model", "churn", "--environment", "prod", *args
    )
    assert result.returncode == 1
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_environment_is_refused(tmp_path):
    result = generate(tmp_path, "--pipeline-type", "training", "--model", "churn", "--environment", "qa")
    assert result.returncode == 2 and "invalid choice: 'qa'" in result.stderr


def test_moto_starts_an_execution_with_the_generated_parameters(aws, tmp_path):
    result = generate(
        tmp_path, "--pipeline-type", "inference", "--model", "churn", "--environment", "staging"
    )
    params = json.loads((tmp_path / result.stdout.strip().rsplit("/", 1)[-1]).read_text())
    sagemaker = boto3.client("sagemaker")
    sagemaker.create_pipeline(
        PipelineName=params["PipelineName"],
        PipelineDefinition=(REPO_ROOT / "pipelines" / "inference.json").read_text(),
        RoleArn="arn:aws:iam::123456789012:role/ml-platform-staging-sagemaker-execution",
    )
    arn = sagemaker.start_pipeline_execution(**params)["PipelineExecutionArn"]
    described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
    assert described["PipelineExecutionDisplayName"] == params["PipelineExecutionDisplayName"]
