"""Training settings: one table of fields, read from defaults < environment < hyperparameters.json < flags.

Every field has an environment variable ``MLP_<NAME>``, a hyperparameter key ``<name>``
(SageMaker passes all hyperparameters as strings) and a flag ``--<name-with-dashes>``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from ml_platform.errors import ConfigError
from ml_platform.timeutil import parse_timestamp

log = logging.getLogger(__name__)

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


def _text(value: str) -> str:
    return value


def _int(value: str) -> int:
    return int(value)


def _float(value: str) -> float:
    return float(value)


def _optional_int(value: str) -> int | None:
    return None if value.strip().lower() in ("", "none", "null", "0") else int(value)


def _optional_float(value: str) -> float | None:
    return None if value.strip().lower() in ("", "none", "null") else float(value)


def _optional_time(value: str) -> datetime | None:
    return None if value.strip().lower() in ("", "none", "null") else parse_timestamp(value)


def _names(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    check: Callable[[Any], bool] | None = None
    requirement: str = ""


FIELDS: tuple[Field, ...] = (
    Field("environment", _text, "local", "environment name (experiment and lineage)", ENVIRONMENTS),
    Field("labels_uri", _text, "", "labels file (Parquet or CSV), local path or s3://bucket/key"),
    Field("label_start_date", _optional_time, None, "first label time to use (inclusive, ISO-8601)"),
    Field("label_end_date", _optional_time, None, "label times before this (exclusive, ISO-8601)"),
    Field("feature_groups", _names, (), "comma-separated feature groups to join (default: every spec)"),
    Field("entity_id_column", _text, "customer_id", "entity id column of the labels"),
    Field("label_time_column", _text, "label_time", "timestamp column of the labels"),
    Field("label_column", _text, "churned", "label column (0/1)"),
    Field("estimator", _text, "random_forest", "model type", ESTIMATORS),
    Field("n_estimators", _int, 100, "trees (random_forest)", check=lambda v: v >= 1, requirement=">= 1"),
    Field(
        "max_depth",
        _optional_int,
        10,
        "tree depth; 0 or none for unlimited",
        check=lambda v: v is None or v >= 1,
        requirement=">= 1 or none",
    ),
    Field(
        "min_samples_leaf", _int, 5, "minimum samples per leaf", check=lambda v: v >= 1, requirement=">= 1"
    ),
    Field(
        "learning_rate",
        _float,
        0.1,
        "learning rate (hist_gradient_boosting)",
        check=lambda v: 0 < v <= 1,
        requirement="in (0, 1]",
    ),
    Field(
        "max_iter",
        _int,
        200,
        "boosting iterations (hist_gradient_boosting)",
        check=lambda v: v >= 1,
        requirement=">= 1",
    ),
    Field("split", _text, "time", "holdout split: the latest labels (time) or a stratified sample", SPLITS),
    Field("test_size", _float, 0.2, "holdout share", check=lambda v: 0 < v < 1, requirement="in (0, 1)"),
    Field(
        "undersample_ratio",
        _optional_float,
        None,
        "minority/majority ratio after undersampling the training part",
        check=lambda v: v is None or 0 < v <= 1,
        requirement="in (0, 1] or none",
    ),
    Field("seed", _int, 42, "random seed"),
    Field(
        "min_rows", _int, 200, "validation: minimum training rows", check=lambda v: v >= 1, requirement=">= 1"
    ),
    Field(
        "min_class_share",
        _float,
        0.05,
        "validation: minimum share of each class",
        check=lambda v: 0 <= v < 0.5,
        requirement="in [0, 0.5)",
    ),
    Field(
        "max_null_ratio",
        _float,
        0.6,
        "validation: maximum null share per feature",
        check=lambda v: 0 <= v <= 1,
        requirement="in [0, 1]",
    ),
    Field("promotion_metric", _text, "roc_auc", "metric of the promotion gate", tuple(HIGHER_IS_BETTER)),
    Field(
        "promotion_margin",
        _float,
        0.0,
        "how much the challenger must beat the champion by",
        check=lambda v: v >= 0,
        requirement=">= 0",
    ),
    Field("promotion_floor", _float, 0.6, "absolute minimum of the metric for promotion"),
    Field("model_name", _text, "churn-classifier", "registered model name"),
    Field("experiment_name", _text, "", "MLflow experiment (default: ml-platform-<environment>)"),
    Field(
        "mlflow_tracking_uri",
        _text,
        "",
        "sqlite:///..., http(s)://... or a SageMaker MLflow ARN (default: local SQLite)",
    ),
    Field("image_uri", _text, "", "lineage: image the job runs in"),
    Field("pipeline_execution_arn", _text, "", "lineage: SageMaker pipeline execution"),
    Field("git_sha", _text, "", "lineage: source revision"),
)
_BY_NAME = {f.name: f for f in FIELDS}


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


assert [f.name for f in fields(TrainingSettings)] == [f.name for f in FIELDS]


def _convert(field: Field, raw: Any, source: str) -> Any:
    if not isinstance(raw, str):
        raw = json.dumps(raw) if not isinstance(raw, (int, float)) else str(raw)
    text = raw.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':  # the SageMaker SDK JSON-encodes strings
        text = text[1:-1]
    try:
        value = field.parse(text)
    except (ValueError, ConfigError):
        kind = {
            _int: "an integer",
            _optional_int: "an integer or none",
            _float: "a number",
            _optional_float: "a number or none",
            _optional_time: "an ISO-8601 date or timestamp",
        }.get(field.parse, "valid")
        raise ConfigError(f"{source}: {field.name}={raw!r} is not {kind}") from None
    if field.choices and value not in field.choices:
        raise ConfigError(
            f"{source}: {field.name}={raw!r} is not allowed; use one of {', '.join(field.choices)}"
        )
    if field.check and not field.check(value):
        raise ConfigError(f"{source}: {field.name}={raw!r} must be {field.requirement}")
    return value


def read_hyperparameters(path: Path) -> dict[str, str]:
    """SageMaker's hyperparameters.json (all values strings); unknown keys are an error."""
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object of hyperparameters")
    known = {}
    for key, value in raw.items():
        if key.startswith("sagemaker_"):
            log.debug("ignoring SageMaker hyperparameter %s", key)
            continue
        if key not in _BY_NAME:
            raise ConfigError(f"{path}: unknown hyperparameter {key!r}; known: {', '.join(sorted(_BY_NAME))}")
        known[key] = value
    return known


def add_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "training settings (flag > hyperparameters.json > MLP_<NAME> env > default)"
    )
    for f in FIELDS:
        default = f.default if not isinstance(f.default, tuple) else ",".join(f.default)
        group.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f.name,
            default=None,
            metavar=f.name.upper() if not f.choices else "{" + ",".join(f.choices) + "}",
            help=f"{f.help} (env MLP_{f.name.upper()}; default {default!r})",
        )


def resolve(
    *,
    flags: Mapping[str, Any] | None = None,
    hyperparameters: Mapping[str, str] | None = None,
    env: Mapping[str, str] | None = None,
    hyperparameters_source: str = "hyperparameters.json",
) -> TrainingSettings:
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    for f in FIELDS:
        value = f.default
        if env.get(f"MLP_{f.name.upper()}", "") != "":
            value = _convert(f, env[f"MLP_{f.name.upper()}"], f"environment MLP_{f.name.upper()}")
        if hyperparameters and f.name in hyperparameters:
            value = _convert(f, hyperparameters[f.name], f"hyperparameter in {hyperparameters_source}")
        if flags and flags.get(f.name) is not None:
            value = _convert(f, flags[f.name], f"flag --{f.name.replace('_', '-')}")
        values[f.name] = value
    settings = TrainingSettings(**values)
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
