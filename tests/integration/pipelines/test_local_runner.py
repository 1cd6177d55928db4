"""The local runner executes both pipeline definitions, each step in its app's own locked uv environment."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid

import mlflow
import pytest
from mlflow import MlflowClient

from ml_platform.pipelines.definitions import render
from ml_platform_local.runner import StepFailedError, run_pipeline
from tests.conftest import REPO_ROOT, SPECS_DIR
from tests.integration.inference.test_inference_job import AS_OF, consume_all, expected_population

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def runner_env(local_platform, monkeypatch, tmp_path):
    for key, value in {
        "MLP_STATE_DIR": str(local_platform.state),
        "MLP_FEATURE_SPECS_DIR": str(SPECS_DIR),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }.items():
        monkeypatch.setenv(key, value)
    return f"sqlite:///{tmp_path / 'mlflow.db'}"


def request(pairs: dict[str, str]) -> dict:
    return {"PipelineParameters": [{"Name": k, "Value": v} for k, v in pairs.items()]}


def regate_alone(common: dict, runner_env: str, tmp_path, capsys) -> str:
    """Selective execution of PromoteModel: no training, version 1 judged again (on a floor no
    model reaches, so it is not promoted, and the champion alias stays where it was)."""
    again = {
        **request(
            {**common, "PromoteModelVersion": "1", "TrainingOverrides": '{"promotion_floor": "0.999"}'}
        ),
        "SelectiveExecutionConfig": {"SelectedSteps": [{"StepName": "PromoteModel"}]},
    }
    rerun = run_pipeline(
        REPO_ROOT / "pipelines" / "training.json", again, work=tmp_path / "runs", repo=REPO_ROOT
    )
    assert [(s["step"], s["status"]) for s in rerun.statuses] == [("PromoteModel", "Succeeded")]
    out = capsys.readouterr().out
    assert "- TrainModel skipped (not selected)" in out
    client = MlflowClient()
    version = client.get_model_version("churn-classifier", "1")
    tags = version.tags | client.get_run(version.run_id).data.tags  # the decision's essentials | all of it
    assert (tags["gate.promoted"], tags["gate.floor"]) == ("False", "0.999")
    assert "does not clear the floor" in version.tags["gate.reason"]
    assert str(client.get_model_version_by_alias("churn-classifier", "champion").version) == "1"
    assert len(client.search_model_versions("name = 'churn-classifier'")) == 1  # nothing trained
    return out


def test_both_pipelines_run_locally(local_platform, kafka_broker, runner_env, tmp_path, capsys):
    common = {
        "Environment": "local",
        "FeatureStoreBackend": "local",
        "MlflowTrackingUri": runner_env,
        "Model": "churn",
        # its own archive: the session's platform state holds what other tests' runs archived
        "PredictionsS3Uri": str(tmp_path / "predictions"),
    }
    overrides = '{"n_estimators": "30"}'
    training = run_pipeline(
        REPO_ROOT / "pipelines" / "training.json",
        request({**common, "LabelsUri": str(local_platform.labels), "TrainingOverrides": overrides}),
        work=tmp_path / "runs",
        repo=REPO_ROOT,
    )
    assert [(s["step"], s["status"]) for s in training.statuses] == [
        ("TrainModel", "Succeeded"),
        ("PromoteModel", "Succeeded"),
        ("MonitorModel", "Succeeded"),
    ]
    first = capsys.readouterr().out
    assert "no archived predictions of churn" in first  # a first run: nothing to judge
    hyper = json.loads(
        (
            tmp_path
            / "runs"
            / training.execution_id
            / "TrainModel"
            / "algo-1"
            / "input"
            / "config"
            / "hyperparameters.json"
        ).read_text()
    )
    assert hyper["overrides"] == overrides and all(isinstance(v, str) for v in hyper.values())
    mlflow.set_tracking_uri(runner_env)
    client = MlflowClient()
    version = client.get_model_version_by_alias("churn-classifier", "champion")
    run = client.get_run(version.run_id)
    assert run.data.tags["pipeline_execution_arn"].endswith(training.execution_id)
    assert run.data.params["n_estimators"] == "30"  # the override reached the job
    assert version.tags["gate.promoted"] == "True"  # PromoteModel's decision, not TrainModel's
    assert run.data.tags["gate.champion_version"] == ""  # the first version: no champion to beat
    earlier = regate_alone(common, runner_env, tmp_path, capsys)

    topic = f"runner-{uuid.uuid4().hex[:8]}"
    inference = run_pipeline(
        REPO_ROOT / "pipelines" / "inference.json",
        request(
            {
                **common,
                "KafkaBootstrapServers": kafka_broker.bootstrap_servers,
                "KafkaTopic": topic,
                "KafkaCreateTopic": "true",
                "InferenceInstanceCount": "2",
                "ScoringAsOf": AS_OF.isoformat(),
            }
        ),
        work=tmp_path / "runs",
        repo=REPO_ROOT,
    )
    assert [(s["step"], s["status"]) for s in inference.statuses] == [("BatchInference", "Succeeded")]
    out = first + earlier + capsys.readouterr().out
    assert "✔ TrainModel succeeded in" in out and "✔ BatchInference succeeded in" in out
    assert "[BatchInference/algo-2]" in out  # both instances' logs streamed
    keys = [m.key().decode() for m in consume_all(kafka_broker.bootstrap_servers, topic)]
    assert len(keys) == len(set(keys))
    assert set(keys) == expected_population(local_platform)
    # MonitorModel alone (selective execution) now finds what BatchInference archived
    monitor = run_pipeline(
        REPO_ROOT / "pipelines" / "training.json",
        {**request({**common, "LabelsUri": str(local_platform.labels)}),
         "SelectiveExecutionConfig": {"SelectedSteps": [{"StepName": "MonitorModel"}]}},
        work=tmp_path / "runs",
        repo=REPO_ROOT,
    )  # fmt: skip
    assert [(s["step"], s["status"]) for s in monitor.statuses] == [("MonitorModel", "Succeeded")]
    [run] = client.search_runs(
        [client.get_experiment_by_name("ml-platform-local").experiment_id], "tags.`mlp.kind` = 'monitoring'"
    )
    assert run.data.tags["model"] == "churn" and "realised_labelled_share" in run.data.metrics


def test_failing_step_stops_the_run_with_its_reason(local_platform, runner_env, tmp_path):
    """Training then inference in one definition: training fails (no labels in the window), inference never starts."""
    training, inference = render("training"), render("inference")
    steps = [training["Steps"][0], {**inference["Steps"][0], "DependsOn": ["TrainModel"]}]
    names = {p["Name"] for p in training["Parameters"]}
    combined = {
        **training,
        "Parameters": training["Parameters"] + [p for p in inference["Parameters"] if p["Name"] not in names],
        "Steps": steps,
    }
    definition = tmp_path / "combined.json"
    definition.write_text(json.dumps(combined))
    params = tmp_path / "params.json"
    params.write_text(
        json.dumps(
            request(
                {
                    "Model": "churn",
                    "FeatureStoreBackend": "local",
                    "MlflowTrackingUri": runner_env,
                    "LabelsUri": str(local_platform.labels),
                    "LabelStartDate": "2031-01-01",
                    "KafkaBootstrapServers": "127.0.0.1:1",
                }
            )
        )
    )
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ml_platform_local.runner",
            str(definition),
            "--parameters",
            str(params),
            "--work-dir",
            str(tmp_path / "runs"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1
    assert "✘ TrainModel failed" in result.stdout
    assert "no labels in the window" in result.stderr
    assert "BatchInference" not in result.stdout
    assert not list((tmp_path / "runs").glob("*/BatchInference"))
    with pytest.raises(StepFailedError):
        run_pipeline(definition, json.loads(params.read_text()), work=tmp_path / "runs2", repo=REPO_ROOT)
