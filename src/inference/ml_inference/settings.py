"""Inference settings: one table, read from defaults < model spec < environment < job arguments (flags)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ml_platform import settings_table as st
from ml_platform.config import JobSettings, with_deployment_defaults
from ml_platform.errors import ConfigError
from ml_platform.model_specs import ModelSpec, load_job_model, resolve_spec_uri
from ml_platform.settings_table import Field

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("SCRAM-SHA-256", "SCRAM-SHA-512", "PLAIN", "AWS_MSK_IAM")
COMPRESSION = ("none", "gzip", "snappy", "lz4", "zstd")


def _as_of(value: str) -> datetime | None:
    return None if value.strip().lower() == "now" else st.optional_time(value)


def execution_time(value: str) -> datetime | None:
    """``Execution.StartDateTime`` as the pipeline substitutes it. The SageMaker docs and SDK
    name the variable (the execution's start time) but not its text form, so any ISO-8601 form
    Python reads and Unix seconds or milliseconds are taken."""
    text = value.strip()
    if text.isdigit():
        number = int(text)
        return datetime.fromtimestamp(number / 1000 if number > 10**11 else number, UTC)
    return st.optional_time(text)


@dataclass(frozen=True, kw_only=True)
class InferenceSettings(JobSettings):
    model_name: str = st.setting("", st.text, "registered model to score with (default: the spec's)")
    model_alias: str = st.setting(
        "champion", st.text, "registry alias to load (ignored when model_version is set)"
    )
    model_version: str = st.setting("", st.text, "load this version instead of the alias")
    model_stage: str = st.setting(
        "", st.text, "DEPRECATED: load the latest version in this stage (old registries only)"
    )
    entity_list_uri: str = st.setting(
        "",
        st.text,
        "file (Parquet/CSV, local or s3://) of the entities to score, with every key column (default: the spec's)",
    )
    as_of: datetime | None = st.setting(
        None,
        _as_of,
        "score with features as of this time; 'now' or empty: the execution start time, else now",
    )
    execution_start_time: datetime | None = st.setting(
        None, execution_time, "pipeline execution start (set by the pipeline); the default as_of"
    )
    batch_size: int = st.count(50_000, "rows per scoring batch")
    chunk_rows: int = st.count(
        500_000,  # 10M entities at 1M per pass peaked at 1.29-1.34 GB (make bench); the goal is 1.2
        "population read and scored per pass (bounds memory; larger populations take several passes)",
    )
    max_skipped_share: float = st.share(0.2, "fail when more of the population is skipped")
    threshold: float = st.share(0.5, "score at or above which predicted_label is 1")
    kafka_bootstrap_servers: str = st.setting("", st.text, "broker list host:port[,host:port]")

    kafka_topic: str = st.setting("", st.text, "topic the predictions go to (default: the spec's)")
    kafka_create_topic: bool = st.setting(
        False, st.boolean, "create the topic when missing (otherwise a missing topic is an error)"
    )
    kafka_topic_partitions: int = st.setting(
        6, st.integer, "partitions of a created topic", check=lambda v: v >= 1, requirement=">= 1"
    )
    kafka_security_protocol: str = st.setting(
        "PLAINTEXT", st.text, "security.protocol", choices=SECURITY_PROTOCOLS
    )
    kafka_sasl_mechanism: str = st.setting(
        "SCRAM-SHA-512",
        st.text,
        "SASL mechanism (AWS_MSK_IAM: OAUTHBEARER with MSK IAM tokens)",
        choices=SASL_MECHANISMS,
    )
    kafka_sasl_username: str = st.setting("", st.text, "SASL username")
    kafka_sasl_password: str = st.setting(
        "", st.text, "SASL password (prefer kafka_sasl_secret_id)", secret=True
    )
    kafka_sasl_secret_id: str = st.setting(
        "", st.text, "Secrets Manager id holding the password (plain or JSON with username/password)"
    )
    kafka_ssl_ca_location: str = st.setting("", st.text, "CA bundle for SSL")
    kafka_compression: str = st.setting("lz4", st.text, "compression.type", choices=COMPRESSION)
    kafka_linger_ms: int = st.setting(
        20, st.integer, "linger.ms (batching)", check=lambda v: v >= 0, requirement=">= 0"
    )
    kafka_connect_timeout_s: float = st.setting(
        10.0, st.number, "health check timeout", check=lambda v: v > 0, requirement="> 0"
    )
    kafka_delivery_timeout_s: float = st.setting(
        120.0,
        st.number,
        "delivery.timeout.ms per message, in seconds",
        check=lambda v: v > 0,
        requirement="> 0",
    )
    kafka_flush_timeout_s: float = st.setting(
        180.0, st.number, "final flush timeout", check=lambda v: v > 0, requirement="> 0"
    )
    aws_region: str = st.setting(
        "", st.text, "region for MSK IAM tokens and Secrets Manager (default: boto3's)"
    )
    pipeline_execution_id: str = st.setting("", st.text, "lineage: pipeline execution, sent as a header")
    spec: ModelSpec  # the model spec the values above were resolved against


FIELDS: tuple[Field, ...] = st.table(InferenceSettings)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    st.add_arguments(parser, FIELDS, "inference settings (flag > MLP_<NAME> env > model spec > default)")


def resolve(
    *, flags: Mapping[str, Any] | None = None, env: Mapping[str, str] | None = None
) -> InferenceSettings:
    """Settings from flags > ``MLP_<NAME>`` > the model spec > defaults."""
    env = os.environ if env is None else env
    first = st.resolve_table(InferenceSettings, flags=flags, env=env, spec=None)
    if not first.model:
        raise ConfigError("model is not set: pass --model or MLP_MODEL (models/<model>.yaml)")
    spec = load_job_model(first.model, sha256=first.model_spec_sha256, env=env)
    from_spec = spec.inference_values(first.environment)
    if spec.entity_list_uri and not first.entity_list_uri:
        from_spec["entity_list_uri"] = resolve_spec_uri(
            spec,
            spec.entity_list_uri,
            what="entity list is",
            data_uri=first.data_uri,
            environment=first.environment,
            hint="--data-uri or MLP_DATA_URI, or entity_list_uri to name the file",
        )
    settings = st.resolve_table(InferenceSettings, flags=flags, env=env, spec_values=from_spec, spec=spec)
    if not settings.kafka_bootstrap_servers:
        raise ConfigError(
            "kafka_bootstrap_servers is not set: pass --kafka-bootstrap-servers or MLP_KAFKA_BOOTSTRAP_SERVERS"
        )
    return with_deployment_defaults(settings, env)
