#!/usr/bin/env python3
"""Benchmark: batch inference end to end vs. the raw producer and a per-row loop, on one broker.

Builds a local feature store with N entities (one current record per group, real specs),
trains and registers a model on a small sample, starts a local broker, then measures:

* ``ml-inference``  - the job as a subprocess: features -> score -> every message acknowledged
                      (rows/s from its run report) and its peak RSS;
* ``raw producer``  - the same messages, pre-built in memory, through a bare confluent-kafka
                      producer with the same settings (the ceiling);
* ``per-row loop``  - scores computed once, then ``iterrows`` -> ``json.dumps`` -> ``produce``.

Prints the figures side by side with ratios; writes JSON (--output). Not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

REPO = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


def build_store(state: Path, entities: int, seed: int = 3) -> None:
    from ml_platform.demo_data import generate
    from ml_platform.feature_store.local import LocalFeatureStore
    from ml_platform.specs import SpecRegistry

    specs = SpecRegistry.from_directory(REPO / "feature_groups")
    store = LocalFeatureStore(specs, state / "feature-store")
    sample = generate(2000, seed=seed, end=AS_OF.date())
    rng = np.random.default_rng(seed)
    ids = pl.Series([f"B{i:08d}" for i in range(entities)])
    for group in ("customer_profile", "customer_activity", "customer_billing"):
        src = sample[group]
        rows = src[rng.integers(0, src.height, entities)].with_columns(customer_id=ids)
        hours = rng.integers(1, 48, entities)
        times = pl.Series([AS_OF - timedelta(hours=int(h)) for h in hours]).dt.strftime(
            "%Y-%m-%dT%H:%M:%S.000Z"
        )
        store.ingest(group, rows.with_columns(event_time=times))
    labels = sample["labels"]
    store_small = LocalFeatureStore(specs, state / "train-store")
    for group in ("customer_profile", "customer_activity", "customer_billing"):
        store_small.ingest(group, sample[group])
    labels.write_parquet(state / "labels.parquet")


RAW_SETTINGS = {
    "enable.idempotence": True,
    "acks": "all",
    "compression.type": "lz4",
    "linger.ms": 20,
    "batch.num.messages": 10_000,
    "queue.buffering.max.messages": 500_000,
    "queue.buffering.max.kbytes": 512 * 1024,
}
HEADERS = [
    ("model_version", b"1"),
    ("pipeline_execution_id", b"bench"),
    ("content-type", b"application/json"),
]


def _produce_all(producer, topic: str, keys, values) -> None:
    produce, poll = producer.produce, producer.poll
    for key, value in zip(keys, values, strict=True):
        while True:
            try:
                produce(topic, value=value, key=key, headers=HEADERS)
                break
            except BufferError:
                poll(0.05)
    if producer.flush(300):
        raise RuntimeError("raw producer: messages left unacknowledged")


def _message(key: str, score: float) -> str:
    return json.dumps(
        {
            "schema_version": 1,
            "entity_id": key,
            "score": round(score, 6),
            "predicted_label": int(score >= 0.5),
            "model_name": "churn-classifier",
            "model_version": "1",
            "mlflow_run_id": "0" * 32,
            "features_as_of": "2026-06-30T00:00:00.000000Z",
            "scored_at": "2026-06-30T00:00:00.000000Z",
        }
    )


def measure(entities: int, runs: int, *, baselines: bool = True) -> dict:
    """Build the data once; per run: the job, the raw producer and the loop, each on a fresh broker."""
    from confluent_kafka import Producer

    from ml_platform.local_broker import LocalKafkaBroker

    out: dict = {"entities": entities, "runs": []}
    with tempfile.TemporaryDirectory(prefix="mlp-bench-inf-") as tmp:
        state = Path(tmp)
        t0 = time.perf_counter()
        build_store(state, entities)
        env = {
            **os.environ,
            "MLP_STATE_DIR": str(state),
            "MLP_FEATURE_SPECS_DIR": str(REPO / "feature_groups"),
            "MLP_MLFLOW_TRACKING_URI": f"sqlite:///{state / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        train = subprocess.run(
            [sys.executable, "-m", "ml_training", "--sagemaker-root", str(state / "train"),
             "--labels-uri", str(state / "labels.parquet"), "--n-estimators", "100", "--max-depth", "10"],
            env={**env, "MLP_FEATURE_STORE_ROOT": str(state / "train-store")},
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if train.returncode != 0:
            raise RuntimeError(train.stderr[-3000:])
        out["setup_s"] = time.perf_counter() - t0
        rng = np.random.default_rng(0)
        keys = [f"B{i:08d}" for i in range(entities)]
        scores = rng.random(entities)
        for run in range(runs):
            result: dict = {}
            with LocalKafkaBroker(state / f"broker-job-{run}") as broker:
                started = time.time()
                log_path = state / f"job-{run}.log"
                with log_path.open("w") as log:
                    job = subprocess.Popen(
                        [sys.executable, "-m", "ml_inference", "--kafka-bootstrap-servers", broker.bootstrap_servers,
                         "--kafka-create-topic", "true", "--as-of", AS_OF.isoformat(),
                         "--sagemaker-root", str(state / "inf"), "--kafka-topic", "bench-job"],
                        env=env, stdout=subprocess.DEVNULL, stderr=log,
                    )  # fmt: skip
                    _, status, usage = os.wait4(job.pid, 0)  # this child's own peak RSS
                    job.returncode = os.waitstatus_to_exitcode(status)
                rss = usage.ru_maxrss / 1024
                if job.returncode != 0:
                    raise RuntimeError(log_path.read_text()[-3000:])
                report = json.loads((state / "inf" / "processing" / "output" / "run_report.json").read_text())
                result["job_rows_per_s"] = report["acknowledged"] / (
                    report["features_s"] + report["publish_s"]
                )
                result["job_total_s"] = time.time() - started
                result["model_ready_s"] = report["model_ready_s"]
                result["job_peak_rss_mb"] = rss
                result["report"] = report
            if baselines:
                values = [_message(k, float(s)) for k, s in zip(keys, scores, strict=True)]
                with LocalKafkaBroker(state / f"broker-raw-{run}") as broker:
                    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, **RAW_SETTINGS})
                    t = time.perf_counter()
                    _produce_all(producer, "bench-raw", keys, values)
                    result["raw_rows_per_s"] = entities / (time.perf_counter() - t)
                    del producer
                del values
                import pandas as pd

                frame = pd.DataFrame({"customer_id": keys, "score": scores})
                with LocalKafkaBroker(state / f"broker-loop-{run}") as broker:
                    producer = Producer({"bootstrap.servers": broker.bootstrap_servers, **RAW_SETTINGS})
                    t = time.perf_counter()
                    produce, poll = producer.produce, producer.poll
                    for _, row in frame.iterrows():
                        value = _message(row["customer_id"], float(row["score"]))
                        while True:
                            try:
                                produce("bench-loop", key=row["customer_id"], value=value, headers=HEADERS)
                                break
                            except BufferError:
                                poll(0.05)
                        poll(0)
                    producer.flush(300)
                    result["loop_rows_per_s"] = entities / (time.perf_counter() - t)
                    del producer
            out["runs"].append(result)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--output", type=Path, default=Path("bench-results/inference.json"))
    args = parser.parse_args()
    result = measure(args.entities, args.runs)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps([{k: v for k, v in r.items() if k != "report"} for r in result["runs"]], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
