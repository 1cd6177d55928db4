"""The promotion gate as its own step: validate a registered version, then promote it or not.

The training pipeline runs it as ``PromoteModel`` after ``TrainModel``; ``ml-training promote
--model-version N`` (or the pipeline's step alone: SageMaker's selective execution, the local
runner's ``--steps PromoteModel``) re-runs it for any registered version. It scores the version
and the current champion on the version's own holdout (logged by training as
``evaluation/holdout.parquet``), both loaded through ml-platform's allow-list
(``ml_platform.model_format``), and moves the ``champion`` alias only when the gate says so.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import polars as pl
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from ml_platform.errors import ConfigError, MLPlatformError
from ml_platform.model_format import load_model_folder
from ml_platform.model_input import to_model_input
from ml_platform.specs import FeatureSpec
from ml_platform.tracking import TrackingSettings
from ml_training.evaluate import metrics as compute_metrics
from ml_training.registry import CHAMPION, GateDecision, current_champion, decide
from ml_training.settings import TrainingSettings

log = logging.getLogger(__name__)

HOLDOUT_ARTIFACT = "evaluation/holdout.parquet"
LABEL = "__label__"


def holdout_frame(x: pd.DataFrame, y: np.ndarray) -> pl.DataFrame:
    """The holdout as training logs it: the model's input columns and the label."""
    return pl.from_pandas(x.reset_index(drop=True)).with_columns(pl.Series(LABEL, y.astype(np.int64)))


def holdout_input(frame: pl.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """The logged holdout back in the model's input form (text columns as objects, NaN for nulls)."""
    features = [
        FeatureSpec(c, "String" if frame.schema[c] == pl.Utf8 else "Fractional", "")
        for c in frame.columns
        if c != LABEL
    ]
    return to_model_input(frame, features), frame[LABEL].to_numpy()


@dataclass(frozen=True)
class Holdout:
    x: pd.DataFrame
    y: np.ndarray

    @classmethod
    def of_run(cls, run_id: str, uri: str) -> Holdout:
        with tempfile.TemporaryDirectory() as folder:
            try:
                path = mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=HOLDOUT_ARTIFACT, dst_path=folder
                )
            except MlflowException as exc:
                raise MLPlatformError(
                    f"{uri}: its run {run_id} has no {HOLDOUT_ARTIFACT} ({exc.message}); "
                    "only versions trained by ml-training can be gated"
                ) from None
            return cls(*holdout_input(pl.read_parquet(path)))


def score(uri: str, holdout: Holdout, metric: str) -> float:
    """``metric`` of the model at ``uri`` on ``holdout``, the model loaded through the allow-list."""
    with tempfile.TemporaryDirectory() as folder:
        path = mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=folder)
        model = load_model_folder(Path(path), uri)
    return compute_metrics(holdout.y, model.predict_proba(holdout.x)[:, 1])[metric]


def find_version(client: MlflowClient, settings: TrainingSettings):
    """The version to gate: ``model_version`` if given, else the one this pipeline execution
    registered (the version of the experiment's run tagged with the execution's ARN)."""
    name, version, execution_arn = (
        settings.model_name,
        settings.model_version,
        settings.pipeline_execution_arn,
    )
    if version:
        try:
            return client.get_model_version(name, version)
        except MlflowException:
            raise ConfigError(
                f"model {name!r} has no version {version!r}; see the MLflow model registry"
            ) from None
    if not execution_arn:
        raise ConfigError(
            "no model version to gate: pass --model-version (or run it inside the training pipeline)"
        )
    experiment = client.get_experiment_by_name(settings.experiment)
    runs = (
        []
        if experiment is None
        else client.search_runs(
            [experiment.experiment_id], f"tags.pipeline_execution_arn = '{execution_arn}'"
        )
    )
    found = [
        v
        for run in runs
        for v in client.search_model_versions(f"name = '{name}' and run_id = '{run.info.run_id}'")
    ]
    if not found:
        raise ConfigError(
            f"pipeline execution {execution_arn} registered no version of {name!r}; pass --model-version"
        )
    return max(found, key=lambda v: int(v.version))


def gate(settings: TrainingSettings, version: str) -> GateDecision:
    """Score the version and the champion on the version's holdout, decide, record, promote."""
    client = MlflowClient()
    name = settings.model_name
    candidate = client.get_model_version(name, version)
    uri = f"models:/{name}/{version}"
    holdout = Holdout.of_run(candidate.run_id, uri)
    metric = settings.promotion_metric
    challenger_score = score(uri, holdout, metric)
    champion = current_champion(client, name)
    if champion is not None and str(champion.version) == str(version):
        champion = None  # re-gating the champion: judge it on the floor alone
    champion_score = champion_error = None
    if champion is not None:
        try:
            champion_score = score(f"models:/{name}/{champion.version}", holdout, metric)
        except Exception as exc:  # a champion trained on other features, a missing artifact, ...
            champion_error = f"{type(exc).__name__}: {exc}"
    decision = decide(
        metric=metric,
        challenger_version=str(version),
        challenger_score=challenger_score,
        champion_version=None if champion is None else str(champion.version),
        champion_score=champion_score,
        margin=settings.promotion_margin,
        floor=settings.promotion_floor,
        champion_error=champion_error,
    )
    for key, value in decision.as_tags().items():
        client.set_tag(candidate.run_id, key, value)
    for key, value in decision.version_tags().items():
        client.set_model_version_tag(name, version, key, value)
    if decision.promoted:
        client.set_registered_model_alias(name, CHAMPION, version)
    log.info("promotion gate: %s (%s)", "PROMOTED" if decision.promoted else "kept champion", decision.reason)
    return decision


def run_promotion(settings: TrainingSettings) -> GateDecision:
    """The PromoteModel step: connect to MLflow, find the version, gate it."""
    tracking = TrackingSettings.from_env(uri=settings.mlflow_tracking_uri or None)
    tracking.check_reachable()  # fails fast; the gate creates no experiment or run
    mlflow.set_tracking_uri(tracking.uri)
    version = find_version(MlflowClient(), settings)
    return gate(settings, str(version.version))
