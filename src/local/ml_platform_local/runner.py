"""Run a SageMaker pipeline definition on this machine: no AWS account, no Docker.

Steps run in dependency order as subprocesses in each app's own locked uv environment
(``uv run --project src/<app> --frozen``), with the container contract mapped onto a work
folder: ``<work>/<execution>/<step>/algo-<i>/`` stands for ``/opt/ml`` (hyperparameters.json
with string values, resourceconfig.json for N instances, the step's environment). Logs are
streamed with a prefix; each step's status and duration are printed; the run stops at the
first failed step with that step's failure reason and a non-zero exit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ml_platform.config import find_upwards, state_dir
from ml_platform.errors import ConfigError, MLPlatformError
from ml_platform.pipelines.definitions import ENTRYPOINT as IMAGE_ENTRYPOINT
from ml_platform_local.broker import LocalKafkaBroker

# The console script a step runs -> the app project that provides it.
APPS = {"ml-training": "training", "ml-inference": "inference"}
TRAINING_COMMAND = ["ml-training", "train"]  # what SageMaker's `docker run <image> train` starts


class StepFailedError(MLPlatformError):
    def __init__(self, step: str, reason: str):
        super().__init__(f"step {step} failed: {reason}")
        self.step = step
        self.reason = reason


@dataclass
class Execution:
    pipeline: str
    execution_id: str
    parameters: dict[str, Any]
    work: Path
    statuses: list[dict[str, Any]] = field(default_factory=list)
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def arn(self) -> str:
        return f"arn:aws:sagemaker:local:000000000000:pipeline/{self.pipeline}/execution/{self.execution_id}"

    def evaluate(self, value: Any) -> Any:
        """Resolve Get/Std:Join expressions of the definition language."""
        if isinstance(value, dict):
            if set(value) == {"Get"}:
                ref = value["Get"]
                if ref.startswith("Parameters."):
                    return self.parameters[ref.removeprefix("Parameters.")]
                if ref == "Execution.PipelineExecutionArn":
                    return self.arn
                if ref == "Execution.PipelineExecutionId":
                    return self.execution_id
                if ref == "Execution.StartDateTime":
                    return self.started_at.isoformat()
                raise ConfigError(f"unsupported reference {ref!r} in the pipeline definition")
            if set(value) == {"Std:Join"}:
                join = value["Std:Join"]
                return join["On"].join(str(self.evaluate(v)) for v in join["Values"])
            return {k: self.evaluate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.evaluate(v) for v in value]
        return value


def _typed(name: str, kind: str, raw: Any, source: str) -> Any:
    try:
        if kind == "Integer":
            return int(raw)
        if kind == "Float":
            return float(raw)
        if kind == "Boolean":
            if str(raw).lower() not in ("true", "false"):
                raise ValueError(raw)
            return str(raw).lower() == "true"
        return str(raw)
    except ValueError:
        raise ConfigError(f"{source}: parameter {name}={raw!r} is not a valid {kind}") from None


def resolve_parameters(definition: dict, request: dict | None, source: str) -> dict[str, Any]:
    declared = {p["Name"]: p for p in definition.get("Parameters", [])}
    values = {n: _typed(n, p["Type"], p.get("DefaultValue", ""), "definition") for n, p in declared.items()}
    for item in (request or {}).get("PipelineParameters", []):
        name = item.get("Name")
        if name not in declared:
            raise ConfigError(
                f"{source}: unknown parameter {name!r}; the definition declares {', '.join(sorted(declared))}"
            )
        values[name] = _typed(name, declared[name]["Type"], item.get("Value"), source)
    return values


def selected(definition: dict, request: dict | None) -> set[str] | None:
    """The steps a request selects (SelectiveExecutionConfig.SelectedSteps), or None for all."""
    config = (request or {}).get("SelectiveExecutionConfig")
    if not config:
        return None
    names = {s["Name"] for s in definition["Steps"]}
    chosen = {s.get("StepName") for s in config.get("SelectedSteps", [])}
    unknown = sorted(str(s) for s in chosen - names)
    if unknown or not chosen:
        raise ConfigError(
            f"SelectedSteps {unknown or '[]'}: the definition has the steps {', '.join(sorted(names))}"
        )
    return chosen


def step_order(definition: dict) -> list[dict]:
    steps = {s["Name"]: s for s in definition["Steps"]}
    order: list[dict] = []
    seen: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        if name in seen:
            return
        if name in path:
            raise ConfigError(f"pipeline steps depend on each other in a cycle: {' -> '.join((*path, name))}")
        if name not in steps:
            raise ConfigError(f"step {path[-1]!r} depends on unknown step {name!r}")
        for dep in steps[name].get("DependsOn", []):
            visit(dep, (*path, name))
        seen.add(name)
        order.append(steps[name])

    for name in steps:
        visit(name, ())
    return order


def uv_executable(repo: Path) -> str:
    candidate = (
        os.environ.get("UV") or shutil.which("uv") or str(repo / ".mlplatform" / "tools" / "bin" / "uv")
    )
    if not Path(candidate).exists() and not shutil.which(candidate):
        raise ConfigError("uv not found: run `make sync` (it bootstraps uv) or put uv on PATH")
    return candidate


def app_run(repo: Path, app: str) -> list[str]:
    """``uv run`` in the app's own locked environment (src/<app>), as its image has it."""
    return [
        uv_executable(repo),
        "run",
        "--project",
        str(repo / "src" / app),
        "--frozen",
        "--no-dev",
        "--quiet",
    ]


def _stream(proc: subprocess.Popen, prefix: str, sink: list[str]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        sink.append(line)
        sys.stdout.write(f"  [{prefix}] {line}")
        sys.stdout.flush()


def _step_env(execution: Execution, arguments: dict, root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    for key, value in execution.evaluate(arguments.get("Environment", {})).items():
        if value == "" and key in ("MLP_MLFLOW_TRACKING_URI", "MLP_FEATURE_GROUP_PREFIX"):
            env.pop(key, None)  # embedded default (local SQLite MLflow, no prefix)
        else:
            env[key] = str(value)
    env["MLP_SAGEMAKER_ROOT"] = str(root)
    return env


def _check_space(work: Path, needed_mb: int = 200) -> None:
    free = shutil.disk_usage(work).free // (1024 * 1024)
    if free < needed_mb:
        raise ConfigError(
            f"only {free} MB free in the work folder {work}; at least {needed_mb} MB are needed. "
            "Free some space or point --work-dir elsewhere"
        )


def _step_command(execution: Execution, step: dict) -> tuple[int, list[str]]:
    """How many instances the step runs on, and the command each runs (as the image would)."""
    args = step["Arguments"]
    if step["Type"] == "Training":
        count = int(execution.evaluate(args["ResourceConfig"].get("InstanceCount", 1)))
        return count, list(TRAINING_COMMAND)
    count = int(execution.evaluate(args["ProcessingResources"]["ClusterConfig"]["InstanceCount"]))
    spec = execution.evaluate(args["AppSpecification"])
    command = [*spec.get("ContainerEntrypoint", []), *[str(a) for a in spec.get("ContainerArguments", [])]]
    # The image's entry point only hands /opt/ml to the app user and drops root; locally the
    # step runs as the user who started the runner, in its own work folder.
    return count, command[1:] if command[:1] == [IMAGE_ENTRYPOINT] else command


def _prepare_host(execution: Execution, step: dict, root: Path, host: str, hosts: list[str]) -> None:
    """The container's /opt/ml for one host: resource config and, for training, hyperparameters."""
    try:
        (root / "input" / "config").mkdir(parents=True, exist_ok=True)
        (root / "config").mkdir(parents=True, exist_ok=True)
        _check_space(root)
        resource = json.dumps({"current_host": host, "hosts": hosts})
        (root / "input" / "config" / "resourceconfig.json").write_text(resource)
        (root / "config" / "resourceconfig.json").write_text(resource)
        if step["Type"] == "Training":
            given = execution.evaluate(step["Arguments"].get("HyperParameters", {}))
            hyper = {k: str(v) for k, v in given.items()}
            (root / "input" / "config" / "hyperparameters.json").write_text(json.dumps(hyper, indent=2))
    except OSError as exc:
        raise StepFailedError(
            step["Name"], f"cannot prepare the work folder {root}: {exc.strerror}"
        ) from None
    except ConfigError as exc:
        raise StepFailedError(step["Name"], str(exc)) from None


def _start(execution: Execution, step: dict, root: Path, command: list[str], repo: Path) -> subprocess.Popen:
    app = APPS.get(command[0] if command else "")
    if app is None:
        raise StepFailedError(step["Name"], f"runs {command[:1]}; the local runner runs {', '.join(APPS)}")
    return subprocess.Popen(
        [*app_run(repo, app), *command, "--sagemaker-root", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_step_env(execution, step["Arguments"], root),
        cwd=repo,
    )


def _failure(step: dict, host: str, code: int, root: Path, lines: list[str]) -> str:
    """What a failed host reports: the container's failure file, else its last output line."""
    reason_file = root / "output" / ("failure" if step["Type"] == "Training" else "message")
    reason = reason_file.read_text().strip() if reason_file.is_file() else ""
    return f"{host}: exit {code}: {reason or (lines[-1].strip() if lines else 'no output')}"


def run_step(execution: Execution, step: dict, repo: Path) -> None:
    """Run a Training or Processing step: one subprocess per instance, as SageMaker would."""
    if step["Type"] not in ("Training", "Processing"):
        raise ConfigError(
            f"step {step['Name']}: type {step['Type']} is not supported locally (Training, Processing)"
        )
    count, command = _step_command(execution, step)
    hosts = [f"algo-{i + 1}" for i in range(count)]
    running = []
    for host in hosts:
        root = execution.work / execution.execution_id / step["Name"] / host
        _prepare_host(execution, step, root, host, hosts)
        proc = _start(execution, step, root, command, repo)
        lines: list[str] = []
        threading.Thread(target=_stream, args=(proc, f"{step['Name']}/{host}", lines), daemon=True).start()
        running.append((host, proc, root, lines))
    failures = [
        _failure(step, host, code, root, lines)
        for host, proc, root, lines in running
        if (code := proc.wait()) != 0
    ]
    if failures:
        raise StepFailedError(step["Name"], "; ".join(failures))


def run_pipeline(
    definition_path: Path, request: dict | None, *, work: Path, repo: Path, source: str = "parameters"
) -> Execution:
    definition = json.loads(definition_path.read_text())
    name = (request or {}).get("PipelineName") or definition.get("Metadata", {}).get(
        "ml-platform/pipeline", definition_path.stem
    )
    execution = Execution(
        pipeline=name,
        execution_id=f"local-{datetime.now(UTC):%Y%m%d%H%M%S}-{uuid.uuid4().hex[:6]}",
        parameters=resolve_parameters(definition, request, source),
        work=work,
    )
    print(
        f"pipeline {name}: execution {execution.execution_id} (work folder {work / execution.execution_id})"
    )
    with ExitStack() as stack:
        if execution.parameters.get("DataUri") == "" and execution.parameters.get("Environment") == "local":
            # Embedded default: the local data folder the demo writes (labels, entity lists).
            execution.parameters["DataUri"] = str(state_dir() / "demo-data")
        if execution.parameters.get("KafkaBootstrapServers") == "":
            # Embedded default: a local broker for the duration of the run.
            broker = stack.enter_context(LocalKafkaBroker(state_dir() / "kafka"))
            execution.parameters["KafkaBootstrapServers"] = broker.bootstrap_servers
            print(
                f"started a local Kafka broker at {broker.bootstrap_servers} (stopped at the end of the run)"
            )
        only = selected(definition, request)
        for step in step_order(definition):
            if only is not None and step["Name"] not in only:
                print(f"- {step['Name']} skipped (not selected)")
                continue
            started = time.monotonic()
            print(f"▶ {step['Name']} ({step['Type']}) started")
            try:
                run_step(execution, step, repo)
            except StepFailedError as exc:
                seconds = time.monotonic() - started
                execution.statuses.append(
                    {"step": step["Name"], "status": "Failed", "seconds": seconds, "reason": exc.reason}
                )
                print(f"✘ {step['Name']} failed after {seconds:.1f} s: {exc.reason}")
                raise
            seconds = time.monotonic() - started
            execution.statuses.append({"step": step["Name"], "status": "Succeeded", "seconds": seconds})
            print(f"✔ {step['Name']} succeeded in {seconds:.1f} s")
    return execution


def build_request(
    definition_path: Path, parameters_file: Path | None, model: str | None, sets: list[str], repo: Path
) -> dict | None:
    """The execution request: a parameters file, or the local settings of ``model``; ``--set`` wins."""
    request = None
    if parameters_file:
        try:
            request = json.loads(parameters_file.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(f"{parameters_file}: cannot read the parameters file: {exc}") from None
    if model is None and not sets:
        return request
    from ml_platform_local.params import build_execution_request, load_repo_model, parse_sets

    pipeline = json.loads(definition_path.read_text()).get("Metadata", {}).get("ml-platform/pipeline")
    if request is None:
        if model is None:
            raise ConfigError("--set needs --model or --parameters (which model's pipeline to run)")
        return build_execution_request(repo, pipeline, "local", sets, model=model)
    values = {p["Name"]: p["Value"] for p in request.get("PipelineParameters", [])}
    if model is not None:
        values.update(Model=model, ModelSpecSha256=load_repo_model(repo, model).sha256)
    values.update({name: value for name, (value, _) in parse_sets(sets).items()})
    return {**request, "PipelineParameters": [{"Name": k, "Value": v} for k, v in values.items()]}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="ml-platform-run-pipeline",
        description="Run a pipeline definition (pipelines/<name>.json) locally, for a model of models/ "
        "(--model, with the local environment's settings) or with a parameters file from "
        "generate_params_json.py; each step runs in its app's locked uv environment.",
    )
    parser.add_argument(
        "definition", type=Path, help="pipeline definition JSON, e.g. pipelines/training.json"
    )
    parser.add_argument("--model", help="model spec name (models/<MODEL>.yaml)")
    parser.add_argument("--parameters", type=Path, help="start-pipeline-execution JSON (PipelineParameters)")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a pipeline parameter (repeatable), e.g. --set ScoringAsOf=2026-09-30T00:00:00Z",
    )
    parser.add_argument(
        "--step",
        action="append",
        default=[],
        metavar="STEP",
        help="run only this step (repeatable), as SageMaker's selective execution does, e.g. "
        "--step PromoteModel --set PromoteModelVersion=3",
    )
    parser.add_argument(
        "--work-dir", type=Path, default=None, help="work folder (default $MLP_STATE_DIR/runs)"
    )
    args = parser.parse_args(argv)
    repo_marker = find_upwards("pipelines")
    repo = repo_marker.parent if repo_marker else Path.cwd()
    try:
        if not args.definition.is_file():
            raise ConfigError(f"{args.definition}: pipeline definition not found")
        request = build_request(args.definition, args.parameters, args.model, args.set, repo)
        if args.step:
            config = {"SelectedSteps": [{"StepName": s} for s in args.step]}
            request = {**(request or {}), "SelectiveExecutionConfig": config}
        work = (args.work_dir or state_dir() / "runs").resolve()
        work.mkdir(parents=True, exist_ok=True)
        run_pipeline(
            args.definition, request, work=work, repo=repo, source=str(args.parameters or "parameters")
        )
    except MLPlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
