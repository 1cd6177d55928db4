"""peak_rss_mb: this program's own peak, not the parent's memory inherited at fork."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ml_platform.memory import peak_rss_mb

CHILD = "from ml_platform.memory import peak_rss_mb; print(peak_rss_mb())"


@pytest.mark.unit
def test_a_child_of_a_large_process_reports_its_own_peak():
    ballast = bytearray(600 * 1024 * 1024)  # touched: resident in this process
    ballast[::4096] = b"x" * len(ballast[::4096])
    assert peak_rss_mb() > 600
    child = float(
        subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True).stdout
    )
    assert 5 < child < 300  # a small interpreter, not this process's 600+ MB
    del ballast
