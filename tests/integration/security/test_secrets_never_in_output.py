"""Kafka passwords and tokens never reach logs, reports or failure messages, even at DEBUG."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest

from ml_platform_local.broker import free_port
from tests.integration.inference.test_inference_job import run_inference

pytestmark = pytest.mark.integration

# How a leaked MSK IAM token would look: a base64url presigned URL of kafka.<region>.amazonaws.com.
TOKEN_MARKERS = (
    "X-Amz-Signature",
    "X-Amz-Credential",
    "kafka-cluster%3AConnect",
    "aHR0cHM6Ly9rYWZr",
)  # last: base64url of "https://kaf"


def everything(result, root) -> str:
    files = "".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())
    return result.stdout + result.stderr + files


def run_secured(platform, champion, root, bootstrap: str, security: tuple[str, str], *more, env_extra=None):
    """The job with this Kafka (security protocol, SASL mechanism) and ``more`` flags, at DEBUG; it
    fails at the connectivity check."""
    return run_inference(
        platform,
        champion,
        root,
        "--kafka-bootstrap-servers",
        bootstrap,
        "--kafka-security-protocol",
        security[0],
        "--kafka-sasl-mechanism",
        security[1],
        *more,
        "--kafka-connect-timeout-s",
        "3",
        "--log-level",
        "DEBUG",
        env_extra=env_extra,
    )


def test_a_scram_password_is_never_written(local_platform, champion, kafka_broker, tmp_path):
    password = "pw-" + uuid.uuid4().hex
    result = run_secured(
        local_platform,
        champion,
        tmp_path,
        kafka_broker.bootstrap_servers,
        ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
        "--kafka-sasl-username",
        "svc",
        env_extra={"MLP_KAFKA_SASL_PASSWORD": password},
    )
    assert "sasl.password': '***'" in result.stderr
    assert password not in everything(result, tmp_path)


def test_a_password_from_secrets_manager_is_never_written(aws, local_platform, champion, tmp_path):
    password = "sm-" + uuid.uuid4().hex
    boto3.client("secretsmanager").create_secret(
        Name="kafka/ml-platform", SecretString=json.dumps({"username": "svc", "password": password})
    )
    result = run_secured(
        local_platform,
        champion,
        tmp_path,
        f"127.0.0.1:{free_port()}",
        ("SASL_PLAINTEXT", "SCRAM-SHA-512"),
        "--kafka-sasl-secret-id",
        "kafka/ml-platform",
    )
    assert result.returncode == 1
    # The secret was read (the run got as far as connecting), and only its mask was logged.
    assert "not reachable within 3 s" in result.stderr
    assert "'sasl.username': 'svc'" in result.stderr and "'sasl.password': '***'" in result.stderr
    assert password not in everything(result, tmp_path)


def test_msk_iam_tokens_are_never_written(aws, local_platform, champion, tmp_path):
    result = run_secured(
        local_platform,
        champion,
        tmp_path,
        f"127.0.0.1:{free_port()}",
        ("SASL_SSL", "AWS_MSK_IAM"),
    )
    assert result.returncode == 1
    assert "'oauth_cb': '<callback>'" in result.stderr
    output = everything(result, tmp_path)
    assert [m for m in TOKEN_MARKERS if m in output] == []
