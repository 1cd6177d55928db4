"""The benchmark command runs end to end on tiny data (CI smoke; no timing is asserted)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_bench_prints_every_figure_with_its_baseline(tmp_path):
    usage = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "bench.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "--models MODELS" in usage and "(default: random_forest,lightgbm)" in " ".join(usage.split())
    out = tmp_path / "bench.json"
    # One model of the two the goals name: each model goes through the same code, only the
    # training arguments differ (bench_inference.MODELS); the default runs both.
    result = subprocess.run(
        [sys.executable, str(REPO_ROOT / "scripts" / "bench.py"), "--pit-entities", "1000", "--pit-feature-rows",
         "4000", "--entities", "2000", "--large-entities", "4000", "--runs", "1", "--models", "lightgbm",
         "--output", str(out)],
        cwd=tmp_path, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    table = json.loads(out.read_text())["table"]
    figures = {row["figure"] for row in table}
    assert {"PIT training set (s)", "PIT peak RSS (MB)", "PIT checksum"} <= figures
    assert {"inference lightgbm @2,000 (rows/s)", "model ready, lightgbm (s)",
            "ONNX scoring lightgbm @2,000 (s)"} <= figures  # fmt: skip
    assert "inference peak RSS lightgbm @4,000 (MB)" in figures
    baselines = {row["baseline"] for row in table}
    assert {"pyarrow read", "pandas merge_asof", "raw producer", "iterrows loop", "native model"} <= baselines
    # every ratio is printed as min / median / max of the runs' pairs
    pairs = [row for row in table if row["baseline"] == "raw producer"]
    assert all(row["ratio_min"] <= row["ratio"] <= row["ratio_max"] for row in pairs)
    runs = json.loads(out.read_text())["inference"]["lightgbm"]["runs"]
    assert pairs[0]["ratio"] == runs[0]["job_rows_per_s"] / runs[0]["raw_rows_per_s"]
    scoring = json.loads(out.read_text())["inference"]["lightgbm"]["scoring"]
    assert scoring["max_abs_diff"] <= 1e-5  # ONNX and the native model score the same rows alike
    checksum = next(row for row in table if row["figure"] == "PIT checksum")
    assert checksum["met"] is True, "ml-platform and pandas give the same training set"
    for line in ("pyarrow read", "raw producer", "iterrows loop", "model ready", "min / median / max"):
        assert line in result.stdout
