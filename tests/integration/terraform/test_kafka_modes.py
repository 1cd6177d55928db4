"""Kafka security modes, from an environment's tfvars to the job and the role (plan JSON vs moto).

For staging and prod and each mode (no SASL, SASL/SCRAM with an AmazonMSK_ secret, MSK IAM): the
schedules and generate_params_json.py pass the same Kafka parameters, the definition maps them into
the job's environment, and the role's Kafka policy grants exactly the mode's actions on the ARNs
the settings name (topics derived here from the model specs).
"""

from __future__ import annotations

import json

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.integration.terraform.test_terraform import (
    MOTO_ACCOUNT,
    filled_copy,
    needs_mirror,
    parameter_differences,
    plan_json,
    planned,
    schedule_parameters,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLUSTER = f"arn:aws:kafka:us-east-1:{MOTO_ACCOUNT}:cluster/events/5a6b7c8d-1234"
SECRET = f"arn:aws:secretsmanager:us-east-1:{MOTO_ACCOUNT}:secret:AmazonMSK_ml-platform-AbCdEf"
SECRET_KEY = f"arn:aws:kms:us-east-1:{MOTO_ACCOUNT}:key/0a1b2c3d-0000-1111-2222-333344445555"
MODES = {
    "none": {
        "kafka_security_protocol": "SSL",
        "kafka_sasl_mechanism": "",
        "kafka_cluster_arn": "",
        "kafka_secret_arn": "",
        "kafka_secret_kms_key_arn": "",
    },
    "scram": {
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "SCRAM-SHA-512",
        "kafka_cluster_arn": "",
        "kafka_secret_arn": SECRET,
        "kafka_secret_kms_key_arn": SECRET_KEY,
    },
    "iam": {
        "kafka_security_protocol": "SASL_SSL",
        "kafka_sasl_mechanism": "AWS_MSK_IAM",
        "kafka_cluster_arn": CLUSTER,
        "kafka_secret_arn": "",
        "kafka_secret_kms_key_arn": "",
    },
}
# The job's settings each Kafka parameter reaches (MLP_<setting> of ml_inference.settings).
JOB_ENVIRONMENT = {
    "MLP_KAFKA_SECURITY_PROTOCOL": "KafkaSecurityProtocol",
    "MLP_KAFKA_SASL_MECHANISM": "KafkaSaslMechanism",
    "MLP_KAFKA_SASL_SECRET_ID": "KafkaSaslSecretId",
    "MLP_AWS_REGION": "AwsRegion",
}


def topics(environment: str) -> list[str]:
    specs = [yaml.safe_load(p.read_text()) for p in sorted((REPO_ROOT / "models").glob("*.yaml"))]
    return sorted(s["inference"]["kafka_topic"].replace("{environment}", environment) for s in specs)


def expected_statements(mode: str, environment: str) -> list[dict]:
    """The Kafka policy each mode needs, from the MSK and Secrets Manager documentation."""
    if mode == "iam":
        topic_arns = [f"{CLUSTER.replace(':cluster/', ':topic/')}/{t}" for t in topics(environment)]
        return [
            {"Sid": "KafkaCluster", "Actions": {"kafka-cluster:Connect", "kafka-cluster:WriteDataIdempotently"},
             "Resources": {CLUSTER}, "Condition": None},
            {"Sid": "KafkaTopics", "Actions": {"kafka-cluster:DescribeTopic", "kafka-cluster:WriteData"},
             "Resources": set(topic_arns), "Condition": None},
        ]  # fmt: skip
    if mode == "scram":
        via = {"StringEquals": {"kms:ViaService": "secretsmanager.us-east-1.amazonaws.com"}}
        return [
            {"Sid": "KafkaSecret", "Actions": {"secretsmanager:GetSecretValue"}, "Resources": {SECRET},
             "Condition": None},
            {"Sid": "KafkaSecretKey", "Actions": {"kms:Decrypt"}, "Resources": {SECRET_KEY}, "Condition": via},
        ]  # fmt: skip
    return []


def as_sets(statement: dict) -> dict:
    def listed(value):
        return set(value if isinstance(value, list) else [value])

    assert statement["Effect"] == "Allow"
    return {
        "Sid": statement["Sid"],
        "Actions": listed(statement["Action"]),
        "Resources": listed(statement["Resource"]),
        "Condition": statement.get("Condition"),
    }


def check_mode(aws: str, tmp_path, environment: str, mode: str) -> None:
    """Plan ``environment`` in ``mode``; the job gets the settings, the role exactly the actions.
    (Prod's modes run from test_kafka_modes_prod.py, so another xdist worker plans them.)"""
    settings = MODES[mode]
    root = filled_copy(tmp_path, aws, environment, **settings)
    plan = plan_json(root, tmp_path / "data")
    after = planned(plan)

    # Schedules and manual runs agree, parameter for parameter, in this mode too.
    assert parameter_differences(plan, tmp_path, environment, tmp_path / "params") == []
    expected = {
        "KafkaSecurityProtocol": settings["kafka_security_protocol"],
        "KafkaSaslMechanism": settings["kafka_sasl_mechanism"],
        "KafkaSaslSecretId": settings["kafka_secret_arn"],
        "AwsRegion": "us-east-1",
    }
    for name, parameters in schedule_parameters(plan).items():
        if name.endswith("-inference"):
            # An empty setting is left out; the definition's default ("") then applies.
            assert {k: parameters.get(k, "") for k in expected} == expected, name

    # The definition hands each parameter to the job as its MLP_* setting.
    definitions = [
        json.loads(v["pipeline_definition"]) for k, v in after.items() if "aws_sagemaker_pipeline" in k
    ]
    inference = next(d for d in definitions if d["Metadata"]["ml-platform/pipeline"] == "inference")
    job_env = inference["Steps"][0]["Arguments"]["Environment"]
    assert {k: job_env[k] for k in JOB_ENVIRONMENT} == {
        k: {"Get": f"Parameters.{v}"} for k, v in JOB_ENVIRONMENT.items()
    }

    policies = [v for k, v in after.items() if k.endswith("aws_iam_role_policy.kafka[0]")]
    if mode == "none":
        assert policies == []
        return
    assert len(policies) == 1 and policies[0]["role"] == f"ml-platform-{environment}-sagemaker-execution"
    statements = [as_sets(s) for s in json.loads(policies[0]["policy"])["Statement"]]
    assert sorted(statements, key=lambda s: s["Sid"]) == expected_statements(mode, environment)


@needs_mirror
@pytest.mark.parametrize("mode", list(MODES))
def test_each_kafka_mode_reaches_the_job_and_grants_exactly_its_actions(aws, tmp_path, mode):
    check_mode(aws, tmp_path, "staging", mode)


@needs_mirror
def test_a_created_topic_adds_create_topic_on_the_same_topics(aws, tmp_path):
    root = filled_copy(tmp_path, aws, "staging", **MODES["iam"], kafka_create_topic="true")
    after = planned(plan_json(root, tmp_path / "data"))
    policy = next(v for k, v in after.items() if k.endswith("aws_iam_role_policy.kafka[0]"))
    topic_statement = next(s for s in json.loads(policy["policy"])["Statement"] if s["Sid"] == "KafkaTopics")
    assert "kafka-cluster:CreateTopic" in topic_statement["Action"]
    assert len(topic_statement["Resource"]) == len(topics("staging"))
