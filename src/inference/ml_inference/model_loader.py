"""Load the model to score with from the MLflow registry: by alias, version, or (deprecated) stage."""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Any

# isort: off
# skops before mlflow: skops scans sys.modules for its trusted types at import, and after
# mlflow's ~3000 modules that scan alone takes about a second longer.
import skops.io  # noqa: F401
import mlflow

# isort: on
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ml_inference.settings import InferenceSettings
from ml_platform.errors import MLPlatformError
from ml_platform.tracking import TrackingSettings

log = logging.getLogger(__name__)


class ModelNotFoundError(MLPlatformError):
    """The requested model, alias, version or stage does not exist."""


@dataclass(frozen=True)
class LoadedModel:
    model: Any
    name: str
    version: str
    run_id: str
    feature_groups: tuple[str, ...]
    uri: str


def _versions(client: MlflowClient, name: str) -> list:
    return sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))


def resolve_version(client: MlflowClient, settings: InferenceSettings):
    """The ModelVersion the settings point at, or an error listing what exists."""
    name = settings.model_name
    try:
        registered = client.get_registered_model(name)
    except MlflowException:
        names = sorted(m.name for m in client.search_registered_models())
        raise ModelNotFoundError(
            f"registered model {name!r} not found; registered models: {', '.join(names) or 'none (train one first)'}"
        ) from None
    if settings.model_version:
        try:
            return client.get_model_version(name, settings.model_version)
        except MlflowException:
            existing = ", ".join(str(v.version) for v in _versions(client, name)) or "none"
            raise ModelNotFoundError(
                f"model {name!r} has no version {settings.model_version}; versions: {existing}"
            ) from None
    if settings.model_stage:
        warnings.warn(
            "model_stage is deprecated since MLflow 2.9; use model_alias", DeprecationWarning, stacklevel=2
        )
        log.warning("model_stage=%s is deprecated; use model_alias", settings.model_stage)
        in_stage = [
            v for v in _versions(client, name) if v.current_stage.lower() == settings.model_stage.lower()
        ]
        if not in_stage:
            stages = sorted({v.current_stage for v in _versions(client, name)})
            raise ModelNotFoundError(
                f"model {name!r} has no version in stage {settings.model_stage!r}; stages: {', '.join(stages)}"
            )
        return in_stage[-1]
    try:
        return client.get_model_version_by_alias(name, settings.model_alias)
    except MlflowException:
        aliases = sorted(getattr(registered, "aliases", {}) or {})
        raise ModelNotFoundError(
            f"model {name!r} has no alias {settings.model_alias!r}; aliases: {', '.join(aliases) or 'none'} "
            "(a model becomes 'champion' when it passes the training promotion gate)"
        ) from None


def load_model(settings: InferenceSettings) -> LoadedModel:
    tracking = TrackingSettings.from_env(uri=settings.mlflow_tracking_uri or None)
    mlflow.set_tracking_uri(tracking.uri)
    client = MlflowClient()
    try:
        version = resolve_version(client, settings)
    except ModelNotFoundError:
        raise
    except Exception as exc:
        raise MLPlatformError(
            f"cannot reach MLflow at {tracking.uri} ({type(exc).__name__}: {exc}); check MLP_MLFLOW_TRACKING_URI"
        ) from exc
    uri = f"models:/{settings.model_name}/{version.version}"
    model = mlflow.sklearn.load_model(uri)
    groups = tuple(g for g in (version.tags or {}).get("feature_groups", "").split(",") if g)
    if not groups:
        raise MLPlatformError(f"{uri} has no 'feature_groups' tag; it was not registered by ml-training")
    log.info("loaded %s (run %s, feature groups %s)", uri, version.run_id, ",".join(groups))
    return LoadedModel(model, settings.model_name, str(version.version), version.run_id or "", groups, uri)
