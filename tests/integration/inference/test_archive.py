"""The prediction archive on a real run: what the topic holds, once per as_of."""

from __future__ import annotations

import json
import uuid

import boto3
import polars as pl
import pytest

from ml_platform.specs import SpecRegistry
from tests.conftest import SPECS_DIR
from tests.integration.inference.test_inference_job import AS_OF, consume_all, publish_args, run_inference

pytestmark = pytest.mark.integration
# every feature of the churn model's three groups (feature_groups/*.yaml)
MODEL_FEATURES = {
    f.name
    for g in ("customer_profile", "customer_activity", "customer_billing")
    for f in SpecRegistry.from_directory(SPECS_DIR)[g].value_features
}


def archive_files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))


def test_the_archive_holds_what_the_topic_holds_and_a_rerun_replaces_it(
    aws, local_platform, champion, kafka_broker, tmp_path
):
    """Two runs for one as_of. Each also reports the (unshifted) population's drift, every
    feature under the warning threshold, and, locally without a namespace, sends no metrics."""
    archive = tmp_path / "archive"
    published = {}
    for run in ("first", "again"):
        topic = f"archive-{uuid.uuid4().hex[:8]}"
        root = tmp_path / run
        flags = publish_args(kafka_broker.bootstrap_servers, topic, "--predictions-uri", str(archive))
        result = run_inference(local_platform, champion, root, *flags)
        assert result.returncode == 0, result.stderr[-3000:]
        published[run] = {
            (m.key().decode(), m.value().decode()) for m in consume_all(kafka_broker.bootstrap_servers, topic)
        }
        report = json.loads((root / "processing" / "output" / "run_report.json").read_text())
        assert report["archived"] == report["acknowledged"] == len(published[run])
        assert report["drift_status"] == "ok" and set(report["drift"]) == MODEL_FEATURES
        assert all(d["psi"] < 0.1 for d in report["drift"].values()), report["drift"]
        # one partition (date and model version of the run), one file for its as_of and shard
        version = report["model_version"]
        stamp = AS_OF.strftime("%Y%m%dT%H%M%S%fZ")
        name = f"model=churn/date={AS_OF:%Y-%m-%d}/model_version={version}/as_of={stamp}-shard-1-of-1.parquet"
        assert archive_files(archive) == [name]
        rows = pl.read_parquet(archive / name)
        assert set(rows.select("key", "value").iter_rows()) == published[run]
        values = [json.loads(v) for v in rows["value"]]
        assert rows["score"].to_list() == [v["score"] for v in values]
        assert rows["predicted_label"].to_list() == [v["predicted_label"] for v in values]
    # the re-run scored again (new scored_at), and its file replaced the first one
    assert published["first"] != published["again"]
    assert boto3.client("cloudwatch").list_metrics()["Metrics"] == []
