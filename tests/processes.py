"""Servers the tests start as process groups of their own: wait for them, stop them whole."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path


def wait_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Until ``url`` answers; a server that exits or stays silent is stopped and reported."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                stop_group(proc)
                raise RuntimeError(f"{url} did not answer: {log.read_text()[-2000:]}") from None
            time.sleep(0.5)


def stop_group(proc: subprocess.Popen) -> None:
    """Stop the process group ``proc`` leads (e.g. the mlflow CLI and its gunicorn), TERM then KILL."""
    for sig, grace in ((signal.SIGTERM, 20), (signal.SIGKILL, 5)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()  # reap the leader, so a finished group is gone
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
