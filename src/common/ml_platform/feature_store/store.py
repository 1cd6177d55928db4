"""The feature store users and jobs call: a registry of groups over an online and an offline store.

It validates what is ingested and names unknown groups; storage is the backends' (two small
interfaces, ``interfaces.py``) and point-in-time reads are shared (``queries.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ml_platform.feature_store import queries
from ml_platform.feature_store.interfaces import IngestReport, OfflineStore, OnlineStore
from ml_platform.feature_store.offline import OfflineLocation
from ml_platform.feature_store.queries import OfflineRecords
from ml_platform.feature_store.records import validate_records
from ml_platform.specs import SpecRegistry

log = logging.getLogger(__name__)


class FeatureStore:
    """The groups of a :class:`SpecRegistry`, stored by one backend's online and offline stores."""

    def __init__(self, specs: SpecRegistry, online: OnlineStore, offline: OfflineStore):
        self.specs = specs
        self.online = online
        self.offline = offline
        self.records = OfflineRecords(specs, offline.location)

    @property
    def name(self) -> str:
        return self.online.name

    # -- writes and online reads ------------------------------------------------------
    def ingest(self, group: str, data: pl.DataFrame, *, source: str = "input") -> IngestReport:
        """Validate every row of ``data`` against the group's spec, then write them all.

        Raises:
            RecordValidationError: if any row is invalid; nothing is written then.
        """
        spec = self.specs[group]
        records = validate_records(spec, data, source=source)
        started = time.perf_counter()
        report = self.online.write(spec, records, datetime.now(UTC))
        log.info(
            "%s: ingested %d rows into the %s feature store in %.2f s",
            group,
            report.rows,
            self.name,
            time.perf_counter() - started,
        )
        return report

    def get_record(self, group: str, record_id: Any) -> dict[str, Any] | None:
        return self.online.get_record(self.specs[group], record_id)

    def batch_get_records(self, group: str, record_ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        return self.online.batch_get_records(self.specs[group], record_ids)

    def delete_record(self, group: str, record_id: Any, event_time: datetime) -> None:
        self.online.delete_record(self.specs[group], record_id, event_time)

    # -- offline reads ----------------------------------------------------------------
    def offline_location(self, group: str, *, create: bool = False) -> OfflineLocation:
        return self.offline.location(self.specs[group], create=create)

    def read_offline(self, group: str, **window: Any) -> pl.DataFrame:
        """The group's offline records (``columns``, ``start``, ``end``, ``id_shard``: see ``queries``)."""
        return self.records.read(group, **window)

    def offline_rows(self, group: str, *, end: datetime | None = None) -> int:
        return self.records.rows(group, end=end)

    def training_set(
        self,
        entities: pl.DataFrame,
        groups: Sequence[str] | Mapping[str, Sequence[str] | None],
        **options: Any,
    ) -> pl.DataFrame:
        """See :func:`ml_platform.feature_store.queries.training_set`."""
        return queries.training_set(self.records, entities, groups, **options)

    def snapshot(self, group: str, **options: Any) -> Iterator[pl.DataFrame]:
        """See :func:`ml_platform.feature_store.queries.snapshot`."""
        return queries.snapshot(self.records, group, **options)
