"""The local backend: SageMaker's offline layout on disk, SQLite online store."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq
import pytest

from ml_platform.errors import FeatureStoreError, RecordValidationError, SpecError
from ml_platform.feature_store.local import LocalFeatureStore, LocalOnlineStore
from tests.conftest import tree_digest
from tests.factories import activity, hours_ago

pytestmark = pytest.mark.unit


@pytest.fixture
def store(specs, tmp_path) -> LocalFeatureStore:
    return LocalFeatureStore(specs, tmp_path / "fs")


def test_offline_layout_and_columns_match_sagemaker(store, tmp_path):
    store.ingest(
        "customer_activity", activity(["C1", "C2"], ["2026-03-04T05:06:07Z", "2026-03-04T07:00:00Z"], [1, 2])
    )
    files = sorted((tmp_path / "fs").rglob("*.parquet"))
    assert len(files) == 2
    pattern = r"offline-store/customer_activity-\d+/data/year=2026/month=03/day=04/hour=0[57]/\d{8}T\d{6}Z_[0-9a-f]{16}\.parquet$"
    assert all(re.search(pattern, f.as_posix()) for f in files), files
    table = pq.ParquetFile(files[0]).read()  # the file itself, no columns from the hive path
    assert table.column_names == [
        "customer_id",
        "event_time",
        "sessions_7d",
        "minutes_7d",
        "support_tickets_30d",
        "days_since_last_login",
        "write_time",
        "api_invocation_time",
        "is_deleted",
    ]
    assert str(table.schema.field("sessions_7d").type) == "int64"
    assert table.column("is_deleted").to_pylist() == [False]


def test_online_store_keeps_the_newest_event_time(store):
    store.ingest("customer_activity", activity(["C1"], [hours_ago(1)], [10]))
    store.ingest("customer_activity", activity(["C1"], [hours_ago(5)], [99]))  # older: ignored online
    assert store.get_record("customer_activity", "C1")["sessions_7d"] == 10
    store.ingest("customer_activity", activity(["C1"], [hours_ago(1)], [11]))  # same time: replaces
    assert store.get_record("customer_activity", "C1")["sessions_7d"] == 11
    # both writes are in the offline store (it keeps history)
    assert store.read_offline("customer_activity").height == 3


def test_within_one_file_the_latest_event_wins_online(store):
    store.ingest(
        "customer_activity",
        activity(["C1", "C1", "C1"], [hours_ago(2), hours_ago(1), hours_ago(3)], [1, 2, 3]),
    )
    assert store.get_record("customer_activity", "C1")["sessions_7d"] == 2


def test_expired_online_records_are_not_returned(store):
    store.ingest(
        "customer_activity", activity(["OLD", "NEW"], ["2020-01-01T00:00:00Z", hours_ago(1)], [1, 2])
    )
    assert store.get_record("customer_activity", "OLD") is None
    assert set(store.batch_get_records("customer_activity", ["OLD", "NEW", "NONE"])) == {"NEW"}


def test_bad_row_leaves_both_stores_byte_for_byte_unchanged(store, tmp_path):
    store.ingest("customer_activity", activity(["C1"], [hours_ago(1)], [1]))
    before = tree_digest(tmp_path / "fs")
    bad = activity(["C2", "C3", "C4"], [hours_ago(1)] * 3, [1, 2, 3]).with_columns(
        pl.Series("sessions_7d", ["1", "two", "3"])
    )
    with pytest.raises(RecordValidationError, match=r"row 2, column 'sessions_7d'"):
        store.ingest("customer_activity", bad)
    assert tree_digest(tmp_path / "fs") == before
    assert store.get_record("customer_activity", "C2") is None


def test_failed_online_write_removes_offline_files(store, tmp_path, monkeypatch):
    store.ingest("customer_activity", activity(["C1"], [hours_ago(1)], [1]))
    before = tree_digest(tmp_path / "fs")

    def broken(*args, **kwargs):
        raise __import__("sqlite3").OperationalError("disk I/O error")

    monkeypatch.setattr(LocalOnlineStore, "_upsert", broken)
    with pytest.raises(Exception, match="nothing was written"):
        store.ingest("customer_activity", activity(["C2"], [hours_ago(2)], [5]))
    assert tree_digest(tmp_path / "fs") == before


def test_delete_record_hides_it_online_and_offline(store):
    store.ingest("customer_activity", activity(["C1", "C2"], [hours_ago(3), hours_ago(3)], [1, 2]))
    store.delete_record("customer_activity", "C1", datetime.now(UTC).replace(microsecond=0))
    assert store.get_record("customer_activity", "C1") is None
    snap = pl.concat(list(store.snapshot("customer_activity")))
    assert snap["customer_id"].to_list() == ["C2"]


def test_offline_roundtrip_equals_in_memory_join(store):
    store.ingest(
        "customer_activity", activity(["C1", "C2"], ["2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z"], [1, 2])
    )
    store.ingest("customer_activity", activity(["C1"], ["2026-01-03T00:00:00Z"], [3]))
    entities = pl.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2", "C2", "C9"],
            "ts": [
                "2026-01-02T00:00:00Z",
                "2026-01-03T00:00:00Z",
                "2026-01-04T00:00:00Z",
                "2026-01-30T00:00:00Z",
                "2026-01-02T00:00:00Z",
            ],
        }
    )
    out = store.training_set(entities, ["customer_activity"], join_keys="customer_id", timestamp="ts")
    # C2 at 01-30 is 25 days after its record: beyond the 21-day TTL
    assert out["sessions_7d"].to_list() == [1, 3, None, None, None]


def test_unknown_group_is_a_clear_error(store):
    with pytest.raises(SpecError, match="unknown feature group 'nope'"):
        store.ingest("nope", activity(["C1"], [hours_ago(1)], [1]))


def test_a_corrupt_offline_file_is_named_in_the_error(store):
    store.ingest(
        "customer_activity", activity(["C1", "C2"], ["2026-03-04T05:06:07Z", "2026-03-04T07:00:00Z"], [1, 2])
    )
    victim = sorted(Path(store.offline_location("customer_activity").path).rglob("*.parquet"))[-1]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated: no footer

    with pytest.raises(FeatureStoreError) as err:
        store.read_offline("customer_activity")

    assert f"cannot read file {victim}" in str(err.value)
    assert "must be removed or restored" in str(err.value)


def test_offline_files_written_by_sagemaker_are_read_with_their_own_types(store):
    """Other writers (SageMaker itself): zoned offsets, nanosecond times, a column added later."""
    import pyarrow as pa

    store.ingest("customer_activity", activity(["C1"], ["2026-03-04T05:06:07Z"], [1]))
    folder = Path(store.offline_location("customer_activity").path) / "year=2026/month=03/day=04/hour=06"
    folder.mkdir(parents=True)
    wt = pa.array([datetime(2026, 3, 5, tzinfo=UTC)], pa.timestamp("ns", tz="UTC"))
    pq.write_table(
        pa.table(
            {
                "customer_id": ["C2"],
                "event_time": ["2026-03-04T07:30:00+01:00"],  # 06:30 UTC
                "sessions_7d": pa.array([5], pa.int32()),
                "minutes_7d": [2.5],
                "support_tickets_30d": [1],
                # days_since_last_login missing: written before the feature existed
                "write_time": wt,
                "api_invocation_time": wt,
                "is_deleted": [False],
            }
        ),
        folder / "20260305T000000Z_sagemaker.parquet",
    )

    frame = store.read_offline("customer_activity").sort("customer_id")

    assert frame["customer_id"].to_list() == ["C1", "C2"]
    assert frame["__event_ts"][1] == datetime(2026, 3, 4, 6, 30, tzinfo=UTC)
    assert frame["sessions_7d"].to_list() == [1, 5] and frame.schema["sessions_7d"] == pl.Int64
    assert frame["days_since_last_login"].to_list() == [None, None]
    assert frame["write_time"][1] == datetime(2026, 3, 5, tzinfo=UTC)


def test_partitions_outside_the_window_are_not_read(store):
    from ml_platform.feature_store.offline import list_offline_files

    store.ingest(
        "customer_activity",
        activity(
            ["C1", "C1", "C1"],
            ["2026-03-01T00:00:00Z", "2026-03-04T05:00:00Z", "2026-03-09T00:00:00Z"],
            [1, 2, 3],
        ),
    )
    location = store.offline_location("customer_activity")
    start = datetime(2026, 3, 4, 5, 59, tzinfo=UTC)
    chosen = list_offline_files(location, start=start, end=start + timedelta(days=1))
    assert [p.split("/data/")[1][:35] for p in chosen] == ["year=2026/month=03/day=04/hour=05/2"]
    frame = store.read_offline("customer_activity", start=start, end=start + timedelta(days=1))
    assert frame.height == 0, "the hour is read, then the exact window applies"


def test_unreadable_event_times_fall_back_and_are_reported(store):
    import pyarrow as pa

    store.ingest("customer_activity", activity(["C1"], ["2026-03-04T05:06:07Z"], [1]))
    data = Path(store.offline_location("customer_activity").path)
    table = pq.ParquetFile(next(data.rglob("*.parquet"))).read()
    folder = data / "year=2026/month=03/day=04/hour=06"
    folder.mkdir(parents=True)
    table = table.set_column(1, "event_time", pa.array(["04/03/2026 06:00"]))
    pq.write_table(table, folder / "foreign.parquet")

    with pytest.raises(
        FeatureStoreError,
        match=r"1 offline record\(s\) .* unreadable event time \(first: '04/03/2026 06:00'\)",
    ):
        store.read_offline("customer_activity")


def test_a_copied_store_folder_reads_and_writes_its_own_files(tmp_path):
    """Offline paths are kept relative to the store's root: a copy never touches the original."""
    import shutil

    from ml_platform.feature_store.local import LocalFeatureStore
    from ml_platform.specs import SpecRegistry
    from tests.conftest import SPECS_DIR
    from tests.factories import billing, hours_ago

    specs = SpecRegistry.from_directory(SPECS_DIR)
    original = LocalFeatureStore(specs, tmp_path / "original")
    original.ingest("customer_billing", billing(["C1"], [hours_ago(2)], [10.0]))
    shutil.copytree(tmp_path / "original", tmp_path / "copy")
    copy = LocalFeatureStore(specs, tmp_path / "copy")
    copy.ingest("customer_billing", billing(["C1"], [hours_ago(1)], [99.0]))
    assert original.get_record("customer_billing", "C1")["monthly_charges"] == 10.0
    assert copy.get_record("customer_billing", "C1")["monthly_charges"] == 99.0
    originals = list((tmp_path / "original").rglob("*.parquet"))
    copies = list((tmp_path / "copy").rglob("*.parquet"))
    assert len(copies) == len(originals) + 1  # the copy's new write landed in the copy
