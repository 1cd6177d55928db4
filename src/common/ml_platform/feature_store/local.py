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
from ml_platform.feature_store.interfaces import IngestReport, OfflineStore, OnlineStore
from ml_platform.feature_store.offline import OfflineLocation, delete_files, publish_staged, write_offline
from ml_platform.feature_store.records import EVENT_TS, validate_records
from ml_platform.feature_store.store import FeatureStore
from ml_platform.specs import FeatureGroupSpec, SpecRegistry
from ml_platform.timeutil import format_event_time

log = logging.getLogger(__name__)


def _connect(root: Path) -> sqlite3.Connection:
    """The SQLite file holding the group registry and the online tables."""
    root.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(root / "online-store.sqlite", timeout=30, isolation_level=None)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS feature_groups ("
        " name TEXT PRIMARY KEY, created_at TEXT NOT NULL, offline_path TEXT NOT NULL, spec_hash TEXT NOT NULL)"
    )
    return conn


def _table(group: str) -> str:
    return '"online__' + group.replace('"', "") + '"'


class LocalOfflineStore(OfflineStore):
    """The offline layout under ``<root>/offline-store``, registered in the SQLite file."""

    def __init__(self, root: Path | str):
        self.root = Path(root).resolve()
        self._fs = pafs.LocalFileSystem()

    def connect(self) -> sqlite3.Connection:
        return _connect(self.root)

    def _at(self, path: Path) -> OfflineLocation:
        return OfflineLocation(self._fs, str(path), path.as_uri())

    def location(self, spec: FeatureGroupSpec, *, create: bool = False) -> OfflineLocation:
        with closing(self.connect()) as conn:
            row = conn.execute(
                "SELECT offline_path FROM feature_groups WHERE name = ?", (spec.name,)
            ).fetchone()
            if row is not None:
                return self._at(self._path(row[0]))
            if not create:  # not ingested yet: reads see an empty group
                return self._at(self.root / "offline-store" / f"{spec.name}-0" / "data")
            return self._at(self._create(conn, spec))

    def _create(self, conn: sqlite3.Connection, spec: FeatureGroupSpec) -> Path:
        created = datetime.now(UTC)
        path = self.root / "offline-store" / f"{spec.name}-{int(created.timestamp())}" / "data"
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {_table(spec.name)} ("
            " record_id PRIMARY KEY, event_ts_us INTEGER NOT NULL, payload TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT OR IGNORE INTO feature_groups VALUES (?, ?, ?, ?)",
            (spec.name, created.isoformat(), path.relative_to(self.root).as_posix(), spec.content_hash),
        )
        conn.execute("COMMIT")
        row = conn.execute("SELECT offline_path FROM feature_groups WHERE name = ?", (spec.name,)).fetchone()
        log.info("%s: created local feature group at %s", spec.name, self._path(row[0]))
        return self._path(row[0])

    def _path(self, stored: str) -> Path:
        """A registered offline path: relative to the root (so a store folder can be copied or
        moved), or absolute as stores written before kept it."""
        path = Path(stored)
        return path if path.is_absolute() else self.root / path


class LocalOnlineStore(OnlineStore):
    """Latest record per id in SQLite; each write also lands in the offline layout, atomically."""

    name = "local"

    def __init__(self, offline: LocalOfflineStore):
        self.offline = offline

    def write(self, spec: FeatureGroupSpec, records: pl.DataFrame, write_time: datetime) -> IngestReport:
        started = time.perf_counter()
        location = self.offline.location(spec, create=True)
        staged: list[str] = []
        if spec.offline_store_enabled:
            staged = write_offline(spec, records, location, write_time=write_time, staged=True)
        published: list[str] = []
        conn = self.offline.connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            if spec.online_store_enabled:
                self._upsert(conn, spec, records)
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

    @staticmethod
    def _upsert(conn: sqlite3.Connection, spec: FeatureGroupSpec, records: pl.DataFrame) -> None:
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
        table = _table(spec.name)
        conn.executemany(
            f"INSERT INTO {table} (record_id, event_ts_us, payload) VALUES (?, ?, ?) "
            "ON CONFLICT(record_id) DO UPDATE SET event_ts_us = excluded.event_ts_us, payload = excluded.payload "
            f"WHERE excluded.event_ts_us >= {table}.event_ts_us",
            latest.iter_rows(),
        )

    def delete_record(self, spec: FeatureGroupSpec, record_id: Any, event_time: datetime) -> None:
        values = {f.name: None for f in spec.features}
        values[spec.record_identifier_feature] = record_id
        values[spec.event_time_feature] = (
            format_event_time(event_time) if spec.event_time_type == "String" else event_time.timestamp()
        )
        marker = validate_records(spec, pl.DataFrame([values]), source="delete_record")
        location = self.offline.location(spec, create=True)
        if spec.offline_store_enabled:
            write_offline(spec, marker, location, write_time=datetime.now(UTC), is_deleted=True)
        with closing(self.offline.connect()) as conn:
            conn.execute(
                f"DELETE FROM {_table(spec.name)} WHERE record_id = ? AND event_ts_us <= ?",
                (record_id, int(event_time.timestamp() * 1_000_000)),
            )

    def get_record(self, spec: FeatureGroupSpec, record_id: Any) -> dict[str, Any] | None:
        return self.batch_get_records(spec, [record_id]).get(record_id)

    def batch_get_records(
        self, spec: FeatureGroupSpec, record_ids: Iterable[Any]
    ) -> dict[Any, dict[str, Any]]:
        ids = list(record_ids)
        oldest = (datetime.now(UTC) - spec.ttl).timestamp() * 1_000_000 if spec.ttl is not None else None
        found: dict[Any, dict[str, Any]] = {}
        with closing(self.offline.connect()) as conn:
            if conn.execute("SELECT 1 FROM feature_groups WHERE name = ?", (spec.name,)).fetchone() is None:
                return {}
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                rows = conn.execute(
                    f"SELECT record_id, event_ts_us, payload FROM {_table(spec.name)} "
                    f"WHERE record_id IN ({','.join('?' * len(chunk))})",
                    chunk,
                )
                found.update(
                    (record_id, json.loads(payload))
                    for record_id, event_ts_us, payload in rows
                    if oldest is None or event_ts_us >= oldest
                )
        return found


class LocalFeatureStore(FeatureStore):
    """Feature store on a local folder; needs no AWS account."""

    def __init__(self, specs: SpecRegistry, root: Path | str):
        offline = LocalOfflineStore(root)
        super().__init__(specs, LocalOnlineStore(offline), offline)
        self.root = offline.root
