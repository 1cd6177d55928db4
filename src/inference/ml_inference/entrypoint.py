"""Entry point: a SageMaker processing container and the ``ml-inference`` CLI.

Settings: flags (the processing job's arguments) > ``MLP_<NAME>`` environment > defaults.
The run report goes to ``<root>/processing/output/run_report.json``; on failure the reason
goes to ``<root>/output/message`` (the job's ExitMessage) and the exit code is non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from ml_inference.model_loader import ModelFetch
from ml_inference.settings import add_arguments, resolve
from ml_platform.container import ProcessingPaths, job_parser, run_job
from ml_platform.logs import configure_logging

log = logging.getLogger("ml_inference")


def build_parser() -> argparse.ArgumentParser:
    return job_parser(
        "ml-inference",
        "Batch inference: load the model from MLflow (alias 'champion' by default), read the latest "
        "features of the population from the feature store, score in batches and publish every "
        "prediction to Kafka; fails unless every message is acknowledged.",
        add_arguments,
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    paths = ProcessingPaths.resolve(args.sagemaker_root)

    def job():
        settings = resolve(flags=vars(args))
        # The model's child process starts first: it imports mlflow and downloads the model
        # while this process imports the job's modules (heavy; after argument checks).
        fetch = ModelFetch(settings)
        try:
            from ml_inference.job import run_inference
        except BaseException:
            fetch.close()
            raise
        return run_inference(settings, paths, fetch)

    code, report = run_job(job, paths.message_file)
    if code:
        return code
    print(
        json.dumps(
            {
                k: getattr(report, k)
                for k in (
                    "status",
                    "model_version",
                    "rows_read",
                    "scored",
                    "skipped_missing",
                    "skipped_expired",
                    "produced",
                    "acknowledged",
                    "seconds",
                    "messages_per_second",
                )
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
