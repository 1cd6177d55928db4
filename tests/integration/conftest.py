"""Real servers for integration tests: moto (AWS control plane, S3) and the Feature Store runtime emulator."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator

import boto3
import pytest
from moto.server import ThreadedMotoServer

from ml_platform.specs import FeatureGroupSpec, SpecRegistry
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
