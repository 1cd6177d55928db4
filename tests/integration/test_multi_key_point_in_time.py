"""Multi-key point-in-time training sets through the store, on both backends, against the reference.

Two groups keyed differently (a String ``user_id`` with an ISO event time, an Integral
``item_no`` with a Unix-seconds event time) are written as real offline Parquet files in
SageMaker's hourly layout, in batches with their own write times and deletion markers. The
store's ``training_set`` (file listing, partition pruning by the TTL window, Parquet reads,
the join) must give, for every entity row, what the brute-force reference computes from the
generated records alone. Joining a group on the other group's key column fails the test.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import boto3
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.feature_store.offline import write_offline
from ml_platform.feature_store.records import validate_records
from ml_platform.feature_store.sagemaker import SageMakerFeatureStore
from ml_platform.specs import SpecRegistry, spec_from_dict
from tests import reference
from tests.integration.conftest import create_feature_group

pytestmark = pytest.mark.integration

BASE = datetime(2026, 1, 1, tzinfo=UTC)
STEP = timedelta(minutes=7)  # 40 steps span about five hourly partitions
USERS = ["u1", "u2", "u3"]
ITEMS = [10, 20, 30]
BUCKET = "ml-platform-mk-offline-store"
EXAMPLES = itertools.count()  # each example writes into groups of its own


def group_spec(name: str, *, id_name: str, id_type: str, time_name: str, time_type: str, ttl: int | None):
    return spec_from_dict(
        {
            "name": name,
            "description": "multi-key test group",
            "record_identifier_feature": id_name,
            "event_time_feature": time_name,
            "online_store_enabled": False,
            "offline_store_enabled": True,
            "ttl_duration": None if ttl is None else {"unit": "Minutes", "value": ttl},
            "features": [
                {"name": id_name, "type": id_type, "description": "id"},
                {"name": time_name, "type": time_type, "description": "t"},
                {"name": f"{name}_value", "type": "Integral", "description": "v"},
            ],
        }
    )


def specs_for(user_ttl: int | None, item_ttl: int | None) -> SpecRegistry:
    return SpecRegistry(
        [
            group_spec(
                "users",
                id_name="user_id",
                id_type="String",
                time_name="event_time",
                time_type="String",
                ttl=user_ttl,
            ),
            group_spec(
                "items",
                id_name="item_no",
                id_type="Integral",
                time_name="ts_epoch",
                time_type="Fractional",
                ttl=item_ttl,
            ),
        ]
    )


def event_text(spec, at: datetime):
    if spec.event_time_type == "Fractional":
        return at.timestamp()
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


batch_st = st.tuples(
    st.booleans(),  # a batch of deletion markers?
    st.lists(st.tuples(st.integers(0, 2), st.integers(0, 40)), min_size=1, max_size=12),
)
groups_st = st.lists(batch_st, min_size=1, max_size=4)
entity_st = st.tuples(st.integers(0, 3), st.integers(0, 3), st.integers(0, 45))  # 3 = never seen
ttl_st = st.sampled_from([None, 20, 60, 150])


def write_batches(store, spec, batches, location, first_write: int) -> list[dict]:
    """Write each batch with its own write time; returns the records as the reference sees them."""
    ids = USERS if spec.id_type == "String" else ITEMS
    value = f"{spec.name}_value"
    written: list[dict] = []
    for b, (deleted, rows) in enumerate(batches):
        write_time = BASE + timedelta(days=1, seconds=first_write + b)
        unique = {(i, t): None for i, t in rows}  # ties inside one file are the unit test's business
        recs = [
            {
                "id": ids[i],
                "event_ts": BASE + t * STEP,
                "write_time": write_time,
                "api_invocation_time": write_time,
                "is_deleted": deleted,
                "value": None if deleted else len(written) + k,
            }
            for k, (i, t) in enumerate(unique)
        ]
        frame = pl.DataFrame(
            {
                spec.record_identifier_feature: [r["id"] for r in recs],
                spec.event_time_feature: [event_text(spec, r["event_ts"]) for r in recs],
                value: [r["value"] for r in recs],
            },
            schema_overrides={value: pl.Int64},
        )
        write_offline(
            spec, validate_records(spec, frame), location, write_time=write_time, is_deleted=deleted
        )
        written += recs
    return written


@pytest.fixture(params=["local", "sagemaker"])
def backend(request, tmp_path):
    """A function that gives a fresh store of the chosen backend for the given group specs."""
    if request.param == "local":

        def local(specs: SpecRegistry, example: int):
            store = LocalFeatureStore(specs, tmp_path / f"fs-{example}")
            return store, {g: store.offline_location(g, create=True) for g in specs}

        return local
    request.getfixturevalue("aws")
    boto3.client("s3").create_bucket(Bucket=BUCKET)

    def sagemaker(specs: SpecRegistry, example: int):
        prefix = f"mk{example}-"
        for spec in specs.values():
            create_feature_group(spec, prefix=prefix, bucket=BUCKET)
        store = SageMakerFeatureStore(specs, group_name_prefix=prefix)
        return store, {g: store.offline_location(g) for g in specs}

    return sagemaker


@settings(max_examples=12, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(
    user_batches=groups_st,
    item_batches=groups_st,
    rows=st.lists(entity_st, min_size=1, max_size=25),
    t1=ttl_st,
    t2=ttl_st,
)
def test_multi_key_training_set_matches_reference(backend, *, user_batches, item_batches, rows, t1, t2):
    specs = specs_for(t1, t2)
    store, locations = backend(specs, next(EXAMPLES))
    users = write_batches(store, specs["users"], user_batches, locations["users"], 0)
    items = write_batches(store, specs["items"], item_batches, locations["items"], 100)
    entities = pl.DataFrame(
        {
            "uid": [([*USERS, "u-never"])[u] for u, _, _ in rows],
            "item": [([*ITEMS, 99])[i] for _, i, _ in rows],
            "ts": [BASE + t * STEP for _, _, t in rows],
            "row": list(range(len(rows))),
        }
    )
    out = store.training_set(
        entities, ["users", "items"], join_keys={"users": "uid", "items": "item"}, timestamp="ts"
    )
    assert out["row"].to_list() == list(range(len(rows)))  # never dropped nor reordered
    user_rows = [{"id": u, "ts": t} for u, t in zip(entities["uid"], entities["ts"], strict=True)]
    item_rows = [{"id": i, "ts": t} for i, t in zip(entities["item"], entities["ts"], strict=True)]
    assert out["users_value"].to_list() == reference.point_in_time(users, user_rows, specs["users"].ttl)
    assert out["items_value"].to_list() == reference.point_in_time(items, item_rows, specs["items"].ttl)
