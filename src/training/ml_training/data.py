"""Labels in, point-in-time training set out (through the shared feature store code)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import polars as pl

from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import FeatureStore
from ml_platform.feature_store.retrieval import normalise_entities
from ml_platform.storage import read_table
from ml_training.settings import TrainingSettings

log = logging.getLogger(__name__)


class TrainingDataError(MLPlatformError):
    """The labels or the training set fail a check; nothing is trained or registered."""


@dataclass(frozen=True)
class TrainingData:
    frame: pl.DataFrame  # entity id, label time, label, features
    groups: tuple[str, ...]
    as_of: datetime


def load_labels(settings: TrainingSettings) -> pl.DataFrame:
    """The labels inside the window, with a UTC timestamp, typed keys and a 0/1 label."""
    spec = settings.spec
    raw = read_table(settings.labels_uri, what="labels file")
    time_column, label_column = spec.label_time_column, spec.label_column
    needed = [*spec.entity_keys, time_column, label_column]
    missing = [c for c in needed if c not in raw.columns]
    if missing:
        raise TrainingDataError(
            f"labels file {settings.labels_uri}: missing column(s) {', '.join(missing)} "
            f"(has: {', '.join(raw.columns)}); set entity_keys, labels.time_column and labels.label_column "
            f"in {spec.source_path} to match"
        )
    labels = normalise_entities(
        raw.select(needed),
        keys=spec.entity_keys,
        timestamp=time_column,
        source=f"labels file {settings.labels_uri}",
    )
    label = labels[label_column]
    as_int = label.cast(pl.Int64, strict=False) if label.dtype != pl.Boolean else label.cast(pl.Int64)
    bad = labels.with_row_index("__r", offset=1).filter(as_int.is_null() | ~as_int.is_in([0, 1]))
    if bad.height:
        row = bad.row(0, named=True)
        raise TrainingDataError(
            f"labels file {settings.labels_uri}: {bad.height} row(s) where '{label_column}' is not 0 or 1 "
            f"(first: row {row['__r']}, value {row[label_column]!r}); labels must be binary"
        )
    labels = labels.with_columns(as_int.alias(label_column))
    ts = pl.col(time_column)
    window = pl.lit(True)
    if settings.label_start_date:
        window = window & (ts >= pl.lit(settings.label_start_date).cast(pl.Datetime("us", "UTC")))
    if settings.label_end_date:
        window = window & (ts < pl.lit(settings.label_end_date).cast(pl.Datetime("us", "UTC")))
    inside = labels.filter(window)
    if inside.height == 0:
        span = f"{labels[time_column].min()} .. {labels[time_column].max()}"
        raise TrainingDataError(
            f"no labels in the window [{settings.label_start_date or '-inf'}, {settings.label_end_date or '+inf'}) "
            f"in {settings.labels_uri} (its {labels.height} labels span {span}); widen label_start_date/label_end_date"
        )
    log.info("labels: %d of %d rows inside the window", inside.height, labels.height)
    return inside


def build_training_set(settings: TrainingSettings, store: FeatureStore, as_of: datetime) -> TrainingData:
    """The model's point-in-time training set: each group joined on its own key column."""
    spec = settings.spec
    labels = load_labels(settings)
    frame = store.training_set(
        labels,
        dict(spec.selection),
        join_keys=spec.join_keys,
        timestamp=spec.label_time_column,
        as_of=as_of,
    )
    return TrainingData(frame, spec.group_names, as_of)
