"""A local platform for training tests: demo data in a local feature store, MLflow on SQLite."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from ml_platform.demo_data import GROUPS, write_demo_data
from ml_platform.feature_store.local import LocalFeatureStore
from ml_platform.feature_store.records import read_input_file
from ml_platform.specs import SpecRegistry
from tests.conftest import SPECS_DIR

END = date(2026, 9, 30)


@dataclass
class LocalPlatform:
    state: Path
    labels: Path

    def env(self, mlflow_db: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLP_")}
        env.update(
            MLP_STATE_DIR=str(self.state),
            MLP_FEATURE_SPECS_DIR=str(SPECS_DIR),
            MLP_MLFLOW_TRACKING_URI=f"sqlite:///{mlflow_db}",
            MLP_LABELS_URI=str(self.labels),
            MLFLOW_DISABLE_TELEMETRY="true",
        )
        return env

    def train(self, root: Path, mlflow_db: Path, *args: str, hyperparameters: dict | None = None):
        if hyperparameters is not None:
            config = root / "input" / "config"
            config.mkdir(parents=True, exist_ok=True)
            (config / "hyperparameters.json").write_text(json.dumps(hyperparameters))
        return subprocess.run(
            [sys.executable, "-m", "ml_training", "train", "--sagemaker-root", str(root), *args],
            capture_output=True,
            text=True,
            env=self.env(mlflow_db),
            timeout=300,
            check=False,
        )


@pytest.fixture(scope="session")
def local_platform(tmp_path_factory) -> LocalPlatform:
    state = tmp_path_factory.mktemp("platform")
    paths = write_demo_data(state / "demo", n_customers=1500, end=END)
    store = LocalFeatureStore(SpecRegistry.from_directory(SPECS_DIR), state / "feature-store")
    for group in GROUPS:
        store.ingest(group, read_input_file(paths[group]))
    return LocalPlatform(state, paths["labels"])


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """A real `mlflow server` on 127.0.0.1 (SQLite store, artifacts written by clients to a folder)."""
    import time
    import urllib.request

    folder = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    log = (folder / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mlflow",
            "server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            "1",
            "--backend-store-uri",
            f"sqlite:///{folder / 'db.sqlite'}",
            "--no-serve-artifacts",
            "--default-artifact-root",
            str(folder / "artifacts"),
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/health", timeout=2).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(
                    f"mlflow server did not start: {(folder / 'server.log').read_text()[-2000:]}"
                ) from None
            time.sleep(0.5)
    yield url
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()
