"""The model's input frame, built the same way at training and at inference time."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import polars as pl

from ml_platform.errors import MLPlatformError
from ml_platform.specs import FeatureSpec, SpecRegistry


def model_features(specs: SpecRegistry, groups: Sequence[str]) -> list[FeatureSpec]:
    """The value features of ``groups``, in group then spec order (the model's columns)."""
    features: list[FeatureSpec] = []
    seen: dict[str, str] = {}
    for group in groups:
        for feature in specs[group].value_features:
            if feature.name in seen:
                raise MLPlatformError(
                    f"feature {feature.name!r} is in both {seen[feature.name]} and {group}; "
                    "feature names must be unique across the groups a model uses"
                )
            seen[feature.name] = group
            features.append(feature)
    return features


def to_model_input(frame: pl.DataFrame, features: Sequence[FeatureSpec]) -> pd.DataFrame:
    """Numeric features as float64 (null -> NaN), String features as object (null -> NaN)."""
    missing = [f.name for f in features if f.name not in frame.columns]
    if missing:
        raise MLPlatformError(f"feature column(s) missing from the input: {', '.join(missing)}")
    columns: dict[str, np.ndarray] = {}
    for f in features:
        series = frame[f.name]
        if f.type == "String":
            values = series.cast(pl.Utf8).to_numpy().astype(object)
            values[series.is_null().to_numpy()] = np.nan
            columns[f.name] = values
        else:
            columns[f.name] = series.cast(pl.Float64).fill_null(np.nan).to_numpy()
    return pd.DataFrame(columns)
