"""The model to score with, fetched in a child process and loaded here from its ONNX file.

``import mlflow`` alone takes ~2.5 s. The job starts ``python -m ml_inference.model_registry``
(which resolves the alias and downloads the files) as its first step, then imports its own
modules and checks Kafka while the child works; this process never imports mlflow, and scores
with onnxruntime (``ml_platform.onnx_scoring``), so it never imports scikit-learn, scipy or skops
either. Training checked the ONNX file against the native model on the whole holdout before it
registered the version (``ml_training.onnx_export``).
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ml_platform.errors import MLPlatformError
from ml_platform.model_format import onnx_file

if TYPE_CHECKING:
    from ml_platform.onnx_scoring import OnnxScorer

log = logging.getLogger(__name__)
NOT_FOUND, UNREACHABLE = "not_found", "unreachable"
REGISTRY_FIELDS = ("model_name", "model_alias", "model_version", "model_stage", "mlflow_tracking_uri")


class ModelNotFoundError(MLPlatformError):
    """The requested model, alias, version or stage does not exist."""


@dataclass(frozen=True)
class LoadedModel:
    model: OnnxScorer
    name: str
    version: str
    run_id: str
    selection: dict[str, tuple[str, ...] | None]  # group -> the features the model was trained on
    join_keys: dict[str, str]  # group -> entity key column (empty: the model spec's)
    uri: str
    reference_profile: dict[str, Any] | None = None  # training rows' profile (ml_platform.drift)

    @property
    def feature_groups(self) -> tuple[str, ...]:
        return tuple(self.selection)


def parse_selection(answer: dict[str, str]) -> tuple[dict[str, tuple[str, ...] | None], dict[str, str]]:
    """The model's inputs from its version tags: ``feature_selection`` (JSON), else ``feature_groups``."""
    if answer.get("feature_selection"):
        try:
            chosen = json.loads(answer["feature_selection"])
            selection = {g: tuple(v["features"]) for g, v in chosen.items()}
            return selection, {g: v["join_key"] for g, v in chosen.items()}
        except (ValueError, KeyError, TypeError, AttributeError):
            raise MLPlatformError(
                f"{answer['uri']} has an unreadable 'feature_selection' tag; re-train the model"
            ) from None
    groups = tuple(g for g in answer.get("feature_groups", "").split(",") if g)
    if not groups:
        raise MLPlatformError(
            f"{answer['uri']} has no 'feature_groups' tag; it was not registered by ml-training"
        )
    return dict.fromkeys(groups), {}


class ModelFetch:
    """A running ``model_registry`` child; ``result()`` waits for it and loads the model."""

    def __init__(self, settings: Any, timeout_s: float = 600.0):
        self._folder = Path(tempfile.mkdtemp(prefix="ml-inference-model-"))
        self._timeout_s = timeout_s
        values = {name: getattr(settings, name) for name in REGISTRY_FIELDS}
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ml_inference.model_registry",
                str(self._folder),
                logging.getLevelName(logging.getLogger().level),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps(values))
        self._process.stdin.close()
        self._process.stdin = None  # written and closed; communicate() only reads stdout

    def result(self) -> LoadedModel:
        try:
            out, _ = self._process.communicate(timeout=self._timeout_s)
        except subprocess.TimeoutExpired:
            self.close()
            raise MLPlatformError(
                f"resolving and downloading the model took longer than {self._timeout_s:.0f} s; "
                "check MLflow and its artifact store"
            ) from None
        try:
            answer = json.loads(out.strip().splitlines()[-1])
        except (IndexError, json.JSONDecodeError):
            raise MLPlatformError(
                f"the model registry process exited with code {self._process.returncode} without an answer; "
                "see its log lines above"
            ) from None
        if "error" in answer:
            raise (ModelNotFoundError if answer.get("kind") == NOT_FOUND else MLPlatformError)(
                answer["error"]
            )
        selection, join_keys = parse_selection(answer)
        from ml_platform.onnx_scoring import OnnxScorer  # after the child started (job imports it early)

        model = OnnxScorer(onnx_file(Path(answer["path"]), answer["uri"]), answer["uri"])
        log.info(
            "loaded %s (run %s, feature groups %s)", answer["uri"], answer["run_id"], ",".join(selection)
        )
        profile = answer.get("profile_path")
        return LoadedModel(
            model,
            answer["name"],
            answer["version"],
            answer["run_id"],
            selection,
            join_keys,
            answer["uri"],
            json.loads(Path(profile).read_text()) if profile else None,
        )

    def close(self) -> None:
        """Stop the child if it still runs and remove the downloaded files."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._folder, ignore_errors=True)


def log_drift_run(values: dict[str, Any], timeout_s: float = 120.0) -> str:
    """Log the run's drift figures to MLflow through a ``model_registry`` child (this process
    never imports mlflow); the new run's id, or "" with a warning when it could not be logged."""
    command = [sys.executable, "-m", "ml_inference.model_registry", "--drift-run"]
    command.append(logging.getLevelName(logging.getLogger().level))
    try:
        done = subprocess.run(
            command,
            input=json.dumps(values),
            stdout=subprocess.PIPE,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        answer = json.loads(done.stdout.strip().splitlines()[-1])
    except (subprocess.TimeoutExpired, IndexError, json.JSONDecodeError) as exc:
        answer = {"error": f"{type(exc).__name__}: {exc}"}
    if "error" in answer:
        log.warning("could not log the drift figures to MLflow: %s", answer["error"])
        return ""
    return answer["run_id"]
