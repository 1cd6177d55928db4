"""The feature store interface. Backends implement storage; reads are shared code."""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl

from ml_platform.feature_store.offline import (
    OfflineLocation,
    count_offline_rows,
    id_shard_filter,
    read_offline,
)
from ml_platform.feature_store.records import EVENT_TS, POLARS_TYPES, validate_records
from ml_platform.feature_store.retrieval import GroupData, iter_batches, latest_snapshot, point_in_time_join
from ml_platform.specs import FeatureGroupSpec, SpecRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScoringFrame:
    """Latest features of a population, and who was left out and why."""

    frame: pl.DataFrame  # id + every feature of the groups, one row per scored entity
    population: int
    skipped_missing: int  # no record in the anchor group (or deleted)
    skipped_expired: int  # anchor record older than the group's TTL


@dataclass(frozen=True)
class IngestReport:
    feature_group: str
    rows: int
    seconds: float
    offline_files: int = 0


class FeatureStore(ABC):
    """A feature store holding the groups of a :class:`SpecRegistry`.

    Backends implement where records are written and read; validation, point-in-time
    training sets and latest snapshots are the same code for every backend.
    """

    name: str = "abstract"

    def __init__(self, specs: SpecRegistry):
        self.specs = specs

    # -- backend-specific -------------------------------------------------------------
    @abstractmethod
    def offline_location(self, group: str) -> OfflineLocation:
        """Where the group's offline records are (the SageMaker ``ResolvedOutputS3Uri``)."""

    @abstractmethod
    def _write(self, spec: FeatureGroupSpec, records: pl.DataFrame, write_time: datetime) -> IngestReport:
        """Write validated records to the group's stores."""

    @abstractmethod
    def get_record(self, group: str, record_id: Any) -> dict[str, Any] | None:
        """The online record of ``record_id``, or None."""

    @abstractmethod
    def batch_get_records(self, group: str, record_ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        """Online records by id; ids without a record are absent from the result."""

    # -- shared -----------------------------------------------------------------------
    def ingest(self, group: str, data: pl.DataFrame, *, source: str = "input") -> IngestReport:
        """Validate every row of ``data`` against the group's spec, then write them all.

        Raises:
            RecordValidationError: if any row is invalid; nothing is written then.
        """
        spec = self.specs[group]
        records = validate_records(spec, data, source=source)
        started = time.perf_counter()
        report = self._write(spec, records, datetime.now(UTC))
        log.info(
            "%s: ingested %d rows into the %s feature store in %.2f s",
            group,
            report.rows,
            self.name,
            time.perf_counter() - started,
        )
        return report

    def read_offline(
        self,
        group: str,
        *,
        columns: list[str] | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        id_shard: tuple[int, int] | None = None,
    ) -> pl.DataFrame:
        spec = self.specs[group]
        return read_offline(
            spec, self.offline_location(group), columns=columns, start=start, end=end, id_shard=id_shard
        )

    def offline_rows(self, group: str, *, end: datetime | None = None) -> int:
        """How many offline records ``group`` has up to ``end`` (from file metadata, no decoding)."""
        return count_offline_rows(self.offline_location(group), end=end)

    def _group_data(
        self,
        group: str,
        features: Sequence[str] | None,
        *,
        start=None,
        end=None,
        as_of: datetime | None = None,
        rows_read: list[int] | None = None,
        id_shard: tuple[int, int] | None = None,
    ) -> GroupData:
        """The group's records as a deferred read (checked now: unknown features fail before any read)."""
        spec = self.specs[group]
        data = GroupData(spec, pl.DataFrame(), tuple(features) if features is not None else None)
        columns = [spec.record_identifier_feature, spec.event_time_feature, *data.selected]

        def read() -> pl.DataFrame:
            records = self.read_offline(group, columns=columns, start=start, end=end, id_shard=id_shard)
            if rows_read is not None:
                rows_read.append(records.height)
            if as_of is not None:  # time travel: only what had been written by then
                records = records.filter(pl.col("write_time") <= pl.lit(as_of).cast(pl.Datetime("us", "UTC")))
            return records

        return GroupData(spec, read, data.features)

    def training_set(
        self,
        entities: pl.DataFrame,
        groups: Sequence[str] | dict[str, Sequence[str] | None],
        *,
        join_keys: str | Mapping[str, str],
        timestamp: str,
        prefix_features: bool = False,
        as_of: datetime | None = None,
    ) -> pl.DataFrame:
        """Point-in-time correct features for each (keys, timestamp) row of ``entities``.

        ``join_keys`` names, per group, the entity column holding that group's identifier
        (one name: every group is joined on it).

        With ``as_of`` only records written by then are used, so the same call gives the
        same training set later (records ingested afterwards are ignored).
        """
        selection = groups if isinstance(groups, dict) else dict.fromkeys(groups)
        started = time.perf_counter()
        ts = entities[timestamp] if timestamp in entities.columns else None
        window_end = None
        if ts is not None and isinstance(ts.dtype, pl.Datetime) and ts.len():
            window_end = ts.max()
            window_end = window_end.astimezone(UTC) if window_end.tzinfo else window_end.replace(tzinfo=UTC)
        data = []
        rows_read: list[int] = []
        for name, features in selection.items():
            spec = self.specs[name]
            start = None
            if spec.ttl is not None and ts is not None and isinstance(ts.dtype, pl.Datetime) and ts.len():
                first = ts.min()
                first = first.astimezone(UTC) if first.tzinfo else first.replace(tzinfo=UTC)
                start = first - spec.ttl
            data.append(
                self._group_data(
                    name, features, start=start, end=window_end, as_of=as_of, rows_read=rows_read
                )
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

    def scoring_frame(
        self,
        groups: Sequence[str] | Mapping[str, Sequence[str] | None],
        *,
        anchor: str,
        as_of: datetime,
        join_keys: Mapping[str, str] | None = None,
        entities: pl.DataFrame | None = None,
        shard: tuple[int, int] = (0, 1),
    ) -> ScoringFrame:
        """Latest features of a population as of ``as_of``, for scoring.

        The population is every current id of ``anchor`` or the rows of ``entities`` (which
        hold every key column of ``join_keys``, group -> entity column; default: the anchor's
        identifier name for every group). An entity is scored when its ``anchor`` record
        exists and is within the TTL; the other groups contribute nulls when missing or
        expired, exactly as in a training set. ``shard=(i, n)`` keeps the entities whose
        anchor key hashes to i modulo n, so n workers cover the population exactly once.
        """
        selection = groups if isinstance(groups, Mapping) else dict.fromkeys(groups)
        anchor_spec = self.specs[anchor]
        keys = dict(join_keys or {g: anchor_spec.record_identifier_feature for g in (*selection, anchor)})
        key = keys[anchor]
        count = shard[1]
        # Reads of groups joined on the anchor key keep only this shard's ids, so memory follows
        # the shard, not the population.
        id_shard = shard if count > 1 else None
        latest = latest_snapshot(
            self._group_data(anchor, [], end=as_of, id_shard=id_shard), as_of=as_of, drop_expired=False
        ).select(pl.col(anchor_spec.record_identifier_feature).alias(key), "__expired")
        population = self._population(entities, keys, latest, key, shard)
        present = population.join(latest, on=key, how="inner", maintain_order="left")
        frame = present.filter(~pl.col("__expired")).drop("__expired")
        valid = frame.height
        for group, features in selection.items():
            spec = self.specs[group]
            start = as_of - spec.ttl if spec.ttl is not None else None
            on_anchor_key = keys[group] == key
            data = self._group_data(
                group, features, start=start, end=as_of, id_shard=id_shard if on_anchor_key else None
            )
            # No id filter here: the left join below keeps only the scored entities.
            snap = latest_snapshot(data, as_of=as_of).drop(EVENT_TS)
            snap = snap.rename({spec.record_identifier_feature: keys[group]})
            frame = frame.join(snap, on=keys[group], how="left", maintain_order="left")
        return ScoringFrame(
            frame=frame,
            population=population.height,
            skipped_missing=population.height - present.height,
            skipped_expired=present.height - valid,
        )

    def _population(
        self,
        entities: pl.DataFrame | None,
        keys: Mapping[str, str],
        latest: pl.DataFrame,
        key: str,
        shard: tuple[int, int],
    ) -> pl.DataFrame:
        """The entity rows to score (typed, de-duplicated, sorted), of this shard only."""
        if entities is None:
            population = latest.select(key)
        else:
            types = {keys[g]: self.specs[g].id_type for g in keys}
            population = entities.select(
                [pl.col(c).cast(POLARS_TYPES[t], strict=False) for c, t in types.items()]
            ).unique(maintain_order=True)
        if shard[1] > 1:
            population = population.filter(id_shard_filter(key, shard))
        return population.drop_nulls().sort(population.columns)

    def snapshot(
        self,
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
        spec = self.specs[group]
        start = as_of - spec.ttl if (spec.ttl is not None and drop_expired) else None
        data = self._group_data(group, features, start=start, end=as_of)
        frame = latest_snapshot(data, as_of=as_of, ids=ids, drop_expired=drop_expired)
        return iter_batches(frame, batch_size)
