"""Realised quality: labels that arrive for archived predictions, checked against a brute-force ROC-AUC."""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import uuid

import boto3
import polars as pl
import pytest
from mlflow import MlflowClient

from tests import zygote
from tests.integration.inference.test_inference_job import AS_OF, publish_args, run_inference
from tests.integration.inference.test_metrics import statistic

pytestmark = pytest.mark.integration
NAMESPACE = "MLPlatform-quality-test"


def brute_force_auc(scores: list[float], labels: list[int]) -> float:
    """The share of (positive, negative) pairs the score orders right, ties counting half."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y == 1]
    negatives = [s for s, y in zip(scores, labels, strict=True) if y == 0]
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def outcome(key: str, score: float) -> int:
    """A label that follows the score loosely: a fixed pseudo-random draw per key."""
    draw = int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
    return int(draw < 0.2 + 0.6 * score)


def test_labels_for_archived_predictions_give_the_realised_roc_auc(
    aws, local_platform, champion, kafka_broker, tmp_path
):
    archive = tmp_path / "archive"
    flags = publish_args(
        kafka_broker.bootstrap_servers, f"q-{uuid.uuid4().hex[:8]}", "--predictions-uri", str(archive)
    )
    scored = run_inference(local_platform, champion, tmp_path / "inference", *flags)
    assert scored.returncode == 0, scored.stderr[-3000:]
    rows = pl.read_parquet(next(archive.rglob("*.parquet")))
    # labels arrive for the first 80% of the predictions (by key order), on the scoring day
    keys = sorted(rows["key"].to_list())
    arrived = set(keys[: int(len(keys) * 0.8)])
    score_of = dict(zip(rows["key"], rows["score"], strict=True))
    labels = pl.DataFrame(
        {
            "customer_id": sorted(arrived),
            "label_time": [AS_OF.strftime("%Y-%m-%dT%H:%M:%SZ")] * len(arrived),
            "churned": [outcome(k, score_of[k]) for k in sorted(arrived)],
        }
    )
    labels_file = tmp_path / "labels.parquet"
    labels.write_parquet(labels_file)
    db = tmp_path / "mlflow.db"
    shutil.copy(champion, db)  # the monitoring run goes to a copy of the session's registry
    root = tmp_path / "monitor"
    result = zygote.run(
        [sys.executable, "-m", "ml_training", "monitor", "--sagemaker-root", str(root),
         "--predictions-uri", str(archive), "--labels-uri", str(labels_file),
         "--cloudwatch-namespace", NAMESPACE],
        env=local_platform.env(db), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    [day] = summary["days"]
    assert day["date"] == f"{AS_OF:%Y-%m-%d}"
    assert day["predictions"] == len(keys) and day["labelled"] == len(arrived)
    assert day["labelled_share"] == pytest.approx(len(arrived) / len(keys))
    ordered = sorted(arrived)
    expected = brute_force_auc([score_of[k] for k in ordered], labels["churned"].to_list())
    assert day["roc_auc"] == pytest.approx(expected, abs=1e-9)
    assert day["observed_rate"] == pytest.approx(labels["churned"].mean())
    run = MlflowClient(tracking_uri=f"sqlite:///{db}").get_run(summary["run_id"])
    assert run.data.tags["mlp.kind"] == "monitoring"
    assert run.data.metrics["realised_roc_auc"] == pytest.approx(expected, abs=1e-9)
    # the alarm's figure (stamped now) and the labelled share, read back from CloudWatch (moto)
    run_dims = {"Model": "churn", "Environment": "local"}
    assert statistic(boto3.client("cloudwatch"), "RealisedRocAuc", "Minimum", NAMESPACE, **run_dims) == (
        pytest.approx(expected, abs=1e-9)
    )
    assert statistic(boto3.client("cloudwatch"), "LabelledShare", "Maximum", NAMESPACE, **run_dims) == (
        pytest.approx(len(arrived) / len(keys))
    )


def test_a_first_run_with_no_archive_succeeds_and_logs_nothing(local_platform, champion, tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(champion, db)
    result = zygote.run(
        [sys.executable, "-m", "ml_training", "monitor", "--sagemaker-root", str(tmp_path / "monitor"),
         "--predictions-uri", str(tmp_path / "no-archive-yet")],
        env=local_platform.env(db), timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["run_id"], summary["days"]) == (None, [])
    assert "no archived predictions of churn" in result.stderr
    client = MlflowClient(tracking_uri=f"sqlite:///{db}")
    runs = client.search_runs(
        [e.experiment_id for e in client.search_experiments()], "tags.`mlp.kind` = 'monitoring'"
    )
    assert runs == []
