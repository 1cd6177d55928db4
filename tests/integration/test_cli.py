"""The ml-platform-features command, run as a user runs it (a subprocess)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests import zygote
from tests.conftest import REPO_ROOT, tree_digest

pytestmark = pytest.mark.integration


def cli(*args: str, state: Path) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MLP_STATE_DIR": str(state),
        "MLP_FEATURE_SPECS_DIR": str(REPO_ROOT / "feature_groups"),
    }
    env.pop("MLP_FEATURE_STORE_ROOT", None)
    return zygote.run([sys.executable, "-m", "ml_platform", *args], env=env, timeout=120)


def write_csv(path: Path, rows: list[str]) -> Path:
    header = "customer_id,event_time,sessions_7d,minutes_7d,support_tickets_30d,days_since_last_login"
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_help_documents_ingest(tmp_path):
    result = cli("ingest", "--help", state=tmp_path)
    assert result.returncode == 0
    assert "--feature-group" in result.stdout and "writes nothing" in result.stdout


def test_ingest_then_read_back(tmp_path):
    now = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    good = write_csv(tmp_path / "good.csv", [f"C1,{now},3,1.5,0,2", f"C2,{now},4,2.5,1,"])
    result = cli("ingest", "-g", "customer_activity", "-f", str(good), state=tmp_path / "state")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == 2
    record = cli("get-record", "-g", "customer_activity", "--id", "C2", state=tmp_path / "state")
    assert json.loads(record.stdout)["days_since_last_login"] is None


def test_ingest_with_one_bad_row_exits_non_zero_and_changes_nothing(tmp_path):
    now = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    state = tmp_path / "state"
    first = write_csv(tmp_path / "first.csv", [f"C1,{now},3,1.5,0,2"])
    assert cli("ingest", "-g", "customer_activity", "-f", str(first), state=state).returncode == 0
    before = tree_digest(state)
    bad = write_csv(
        tmp_path / "bad.csv", [f"C2,{now},3,1.5,0,2", f"C3,{now},three,1.5,0,2", f"C4,{now},3,1.5,0,2"]
    )
    result = cli("ingest", "-g", "customer_activity", "-f", str(bad), state=state)
    assert result.returncode == 1
    assert "row 2, column 'sessions_7d': 'three' is not a whole number" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert tree_digest(state) == before


def test_unknown_group_and_backend_are_clear_errors(tmp_path):
    csv = write_csv(tmp_path / "x.csv", ["C1,2026-01-01T00:00:00Z,1,1,1,1"])
    result = cli("ingest", "-g", "nope", "-f", str(csv), state=tmp_path)
    assert result.returncode == 1 and "unknown feature group 'nope'" in result.stderr
    env_result = subprocess.run(
        [sys.executable, "-m", "ml_platform", "ingest", "-g", "customer_activity", "-f", str(csv)],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "MLP_FEATURE_STORE_BACKEND": "redis",
            "MLP_FEATURE_SPECS_DIR": str(REPO_ROOT / "feature_groups"),
        },
    )
    assert env_result.returncode == 1 and "MLP_FEATURE_STORE_BACKEND='redis'" in env_result.stderr


def test_validate_specs_lists_groups(tmp_path):
    result = cli("validate-specs", state=tmp_path)
    assert result.returncode == 0
    assert "customer_activity: 6 features" in result.stdout
