"""Pipeline execution parameters of one model in one environment, checked against the definition.

The values come from the environment's settings (terraform/<env>/terraform.tfvars, the file
Terraform uses, or pipelines/local.tfvars) and the model spec, as pipelines/parameters.json
says; Terraform's schedules read the same table, so a scheduled and a manual run get the same
parameters (a test compares them in the plan).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_platform.config import ENVIRONMENTS
from ml_platform.errors import ConfigError
from ml_platform.model_specs import ModelSpec, load_model
from ml_platform.pipelines.definitions import parameters, render, sources
from ml_platform.settings_table import read_json_object
from ml_platform.specs import SpecRegistry

MAX_VALUE_LENGTH = 1024


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


def read_settings(path: Path) -> dict[str, Any]:
    """The environment's settings as Terraform loads them: ``path`` (terraform.tfvars), then each
    ``*.auto.tfvars.json`` beside it in lexical order, later files winning (the image pins that
    scripts/build_push_ecr.sh writes). Order: https://developer.hashicorp.com/terraform/language/values/variables#variable-definition-precedence
    """
    settings = read_tfvars(path)
    for extra in sorted(path.parent.glob("*.auto.tfvars.json")):
        settings |= read_json_object(extra, "settings")
    return settings


def check_value(pipeline: str, name: str, value: Any, source: str) -> str:
    """The value as the string StartPipelineExecution takes, after checking name and type."""
    by_name = {p.name: p for p in parameters(pipeline)}
    if name not in by_name:
        raise ConfigError(
            f"{source}: unknown {pipeline} pipeline parameter {name!r}; parameters: {', '.join(sorted(by_name))}"
        )
    kind = by_name[name].type
    text = str(value).lower() if isinstance(value, bool) else str(value)
    # A parameter value is at most 1024 characters (Parameter.Value:
    # https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Parameter.html).
    if len(text) > MAX_VALUE_LENGTH:
        raise ConfigError(
            f"{source}: parameter {name} is {len(text)} characters long; SageMaker takes at most {MAX_VALUE_LENGTH}"
        )
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


def training_overrides(tfvars: dict[str, Any], model: str) -> str:
    """The environment's ``training_hyperparameters[model]`` as compact JSON (Terraform's jsonencode)."""
    chosen = (tfvars.get("training_hyperparameters") or {}).get(model) or {}
    return json.dumps({k: str(chosen[k]) for k in sorted(chosen)}, separators=(",", ":"))


def model_values(spec: ModelSpec, tfvars: dict[str, Any]) -> dict[str, str]:
    return {
        "name": spec.name,
        "sha256": spec.sha256,
        "training_overrides": training_overrides(tfvars, spec.name),
    }


def load_repo_model(repo: Path, model: str) -> ModelSpec:
    return load_model(repo / "models", model, SpecRegistry.from_directory(repo / "feature_groups"))


def _values(
    repo: Path, path: Path, tfvars: dict[str, Any], pipeline: str, overrides: list[str], *, model: str
) -> dict[str, str]:
    spec = load_repo_model(repo, model)
    from_model = model_values(spec, tfvars)
    values: dict[str, str] = {}
    for name, source in sources(pipeline).items():
        if "setting" in source:
            raw, where = tfvars.get(source["setting"]), f"{path} ({source['setting']})"
        else:
            raw, where = from_model[source["model"]], f"{spec.source_path} ({source['model']})"
        if raw is not None and str(raw) != "":
            values[name] = check_value(pipeline, name, raw, where)
    for name, (value, item) in parse_sets(overrides).items():
        values[name] = check_value(pipeline, name, value, f"--set {item}")
    return values


def parse_sets(items: list[str]) -> dict[str, tuple[str, str]]:
    """``--set NAME=VALUE`` items as name -> (value, the item as given)."""
    parsed = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError(f"--set {item!r}: expected NAME=VALUE")
        parsed[name.strip()] = (value, item)
    return parsed


def pipeline_name(project: str, environment: str, model: str, pipeline: str) -> str:
    """``<project>-<environment>-<model>-<pipeline>``: what Terraform names each model's pipelines."""
    return f"{project}-{environment}-{model}-{pipeline}"


def build_execution_request(
    repo: Path,
    pipeline: str,
    environment: str,
    overrides: list[str],
    *,
    model: str,
    settings: dict[str, Any] | None = None,
) -> dict[str, Any]:
    path = settings_file(repo, environment)
    tfvars = {**read_settings(path), **(settings or {})}
    project = tfvars.get("project_name", "ml-platform")
    values = _values(repo, path, tfvars, pipeline, overrides, model=model)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return {
        "PipelineName": pipeline_name(project, environment, model, pipeline),
        "PipelineExecutionDisplayName": f"{model}-{pipeline}-{environment}-{stamp}",
        "PipelineExecutionDescription": f"{model} {pipeline} pipeline, {environment}, parameters from "
        "generate_params_json.py",
        "PipelineParameters": [{"Name": k, "Value": v} for k, v in values.items()],
        "ClientRequestToken": str(uuid.uuid4()),
    }


def select_steps(request: dict[str, Any], pipeline: str, steps: list[str]) -> dict[str, Any]:
    """``request`` running only ``steps`` (SageMaker's selective execution; the local runner reads
    the same field): https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_SelectiveExecutionConfig.html"""
    if not steps:
        return request
    names = [s["Name"] for s in render(pipeline)["Steps"]]
    unknown = [s for s in steps if s not in names]
    if unknown:
        raise ConfigError(f"--step {unknown[0]!r}: the {pipeline} pipeline has the steps {', '.join(names)}")
    return {**request, "SelectiveExecutionConfig": {"SelectedSteps": [{"StepName": s} for s in steps]}}


def write_request(
    request: dict[str, Any], output_dir: Path, pipeline: str, environment: str, model: str
) -> Path:
    """``<output_dir>/<pipeline>-<environment>-<model>-<timestamp>.json``."""
    output_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = output_dir / f"{pipeline}-{environment}-{model}-{stamp}.json"
    path.write_text(json.dumps(request, indent=2) + "\n")
    return path
