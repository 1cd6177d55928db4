#!/usr/bin/env python3
"""Local demo on embedded defaults: demo data -> local feature store -> point-in-time training set.

Runs with no AWS account and no Docker. State goes to $MLP_STATE_DIR (default .mlplatform/).
Training, inference and Kafka join this demo as those parts land.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime

from ml_platform.config import FeatureStoreSettings, state_dir
from ml_platform.demo_data import GROUPS, write_demo_data
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.feature_store.records import read_input_file
from ml_platform.logs import configure_logging


def main() -> int:
    configure_logging("WARNING")
    started = time.perf_counter()
    settings = FeatureStoreSettings.from_env(backend="local")
    data_dir = state_dir() / "demo-data"
    print(f"[1/3] generating demo data (customer churn) into {data_dir}")
    paths = write_demo_data(data_dir)
    store = open_feature_store(settings)
    print(f"[2/3] ingesting into the local feature store at {settings.local_root}")
    for group in GROUPS:
        report = store.ingest(group, read_input_file(paths[group]), source=str(paths[group]))
        print(
            f"      {group:18} {report.rows:>8,} rows  {report.offline_files:>5} offline files  {report.seconds:5.2f} s"
        )
    print("[3/3] building the point-in-time training set from the labels")
    labels = read_input_file(paths["labels"])
    t0 = time.perf_counter()
    frame = store.training_set(labels, list(GROUPS), entity_id="customer_id", timestamp="label_time")
    seconds = time.perf_counter() - t0
    churn = frame["churned"].cast(int).mean()
    print(
        f"\nTraining set: {frame.height:,} rows x {frame.width} columns in {seconds:.2f} s; churn rate {churn:.1%}"
    )
    nulls = {c: f"{frame[c].null_count() / frame.height:.0%}" for c in frame.columns if frame[c].null_count()}
    print(f"Null share per feature (missing groups, TTL, raw nulls): {json.dumps(nulls)}")
    print(frame.head(5))
    sample = frame["customer_id"][0]
    print(f"\nOnline record of {sample} in customer_billing: {store.get_record('customer_billing', sample)}")
    print(f"\nDone in {time.perf_counter() - started:.1f} s at {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}.")
    print("Try: uv run ml-platform-features get-record -g customer_activity --id C000042")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MLPlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(1)
