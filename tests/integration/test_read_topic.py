"""read_topic, which the demo and the tests read published runs with, on the real broker."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic

from ml_platform_local.topics import read_topic

pytestmark = pytest.mark.integration


def _topic_with(bootstrap: str, keys: list[str], partitions: int = 3) -> str:
    topic = f"read-topic-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})  # held: its futures die with it
    for future in admin.create_topics(
        [NewTopic(topic, num_partitions=partitions, replication_factor=1)]
    ).values():
        future.result(timeout=30)
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for key in keys:
        producer.produce(topic, key=key, value=b"{}")
    assert producer.flush(30) == 0
    return topic


def test_reads_every_partition_to_its_end_without_waiting_for_silence(kafka_broker):
    keys = [f"k{i}" for i in range(50)]
    topic = _topic_with(kafka_broker.bootstrap_servers, keys)
    start = time.monotonic()
    messages = read_topic(kafka_broker.bootstrap_servers, topic, idle_seconds=60, timeout=60)
    assert sorted(m.key().decode() for m in messages) == sorted(keys)
    assert len({m.partition() for m in messages}) > 1
    # it stopped at the end offsets, not after 60 s of silence or at the timeout
    assert time.monotonic() - start < 60


def test_keep_and_expected_select_and_stop(kafka_broker):
    topic = _topic_with(kafka_broker.bootstrap_servers, [f"k{i}" for i in range(20)])
    kept = read_topic(kafka_broker.bootstrap_servers, topic, keep=lambda m: m.key().endswith(b"7"))
    assert sorted(m.key() for m in kept) == [b"k17", b"k7"]
    assert len(read_topic(kafka_broker.bootstrap_servers, topic, expected=5)) == 5


def test_a_topic_that_does_not_exist_holds_nothing(kafka_broker):
    start = time.monotonic()
    assert read_topic(kafka_broker.bootstrap_servers, f"absent-{uuid.uuid4().hex[:8]}", idle_seconds=60) == []
    assert time.monotonic() - start < 60
