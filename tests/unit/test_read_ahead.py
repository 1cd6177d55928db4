"""read_ahead: the inference job's overlap of scoring and publishing."""

from __future__ import annotations

import threading
import time

import pytest

from ml_inference.read_ahead import read_ahead

pytestmark = pytest.mark.unit


def test_items_arrive_in_order_and_are_computed_ahead():
    computed: list[int] = []

    def slow():
        for i in range(6):
            computed.append(i)
            yield i

    seen = []
    for item in read_ahead(slow(), depth=2):
        time.sleep(0.05)  # the consumer is slower: the producer runs ahead, bounded by depth
        seen.append((item, len(computed)))
    assert [i for i, _ in seen] == list(range(6))
    assert seen[0][1] >= 2, "the next items were computed while the first was consumed"
    assert all(n <= i + 1 + 2 + 1 for i, n in seen), "never more than depth items ahead"


def test_a_producer_error_is_raised_in_the_consumer_after_the_good_items():
    def failing():
        yield 1
        yield 2
        raise ValueError("model input has 3 columns, expected 4")

    got = []
    with pytest.raises(ValueError, match="expected 4"):
        for item in read_ahead(failing()):
            got.append(item)
    assert got == [1, 2]


def test_stopping_early_stops_the_thread():
    produced = []

    def endless():
        i = 0
        while True:
            produced.append(i)
            yield i
            i += 1

    before = threading.active_count()
    with pytest.raises(RuntimeError):
        for item in read_ahead(endless(), depth=1):
            if item == 3:
                raise RuntimeError("broker down")
    assert threading.active_count() == before
    assert len(produced) <= 3 + 1 + 1 + 1
