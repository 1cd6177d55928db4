"""The SageMaker training container contract, under one root the local runner can remap.

SageMaker mounts everything under ``/opt/ml``; ``MLP_SAGEMAKER_ROOT`` (or ``--sagemaker-root``)
moves the root, e.g. to a local work folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ml_platform.container import container_root


@dataclass(frozen=True)
class ContainerPaths:
    root: Path

    @classmethod
    def resolve(cls, root: Path | str | None = None) -> ContainerPaths:
        return cls(container_root(root))

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
