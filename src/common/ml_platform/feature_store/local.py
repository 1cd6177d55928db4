"""Local backend: the SageMaker offline layout on disk, and an online store in SQLite.

``<root>/offline-store/<group>-<created>/data/year=.../*.parquet`` mirrors the S3 layout;
``<root>/online-store.sqlite`` holds the registry of groups and, per group, the latest
record of each identifier. As in SageMaker, a record with an older event time never
overwrites a newer one in the online store.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pyarrow.fs as pafs

from ml_platform.errors import FeatureStoreError
from ml_platform.feature_store.base import FeatureStore, IngestReport
from ml_platform.feature_store.offline import OfflineLocation, delete_files, publish_staged, write_offline
from ml_platform.feature_store.records import EVENT_TS, validate_records
from ml_platform.specs import FeatureGroupSpec, SpecRegistry
from ml_platform.timeutil import format_event_time

log = logging.getLogger(__name__)


class LocalFeatureStore(FeatureStore):
    """Feature store on a local folder; needs no AWS account."""

    name = "local"

    def __init__(self, specs: SpecRegistry, root: Path | str):
        super().__init__(specs)
        self.root = Path(root).resolve()
        self._fs = pafs.LocalFileSystem()

    # -- registry -----------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        self.root.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.root / "online-store.sqlite", timeout=30, isolation_level=None)
        conn.execute(
            "CREATE TABLE IF NOT EXISTS feature_groups ("
            " name TEXT PRIMARY KEY, created_at TEXT NOT NULL, offline_path TEXT NOT NULL, spec_hash TEXT NOT NULL)"
        )
        return conn

    @staticmethod
    def _table(group: str) -> str:
        return '"online__' + group.replace('"', "") + '"'

    def create_feature_group(self, group: str) -> OfflineLocation:
        """Register the group (idempotent) and return its offline location."""
        spec = self.specs[group]
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT offline_path FROM feature_groups WHERE name = ?", (group,)).fetchone()
            if row is None:
                created = datetime.now(UTC)
                path = self.root / "offline-store" / f"{group}-{int(created.timestamp())}" / "data"
                conn.execute("BEGIN IMMEDIATE")
                conn.execute(
                    f"CREATE TABLE IF NOT EXISTS {self._table(group)} ("
                    " record_id PRIMARY KEY, event_ts_us INTEGER NOT NULL, payload TEXT NOT NULL)"
                )
                conn.execute(
                    "INSERT INTO feature_groups VALUES (?, ?, ?, ?)",
                    (group, created.isoformat(), str(path), spec.content_hash),
                )
                conn.execute("COMMIT")
                log.info("%s: created local feature group at %s", group, path)
            else:
                path = Path(row[0])
        return OfflineLocation(self._fs, str(path), path.as_uri())

    def offline_location(self, group: str) -> OfflineLocation:
        self.specs[group]  # unknown group -> clear error
        with closing(self._connect()) as conn:
            row = conn.execute("SELECT offline_path FROM feature_groups WHERE name = ?", (group,)).fetchone()
        if row is None:
            # Not ingested yet: reads see an empty group.
            path = self.root / "offline-store" / f"{group}-0" / "data"
            return OfflineLocation(self._fs, str(path), path.as_uri())
        return OfflineLocation(self._fs, row[0], Path(row[0]).as_uri())

    # -- writes -------------------------------------------------------------------------
    def _write(self, spec: FeatureGroupSpec, records: pl.DataFrame, write_time: datetime) -> IngestReport:
        started = time.perf_counter()
        location = self.create_feature_group(spec.name)
        staged: list[str] = []
        if spec.offline_store_enabled:
            staged = write_offline(spec, records, location, write_time=write_time, staged=True)
        published: list[str] = []
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            if spec.online_store_enabled:
                self._upsert_online(conn, spec, records)
            published = publish_staged(location, staged)
            conn.execute("COMMIT")
        except BaseException as exc:
            conn.execute("ROLLBACK")
            delete_files(location, staged + published)
            if isinstance(exc, (OSError, sqlite3.Error)):
                raise FeatureStoreError(
                    f"{spec.name}: local ingest failed, nothing was written: {exc}"
                ) from exc
            raise
        finally:
            conn.close()
        return IngestReport(spec.name, records.height, time.perf_counter() - started, len(published))

    def _upsert_online(self, conn: sqlite3.Connection, spec: FeatureGroupSpec, records: pl.DataFrame) -> None:
        id_name = spec.record_identifier_feature
        latest = (
            records.with_row_index("__i")
            .sort([EVENT_TS, "__i"])
            .unique(subset=[id_name], keep="last")
            .select(
                pl.col(id_name),
                pl.col(EVENT_TS).dt.epoch("us"),
                pl.struct(spec.feature_names).struct.json_encode().alias("payload"),
            )
        )
        conn.executemany(
            f"INSERT INTO {self._table(spec.name)} (record_id, event_ts_us, payload) VALUES (?, ?, ?) "
            "ON CONFLICT(record_id) DO UPDATE SET event_ts_us = excluded.event_ts_us, payload = excluded.payload "
            f"WHERE excluded.event_ts_us >= {self._table(spec.name)}.event_ts_us",
            latest.iter_rows(),
        )

    def delete_record(self, group: str, record_id: Any, event_time: datetime) -> None:
        """SageMaker's soft delete: an ``is_deleted`` marker offline, the record gone online."""
        spec = self.specs[group]
        values = {f.name: None for f in spec.features}
        values[spec.record_identifier_feature] = record_id
        values[spec.event_time_feature] = (
            format_event_time(event_time) if spec.event_time_type == "String" else event_time.timestamp()
        )
        marker = validate_records(spec, pl.DataFrame([values]), source="delete_record")
        location = self.create_feature_group(group)
        now = datetime.now(UTC)
        if spec.offline_store_enabled:
            write_offline(spec, marker, location, write_time=now, is_deleted=True)
        with closing(self._connect()) as conn:
            conn.execute(
                f"DELETE FROM {self._table(group)} WHERE record_id = ? AND event_ts_us <= ?",
                (record_id, int(event_time.timestamp() * 1_000_000)),
            )

    # -- online reads -------------------------------------------------------------------
    def _expired(self, spec: FeatureGroupSpec, event_ts_us: int, now: datetime) -> bool:
        return spec.ttl is not None and event_ts_us < (now - spec.ttl).timestamp() * 1_000_000

    def get_record(self, group: str, record_id: Any) -> dict[str, Any] | None:
        return self.batch_get_records(group, [record_id]).get(record_id)

    def batch_get_records(self, group: str, record_ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        spec = self.specs[group]
        ids = list(record_ids)
        now = datetime.now(UTC)
        found: dict[Any, dict[str, Any]] = {}
        with closing(self._connect()) as conn:
            exists = conn.execute("SELECT 1 FROM feature_groups WHERE name = ?", (group,)).fetchone()
            if exists is None:
                return {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for record_id, event_ts_us, payload in conn.execute(
                    f"SELECT record_id, event_ts_us, payload FROM {self._table(group)} WHERE record_id IN ({marks})",
                    chunk,
                ):
                    if not self._expired(spec, event_ts_us, now):
                        found[record_id] = json.loads(payload)
        return found
