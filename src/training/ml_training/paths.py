"""The SageMaker training container contract, under one root the local runner can remap.

SageMaker mounts everything under ``/opt/ml``; ``MLP_SAGEMAKER_ROOT`` (or ``--sagemaker-root``)
moves the root, e.g. to a local work folder.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ml_platform.config import state_dir

DEFAULT_ROOT = Path("/opt/ml")


@dataclass(frozen=True)
class ContainerPaths:
    root: Path

    @classmethod
    def resolve(cls, root: Path | str | None = None) -> ContainerPaths:
        """``root``, else ``MLP_SAGEMAKER_ROOT``, else /opt/ml when it exists, else ``$MLP_STATE_DIR/opt-ml``."""
        if root:
            return cls(Path(root))
        if os.environ.get("MLP_SAGEMAKER_ROOT"):
            return cls(Path(os.environ["MLP_SAGEMAKER_ROOT"]))
        return cls(DEFAULT_ROOT if DEFAULT_ROOT.is_dir() else state_dir() / "opt-ml")

    @property
    def hyperparameters(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    @property
    def resource_config(self) -> Path:
        return self.root / "input" / "config" / "resourceconfig.json"

    @property
    def model_dir(self) -> Path:
        return self.root / "model"

    @property
    def output_dir(self) -> Path:
        return self.root / "output"

    @property
    def output_data_dir(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure_file(self) -> Path:
        return self.root / "output" / "failure"
