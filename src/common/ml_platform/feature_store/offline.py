"""The offline store layout SageMaker uses (Glue table format), on any pyarrow filesystem.

``<resolved uri>/year=YYYY/month=MM/day=DD/hour=HH/<timestamp>_<id>.parquet``, partitioned by
event time, each file holding the spec's features plus ``write_time``,
``api_invocation_time`` and ``is_deleted``. The local backend writes this layout on disk;
the SageMaker backend reads the one SageMaker writes to S3. Reads are shared.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import polars as pl
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ml_platform.errors import FeatureStoreError
from ml_platform.feature_store.records import EVENT_TS
from ml_platform.specs import FeatureGroupSpec
from ml_platform.timeutil import UTC_US, parse_iso_expr

log = logging.getLogger(__name__)

ARROW_TYPES = {"String": pa.string(), "Integral": pa.int64(), "Fractional": pa.float64()}
META_COLUMNS = ("write_time", "api_invocation_time", "is_deleted")
PARTITION_KEYS = ("year", "month", "day", "hour")
_WRITE_THREADS = 8  # one file per event-time hour: many small writes, mostly I/O
_PARTITIONING = ds.partitioning(pa.schema([(k, pa.int32()) for k in PARTITION_KEYS]), flavor="hive")


@dataclass(frozen=True)
class OfflineLocation:
    """Where a feature group's offline data lives: a filesystem and a path on it."""

    filesystem: pafs.FileSystem
    path: str  # without scheme, e.g. "bucket/prefix/.../data" on S3
    uri: str  # for messages, e.g. "s3://bucket/prefix/.../data"


def offline_schema(spec: FeatureGroupSpec) -> pa.Schema:
    fields = [pa.field(f.name, ARROW_TYPES[f.type]) for f in spec.features]
    fields += [
        pa.field("write_time", pa.timestamp("us", tz="UTC")),
        pa.field("api_invocation_time", pa.timestamp("us", tz="UTC")),
        pa.field("is_deleted", pa.bool_()),
    ]
    return pa.schema(fields)


def write_offline(
    spec: FeatureGroupSpec,
    records: pl.DataFrame,
    location: OfflineLocation,
    *,
    write_time: datetime,
    staged: bool = False,
    is_deleted: bool = False,
) -> list[str]:
    """Write validated records (see ``validate_records``) as one file per event-time hour.

    With ``staged`` the files get a leading '.' (which readers skip) so that the caller can
    publish them all at once with :func:`publish_staged`. Returns the paths written.
    """
    wt = pl.lit(write_time).cast(UTC_US)
    frame = records.with_columns(
        write_time=wt,
        api_invocation_time=wt,
        is_deleted=pl.lit(is_deleted),
        __part=pl.col(EVENT_TS).dt.strftime("year=%Y/month=%m/day=%d/hour=%H"),
    )
    schema = offline_schema(spec)
    stamp = write_time.strftime("%Y%m%dT%H%M%SZ")
    written: list[str] = []
    lock = threading.Lock()

    def write_one(item: tuple[tuple[str], pl.DataFrame]) -> None:
        (part,), chunk = item
        folder = f"{location.path}/{part}"
        location.filesystem.create_dir(folder, recursive=True)
        path = f"{folder}/{'.' if staged else ''}{stamp}_{uuid.uuid4().hex[:16]}.parquet"
        table = chunk.select(schema.names).to_arrow().cast(schema)
        with lock:
            written.append(path)
        pq.write_table(table, path, filesystem=location.filesystem, compression="snappy")

    parts = frame.partition_by("__part", as_dict=True, maintain_order=True).items()
    try:
        with ThreadPoolExecutor(max_workers=_WRITE_THREADS) as pool:
            list(pool.map(write_one, parts))
    except (OSError, pa.ArrowException) as exc:
        delete_files(location, written)
        raise FeatureStoreError(
            f"{spec.name}: writing the offline store at {location.uri} failed: {exc}"
        ) from exc
    return written


def publish_staged(location: OfflineLocation, staged_paths: list[str]) -> list[str]:
    """Rename staged files to their visible names; returns the published paths."""
    published = []
    for path in staged_paths:
        folder, name = path.rsplit("/", 1)
        target = f"{folder}/{name[1:]}"
        location.filesystem.move(path, target)
        published.append(target)
    return published


def delete_files(location: OfflineLocation, paths: list[str]) -> None:
    for path in paths:
        try:
            location.filesystem.delete_file(path)
        except OSError:
            log.warning("could not remove %s", path)


def _hour_key_at_least(ts: datetime) -> ds.Expression:
    y, m, d, h = (ds.field(k) for k in PARTITION_KEYS)
    return (
        (y > ts.year)
        | ((y == ts.year) & (m > ts.month))
        | ((y == ts.year) & (m == ts.month) & (d > ts.day))
        | ((y == ts.year) & (m == ts.month) & (d == ts.day) & (h >= ts.hour))
    )


def _hour_key_at_most(ts: datetime) -> ds.Expression:
    y, m, d, h = (ds.field(k) for k in PARTITION_KEYS)
    return (
        (y < ts.year)
        | ((y == ts.year) & (m < ts.month))
        | ((y == ts.year) & (m == ts.month) & (d < ts.day))
        | ((y == ts.year) & (m == ts.month) & (d == ts.day) & (h <= ts.hour))
    )


def read_offline(
    spec: FeatureGroupSpec,
    location: OfflineLocation,
    *,
    columns: list[str] | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> pl.DataFrame:
    """Read a feature group's offline records, optionally only event times in [start, end].

    Returns the requested spec columns (default: all) plus ``__event_ts`` (UTC),
    ``write_time``, ``api_invocation_time`` and ``is_deleted``. Partitions outside the
    window are not read.
    """
    schema = offline_schema(spec)
    wanted = list(
        dict.fromkeys(
            [
                *(columns or spec.feature_names),
                spec.record_identifier_feature,
                spec.event_time_feature,
                *META_COLUMNS,
            ]
        )
    )
    try:
        info = location.filesystem.get_file_info(location.path)
        if info.type == pafs.FileType.NotFound:
            table = schema.empty_table().select(wanted)
        else:
            dataset = ds.dataset(
                location.path,
                schema=pa.unify_schemas([schema, _PARTITIONING.schema]),
                format="parquet",
                filesystem=location.filesystem,
                partitioning=_PARTITIONING,
            )
            flt = None
            if start is not None:
                flt = _hour_key_at_least(start)
            if end is not None:
                flt = _hour_key_at_most(end) if flt is None else flt & _hour_key_at_most(end)
            table = dataset.to_table(columns=wanted, filter=flt)
    except (OSError, pa.ArrowException) as exc:
        raise FeatureStoreError(
            f"{spec.name}: cannot read the offline store at {location.uri}: {exc}. "
            "A corrupt or foreign file in the data folder must be removed or restored."
        ) from exc
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    name = spec.event_time_feature
    if spec.event_time_type == "String":
        parsed, _ = parse_iso_expr(name)
    else:
        parsed = pl.from_epoch((pl.col(name) * 1e6).cast(pl.Int64), "us").dt.replace_time_zone("UTC")
    frame = frame.with_columns(parsed.alias(EVENT_TS))
    bad = frame.filter(pl.col(EVENT_TS).is_null())
    if bad.height:
        raise FeatureStoreError(
            f"{spec.name}: {bad.height} offline record(s) at {location.uri} have an unreadable event time "
            f"(first: {bad[name][0]!r}); the data does not match spec {spec.source_path or spec.name}"
        )
    if start is not None:
        frame = frame.filter(pl.col(EVENT_TS) >= pl.lit(start).cast(UTC_US))
    if end is not None:
        frame = frame.filter(pl.col(EVENT_TS) <= pl.lit(end).cast(UTC_US))
    return frame
