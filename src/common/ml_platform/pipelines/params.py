"""Pipeline execution parameters from an environment's settings, checked against the definition."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_platform.errors import ConfigError
from ml_platform.pipelines.definitions import parameters

ENVIRONMENTS = ("local", "staging", "prod")


def settings_file(repo: Path, environment: str) -> Path:
    if environment not in ENVIRONMENTS:
        raise ConfigError(f"unknown environment {environment!r}; use one of {', '.join(ENVIRONMENTS)}")
    if environment == "local":
        return repo / "pipelines" / "local.tfvars"
    return repo / "terraform" / environment / "terraform.tfvars"


def read_tfvars(path: Path) -> dict[str, Any]:
    import hcl2
    from hcl2.utils import SerializationOptions

    if not path.is_file():
        raise ConfigError(f"{path}: environment settings not found")
    try:
        return hcl2.loads(
            path.read_text(),
            serialization_options=SerializationOptions(
                strip_string_quotes=True, explicit_blocks=False, with_comments=False
            ),
        )
    except Exception as exc:  # the parser raises lark errors of several kinds
        raise ConfigError(f"{path}: not valid HCL: {exc}") from None


def check_value(pipeline: str, name: str, value: Any, source: str) -> str:
    """The value as the string StartPipelineExecution takes, after checking name and type."""
    by_name = {p.name: p for p in parameters(pipeline)}
    if name not in by_name:
        raise ConfigError(
            f"{source}: unknown {pipeline} pipeline parameter {name!r}; parameters: {', '.join(sorted(by_name))}"
        )
    kind = by_name[name].type
    text = str(value).lower() if isinstance(value, bool) else str(value)
    try:
        if kind == "Integer":
            int(text)
        elif kind == "Float":
            float(text)
        elif kind == "Boolean" and text.lower() not in ("true", "false"):
            raise ValueError(text)
    except ValueError:
        raise ConfigError(f"{source}: parameter {name}={value!r} is not a valid {kind}") from None
    return text


def parameter_values(repo: Path, pipeline: str, environment: str, overrides: list[str]) -> dict[str, str]:
    path = settings_file(repo, environment)
    tfvars = read_tfvars(path)
    hyper = tfvars.get("training_hyperparameters") or {}
    values: dict[str, str] = {}
    for param in parameters(pipeline):
        raw = tfvars.get(param.tfvar, hyper.get(param.tfvar)) if param.tfvar else None
        if raw is not None:
            values[param.name] = check_value(pipeline, param.name, raw, f"{path} ({param.tfvar})")
    for item in overrides:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE")
        values[name.strip()] = check_value(pipeline, name.strip(), value, f"--set {item}")
    return values


def build_execution_request(
    repo: Path, pipeline: str, environment: str, overrides: list[str]
) -> dict[str, Any]:
    tfvars = read_tfvars(settings_file(repo, environment))
    project = tfvars.get("project_name", "ml-platform")
    values = parameter_values(repo, pipeline, environment, overrides)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return {
        "PipelineName": f"{project}-{environment}-{pipeline}",
        "PipelineExecutionDisplayName": f"{pipeline}-{environment}-{stamp}",
        "PipelineExecutionDescription": f"{pipeline} pipeline, {environment}, parameters from generate_params_json.py",
        "PipelineParameters": [{"Name": k, "Value": v} for k, v in values.items()],
        "ClientRequestToken": str(uuid.uuid4()),
    }


def write_request(request: dict[str, Any], output_dir: Path, pipeline: str, environment: str) -> Path:
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = output_dir / f"{pipeline}-{environment}-{stamp}.json"
    path.write_text(json.dumps(request, indent=2) + "\n")
    return path
