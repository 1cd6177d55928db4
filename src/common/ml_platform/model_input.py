"""The model's input frame, built the same way at training and at inference time."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import polars as pl

from ml_platform.errors import MLPlatformError
from ml_platform.specs import FeatureSpec, SpecRegistry

# What a null String feature becomes, in training and in inference (a category of its own).
MISSING_CATEGORY = "__missing__"


def model_features(
    specs: SpecRegistry, groups: Sequence[str] | Mapping[str, Sequence[str] | None]
) -> list[FeatureSpec]:
    """The model's columns: each group's selected value features (default all), in group then
    spec order."""
    selection = groups if isinstance(groups, Mapping) else dict.fromkeys(groups)
    features: list[FeatureSpec] = []
    seen: dict[str, str] = {}
    for group, chosen in selection.items():
        for feature in specs[group].value_features:
            if chosen is not None and feature.name not in chosen:
                continue
            if feature.name in seen:
                raise MLPlatformError(
                    f"feature {feature.name!r} is in both {seen[feature.name]} and {group}; "
                    "feature names must be unique across the groups a model uses"
                )
            seen[feature.name] = group
            features.append(feature)
    return features


def _check_columns(frame: pl.DataFrame, features: Sequence[FeatureSpec]) -> None:
    missing = [f.name for f in features if f.name not in frame.columns]
    if missing:
        raise MLPlatformError(f"feature column(s) missing from the input: {', '.join(missing)}")


def _numeric(series: pl.Series) -> pl.Series:
    """float32 values (null -> NaN): what an ONNX model takes and what sklearn's trees compare."""
    return series.cast(pl.Float32).fill_null(float("nan"))


def _string(series: pl.Series) -> pl.Series:
    """Text with null as :data:`MISSING_CATEGORY` (ONNX string tensors have no null)."""
    return series.cast(pl.Utf8).fill_null(MISSING_CATEGORY)


def onnx_feed(frame: pl.DataFrame, features: Sequence[FeatureSpec]) -> dict[str, np.ndarray]:
    """The ONNX model's inputs: one ``[rows, 1]`` tensor per feature (float32, or string), the same
    values :func:`to_model_input` gives the native model."""
    _check_columns(frame, features)
    feed: dict[str, np.ndarray] = {}
    for f in features:
        if f.type == "String":
            feed[f.name] = _string(frame[f.name]).to_numpy().astype(object).reshape(-1, 1)
        else:
            feed[f.name] = _numeric(frame[f.name]).to_numpy().reshape(-1, 1)
    return feed


def to_model_input(frame: pl.DataFrame, features: Sequence[FeatureSpec]) -> pd.DataFrame:
    """The native model's input: the values of :func:`onnx_feed` as columns, numeric ones as
    float64 holding float32 values (null -> NaN), String ones as object (null ->
    :data:`MISSING_CATEGORY`), so the native model and its ONNX copy see the same numbers."""
    feed = onnx_feed(frame, features)
    return pd.DataFrame(
        {
            f.name: feed[f.name].ravel() if f.type == "String" else feed[f.name].ravel().astype(np.float64)
            for f in features
        }
    )
