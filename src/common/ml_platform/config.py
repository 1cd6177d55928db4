"""Where things are (state, specs), and the feature store's settings.

Every setting has an ``MLP_`` environment variable; command-line flags override them. The
settings are declared with :mod:`ml_platform.settings_table`, the one settings layer.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ml_platform import settings_table as st
from ml_platform.errors import ConfigError

BACKENDS = ("local", "sagemaker")
# The environments a job, a settings file and a pipeline run can name (Terraform deploys the last two).
ENVIRONMENTS = ("local", "staging", "prod")
DEFAULT_STATE_DIR = ".mlplatform"


def find_upwards(name: str, start: Path | None = None) -> Path | None:
    """The first ``name`` found in ``start`` (default: cwd) or one of its parents."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / name
        if candidate.exists():
            return candidate
    return None


def state_dir(env: Mapping[str, str] | None = None) -> Path:
    """Folder holding all local state (feature store, MLflow, broker data): ``MLP_STATE_DIR``."""
    env = os.environ if env is None else env
    return Path(env.get("MLP_STATE_DIR", DEFAULT_STATE_DIR)).resolve()


def _folder(env: Mapping[str, str] | None, variable: str, name: str, what: str) -> Path:
    env = os.environ if env is None else env
    if env.get(variable):
        return Path(env[variable]).resolve()
    found = find_upwards(name)
    if found is None:
        raise ConfigError(
            f"{what} not found: set {variable} or run from the repository (which holds {name}/)"
        )
    return found


def specs_dir(env: Mapping[str, str] | None = None) -> Path:
    """Folder of feature group specs: ``MLP_FEATURE_SPECS_DIR``, else ``feature_groups/`` found upwards."""
    return _folder(env, "MLP_FEATURE_SPECS_DIR", "feature_groups", "feature group specs")


def model_specs_dir(env: Mapping[str, str] | None = None) -> Path:
    """Folder of model specs: ``MLP_MODEL_SPECS_DIR``, else ``models/`` found upwards."""
    return _folder(env, "MLP_MODEL_SPECS_DIR", "models", "model specs")


def _at_least_one(value: int) -> bool:
    return value >= 1


# The deployed jobs' metrics namespace; Terraform's alarms and the role's PutMetricData condition
# use the same name (terraform/staging/main.tf, tests/unit/test_deployed_checks.py).
CLOUDWATCH_NAMESPACE = "MLPlatform"
T = TypeVar("T", bound="JobSettings")


@dataclass(frozen=True, kw_only=True)
class JobSettings:
    """The settings both jobs take: which model spec, in which environment, tracked where.

    ``TrainingSettings`` and ``InferenceSettings`` add their own; each field is a setting
    (``MLP_<NAME>``, ``--<name>``, and a hyperparameter for training).
    """

    model: str = st.setting("", st.text, "model spec to run (models/<model>.yaml)")
    model_spec_sha256: str = st.setting(
        "", st.text, "expected sha256 of the model spec file (set by the pipeline)"
    )
    environment: str = st.setting(
        "local", st.text, "environment name (experiment and lineage)", choices=ENVIRONMENTS
    )
    data_uri: str = st.setting("", st.text, "the environment's data location: {data_uri} in the spec's URIs")
    mlflow_tracking_uri: str = st.setting(
        "", st.text, "sqlite:///..., http(s)://... or a SageMaker MLflow ARN (default: local SQLite)"
    )
    predictions_uri: str = st.setting(
        "",
        st.text,
        "prediction archive: folder or s3:// prefix of what inference published (ml_inference.archive); "
        "default in the local environment: $MLP_STATE_DIR/predictions",
    )
    cloudwatch_namespace: str = st.setting(
        "",
        st.text,
        f"CloudWatch namespace of the job's metrics; default {CLOUDWATCH_NAMESPACE} in deployed "
        "environments, none in the local one",
    )


def with_deployment_defaults(settings: T, env: Mapping[str, str]) -> T:
    """``predictions_uri`` and ``cloudwatch_namespace`` filled for the environment: the local
    state folder and no metrics locally; a deployed job must be given the archive (its
    pipeline's PredictionsS3Uri) and sends metrics to CLOUDWATCH_NAMESPACE."""
    changes: dict[str, str] = {}
    if not settings.predictions_uri:
        if settings.environment != "local":
            raise ConfigError(
                f"predictions_uri is not set in environment {settings.environment}: pass --predictions-uri "
                "(the pipeline's PredictionsS3Uri, s3://<models bucket>/predictions)"
            )
        changes["predictions_uri"] = str(state_dir(env) / "predictions")
    if not settings.cloudwatch_namespace and settings.environment != "local":
        changes["cloudwatch_namespace"] = CLOUDWATCH_NAMESPACE
    return dataclasses.replace(settings, **changes) if changes else settings


@dataclass(frozen=True, kw_only=True)
class FeatureStoreSettings:
    """Which feature store backend to use and where it lives (``MLP_FEATURE_*`` variables).

    The ``group_name_prefix`` of deployed SageMaker groups (e.g. ``ml-platform-staging-``) is
    followed by the spec name; ``region`` is boto3's (``AWS_REGION``/``AWS_DEFAULT_REGION``).
    """

    feature_store_backend: str = st.setting(
        "local",
        st.text,
        "feature store backend",
        choices=BACKENDS,
        error="{env}={raw!r} is not a feature store backend; use one of local, sagemaker",
    )
    feature_specs_dir: str = st.setting(
        "", st.text, "folder of feature group specs (default: feature_groups/ upwards)"
    )
    feature_store_root: str = st.setting(
        "", st.text, "local backend folder (default: $MLP_STATE_DIR/feature-store)"
    )
    feature_group_prefix: str = st.setting("", st.text, "deployed group name = prefix + spec name")
    feature_store_max_workers: int = st.setting(
        8, st.integer, "concurrent PutRecord calls", check=_at_least_one, requirement=">= 1"
    )
    feature_store_max_attempts: int = st.setting(
        6, st.integer, "attempts per call when SageMaker throttles", check=_at_least_one, requirement=">= 1"
    )
    region: str | None = None
    state: Path = Path(DEFAULT_STATE_DIR)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> FeatureStoreSettings:
        """Settings from ``MLP_*`` variables; keyword arguments that are not None win
        (``backend``, ``specs_dir``, ``local_root``, ``group_name_prefix``: the CLI's flags)."""
        env = os.environ if env is None else env
        names = {"backend": "feature_store_backend", "specs_dir": "feature_specs_dir"}
        names |= {"local_root": "feature_store_root", "group_name_prefix": "feature_group_prefix"}
        flags = {names[k]: str(v) for k, v in overrides.items() if v is not None}
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None
        return st.resolve_table(cls, flags=flags, env=env, region=region, state=state_dir(env))

    @property
    def backend(self) -> str:
        return self.feature_store_backend

    @property
    def specs_dir(self) -> Path:
        return specs_dir({"MLP_FEATURE_SPECS_DIR": self.feature_specs_dir})

    @property
    def local_root(self) -> Path:
        return (
            Path(self.feature_store_root).resolve()
            if self.feature_store_root
            else self.state / "feature-store"
        )

    @property
    def group_name_prefix(self) -> str:
        return self.feature_group_prefix

    @property
    def max_workers(self) -> int:
        return self.feature_store_max_workers

    @property
    def max_attempts(self) -> int:
        return self.feature_store_max_attempts
