"""Training settings: one table of fields, read from defaults < environment < hyperparameters.json < flags.

Every field has an environment variable ``MLP_<NAME>``, a hyperparameter key ``<name>``
(SageMaker passes all hyperparameters as strings) and a flag ``--<name-with-dashes>``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ml_platform import settings_table as st
from ml_platform.errors import ConfigError
from ml_platform.settings_table import Field

ESTIMATORS = ("random_forest", "hist_gradient_boosting")
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
ENVIRONMENTS = ("local", "staging", "prod")

FIELDS: tuple[Field, ...] = (
    Field("environment", st.text, "local", "environment name (experiment and lineage)", ENVIRONMENTS),
    Field("labels_uri", st.text, "", "labels file (Parquet or CSV), local path or s3://bucket/key"),
    Field("label_start_date", st.optional_time, None, "first label time to use (inclusive, ISO-8601)"),
    Field("label_end_date", st.optional_time, None, "label times before this (exclusive, ISO-8601)"),
    Field("feature_groups", st.names, (), "comma-separated feature groups to join (default: every spec)"),
    Field("entity_id_column", st.text, "customer_id", "entity id column of the labels"),
    Field("label_time_column", st.text, "label_time", "timestamp column of the labels"),
    Field("label_column", st.text, "churned", "label column (0/1)"),
    Field("estimator", st.text, "random_forest", "model type", ESTIMATORS),
    Field(
        "n_estimators", st.integer, 100, "trees (random_forest)", check=lambda v: v >= 1, requirement=">= 1"
    ),
    Field(
        "max_depth",
        st.optional_int,
        10,
        "tree depth; 0 or none for unlimited",
        check=lambda v: v is None or v >= 1,
        requirement=">= 1 or none",
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
        "learning rate (hist_gradient_boosting)",
        check=lambda v: 0 < v <= 1,
        requirement="in (0, 1]",
    ),
    Field(
        "max_iter",
        st.integer,
        200,
        "boosting iterations (hist_gradient_boosting)",
        check=lambda v: v >= 1,
        requirement=">= 1",
    ),
    Field("split", st.text, "time", "holdout split: the latest labels (time) or a stratified sample", SPLITS),
    Field("test_size", st.number, 0.2, "holdout share", check=lambda v: 0 < v < 1, requirement="in (0, 1)"),
    Field(
        "undersample_ratio",
        st.optional_float,
        None,
        "minority/majority ratio after undersampling the training part",
        check=lambda v: v is None or 0 < v <= 1,
        requirement="in (0, 1] or none",
    ),
    Field("seed", st.integer, 42, "random seed"),
    Field(
        "min_rows",
        st.integer,
        200,
        "validation: minimum training rows",
        check=lambda v: v >= 1,
        requirement=">= 1",
    ),
    Field(
        "min_class_share",
        st.number,
        0.05,
        "validation: minimum share of each class",
        check=lambda v: 0 <= v < 0.5,
        requirement="in [0, 0.5)",
    ),
    Field(
        "max_null_ratio",
        st.number,
        0.6,
        "validation: maximum null share per feature",
        check=lambda v: 0 <= v <= 1,
        requirement="in [0, 1]",
    ),
    Field("promotion_metric", st.text, "roc_auc", "metric of the promotion gate", tuple(HIGHER_IS_BETTER)),
    Field(
        "promotion_margin",
        st.number,
        0.0,
        "how much the challenger must beat the champion by",
        check=lambda v: v >= 0,
        requirement=">= 0",
    ),
    Field("promotion_floor", st.number, 0.6, "absolute minimum of the metric for promotion"),
    Field("model_name", st.text, "churn-classifier", "registered model name"),
    Field("experiment_name", st.text, "", "MLflow experiment (default: ml-platform-<environment>)"),
    Field(
        "mlflow_tracking_uri",
        st.text,
        "",
        "sqlite:///..., http(s)://... or a SageMaker MLflow ARN (default: local SQLite)",
    ),
    Field("image_uri", st.text, "", "lineage: image the job runs in"),
    Field("pipeline_execution_arn", st.text, "", "lineage: SageMaker pipeline execution"),
    Field("git_sha", st.text, "", "lineage: source revision"),
)


@dataclass(frozen=True, kw_only=True)
class TrainingSettings:
    environment: str
    labels_uri: str
    label_start_date: datetime | None
    label_end_date: datetime | None
    feature_groups: tuple[str, ...]
    entity_id_column: str
    label_time_column: str
    label_column: str
    estimator: str
    n_estimators: int
    max_depth: int | None
    min_samples_leaf: int
    learning_rate: float
    max_iter: int
    split: str
    test_size: float
    undersample_ratio: float | None
    seed: int
    min_rows: int
    min_class_share: float
    max_null_ratio: float
    promotion_metric: str
    promotion_margin: float
    promotion_floor: float
    model_name: str
    experiment_name: str
    mlflow_tracking_uri: str
    image_uri: str
    pipeline_execution_arn: str
    git_sha: str

    @property
    def experiment(self) -> str:
        return self.experiment_name or f"ml-platform-{self.environment}"

    def hyperparameters(self) -> dict[str, Any]:
        """The model-shaping settings, as logged to MLflow."""
        keys = (
            "estimator",
            "n_estimators",
            "max_depth",
            "min_samples_leaf",
            "learning_rate",
            "max_iter",
            "split",
            "test_size",
            "undersample_ratio",
            "seed",
        )
        return {k: getattr(self, k) for k in keys}


def read_hyperparameters(path: Path) -> dict[str, str]:
    """SageMaker's hyperparameters.json (all values strings); unknown keys are an error."""
    return st.read_json_settings(path, FIELDS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    st.add_arguments(
        parser, FIELDS, "training settings (flag > hyperparameters.json > MLP_<NAME> env > default)"
    )


def resolve(
    *,
    flags: Mapping[str, Any] | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    hyperparameters_source: str = "hyperparameters.json",
) -> TrainingSettings:
    settings = st.resolve_table(
        TrainingSettings,
        FIELDS,
        flags=flags,
        overrides=hyperparameters,
        env=os.environ if env is None else env,
        overrides_source=f"hyperparameter in {hyperparameters_source}",
    )
    if not settings.labels_uri:
        raise ConfigError(
            "labels_uri is not set: pass --labels-uri, the labels_uri hyperparameter or MLP_LABELS_URI"
        )
    if (
        settings.label_start_date
        and settings.label_end_date
        and settings.label_start_date >= settings.label_end_date
    ):
        raise ConfigError(
            f"label_start_date ({settings.label_start_date:%Y-%m-%dT%H:%M:%SZ}) must be before "
            f"label_end_date ({settings.label_end_date:%Y-%m-%dT%H:%M:%SZ})"
        )
    return settings
