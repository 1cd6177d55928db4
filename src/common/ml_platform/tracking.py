"""Where MLflow lives: one setting (``MLP_MLFLOW_TRACKING_URI``), three kinds of backend.

* ``sqlite:///path/mlflow.db`` — the local default, under ``$MLP_STATE_DIR/mlflow``;
* ``http(s)://host`` — an MLflow tracking server;
* ``arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>`` — a SageMaker
  managed MLflow server, through the ``sagemaker-mlflow`` plugin.

This module does not import MLflow, so both apps share it without paying for the import.
"""

from __future__ import annotations

import os
import re
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ml_platform import settings_table as st
from ml_platform.config import state_dir
from ml_platform.errors import ConfigError, MLPlatformError

DEFAULT_CONNECT_TIMEOUT_S = 20.0


class TrackingUnreachableError(MLPlatformError):
    """The MLflow tracking server does not accept connections."""


_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:\d{12}:mlflow-tracking-server/[A-Za-z0-9-]+$")


@dataclass(frozen=True, kw_only=True)
class MlflowEnvironment:
    """The MLflow settings both jobs read from the environment (the one settings layer)."""

    mlflow_tracking_uri: str = st.setting(
        "", st.text, "sqlite:///..., http(s)://... or a SageMaker MLflow ARN"
    )
    mlflow_connect_timeout_s: float = st.setting(
        DEFAULT_CONNECT_TIMEOUT_S,
        st.number,
        "seconds to wait for an http(s) tracking server to accept a connection",
        check=lambda v: v > 0,
        error="{env}={raw!r} is not a positive number of seconds; set e.g. 20 (the default) or unset it",
    )

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> MlflowEnvironment:
        return st.resolve_table(cls, env=env)


def connect_timeout_s(env: Mapping[str, str]) -> float:
    """``MLP_MLFLOW_CONNECT_TIMEOUT_S`` (default 20), checked."""
    return MlflowEnvironment.from_env(env).mlflow_connect_timeout_s


@dataclass(frozen=True)
class TrackingSettings:
    uri: str
    kind: str  # "sqlite", "http" or "sagemaker"
    artifact_location: str | None  # for new experiments on the sqlite backend

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, uri: str | None = None) -> TrackingSettings:
        env = os.environ if env is None else env
        uri = uri or MlflowEnvironment.from_env(env).mlflow_tracking_uri
        if not uri:
            folder = state_dir(env) / "mlflow"
            folder.mkdir(parents=True, exist_ok=True)
            uri = f"sqlite:///{folder / 'mlflow.db'}"
        if uri.startswith("sqlite:///"):
            folder = Path(uri.removeprefix("sqlite:///")).parent
            folder.mkdir(parents=True, exist_ok=True)
            return cls(uri, "sqlite", (folder / "artifacts").as_uri())
        if uri.startswith(("http://", "https://")):
            return cls(uri.rstrip("/"), "http", None)
        if uri.startswith("arn:"):
            if not _ARN.match(uri):
                raise ConfigError(
                    f"MLP_MLFLOW_TRACKING_URI={uri!r} is not a SageMaker MLflow tracking server ARN "
                    "(arn:aws:sagemaker:<region>:<account>:mlflow-tracking-server/<name>)"
                )
            return cls(uri, "sagemaker", None)
        raise ConfigError(
            f"MLP_MLFLOW_TRACKING_URI={uri!r} is not supported; use sqlite:///<path>, http(s)://<host> "
            "or a SageMaker MLflow tracking server ARN"
        )

    def check_reachable(self, timeout_s: float | None = None) -> None:
        """Fail within ``timeout_s`` (``MLP_MLFLOW_CONNECT_TIMEOUT_S``, default 20) when an http(s)
        tracking server accepts no TCP connection, instead of MLflow's own retries (~4 min).

        SQLite needs no server; SageMaker ARNs resolve through the plugin and keep MLflow's retries.
        """
        if timeout_s is None:
            timeout_s = connect_timeout_s(os.environ)  # checked even where unused: a typo is an error
        if self.kind != "http":
            return
        parts = urlsplit(self.uri)
        host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
        deadline, delay, error = time.monotonic() + timeout_s, 0.25, ""
        while True:
            try:
                with socket.create_connection((host, port), timeout=max(0.1, min(5.0, timeout_s))):
                    return
            except OSError as exc:
                error = exc.strerror or str(exc)
            if time.monotonic() + delay >= deadline:
                break
            time.sleep(delay)
            delay = min(delay * 2, 4.0)
        raise TrackingUnreachableError(
            f"cannot reach MLflow at {self.uri} within {timeout_s:.0f} s ({error}); check "
            "MLP_MLFLOW_TRACKING_URI and that the server is up (MLP_MLFLOW_CONNECT_TIMEOUT_S sets the wait)"
        )
