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
from ml_platform.config import JobSettings
from ml_platform.errors import ConfigError
from ml_platform.estimators import ESTIMATORS, HIGHER_IS_BETTER, HYPERPARAMETERS, SPLITS
from ml_platform.model_specs import ModelSpec, load_job_model, resolve_spec_uri
from ml_platform.settings_table import Field

HYPER = {f.name: f for f in HYPERPARAMETERS}


@dataclass(frozen=True, kw_only=True)
class TrainingSettings(JobSettings):
    overrides: str = st.setting(
        "{}",
        st.text,
        'JSON object of training settings for this run, e.g. {"n_estimators": 300} (TrainingOverrides)',
    )
    labels_uri: str = st.setting(
        "", st.text, "labels file (Parquet or CSV), local path or s3://bucket/key (default: the spec's)"
    )
    label_start_date: datetime | None = st.setting(
        None, st.optional_time, "first label time to use (inclusive, ISO-8601)"
    )
    label_end_date: datetime | None = st.setting(
        None, st.optional_time, "label times before this (exclusive, ISO-8601)"
    )
    estimator: str = st.setting("random_forest", st.text, "model type", choices=tuple(ESTIMATORS))
    n_estimators: int = st.from_field(HYPER["n_estimators"])
    max_depth: int | None = st.from_field(HYPER["max_depth"])
    min_samples_leaf: int = st.from_field(HYPER["min_samples_leaf"])
    learning_rate: float = st.from_field(HYPER["learning_rate"])
    max_iter: int = st.from_field(HYPER["max_iter"])
    num_leaves: int = st.from_field(HYPER["num_leaves"])
    min_child_weight: float = st.from_field(HYPER["min_child_weight"])
    split: str = st.setting(
        "time", st.text, "holdout split: the latest labels (time) or a stratified sample", choices=SPLITS
    )
    test_size: float = st.setting(
        0.2, st.number, "holdout share", check=lambda v: 0 < v < 1, requirement="in (0, 1)"
    )
    undersample_ratio: float | None = st.setting(
        None,
        st.optional_float,
        "minority/majority ratio after undersampling the training part",
        check=lambda v: v is None or 0 < v <= 1,
        requirement="in (0, 1] or none",
    )
    seed: int = st.setting(42, st.integer, "random seed")
    min_rows: int = st.count(200, "validation: minimum training rows")
    min_class_share: float = st.setting(
        0.05,
        st.number,
        "validation: minimum share of each class",
        check=lambda v: 0 <= v < 0.5,
        requirement="in [0, 0.5)",
    )
    max_null_ratio: float = st.share(0.6, "validation: maximum null share per feature")
    promotion_metric: str = st.setting(
        "roc_auc", st.text, "metric of the promotion gate", choices=tuple(HIGHER_IS_BETTER)
    )
    promotion_margin: float = st.setting(
        0.0,
        st.number,
        "how much the challenger must beat the champion by",
        check=lambda v: v >= 0,
        requirement=">= 0",
    )
    promotion_floor: float = st.setting(0.6, st.number, "absolute minimum of the metric for promotion")
    promote: bool = st.setting(
        True,
        st.boolean,
        "run the promotion gate after registering (the training pipeline leaves it to its PromoteModel step)",
    )
    model_version: str = st.setting(
        "",
        st.text,
        "promote: the registered version to gate (default: the one this pipeline execution registered)",
    )
    model_name: str = st.setting(
        "", st.text, "registered model name (default: the spec's registered_model_name)"
    )
    experiment_name: str = st.setting("", st.text, "MLflow experiment (default: ml-platform-<environment>)")
    image_uri: str = st.setting("", st.text, "lineage: image the job runs in")
    pipeline_execution_arn: str = st.setting("", st.text, "lineage: SageMaker pipeline execution")
    git_sha: str = st.setting("", st.text, "lineage: source revision")
    spec: ModelSpec  # the model spec the values above were resolved against

    @property
    def experiment(self) -> str:
        return self.experiment_name or f"ml-platform-{self.environment}"

    def hyperparameters(self) -> dict[str, Any]:
        """The model-shaping settings (the estimator's own hyperparameters only), as logged to MLflow."""
        keys = ("estimator", *ESTIMATORS[self.estimator], "split", "test_size", "undersample_ratio", "seed")
        return {k: getattr(self, k) for k in keys}


FIELDS: tuple[Field, ...] = st.table(TrainingSettings)


def read_hyperparameters(path: Path) -> dict[str, str]:
    """SageMaker's hyperparameters.json (all values strings); unknown keys are an error."""
    return st.read_json_settings(path, FIELDS)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    st.add_arguments(
        parser,
        FIELDS,
        "training settings (flag > hyperparameters.json > MLP_<NAME> env > model spec > default)",
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
    first = st.resolve_table(TrainingSettings, **sources, spec=None)
    if not first.model:
        raise ConfigError(
            "model is not set: pass --model, the model hyperparameter or MLP_MODEL (models/<model>.yaml)"
        )
    spec = load_job_model(first.model, sha256=first.model_spec_sha256, env=env)
    from_spec = spec.training_values()
    if not first.labels_uri:  # given labels win; else the spec's, under this environment's data_uri
        from_spec["labels_uri"] = _labels_uri(spec, first.data_uri, first.environment)
    settings = st.resolve_table(TrainingSettings, **sources, spec_values=from_spec, spec=spec)
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
    hint = "--data-uri, the data_uri hyperparameter or MLP_DATA_URI, or labels_uri to name the file"
    return resolve_spec_uri(
        spec, spec.labels_uri, what="labels are", data_uri=data_uri, environment=environment, hint=hint
    )
