"""Estimator families, their hyperparameters and the promotion metrics, declared once.

Read by the model spec checks (``validate-specs``) and by the training settings, so a
hyperparameter is validated the same way in a spec, a flag or a pipeline parameter.
"""

from __future__ import annotations

from ml_platform import settings_table as st
from ml_platform.settings_table import Field


def _within(name: str, parse, default, description: str, *, low: float, high: float | None = None) -> Field:
    """A hyperparameter checked to lie in [low, high] (no upper bound when ``high`` is None)."""
    requirement = f">= {low}" if high is None else f"in [{low}, {high}]"
    return Field(
        name,
        parse,
        default,
        description,
        check=lambda v: low <= v and (high is None or v <= high),
        requirement=requirement,
    )


HYPERPARAMETERS: tuple[Field, ...] = (
    _within(
        "n_estimators",
        st.integer,
        100,
        "trees (random_forest) or boosting rounds (lightgbm, xgboost)",
        low=1,
        high=10_000,
    ),
    Field(
        "max_depth",
        st.optional_int,
        10,
        "tree depth; 0 or none for unlimited (xgboost: its default, 6)",
        check=lambda v: v is None or 1 <= v <= 64,
        requirement="in [1, 64] or none",
    ),
    _within("min_samples_leaf", st.integer, 5, "minimum samples per leaf", low=1),
    Field(
        "learning_rate",
        st.number,
        0.1,
        "learning rate (hist_gradient_boosting, lightgbm, xgboost)",
        check=lambda v: 0 < v <= 1,
        requirement="in (0, 1]",
    ),
    _within("max_iter", st.integer, 200, "boosting iterations (hist_gradient_boosting)", low=1, high=10_000),
    _within("num_leaves", st.integer, 31, "leaves per tree (lightgbm)", low=2, high=131_072),
    _within("min_child_weight", st.number, 1.0, "minimum hessian sum per leaf (xgboost)", low=0),
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
