"""Resolve and download the model from the MLflow registry: by alias, version, or (deprecated) stage.

This module is the only place the inference job imports mlflow, and it runs in a child process
(``python -m ml_inference.model_registry``) while the job imports its own modules and checks Kafka.
Protocol: settings as JSON on stdin; one JSON object on stdout (the resolved version, or an error).
"""

from __future__ import annotations

import json
import logging
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric
from mlflow.exceptions import MlflowException

from ml_inference.model_loader import NOT_FOUND, UNREACHABLE, ModelNotFoundError
from ml_platform.errors import MLPlatformError
from ml_platform.logs import configure_logging
from ml_platform.model_format import PROFILE_ARTIFACT  # not ml_platform.drift: it imports polars
from ml_platform.tracking import TrackingSettings

log = logging.getLogger(__name__)


class _Settings:
    """The registry fields of InferenceSettings (this process has only those)."""

    def __init__(self, values: dict[str, Any]):
        self.model_name: str = values["model_name"]
        self.model_alias: str = values.get("model_alias", "")
        self.model_version: str = values.get("model_version", "")
        self.model_stage: str = values.get("model_stage", "")
        self.mlflow_tracking_uri: str = values.get("mlflow_tracking_uri", "")


def _versions(client: MlflowClient, name: str) -> list:
    return sorted(client.search_model_versions(f"name = '{name}'"), key=lambda v: int(v.version))


def resolve_version(client: MlflowClient, settings: _Settings):
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


def _reference_profile(run_id: str | None, destination: Path) -> str:
    """The training run's reference profile (feature drift), or "" for a model trained before
    ml-platform wrote one."""
    if not run_id:
        return ""
    try:
        return mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=PROFILE_ARTIFACT, dst_path=str(destination / "monitoring")
        )
    except Exception as exc:  # MlflowException or OSError: the artifact is absent
        log.warning("run %s has no %s (%s): feature drift is not checked", run_id, PROFILE_ARTIFACT, exc)
        return ""


def fetch(values: dict[str, Any], destination: Path) -> dict[str, Any]:
    """Resolve the version the settings point at and download its files into ``destination``."""
    settings = _Settings(values)
    try:
        tracking = TrackingSettings.from_env(uri=settings.mlflow_tracking_uri or None)
        tracking.check_reachable()
    except MLPlatformError as exc:
        return {"error": str(exc), "kind": UNREACHABLE}
    try:
        mlflow.set_tracking_uri(tracking.uri)
        client = MlflowClient()
        version = resolve_version(client, settings)
    except ModelNotFoundError as exc:
        return {"error": str(exc), "kind": NOT_FOUND}
    except Exception as exc:
        return {
            "error": f"cannot reach MLflow at {tracking.uri} ({type(exc).__name__}: {exc}); "
            "check MLP_MLFLOW_TRACKING_URI",
            "kind": UNREACHABLE,
        }
    uri = f"models:/{settings.model_name}/{version.version}"
    try:
        path = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(destination))
    except Exception as exc:
        return {
            "error": f"cannot download {uri} from {tracking.uri} ({type(exc).__name__}: {exc}); "
            "check the artifact store and its credentials",
            "kind": UNREACHABLE,
        }
    lineage = _lineage(client, version)
    return {
        "name": settings.model_name,
        "version": str(version.version),
        "run_id": version.run_id or "",
        "profile_path": _reference_profile(version.run_id, destination),
        "feature_groups": lineage.get("feature_groups", ""),
        "feature_selection": lineage.get("feature_selection", ""),
        "uri": uri,
        "path": path,
    }


def _lineage(client: MlflowClient, version: Any) -> dict[str, str]:
    """What the model was trained on: its run's lineage tags (versions registered before the
    lineage moved to the run carry it themselves)."""
    tags = dict(version.tags or {})
    if version.run_id:
        try:
            tags = client.get_run(version.run_id).data.tags | tags
        except Exception as exc:  # a deleted run: the version's own tags, if any
            log.warning("run %s of %s: %s", version.run_id, version.name, exc)
    return tags


def log_drift_run(values: dict[str, Any]) -> dict[str, Any]:
    """A monitoring run of the drift figures, nested under the model version's training run
    (same experiment; tags name the model, version and environment). Returns its id."""
    tracking = TrackingSettings.from_env(uri=values.get("mlflow_tracking_uri") or None)
    mlflow.set_tracking_uri(tracking.uri)
    client = MlflowClient()
    source = client.get_run(values["run_id"])
    tags = {
        "mlp.kind": "drift",
        "mlflow.parentRunId": values["run_id"],
        "model": values["model"],
        "environment": values["environment"],
        "mlp.model_version": values["version"],
        "drift_status": values["drift_status"],
        "features_as_of": values["as_of"],
    }
    run = client.create_run(source.info.experiment_id, run_name=values["run_name"], tags=tags)
    metrics = [
        Metric(f"{name}.{feature}", float(figures[name]), int(time.time() * 1000), 0)
        for feature, figures in values["drift"].items()
        for name in ("psi", "null_share", "null_share_reference", "unseen_share")
    ]
    psi = [figures["psi"] for figures in values["drift"].values()]
    metrics.append(Metric("max_psi", float(max(psi, default=0.0)), int(time.time() * 1000), 0))
    client.log_batch(run.info.run_id, metrics=metrics)
    client.set_terminated(run.info.run_id, "FINISHED")
    return {"run_id": run.info.run_id}


def main() -> int:
    configure_logging(sys.argv[2] if len(sys.argv) > 2 else "INFO")
    if sys.argv[1] == "--drift-run":
        try:
            result = log_drift_run(json.load(sys.stdin))
        except Exception as exc:  # the run's outcome stands; the caller logs the reason
            result = {"error": f"{type(exc).__name__}: {exc}"}
    else:
        result = fetch(json.load(sys.stdin), Path(sys.argv[1]))
    print(json.dumps(result), flush=True)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
