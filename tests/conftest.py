"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from ml_platform.specs import SpecRegistry

REPO_ROOT = Path(__file__).resolve().parents[1]
SPECS_DIR = REPO_ROOT / "feature_groups"
MODELS_DIR = REPO_ROOT / "models"

settings.register_profile(
    "ci", max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=300, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def specs() -> SpecRegistry:
    return SpecRegistry.from_directory(SPECS_DIR)


def tree_digest(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (hidden files included), by relative path."""
    if not root.exists():
        return {}
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }
