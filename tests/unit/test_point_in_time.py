"""Point-in-time reads against the brute-force reference, on randomized data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ml_platform.errors import MLPlatformError
from ml_platform.feature_store.records import EVENT_TS
from ml_platform.feature_store.retrieval import GroupData, latest_snapshot, point_in_time_join
from ml_platform.specs import spec_from_dict
from tests import reference

pytestmark = pytest.mark.unit

BASE = datetime(2026, 1, 1, tzinfo=UTC)
IDS = ["a", "b", "c"]


def make_spec(ttl_minutes: int | None, name: str = "g", feature: str = "value"):
    return spec_from_dict(
        {
            "name": name,
            "description": "test group",
            "record_identifier_feature": "id",
            "event_time_feature": "event_time",
            "online_store_enabled": True,
            "offline_store_enabled": True,
            "ttl_duration": None if ttl_minutes is None else {"unit": "Minutes", "value": ttl_minutes},
            "features": [
                {"name": "id", "type": "String", "description": "id"},
                {"name": "event_time", "type": "String", "description": "t"},
                {"name": feature, "type": "Integral", "description": "v"},
            ],
        }
    )


def records_frame(records: list[dict], feature: str = "value") -> pl.DataFrame:
    schema = {
        "id": pl.Utf8,
        "event_time": pl.Utf8,
        EVENT_TS: pl.Datetime("us", "UTC"),
        "write_time": pl.Datetime("us", "UTC"),
        "api_invocation_time": pl.Datetime("us", "UTC"),
        "is_deleted": pl.Boolean,
        feature: pl.Int64,
    }
    rows = [
        {
            "id": r["id"],
            "event_time": r["event_ts"].isoformat(),
            EVENT_TS: r["event_ts"],
            "write_time": r["write_time"],
            "api_invocation_time": r["api_invocation_time"],
            "is_deleted": r["is_deleted"],
            feature: r["value"],
        }
        for r in records
    ]
    return pl.DataFrame(rows, schema=schema)


def minutes(n: int) -> datetime:
    return BASE + timedelta(minutes=n)


record_st = st.builds(
    lambda i, et, wt, at, deleted: {
        "id": i,
        "event_ts": minutes(et),
        "write_time": minutes(100 + wt),
        "api_invocation_time": minutes(100 + at),
        "is_deleted": deleted,
    },
    st.sampled_from(IDS),
    st.integers(0, 20),
    st.integers(0, 3),
    st.integers(0, 1),
    st.sampled_from([False, False, False, True]),
)
entity_st = st.builds(
    lambda i, t: {"id": i, "ts": minutes(t)}, st.sampled_from([*IDS, "never-seen"]), st.integers(0, 25)
)
ttl_st = st.sampled_from([None, 1, 3, 7])


def numbered(records: list[dict]) -> list[dict]:
    return [{**r, "value": None if r["is_deleted"] else i} for i, r in enumerate(records)]


def written(id_: str, event: int, write: int, deleted: bool = False) -> dict:
    """One offline-store row: event time and write (= API invocation) time in minutes."""
    return {
        "id": id_,
        "event_ts": minutes(event),
        "write_time": minutes(write),
        "api_invocation_time": minutes(write),
        "is_deleted": deleted,
    }


# An event time written three times (the latest write, index 1, wins), an older record of b and
# b's deletion.
EDGE_RECORDS = numbered(
    [
        written("a", 5, 100),
        written("a", 5, 102),
        written("a", 5, 101),
        written("b", 2, 100),
        written("b", 4, 100, deleted=True),
    ]
)


@given(st.lists(record_st, max_size=40).map(numbered), st.lists(entity_st, min_size=1, max_size=30), ttl_st)
@example(  # timestamp equal to an event time, exactly at the TTL edge, duplicate writes, deletion
    records=EDGE_RECORDS,
    entities=[
        {"id": "a", "ts": minutes(5)},
        {"id": "a", "ts": minutes(8)},
        {"id": "a", "ts": minutes(9)},
        {"id": "b", "ts": minutes(3)},
        {"id": "b", "ts": minutes(4)},
        {"id": "never-seen", "ts": minutes(5)},
        {"id": "a", "ts": minutes(4)},
    ],
    ttl=3,
)
def test_point_in_time_join_matches_reference(records, entities, ttl):
    spec = make_spec(ttl)
    frame = pl.DataFrame(
        {
            "customer": [e["id"] for e in entities],
            "ts": [e["ts"] for e in entities],
            "label": list(range(len(entities))),
        }
    )
    result = point_in_time_join(
        frame, [GroupData(spec, records_frame(records))], join_keys="customer", timestamp="ts"
    )
    assert result.height == len(entities)
    assert result["label"].to_list() == list(range(len(entities)))  # order kept, nothing dropped
    assert result["value"].to_list() == reference.point_in_time(records, entities, spec.ttl)


def test_edge_cases_explicitly():
    spec = make_spec(3)
    recs = EDGE_RECORDS
    entities = pl.DataFrame(
        {
            "id": ["a", "a", "a", "a", "b", "b", "zzz"],
            "ts": [minutes(5), minutes(8), minutes(9), minutes(4), minutes(3), minutes(4), minutes(5)],
        }
    )
    out = point_in_time_join(entities, [GroupData(spec, records_frame(recs))], join_keys="id", timestamp="ts")
    assert out["value"].to_list() == [
        1,  # ts equal to the event time; latest write (index 1) wins over later rows with older writes
        1,  # exactly at the TTL edge (8 - 3 = 5): still valid
        None,  # one minute past the TTL
        None,  # before any event
        3,  # b's record at 2
        None,  # b deleted at 4
        None,  # never seen
    ]


@given(st.lists(record_st, max_size=40).map(numbered), st.integers(0, 25), ttl_st)
def test_latest_snapshot_matches_reference(records, as_of_minute, ttl):
    spec = make_spec(ttl)
    as_of = minutes(as_of_minute)
    snap = latest_snapshot(GroupData(spec, records_frame(records)), as_of=as_of)
    assert dict(zip(snap["id"].to_list(), snap["value"].to_list(), strict=True)) == reference.snapshot(
        records, as_of, spec.ttl
    )


def test_snapshot_keeps_expired_when_asked():
    spec = make_spec(2)
    recs = numbered(
        [
            written("a", 1, 100),
            written("b", 9, 100),
        ]
    )
    snap = latest_snapshot(GroupData(spec, records_frame(recs)), as_of=minutes(10), drop_expired=False)
    assert snap.select("id", "__expired").rows() == [("a", True), ("b", False)]
    ids = latest_snapshot(
        GroupData(spec, records_frame(recs)), as_of=minutes(10), ids=pl.Series(["a", "b", "c"])
    )
    assert ids["id"].to_list() == ["b"]


def test_multiple_groups_and_name_clash():
    g1, g2 = make_spec(None, "g1", "value"), make_spec(None, "g2", "value")
    recs = numbered([written("a", 1, 100)])
    entities = pl.DataFrame({"id": ["a"], "ts": [minutes(2)]})
    with pytest.raises(MLPlatformError, match="clash"):
        point_in_time_join(
            entities,
            [GroupData(g1, records_frame(recs)), GroupData(g2, records_frame(recs))],
            join_keys="id",
            timestamp="ts",
        )
    out = point_in_time_join(
        entities,
        [GroupData(g1, records_frame(recs)), GroupData(g2, records_frame(recs))],
        join_keys="id",
        timestamp="ts",
        prefix_features=True,
    )
    assert out.columns == ["id", "ts", "g1__value", "g2__value"]


def test_entity_rows_with_empty_timestamp_are_an_error():
    spec = make_spec(None)
    entities = pl.DataFrame({"id": ["a", "b"], "ts": ["2026-01-01T00:00:00Z", None]})
    with pytest.raises(MLPlatformError, match=r"row 2"):
        point_in_time_join(entities, [GroupData(spec, records_frame([]))], join_keys="id", timestamp="ts")
