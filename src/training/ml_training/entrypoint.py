"""Entry point: ``train`` in the SageMaker training container, ``ml-training`` as a CLI.

Settings: flags > ``hyperparameters.json`` (container) > ``MLP_<NAME>`` environment > defaults.
On failure the reason goes to ``<root>/output/failure`` and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from ml_platform.container import add_container_arguments, run_job
from ml_platform.logs import configure_logging
from ml_training.paths import ContainerPaths
from ml_training.settings import add_arguments, read_hyperparameters, resolve

log = logging.getLogger("ml_training")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-training",
        description=(
            "Train a model of models/<model>.yaml: point-in-time training set from the feature store, validation, "
            "scikit-learn training, holdout evaluation, MLflow tracking and registration, and the "
            "promotion gate (alias 'champion' moves only when the new model is better)."
        ),
    )
    parser.add_argument(
        "mode", nargs="?", choices=("train",), help="'train' as SageMaker starts the container"
    )
    add_container_arguments(parser)
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    paths = ContainerPaths.resolve(args.sagemaker_root)

    def job():
        hyperparameters = (
            read_hyperparameters(paths.hyperparameters) if paths.hyperparameters.is_file() else None
        )
        settings = resolve(
            flags=vars(args),
            hyperparameters=hyperparameters,
            hyperparameters_source=str(paths.hyperparameters),
        )
        from ml_training.train import run_training  # heavy imports (mlflow, sklearn) after argument checks

        return run_training(settings, paths)

    code, result = run_job(job, paths.failure_file)
    if code:
        return code
    print(
        json.dumps(
            {
                "model": result.model_name,
                "version": result.model_version,
                "promoted": result.promoted,
                "reason": result.reason,
                "metrics": {k: round(v, 4) for k, v in result.metrics.items()},
                "run_id": result.run_id,
                "seconds": round(result.seconds, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
