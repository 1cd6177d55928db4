#!/usr/bin/env python3
"""Write pipeline execution parameters for `aws sagemaker start-pipeline-execution --cli-input-json`.

    generate_params_json.py --pipeline-type {training,inference} --model MODEL
                            --environment {local,staging,prod} [--set NAME=VALUE ...] [--step STEP ...]
                            [--output-dir parameters]

Values come from the environment's settings - terraform/<env>/terraform.tfvars (the file
Terraform uses) or pipelines/local.tfvars - and the model spec models/<MODEL>.yaml, as
pipelines/parameters.json says (the table Terraform's schedules use too); then --set
overrides. Names and types are checked against the pipeline definition in pipelines/<type>.json.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ml_platform.errors import MLPlatformError
from ml_platform_local.params import ENVIRONMENTS, build_execution_request, select_steps, write_request

REPO = Path(__file__).resolve().parents[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pipeline-type", required=True, choices=("training", "inference"))
    parser.add_argument("--model", required=True, help="model spec name (models/<MODEL>.yaml)")
    parser.add_argument("--environment", required=True, choices=ENVIRONMENTS)
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a pipeline parameter (repeatable), e.g. --set 'TrainingOverrides={\"n_estimators\": 300}'",
    )
    parser.add_argument(
        "--step",
        action="append",
        default=[],
        metavar="STEP",
        help="run only this step (repeatable; selective execution), e.g. --step PromoteModel "
        "--set PromoteModelVersion=3 re-gates version 3",
    )
    parser.add_argument("--output-dir", type=Path, default=Path("parameters"))
    parser.add_argument("--repo", type=Path, default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        request = build_execution_request(
            args.repo, args.pipeline_type, args.environment, args.set, model=args.model
        )
        request = select_steps(request, args.pipeline_type, args.step)
        path = write_request(request, args.output_dir, args.pipeline_type, args.environment, args.model)
    except MLPlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
