#!/usr/bin/env python3
"""The local demo (`make demo`): the real pipeline definitions, run on this machine.

Starts a local Kafka broker, generates and ingests the churn demo data into the local feature
store, runs pipelines/training.json then pipelines/inference.json with parameters from
generate_params_json (environment `local`), consumes the topic and prints a summary.
No AWS account, no Docker. State lives in $MLP_STATE_DIR (default .mlplatform/); nothing
is left running afterwards, also on failure or Ctrl-C.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from pathlib import Path

from confluent_kafka import Consumer

from ml_platform.config import FeatureStoreSettings, state_dir
from ml_platform.demo_data import GROUPS, write_demo_data
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.feature_store.records import read_input_file
from ml_platform.local_broker import LocalKafkaBroker
from ml_platform.logs import configure_logging
from ml_platform.pipelines.local_runner import run_pipeline
from ml_platform.pipelines.params import build_execution_request, write_request

REPO = Path(__file__).resolve().parents[1]


def prepare_data(state: Path) -> Path:
    data_dir = state / "demo-data"
    marker = data_dir / ".ingested"
    if marker.is_file():
        print(f"[data] demo data already in the local feature store ({marker.read_text().strip()})")
        return data_dir / "labels.parquet"
    print(f"[data] generating the churn demo data into {data_dir}")
    paths = write_demo_data(data_dir)
    store = open_feature_store(FeatureStoreSettings.from_env(backend="local"))
    for group in GROUPS:
        report = store.ingest(group, read_input_file(paths[group]), source=str(paths[group]))
        print(f"[data] ingested {report.rows:>8,} rows into {group}")
    marker.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
    return paths["labels"]


def consume(bootstrap: str, topic: str, execution_id: str, expected: int, timeout: float = 60) -> list:
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"demo-{uuid.uuid4().hex[:8]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    mine, deadline = [], time.monotonic() + timeout
    try:
        while len(mine) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None or msg.error():
                continue
            if dict(msg.headers() or []).get("pipeline_execution_id", b"").decode() == execution_id:
                mine.append(msg)
    finally:
        consumer.close()
    return mine


def run(broker_servers: str, state: Path) -> int:
    labels = prepare_data(state)
    params_dir = state / "parameters"
    work = state / "runs"

    print("\n[training] pipelines/training.json")
    request = build_execution_request(REPO, "training", "local", [f"LabelsUri={labels}"])
    write_request(request, params_dir, "training", "local")
    training = run_pipeline(REPO / "pipelines" / "training.json", request, work=work, repo=REPO)
    result = json.loads(
        (
            work / training.execution_id / "TrainModel" / "algo-1" / "model" / "training_result.json"
        ).read_text()
    )

    print("\n[inference] pipelines/inference.json")
    request = build_execution_request(
        REPO, "inference", "local", [f"KafkaBootstrapServers={broker_servers}", "KafkaCreateTopic=true"]
    )
    write_request(request, params_dir, "inference", "local")
    inference = run_pipeline(REPO / "pipelines" / "inference.json", request, work=work, repo=REPO)
    reports = [
        json.loads(p.read_text())
        for p in sorted(
            (work / inference.execution_id / "BatchInference").glob(
                "algo-*/processing/output/run_report.json"
            )
        )
    ]
    produced = sum(r["produced"] for r in reports)
    acknowledged = sum(r["acknowledged"] for r in reports)
    topic = inference.parameters["KafkaTopic"]
    messages = consume(broker_servers, topic, inference.execution_id, acknowledged)

    metrics = result["metrics"]
    gate = result["gate"]
    champion = gate["champion_version"]
    print("\n" + "=" * 72)
    print(
        f"model        {result['model_name']} v{result['model_version']}  "
        f"ROC-AUC {metrics['roc_auc']:.3f}  F1 {metrics['f1']:.3f}  accuracy {metrics['accuracy']:.3f}"
    )
    print(
        f"gate         {'PROMOTED to champion' if gate['promoted'] else 'kept champion v' + str(champion)}: {gate['reason']}"
    )
    print(
        f"predictions  {produced:,} produced, {acknowledged:,} acknowledged by Kafka, "
        f"{len(messages):,} consumed back from '{topic}'"
    )
    skipped = sum(r["skipped_missing"] + r["skipped_expired"] for r in reports)
    print(
        f"population   {sum(r['rows_read'] for r in reports):,} customers, {skipped:,} skipped (no current profile)"
    )
    for msg in messages[:3]:
        print(f"  {msg.key().decode()} -> {msg.value().decode()}")
    db = state / "mlflow" / "mlflow.db"
    print(f"MLflow UI    uv run mlflow ui --backend-store-uri sqlite:///{db}")
    print("=" * 72)
    if len(messages) != acknowledged:
        print(f"error: consumed {len(messages)} messages, expected {acknowledged}", file=sys.stderr)
        return 1
    return 0


def main() -> int:
    configure_logging("WARNING")
    started = time.monotonic()
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    given = os.environ.get("MLP_KAFKA_BOOTSTRAP_SERVERS", "")
    try:
        if given:
            print(f"[kafka] using the broker at {given}")
            code = run(given, state)
        else:
            with LocalKafkaBroker(state / "kafka") as broker:
                print(f"[kafka] local broker at {broker.bootstrap_servers} (stopped when the demo ends)")
                code = run(broker.bootstrap_servers, state)
    except MLPlatformError as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; the broker and the steps were stopped", file=sys.stderr)
        return 130
    print(f"demo finished in {time.monotonic() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
