"""Read what a run published: a topic from its beginning to the end it has when the read starts."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Message, TopicPartition


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    keep: Callable[[Message], bool] = lambda _: True,
    expected: int | None = None,
    idle_seconds: float = 5.0,
    timeout: float = 120.0,
) -> list[Message]:
    """The messages of ``topic`` that ``keep`` accepts, from offset 0 of every partition.

    Stops once every partition is read up to its end offset as of the start (the high
    watermark: what the broker acknowledged), at ``expected`` kept messages, after
    ``idle_seconds`` without a message, or at ``timeout``. A topic that does not exist holds
    nothing; a broker error raises."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4().hex[:12]}",
            "enable.auto.commit": False,
        }
    )
    try:
        ends = _end_offsets(consumer, topic)
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p, end in ends.items() if end > 0])
        return _read(
            consumer,
            ends,
            keep=keep,
            expected=expected,
            idle_seconds=idle_seconds,
            deadline=time.monotonic() + timeout,
        )
    finally:
        consumer.close()


def _end_offsets(consumer: Consumer, topic: str) -> dict[int, int]:
    metadata = consumer.list_topics(topic, timeout=30).topics.get(topic)
    if metadata is None or metadata.error is not None or not metadata.partitions:
        return {}
    return {
        p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
        for p in metadata.partitions
    }


def _read(
    consumer: Consumer,
    ends: dict[int, int],
    *,
    keep: Callable[[Message], bool],
    expected: int | None,
    idle_seconds: float,
    deadline: float,
) -> list[Message]:
    kept: list[Message] = []
    reached: dict[int, int] = {}  # partition -> next offset to read
    last = time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - last < idle_seconds:
        if all(reached.get(p, 0) >= end for p, end in ends.items()):
            break
        if expected is not None and len(kept) >= expected:
            break
        msg = consumer.poll(0.2)
        if msg is None:
            continue
        if msg.error():
            raise KafkaException(msg.error())
        last = time.monotonic()
        reached[msg.partition()] = msg.offset() + 1
        if keep(msg):
            kept.append(msg)
    return kept
