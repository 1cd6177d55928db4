"""Kafka security settings: SCRAM passwords from Secrets Manager (moto), MSK IAM tokens, redaction."""

from __future__ import annotations

import base64
import json
import shutil

import boto3
import mlflow
import pytest
from mlflow import MlflowClient

from ml_inference.kafka_io import client_config, redacted
from ml_inference.model_registry import resolve_version
from ml_inference.settings import resolve

pytestmark = pytest.mark.integration

BASE = {"MLP_MODEL": "churn", "MLP_KAFKA_BOOTSTRAP_SERVERS": "b-1.example:9096"}


def test_scram_password_from_secrets_manager_json(aws):
    arn = boto3.client("secretsmanager").create_secret(
        Name="kafka/ml-platform", SecretString=json.dumps({"username": "svc-ml", "password": "from-secret"})
    )["ARN"]
    settings = resolve(
        env={**BASE, "MLP_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "MLP_KAFKA_SASL_SECRET_ID": arn}
    )
    config = client_config(settings)
    assert config["sasl.mechanisms"] == "SCRAM-SHA-512"
    assert (config["sasl.username"], config["sasl.password"]) == ("svc-ml", "from-secret")
    assert redacted(config)["sasl.password"] == "***"
    assert "from-secret" not in repr(settings) + json.dumps(redacted(config))


def test_plain_secret_string_and_missing_secret(aws):
    boto3.client("secretsmanager").create_secret(Name="kafka/plain", SecretString="plain-pw")
    env = {**BASE, "MLP_KAFKA_SECURITY_PROTOCOL": "SASL_SSL", "MLP_KAFKA_SASL_USERNAME": "u"}
    config = client_config(resolve(env={**env, "MLP_KAFKA_SASL_SECRET_ID": "kafka/plain"}))
    assert config["sasl.password"] == "plain-pw"
    with pytest.raises(Exception, match="cannot read Kafka secret 'kafka/absent'"):
        client_config(resolve(env={**env, "MLP_KAFKA_SASL_SECRET_ID": "kafka/absent"}))


def test_sasl_without_password_is_a_clear_error():
    with pytest.raises(Exception, match="needs kafka_sasl_username and a password"):
        client_config(resolve(env={**BASE, "MLP_KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}))


def test_msk_iam_uses_oauthbearer_with_signed_tokens(aws):
    settings = resolve(
        env={
            **BASE,
            "MLP_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "MLP_KAFKA_SASL_MECHANISM": "AWS_MSK_IAM",
            "MLP_AWS_REGION": "us-east-1",
        }
    )
    config = client_config(settings)
    assert config["sasl.mechanisms"] == "OAUTHBEARER"
    token, expiry = config["oauth_cb"]("")
    decoded = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    assert "kafka-cluster" in decoded and "X-Amz-Signature" in decoded
    assert expiry > 0
    assert redacted(config)["oauth_cb"] == "<callback>"
    with pytest.raises(Exception, match="needs kafka_security_protocol=SASL_SSL"):
        client_config(
            resolve(
                env={
                    **BASE,
                    "MLP_KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
                    "MLP_KAFKA_SASL_MECHANISM": "AWS_MSK_IAM",
                }
            )
        )


def test_deprecated_stage_still_loads(champion, tmp_path):
    db = tmp_path / "copy.db"
    shutil.copy(champion, db)
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    client = MlflowClient()
    with pytest.warns(FutureWarning):
        client.transition_model_version_stage("churn-classifier", "1", "Production")
    settings = resolve(env={**BASE, "MLP_MODEL_STAGE": "Production"})
    with pytest.warns(DeprecationWarning, match="model_stage is deprecated"):
        assert str(resolve_version(client, settings).version) == "1"
