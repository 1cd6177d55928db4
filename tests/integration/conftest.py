"""Real servers for integration tests: moto (AWS control plane, S3) and the Feature Store runtime emulator."""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.feature_store.records import read_input_file
from ml_platform.specs import FeatureGroupSpec, SpecRegistry
from ml_platform_local.broker import LocalKafkaBroker
from ml_platform_local.churn_data import GROUPS, write_demo_data
from tests import zygote
from tests.conftest import MODELS_DIR, SPECS_DIR, built_once
from tests.emulators.featurestore_runtime import FeatureStoreRuntimeEmulator

REGION = "us-east-1"
ROLE_ARN = "arn:aws:iam::123456789012:role/ml-platform-test-feature-store"


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="session")
def featurestore_runtime(moto_endpoint) -> Iterator[FeatureStoreRuntimeEmulator]:
    emulator = FeatureStoreRuntimeEmulator(moto_endpoint, REGION).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def aws(moto_endpoint, featurestore_runtime, monkeypatch) -> Iterator[str]:
    """Fresh moto state and an environment that routes boto3 (and our S3 reads) to the emulators."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_endpoint}/moto-api/reset", method="POST")).close()
    featurestore_runtime.reset()
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ENDPOINT_URL": moto_endpoint,
        "AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME": featurestore_runtime.endpoint,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    yield moto_endpoint


def create_feature_group(spec: FeatureGroupSpec, *, prefix: str, bucket: str) -> None:
    """What terraform/modules/feature_store does in AWS, done against moto for tests."""
    online: dict = {"EnableOnlineStore": spec.online_store_enabled}
    if spec.ttl is not None:
        online["TtlDuration"] = {"Unit": "Seconds", "Value": int(spec.ttl.total_seconds())}
    boto3.client("sagemaker").create_feature_group(
        FeatureGroupName=f"{prefix}{spec.name}",
        RecordIdentifierFeatureName=spec.record_identifier_feature,
        EventTimeFeatureName=spec.event_time_feature,
        FeatureDefinitions=[{"FeatureName": f.name, "FeatureType": f.type} for f in spec.features],
        OnlineStoreConfig=online,
        OfflineStoreConfig={
            "S3StorageConfig": {"S3Uri": f"s3://{bucket}/feature-store"},
            "DisableGlueTableCreation": True,
        },
        RoleArn=ROLE_ARN,
        Description=spec.description,
    )


@pytest.fixture
def deployed_groups(aws, specs: SpecRegistry) -> str:
    """The repository's feature groups created in moto under the prefix ``it-``; returns the prefix."""
    bucket = "ml-platform-it-offline-store"
    boto3.client("s3").create_bucket(Bucket=bucket)
    for spec in specs.values():
        create_feature_group(spec, prefix="it-", bucket=bucket)
    return "it-"


# -- a local platform: demo data in a local feature store, MLflow on SQLite, a Kafka broker --

END = date(2026, 9, 30)


@dataclass
class LocalPlatform:
    state: Path
    labels: Path

    def env(self, mlflow_db: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLP_")}
        env.update(
            MLP_STATE_DIR=str(self.state),
            MLP_FEATURE_SPECS_DIR=str(SPECS_DIR),
            MLP_MODEL_SPECS_DIR=str(MODELS_DIR),
            MLP_MODEL="churn",
            MLP_MLFLOW_TRACKING_URI=f"sqlite:///{mlflow_db}",
            MLP_LABELS_URI=str(self.labels),
            MLFLOW_DISABLE_TELEMETRY="true",
        )
        return env

    def train(
        self,
        root: Path,
        mlflow_db: Path,
        *args: str,
        hyperparameters: dict | None = None,
        env_extra: dict[str, str] | None = None,
    ):
        if hyperparameters is not None:
            config = root / "input" / "config"
            config.mkdir(parents=True, exist_ok=True)
            (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
        return zygote.run(
            [sys.executable, "-m", "ml_training", "train", "--sagemaker-root", str(root), *args],
            env=self.env(mlflow_db) | (env_extra or {}),
            timeout=300,
        )


@pytest.fixture(scope="session")
def local_platform(tmp_path_factory) -> LocalPlatform:
    state = tmp_path_factory.mktemp("platform")
    paths = write_demo_data(state / "demo", n_customers=1500, end=END)
    store = LocalFeatureStore(SpecRegistry.from_directory(SPECS_DIR), state / "feature-store")
    for group in GROUPS:
        store.ingest(group, read_input_file(paths[group]))
    return LocalPlatform(state, paths["labels"])


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory) -> Iterator[LocalKafkaBroker]:
    """A real Kafka-protocol broker process on 127.0.0.1 (noida-db), shared by the session."""
    broker = LocalKafkaBroker(tmp_path_factory.mktemp("kafka")).start()
    yield broker
    broker.stop()


@pytest.fixture(scope="session")
def champion(local_platform, tmp_path_factory) -> Path:
    """An MLflow SQLite registry holding a trained churn model with alias 'champion'; returns the db path.

    Trained once per run (every worker's platform holds the same generated data); each worker gets
    its own copy of the database, since runs log to it, and they share the artifacts folder (runs
    write under their own ids)."""

    def train(work: Path) -> None:
        result = local_platform.train(
            work / "root", work / "mlflow.db", "--n-estimators", "30", "--max-depth", "8"
        )
        assert result.returncode == 0, result.stderr[-3000:]

    trained = built_once(tmp_path_factory, "champion", train)
    db = tmp_path_factory.mktemp("champion") / "mlflow.db"
    shutil.copy(trained / "mlflow.db", db)
    return db
