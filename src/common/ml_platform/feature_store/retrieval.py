"""Point-in-time reads shared by every backend (they differ only in where files live).

Semantics, per feature group and entity row (id, t):

* candidates are the group's offline records with the same id and event time <= t;
* among them the latest event time wins; equal event times are resolved by the latest
  ``write_time`` (then ``api_invocation_time``, then the later row);
* if that record is a deletion marker (``is_deleted``), or its event time is older than
  ``t - ttl`` (the edge itself is still valid), the row gets nulls for the group's features;
* entity rows are never dropped: no match means nulls.

The engine is Polars ``join_asof`` (chosen by measurement; see the README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ml_platform.errors import MLPlatformError
from ml_platform.feature_store.records import EVENT_TS, POLARS_TYPES
from ml_platform.specs import FeatureGroupSpec
from ml_platform.timeutil import UTC_US, parse_iso_expr

_ORDER = [EVENT_TS, "write_time", "api_invocation_time"]
_ROW = "__entity_row"
_KEY = "__key"


@dataclass(frozen=True)
class GroupData:
    """A feature group's spec, its offline records and which features to return.

    ``records`` may be a function that reads them: the join then holds one group's records
    at a time (a training set over many groups needs the memory of the largest one).
    """

    spec: FeatureGroupSpec
    records: pl.DataFrame | Callable[[], pl.DataFrame]
    features: tuple[str, ...] | None = None  # default: every value feature

    def frame(self) -> pl.DataFrame:
        """The records (read now when ``records`` is a function)."""
        return self.records() if callable(self.records) else self.records

    @property
    def selected(self) -> list[str]:
        names = [f.name for f in self.spec.value_features]
        if self.features is None:
            return names
        unknown = [f for f in self.features if f not in names]
        if unknown:
            raise MLPlatformError(
                f"feature group '{self.spec.name}' has no feature(s) {', '.join(unknown)}; "
                f"available: {', '.join(names)}"
            )
        return list(self.features)


def normalise_entities(
    entities: pl.DataFrame, *, keys: Mapping[str, str], timestamp: str, source: str = "entity table"
) -> pl.DataFrame:
    """Check the entity table; give it a UTC timestamp and key columns of their types.

    ``keys`` maps each key column to its SageMaker type (``String`` or ``Integral``).
    """
    for column in (*keys, timestamp):
        if column not in entities.columns:
            raise MLPlatformError(
                f"{source}: column '{column}' not found (columns: {', '.join(entities.columns)})"
            )
    dtype = entities.schema[timestamp]
    if dtype == pl.Utf8:
        parsed, naive = parse_iso_expr(timestamp)
        ts = (
            pl.when(naive)
            .then(pl.col(timestamp).str.to_datetime(strict=False, time_unit="us").dt.replace_time_zone("UTC"))
            .otherwise(parsed)
        )
    elif isinstance(dtype, pl.Datetime):
        col = pl.col(timestamp).dt.cast_time_unit("us")
        ts = col.dt.replace_time_zone("UTC") if dtype.time_zone is None else col.dt.convert_time_zone("UTC")
    elif isinstance(dtype, pl.Date):
        ts = pl.col(timestamp).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    else:
        raise MLPlatformError(f"{source}: column '{timestamp}' has type {dtype}; expected a timestamp")
    out = entities.with_columns(
        ts.alias(timestamp), *[pl.col(k).cast(POLARS_TYPES[t], strict=False) for k, t in keys.items()]
    )
    unreadable = pl.any_horizontal(pl.col(timestamp).is_null(), *[pl.col(k).is_null() for k in keys])
    bad = out.with_row_index("__r", offset=1).filter(unreadable)
    if bad.height:
        row = bad.row(0, named=True)["__r"]
        shown = ", ".join(f"{c}={entities[c][row - 1]!r}" for c in (*keys, timestamp))
        raise MLPlatformError(
            f"{source}: {bad.height} row(s) with an empty or unreadable {_names([*keys, timestamp])} "
            f"(first: row {row}: {shown}); fix or drop them"
        )
    return out


def _names(columns: Sequence[str]) -> str:
    quoted = [f"'{c}'" for c in columns]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def join_key_types(groups: Sequence[GroupData], join_keys: Mapping[str, str]) -> dict[str, str]:
    """Key column -> the identifier type of the groups joined on it (which must agree)."""
    types: dict[str, tuple[str, str]] = {}
    for group in groups:
        column = join_keys[group.spec.name]
        seen = types.setdefault(column, (group.spec.id_type, group.spec.name))
        if seen[0] != group.spec.id_type:
            raise MLPlatformError(
                f"feature groups {seen[1]} and {group.spec.name} are both joined on '{column}' but their "
                f"identifiers are {seen[0]} and {group.spec.id_type}; join them on columns of those types"
            )
    return {column: kind for column, (kind, _) in types.items()}


def point_in_time_join(
    entities: pl.DataFrame,
    groups: Sequence[GroupData],
    *,
    join_keys: str | Mapping[str, str],
    timestamp: str,
    prefix_features: bool = False,
) -> pl.DataFrame:
    """Join the features of ``groups`` onto ``entities`` as of each row's timestamp.

    ``join_keys`` names, per group, the entity column matched against the group's record
    identifier (one name: every group on that column). Returns the entity table in its
    original order, keys cast to the identifiers' types, with the selected features of each
    group appended (named ``<group>__<feature>`` when ``prefix_features``).
    """
    if not groups:
        raise MLPlatformError("point-in-time join needs at least one feature group")
    keys = {g.spec.name: join_keys for g in groups} if isinstance(join_keys, str) else dict(join_keys)
    base = normalise_entities(entities, keys=join_key_types(groups, keys), timestamp=timestamp)
    names_taken = set(base.columns)
    out_columns: list[pl.Series] = []
    order = base.select(*dict.fromkeys(keys.values()), timestamp).with_row_index(_ROW).sort(timestamp)

    for group in groups:
        spec = group.spec
        selected = group.selected
        renamed = {f: f"{spec.name}__{f}" if prefix_features else f for f in selected}
        clash = [r for r in renamed.values() if r in names_taken]
        if clash:
            raise MLPlatformError(
                f"feature(s) {', '.join(clash)} of group '{spec.name}' clash with entity columns or another "
                "group's features; select other features or use prefixed feature names"
            )
        names_taken.update(renamed.values())
        left = order.select(_ROW, pl.col(keys[spec.name]).alias(_KEY), timestamp)
        right = (
            group.frame()
            .select(pl.col(spec.record_identifier_feature).alias(_KEY), *_ORDER, "is_deleted", *selected)
            .sort(_ORDER, maintain_order=True, nulls_last=False)
        )
        joined = left.join_asof(
            right,
            left_on=timestamp,
            right_on=EVENT_TS,
            by=_KEY,
            strategy="backward",
            check_sortedness=False,
        )
        valid = pl.col(EVENT_TS).is_not_null() & ~pl.col("is_deleted").fill_null(False)
        if spec.ttl is not None:
            valid = valid & (pl.col(EVENT_TS) >= pl.col(timestamp) - pl.lit(spec.ttl))
        joined = joined.sort(_ROW).select(
            [pl.when(valid).then(pl.col(f)).otherwise(None).alias(renamed[f]) for f in selected]
        )
        out_columns.extend(joined.get_columns())
        del right, joined  # free this group's records before the next one is read

    return base.with_columns(out_columns)


def latest_snapshot(
    group: GroupData,
    *,
    as_of: datetime,
    ids: pl.Series | None = None,
    drop_expired: bool = True,
) -> pl.DataFrame:
    """Each identifier's latest record as of ``as_of`` (deleted ones left out).

    With ``drop_expired`` records older than the TTL are left out too; otherwise they are
    kept and the boolean column ``__expired`` says which are. The result has the id,
    ``__event_ts`` and the selected features, sorted by id.
    """
    spec = group.spec
    id_name = spec.record_identifier_feature
    records = group.frame().filter(pl.col(EVENT_TS) <= pl.lit(as_of).cast(UTC_US))
    if ids is not None:
        wanted = ids.cast(records.schema[id_name], strict=False).unique().to_frame(id_name)
        records = records.join(wanted, on=id_name, how="semi", maintain_order="left")
    # A stable sort by (id, event time, write time, invocation time) puts each id's winner
    # last among its rows (ties: the later row), and the result comes out sorted by id.
    latest = (
        records.select(id_name, *_ORDER, "is_deleted", *group.selected)
        .sort([id_name, *_ORDER], maintain_order=True)
        .filter(pl.col(id_name).ne_missing(pl.col(id_name).shift(-1)))
        .filter(~pl.col("is_deleted").fill_null(False))
    )
    expired = (
        pl.col(EVENT_TS) < pl.lit(as_of - spec.ttl).cast(UTC_US) if spec.ttl is not None else pl.lit(False)
    )
    latest = latest.with_columns(expired.alias("__expired"))
    if drop_expired:
        latest = latest.filter(~pl.col("__expired")).drop("__expired")
    return latest.drop("write_time", "api_invocation_time", "is_deleted")


def iter_batches(frame: pl.DataFrame, batch_size: int) -> Iterator[pl.DataFrame]:
    """Slices of at most ``batch_size`` rows (views, no copy)."""
    if batch_size < 1:
        raise MLPlatformError(f"batch size must be >= 1, got {batch_size}")
    yield from frame.iter_slices(batch_size)
