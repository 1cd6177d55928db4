"""A real Kafka-protocol broker as a plain local process, for the local runner and the tests.

Uses noida-db (``pip install noida-db``), a single binary speaking the Kafka protocol; see
the README for its limits. Where a bootstrap address is given, use that broker instead.
Only ever binds 127.0.0.1.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

from ml_platform.errors import ConfigError, MLPlatformError

log = logging.getLogger(__name__)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def broker_binary() -> Path:
    spec = importlib.util.find_spec("noida_db")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(
            "no local Kafka broker: install noida-db (it is in the dev environment) or set a bootstrap address"
        )
    binary = Path(next(iter(spec.submodule_search_locations))) / "noida-db"
    if not binary.is_file():
        raise ConfigError(f"noida-db binary missing at {binary}; reinstall noida-db")
    return binary


class LocalKafkaBroker:
    """Start/stop a noida-db Kafka broker on 127.0.0.1; data kept in ``data_dir`` across restarts."""

    def __init__(self, data_dir: Path | str, port: int | None = None):
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None
        self._log_path = self.data_dir / "broker.log"

    @property
    def bootstrap_servers(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> LocalKafkaBroker:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log_file = self._log_path.open("ab")
        self.process = subprocess.Popen(
            [
                str(broker_binary()),
                "start",
                "--only",
                "kafka",
                "--host",
                "127.0.0.1",
                "--kafka-port",
                str(self.port),
                "--data-dir",
                str(self.data_dir),
            ],
            stdout=log_file,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        log_file.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise MLPlatformError(
                    f"local Kafka broker exited at start: {self._log_path.read_text()[-2000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    log.info("local Kafka broker ready at %s", self.bootstrap_servers)
                    return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise MLPlatformError(f"local Kafka broker did not open 127.0.0.1:{self.port} within {timeout:.0f} s")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def __enter__(self) -> LocalKafkaBroker:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
