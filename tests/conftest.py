"""Fixtures shared by unit and integration tests."""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
from collections.abc import Callable
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


# The longest files first (wall seconds on this 2-core machine with four workers, 2026-12-04, in
# brackets). Under --dist loadfile --no-loadscope-reorder each file goes to the next free worker in
# collection order, so starting with the longest leaves the short ones to even out the end
# (longest-processing-time first: measured, the workers' last tests ended 37 s apart before).
# A stale entry costs time, not correctness; tests/unit/test_layout.py checks that each exists.
LONGEST_FIRST = (
    "tests/integration/inference/test_inference_job.py",  # 92
    "tests/integration/terraform/test_modules.py",  # 58
    "tests/integration/terraform/test_apply.py",  # 57
    "tests/integration/pipelines/test_local_runner.py",  # 57
    "tests/integration/terraform/test_environment_offline.py",  # 56
    "tests/integration/catalogue/test_catalogue.py",  # 48
    "tests/integration/training/test_onnx_export.py",  # 47
    "tests/integration/terraform/test_terraform.py",  # 42
    "tests/integration/bench/test_bench_smoke.py",  # 41
    "tests/integration/terraform/test_kafka_modes.py",  # 41
    "tests/integration/faults/test_broker_faults.py",  # 40
    "tests/integration/training/test_training_job.py",  # 36
    "tests/integration/pipelines/test_second_model_end_to_end.py",  # 28
    "tests/integration/catalogue/test_catalogue_terraform.py",  # 26
    "tests/integration/test_multi_key_point_in_time.py",  # 25
    "tests/integration/security/test_secrets_never_in_output.py",  # 21
    "tests/integration/test_sagemaker_backend.py",  # 21
    "tests/integration/inference/test_archive.py",  # 20
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Collect LONGEST_FIRST's files first, in its order; the rest keep theirs."""
    rank = {path: i for i, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


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


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every xdist worker of this run sees (this run's base temp when not distributed)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``name`` that ``build`` fills, built once per run by whichever xdist worker asks
    first (the others wait on a file lock, then reuse it). Callers treat it as read-only."""
    shared = shared_dir(tmp_path_factory) / "built-once"
    shared.mkdir(exist_ok=True)
    folder, done = shared / name, shared / f"{name}.done"
    with (shared / f"{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if not done.exists():  # built in place: what it records (MLflow's artifact paths) stays valid
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder
