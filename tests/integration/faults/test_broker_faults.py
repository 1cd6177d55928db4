"""Broker faults while the inference job publishes, against a real broker process (noida-db).

* SIGTERM mid-run, back 2 s later: every prediction acknowledged, exactly once.
* SIGKILL mid-run, not back: the job fails and its report and message say exactly how many
  predictions were not acknowledged.
* Re-run of the same as_of after that failure: the whole population again with the same keys;
  (key, model_version, features_as_of) identifies a prediction, so consumers can de-duplicate.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import threading
import time
import uuid
from collections import defaultdict

import pytest

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.specs import SpecRegistry
from ml_platform_local.broker import LocalKafkaBroker
from ml_platform_local.churn_data import current_population
from tests.conftest import SPECS_DIR
from tests.integration.conftest import LocalPlatform
from tests.integration.inference.test_inference_job import AS_OF, consume_all, inference_command, publish_args

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ENTITIES = 60_000
BATCH = "2000"  # 30 batches: the broker goes down after the first is queued


@pytest.fixture(scope="module")
def large_platform(local_platform, tmp_path_factory) -> LocalPlatform:
    """A feature store with ENTITIES current entities (publishing takes seconds, not milliseconds)."""
    state = tmp_path_factory.mktemp("large-platform")
    store = LocalFeatureStore(SpecRegistry.from_directory(SPECS_DIR), state / "feature-store")
    for group, rows in current_population(ENTITIES, as_of=AS_OF).items():
        store.ingest(group, rows)
    return LocalPlatform(state, local_platform.labels)


class Job:
    """The inference job as a subprocess whose log lines are watched as they come."""

    def __init__(self, platform: LocalPlatform, champion, root, *args: str):
        self.lines: list[str] = []
        self.first_batch_queued = threading.Event()
        self.root = root
        self.process = subprocess.Popen(
            inference_command(root, *args),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=platform.env(champion),
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "scored and queued" in line:
                self.first_batch_queued.set()

    def wait(self, timeout: float = 300) -> tuple[int, dict, str]:
        code = self.process.wait(timeout=timeout)
        time.sleep(0.2)  # let the reader take the last lines
        report = json.loads((self.root / "processing" / "output" / "run_report.json").read_text())
        return code, report, "".join(self.lines)


def job_args(broker: LocalKafkaBroker, topic: str, *extra: str) -> list[str]:
    return publish_args(broker.bootstrap_servers, topic, "--batch-size", BATCH, *extra)


def test_broker_restarted_mid_run_loses_nothing_and_duplicates_nothing(large_platform, champion, tmp_path):
    topic = f"faults-{uuid.uuid4().hex[:8]}"
    broker = LocalKafkaBroker(tmp_path / "kafka").start()
    try:
        job = Job(large_platform, champion, tmp_path / "root", *job_args(broker, topic))
        assert job.first_batch_queued.wait(180), "".join(job.lines)[-3000:]
        outage = time.monotonic()
        broker.stop(signal.SIGTERM)
        time.sleep(2.0)
        broker = LocalKafkaBroker(tmp_path / "kafka", port=broker.port).start()
        outage = time.monotonic() - outage
        code, report, output = job.wait()
        assert code == 0, output[-3000:]
        assert report["status"] == "succeeded"
        assert report["produced"] == report["acknowledged"] == ENTITIES and report["not_acknowledged"] == 0
        # The outage fell inside the publishing phase, not after it.
        assert report["publish_s"] >= outage * 0.9
        keys = [m.key().decode() for m in consume_all(broker.bootstrap_servers, topic)]
        assert len(keys) == len(set(keys)) == ENTITIES  # none lost, none twice (idempotent producer)
    finally:
        broker.stop()


def test_broker_killed_fails_with_the_exact_count_and_a_rerun_republishes_the_same_keys(
    large_platform, champion, tmp_path
):
    topic = f"faults-{uuid.uuid4().hex[:8]}"
    data = tmp_path / "kafka"
    broker = LocalKafkaBroker(data).start()
    port = broker.port
    try:
        job = Job(
            large_platform,
            champion,
            tmp_path / "run-1",
            *job_args(broker, topic, "--kafka-delivery-timeout-s", "5", "--kafka-flush-timeout-s", "20"),
        )
        assert job.first_batch_queued.wait(180), "".join(job.lines)[-3000:]
        broker.kill()
        code, report, output = job.wait()
        assert code == 1
        assert report["status"] == "failed"
        assert report["produced"] == ENTITIES
        missing = report["not_acknowledged"]
        assert missing > 0 and report["acknowledged"] + missing == ENTITIES
        expected = f"{missing} of {ENTITIES} predictions were not acknowledged by Kafka"
        assert expected in output
        message = (tmp_path / "run-1" / "output" / "message").read_text()
        assert expected in message and "re-run for the same as_of" in message
        assert '"status": "succeeded"' not in output

        # Re-run for the same as_of on the broker back up: the whole population again.
        broker = LocalKafkaBroker(data, port=port).start()
        rerun = Job(large_platform, champion, tmp_path / "run-2", *job_args(broker, topic))
        code, report, output = rerun.wait()
        assert code == 0, output[-3000:]
        assert report["acknowledged"] == ENTITIES
        predictions: dict[tuple, set] = defaultdict(set)
        for msg in consume_all(broker.bootstrap_servers, topic):
            value = json.loads(msg.value())
            assert value["entity_id"] == msg.key().decode()
            predictions[(value["entity_id"], value["model_version"], value["features_as_of"])].add(
                value["score"]
            )
        # De-duplicated by (key, model_version, features_as_of): every entity once, one score each.
        assert len(predictions) == ENTITIES
        assert {len(scores) for scores in predictions.values()} == {1}
        assert re.search(r'"acknowledged": 60000', output)
    finally:
        broker.stop()
