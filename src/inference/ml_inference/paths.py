"""The SageMaker processing container contract, under one root the local runner can remap."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ml_platform.container import container_root


@dataclass(frozen=True)
class ProcessingPaths:
    root: Path

    @classmethod
    def resolve(cls, root: Path | str | None = None) -> ProcessingPaths:
        return cls(container_root(root))

    @property
    def output_dir(self) -> Path:
        return self.root / "processing" / "output"

    @property
    def resource_config(self) -> Path:
        return self.root / "config" / "resourceconfig.json"

    @property
    def message_file(self) -> Path:
        """SageMaker shows its first 1 KB as the processing job's ExitMessage."""
        return self.root / "output" / "message"
