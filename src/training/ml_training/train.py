"""The training job as plain functions: data -> checks -> model -> evaluation -> MLflow -> gate."""

from __future__ import annotations

import json
import logging
import subprocess
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version as pkg_version
from pathlib import Path
from typing import Any

import mlflow
import polars as pl
import pyarrow.parquet as pq
from mlflow.models import infer_signature

from ml_platform.config import FeatureStoreSettings
from ml_platform.container import TrainingPaths
from ml_platform.drift import reference_profile
from ml_platform.feature_store import FeatureStore, open_feature_store
from ml_platform.model_format import (
    LOADER_MODULE,
    MODEL_FILE,
    MODEL_FOLDER,
    ONNX_FILE,
    PROFILE_ARTIFACT,
    save_skops,
)
from ml_platform.model_input import model_features, to_model_input
from ml_platform.model_specs import ModelSpec
from ml_platform.specs import FeatureSpec, SpecRegistry
from ml_platform.tracking import TrackingSettings
from ml_training.data import TrainingData, build_training_set
from ml_training.evaluate import metrics, profile, write_artifacts, write_json
from ml_training.model import build_pipeline, split, undersample
from ml_training.onnx_export import check_equal, float32_exact, to_onnx
from ml_training.promotion import HOLDOUT_ARTIFACT, gate, holdout_frame
from ml_training.registry import CHALLENGER, connect, delete_version, log_run_content, register, version_tags
from ml_training.settings import TrainingSettings
from ml_training.validation import validate_training_set

log = logging.getLogger(__name__)

PIP_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "skops")
FAMILY_PACKAGES = {"lightgbm": ("lightgbm",), "xgboost": ("xgboost-cpu",)}  # what the native model also needs


@dataclass(frozen=True)
class TrainingResult:
    run_id: str
    model_name: str
    model_version: str
    metrics: dict[str, float]
    promoted: bool
    reason: str
    champion_version: str | None
    champion_score: float | None
    seconds: float


def _git_sha() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False
        )
        return out.stdout.strip() if out.returncode == 0 else ""
    except OSError:
        return ""


def feature_selection(spec: ModelSpec, groups: SpecRegistry) -> str:
    """JSON {group: {join_key, features}} of the model's inputs (a model version tag)."""
    chosen = {
        use.group: {
            "join_key": use.join_key,
            "features": list(use.features or [f.name for f in groups[use.group].value_features]),
        }
        for use in spec.feature_groups
    }
    return json.dumps(chosen, separators=(",", ":"))


def pip_requirements(estimator: str) -> list[str]:
    return [f"{p}=={pkg_version(p)}" for p in (*PIP_PACKAGES, *FAMILY_PACKAGES.get(estimator, ()))]


def export_onnx(fitted: Fitted, folder: Path) -> Path:
    """Write the ONNX copy of the model and check it on the whole holdout (raises otherwise)."""
    onnx_model = to_onnx(fitted.model, fitted.features)
    largest = check_equal(onnx_model, fitted.proba, pl.from_pandas(fitted.x_test), fitted.features)
    log.info(
        "ONNX model scores like the native one on %d holdout rows (max |diff| %.2g)",
        len(fitted.proba),
        largest,
    )
    mlflow.log_metric("onnx_max_abs_diff", largest)
    path = folder / ONNX_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(onnx_model)
    return path


def log_model(fitted: Fitted, folder: Path, estimator: str) -> Any:
    """Log the native model (skops) and its checked ONNX copy behind ml-platform's pyfunc loader
    (see ``ml_platform.model_format``)."""
    files = folder / MODEL_FOLDER
    export_onnx(fitted, files)  # first: a model that fails the check is never logged
    save_skops(fitted.model, files / MODEL_FILE)
    x_example, proba = fitted.x_test, fitted.proba
    return mlflow.pyfunc.log_model(
        name="model",
        loader_module=LOADER_MODULE,
        data_path=str(files),
        signature=infer_signature(x_example.head(100), proba[:100]),
        input_example=x_example.head(5),
        pip_requirements=pip_requirements(estimator),
    )


def lineage_tags(settings: TrainingSettings, specs: SpecRegistry, as_of: datetime) -> dict[str, str]:
    """Where a run's model comes from: spec, groups, labels, code and image (empty values left out)."""
    spec = settings.spec
    groups = spec.group_names
    lineage = {
        "environment": settings.environment,
        "model_spec": spec.name,
        "model_spec_sha256": spec.sha256,
        "feature_groups": ",".join(groups),
        # What inference joins and scores with: each group's key column and features.
        "feature_selection": feature_selection(spec, specs),
        "label_window": f"{settings.label_start_date or ''}..{settings.label_end_date or ''}",
        "labels_uri": settings.labels_uri,
        "training_set_as_of": as_of.isoformat(),
        "git_sha": settings.git_sha or _git_sha(),
        "image_uri": settings.image_uri,
        "pipeline_execution_arn": settings.pipeline_execution_arn,
        **{f"spec_sha256.{g}": specs[g].content_hash for g in groups},
    }
    return {k: v for k, v in lineage.items() if v}


@dataclass
class Fitted:
    """A model fitted on the training split, and its holdout."""

    model: Any
    features: list[FeatureSpec]
    x_test: Any
    y_test: Any
    proba: Any
    scores: dict[str, float]
    train_rows: int
    checked: dict[str, Any]


def fit(
    settings: TrainingSettings, store: FeatureStore, as_of: datetime, paths: TrainingPaths
) -> tuple[Fitted, TrainingData]:
    """Training set -> checks -> split -> fit -> holdout scores; returns them and the training set."""
    spec = settings.spec
    data = build_training_set(settings, store, as_of)
    # The exact rows the model learns from, for debugging a run (SageMaker uploads output/data).
    paths.output_data_dir.mkdir(parents=True, exist_ok=True)
    # pyarrow raises OSError (e.g. ENOSPC), which the job runner reports; Polars wraps it.
    pq.write_table(data.frame.to_arrow(), paths.output_data_dir / "training_set.parquet")
    features = model_features(store.specs, spec.selection)
    checked = validate_training_set(data.frame, features, settings)
    x = to_model_input(data.frame, features)
    y = data.frame[spec.label_column].to_numpy().astype(int)
    times = data.frame[spec.label_time_column].to_numpy()
    x_train, x_test, y_train, y_test = split(x, y, times, settings)
    x_train, y_train = undersample(x_train, y_train, settings.undersample_ratio, settings.seed)
    log.info("training %s on %d rows (holdout %d)", settings.estimator, len(x_train), len(x_test))
    model = float32_exact(build_pipeline(features, settings).fit(x_train, y_train))
    proba = model.predict_proba(x_test)[:, 1]
    scores = metrics(y_test, proba, threshold=spec.threshold)  # the threshold inference labels with
    log.info("holdout metrics: %s", {k: round(v, 4) for k, v in scores.items()})
    return Fitted(model, features, x_test, y_test, proba, scores, len(x_train), checked), data


def log_evaluation(
    settings: TrainingSettings,
    fitted: Fitted,
    data: TrainingData,
    paths: TrainingPaths,
    lineage: dict[str, str],
) -> None:
    """Holdout metrics, plots and the training profile, to output/data and the MLflow run."""
    spec, out = settings.spec, paths.output_data_dir
    files = write_artifacts(
        out,
        fitted.model,
        x_test=fitted.x_test,
        y_test=fitted.y_test,
        proba=fitted.proba,
        seed=settings.seed,
        threshold=spec.threshold,
    )
    facts = {
        "train_rows": fitted.train_rows,
        "holdout_rows": len(fitted.x_test),
        "split": settings.split,
        "label_window": lineage.get("label_window"),
        "as_of": lineage.get("training_set_as_of"),
        "null_ratios_checked": fitted.checked["null_ratios"],
    }
    files.append(
        write_json(
            out / "training_profile.json", profile(data.frame, fitted.features, spec.label_column, facts)
        )
    )
    # The promotion gate re-scores the champion on exactly these rows (ml_training.promotion).
    holdout = out / Path(HOLDOUT_ARTIFACT).name
    holdout_frame(fitted.x_test, fitted.y_test).write_parquet(holdout)
    files.append(holdout)
    log_run_content({"rows": fitted.checked["rows"], "train_rows": fitted.train_rows}, fitted.scores, {})
    for f in files:
        mlflow.log_artifact(str(f), artifact_path="evaluation")
    # What each inference run's population is compared with (feature drift, ml_platform.drift).
    reference = write_json(out / Path(PROFILE_ARTIFACT).name, reference_profile(data.frame, fitted.features))
    mlflow.log_artifact(str(reference), artifact_path=str(Path(PROFILE_ARTIFACT).parent))


def _register_and_gate(settings: TrainingSettings, info: Any, run: Any, lineage: dict[str, str]):
    """Register the version; with ``promote`` run the gate too (the pipeline's PromoteModel step
    does otherwise). A gate that fails here removes the version, so a failed run registers nothing."""
    version = register(
        settings=settings,
        model_uri=info.model_uri,
        model_id=getattr(info, "model_id", None),
        run_id=run.info.run_id,
        tags=version_tags(run.info.run_name, lineage),
    )
    if not settings.promote:
        return version, None
    try:
        return version, gate(settings, version)
    except BaseException:
        delete_version(settings, version)
        raise


def _result(
    settings: TrainingSettings, run_id: str, version: str, fitted: Fitted, *, decision: Any, seconds: float
) -> TrainingResult:
    """What the run reports; without a gate decision the version stays the challenger."""
    waiting = f"registered as {CHALLENGER}; the promotion step (ml-training promote) decides"
    return TrainingResult(
        run_id=run_id,
        model_name=settings.model_name,
        model_version=version,
        metrics=fitted.scores,
        promoted=decision is not None and decision.promoted,
        reason=waiting if decision is None else decision.reason,
        champion_version=None if decision is None else decision.champion_version,
        champion_score=None if decision is None else decision.champion_score,
        seconds=seconds,
    )


def _execution(settings: TrainingSettings) -> str:
    """The pipeline execution's id (the last part of its ARN), or "" outside a pipeline."""
    return settings.pipeline_execution_arn.rsplit("/", 1)[-1] if settings.pipeline_execution_arn else ""


def run_training(settings: TrainingSettings, paths: TrainingPaths) -> TrainingResult:
    """One run: MLflow first, then fit, evaluate, log the model and register it (and gate it)."""
    started = time.perf_counter()
    tracking = TrackingSettings.from_env(uri=settings.mlflow_tracking_uri or None)
    experiment_id = connect(tracking, settings.experiment)  # fail before any work if MLflow is down
    store = open_feature_store(FeatureStoreSettings.from_env())
    as_of = datetime.now(UTC)
    lineage = lineage_tags(settings, store.specs, as_of)
    run_name = (
        f"{settings.spec.name}-{settings.environment}-{_execution(settings) or f'{as_of:%Y%m%d-%H%M%S}'}"
    )
    with mlflow.start_run(
        experiment_id=experiment_id, run_name=run_name, tags={"mlp.status": "started"}
    ) as run:
        mlflow.set_tags(lineage)
        mlflow.log_params({k: "none" if v is None else v for k, v in settings.hyperparameters().items()})
        try:
            fitted, data = fit(settings, store, as_of, paths)
            log_evaluation(settings, fitted, data, paths, lineage)
            # Also in /opt/ml/model, which SageMaker uploads as the training job's model artifact.
            info = log_model(fitted, paths.model_dir, settings.estimator)
            version, decision = _register_and_gate(settings, info, run, lineage)
        except BaseException as exc:
            mlflow.set_tag("mlp.status", "failed")
            mlflow.set_tag("mlp.failure_reason", str(exc)[:5000])
            mlflow.end_run(status="FAILED")
            raise
        mlflow.set_tags({"mlp.status": "succeeded", "mlp.model_version": version})  # the gate tagged the run
        result = _result(
            settings,
            run.info.run_id,
            version,
            fitted,
            decision=decision,
            seconds=time.perf_counter() - started,
        )
        payload: dict[str, Any] = {**asdict(result), "gate": None if decision is None else asdict(decision)}
        write_json(paths.model_dir / "training_result.json", payload)
        mlflow.log_dict(payload, "training_result.json")
    return result
