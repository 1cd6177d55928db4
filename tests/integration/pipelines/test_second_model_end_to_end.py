"""The maintenance example end to end through the local runner: two groups joined on different
keys, a training set equal to a brute-force reference built from the generated tables alone, a
registered and gated version, and every entity of the fleet with current telemetry published
and acknowledged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import mlflow
import polars as pl
import pytest
from mlflow import MlflowClient

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.specs import SpecRegistry
from ml_platform_local.demos import prepare
from tests import reference
from tests.conftest import MODELS_DIR, REPO_ROOT, SPECS_DIR
from tests.integration.inference.test_inference_job import consume_all

pytestmark = [pytest.mark.integration, pytest.mark.slow]

END = date(2026, 9, 30)
AS_OF = datetime(END.year, END.month, END.day, tzinfo=UTC)
TELEMETRY = ["temperature_c", "vibration_mm_s", "error_count_24h", "firmware"]
SITE = ["ambient_temp_c", "humidity_pct", "dust_index"]  # the spec's subset of site_conditions


def seconds(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def records_by_id(paths) -> tuple[dict, dict]:
    """The generated tables as the reference sees them, in write order: telemetry, then its
    corrected re-sends, then the deletion markers; site conditions once."""
    telemetry: dict = defaultdict(list)
    writes = [(pl.read_parquet(paths["machine_telemetry"]), 1, False)]
    writes.append((pl.read_parquet(paths["machine_telemetry_corrections"]), 2, False))
    writes.append((pl.read_parquet(paths["machine_telemetry_deletions"]), 3, True))
    for frame, order, deleted in writes:
        for row in frame.iter_rows(named=True):
            telemetry[row["machine_id"]].append(
                {
                    "id": row["machine_id"],
                    "event_ts": seconds(row["reading_time"]),
                    "write_time": order,
                    "api_invocation_time": order,
                    "is_deleted": deleted,
                    **{f: None if deleted else row[f] for f in TELEMETRY},
                }
            )
    sites: dict = defaultdict(list)
    for row in pl.read_parquet(paths["site_conditions"]).iter_rows(named=True):
        sites[row["site_code"]].append(
            {
                "id": row["site_code"],
                "event_ts": iso(row["observed_at"]),
                "write_time": 1,
                "api_invocation_time": 1,
                "is_deleted": False,
                **{f: row[f] for f in SITE},
            }
        )
    return telemetry, sites


def seen(records: list, key, at: datetime, ttl: timedelta, features: list[str]) -> dict:
    record = reference.latest_record(records, key, at)
    visible = reference.visible(record, at, ttl)
    return {f: record[f] if visible else None for f in features}


def runner(state, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLP_")}
    env.update(
        MLP_STATE_DIR=str(state),
        MLP_FEATURE_SPECS_DIR=str(SPECS_DIR),
        MLP_MODEL_SPECS_DIR=str(MODELS_DIR),
        MLFLOW_DISABLE_TELEMETRY="true",
    )
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ml_platform_local.runner",
            *args,
            "--work-dir",
            str(state / "runs"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=600,
        check=False,
    )


def step_root(state, pipeline_output: str, step: str):
    execution = next(line.split()[3] for line in pipeline_output.splitlines() if line.startswith("pipeline "))
    return state / "runs" / execution / step / "algo-1"


def test_maintenance_model_through_the_local_runner(tmp_path, kafka_broker):
    state = tmp_path / "state"
    store = LocalFeatureStore(SpecRegistry.from_directory(SPECS_DIR), state / "feature-store")
    data = state / "demo-data"
    paths = prepare("maintenance", data / "maintenance", store, size=80, end=END)
    data_uri = f"DataUri={data}"

    trained = runner(state, "pipelines/training.json", "--model", "maintenance", "--set", data_uri)
    assert trained.returncode == 0, trained.stdout[-4000:] + trained.stderr[-2000:]

    # 1. The training set the job learned from equals the brute-force reference.
    root = step_root(state, trained.stdout, "TrainModel")
    got = pl.read_parquet(root / "output" / "data" / "training_set.parquet")
    labels = pl.read_parquet(paths["labels"])
    telemetry, sites = records_by_id(paths)
    expected = []
    for row in labels.iter_rows(named=True):
        at = iso(row["label_time"])
        expected.append(
            {
                **seen(telemetry[row["machine_id"]], row["machine_id"], at, timedelta(days=3), TELEMETRY),
                **seen(sites[row["site"]], row["site"], at, timedelta(days=2), SITE),
            }
        )
    assert got.height == labels.height
    assert got["machine_id"].to_list() == labels["machine_id"].to_list()  # order kept, nothing dropped
    assert got.select(TELEMETRY + SITE).to_dicts() == expected
    assert got["dust_index"].null_count() < got.height / 10  # the site group was joined on 'site'

    # 2. A version is registered and gated.
    mlflow.set_tracking_uri(f"sqlite:///{state / 'mlflow' / 'mlflow.db'}")
    client = MlflowClient()
    version = client.get_model_version_by_alias("machine-failure-classifier", "champion")
    tags = client.get_run(version.run_id).data.tags  # the lineage and the whole gate decision
    assert version.tags["gate.promoted"] == "True" and float(tags["gate.challenger_score"]) >= 0.65
    assert tags["model_spec"] == "maintenance"
    assert json.loads(tags["feature_selection"])["site_conditions"] == {"join_key": "site", "features": SITE}

    # 3. Every entity of the fleet with current telemetry is published and acknowledged.
    topic = f"maintenance-{uuid.uuid4().hex[:8]}"
    scored = runner(
        state,
        "pipelines/inference.json",
        "--model",
        "maintenance",
        "--set",
        data_uri,
        "--set",
        f"ScoringAsOf={AS_OF.isoformat()}",
        "--set",
        f"KafkaBootstrapServers={kafka_broker.bootstrap_servers}",
        "--set",
        f"KafkaTopic={topic}",
        "--set",
        "KafkaCreateTopic=true",
    )
    assert scored.returncode == 0, scored.stdout[-4000:] + scored.stderr[-2000:]
    fleet = pl.read_parquet(paths["fleet"])
    current = {
        f"{m}|{s}"
        for m, s in fleet.iter_rows()
        if seen(telemetry[m], m, AS_OF, timedelta(days=3), ["firmware"])["firmware"] is not None
    }
    report = json.loads(
        (step_root(state, scored.stdout, "BatchInference") / "processing/output/run_report.json").read_text()
    )
    assert report["acknowledged"] == report["produced"] == len(current)
    assert report["skipped_missing"] + report["skipped_expired"] == fleet.height - len(current) > 0
    messages = consume_all(kafka_broker.bootstrap_servers, topic)
    assert {m.key().decode() for m in messages} == current
    assert len(messages) == len(current)
    value = json.loads(messages[0].value())
    machine, site = messages[0].key().decode().split("|")
    assert value["keys"] == {"machine_id": int(machine), "site": site}
    assert dict(messages[0].headers())["model_spec_sha256"].decode() == version.tags["model_spec_sha256"]
