"""The same job against an MLflow server over HTTP and through a SageMaker MLflow ARN."""

from __future__ import annotations

import json

import mlflow
import pytest
from mlflow import MlflowClient

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_http_tracking_server(local_platform, mlflow_server, tmp_path):
    result = local_platform.train(
        tmp_path,
        tmp_path / "unused.db",
        "--mlflow-tracking-uri",
        mlflow_server,
        "--model-name",
        "http-model",
        "--n-estimators",
        "20",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    mlflow.set_tracking_uri(mlflow_server)
    assert str(MlflowClient().get_model_version_by_alias("http-model", "champion").version) == "1"
    assert not (tmp_path / "unused.db").exists()


def test_sagemaker_arn_goes_through_the_plugin(local_platform, mlflow_server, tmp_path, monkeypatch):
    arn = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/ml-platform-test"
    env_extra = {
        "SAGEMAKER_MLFLOW_CUSTOM_ENDPOINT": mlflow_server,  # the plugin sends the ARN's requests here
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    for key, value in env_extra.items():
        monkeypatch.setenv(key, value)
    result = local_platform.train(
        tmp_path,
        tmp_path / "unused.db",
        "--mlflow-tracking-uri",
        arn,
        "--model-name",
        "arn-model",
        "--n-estimators",
        "20",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1])["version"] == "1"
    mlflow.set_tracking_uri(mlflow_server)
    assert str(MlflowClient().get_model_version_by_alias("arn-model", "champion").version) == "1"


def test_malformed_arn_is_a_clear_error(local_platform, tmp_path):
    result = local_platform.train(
        tmp_path, tmp_path / "x.db", "--mlflow-tracking-uri", "arn:aws:sagemaker:nope"
    )
    assert result.returncode == 1
    assert "is not a SageMaker MLflow tracking server ARN" in result.stderr
