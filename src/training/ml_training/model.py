"""The scikit-learn pipeline: imputation, encoding of String features, the estimator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from ml_platform.specs import FeatureSpec
from ml_training.settings import TrainingSettings


def build_pipeline(features: list[FeatureSpec], settings: TrainingSettings) -> Pipeline:
    numeric = [f.name for f in features if f.type != "String"]
    categorical = [f.name for f in features if f.type == "String"]
    preprocess = ColumnTransformer(
        [
            (
                "numeric",
                SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
                numeric,
            ),
            (
                "categorical",
                Pipeline(
                    [
                        (
                            "impute",
                            SimpleImputer(
                                strategy="constant", fill_value="__missing__", keep_empty_features=True
                            ),
                        ),
                        ("encode", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                    ]
                ),
                categorical,
            ),
        ],
        verbose_feature_names_out=False,
    )
    if settings.estimator == "hist_gradient_boosting":
        estimator = HistGradientBoostingClassifier(
            learning_rate=settings.learning_rate,
            max_iter=settings.max_iter,
            max_depth=settings.max_depth,
            min_samples_leaf=settings.min_samples_leaf,
            random_state=settings.seed,
        )
    else:
        estimator = RandomForestClassifier(
            n_estimators=settings.n_estimators,
            max_depth=settings.max_depth,
            min_samples_leaf=settings.min_samples_leaf,
            n_jobs=-1,
            random_state=settings.seed,
        )
    return Pipeline([("preprocess", preprocess), ("model", estimator)])


def split(
    x: pd.DataFrame, y: np.ndarray, times: np.ndarray, settings: TrainingSettings
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray, np.ndarray]:
    """Holdout = the latest ``test_size`` of labels (time) or a stratified sample."""
    if settings.split == "time":
        order = np.argsort(times, kind="stable")
        cut = round(len(order) * (1 - settings.test_size))
        train_idx, test_idx = order[:cut], order[cut:]
        return x.iloc[train_idx], x.iloc[test_idx], y[train_idx], y[test_idx]
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=settings.test_size, stratify=y, random_state=settings.seed
    )
    return x_train, x_test, y_train, y_test


def undersample(
    x: pd.DataFrame, y: np.ndarray, ratio: float | None, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop majority rows at random until minority/majority >= ``ratio``."""
    if ratio is None:
        return x, y
    classes, counts = np.unique(y, return_counts=True)
    if len(classes) < 2:
        return x, y
    minority, majority = classes[np.argmin(counts)], classes[np.argmax(counts)]
    keep_major = min(counts.max(), int(np.ceil(counts.min() / ratio)))
    rng = np.random.default_rng(seed)
    major_idx = np.flatnonzero(y == majority)
    chosen = np.concatenate([np.flatnonzero(y == minority), rng.choice(major_idx, keep_major, replace=False)])
    chosen.sort()
    return x.iloc[chosen], y[chosen]
