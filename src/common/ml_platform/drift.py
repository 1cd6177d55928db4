"""Feature drift: a reference profile of the training rows, and how far a scored population is from it.

Training writes :func:`reference_profile` with the model version (MLflow artifact
``monitoring/reference_profile.json``); inference compares the population it scores against it
with :func:`compare` before publishing. Per feature: the population stability index (PSI) over
the reference's bins (decile edges of a numeric feature, the categories of a string feature plus
one bin for every other value), the null share then and now, and the share of string values the
training rows never had.

Plain numpy and Polars, not evidently or nannyml: those bring pandas, scipy and plotting stacks
into the inference image for a computation of a few lines, and this is the same code on both
sides (training writes what inference reads).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import polars as pl

from ml_platform.specs import FeatureSpec

PROFILE_VERSION = 1
BINS = 10
MAX_CATEGORIES = 200
# A bin empty on one side would make PSI infinite; both shares are floored at this.
EPSILON = 1e-4


@dataclass(frozen=True)
class FeatureDrift:
    feature: str
    psi: float
    null_share_reference: float
    null_share: float
    unseen_share: float  # share of non-null values outside the reference's categories (strings)
    status: str = "ok"  # ok | warn | fail, against the model spec's thresholds

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _values(frame: pl.DataFrame, feature: FeatureSpec) -> tuple[pl.Series, float]:
    """The feature's non-null values and its null share (NaN counts as null)."""
    col = frame[feature.name]
    if col.dtype.is_float():
        col = col.fill_nan(None)
    nulls = col.null_count() / len(col) if len(col) else 0.0
    return col.drop_nulls(), nulls


def _numeric_counts(values: np.ndarray, edges: Sequence[float]) -> np.ndarray:
    return np.bincount(np.searchsorted(np.asarray(edges), values, side="right"), minlength=len(edges) + 1)


def _feature_profile(frame: pl.DataFrame, feature: FeatureSpec) -> dict[str, Any]:
    values, nulls = _values(frame, feature)
    if feature.type == "String":
        counts = values.cast(pl.Utf8).value_counts(sort=True, name="n").head(MAX_CATEGORIES)
        total = max(len(values), 1)
        shares = {str(v): n / total for v, n in counts.iter_rows()}
        return {"kind": "categorical", "shares": shares, "null_share": nulls}
    numbers = values.cast(pl.Float64).to_numpy()
    inner = np.linspace(0, 1, BINS + 1)[1:-1]
    edges = np.unique(np.quantile(numbers, inner)).tolist() if numbers.size else []
    counts = _numeric_counts(numbers, edges)
    shares = (counts / max(numbers.size, 1)).tolist()
    return {"kind": "numeric", "edges": edges, "shares": shares, "null_share": nulls}


def reference_profile(frame: pl.DataFrame, features: Sequence[FeatureSpec]) -> dict[str, Any]:
    """The profile of the training rows that inference compares each population with."""
    return {
        "version": PROFILE_VERSION,
        "rows": frame.height,
        "features": {f.name: _feature_profile(frame, f) for f in features},
    }


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index, sum of (actual - expected) * ln(actual / expected) over bins."""
    pairs = [(max(e, EPSILON), max(a, EPSILON)) for e, a in zip(expected, actual, strict=True)]
    return sum((a - e) * math.log(a / e) for e, a in pairs)


def _compare_feature(reference: dict[str, Any], frame: pl.DataFrame, feature: FeatureSpec) -> FeatureDrift:
    values, nulls = _values(frame, feature)
    total = max(len(values), 1)
    if reference["kind"] == "categorical":
        known = reference["shares"]
        counts = dict(values.cast(pl.Utf8).value_counts(name="n").iter_rows())
        actual = [counts.get(c, 0) / total for c in known]
        other = 1.0 - sum(actual) if len(values) else 0.0
        expected_other = max(0.0, 1.0 - sum(known.values()))
        score = psi([*known.values(), expected_other], [*actual, other])
        unseen = other
    else:
        counts = _numeric_counts(values.cast(pl.Float64).to_numpy(), reference["edges"])
        score, unseen = psi(reference["shares"], (counts / total).tolist()), 0.0
    return FeatureDrift(
        feature.name, round(score, 6), reference["null_share"], round(nulls, 6), round(unseen, 6)
    )


def compare(
    profile: dict[str, Any], frame: pl.DataFrame, features: Sequence[FeatureSpec], *, warn: float, fail: float
) -> list[FeatureDrift]:
    """Each profiled feature's drift in ``frame``, with its status against ``warn`` and ``fail``."""
    found = []
    for feature in features:
        reference = profile["features"].get(feature.name)
        if reference is None:
            continue
        drift = _compare_feature(reference, frame, feature)
        status = "fail" if drift.psi >= fail else "warn" if drift.psi >= warn else "ok"
        found.append(FeatureDrift(**{**drift.as_dict(), "status": status}))
    return found
