"""scripts/demo.py's options: documented by --help, and the challenger example it prints parses."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration
DEMO = REPO_ROOT / "scripts" / "demo.py"


def test_help_documents_every_option_and_how_to_try_a_challenger():
    shown = subprocess.run(
        [sys.executable, DEMO, "--help"], capture_output=True, text=True, check=True
    ).stdout
    for option in ("--model", "--training-overrides", "--kafka-bootstrap-servers"):
        assert option in shown
    assert "To see the gate promote a challenger" in shown


def test_the_printed_promotion_example_is_a_valid_command_line():
    sys.path.insert(0, str(DEMO.parent))
    import demo

    shown = subprocess.run(
        [sys.executable, DEMO, "--help"], capture_output=True, text=True, check=True
    ).stdout
    weak, default = [x.strip() for x in shown.splitlines() if "make demo ARGS=" in x]
    parsed = []
    for line in (weak, default):
        words = shlex.split(line)  # as the shell splits it: MLP_STATE_DIR=..., make, demo, ARGS=<value>
        assert words[:3] == ["MLP_STATE_DIR=/tmp/mlp-gate", "make", "demo"]
        value = re.fullmatch(r"ARGS=(.*)", words[3], re.S).group(1)
        parsed.append(demo.parse_args(shlex.split(value)))  # as make's recipe line hands it to the shell
    assert [args.model for args in parsed] == [["churn"], ["churn"]]
    assert json.loads(parsed[0].training_overrides) == {"n_estimators": 10, "max_depth": 3}
    assert parsed[1].training_overrides is None  # the spec's own hyperparameters
