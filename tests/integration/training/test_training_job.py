"""The training job end to end, run as SageMaker runs it: a subprocess with /opt/ml remapped."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys

import mlflow
import numpy as np
import polars as pl
import pytest
from mlflow import MlflowClient

from ml_platform.model_input import model_features, to_model_input
from ml_platform.specs import SpecRegistry
from tests import zygote
from tests.conftest import REPO_ROOT, SPECS_DIR

pytestmark = [pytest.mark.integration, pytest.mark.slow]

MODEL = "churn-classifier"


def versions(db) -> list:
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    try:
        return MlflowClient().search_model_versions(f"name = '{MODEL}'")
    except Exception:
        return []


@pytest.fixture(scope="module")
def trained(local_platform, tmp_path_factory):
    """Two runs on one registry: a good first model, then a deliberately worse one."""
    work = tmp_path_factory.mktemp("training")
    db = work / "mlflow.db"
    first = local_platform.train(work / "run1", db, hyperparameters={"n_estimators": "60", "max_depth": "8"})
    second = local_platform.train(
        work / "run2",
        db,
        hyperparameters={"n_estimators": "2", "max_depth": "2", "seed": "5", "promotion_floor": "0.5"},
    )
    return work, db, first, second


def test_first_run_registers_and_promotes_a_model_that_loads_and_predicts(trained, local_platform):
    work, db, first, _ = trained
    assert first.returncode == 0, first.stderr[-3000:]
    summary = json.loads(first.stdout.strip().splitlines()[-1])
    assert summary["version"] == "1" and summary["promoted"] is True
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"
    # Python users load it with MLflow's own pyfunc API; ml-platform's loader reads the skops file.
    model = mlflow.pyfunc.load_model(f"models:/{MODEL}@champion")
    specs = SpecRegistry.from_directory(SPECS_DIR)
    features = model_features(specs, ["customer_profile", "customer_activity", "customer_billing"])
    rows = pl.DataFrame({f.name: [None, None] for f in features}).with_columns(
        pl.Series("plan", ["basic", "premium"]), pl.Series("sessions_7d", [1, 30])
    )
    proba = np.asarray(model.predict(to_model_input(rows, features)))
    assert proba.shape == (2,) and ((proba >= 0) & (proba <= 1)).all()

    run = client.get_run(summary["run_id"])
    for metric in ("accuracy", "precision", "recall", "f1", "roc_auc", "gini", "log_loss"):
        assert f"holdout_{metric}" in run.data.metrics
    assert run.data.metrics["holdout_roc_auc"] >= 0.7
    assert run.data.tags["feature_groups"] == "customer_profile,customer_activity,customer_billing"
    assert len(run.data.tags["spec_sha256.customer_profile"]) == 64
    spec_hash = hashlib.sha256((REPO_ROOT / "models" / "churn.yaml").read_bytes()).hexdigest()
    assert run.data.tags["model_spec"] == "churn" and run.data.tags["model_spec_sha256"] == spec_hash
    version = client.get_model_version(MODEL, "1")
    # only the essentials on the version: its run, spec hash, code and the gate's decision
    assert set(version.tags) <= {"run", "model_spec_sha256", "git_sha", "gate.promoted", "gate.reason"}
    assert version.tags["model_spec_sha256"] == spec_hash and version.tags["run"] == run.info.run_name
    assert version.tags["gate.promoted"] == "True" and run.data.tags["gate.challenger_version"] == "1"
    selection = json.loads(run.data.tags["feature_selection"])  # the lineage, on the run
    assert list(selection) == ["customer_profile", "customer_activity", "customer_billing"]
    assert selection["customer_billing"]["join_key"] == "customer_id"
    assert "training_set_as_of" in run.data.tags
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id, "evaluation")}
    assert {
        f"evaluation/{name}.{kind}"
        for name in (
            "roc_curve",
            "precision_recall_curve",
            "calibration",
            "confusion_matrix",
            "feature_importance",
        )
        for kind in ("png", "csv")
    } | {"evaluation/threshold_table.csv", "evaluation/training_profile.json"} <= artifacts
    table = pl.read_csv(work / "run1" / "output" / "data" / "threshold_table.csv")
    [in_use] = table.filter(pl.col("in_use")).rows(named=True)
    assert in_use["threshold"] == 0.5  # models/churn.yaml inference.threshold
    assert in_use["f1"] == pytest.approx(run.data.metrics["holdout_f1"])
    # the container contract: results in /opt/ml/model, artifacts in /opt/ml/output/data
    result = json.loads((work / "run1" / "model" / "training_result.json").read_text())
    assert result["model_version"] == "1" and result["gate"]["promoted"] is True
    assert (work / "run1" / "output" / "data" / "roc_curve.png").stat().st_size > 1000
    assert not (work / "run1" / "output" / "failure").exists()


def test_worse_model_becomes_challenger_and_champion_stays(trained):
    work, db, _, second = trained
    assert second.returncode == 0, second.stderr[-3000:]
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    client = MlflowClient()
    assert str(client.get_model_version_by_alias(MODEL, "champion").version) == "1"
    challenger = client.get_model_version_by_alias(MODEL, "challenger")
    assert str(challenger.version) == "2"
    assert challenger.tags["gate.promoted"] == "False"
    assert "does not beat champion v1" in challenger.tags["gate.reason"]
    gate = client.get_run(challenger.run_id).data.tags  # the whole decision, on the run
    assert float(gate["gate.champion_score"]) > float(gate["gate.challenger_score"])
    result = json.loads((work / "run2" / "model" / "training_result.json").read_text())
    assert result["promoted"] is False and "does not beat champion v1" in result["reason"]


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [
        ({"label_start_date": "2030-01-01"}, "no labels in the window"),
        ({"min_rows": "100000"}, "fewer than min_rows=100000"),
        ({"min_class_share": "0.45"}, "below min_class_share=0.45"),
        ({"max_null_ratio": "0.01"}, "exceeds max_null_ratio=0.01"),
        ({"model": "nope"}, "unknown model 'nope'"),
        ({"overrides": '{"trees": 1}'}, "overrides: unknown setting 'trees'"),
        ({"labels_uri": "/nonexistent/labels.parquet"}, "/nonexistent/labels.parquet"),
        ({"n_estimators": "many"}, "n_estimators='many' is not an integer"),
    ],
)
def test_invalid_input_fails_with_reason_and_registers_nothing(
    trained, local_platform, tmp_path, hyperparameters, message
):
    _, db, _, _ = trained
    before = len(versions(db))
    result = local_platform.train(tmp_path, db, hyperparameters=hyperparameters)
    assert result.returncode == 1, result.stderr[-2000:]
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    failure = (tmp_path / "output" / "failure").read_text()
    assert message in failure
    assert len(versions(db)) == before


def test_single_class_window_is_refused(local_platform, tmp_path):
    labels = pl.read_parquet(local_platform.labels).filter(pl.col("churned") == 0)
    only_zero = tmp_path / "labels.parquet"
    labels.write_parquet(only_zero)
    result = local_platform.train(tmp_path / "root", tmp_path / "mlflow.db", "--labels-uri", str(only_zero))
    assert result.returncode == 1
    assert "has no rows of class 1" in result.stderr
    assert versions(tmp_path / "mlflow.db") == []


def test_non_binary_labels_are_refused(local_platform, tmp_path):
    labels = pl.read_parquet(local_platform.labels).with_columns(
        pl.when(pl.int_range(pl.len()) == 7).then(2).otherwise(pl.col("churned")).alias("churned")
    )
    path = tmp_path / "labels.parquet"
    labels.write_parquet(path)
    result = local_platform.train(tmp_path / "root", tmp_path / "mlflow.db", "--labels-uri", str(path))
    assert result.returncode == 1
    assert "1 row(s) where 'churned' is not 0 or 1 (first: row 8, value 2)" in result.stderr


def test_help_lists_settings(local_platform, tmp_path):
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "ml_training", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0
    assert "--n-estimators" in out.stdout and "MLP_N_ESTIMATORS" in out.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model-version", "9"], "model 'churn-classifier' has no version '9'"),
        ([], "no model version to gate: pass --model-version"),
    ],
    ids=["unknown-version", "no-version-outside-a-pipeline"],
)
def test_promote_names_the_version_it_cannot_gate(trained, local_platform, tmp_path, args, message):
    _, db, _, _ = trained
    before = {v.version: v.tags.get("gate.reason") for v in versions(db)}
    result = zygote.run(
        [sys.executable, "-m", "ml_training", "promote", "--sagemaker-root", str(tmp_path), *args],
        env=local_platform.env(db),
        timeout=300,
    )
    assert result.returncode == 1, result.stderr[-2000:]
    assert message in result.stderr and "Traceback" not in result.stderr
    assert message in (tmp_path / "output" / "message").read_text()  # a processing job's ExitMessage
    assert {v.version: v.tags.get("gate.reason") for v in versions(db)} == before
