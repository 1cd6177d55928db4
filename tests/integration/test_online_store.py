"""The online store contract (write, get, batch get, delete), one test for both backends:
local (SQLite) and SageMaker (the real boto3 client against the Feature Store runtime emulator)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ml_platform.errors import RecordValidationError
from ml_platform.feature_store import FeatureStore
from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.feature_store.sagemaker import SageMakerFeatureStore
from tests.factories import billing, hours_ago

pytestmark = pytest.mark.integration
GROUP = "customer_billing"


@pytest.fixture(params=["local", "sagemaker"])
def store(request, specs, tmp_path) -> FeatureStore:
    if request.param == "local":
        return LocalFeatureStore(specs, tmp_path / "fs")
    prefix = request.getfixturevalue("deployed_groups")
    return SageMakerFeatureStore(specs, group_name_prefix=prefix, max_workers=4, max_attempts=4)


def test_written_records_come_back_typed(store):
    written = hours_ago(2)
    store.ingest(GROUP, billing(["C1", "C2"], [written, written], [10.25, 20.0]))
    assert store.get_record(GROUP, "C1") == {
        "customer_id": "C1",
        "event_time": written.replace("Z", ".000Z"),  # ingest stores the canonical millisecond form
        "monthly_charges": 10.25,
        "late_payments_90d": 1,
        "payment_method": "card",
        "discount_pct": None,
    }
    assert store.get_record(GROUP, "C404") is None


def test_an_older_event_time_never_overwrites_a_newer_one(store):
    store.ingest(GROUP, billing(["C1"], [hours_ago(1)], [1.0]))
    store.ingest(GROUP, billing(["C1"], [hours_ago(9)], [9.0]))
    assert store.get_record(GROUP, "C1")["monthly_charges"] == 1.0


def test_batch_get_returns_every_found_id_and_leaves_out_the_missing(store):
    ids = [f"C{i:04d}" for i in range(250)]  # more than one SageMaker batch of 100
    store.ingest(GROUP, billing(ids, [hours_ago(1)] * 250, [float(i) for i in range(250)]))
    found = store.batch_get_records(GROUP, [*ids, "missing"])
    assert sorted(found) == ids
    assert {i: r["monthly_charges"] for i, r in found.items()} == {f"C{i:04d}": float(i) for i in range(250)}


def test_delete_removes_only_that_record(store):
    store.ingest(GROUP, billing(["C1", "C2"], [hours_ago(3)] * 2, [1.0, 2.0]))
    store.delete_record(GROUP, "C1", datetime.now(UTC).replace(microsecond=0))
    assert store.get_record(GROUP, "C1") is None
    assert store.get_record(GROUP, "C2")["monthly_charges"] == 2.0


def test_a_bad_row_writes_nothing(store):
    bad = billing(["C1", None], [hours_ago(1)] * 2, [1.0, 2.0])
    with pytest.raises(RecordValidationError, match=r"row 2, column 'customer_id'"):
        store.ingest(GROUP, bad)
    assert store.batch_get_records(GROUP, ["C1"]) == {}
