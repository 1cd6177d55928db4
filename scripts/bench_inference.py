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
import resource
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


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--output", type=Path, default=Path("bench-results/inference.json"))
    args = parser.parse_args()

    from confluent_kafka import Producer

    from ml_platform.local_broker import LocalKafkaBroker

    with tempfile.TemporaryDirectory(prefix="mlp-bench-inf-") as tmp:
        state = Path(tmp)
        t0 = time.perf_counter()
        build_store(state, args.entities)
        env = {
            **os.environ,
            "MLP_STATE_DIR": str(state),
            "MLP_FEATURE_SPECS_DIR": str(REPO / "feature_groups"),
            "MLP_MLFLOW_TRACKING_URI": f"sqlite:///{state / 'mlflow.db'}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        train = subprocess.run(
            [
                sys.executable,
                "-m",
                "ml_training",
                "--sagemaker-root",
                str(state / "train"),
                "--labels-uri",
                str(state / "labels.parquet"),
                "--n-estimators",
                "100",
                "--max-depth",
                "10",
            ],
            env={**env, "MLP_FEATURE_STORE_ROOT": str(state / "train-store")},
            capture_output=True,
            text=True,
            check=False,
        )
        if train.returncode != 0:
            print(train.stderr[-3000:], file=sys.stderr)
            return 1
        print(
            f"data: {args.entities:,} entities x 3 groups; model: RandomForest(100 trees); setup {time.perf_counter() - t0:.0f} s"
        )
        with LocalKafkaBroker(state / "broker") as broker:
            common = [
                "--kafka-bootstrap-servers",
                broker.bootstrap_servers,
                "--kafka-create-topic",
                "true",
                "--as-of",
                AS_OF.isoformat(),
                "--sagemaker-root",
                str(state / "inf"),
            ]
            job = subprocess.run(
                [sys.executable, "-m", "ml_inference", *common, "--kafka-topic", "bench-job"],
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            peak_rss_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
            if job.returncode != 0:
                print(job.stderr[-3000:], file=sys.stderr)
                return 1
            report = json.loads((state / "inf" / "processing" / "output" / "run_report.json").read_text())

            # The same messages, pre-built, through a bare producer (the ceiling).
            from ml_inference.kafka_io import AcknowledgedPublisher
            from ml_inference.settings import resolve

            settings = resolve(
                env={"MLP_KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers, "MLP_KAFKA_TOPIC": "bench-raw"}
            )
            n = report["acknowledged"]
            rng = np.random.default_rng(0)
            keys = [f"B{i:08d}" for i in range(n)]
            scores = rng.random(n)
            values = [
                json.dumps(
                    {
                        "schema_version": 1,
                        "entity_id": k,
                        "score": round(float(s), 6),
                        "predicted_label": int(s >= 0.5),
                        "model_name": "churn-classifier",
                        "model_version": "1",
                        "mlflow_run_id": "0" * 32,
                        "features_as_of": "2026-06-30T00:00:00.000000Z",
                        "scored_at": "2026-06-30T00:00:00.000000Z",
                    }
                )
                for k, s in zip(keys, scores, strict=True)
            ]
            raw = AcknowledgedPublisher({"bootstrap.servers": broker.bootstrap_servers}, settings)
            t = time.perf_counter()
            raw.produce_batch(keys, values, [])
            raw.flush(300)
            raw_seconds = time.perf_counter() - t

            # Per-row loop: iterrows -> json.dumps -> produce.
            import pandas as pd

            frame = pd.DataFrame({"customer_id": keys, "score": scores})
            producer = Producer(
                {
                    "bootstrap.servers": broker.bootstrap_servers,
                    "enable.idempotence": True,
                    "acks": "all",
                    "compression.type": "lz4",
                    "linger.ms": 20,
                }
            )
            t = time.perf_counter()
            for _, row in frame.iterrows():
                value = json.dumps(
                    {
                        "schema_version": 1,
                        "entity_id": row["customer_id"],
                        "score": float(row["score"]),
                        "predicted_label": int(row["score"] >= 0.5),
                        "model_name": "churn-classifier",
                        "model_version": "1",
                    }
                )
                while True:
                    try:
                        producer.produce("bench-loop", key=row["customer_id"], value=value)
                        break
                    except BufferError:
                        producer.poll(0.05)
                producer.poll(0)
            producer.flush(300)
            loop_seconds = time.perf_counter() - t

    job_rate = report["acknowledged"] / report["seconds"]
    raw_rate = n / raw_seconds
    loop_rate = n / loop_seconds
    print(f"\n{'measure':44} {'rows/s':>10} {'vs raw':>8} {'vs loop':>8}")
    print(
        f"{'ml-inference end to end (features->ack)':44} {job_rate:10,.0f} {job_rate / raw_rate:8.2f} {job_rate / loop_rate:8.2f}"
    )
    print(
        f"{'raw confluent-kafka producer (ceiling)':44} {raw_rate:10,.0f} {1:8.2f} {raw_rate / loop_rate:8.2f}"
    )
    print(
        f"{'per-row loop (iterrows->json.dumps->produce)':44} {loop_rate:10,.0f} {loop_rate / raw_rate:8.2f} {1:8.2f}"
    )
    print(
        f"\nml-inference: {report['acknowledged']:,} acknowledged in {report['seconds']:.1f} s, peak RSS {peak_rss_mb:,.0f} MB"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "entities": args.entities,
                "job_rows_per_s": job_rate,
                "raw_rows_per_s": raw_rate,
                "loop_rows_per_s": loop_rate,
                "job_peak_rss_mb": peak_rss_mb,
                "job_report": report,
            },
            indent=2,
        )
    )
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
