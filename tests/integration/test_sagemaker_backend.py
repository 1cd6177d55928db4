"""The sagemaker backend through the real boto3 client: moto + the Feature Store runtime emulator."""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl
import pytest

from ml_inference.population import scoring_frame
from ml_platform.errors import FeatureStoreError, RecordValidationError
from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.feature_store.offline import write_offline
from ml_platform.feature_store.records import validate_records
from ml_platform.feature_store.sagemaker import SageMakerFeatureStore
from ml_platform_local.churn_data import GROUPS, generate
from tests.factories import billing, hours_ago

pytestmark = pytest.mark.integration


@pytest.fixture
def store(specs, deployed_groups) -> SageMakerFeatureStore:
    return SageMakerFeatureStore(specs, group_name_prefix=deployed_groups, max_workers=4, max_attempts=4)


def test_put_and_get_records_typed(store, featurestore_runtime):
    store.ingest("customer_billing", billing(["C1", "C2"], [hours_ago(2), hours_ago(2)], [10.25, 20.0]))
    assert featurestore_runtime.calls["PUT FeatureGroup"] == 2
    record = store.get_record("customer_billing", "C1")
    assert record["monthly_charges"] == 10.25
    assert record["late_payments_90d"] == 1
    assert record["discount_pct"] is None  # null features are not sent
    assert store.get_record("customer_billing", "C404") is None


def test_batch_get_chunks_by_100(store, featurestore_runtime):
    ids = [f"C{i:04d}" for i in range(250)]
    store.ingest("customer_billing", billing(ids, [hours_ago(1)] * 250, [float(i) for i in range(250)]))
    found = store.batch_get_records("customer_billing", [*ids, "missing"])
    assert featurestore_runtime.calls["POST BatchGetRecord"] == 3
    assert len(found) == 250
    assert found["C0123"]["monthly_charges"] == 123.0


def test_throttling_is_retried(store, featurestore_runtime):
    featurestore_runtime.throttle_next(3)
    store.ingest("customer_billing", billing(["C1", "C2"], [hours_ago(1)] * 2, [1.0, 2.0]))
    assert featurestore_runtime.calls["PUT FeatureGroup"] == 5
    assert store.get_record("customer_billing", "C2")["monthly_charges"] == 2.0


def test_throttling_beyond_the_attempts_is_a_clear_failure(store, featurestore_runtime):
    featurestore_runtime.throttle_next(1000)
    with pytest.raises(FeatureStoreError, match=r"still throttled by SageMaker .* after 4 attempts"):
        store.ingest("customer_billing", billing(["C1"], [hours_ago(1)], [1.0]))
    featurestore_runtime.throttle_next(0)


def test_bad_row_writes_nothing(store, featurestore_runtime):
    bad = billing(["C1", None], [hours_ago(1)] * 2, [1.0, 2.0])
    with pytest.raises(RecordValidationError, match=r"row 2, column 'customer_id'"):
        store.ingest("customer_billing", bad)
    assert featurestore_runtime.calls["PUT FeatureGroup"] == 0
    assert featurestore_runtime.records == {}


def test_missing_feature_group_is_a_clear_error(specs, aws):
    store = SageMakerFeatureStore(specs, group_name_prefix="not-deployed-")
    with pytest.raises(FeatureStoreError, match=r"could not be described.*terraform apply"):
        store.offline_location("customer_billing")


def test_offline_reads_in_s3_match_the_local_backend(store, specs, tmp_path):
    """Same records laid out in (moto) S3 and on disk give the same point-in-time training set."""
    data = generate(40, seed=11, end=date(2026, 3, 31))
    local = LocalFeatureStore(specs, tmp_path / "fs")
    for group in GROUPS:
        local.ingest(group, data[group])
        records = validate_records(specs[group], data[group])
        location = store.offline_location(group)
        assert location.uri.startswith("s3://ml-platform-it-offline-store/feature-store/")
        write_offline(specs[group], records, location, write_time=datetime.now(UTC))
    labels = data["labels"]
    from_s3 = store.training_set(labels, list(GROUPS), join_keys="customer_id", timestamp="label_time")
    from_disk = local.training_set(labels, list(GROUPS), join_keys="customer_id", timestamp="label_time")
    assert from_s3.height == labels.height
    assert from_s3.equals(from_disk)
    assert from_s3["sessions_7d"].null_count() < labels.height  # features were found
    as_of = datetime(2026, 3, 31, tzinfo=UTC)
    snap_s3 = pl.concat(list(store.snapshot("customer_activity", as_of=as_of, batch_size=50)))
    snap_disk = pl.concat(list(local.snapshot("customer_activity", as_of=as_of, batch_size=50)))
    assert snap_s3.height > 0
    assert snap_s3.equals(snap_disk)
    # Scoring in id-hash shards (instances, or passes of chunk_rows): the S3 reads keep only the
    # shard's rows while reading, and the shards add up to the local backend's whole frame.
    groups = list(GROUPS)
    whole = scoring_frame(local.records, groups, anchor="customer_profile", as_of=as_of)
    parts = [
        scoring_frame(store.records, groups, anchor="customer_profile", as_of=as_of, shard=(i, 3))
        for i in range(3)
    ]
    assert all(p.frame.height for p in parts)
    assert pl.concat([p.frame for p in parts]).sort("customer_id").equals(whole.frame.sort("customer_id"))
    assert sum(p.population for p in parts) == whole.population
