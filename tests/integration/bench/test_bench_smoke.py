"""The benchmark command runs end to end on tiny data (CI smoke; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bench_prints_every_figure_with_its_baseline(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "bench.py"), "--pit-entities", "2000", "--pit-feature-rows",
         "9000", "--entities", "2000", "--large-entities", "4000", "--runs", "1", "--output", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    table = json.loads(out.read_text())["table"]
    figures = {row["figure"] for row in table}
    assert {"PIT training set (s)", "PIT peak RSS (MB)", "PIT checksum", "inference end to end (rows/s)",
            "model ready (s)"} <= figures  # fmt: skip
    assert any(f.startswith("inference peak RSS @4,000") for f in figures)
    baselines = {row["baseline"] for row in table}
    assert {"pyarrow read", "pandas merge_asof", "raw producer", "iterrows loop"} <= baselines
    checksum = next(row for row in table if row["figure"] == "PIT checksum")
    assert checksum["met"] is True, "ml-platform and pandas give the same training set"
    for line in ("pyarrow read", "raw producer", "iterrows loop", "model ready"):
        assert line in result.stdout
