"""This process's peak memory, for run reports and benchmarks."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """Peak resident memory of this process image, in MiB.

    On Linux this is ``VmHWM`` from /proc/self/status: the peak since the process started this
    program. ``getrusage(...).ru_maxrss`` is not used there because it also counts the parent's
    memory copied at fork, before exec: a job started by a 5 GB benchmark would report 5 GB.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 1024 / (1024 if sys.platform == "darwin" else 1)
