"""MLflow: experiment per environment, runs, the model registry and the promotion gate."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any

import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ml_platform.errors import MLPlatformError
from ml_platform.tracking import TrackingSettings
from ml_training.settings import HIGHER_IS_BETTER, TrainingSettings

log = logging.getLogger(__name__)

CHAMPION, CHALLENGER = "champion", "challenger"


class TrackingError(MLPlatformError):
    """MLflow could not be reached or refused an operation."""


# MLflow 3's UI opens an experiment without a kind on its GenAI overview (traces); this kind
# opens it on the runs table.
EXPERIMENT_KIND_TAG, EXPERIMENT_KIND = "mlflow.experimentKind", "custom_model_development"
# The runs table shows no metric until a person picks columns, so each experiment keeps a
# shared view (the UI's "Share" button stores one the same way: an experiment tag read when
# the URL carries ?viewStateShareKey=<key>) with the key metrics and the outcome columns.
VIEW_KEY = "ml-platform"
VIEW_TAG = f"mlflow.sharedViewState.{VIEW_KEY}"
KEY_COLUMNS = (
    "metrics.`holdout_roc_auc`",
    "metrics.`holdout_f1`",
    "metrics.`holdout_precision`",
    "metrics.`holdout_recall`",
    "metrics.`realised_roc_auc`",
    "metrics.`realised_labelled_share`",
    "metrics.`max_psi`",
    "tags.`mlp.kind`",
    "tags.`mlp.model_version`",
    "tags.`gate.promoted`",
    "attributes.`Models`",
)


def shared_view() -> str:
    """The experiment's shared view: key columns, newest run first, the UI's other defaults.

    The UI replaces its whole page state with a shared one, so every field is given (MLflow 3.0
    UI: the search facets and the runs-table state its Share button saves).
    """
    facets = {
        "searchFilter": "",
        "orderByKey": "attributes.start_time",
        "orderByAsc": False,
        "startTime": "ALL",
        "lifecycleFilter": "Active",
        "modelVersionFilter": "All Runs",
        "datasetsFilter": [],
    }
    table = {
        "selectedColumns": list(KEY_COLUMNS),
        "runsExpanded": {},
        "runsPinned": [],
        "runsHidden": [],
        "runsVisibilityMap": {},
        "runsHiddenMode": "FIRST_10_RUNS",
        "viewMaximized": False,
        "runListHidden": False,
        "isAccordionReordered": False,
        "useGroupedValuesInCharts": True,
        "hideEmptyCharts": True,
        "groupBy": None,
        "groupsExpanded": {},
        "autoRefreshEnabled": False,
        "globalLineChartConfig": {"xAxisKey": "step", "lineSmoothness": 0, "selectedXAxisMetricKey": ""},
        "chartsSearchFilter": "",
    }
    return json.dumps(facets | table, separators=(",", ":"))


def experiment_url(ui: str, experiment_id: str) -> str:
    """The experiment's runs table in the MLflow UI at ``ui``, with the key columns."""
    return f"{ui.rstrip('/')}/#/experiments/{experiment_id}?viewStateShareKey={VIEW_KEY}"


def connect(tracking: TrackingSettings, experiment: str) -> str:
    """Point MLflow at the store and return the experiment id (created if new). Fails fast."""
    tracking.check_reachable()
    mlflow.set_tracking_uri(tracking.uri)
    client = MlflowClient()
    try:
        found = client.get_experiment_by_name(experiment)
        if found is None:
            experiment_id = client.create_experiment(experiment, artifact_location=tracking.artifact_location)
        else:
            experiment_id = found.experiment_id
        tags = {} if found is None else found.tags
        for key, value in ((EXPERIMENT_KIND_TAG, EXPERIMENT_KIND), (VIEW_TAG, shared_view())):
            if tags.get(key) != value:
                client.set_experiment_tag(experiment_id, key, value)
        return experiment_id
    except MlflowException as exc:
        raise TrackingError(
            f"MLflow at {tracking.uri} refused experiment {experiment!r}: {exc.message}"
        ) from exc
    except Exception as exc:  # connection errors surface as many types (requests, sqlalchemy, botocore)
        raise TrackingError(
            f"cannot reach MLflow at {tracking.uri} ({type(exc).__name__}: {exc}); "
            "check MLP_MLFLOW_TRACKING_URI and that the server is up"
        ) from exc


@dataclass(frozen=True)
class GateDecision:
    promoted: bool
    metric: str
    challenger_version: str
    challenger_score: float
    champion_version: str | None
    champion_score: float | None
    margin: float
    floor: float
    reason: str

    def as_tags(self) -> dict[str, str]:
        """The whole decision, as tags of the version's run."""
        return {f"gate.{k}": "" if v is None else str(v) for k, v in asdict(self).items()}

    def version_tags(self) -> dict[str, str]:
        """The decision as the model version shows it: promoted or not, and why."""
        return {"gate.promoted": str(self.promoted), "gate.reason": self.reason}


def version_tags(run_name: str, lineage: dict[str, str]) -> dict[str, str]:
    """The essentials on a model version: its run, spec hash and code. The rest of the lineage
    (groups, features, labels, image, execution) is on the run, once."""
    tags = {
        "run": run_name,
        "model_spec_sha256": lineage.get("model_spec_sha256", ""),
        "git_sha": lineage.get("git_sha", ""),
    }
    return {k: v for k, v in tags.items() if v}


def decide(
    *,
    metric: str,
    challenger_version: str,
    challenger_score: float,
    champion_version: str | None,
    champion_score: float | None,
    margin: float,
    floor: float,
    champion_error: str | None = None,
) -> GateDecision:
    """Promote only when the challenger clears the floor and beats the champion by the margin."""
    higher = HIGHER_IS_BETTER[metric]
    clears_floor = challenger_score >= floor if higher else challenger_score <= floor
    common = {
        "metric": metric,
        "challenger_version": challenger_version,
        "challenger_score": challenger_score,
        "champion_version": champion_version,
        "champion_score": champion_score,
        "margin": margin,
        "floor": floor,
    }
    cmp = ">=" if higher else "<="
    if not np.isfinite(challenger_score) or not clears_floor:
        return GateDecision(
            False,
            reason=f"{metric} {challenger_score:.4f} does not clear the floor ({cmp} {floor})",
            **common,
        )
    if champion_version is None:
        return GateDecision(
            True, reason=f"first model: {metric} {challenger_score:.4f} clears the floor {floor}", **common
        )
    if champion_error is not None or champion_score is None:
        return GateDecision(
            False,
            reason=f"champion v{champion_version} could not be scored on this holdout ({champion_error}); "
            "promote by hand if intended",
            **common,
        )
    # Strictly better: a tie (margin 0) keeps the champion, so equal models do not flip the alias back and forth.
    target = champion_score + margin if higher else champion_score - margin
    beats = challenger_score > target if higher else challenger_score < target
    if beats:
        return GateDecision(
            True,
            reason=f"{metric} {challenger_score:.4f} beats champion v{champion_version} "
            f"({champion_score:.4f}) by the margin {margin}",
            **common,
        )
    return GateDecision(
        False,
        reason=f"{metric} {challenger_score:.4f} does not beat champion v{champion_version} "
        f"({champion_score:.4f}) by the margin {margin}",
        **common,
    )


def current_champion(client: MlflowClient, name: str):
    try:
        return client.get_model_version_by_alias(name, CHAMPION)
    except MlflowException:
        return None


def register(
    *, settings: TrainingSettings, model_uri: str, model_id: str | None, run_id: str, tags: dict[str, str]
) -> str:
    """A new version of the registered model (created if new) with the run's lineage tags and the
    alias ``challenger``. The gate (``promotion.gate``) decides about ``champion`` separately."""
    client = MlflowClient()
    name = settings.model_name
    try:
        client.get_registered_model(name)
    except MlflowException:
        client.create_registered_model(name, description=settings.spec.description)
    version = str(
        client.create_model_version(name, model_uri, run_id=run_id, tags=tags, model_id=model_id).version
    )
    try:
        client.set_registered_model_alias(name, CHALLENGER, version)
    except BaseException:
        client.delete_model_version(name, version)  # never leave a half-registered version behind
        raise
    return version


def delete_version(settings: TrainingSettings, version: str) -> None:
    MlflowClient().delete_model_version(settings.model_name, version)


def log_run_content(params: dict[str, Any], metrics: dict[str, float], tags: dict[str, str]) -> None:
    mlflow.log_params({k: "none" if v is None else v for k, v in params.items()})
    mlflow.log_metrics({f"holdout_{k}": v for k, v in metrics.items() if np.isfinite(v)})
    mlflow.set_tags(tags)
