"""Read what a run published: a topic from its beginning, in a consumer group of its own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from confluent_kafka import Consumer, KafkaException, Message


def read_topic(
    bootstrap: str,
    topic: str,
    *,
    keep: Callable[[Message], bool] = lambda _: True,
    expected: int | None = None,
    idle_seconds: float = 5.0,
    timeout: float = 120.0,
) -> list[Message]:
    """The messages of ``topic`` that ``keep`` accepts, from offset 0. Stops at ``expected``
    messages, after ``idle_seconds`` without one, or at ``timeout``; a broker error raises."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"read-{uuid.uuid4().hex[:12]}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    kept: list[Message] = []
    deadline, last = time.monotonic() + timeout, time.monotonic()
    try:
        while time.monotonic() < deadline and time.monotonic() - last < idle_seconds:
            if expected is not None and len(kept) >= expected:
                break
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            last = time.monotonic()
            if keep(msg):
                kept.append(msg)
    finally:
        consumer.close()
    return kept
