"""Point-in-time queries over offline locations: training sets and latest snapshots.

They read each group through :class:`OfflineRecords` (the specs and where each group's files
are) and join with ``retrieval.py``; nothing here knows which backend wrote the files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import polars as pl

from ml_platform.feature_store.offline import OfflineLocation, count_offline_rows, read_offline
from ml_platform.feature_store.retrieval import GroupData, iter_batches, latest_snapshot, point_in_time_join
from ml_platform.specs import FeatureGroupSpec, SpecRegistry

log = logging.getLogger(__name__)

Selection = Sequence[str] | Mapping[str, Sequence[str] | None]


@dataclass(frozen=True)
class OfflineRecords:
    """The offline records of a registry's groups: each group's spec and where its files are."""

    specs: SpecRegistry
    locate: Callable[[FeatureGroupSpec], OfflineLocation]

    def location(self, group: str) -> OfflineLocation:
        return self.locate(self.specs[group])

    def read(
        self,
        group: str,
        *,
        columns: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        id_shard: tuple[int, int] | None = None,
    ) -> pl.DataFrame:
        """The group's records with event times in [start, end] (see ``offline.read_offline``)."""
        spec = self.specs[group]
        return read_offline(spec, self.locate(spec), columns=columns, start=start, end=end, id_shard=id_shard)

    def rows(self, group: str, *, end: datetime | None = None) -> int:
        """How many offline records ``group`` has up to ``end`` (from file metadata, no decoding)."""
        return count_offline_rows(self.location(group), end=end)

    def group_data(
        self,
        group: str,
        features: Sequence[str] | None,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        as_of: datetime | None = None,
        rows_read: list[int] | None = None,
        id_shard: tuple[int, int] | None = None,
    ) -> GroupData:
        """The group's records as a deferred read (checked now: unknown features fail before any read).

        With ``as_of`` only records written by then are kept (time travel).
        """
        spec = self.specs[group]
        data = GroupData(spec, pl.DataFrame(), tuple(features) if features is not None else None)
        columns = [spec.record_identifier_feature, spec.event_time_feature, *data.selected]

        def read() -> pl.DataFrame:
            records = self.read(group, columns=columns, start=start, end=end, id_shard=id_shard)
            if rows_read is not None:
                rows_read.append(records.height)
            if as_of is not None:
                records = records.filter(pl.col("write_time") <= pl.lit(as_of).cast(pl.Datetime("us", "UTC")))
            return records

        return GroupData(spec, read, data.features)


def selection_of(groups: Selection) -> dict[str, Sequence[str] | None]:
    """Group -> features to return (None: every value feature)."""
    return dict(groups) if isinstance(groups, Mapping) else dict.fromkeys(groups)


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def _time_span(entities: pl.DataFrame, timestamp: str) -> tuple[datetime, datetime] | None:
    """The first and last entity timestamps, when the column is a non-empty datetime."""
    ts = entities[timestamp] if timestamp in entities.columns else None
    if ts is None or not isinstance(ts.dtype, pl.Datetime) or not ts.len():
        return None
    return _utc(ts.min()), _utc(ts.max())  # type: ignore[arg-type]


def training_set(
    records: OfflineRecords,
    entities: pl.DataFrame,
    groups: Selection,
    *,
    join_keys: str | Mapping[str, str],
    timestamp: str,
    prefix_features: bool = False,
    as_of: datetime | None = None,
) -> pl.DataFrame:
    """Point-in-time correct features for each (keys, timestamp) row of ``entities``.

    ``join_keys`` names, per group, the entity column holding that group's identifier (one
    name: every group is joined on it). With ``as_of`` only records written by then are used,
    so the same call gives the same training set later. Only the partitions between the first
    entity time minus the group's TTL and the last entity time are read.
    """
    started = time.perf_counter()
    span = _time_span(entities, timestamp)
    rows_read: list[int] = []
    data = []
    for name, features in selection_of(groups).items():
        ttl = records.specs[name].ttl
        start = span[0] - ttl if span is not None and ttl is not None else None
        end = span[1] if span is not None else None
        data.append(
            records.group_data(name, features, start=start, end=end, as_of=as_of, rows_read=rows_read)
        )
    result = point_in_time_join(
        entities, data, join_keys=join_keys, timestamp=timestamp, prefix_features=prefix_features
    )
    log.info(
        "point-in-time join: %d entity rows x %d group(s) (%d feature rows) in %.2f s",
        result.height,
        len(data),
        sum(rows_read),
        time.perf_counter() - started,
    )
    return result


def snapshot(
    records: OfflineRecords,
    group: str,
    *,
    as_of: datetime | None = None,
    ids: pl.Series | None = None,
    features: Sequence[str] | None = None,
    drop_expired: bool = True,
    batch_size: int = 10_000,
) -> Iterator[pl.DataFrame]:
    """The latest record per id as of ``as_of`` (default now), in batches."""
    as_of = as_of or datetime.now(UTC)
    ttl = records.specs[group].ttl
    start = as_of - ttl if (ttl is not None and drop_expired) else None
    data = records.group_data(group, features, start=start, end=as_of)
    return iter_batches(latest_snapshot(data, as_of=as_of, ids=ids, drop_expired=drop_expired), batch_size)
