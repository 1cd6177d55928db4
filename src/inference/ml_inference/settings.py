"""Inference settings: one table, read from defaults < model spec < environment < job arguments (flags)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ml_platform import settings_table as st
from ml_platform.errors import ConfigError
from ml_platform.model_specs import ModelSpec, load_job_model, resolve_template
from ml_platform.settings_table import Field

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "AWS_MSK_IAM")
COMPRESSION = ("none", "gzip", "snappy", "lz4", "zstd")


def _as_of(value: str) -> datetime | None:
    return None if value.strip().lower() == "now" else st.optional_time(value)


FIELDS: tuple[Field, ...] = (
    Field("model", st.text, "", "model spec to score (models/<model>.yaml)"),
    Field("model_spec_sha256", st.text, "", "expected sha256 of the model spec file (set by the pipeline)"),
    Field("environment", st.text, "local", "environment name", ("local", "staging", "prod")),
    Field("data_uri", st.text, "", "the environment's data location: {data_uri} in the spec's URIs"),
    Field("model_name", st.text, "", "registered model to score with (default: the spec's)"),
    Field("model_alias", st.text, "champion", "registry alias to load (ignored when model_version is set)"),
    Field("model_version", st.text, "", "load this version instead of the alias"),
    Field(
        "model_stage", st.text, "", "DEPRECATED: load the latest version in this stage (old registries only)"
    ),
    Field(
        "mlflow_tracking_uri",
        st.text,
        "",
        "sqlite:///..., http(s)://... or a SageMaker MLflow ARN (default: local SQLite)",
    ),
    Field(
        "entity_list_uri",
        st.text,
        "",
        "file (Parquet/CSV, local or s3://) of the entities to score, with every key column (default: the spec's)",
    ),
    Field(
        "as_of",
        _as_of,
        None,
        "score with features as of this time; 'now' or empty: the execution start time, else now",
    ),
    Field(
        "execution_start_time",
        st.optional_time,
        None,
        "pipeline execution start (set by the pipeline); the default as_of",
    ),
    Field(
        "batch_size", st.integer, 50_000, "rows per scoring batch", check=lambda v: v >= 1, requirement=">= 1"
    ),
    Field(
        "chunk_rows",
        st.integer,
        1_000_000,
        "population read and scored per pass (bounds memory; larger populations take several passes)",
        check=lambda v: v >= 1,
        requirement=">= 1",
    ),
    Field(
        "max_skipped_share",
        st.number,
        0.2,
        "fail when more of the population is skipped",
        check=lambda v: 0 <= v <= 1,
        requirement="in [0, 1]",
    ),
    Field(
        "threshold",
        st.number,
        0.5,
        "score at or above which predicted_label is 1",
        check=lambda v: 0 <= v <= 1,
        requirement="in [0, 1]",
    ),
    Field("kafka_bootstrap_servers", st.text, "", "broker list host:port[,host:port]"),
    Field("kafka_topic", st.text, "", "topic the predictions go to (default: the spec's)"),
    Field(
        "kafka_create_topic",
        st.boolean,
        False,
        "create the topic when missing (otherwise a missing topic is an error)",
    ),
    Field(
        "kafka_topic_partitions",
        st.integer,
        6,
        "partitions of a created topic",
        check=lambda v: v >= 1,
        requirement=">= 1",
    ),
    Field("kafka_security_protocol", st.text, "PLAINTEXT", "security.protocol", SECURITY_PROTOCOLS),
    Field(
        "kafka_sasl_mechanism",
        st.text,
        "SCRAM-SHA-512",
        "SASL mechanism (AWS_MSK_IAM: OAUTHBEARER with MSK IAM tokens)",
        SASL_MECHANISMS,
    ),
    Field("kafka_sasl_username", st.text, "", "SASL username"),
    Field("kafka_sasl_password", st.text, "", "SASL password (prefer kafka_sasl_secret_id)", secret=True),
    Field(
        "kafka_sasl_secret_id",
        st.text,
        "",
        "Secrets Manager id holding the password (plain or JSON with username/password)",
    ),
    Field("kafka_ssl_ca_location", st.text, "", "CA bundle for SSL"),
    Field("kafka_compression", st.text, "lz4", "compression.type", COMPRESSION),
    Field(
        "kafka_linger_ms", st.integer, 20, "linger.ms (batching)", check=lambda v: v >= 0, requirement=">= 0"
    ),
    Field(
        "kafka_connect_timeout_s",
        st.number,
        10.0,
        "health check timeout",
        check=lambda v: v > 0,
        requirement="> 0",
    ),
    Field(
        "kafka_delivery_timeout_s",
        st.number,
        120.0,
        "delivery.timeout.ms per message, in seconds",
        check=lambda v: v > 0,
        requirement="> 0",
    ),
    Field(
        "kafka_flush_timeout_s",
        st.number,
        180.0,
        "final flush timeout",
        check=lambda v: v > 0,
        requirement="> 0",
    ),
    Field("aws_region", st.text, "", "region for MSK IAM tokens and Secrets Manager (default: boto3's)"),
    Field("pipeline_execution_id", st.text, "", "lineage: pipeline execution, sent as a header"),
)


@dataclass(frozen=True, kw_only=True)
class InferenceSettings:
    model: str
    model_spec_sha256: str
    environment: str
    data_uri: str
    model_name: str
    model_alias: str
    model_version: str
    model_stage: str
    mlflow_tracking_uri: str
    entity_list_uri: str
    as_of: datetime | None
    execution_start_time: datetime | None
    batch_size: int
    chunk_rows: int
    max_skipped_share: float
    threshold: float
    kafka_bootstrap_servers: str
    kafka_topic: str
    kafka_create_topic: bool
    kafka_topic_partitions: int
    kafka_security_protocol: str
    kafka_sasl_mechanism: str
    kafka_sasl_username: str
    kafka_sasl_password: str = field(repr=False)
    kafka_sasl_secret_id: str
    kafka_ssl_ca_location: str
    kafka_compression: str
    kafka_linger_ms: int
    kafka_connect_timeout_s: float
    kafka_delivery_timeout_s: float
    kafka_flush_timeout_s: float
    aws_region: str
    pipeline_execution_id: str
    spec: ModelSpec  # the model spec the values above were resolved against


def add_arguments(parser: argparse.ArgumentParser) -> None:
    st.add_arguments(parser, FIELDS, "inference settings (flag > MLP_<NAME> env > default)")


def resolve(
    *, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> InferenceSettings:
    """Settings from flags > ``MLP_<NAME>`` > the model spec > defaults."""
    env = os.environ if env is None else env
    first = st.resolve_table(InferenceSettings, FIELDS, flags=flags, env=env, spec=None)
    if not first.model:
        raise ConfigError("model is not set: pass --model or MLP_MODEL (models/<model>.yaml)")
    spec = load_job_model(first.model, sha256=first.model_spec_sha256, env=env)
    from_spec = spec.inference_values(first.environment)
    if spec.entity_list_uri and not first.entity_list_uri:
        if "{data_uri}" in spec.entity_list_uri and not first.data_uri:
            raise ConfigError(
                f"the entity list of model {spec.name} is at {spec.entity_list_uri!r}, but data_uri is not set: "
                "pass --data-uri or MLP_DATA_URI, or entity_list_uri to name the file"
            )
        from_spec["entity_list_uri"] = resolve_template(
            spec.entity_list_uri, data_uri=first.data_uri, environment=first.environment
        )
    settings = st.resolve_table(
        InferenceSettings, FIELDS, flags=flags, env=env, spec_values=from_spec, spec=spec
    )
    if not settings.kafka_bootstrap_servers:
        raise ConfigError(
            "kafka_bootstrap_servers is not set: pass --kafka-bootstrap-servers or MLP_KAFKA_BOOTSTRAP_SERVERS"
        )
    return settings
