"""The prediction archive on a real run: what the topic holds, once per as_of."""

from __future__ import annotations

import json
import uuid

import polars as pl
import pytest

from tests.integration.inference.test_inference_job import AS_OF, consume_all, publish_args, run_inference

pytestmark = pytest.mark.integration


def archive_files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.parquet"))


def test_the_archive_holds_what_the_topic_holds_and_a_rerun_replaces_it(
    local_platform, champion, kafka_broker, tmp_path
):
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
