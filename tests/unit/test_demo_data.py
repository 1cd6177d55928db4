"""The demo data set: deterministic, ingestible, with signal a plain model can learn."""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score

from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform_local import maintenance_data
from ml_platform_local.churn_data import GROUPS, generate
from ml_platform_local.demos import prepare

pytestmark = pytest.mark.unit

END = date(2026, 6, 30)


def test_same_seed_and_date_give_the_same_data():
    a, b = generate(300, seed=3, end=END), generate(300, seed=3, end=END)
    assert all(a[k].equals(b[k]) for k in a)
    assert not generate(300, seed=4, end=END)["labels"].equals(a["labels"])


def test_demo_data_has_mess():
    data = generate(2000, end=END)
    ids = set(data["customer_profile"]["customer_id"])
    assert set(data["customer_activity"]["customer_id"]) < ids  # some customers have no activity
    assert set(data["customer_billing"]["customer_id"]) < ids
    assert data["customer_profile"]["age"].null_count() > 0
    assert data["customer_billing"]["discount_pct"].null_count() > 0
    dup = data["customer_activity"].group_by("customer_id", "event_time").len().filter(pl.col("len") > 1)
    assert dup.height > 0  # corrected re-sends of the same event
    assert not data["customer_activity"]["event_time"].is_sorted()


def test_plain_model_reaches_auc_on_time_based_holdout(specs, tmp_path):
    data = generate(4000, end=END)
    store = LocalFeatureStore(specs, tmp_path / "fs")
    for group in GROUPS:
        store.ingest(group, data[group])
    frame = store.training_set(data["labels"], list(GROUPS), join_keys="customer_id", timestamp="label_time")
    assert frame.height == data["labels"].height
    frame = frame.sort("label_time").with_columns(pl.col(pl.Utf8).exclude("customer_id").cast(pl.Categorical))
    frame = frame.to_pandas()
    features = frame.drop(columns=["customer_id", "label_time", "churned"])
    cut = int(len(frame) * 0.75)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(features[:cut], frame["churned"][:cut])
    auc = roc_auc_score(frame["churned"][cut:], model.predict_proba(features[cut:])[:, 1])
    assert auc >= 0.75, auc


def test_maintenance_data_is_deterministic_and_messy():
    a, b = maintenance_data.generate(60, end=END), maintenance_data.generate(60, end=END)
    assert all(a[k].equals(b[k]) for k in a)
    telemetry = a["machine_telemetry"]
    assert (
        telemetry["temperature_c"].null_count() > 0 and a["site_conditions"]["humidity_pct"].null_count() > 0
    )
    assert a["machine_telemetry_corrections"].height > 0 and a["machine_telemetry_deletions"].height > 0
    assert not telemetry["reading_time"].is_sorted()
    # decommissioned machines: in the fleet, without a reading in the last days
    recent = telemetry.filter(pl.col("reading_time") > telemetry["reading_time"].max() - 3 * 86_400)
    assert set(recent["machine_id"]) < set(a["fleet"]["machine_id"])
    # labels carry both keys, and a machine's site is the one of the fleet register
    pairs = set(a["labels"].select("machine_id", "site").iter_rows())
    assert pairs <= set(a["fleet"].iter_rows())


def test_maintenance_model_reaches_auc_on_time_based_holdout(specs, tmp_path):
    """Joined on two keys (machine_id, site), a plain model learns the generated wear and dust."""
    store = LocalFeatureStore(specs, tmp_path / "fs")
    paths = prepare("maintenance", tmp_path / "data", store, size=400, end=END)
    labels = pl.read_parquet(paths["labels"])
    frame = store.training_set(
        labels,
        ["machine_telemetry", "site_conditions"],
        join_keys={"machine_telemetry": "machine_id", "site_conditions": "site"},
        timestamp="label_time",
    )
    assert frame["dust_index"].null_count() < frame.height / 10  # the site group matched on 'site'
    frame = frame.sort("label_time").with_columns(pl.col("firmware").cast(pl.Categorical)).to_pandas()
    features = frame.drop(
        columns=["machine_id", "site", "label_time", "failed_within_7d", "site_code"], errors="ignore"
    )
    cut = int(len(frame) * 0.75)
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=0)
    model.fit(features[:cut], frame["failed_within_7d"][:cut])
    auc = roc_auc_score(frame["failed_within_7d"][cut:], model.predict_proba(features[cut:])[:, 1])
    assert auc >= 0.75, auc
