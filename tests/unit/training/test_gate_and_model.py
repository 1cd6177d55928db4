"""The promotion gate's decision, splitting, undersampling and the training-set checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import polars as pl
import pytest

from ml_platform.specs import FeatureSpec
from ml_training.data import TrainingDataError
from ml_training.model import split, undersample
from ml_training.registry import decide
from ml_training.settings import resolve
from ml_training.validation import validate_training_set

pytestmark = pytest.mark.unit

SETTINGS = resolve(env={"MLP_MODEL": "churn", "MLP_LABELS_URI": "x.parquet", "MLP_MIN_ROWS": "10"})


def gate(**kw):
    base = {
        "metric": "roc_auc",
        "challenger_version": "2",
        "challenger_score": 0.8,
        "champion_version": "1",
        "champion_score": 0.75,
        "margin": 0.02,
        "floor": 0.6,
    }
    return decide(**{**base, **kw})


def test_gate_promotes_when_beating_champion_by_margin():
    assert gate().promoted
    assert not gate(challenger_score=0.76).promoted
    assert "does not beat champion v1" in gate(challenger_score=0.76).reason


def test_gate_tie_keeps_the_champion():
    assert not gate(challenger_score=0.75, margin=0.0).promoted


def test_gate_first_model_needs_the_floor():
    assert gate(champion_version=None, champion_score=None).promoted
    refused = gate(champion_version=None, champion_score=None, challenger_score=0.55)
    assert not refused.promoted and "floor" in refused.reason


def test_gate_lower_is_better_metric():
    assert gate(metric="log_loss", challenger_score=0.40, champion_score=0.45, floor=0.7).promoted
    assert not gate(metric="log_loss", challenger_score=0.44, champion_score=0.45, floor=0.7).promoted


def test_gate_keeps_champion_it_cannot_score():
    decision = gate(champion_score=None, champion_error="KeyError: 'age'")
    assert not decision.promoted and "could not be scored" in decision.reason


def test_time_split_holds_out_the_latest_labels():
    x = pd.DataFrame({"a": range(10)})
    y = np.array([0, 1] * 5)
    times = np.array([np.datetime64(f"2026-01-{d + 1:02d}") for d in range(10)][::-1])
    _, x_test, _, _ = split(x, y, times, SETTINGS)
    assert sorted(x_test["a"]) == [0, 1]  # the two latest times are rows 0 and 1


def test_undersample_reaches_the_ratio():
    x = pd.DataFrame({"a": range(100)})
    y = np.array([1] * 10 + [0] * 90)
    xs, ys = undersample(x, y, 0.5, seed=1)
    assert (ys == 1).sum() == 10 and (ys == 0).sum() == 20
    assert list(xs.index) == sorted(xs.index)


FEATURES = [FeatureSpec("age", "Integral", "a"), FeatureSpec("plan", "String", "p")]


def frame(labels, ages=None):
    n = len(labels)
    return pl.DataFrame(
        {"churned": labels, "age": ages if ages is not None else list(range(n)), "plan": ["x"] * n},
        schema_overrides={"age": pl.Int64},
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (frame([0, 1] * 3), "only 6 labelled rows"),
        (frame([0] * 20), "no rows of class 1"),
        (frame([0] * 39 + [1]), "below min_class_share"),
        (frame([0, 1] * 10, ages=[None] * 15 + [1] * 5), "null ratio of feature(s) age"),
        (
            frame([0, 1] * 10).with_columns(pl.col("age").cast(pl.Utf8)),
            "schema: feature 'age' has type String",
        ),
    ],
)
def test_training_set_checks(data, message):
    with pytest.raises(TrainingDataError) as err:
        validate_training_set(data, FEATURES, SETTINGS)
    assert message in str(err.value)
