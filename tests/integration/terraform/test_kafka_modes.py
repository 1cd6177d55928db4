"""Kafka security modes, from an environment's tfvars to the job and the role (plan JSON vs moto).

For staging and prod and each mode (no SASL, SASL/SCRAM with an AmazonMSK_ secret, MSK IAM): the
schedules and generate_params_json.py pass the same Kafka parameters, the definition maps them into
the job's environment, and the role's Kafka policy grants exactly the mode's actions on the ARNs
the settings name (topics derived here from the model specs).
"""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.conftest import REPO_ROOT
from tests.integration.terraform.test_terraform import (
    WITH_OPTIONS,
    filled_tfvars,
    needs_mirror,
    parameter_differences,
    planned,
    schedule_parameters,
    shared_plan,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def example_value(environment: str, key: str) -> str:
    """``key`` in the environment's example terraform.tfvars, filled in as a user would."""
    return re.search(rf'(?m)^{key}\s*=\s*"(.*)"', filled_tfvars(environment, {})).group(1)


# The examples' own values (staging's example is MSK IAM, prod's SASL/SCRAM), so that each
# environment's example mode is its example configuration and shares that plan.
CLUSTER = example_value("staging", "kafka_cluster_arn")
SECRET = example_value("prod", "kafka_secret_arn")
SECRET_KEY = example_value("prod", "kafka_secret_kms_key_arn")
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


def mode_settings(mode: str, environment: str) -> dict[str, str]:
    """MODES[mode] as settings for ``environment``: an empty value that the example leaves out
    stays out (those variables default to ""), so the example's mode plans the example's text."""
    example = filled_tfvars(environment, {})
    return {k: v for k, v in MODES[mode].items() if v or re.search(rf"(?m)^{k}\s*=", example)}


def check_mode(aws: str, tmp_path_factory, tmp_path, environment: str, mode: str) -> None:
    """Plan ``environment`` in ``mode``; the job gets the settings, the role exactly the actions.
    (Prod's modes run from test_kafka_modes_prod.py, so another xdist worker plans them.)"""
    settings = MODES[mode]
    repo, plan = shared_plan(tmp_path_factory, aws, environment, **mode_settings(mode, environment))
    after = planned(plan)

    # Schedules and manual runs agree, parameter for parameter, in this mode too.
    assert parameter_differences(plan, repo, environment, tmp_path / "params") == []
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
def test_each_kafka_mode_reaches_the_job_and_grants_exactly_its_actions(
    aws, tmp_path_factory, tmp_path, mode
):
    check_mode(aws, tmp_path_factory, tmp_path, "staging", mode)


@needs_mirror
def test_a_created_topic_adds_create_topic_on_the_same_topics(aws, tmp_path_factory):
    # staging's example mode is MSK IAM; WITH_OPTIONS sets kafka_create_topic
    _, plan = shared_plan(tmp_path_factory, aws, "staging", **WITH_OPTIONS)
    after = planned(plan)
    policy = next(v for k, v in after.items() if k.endswith("aws_iam_role_policy.kafka[0]"))
    topic_statement = next(s for s in json.loads(policy["policy"])["Statement"] if s["Sid"] == "KafkaTopics")
    assert "kafka-cluster:CreateTopic" in topic_statement["Action"]
    assert len(topic_statement["Resource"]) == len(topics("staging"))
