"""Kafka: client settings (PLAINTEXT, SSL, SASL/SCRAM, MSK IAM), health checks, an acknowledged publisher."""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from ml_inference.settings import InferenceSettings
from ml_platform.errors import ConfigError, MLPlatformError

log = logging.getLogger(__name__)
SECRET_KEYS = ("sasl.password", "sasl.oauthbearer.client.secret")


class KafkaUnavailableError(MLPlatformError):
    """The brokers could not be reached, or the topic is missing."""


def _secret_password(settings: InferenceSettings) -> tuple[str, str]:
    """(username, password) from Secrets Manager: a plain string, or JSON with username/password."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client("secretsmanager", region_name=settings.aws_region or None)
    try:
        value = client.get_secret_value(SecretId=settings.kafka_sasl_secret_id)["SecretString"]
    except (ClientError, BotoCoreError) as exc:
        raise ConfigError(
            f"cannot read Kafka secret {settings.kafka_sasl_secret_id!r} from Secrets Manager: {exc}"
        ) from None
    try:
        doc = json.loads(value)
    except json.JSONDecodeError:
        return settings.kafka_sasl_username, value
    if not isinstance(doc, dict) or "password" not in doc:
        raise ConfigError(f"secret {settings.kafka_sasl_secret_id!r} is JSON without a 'password' key")
    return doc.get("username", settings.kafka_sasl_username), doc["password"]


def client_config(settings: InferenceSettings) -> dict[str, Any]:
    """librdkafka settings for the configured security; secrets never logged (see redacted())."""
    config: dict[str, Any] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol,
        "client.id": f"ml-platform-inference-{settings.environment}",
    }
    if settings.kafka_ssl_ca_location:
        config["ssl.ca.location"] = settings.kafka_ssl_ca_location
    if settings.kafka_security_protocol.startswith("SASL"):
        if settings.kafka_sasl_mechanism == "AWS_MSK_IAM":
            if settings.kafka_security_protocol != "SASL_SSL":
                raise ConfigError("kafka_sasl_mechanism=AWS_MSK_IAM needs kafka_security_protocol=SASL_SSL")
            config["sasl.mechanisms"] = "OAUTHBEARER"
            config["oauth_cb"] = msk_iam_token_callback(settings.aws_region)
        else:
            username, password = settings.kafka_sasl_username, settings.kafka_sasl_password
            if settings.kafka_sasl_secret_id:
                username, password = _secret_password(settings)
            if not username or not password:
                raise ConfigError(
                    f"kafka_security_protocol={settings.kafka_security_protocol} with {settings.kafka_sasl_mechanism} "
                    "needs kafka_sasl_username and a password (kafka_sasl_password or kafka_sasl_secret_id)"
                )
            config.update(
                {
                    "sasl.mechanisms": settings.kafka_sasl_mechanism,
                    "sasl.username": username,
                    "sasl.password": password,
                }
            )
    return config


def msk_iam_token_callback(region: str):
    """An ``oauth_cb`` producing Amazon MSK IAM tokens (aws-msk-iam-sasl-signer-python)."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    def callback(_config: str) -> tuple[str, float]:
        import boto3

        token, expiry_ms = MSKAuthTokenProvider.generate_auth_token(region or boto3.Session().region_name)
        return token, expiry_ms / 1000

    return callback


def redacted(config: dict[str, Any]) -> dict[str, Any]:
    return {
        k: ("***" if k in SECRET_KEYS else ("<callback>" if callable(v) else v)) for k, v in config.items()
    }


class KafkaHealthChecker:
    """Connectivity and topic checks, run before any scoring."""

    @staticmethod
    def check_connectivity(servers: str | dict[str, Any], timeout: float = 10.0) -> list[str]:
        """Broker ids and addresses reachable within ``timeout``; raises KafkaUnavailableError otherwise."""
        config = {"bootstrap.servers": servers} if isinstance(servers, str) else dict(servers)
        config.setdefault("socket.connection.setup.timeout.ms", int(timeout * 1000))
        admin = AdminClient(config)
        try:
            metadata = admin.list_topics(timeout=timeout)
        except KafkaException as exc:
            raise KafkaUnavailableError(
                f"Kafka brokers {config['bootstrap.servers']} not reachable within {timeout:.0f} s ({exc.args[0]}); "
                "check kafka_bootstrap_servers, the network and the security settings"
            ) from None
        return [f"{b.id}@{b.host}:{b.port}" for b in metadata.brokers.values()]

    @staticmethod
    def ensure_topic(
        config: dict[str, Any], topic: str, *, create: bool, partitions: int, timeout: float
    ) -> int:
        """Partition count of ``topic``; creates it only when ``create`` is set."""
        admin = AdminClient(config)
        metadata = admin.list_topics(timeout=timeout)
        found = metadata.topics.get(topic)
        if found is not None and found.error is None:
            return len(found.partitions)
        if not create:
            raise KafkaUnavailableError(
                f"Kafka topic {topic!r} does not exist on {config['bootstrap.servers']}; create it (infrastructure) "
                "or set kafka_create_topic=true"
            )
        futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=-1)])
        try:
            futures[topic].result(timeout)
        except KafkaException as exc:
            if exc.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise KafkaUnavailableError(
                    f"could not create Kafka topic {topic!r}: {exc.args[0]}"
                ) from None
        log.info("created Kafka topic %s with %d partitions", topic, partitions)
        return partitions


@dataclass
class DeliveryStats:
    produced: int = 0
    acknowledged: int = 0
    failed: int = 0
    first_error: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


class AcknowledgedPublisher:
    """Idempotent, acks=all producer that accounts for every message.

    librdkafka reports each message's delivery exactly once, success or failure, before the
    message leaves its queue. Successes are not passed to Python (``delivery.report.only.error``:
    a callback per message would cost more than producing it); failures are counted in the
    callback, and after :meth:`flush` every message is either acknowledged, failed, or still
    outstanding: ``acknowledged = produced - failed - outstanding``.
    """

    def __init__(self, config: dict[str, Any], settings: InferenceSettings):
        self.topic = settings.kafka_topic
        self.stats = DeliveryStats()
        self._producer = Producer(
            {
                **config,
                "enable.idempotence": True,
                "acks": "all",
                "compression.type": settings.kafka_compression,
                "linger.ms": settings.kafka_linger_ms,
                "batch.num.messages": 10_000,
                "queue.buffering.max.messages": 500_000,
                "queue.buffering.max.kbytes": 512 * 1024,
                "delivery.timeout.ms": int(settings.kafka_delivery_timeout_s * 1000),
                "delivery.report.only.error": True,
            }
        )

    def _on_delivery(self, err, _msg) -> None:
        if err is None:  # not reported with delivery.report.only.error; counted at flush
            return
        self.stats.failed += 1
        if not self.stats.first_error:
            self.stats.first_error = str(err)

    def produce_batch(self, keys: list[bytes], values: list[bytes], headers: list[tuple[str, bytes]]) -> None:
        produce, poll = self._producer.produce, self._producer.poll
        for key, value in zip(keys, values, strict=True):
            while True:
                try:
                    produce(self.topic, value=value, key=key, headers=headers, on_delivery=self._on_delivery)
                    break
                except BufferError:
                    poll(0.05)  # queue full: serve delivery reports, then retry
            self.stats.produced += 1
        poll(0)

    def flush(self, timeout: float) -> int:
        """Wait for every delivery report up to ``timeout``; returns how many are still outstanding."""
        deadline = time.monotonic() + timeout
        remaining = len(self._producer)
        while remaining and time.monotonic() < deadline:
            remaining = self._producer.flush(min(1.0, max(0.0, deadline - time.monotonic())))
        self._producer.poll(0)  # serve the last failure reports
        self.stats.acknowledged = self.stats.produced - self.stats.failed - remaining
        return remaining
