"""The run's CloudWatch metrics, sent to moto server by the real job and read back with boto3."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from tests.integration.inference.test_inference_job import consume_all, publish_args, run_inference

pytestmark = pytest.mark.integration
NAMESPACE = "MLPlatform-test"


def statistic(
    cloudwatch, name: str, stat: str, namespace: str = NAMESPACE, **dimensions: str
) -> float | None:
    """The statistic of a metric's last hour (one period), or None without data."""
    now = datetime.now(UTC)
    points = cloudwatch.get_metric_statistics(
        Namespace=namespace,
        MetricName=name,
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()],
        StartTime=now - timedelta(hours=1),
        EndTime=now + timedelta(minutes=5),
        Period=3600,
        Statistics=[stat],
    )["Datapoints"]
    return points[0][stat] if points else None


def test_a_run_sends_its_outcome_volume_skips_and_drift(
    aws, local_platform, champion, kafka_broker, tmp_path
):
    topic = f"metrics-{uuid.uuid4().hex[:8]}"
    flags = publish_args(kafka_broker.bootstrap_servers, topic, "--cloudwatch-namespace", NAMESPACE)
    result = run_inference(local_platform, champion, tmp_path, *flags)
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads((tmp_path / "processing" / "output" / "run_report.json").read_text())
    consumed = len(consume_all(kafka_broker.bootstrap_servers, topic))
    cloudwatch = boto3.client("cloudwatch")
    run = {"Model": "churn", "Environment": "local"}
    assert statistic(cloudwatch, "InferenceRunSucceeded", "Sum", **run) == 1
    assert statistic(cloudwatch, "PredictionsPublished", "Sum", **run) == consumed
    skipped = report["skipped_missing"] + report["skipped_expired"]
    assert statistic(cloudwatch, "SkippedShare", "Maximum", **run) == pytest.approx(
        skipped / report["rows_read"]
    )
    largest = max(d["psi"] for d in report["drift"].values())
    assert statistic(cloudwatch, "MaxFeaturePSI", "Maximum", **run) == pytest.approx(largest)
    for feature, drift in report["drift"].items():
        assert statistic(cloudwatch, "FeaturePSI", "Maximum", **run, Feature=feature) == pytest.approx(
            drift["psi"]
        )
