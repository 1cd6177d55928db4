#!/usr/bin/env python3
"""Benchmark: batch inference end to end vs. the raw producer and a per-row loop, on one broker.

Builds a local feature store with N entities (one current record per group, real specs),
trains and registers a model on a small sample, starts a local broker, then measures:

* ``ml-inference``  - the job as a subprocess in the inference app's own environment (as its
                      image runs it): features -> score -> every message acknowledged (rows/s
                      from its run report), its model-ready time and its peak RSS;
* ``raw producer``  - the same messages, pre-built in memory, through a bare confluent-kafka
                      producer with the same settings (the ceiling);
* ``per-row loop``  - scores computed once, then ``iterrows`` -> ``json.dumps`` -> ``produce``;
* scoring alone     - the registered model's ONNX file in onnxruntime against its native
                      (scikit-learn / LightGBM) copy, on the same rows.

Each run measures the job, then the raw producer, then the loop, so each ratio is taken within
one run (one machine state), pair by pair.

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
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ml_platform_local.runner import app_run

REPO = Path(__file__).resolve().parents[1]
AS_OF = datetime(2026, 6, 30, tzinfo=UTC)


def _local_store(root: Path):
    from ml_platform.feature_store.local import LocalFeatureStore
    from ml_platform.specs import SpecRegistry

    return LocalFeatureStore(SpecRegistry.from_directory(REPO / "feature_groups"), root)


def build_store(state: Path, entities: int, seed: int = 3) -> None:
    """The scored population: ``entities`` current entities in a local feature store."""
    from ml_platform_local.churn_data import current_population

    store = _local_store(state / "feature-store")
    for group, rows in current_population(entities, as_of=AS_OF, seed=seed).items():
        store.ingest(group, rows)


def train_model(home: Path, model: str, seed: int = 3) -> None:
    """``model`` trained and registered under ``home`` (a 2,000-customer sample store, its labels,
    the SageMaker-style root and the MLflow database), once for every measurement that scores it."""
    from ml_platform_local.churn_data import GROUPS, generate

    home.mkdir(parents=True, exist_ok=True)
    sample = generate(2000, seed=seed, end=AS_OF.date())
    store = _local_store(home / "train-store")
    for group in GROUPS:
        store.ingest(group, sample[group])
    sample["labels"].write_parquet(home / "labels.parquet")
    train = subprocess.run(
        [sys.executable, "-m", "ml_training", "--sagemaker-root", str(home / "train"),
         "--labels-uri", str(home / "labels.parquet"), *MODELS[model]],
        env={**_job_env(home, home), "MLP_FEATURE_STORE_ROOT": str(home / "train-store")},
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if train.returncode != 0:
        raise RuntimeError(train.stderr[-3000:])


def _job_env(state: Path, home: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"},  # uv run picks the app's own
        "MLP_STATE_DIR": str(state),
        "MLP_FEATURE_SPECS_DIR": str(REPO / "feature_groups"),
        "MLP_MODEL_SPECS_DIR": str(REPO / "models"),
        "MLP_MODEL": "churn",  # the bundled example the benchmark data is shaped like
        "MLP_MLFLOW_TRACKING_URI": f"sqlite:///{home / 'mlflow.db'}",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }


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


def _produce(producer, topic: str, key: str, value: str) -> None:
    """One produce, waiting for queue space (BufferError) as every producer here does."""
    while True:
        try:
            producer.produce(topic, value=value, key=key, headers=HEADERS)
            return
        except BufferError:
            producer.poll(0.05)


def _flush(producer, what: str) -> None:
    if producer.flush(300):
        raise RuntimeError(f"{what}: messages left unacknowledged")


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


def _run_job(state: Path, env: dict[str, str], run: int) -> dict:
    """The job as a subprocess on a fresh broker: rows/s from features to the last ack, its own peak RSS."""
    from ml_platform_local.broker import LocalKafkaBroker

    with LocalKafkaBroker(state / f"broker-job-{run}") as broker:
        started = time.time()
        log_path = state / f"job-{run}.log"
        with log_path.open("w") as log:
            job = subprocess.Popen(
                [*app_run(REPO, "inference"), "python", "-m", "ml_inference",
                 "--kafka-bootstrap-servers", broker.bootstrap_servers,
                 "--kafka-create-topic", "true", "--as-of", AS_OF.isoformat(),
                 "--sagemaker-root", str(state / "inf"), "--kafka-topic", "bench-job"],
                env=env, stdout=subprocess.DEVNULL, stderr=log,
            )  # fmt: skip
            status = job.wait()
        if status != 0:
            raise RuntimeError(log_path.read_text()[-3000:])
        report = json.loads((state / "inf" / "processing" / "output" / "run_report.json").read_text())
    return {
        "job_rows_per_s": report["acknowledged"] / (report["features_s"] + report["publish_s"]),
        "job_total_s": time.time() - started,
        "model_ready_s": report["model_ready_s"],
        # From the job's report (VmHWM): wait4's ru_maxrss would count this big process's memory
        # inherited at fork, before the job's exec.
        "job_peak_rss_mb": report["peak_rss_mb"],
        "report": report,
    }


def _run_raw(state: Path, run: int, keys: list[str], scores: np.ndarray) -> float:
    """Rows/s of a bare producer sending the pre-built messages (the ceiling)."""
    from confluent_kafka import Producer

    from ml_platform_local.broker import LocalKafkaBroker

    values = [_message(k, float(s)) for k, s in zip(keys, scores, strict=True)]
    with LocalKafkaBroker(state / f"broker-raw-{run}") as broker:
        producer = Producer({"bootstrap.servers": broker.bootstrap_servers, **RAW_SETTINGS})
        t = time.perf_counter()
        for key, value in zip(keys, values, strict=True):
            _produce(producer, "bench-raw", key, value)
        _flush(producer, "raw producer")
        seconds = time.perf_counter() - t
        del producer  # closed before its broker stops
    return len(keys) / seconds


def _run_loop(state: Path, run: int, keys: list[str], scores: np.ndarray) -> float:
    """Rows/s of the per-row baseline: iterrows -> json.dumps -> produce."""
    import pandas as pd
    from confluent_kafka import Producer

    from ml_platform_local.broker import LocalKafkaBroker

    frame = pd.DataFrame({"customer_id": keys, "score": scores})
    with LocalKafkaBroker(state / f"broker-loop-{run}") as broker:
        producer = Producer({"bootstrap.servers": broker.bootstrap_servers, **RAW_SETTINGS})
        t = time.perf_counter()
        for _, row in frame.iterrows():
            _produce(
                producer, "bench-loop", row["customer_id"], _message(row["customer_id"], float(row["score"]))
            )
            producer.poll(0)
        _flush(producer, "per-row loop")
        seconds = time.perf_counter() - t
        del producer
    return len(keys) / seconds


MODELS = {
    "random_forest": ("--estimator", "random_forest", "--n-estimators", "100", "--max-depth", "10"),
    "lightgbm": ("--estimator", "lightgbm", "--n-estimators", "300"),
}


def score_alone(home: Path, entities: int) -> dict:
    """Seconds to score the same rows with the ONNX file (the job's way) and with the native model."""
    import polars as pl

    from ml_platform.model_format import MODEL_FILE, MODEL_FOLDER, ONNX_FILE, load_skops
    from ml_platform.model_input import model_features, onnx_feed, to_model_input
    from ml_platform.model_specs import load_job_model
    from ml_platform.onnx_scoring import OnnxScorer
    from ml_platform.specs import SpecRegistry
    from ml_platform_local.churn_data import current_population

    groups = current_population(entities, as_of=AS_OF, seed=4)
    frame = pl.concat([g.drop("customer_id", "event_time") for g in groups.values()], how="horizontal")
    dirs = {
        "MLP_MODEL_SPECS_DIR": str(REPO / "models"),
        "MLP_FEATURE_SPECS_DIR": str(REPO / "feature_groups"),
    }
    spec = load_job_model("churn", env=dirs)
    features = model_features(SpecRegistry.from_directory(REPO / "feature_groups"), spec.selection)
    folder = home / "train" / "model" / MODEL_FOLDER
    onnx, native = OnnxScorer(folder / ONNX_FILE, "bench"), load_skops(folder / MODEL_FILE, "bench")
    t = time.perf_counter()
    got = onnx.positive(onnx_feed(frame, features))
    onnx_s = time.perf_counter() - t
    t = time.perf_counter()
    expected = native.predict_proba(to_model_input(frame, features))[:, 1]
    native_s = time.perf_counter() - t
    return {
        "onnx_score_s": onnx_s,
        "native_score_s": native_s,
        "max_abs_diff": float(np.abs(got - expected).max()),
    }


def measure(entities: int, runs: int, *, home: Path, model: str, baselines: bool = True) -> dict:
    """Build the population once; per run: the job, the raw producer and the loop, each on a fresh
    broker, scoring the model trained under ``home`` (train_model)."""
    out: dict = {"entities": entities, "model": model, "runs": []}
    with tempfile.TemporaryDirectory(prefix="mlp-bench-inf-") as tmp:
        state = Path(tmp)
        t0 = time.perf_counter()
        build_store(state, entities)
        env = _job_env(state, home)
        out["setup_s"] = time.perf_counter() - t0
        keys = [f"B{i:08d}" for i in range(entities)] if baselines else []
        scores = np.random.default_rng(0).random(entities) if baselines else np.empty(0)
        for run in range(runs):
            result = _run_job(state, env, run)
            if baselines:
                result["raw_rows_per_s"] = _run_raw(state, run, keys, scores)
                result["loop_rows_per_s"] = _run_loop(state, run, keys, scores)
            out["runs"].append(result)
        if baselines:
            out["scoring"] = score_alone(home, entities)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--model", choices=sorted(MODELS), default="random_forest")
    parser.add_argument("--output", type=Path, default=Path("bench-results/inference.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlp-bench-model-") as home:
        train_model(Path(home), args.model)
        result = measure(args.entities, args.runs, home=Path(home), model=args.model)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps([{k: v for k, v in r.items() if k != "report"} for r in result["runs"]], indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
