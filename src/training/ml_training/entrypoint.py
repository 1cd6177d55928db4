"""Entry point: ``train`` in the SageMaker training container, ``promote`` in the training
pipeline's processing step, ``ml-training`` as a CLI.

Settings: flags > ``hyperparameters.json`` (container) > ``MLP_<NAME>`` environment > defaults.
On failure the reason goes to ``<root>/output/failure`` and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict

from ml_platform.config import with_deployment_defaults
from ml_platform.container import ProcessingPaths, TrainingPaths, job_parser, run_job
from ml_platform.logs import configure_logging
from ml_training.settings import add_arguments, read_hyperparameters, resolve

log = logging.getLogger("ml_training")


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "mode",
        nargs="?",
        choices=("train", "promote", "monitor"),
        default="train",
        help="'train' (as SageMaker starts a training container; the default), 'promote' or 'monitor'",
    )
    add_arguments(parser)


def build_parser() -> argparse.ArgumentParser:
    return job_parser(
        "ml-training",
        "Train a model of models/<model>.yaml: point-in-time training set from the feature store, validation, "
        "scikit-learn training, holdout evaluation, MLflow tracking and registration (alias 'challenger'), "
        "then the promotion gate (alias 'champion' moves only when the new model is better). "
        "'promote' runs the gate alone, for the version this pipeline execution registered or --model-version; "
        "'monitor' joins the prediction archive with the labels and logs the realised quality by scoring day.",
        _arguments,
    )


def _settings(args: argparse.Namespace, paths: TrainingPaths):
    hyperparameters = read_hyperparameters(paths.hyperparameters) if paths.hyperparameters.is_file() else None
    return resolve(
        flags=vars(args), hyperparameters=hyperparameters, hyperparameters_source=str(paths.hyperparameters)
    )


def _train(args: argparse.Namespace, paths: TrainingPaths) -> int:
    def job():
        settings = _settings(args, paths)
        from ml_training.train import run_training  # heavy imports (mlflow, sklearn) after argument checks

        return run_training(settings, paths)

    code, result = run_job(job, paths.failure_file)
    if code:
        return code
    summary = {
        "model": result.model_name,
        "version": result.model_version,
        "promoted": result.promoted,
        "reason": result.reason,
        "metrics": {k: round(v, 4) for k, v in result.metrics.items()},
        "run_id": result.run_id,
        "seconds": round(result.seconds, 1),
    }
    print(json.dumps(summary))
    return 0


def _promote(args: argparse.Namespace, paths: TrainingPaths) -> int:
    """The gate alone, as the training pipeline's PromoteModel processing step runs it."""

    def job():
        settings = _settings(args, paths)
        from ml_training.promotion import run_promotion  # heavy imports after argument checks

        return run_promotion(settings)

    code, decision = run_job(job, ProcessingPaths(paths.root).message_file)
    if code:
        return code
    print(json.dumps(asdict(decision)))
    return 0


def _monitor(args: argparse.Namespace, paths: TrainingPaths) -> int:
    """Realised quality of the archived predictions (the training pipeline's MonitorModel step)."""
    processing = ProcessingPaths(paths.root)

    def job():
        settings = with_deployment_defaults(_settings(args, paths), os.environ)
        from ml_training.monitor import run_monitoring  # heavy imports after argument checks

        return run_monitoring(settings, processing.output_dir)

    code, summary = run_job(job, processing.message_file)
    if code:
        return code
    print(json.dumps(summary))
    return 0


MODES = {"train": _train, "promote": _promote, "monitor": _monitor}


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    paths = TrainingPaths.resolve(args.sagemaker_root)
    return MODES[args.mode](args, paths)


if __name__ == "__main__":
    sys.exit(main())
