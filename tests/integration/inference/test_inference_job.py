"""The inference job end to end against a real broker process, MLflow on SQLite and the local feature store."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import mlflow
import polars as pl
import psutil
import pytest
from mlflow import MlflowClient

from ml_platform.specs import SpecRegistry
from ml_platform_local.broker import free_port
from ml_platform_local.topics import read_topic
from tests import reference, zygote
from tests.conftest import SPECS_DIR
from tests.integration.conftest import END

pytestmark = [pytest.mark.integration, pytest.mark.slow]

AS_OF = datetime(END.year, END.month, END.day, tzinfo=UTC)
SCHEMA = {
    "schema_version",
    "entity_id",
    "score",
    "predicted_label",
    "model_name",
    "model_version",
    "mlflow_run_id",
    "features_as_of",
    "scored_at",
}


# The job scores with onnxruntime; MLflow runs only in its model_registry child.
NEVER_IMPORTED = {"sklearn", "scipy", "skops", "mlflow"}


def inference_command(root, *args: str, python_flags: tuple[str, ...] = ()) -> list[str]:
    """The job's command line for one container root, at the test's as_of."""
    return [
        sys.executable,
        *python_flags,
        "-m",
        "ml_inference",
        "--sagemaker-root",
        str(root),
        "--as-of",
        AS_OF.isoformat(),
        *args,
    ]


def on_broker(broker) -> list[str]:
    """Flags of a run on the test's ``broker`` that creates its topic if missing."""
    return ["--kafka-bootstrap-servers", broker.bootstrap_servers, "--kafka-create-topic", "true"]


def publish_args(bootstrap: str, topic: str, *extra: str) -> list[str]:
    """Flags of a run that publishes to ``topic`` on ``bootstrap`` (created if missing)."""
    return [
        "--kafka-bootstrap-servers",
        bootstrap,
        "--kafka-topic",
        topic,
        "--kafka-create-topic",
        "true",
        *extra,
    ]


def run_inference(local_platform, champion, root, *args, env_extra=None, timeout=300, python_flags=()):
    """The job on a copy of the registry (``registry_copy(root)``): runs write drift runs to it."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(champion, registry_copy(root))
    env = local_platform.env(registry_copy(root)) | (env_extra or {})
    started = time.monotonic()
    result = zygote.run(inference_command(root, *args, python_flags=python_flags), env=env, timeout=timeout)
    result.seconds = time.monotonic() - started
    return result


def registry_copy(root: Path) -> Path:
    """The MLflow store a run_inference call in ``root`` used."""
    return root / "mlflow-registry.db"


def consume_all(bootstrap: str, topic: str, idle_seconds: float = 5.0) -> list:
    """Every message of ``topic``, read until it has been quiet for ``idle_seconds``."""
    return read_topic(bootstrap, topic, idle_seconds=idle_seconds, timeout=600)


def expected_population(local_platform) -> set[str]:
    """Ids whose latest customer_profile record as of AS_OF lies within the group's TTL, worked out
    row by row from the ingested input file (tests/reference.py), not by the job's own reads."""
    spec = SpecRegistry.from_directory(SPECS_DIR)["customer_profile"]
    rows = pl.read_parquet(local_platform.state / "demo" / "customer_profile.parquet")
    records = [
        {
            "id": row[spec.record_identifier_feature],
            "event_ts": datetime.fromisoformat(row[spec.event_time_feature].replace("Z", "+00:00")),
            "write_time": 0,
            "api_invocation_time": 0,
            "is_deleted": False,
            "value": True,
        }
        for row in rows.iter_rows(named=True)
    ]
    return set(reference.snapshot(records, AS_OF, spec.ttl))


def test_every_entity_published_exactly_once_with_schema(local_platform, champion, kafka_broker, tmp_path):
    topic = f"predictions-{uuid.uuid4().hex[:8]}"
    result = run_inference(
        local_platform,
        champion,
        tmp_path,
        *publish_args(kafka_broker.bootstrap_servers, topic, "--batch-size", "700"),
        "--pipeline-execution-id",
        "exec-123",
        python_flags=("-X", "importtime"),  # this process's imports only (its children run without it)
    )
    assert result.returncode == 0, result.stderr[-3000:]
    imported = {
        line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")
    }
    assert "onnxruntime" in imported  # the flag worked: the scoring library is listed
    top_level = {name.split(".")[0] for name in imported}
    assert not top_level & NEVER_IMPORTED, top_level & NEVER_IMPORTED
    report = json.loads((tmp_path / "processing" / "output" / "run_report.json").read_text())
    population = expected_population(local_platform)
    assert report["status"] == "succeeded"
    assert report["produced"] == report["acknowledged"] == report["scored"] == len(population)
    messages = consume_all(kafka_broker.bootstrap_servers, topic)
    keys = [m.key().decode() for m in messages]
    assert len(keys) == len(set(keys)) == len(population)
    assert set(keys) == population
    mlflow.set_tracking_uri(f"sqlite:///{champion}")
    champion_version = str(MlflowClient().get_model_version_by_alias("churn-classifier", "champion").version)
    for msg in messages[:200]:
        value = json.loads(msg.value())
        assert set(value) == SCHEMA
        assert value["entity_id"] == msg.key().decode()
        assert value["model_version"] == champion_version
        assert 0.0 <= value["score"] <= 1.0 and value["predicted_label"] in (0, 1)
        assert value["features_as_of"].startswith(AS_OF.strftime("%Y-%m-%dT%H:%M:%S"))
        headers = dict(msg.headers())
        assert headers["model_version"] == champion_version.encode()
        assert headers["pipeline_execution_id"] == b"exec-123"
        assert headers["content-type"] == b"application/json"


def test_passes_of_chunk_rows_publish_the_same_predictions_as_one_pass(
    local_platform, champion, kafka_broker, tmp_path
):
    """--chunk-rows bounds memory by scoring the population in id-hash passes; same result."""
    results = {}
    for chunk_rows in ("1000000", "300"):
        topic = f"chunks-{chunk_rows}-{uuid.uuid4().hex[:6]}"
        result = run_inference(
            local_platform,
            champion,
            tmp_path / chunk_rows,
            *publish_args(kafka_broker.bootstrap_servers, topic, "--chunk-rows", chunk_rows),
        )
        assert result.returncode == 0, result.stderr[-3000:]
        passes = re.search(r"scoring in (\d+) passes", result.stderr)
        assert (passes is None) if chunk_rows == "1000000" else (int(passes.group(1)) >= 5)
        report = json.loads((tmp_path / chunk_rows / "processing" / "output" / "run_report.json").read_text())
        messages = consume_all(kafka_broker.bootstrap_servers, topic)
        scores = {m.key().decode(): json.loads(m.value())["score"] for m in messages}
        assert len(scores) == len(messages) == report["acknowledged"]
        results[chunk_rows] = (
            scores,
            {k: report[k] for k in ("rows_read", "skipped_missing", "skipped_expired")},
        )
    assert results["300"] == results["1000000"]
    assert set(results["300"][0]) == expected_population(local_platform)


def test_three_shards_publish_the_population_exactly_once(local_platform, champion, kafka_broker, tmp_path):
    topic = f"sharded-{uuid.uuid4().hex[:8]}"
    hosts = ["algo-1", "algo-2", "algo-3"]
    procs = []
    for host in hosts:
        root = tmp_path / host
        (root / "config").mkdir(parents=True)
        (root / "config" / "resourceconfig.json").write_text(
            json.dumps({"current_host": host, "hosts": hosts})
        )
        env = local_platform.env(champion)
        procs.append(
            subprocess.Popen(
                inference_command(root, *publish_args(kafka_broker.bootstrap_servers, topic)),
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err[-3000:]
    reports = [
        json.loads((tmp_path / h / "processing" / "output" / "run_report.json").read_text()) for h in hosts
    ]
    assert all(r["scored"] > 0 for r in reports)
    keys = [m.key().decode() for m in consume_all(kafka_broker.bootstrap_servers, topic)]
    assert len(keys) == len(set(keys))
    assert set(keys) == expected_population(local_platform)


def test_unreachable_broker_fails_fast_without_success_report(local_platform, champion, tmp_path):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run_inference(
        local_platform,
        champion,
        tmp_path,
        "--kafka-bootstrap-servers",
        f"127.0.0.1:{free_port()}",
        "--kafka-connect-timeout-s",
        "3",
        env_extra={"TMPDIR": str(scratch)},
    )
    # The model's child process was stopped and its download folder removed. Only this run's child
    # counts (its folder is under this test's TMPDIR): other workers' jobs may be running now.
    assert not [
        p
        for p in psutil.process_iter(["cmdline"])
        if "ml_inference.model_registry" in (cmdline := p.info["cmdline"] or [])
        and any(arg.startswith(str(scratch)) for arg in cmdline)
    ]
    assert list(scratch.iterdir()) == []
    assert result.returncode == 1
    assert "not reachable within 3 s" in result.stderr
    assert result.seconds < 30
    report = json.loads((tmp_path / "processing" / "output" / "run_report.json").read_text())
    assert report["status"] == "failed" and report["produced"] == 0
    assert "not reachable" in (tmp_path / "output" / "message").read_text()


def test_missing_topic_is_an_error_unless_creation_allowed(local_platform, champion, kafka_broker, tmp_path):
    flags = [
        "--kafka-bootstrap-servers",
        kafka_broker.bootstrap_servers,
        "--kafka-topic",
        f"absent-{uuid.uuid4().hex[:6]}",
    ]
    result = run_inference(local_platform, champion, tmp_path, *flags)
    assert result.returncode == 1
    assert "does not exist" in result.stderr and "kafka_create_topic=true" in result.stderr


def test_missing_alias_lists_the_existing_ones(local_platform, champion, kafka_broker, tmp_path):
    result = run_inference(
        local_platform, champion, tmp_path, *on_broker(kafka_broker), "--model-alias", "gold"
    )
    assert result.returncode == 1
    assert "has no alias 'gold'; aliases: challenger, champion" in result.stderr
    missing_version = run_inference(
        local_platform,
        champion,
        tmp_path,
        *on_broker(kafka_broker),
        "--model-version",
        "99",
    )
    assert "has no version 99; versions: 1" in missing_version.stderr


def test_empty_population_is_an_error(local_platform, champion, kafka_broker, tmp_path):
    empty = tmp_path / "entities.parquet"
    pl.DataFrame({"customer_id": pl.Series([], dtype=pl.Utf8)}).write_parquet(empty)
    result = run_inference(
        local_platform,
        champion,
        tmp_path,
        *on_broker(kafka_broker),
        "--entity-list-uri",
        str(empty),
    )
    assert result.returncode == 1
    assert "empty population" in result.stderr


def test_entity_list_with_unknown_ids_counts_them_as_skipped(
    local_platform, champion, kafka_broker, tmp_path
):
    topic = f"list-{uuid.uuid4().hex[:8]}"
    known = sorted(expected_population(local_platform))[:20]
    path = tmp_path / "entities.csv"
    pl.DataFrame({"customer_id": [*known, "NOPE-1", "NOPE-2"]}).write_csv(path)
    result = run_inference(
        local_platform,
        champion,
        tmp_path,
        *publish_args(kafka_broker.bootstrap_servers, topic),
        "--entity-list-uri",
        str(path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads((tmp_path / "processing" / "output" / "run_report.json").read_text())
    assert (report["rows_read"], report["scored"], report["skipped_missing"]) == (22, 20, 2)
    assert sorted(m.key().decode() for m in consume_all(kafka_broker.bootstrap_servers, topic)) == known


def test_features_older_than_ttl_beyond_the_share_fail(local_platform, champion, kafka_broker, tmp_path):
    late = (AS_OF + timedelta(days=3 * 365)).isoformat()
    result = run_inference(local_platform, champion, tmp_path, *on_broker(kafka_broker), "--as-of", late)
    assert result.returncode == 1
    assert "older than its TTL" in result.stderr and "max_skipped_share=0.2" in result.stderr


def test_help(local_platform):
    out = subprocess.run(
        [sys.executable, "-m", "ml_inference", "--help"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0 and "--kafka-bootstrap-servers" in out.stdout
