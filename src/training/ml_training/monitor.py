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
# A scoring day's ROC-AUC counts for the alarm once this many of its predictions have a label.
MIN_LABELLED = 50


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


def cloudwatch_data(
    model: str, environment: str, days: list[DayQuality], now: datetime
) -> list[dict[str, Any]]:
    """The data points to send: the history by scoring day, and the current figures the alarms watch.

    ``RealisedRocAucByScoringDay`` and ``LabelledShareByScoringDay`` are stamped with the scoring
    day (CloudWatch takes points up to two weeks old). ``RealisedRocAuc`` (the latest scoring day
    with at least MIN_LABELLED labels and an AUC) and ``LabelledShare`` (of every archived
    prediction) are stamped ``now``, so the realised-quality alarm sees them whatever the label delay.
    """
    dims = [{"Name": "Model", "Value": model}, {"Name": "Environment", "Value": environment}]

    def point(name: str, value: float, when: datetime) -> dict[str, Any]:
        return {"MetricName": name, "Dimensions": dims, "Timestamp": when, "Value": value}

    data = []
    for day in days:
        when = datetime.fromisoformat(day.date).replace(tzinfo=UTC)
        if when < now - CLOUDWATCH_MAX_AGE:
            continue
        if day.roc_auc is not None:
            data.append(point("RealisedRocAucByScoringDay", day.roc_auc, when))
        data.append(point("LabelledShareByScoringDay", day.labelled_share, when))
    judged = [d for d in days if d.roc_auc is not None and d.labelled >= MIN_LABELLED]
    if judged:
        data.append(point("RealisedRocAuc", judged[-1].roc_auc, now))
    if days:
        total = sum(d.predictions for d in days)
        data.append(point("LabelledShare", sum(d.labelled for d in days) / total, now))
    return data


def run_monitoring(settings: TrainingSettings, folder: Path) -> dict[str, Any]:
    """Join the archive with the labels, log the figures by scoring day; the summary.

    Before any inference run archived a prediction (a first training run) there is nothing to
    judge: the step says so and succeeds, logging nothing.
    """
    started = time.perf_counter()
    spec = settings.spec
    archive = read_archive(settings.predictions_uri, spec.name)
    summary: dict[str, Any] = {"model": spec.name, "run_id": None, "days": []}
    if archive.height == 0:
        log.info(
            "no archived predictions of %s under %s yet: nothing to judge",
            spec.name,
            settings.predictions_uri,
        )
        return summary | {"seconds": round(time.perf_counter() - started, 1)}
    days = quality_by_day(labelled(archive, load_labels(settings), spec))
    folder.mkdir(parents=True, exist_ok=True)
    summary["run_id"] = _log_mlflow(settings, days, folder)
    if settings.cloudwatch_namespace:
        data = cloudwatch_data(spec.name, settings.environment, days, datetime.now(UTC))
        put_metrics(settings.cloudwatch_namespace, data)
    summary["days"] = [d.as_dict() for d in days]
    return summary | {"seconds": round(time.perf_counter() - started, 1)}
