"""Estimator families, their hyperparameters and the promotion metrics, declared once.

Read by the model spec checks (``validate-specs``) and by the training settings, so a
hyperparameter is validated the same way in a spec, a flag or a pipeline parameter.
"""

from __future__ import annotations

from ml_platform import settings_table as st
from ml_platform.settings_table import Field

HYPERPARAMETERS: tuple[Field, ...] = (
    Field(
        "n_estimators",
        st.integer,
        100,
        "trees (random_forest) or boosting rounds (lightgbm, xgboost)",
        check=lambda v: 1 <= v <= 10_000,
        requirement="in [1, 10000]",
    ),
    Field(
        "max_depth",
        st.optional_int,
        10,
        "tree depth; 0 or none for unlimited (xgboost: its default, 6)",
        check=lambda v: v is None or 1 <= v <= 64,
        requirement="in [1, 64] or none",
    ),
    Field(
        "min_samples_leaf",
        st.integer,
        5,
        "minimum samples per leaf",
        check=lambda v: v >= 1,
        requirement=">= 1",
    ),
    Field(
        "learning_rate",
        st.number,
        0.1,
        "learning rate (hist_gradient_boosting, lightgbm, xgboost)",
        check=lambda v: 0 < v <= 1,
        requirement="in (0, 1]",
    ),
    Field(
        "max_iter",
        st.integer,
        200,
        "boosting iterations (hist_gradient_boosting)",
        check=lambda v: 1 <= v <= 10_000,
        requirement="in [1, 10000]",
    ),
    Field(
        "num_leaves",
        st.integer,
        31,
        "leaves per tree (lightgbm)",
        check=lambda v: 2 <= v <= 131_072,
        requirement="in [2, 131072]",
    ),
    Field(
        "min_child_weight",
        st.number,
        1.0,
        "minimum hessian sum per leaf (xgboost)",
        check=lambda v: v >= 0,
        requirement=">= 0",
    ),
)
# Which hyperparameters each family takes (a spec naming another one is an error).
ESTIMATORS: dict[str, tuple[str, ...]] = {
    "random_forest": ("n_estimators", "max_depth", "min_samples_leaf"),
    "hist_gradient_boosting": ("learning_rate", "max_iter", "max_depth", "min_samples_leaf"),
    "lightgbm": ("n_estimators", "learning_rate", "num_leaves", "max_depth", "min_samples_leaf"),
    "xgboost": ("n_estimators", "learning_rate", "max_depth", "min_child_weight"),
}
SPLITS = ("time", "stratified")
HIGHER_IS_BETTER = {
    "roc_auc": True,
    "gini": True,
    "f1": True,
    "accuracy": True,
    "precision": True,
    "recall": True,
    "log_loss": False,
}
