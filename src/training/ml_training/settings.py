"""Training settings: one table of fields, read from defaults < model spec < environment <
hyperparameters.json < flags.

Every field has an environment variable ``MLP_<NAME>``, a hyperparameter key ``<name>``
(SageMaker passes all hyperparameters as strings) and a flag ``--<name-with-dashes>``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ml_platform import settings_table as st
from ml_platform.errors import ConfigError
from ml_platform.estimators import ESTIMATORS, HIGHER_IS_BETTER, HYPERPARAMETERS, SPLITS
from ml_platform.model_specs import ModelSpec, load_job_model, resolve_template
from ml_platform.settings_table import Field

ENVIRONMENTS = ("local", "staging", "prod")

FIELDS: tuple[Field, ...] = (
    Field("model", st.text, "", "model spec to train (models/<model>.yaml)"),
    Field("model_spec_sha256", st.text, "", "expected sha256 of the model spec file (set by the pipeline)"),
    Field(
        "overrides",
        st.text,
        "{}",
        'JSON object of training settings for this run, e.g. {"n_estimators": 300} (TrainingOverrides)',
    ),
    Field("environment", st.text, "local", "environment name (experiment and lineage)", ENVIRONMENTS),
    Field("data_uri", st.text, "", "the environment's data location: {data_uri} in the spec's URIs"),
    Field(
        "labels_uri",
        st.text,
        "",
        "labels file (Parquet or CSV), local path or s3://bucket/key (default: the spec's)",
    ),
    Field("label_start_date", st.optional_time, None, "first label time to use (inclusive, ISO-8601)"),
    Field("label_end_date", st.optional_time, None, "label times before this (exclusive, ISO-8601)"),
    Field("estimator", st.text, "random_forest", "model type", tuple(ESTIMATORS)),
    *HYPERPARAMETERS,
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
    Field("model_name", st.text, "", "registered model name (default: the spec's registered_model_name)"),
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
    model: str
    model_spec_sha256: str
    overrides: str
    environment: str
    data_uri: str
    labels_uri: str
    label_start_date: datetime | None
    label_end_date: datetime | None
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
    spec: ModelSpec  # the model spec the values above were resolved against

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
    """Settings from flags > hyperparameters.json > ``MLP_<NAME>`` > the model spec > defaults."""
    env = os.environ if env is None else env
    source = f"hyperparameter in {hyperparameters_source}"
    hyperparameters = with_overrides(hyperparameters or {}, flags or {}, source)
    sources = {
        "flags": flags,
        "overrides": hyperparameters,
        "env": env,
        "overrides_source": source,
    }
    first = st.resolve_table(TrainingSettings, FIELDS, **sources, spec=None)
    if not first.model:
        raise ConfigError(
            "model is not set: pass --model, the model hyperparameter or MLP_MODEL (models/<model>.yaml)"
        )
    spec = load_job_model(first.model, sha256=first.model_spec_sha256, env=env)
    from_spec = spec.training_values()
    if not first.labels_uri:  # given labels win; else the spec's, under this environment's data_uri
        from_spec["labels_uri"] = _labels_uri(spec, first.data_uri, first.environment)
    settings = st.resolve_table(TrainingSettings, FIELDS, **sources, spec_values=from_spec, spec=spec)
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


def with_overrides(
    hyperparameters: Mapping[str, str], flags: Mapping[str, Any], source: str
) -> dict[str, str]:
    """The hyperparameters with the ``overrides`` JSON object expanded (explicit keys win)."""
    raw = flags.get("overrides") or hyperparameters.get("overrides") or "{}"
    try:
        decoded = json.loads(raw)
    except json.JSONDecodeError:
        decoded = None
    if not isinstance(decoded, dict):
        raise ConfigError(f"{source}: overrides={raw!r} is not a JSON object of training settings")
    known = {f.name for f in FIELDS} - {"model", "model_spec_sha256", "overrides"}
    unknown = sorted(set(decoded) - known)
    if unknown:
        raise ConfigError(
            f"{source}: overrides: unknown setting {unknown[0]!r}; known: {', '.join(sorted(known))}"
        )
    expanded = {k: v if isinstance(v, str) else json.dumps(v) for k, v in decoded.items()}
    return {**expanded, **{k: v for k, v in hyperparameters.items() if _given_text(v)}}


def _given_text(value: Any) -> bool:
    return not (isinstance(value, str) and value.strip() in ("", '""'))


def _labels_uri(spec: ModelSpec, data_uri: str, environment: str) -> str:
    if "{data_uri}" in spec.labels_uri and not data_uri:
        raise ConfigError(
            f"the labels of model {spec.name} are at {spec.labels_uri!r}, but data_uri is not set: pass "
            "--data-uri, the data_uri hyperparameter or MLP_DATA_URI, or labels_uri to name the file"
        )
    return resolve_template(spec.labels_uri, data_uri=data_uri, environment=environment)
