"""The SageMaker container contract shared by both jobs: one remappable root, failure messages."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from ml_platform.config import state_dir
from ml_platform.errors import ConfigError, MLPlatformError

log = logging.getLogger(__name__)
DEFAULT_ROOT = Path("/opt/ml")


def container_root(root: Path | str | None = None) -> Path:
    """``root``, else ``MLP_SAGEMAKER_ROOT``, else /opt/ml when it exists, else ``$MLP_STATE_DIR/opt-ml``."""
    if root:
        return Path(root)
    if os.environ.get("MLP_SAGEMAKER_ROOT"):
        return Path(os.environ["MLP_SAGEMAKER_ROOT"])
    return DEFAULT_ROOT if DEFAULT_ROOT.is_dir() else state_dir() / "opt-ml"


@dataclass(frozen=True)
class _ContainerPaths:
    root: Path

    @classmethod
    def resolve(cls, root: Path | str | None = None) -> Self:
        """Under ``root``, else the root :func:`container_root` finds."""
        return cls(container_root(root))


class TrainingPaths(_ContainerPaths):
    """The training container's paths under one remappable root (model, output/data, output/failure:
    https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-training-algo-output.html)."""

    @property
    def hyperparameters(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_data_dir(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure_file(self) -> Path:
        return self.root / "output" / "failure"


class ProcessingPaths(_ContainerPaths):
    """The processing container's paths under one remappable root (config/resourceconfig.json:
    https://docs.aws.amazon.com/sagemaker/latest/dg/build-your-own-processing-container.html)."""

    @property
    def output_dir(self) -> Path:
        return self.root / "processing" / "output"

    @property
    def resource_config(self) -> Path:
        return self.root / "config" / "resourceconfig.json"

    @property
    def message_file(self) -> Path:
        """SageMaker shows its first 1 KB as the processing job's ExitMessage
        (https://docs.aws.amazon.com/sagemaker/latest/dg/byoc-metadata.html)."""
        return self.root / "output" / "message"


def write_message(path: Path, message: str) -> None:
    """Write a failure reason where SageMaker picks it up (first 1 KB is shown); never raises."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            message.encode("utf-8", "replace")[:4096].decode("utf-8", "ignore") + "\n", encoding="utf-8"
        )
    except OSError as exc:
        log.error("could not write %s: %s", path, exc)


def job_parser(
    prog: str, description: str, add_arguments: Callable[[argparse.ArgumentParser], None]
) -> argparse.ArgumentParser:
    """A job entry point's parser: the flags every job takes (container root, log level), then
    the job's own (``add_arguments``: its settings table's flags)."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument(
        "--sagemaker-root",
        type=Path,
        default=None,
        help="root of the SageMaker paths (env MLP_SAGEMAKER_ROOT; default /opt/ml if present)",
    )
    parser.add_argument(
        "--log-level", default=None, help="DEBUG, INFO (default), WARNING (env MLP_LOG_LEVEL)"
    )
    add_arguments(parser)
    return parser


def check_user(env: Mapping[str, str] | None = None) -> None:
    """Refuse to run as another user than the image's app user (``MLP_RUN_AS_UID``, set by the
    images): the entry point (docker/entrypoint.sh) drops root before the job starts."""
    env = os.environ if env is None else env
    expected = env.get("MLP_RUN_AS_UID", "")
    if expected and os.getuid() != int(expected):
        raise ConfigError(
            f"the job runs as uid {os.getuid()}, not {expected} (MLP_RUN_AS_UID): start it through the "
            "image's entry point, /usr/local/bin/mlp-entrypoint, which takes the mounted /opt/ml folders "
            "and drops root"
        )


def check_deployed_parameters(env: Mapping[str, str] | None = None) -> None:
    """In a SageMaker pipeline execution, refuse parameters left at the local-only defaults of
    the definition (a run started without the environment's parameters)."""
    from ml_platform.pipelines.definitions import local_defaults

    env = os.environ if env is None else env
    arn = env.get("MLP_PIPELINE_EXECUTION_ARN", "")
    if not arn.startswith("arn:") or ":sagemaker:local:" in arn:
        return  # not a deployed execution (the local runner's ARNs name the region "local")
    left = local_defaults(env)
    if left:
        raise ConfigError(
            f"pipeline execution {arn} runs with the definition's local defaults for {', '.join(left)}: "
            "start it with the environment's parameters (its schedule, or the file "
            "scripts/generate_params_json.py --environment <env> --model <model> writes)"
        )


def run_job(job: Callable[[], Any], message_file: Path) -> tuple[int, Any]:
    """Run a job the way SageMaker expects: (0, result), or the reason in ``message_file`` and
    exit code 1 for an error the user can fix, 2 for an internal error (with its traceback)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    try:
        check_user()
        check_deployed_parameters()
        return 0, job()
    except MLPlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        write_message(message_file, f"{type(exc).__name__}: {exc}")
        return 1, None
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            traceback.print_exc()
            write_message(message_file, f"internal error: {type(exc).__name__}: {exc}")
            return 2, None
        where = exc.filename or f"under {message_file.parent.parent}"  # the container root
        message = (
            f"no space left on the device writing {where} ({exc.strerror}); free space "
            "there or give the job a larger volume (local runner: --work-dir on a disk with room), then re-run"
        )
        print(f"error: {message}", file=sys.stderr)
        write_message(message_file, f"DiskFullError: {message}")
        return 1, None
    except Exception as exc:
        traceback.print_exc()
        write_message(message_file, f"internal error: {type(exc).__name__}: {exc}")
        return 2, None


@dataclass(frozen=True)
class ResourceConfig:
    """Which of N instances this is (``/opt/ml/config/resourceconfig.json`` in processing jobs)."""

    hosts: tuple[str, ...]
    current_host: str

    @property
    def index(self) -> int:
        return self.hosts.index(self.current_host)

    @property
    def count(self) -> int:
        return len(self.hosts)

    @classmethod
    def read(cls, path: Path) -> ResourceConfig:
        if not path.is_file():
            return cls(("algo-1",), "algo-1")
        try:
            raw = json.loads(path.read_text())
            hosts = tuple(sorted(raw["hosts"]))
            current = raw["current_host"]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise ConfigError(
                f"{path}: not a SageMaker resource config with 'hosts' and 'current_host' ({exc})"
            ) from None
        if current not in hosts:
            raise ConfigError(f"{path}: current_host {current!r} is not one of hosts {list(hosts)}")
        return cls(hosts, current)
