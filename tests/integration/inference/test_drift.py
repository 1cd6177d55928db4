"""Feature drift on a real run: the demo data with one feature shifted stops the job before it publishes."""

from __future__ import annotations

import json
import shutil
import uuid

import polars as pl
import pytest
from mlflow import MlflowClient

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.specs import SpecRegistry
from tests.conftest import SPECS_DIR
from tests.integration.conftest import LocalPlatform
from tests.integration.inference.test_inference_job import (
    consume_all,
    publish_args,
    registry_copy,
    run_inference,
)

pytestmark = pytest.mark.integration
SHIFTED = "sessions_7d"  # a customer_activity feature


def report_of(root) -> dict:
    return json.loads((root / "processing" / "output" / "run_report.json").read_text())


@pytest.fixture
def shifted_platform(local_platform, tmp_path) -> LocalPlatform:
    """A copy of the test platform whose latest customer_activity rows have sessions_7d moved up
    by 40 (the demo data draws them from a Poisson of mean about 10): the same rows re-written, and
    later writes win."""
    state = tmp_path / "state"
    shutil.copytree(local_platform.state, state)
    rows = pl.read_parquet(state / "demo" / "customer_activity.parquet")
    store = LocalFeatureStore(SpecRegistry.from_directory(SPECS_DIR), state / "feature-store")
    store.ingest("customer_activity", rows.with_columns(pl.col(SHIFTED) + 40))
    return LocalPlatform(state, local_platform.labels)


def test_a_shifted_feature_fails_the_run_before_anything_is_published(
    shifted_platform, champion, kafka_broker, tmp_path
):
    topic = f"drift-{uuid.uuid4().hex[:8]}"
    result = run_inference(
        shifted_platform, champion, tmp_path, *publish_args(kafka_broker.bootstrap_servers, topic)
    )
    assert result.returncode == 1
    assert f"feature drift: {SHIFTED} (PSI" in result.stderr
    assert "monitoring.drift.fail_psi=0.25 of models/churn.yaml; nothing was published" in result.stderr
    report = report_of(tmp_path)
    assert report["status"] == "failed" and report["produced"] == 0
    assert report["drift_status"] == "fail"
    assert report["drift"][SHIFTED]["psi"] >= 0.25
    others = {name: d["psi"] for name, d in report["drift"].items() if name != SHIFTED}
    assert others and all(v < 0.1 for v in others.values()), others
    assert consume_all(kafka_broker.bootstrap_servers, topic, idle_seconds=2) == []
    # the figures are in MLflow too: a drift run nested under the champion's training run
    client = MlflowClient(tracking_uri=f"sqlite:///{registry_copy(tmp_path)}")
    champion_version = client.get_model_version_by_alias("churn-classifier", "champion")
    training_run = client.get_run(champion_version.run_id)
    run = client.get_run(report["drift_run_id"])  # other tests' runs may share the registry's history
    assert (run.info.experiment_id, run.data.tags["mlp.kind"]) == (training_run.info.experiment_id, "drift")
    assert run.data.tags["features_as_of"] == report["features_as_of"]
    assert run.data.tags["mlflow.parentRunId"] == champion_version.run_id
    assert (run.data.tags["mlp.model_version"], run.data.tags["drift_status"]) == (
        str(champion_version.version),
        "fail",
    )
    for name, figures in report["drift"].items():
        assert run.data.metrics[f"psi.{name}"] == pytest.approx(figures["psi"])
    assert run.data.metrics["max_psi"] == pytest.approx(report["drift"][SHIFTED]["psi"])
