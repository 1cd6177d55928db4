"""scripts/generate_params_json.py: the shape start-pipeline-execution takes, checked, and accepted."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest

from ml_platform.pipelines.definitions import render
from ml_platform.pipelines.local_runner import resolve_parameters
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
    result = generate(tmp_path, "--pipeline-type", pipeline, "--environment", environment)
    assert result.returncode == 0, result.stderr
    path = tmp_path / result.stdout.strip().rsplit("/", 1)[-1]
    assert path.name.startswith(f"{pipeline}-{environment}-")
    request = json.loads(path.read_text())
    assert set(request) == {
        "PipelineName",
        "PipelineExecutionDisplayName",
        "PipelineExecutionDescription",
        "PipelineParameters",
        "ClientRequestToken",
    }
    assert request["PipelineName"] == f"ml-platform-{environment}-{pipeline}"
    assert all(
        set(p) == {"Name", "Value"} and isinstance(p["Value"], str) for p in request["PipelineParameters"]
    )
    values = {p["Name"]: p["Value"] for p in request["PipelineParameters"]}
    assert values["Environment"] == environment
    resolve_parameters(render(pipeline), request, str(path))  # the local runner accepts it


def test_values_come_from_the_environment_tfvars(tmp_path):
    result = generate(
        tmp_path, "--pipeline-type", "training", "--environment", "staging", "--set", "MaxDepth=4"
    )
    request = json.loads((tmp_path / result.stdout.strip().rsplit("/", 1)[-1]).read_text())
    values = {p["Name"]: p["Value"] for p in request["PipelineParameters"]}
    assert values["NEstimators"] == "200"  # terraform/staging/terraform.tfvars training_hyperparameters
    assert values["MaxDepth"] == "4"  # --set wins
    assert values["TrainingInstanceType"] == "ml.m5.large"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--set", "NEstimatorz=1"], "unknown training pipeline parameter 'NEstimatorz'"),
        (["--set", "NEstimators=many"], "NEstimators='many' is not a valid Integer"),
        (["--set", "NEstimators"], "expected NAME=VALUE"),
    ],
)
def test_bad_overrides_are_clear_errors(tmp_path, args, message):
    result = generate(tmp_path, "--pipeline-type", "training", "--environment", "prod", *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_unknown_environment_is_refused(tmp_path):
    result = generate(tmp_path, "--pipeline-type", "training", "--environment", "qa")
    assert result.returncode == 2 and "invalid choice: 'qa'" in result.stderr


def test_moto_starts_an_execution_with_the_generated_parameters(aws, tmp_path):
    result = generate(tmp_path, "--pipeline-type", "inference", "--environment", "staging")
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
