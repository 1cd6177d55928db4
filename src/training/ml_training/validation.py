"""Checks on the training set before anything is trained; thresholds are settings."""

from __future__ import annotations

import polars as pl

from ml_platform.feature_store.records import POLARS_TYPES
from ml_platform.specs import FeatureSpec
from ml_training.data import TrainingDataError
from ml_training.settings import TrainingSettings


def validate_training_set(
    frame: pl.DataFrame, features: list[FeatureSpec], settings: TrainingSettings
) -> dict:
    """Raise :class:`TrainingDataError` naming the failed check; return the figures checked."""
    for f in features:
        if f.name not in frame.columns:
            raise TrainingDataError(f"schema: feature {f.name!r} is missing from the training set")
        expected = POLARS_TYPES[f.type]
        if frame.schema[f.name] != expected and frame[f.name].null_count() < frame.height:
            raise TrainingDataError(
                f"schema: feature {f.name!r} has type {frame.schema[f.name]}, the spec says {f.type} ({expected})"
            )
    rows = frame.height
    if rows < settings.min_rows:
        raise TrainingDataError(
            f"only {rows} labelled rows in the window, fewer than min_rows={settings.min_rows}; "
            "widen the label window or lower min_rows"
        )
    counts = dict(frame[settings.spec.label_column].value_counts().iter_rows())
    shares = {int(k): v / rows for k, v in counts.items()}
    for cls in (0, 1):
        share = shares.get(cls, 0.0)
        if share == 0.0:
            raise TrainingDataError(
                f"label '{settings.spec.label_column}' has no rows of class {cls} in the window; both classes are needed"
            )
        if share < settings.min_class_share:
            raise TrainingDataError(
                f"class {cls} is {share:.1%} of the rows, below min_class_share={settings.min_class_share}; "
                "widen the window, undersample, or lower min_class_share"
            )
    null_ratios = {f.name: frame[f.name].null_count() / rows for f in features}
    worst = max(null_ratios, key=null_ratios.get) if null_ratios else None
    if worst is not None and null_ratios[worst] > settings.max_null_ratio:
        too_many = [n for n, r in null_ratios.items() if r > settings.max_null_ratio]
        raise TrainingDataError(
            f"null ratio of feature(s) {', '.join(too_many)} exceeds max_null_ratio={settings.max_null_ratio} "
            f"(worst: {worst} {null_ratios[worst]:.1%}); check the feature groups' data, TTLs or the label window"
        )
    return {"rows": rows, "class_shares": shares, "null_ratios": null_ratios}
