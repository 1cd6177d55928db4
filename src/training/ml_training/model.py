"""The model: imputation, missing-value indicators, one-hot encoding of String features and one of
the estimator families of ``ml_platform.estimators``, as one scikit-learn pipeline.

Every part converts to ONNX (``ml_training.onnx_export``). Numeric features are median-imputed
with an indicator column per feature, so no estimator sees NaN and every family follows the same
rules; String nulls arrive as their own category (``ml_platform.model_input``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from ml_platform.specs import FeatureSpec
from ml_training.settings import TrainingSettings


def _estimator_class(family: str) -> Any:
    if family == "lightgbm":
        from lightgbm import LGBMClassifier

        return LGBMClassifier
    if family == "xgboost":
        from xgboost import XGBClassifier

        return XGBClassifier
    return {
        "random_forest": RandomForestClassifier,
        "hist_gradient_boosting": HistGradientBoostingClassifier,
    }[family]


def _estimator_arguments(s: TrainingSettings) -> dict[str, Any]:
    """The library's own argument names for the family's validated hyperparameters."""
    unlimited = -1 if s.max_depth is None else s.max_depth  # LightGBM's "no limit"
    return {
        "random_forest": {"n_estimators": s.n_estimators, "max_depth": s.max_depth, "n_jobs": -1,
                          "min_samples_leaf": s.min_samples_leaf},
        "hist_gradient_boosting": {"learning_rate": s.learning_rate, "max_iter": s.max_iter,
                                   "max_depth": s.max_depth, "min_samples_leaf": s.min_samples_leaf},
        "lightgbm": {"n_estimators": s.n_estimators, "learning_rate": s.learning_rate, "num_leaves": s.num_leaves,
                     "max_depth": unlimited, "min_child_samples": s.min_samples_leaf, "deterministic": True,
                     "verbose": -1},
        "xgboost": {"n_estimators": s.n_estimators, "learning_rate": s.learning_rate, "max_depth": s.max_depth,
                    "min_child_weight": s.min_child_weight, "tree_method": "hist"},
    }[s.estimator]  # fmt: skip


def build_estimator(settings: TrainingSettings) -> Any:
    """The classifier of ``settings.estimator`` with its validated hyperparameters."""
    arguments = _estimator_arguments(settings)
    return _estimator_class(settings.estimator)(**arguments, random_state=settings.seed)


def build_pipeline(features: list[FeatureSpec], settings: TrainingSettings) -> Pipeline:
    numeric = [f.name for f in features if f.type != "String"]
    categorical = [f.name for f in features if f.type == "String"]
    preprocess = ColumnTransformer(
        [
            ("numeric", SimpleImputer(strategy="median", keep_empty_features=True), numeric),
            ("missing", MissingIndicator(features="all"), numeric),
            ("categorical", OneHotEncoder(handle_unknown="ignore", sparse_output=False), categorical),
        ],
        verbose_feature_names_out=False,
    )
    return Pipeline([("preprocess", preprocess), ("model", build_estimator(settings))])


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
