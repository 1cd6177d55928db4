"""The bundled example models' demo data: generate it into a folder and ingest it (local tools).

One entry per example model of ``models/``; ``make demo``, the tests and
``ml-platform-features generate-demo-data`` all go through :func:`prepare`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from ml_platform.feature_store import FeatureStore
from ml_platform.feature_store.records import read_input_file
from ml_platform_local import churn_data, maintenance_data

DEMOS = ("churn", "maintenance")


def _churn(folder: Path, store: FeatureStore | None, size: int | None, end: date | None, log) -> dict:
    paths = churn_data.write_demo_data(folder, n_customers=size or 5000, end=end)
    for group in churn_data.GROUPS if store else ():
        report = store.ingest(group, read_input_file(paths[group]), source=str(paths[group]))
        log(f"ingested {report.rows:>8,} rows into {group}")
    return paths


def _maintenance(folder: Path, store: FeatureStore | None, size: int | None, end: date | None, log) -> dict:
    paths = maintenance_data.write_demo_data(folder, n_machines=size or 400, end=end)
    if store is None:
        return paths
    for group in maintenance_data.GROUPS:
        report = store.ingest(group, read_input_file(paths[group]), source=str(paths[group]))
        log(f"ingested {report.rows:>8,} rows into {group}")
    fixes = paths[maintenance_data.CORRECTIONS]
    report = store.ingest("machine_telemetry", read_input_file(fixes), source=str(fixes))
    log(f"ingested {report.rows:>8,} corrected re-sends into machine_telemetry")
    deleted = maintenance_data.deletion_times(read_input_file(paths[maintenance_data.DELETIONS]))
    for machine_id, at in deleted:
        store.delete_record("machine_telemetry", machine_id, at)
    log(f"deleted  {len(deleted):>8,} retracted readings from machine_telemetry")
    return paths


_WRITERS: dict[str, Callable] = {"churn": _churn, "maintenance": _maintenance}


def prepare(
    model: str,
    folder: Path,
    store: FeatureStore | None = None,
    *,
    size: int | None = None,
    end: date | None = None,
    log: Callable[[str], None] = lambda _: None,
) -> dict[str, Path]:
    """Write the model's demo tables to ``folder`` and, with a store, ingest them; the paths by name."""
    return _WRITERS[model](folder, store, size, end, log)
