"""The Polars preprocessing the inference job uses must equal the fitted sklearn pipeline's."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from ml_platform.model_input import compile_preprocess, model_features, preprocess_agrees, to_model_input
from ml_training.model import build_pipeline
from ml_training.settings import resolve

pytestmark = pytest.mark.unit
GROUPS = ("customer_profile", "customer_activity", "customer_billing")


def frame(features, n: int, seed: int, categories=("a", "b", "c")) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    columns = {}
    for f in features:
        if f.type == "String":
            values = rng.choice([*categories, None], n).tolist()
        else:
            values = [None if rng.random() < 0.1 else float(v) for v in rng.normal(size=n)]
        columns[f.name] = values
    return pl.DataFrame(
        columns, schema={f.name: pl.Utf8 if f.type == "String" else pl.Float64 for f in features}
    )


@pytest.fixture
def fitted(specs):
    features = model_features(specs, GROUPS)
    settings = resolve(
        env={
            "MLP_MODEL": "churn",
            "MLP_N_ESTIMATORS": "5",
            "MLP_MAX_DEPTH": "3",
            "MLP_LABELS_URI": "unused.parquet",
        }
    )
    train = frame(features, 400, seed=1)
    # A numeric column with no missing value at fit time: no indicator column for it.
    first_numeric = next(f.name for f in features if f.type != "String")
    train = train.with_columns(pl.col(first_numeric).fill_null(0.0))
    y = np.arange(train.height) % 2
    return build_pipeline(features, settings).fit(to_model_input(train, features), y), features


def test_compiled_preprocessing_equals_sklearn_with_nulls_and_unknown_categories(fitted):
    pipeline, features = fitted
    compiled = compile_preprocess(pipeline, features)
    assert compiled is not None
    unseen = frame(features, 300, seed=2, categories=("a", "zzz-unseen"))
    assert preprocess_agrees(pipeline, features, compiled, unseen)
    transform, estimator = compiled
    np.testing.assert_allclose(
        estimator.predict_proba(transform(unseen)), pipeline.predict_proba(to_model_input(unseen, features))
    )


def test_a_pipeline_of_another_shape_is_not_compiled(fitted):
    pipeline, features = fitted
    other = Pipeline([("scale", StandardScaler()), ("model", pipeline.steps[-1][1])])
    assert compile_preprocess(other, features) is None
    assert compile_preprocess(pipeline.steps[-1][1], features) is None


def test_disagreement_is_detected(fitted):
    pipeline, features = fitted
    transform, estimator = compile_preprocess(pipeline, features)
    sample = frame(features, 50, seed=3)
    wrong = (lambda f: transform(f) + 1.0, estimator)
    assert not preprocess_agrees(pipeline, features, wrong, sample)
