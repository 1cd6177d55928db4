"""``ml-training monitor``: realised quality of the archived predictions, to MLflow and CloudWatch.

It runs in the training image (it reads the labels and uses scikit-learn's metrics, as training
does) as the training pipeline's MonitorModel step, beside TrainModel: the labels that make a
training set are the ones that arrived for earlier predictions.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import mlflow

from ml_platform.cloudwatch import put_metrics
from ml_platform.tracking import TrackingSettings
from ml_training.data import load_labels
from ml_training.quality import DayQuality, labelled, quality_by_day, read_archive, write_table
from ml_training.registry import connect
from ml_training.settings import TrainingSettings

log = logging.getLogger(__name__)
METRICS = ("roc_auc", "precision", "recall", "labelled_share", "mean_score", "observed_rate", "brier")
# CloudWatch takes data points up to two weeks old.
CLOUDWATCH_MAX_AGE = timedelta(days=14)


def _log_mlflow(settings: TrainingSettings, days: list[DayQuality], folder: Path) -> str:
    experiment_id = connect(
        TrackingSettings.from_env(uri=settings.mlflow_tracking_uri or None), settings.experiment
    )
    name = f"{settings.spec.name}-{settings.environment}-monitoring-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    tags = {"mlp.kind": "monitoring", "model": settings.spec.name, "environment": settings.environment}
    with mlflow.start_run(experiment_id=experiment_id, run_name=name, tags=tags) as run:
        for step, day in enumerate(days):
            stamp = int(datetime.fromisoformat(day.date).replace(tzinfo=UTC).timestamp() * 1000)
            values = {f"realised_{m}": getattr(day, m) for m in METRICS if getattr(day, m) is not None}
            for key, value in values.items():
                mlflow.log_metric(key, value, step=step, timestamp=stamp)
        mlflow.log_artifact(
            str(write_table(days, folder / "realised_quality.csv")), artifact_path="monitoring"
        )
        return run.info.run_id


def _cloudwatch_data(settings: TrainingSettings, days: list[DayQuality]) -> list[dict[str, Any]]:
    dims = [
        {"Name": "Model", "Value": settings.spec.name},
        {"Name": "Environment", "Value": settings.environment},
    ]
    oldest = datetime.now(UTC) - CLOUDWATCH_MAX_AGE
    data = []
    for day in days:
        when = datetime.fromisoformat(day.date).replace(tzinfo=UTC)
        if when < oldest:
            continue
        for name, value in (("RealisedRocAuc", day.roc_auc), ("LabelledShare", day.labelled_share)):
            if value is not None:
                data.append({"MetricName": name, "Dimensions": dims, "Timestamp": when, "Value": value})
    return data


def run_monitoring(settings: TrainingSettings, folder: Path) -> dict[str, Any]:
    """Join the archive with the labels, log the figures by scoring day; the summary."""
    started = time.perf_counter()
    spec = settings.spec
    archive = read_archive(settings.predictions_uri, spec.name)
    days = quality_by_day(labelled(archive, load_labels(settings), spec))
    folder.mkdir(parents=True, exist_ok=True)
    run_id = _log_mlflow(settings, days, folder)
    if settings.cloudwatch_namespace:
        put_metrics(settings.cloudwatch_namespace, _cloudwatch_data(settings, days))
    return {
        "model": spec.name,
        "run_id": run_id,
        "days": [d.as_dict() for d in days],
        "seconds": round(time.perf_counter() - started, 1),
    }
