"""Disk full: the local runner's work folder and a job's output folder, on a real tiny filesystem.

Each command runs in its own user + mount namespace (``unshare -rm``) with a tmpfs of a few
KB mounted on the folder, so the kernel itself answers ENOSPC; nothing is mounted on the host.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import mlflow
import pytest
from mlflow import MlflowClient

from tests.conftest import REPO_ROOT as REPO

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _namespaces_work(tmp: Path) -> str:
    """'' when a private tmpfs can be mounted here, else the reason."""
    if not shutil.which("unshare"):
        return "unshare (util-linux) is not installed"
    probe = tmp / "probe"
    probe.mkdir()
    done = subprocess.run(
        ["unshare", "-rm", "sh", "-c", f"mount -t tmpfs -o size=64k tmpfs {probe}"],
        capture_output=True,
        text=True,
        check=False,
    )
    return "" if done.returncode == 0 else f"cannot mount a private tmpfs: {done.stderr.strip()}"


@pytest.fixture
def full_disk(tmp_path):
    """Run a command with ``folder`` on a tiny tmpfs: ``run(folder, size, *cmd, env=...)``."""
    reason = _namespaces_work(tmp_path)
    if reason:
        pytest.skip(f"disk-full tests need user+mount namespaces: {reason}")

    def run(folder: Path, size: str, *cmd: str, env: dict[str, str] | None = None):
        folder.mkdir(parents=True, exist_ok=True)
        script = f'mount -t tmpfs -o size={size} tmpfs "{folder}" && exec "$@"'
        return subprocess.run(
            ["unshare", "-rm", "sh", "-c", script, "sh", *cmd],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
            check=False,
            cwd=REPO,
        )

    return run


def test_local_runner_refuses_a_work_folder_without_room(full_disk, tmp_path):
    work = tmp_path / "work"
    result = full_disk(
        work,
        "1m",
        sys.executable,
        "-m",
        "ml_platform_local.runner",
        "pipelines/training.json",
        "--work-dir",
        str(work),
    )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    step = rf"{re.escape(str(work))}/local-[0-9a-f-]+/TrainModel/algo-1"
    reason = (
        rf"only \d MB free in the work folder {step}; at least 200 MB are needed. "
        "Free some space or point --work-dir elsewhere"
    )
    assert re.search(rf"✘ TrainModel failed after [0-9.]+ s: {reason}", output), output
    assert re.search(rf"error: step TrainModel failed: {reason}", output), output


def test_training_on_a_full_disk_fails_clearly_and_registers_nothing(full_disk, local_platform, tmp_path):
    root = tmp_path / "root"
    db = tmp_path / "mlflow.db"
    result = full_disk(
        root,
        "16k",
        sys.executable,
        "-m",
        "ml_training",
        "train",
        "--sagemaker-root",
        str(root),
        "--n-estimators",
        "5",
        env=local_platform.env(db),
    )
    assert result.returncode == 1, result.stderr[-3000:]
    assert re.search(
        rf"error: no space left on the device writing (under )?{re.escape(str(root))}\S* ", result.stderr
    )
    assert "free space there or give the job a larger volume" in result.stderr
    assert "Traceback" not in result.stderr
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    client = MlflowClient()
    assert client.search_registered_models() == []
    [run] = client.search_runs([client.get_experiment_by_name("ml-platform-local").experiment_id])
    assert run.info.status == "FAILED" and run.data.tags["mlp.status"] == "failed"
