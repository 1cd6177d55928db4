#!/usr/bin/env python3
"""The local demo (`make demo`): the real pipeline definitions, run on this machine, for every model.

Starts a local Kafka broker, generates and ingests each example model's demo data into the
local feature store, runs pipelines/training.json then pipelines/inference.json for each model
of models/ with parameters from generate_params_json (environment `local`), consumes each
model's topic and prints one summary per model.
No AWS account, no Docker. State lives in $MLP_STATE_DIR (default .mlplatform/); nothing
is left running afterwards, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from ml_platform.config import FeatureStoreSettings, state_dir
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.logs import configure_logging
from ml_platform_local.broker import LocalKafkaBroker
from ml_platform_local.demos import DEMOS, prepare
from ml_platform_local.params import build_execution_request, write_request
from ml_platform_local.runner import run_pipeline
from ml_platform_local.topics import read_topic

REPO = Path(__file__).resolve().parents[1]


def prepare_data(state: Path) -> Path:
    """Each example model's demo data in <state>/demo-data/<model>/, ingested once."""
    data_dir = state / "demo-data"
    marker = data_dir / ".ingested"
    if marker.is_file():
        print(f"[data] demo data already in the local feature store ({marker.read_text().strip()})")
        return data_dir
    store = open_feature_store(FeatureStoreSettings.from_env(backend="local"))
    for model in DEMOS:
        print(f"[data] generating the {model} demo data into {data_dir / model}")
        prepare(model, data_dir / model, store, log=lambda line: print(f"[data] {line}"))
    marker.write_text(time.strftime("%Y-%m-%d %H:%M:%S"))
    return data_dir


def run_model(model: str, broker_servers: str, state: Path, data_dir: Path, training: list[str]) -> dict:
    """Train, then score, one model through the pipeline definitions; its figures for the summary.
    ``training``: NAME=VALUE parameters of the training run (e.g. TrainingOverrides)."""
    params_dir, work = state / "parameters", state / "runs"
    settings = {"data_uri": str(data_dir)}
    print(f"\n[{model}] training: pipelines/training.json")
    request = build_execution_request(REPO, "training", "local", training, model=model, settings=settings)
    write_request(request, params_dir, "training", "local", model)
    trained = run_pipeline(REPO / "pipelines" / "training.json", request, work=work, repo=REPO)
    result = json.loads(
        (work / trained.execution_id / "TrainModel" / "algo-1" / "model" / "training_result.json").read_text()
    )
    print(f"\n[{model}] batch inference: pipelines/inference.json")
    overrides = [f"KafkaBootstrapServers={broker_servers}", "KafkaCreateTopic=true"]
    request = build_execution_request(REPO, "inference", "local", overrides, model=model, settings=settings)
    write_request(request, params_dir, "inference", "local", model)
    inference = run_pipeline(REPO / "pipelines" / "inference.json", request, work=work, repo=REPO)
    reports = [
        json.loads(p.read_text())
        for p in sorted(
            (work / inference.execution_id / "BatchInference").glob(
                "algo-*/processing/output/run_report.json"
            )
        )
    ]
    acknowledged = sum(r["acknowledged"] for r in reports)
    topic = reports[0]["topic"]
    mine = inference.execution_id.encode()
    messages = read_topic(
        broker_servers,
        topic,
        keep=lambda m: dict(m.headers() or []).get("pipeline_execution_id") == mine,
        expected=acknowledged,
        timeout=60,
    )
    return {"model": model, "result": result, "reports": reports, "topic": topic, "messages": messages}


def gate_of(model_name: str, version: str) -> dict[str, str]:
    """The PromoteModel step's decision, as it recorded it on the version's run (gate.* tags)."""
    import mlflow
    from mlflow import MlflowClient

    from ml_platform.tracking import TrackingSettings

    mlflow.set_tracking_uri(TrackingSettings.from_env().uri)
    client = MlflowClient()
    tags = client.get_run(client.get_model_version(model_name, version).run_id).data.tags
    return {k.removeprefix("gate."): v for k, v in tags.items() if k.startswith("gate.")}


def drift_line(report: dict) -> str:
    """The run's feature drift: its status and the three largest PSIs."""
    top = sorted(report["drift"].items(), key=lambda item: -item[1]["psi"])[:3]
    shown = ", ".join(f"{name} {d['psi']:.3f}" for name, d in top)
    return f"{report['drift_status']}" + (f": largest PSI {shown}" if top else "")


def summary(run: dict) -> bool:
    """Print one model's summary; False when not every acknowledged prediction was consumed back."""
    result, reports, messages = run["result"], run["reports"], run["messages"]
    metrics, gate = result["metrics"], gate_of(result["model_name"], result["model_version"])
    produced = sum(r["produced"] for r in reports)
    acknowledged = sum(r["acknowledged"] for r in reports)
    skipped = sum(r["skipped_missing"] + r["skipped_expired"] for r in reports)
    print("\n" + "=" * 72)
    print(
        f"{run['model']:<12} {result['model_name']} v{result['model_version']}  "
        f"ROC-AUC {metrics['roc_auc']:.3f}  F1 {metrics['f1']:.3f}  accuracy {metrics['accuracy']:.3f}"
    )
    kept = "kept champion v" + gate["champion_version"]
    print(f"gate         {'PROMOTED to champion' if gate['promoted'] == 'True' else kept}: {gate['reason']}")
    print(
        f"predictions  {produced:,} produced, {acknowledged:,} acknowledged by Kafka, "
        f"{len(messages):,} consumed back from '{run['topic']}'"
    )
    print(
        f"population   {sum(r['rows_read'] for r in reports):,} entities, {skipped:,} skipped "
        "(no current record in the anchor group)"
    )
    print(f"drift        {drift_line(reports[0])}")
    print(f"archive      {sum(r['archived'] for r in reports):,} rows in {reports[0]['archive_uri']}")
    for msg in messages[:3]:
        print(f"  {msg.key().decode()} -> {msg.value().decode()}")
    if len(messages) != acknowledged:
        print(f"error: consumed {len(messages)} messages, expected {acknowledged}", file=sys.stderr)
        return False
    return True


def run(broker_servers: str, state: Path, models: list[str], training: list[str]) -> int:
    data_dir = prepare_data(state)
    runs = [run_model(model, broker_servers, state, data_dir, training) for model in models]
    ok = all([summary(r) for r in runs])
    db = state / "mlflow" / "mlflow.db"
    print("=" * 72)
    print(f"MLflow UI    make mlflow-ui   (the runs and models in {db})")
    return 0 if ok else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            "To see the gate promote a challenger, in a state folder of its own:\n"
            '  MLP_STATE_DIR=/tmp/mlp-gate make demo ARGS="--model churn --training-overrides '
            '\'{\\"n_estimators\\": 10, \\"max_depth\\": 3}\'"\n'
            '  MLP_STATE_DIR=/tmp/mlp-gate make demo ARGS="--model churn"\n'
            "The first trains a weak forest (holdout ROC-AUC 0.817), the first champion; the second trains\n"
            "the spec's model (0.824), which beats it on the same holdout: 'PROMOTED to champion'. A model\n"
            "is promoted only when it beats the champion (models/<model>.yaml promotion): re-running the\n"
            "demo in one folder keeps the champion, because the same data trains the same model."
        ),
    )
    parser.add_argument(
        "--model", choices=sorted(DEMOS), action="append", help="only this model (repeatable; default: all)"
    )
    parser.add_argument(
        "--training-overrides",
        metavar="JSON",
        help="training settings over the spec's for this run (the TrainingOverrides parameter), e.g. '{\"n_estimators\": 400}'",
    )
    parser.add_argument(
        "--kafka-bootstrap-servers",
        default=os.environ.get("MLP_KAFKA_BOOTSTRAP_SERVERS", ""),
        help="use this broker instead of starting a local one (env MLP_KAFKA_BOOTSTRAP_SERVERS)",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    models = args.model or list(DEMOS)
    training = [f"TrainingOverrides={args.training_overrides}"] if args.training_overrides else []
    configure_logging("WARNING")
    started = time.monotonic()
    state = state_dir()
    state.mkdir(parents=True, exist_ok=True)
    given = args.kafka_bootstrap_servers
    try:
        if given:
            print(f"[kafka] using the broker at {given}")
            code = run(given, state, models, training)
        else:
            with LocalKafkaBroker(state / "kafka") as broker:
                print(f"[kafka] local broker at {broker.bootstrap_servers} (stopped when the demo ends)")
                code = run(broker.bootstrap_servers, state, models, training)
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
