"""Who is scored, and with which features: the population of a run and its latest features.

Built on the shared offline reads (``ml_platform.feature_store.queries``): the anchor group's
current ids (or an entity list) decide who is scored; every group contributes its latest
record as of ``as_of``, or nulls when missing or expired, exactly as in a training set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ml_platform.feature_store.offline import id_shard_filter
from ml_platform.feature_store.queries import OfflineRecords, selection_of
from ml_platform.feature_store.records import EVENT_TS, POLARS_TYPES
from ml_platform.feature_store.retrieval import latest_snapshot

_EXPIRED = "__expired"


@dataclass(frozen=True)
class ScoringFrame:
    """Latest features of a population, and who was left out and why."""

    frame: pl.DataFrame  # key columns + every selected feature, one row per scored entity
    population: int
    skipped_missing: int  # no record in the anchor group (or deleted)
    skipped_expired: int  # anchor record older than the group's TTL


def scoring_frame(
    records: OfflineRecords,
    groups: Sequence[str] | Mapping[str, Sequence[str] | None],
    *,
    anchor: str,
    as_of: datetime,
    join_keys: Mapping[str, str] | None = None,
    entities: pl.DataFrame | None = None,
    shard: tuple[int, int] = (0, 1),
) -> ScoringFrame:
    """Latest features of a population as of ``as_of``, for scoring.

    The population is every current id of ``anchor`` or the rows of ``entities`` (which hold
    every key column of ``join_keys``, group -> entity column; default: the anchor's identifier
    name for every group). An entity is scored when its ``anchor`` record exists and is within
    the TTL. ``shard=(i, n)`` keeps the entities whose anchor key hashes to i modulo n, so n
    workers cover the population exactly once; reads of groups joined on the anchor key keep
    only that shard's ids, so memory follows the shard, not the population.
    """
    selection = selection_of(groups)
    anchor_id = records.specs[anchor].record_identifier_feature
    keys = dict(join_keys or dict.fromkeys((*selection, anchor), anchor_id))
    key = keys[anchor]
    id_shard = shard if shard[1] > 1 else None
    anchor_data = records.group_data(anchor, [], end=as_of, id_shard=id_shard)
    latest = latest_snapshot(anchor_data, as_of=as_of, drop_expired=False).select(
        pl.col(anchor_id).alias(key), _EXPIRED
    )
    population = _population(records, entities, keys, latest.select(key), shard)
    present = population.join(latest, on=key, how="inner", maintain_order="left")
    frame = present.filter(~pl.col(_EXPIRED)).drop(_EXPIRED)
    valid = frame.height
    for group, features in selection.items():
        frame = frame.join(
            _latest_features(
                records,
                group,
                features,
                as_of=as_of,
                key=keys[group],
                id_shard=id_shard if keys[group] == key else None,
            ),
            on=keys[group],
            how="left",
            maintain_order="left",
        )
    return ScoringFrame(
        frame=frame,
        population=population.height,
        skipped_missing=population.height - present.height,
        skipped_expired=present.height - valid,
    )


def _latest_features(
    records: OfflineRecords,
    group: str,
    features: Sequence[str] | None,
    *,
    as_of: datetime,
    key: str,
    id_shard: tuple[int, int] | None,
) -> pl.DataFrame:
    """The group's latest unexpired features per id, the id renamed to the entity column ``key``."""
    spec = records.specs[group]
    start = as_of - spec.ttl if spec.ttl is not None else None
    data = records.group_data(group, features, start=start, end=as_of, id_shard=id_shard)
    # No id filter: the caller's left join keeps only the scored entities.
    snap = latest_snapshot(data, as_of=as_of).drop(EVENT_TS)
    return snap.rename({spec.record_identifier_feature: key})


def _population(
    records: OfflineRecords,
    entities: pl.DataFrame | None,
    keys: Mapping[str, str],
    anchor_ids: pl.DataFrame,
    shard: tuple[int, int],
) -> pl.DataFrame:
    """The entity rows to score (typed, de-duplicated, sorted), of this shard only; by default
    every current anchor id (``anchor_ids``: one column, named as the anchor's entity column)."""
    key = anchor_ids.columns[0]
    if entities is None:
        population = anchor_ids
    else:
        types = {keys[g]: records.specs[g].id_type for g in keys}
        population = entities.select(
            [pl.col(c).cast(POLARS_TYPES[t], strict=False) for c, t in types.items()]
        ).unique(maintain_order=True)
    if shard[1] > 1:
        population = population.filter(id_shard_filter(key, shard))
    return population.drop_nulls().sort(population.columns)
