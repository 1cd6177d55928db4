"""Settings read from the environment, in one place.

Every setting has an ``MLP_`` environment variable; command-line flags override them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ml_platform.errors import ConfigError

BACKENDS = ("local", "sagemaker")
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


def specs_dir(env: Mapping[str, str] | None = None) -> Path:
    """Folder of feature group specs: ``MLP_FEATURE_SPECS_DIR``, else ``feature_groups/`` found upwards."""
    env = os.environ if env is None else env
    if env.get("MLP_FEATURE_SPECS_DIR"):
        return Path(env["MLP_FEATURE_SPECS_DIR"]).resolve()
    found = find_upwards("feature_groups")
    if found is None:
        raise ConfigError(
            "feature group specs not found: set MLP_FEATURE_SPECS_DIR or run from the repository "
            "(which holds feature_groups/)"
        )
    return found


def model_specs_dir(env: Mapping[str, str] | None = None) -> Path:
    """Folder of model specs: ``MLP_MODEL_SPECS_DIR``, else ``models/`` found upwards."""
    env = os.environ if env is None else env
    if env.get("MLP_MODEL_SPECS_DIR"):
        return Path(env["MLP_MODEL_SPECS_DIR"]).resolve()
    found = find_upwards("models")
    if found is None:
        raise ConfigError(
            "model specs not found: set MLP_MODEL_SPECS_DIR or run from the repository (which holds models/)"
        )
    return found


@dataclass(frozen=True, kw_only=True)
class FeatureStoreSettings:
    """Which feature store backend to use and where it lives.

    Attributes:
        backend: ``local`` (Parquet + SQLite on disk) or ``sagemaker``.
        specs_dir: folder of ``<group>.yaml`` spec files.
        local_root: root folder of the local backend.
        group_name_prefix: prefix of the deployed SageMaker feature group names
            (for example ``ml-platform-staging-``); the spec name follows it.
        region: AWS region for the sagemaker backend (boto3 default when empty).
        max_workers: concurrent PutRecord calls of the sagemaker backend.
        max_attempts: attempts per call when SageMaker throttles.
    """

    backend: str = "local"
    specs_dir: Path
    local_root: Path
    group_name_prefix: str = ""
    region: str | None = None
    max_workers: int = 8
    max_attempts: int = 6

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ConfigError(
                f"MLP_FEATURE_STORE_BACKEND={self.backend!r} is not a feature store backend; "
                f"use one of {', '.join(BACKENDS)}"
            )
        if self.max_workers < 1:
            raise ConfigError(f"MLP_FEATURE_STORE_MAX_WORKERS must be >= 1, got {self.max_workers}")
        if self.max_attempts < 1:
            raise ConfigError(f"MLP_FEATURE_STORE_MAX_ATTEMPTS must be >= 1, got {self.max_attempts}")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **overrides) -> FeatureStoreSettings:
        """Settings from ``MLP_*`` variables; keyword arguments that are not None win."""
        env = os.environ if env is None else env
        values = {
            "backend": env.get("MLP_FEATURE_STORE_BACKEND", "local"),
            "specs_dir": specs_dir(env) if overrides.get("specs_dir") is None else None,
            "local_root": Path(env["MLP_FEATURE_STORE_ROOT"]).resolve()
            if env.get("MLP_FEATURE_STORE_ROOT")
            else state_dir(env) / "feature-store",
            "group_name_prefix": env.get("MLP_FEATURE_GROUP_PREFIX", ""),
            "region": env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            "max_workers": _int(env, "MLP_FEATURE_STORE_MAX_WORKERS", 8),
            "max_attempts": _int(env, "MLP_FEATURE_STORE_MAX_ATTEMPTS", 6),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not an integer") from None
