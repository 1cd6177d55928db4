"""MLflow unreachable: training fails before it reads a feature, inference before it scores or publishes."""

from __future__ import annotations

import json
import time
import uuid

import pytest

from ml_platform_local.broker import free_port
from tests.integration.inference.test_inference_job import consume_all, publish_args, run_inference

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def unreachable() -> tuple[dict[str, str], str]:
    """Settings pointing at an MLflow server that is not there (nothing listens on the port), and its URL."""
    url = f"http://127.0.0.1:{free_port()}"
    return {"MLP_MLFLOW_TRACKING_URI": url, "MLP_MLFLOW_CONNECT_TIMEOUT_S": "3"}, url


def test_training_fails_before_training_when_mlflow_is_unreachable(local_platform, champion, tmp_path):
    env_extra, url = unreachable()
    started = time.monotonic()
    result = local_platform.train(tmp_path, champion, env_extra=env_extra)
    assert result.returncode == 1
    assert time.monotonic() - started < 90  # not MLflow's own ~4 min of retries (loaded CI: 31 s seen)
    expected = f"cannot reach MLflow at {url} within 3 s (Connection refused); check MLP_MLFLOW_TRACKING_URI"
    assert expected in result.stderr
    assert expected in (tmp_path / "output" / "failure").read_text()
    # Failed before any work: no feature read, no model trained or written.
    assert " INFO ml_training" not in result.stderr, result.stderr
    assert not (tmp_path / "model").exists() or not any((tmp_path / "model").iterdir())


def test_inference_fails_before_publishing_when_mlflow_is_unreachable(
    local_platform, champion, kafka_broker, tmp_path
):
    env_extra, url = unreachable()
    topic = f"mlflow-down-{uuid.uuid4().hex[:8]}"
    result = run_inference(
        local_platform,
        champion,
        tmp_path,
        *publish_args(kafka_broker.bootstrap_servers, topic),
        env_extra=env_extra,
        timeout=120,
    )
    assert result.returncode == 1
    assert f"cannot reach MLflow at {url} within 3 s" in result.stderr
    report = json.loads((tmp_path / "processing" / "output" / "run_report.json").read_text())
    assert report["status"] == "failed" and report["model_version"] == ""
    assert report["scored"] == report["produced"] == 0
    assert consume_all(kafka_broker.bootstrap_servers, topic, idle_seconds=2) == []
