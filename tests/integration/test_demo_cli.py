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
    assert "To see the gate judge a challenger" in shown


def test_the_printed_promotion_example_is_a_valid_command_line():
    sys.path.insert(0, str(DEMO.parent))
    import demo

    shown = subprocess.run(
        [sys.executable, DEMO, "--help"], capture_output=True, text=True, check=True
    ).stdout
    line = next(x.strip() for x in shown.splitlines() if x.strip().startswith("make demo ARGS="))
    words = shlex.split(line)  # as the shell splits it: make, demo, ARGS=<value>
    assert words[:2] == ["make", "demo"]
    value = re.fullmatch(r"ARGS=(.*)", words[2], re.S).group(1)
    args = demo.parse_args(shlex.split(value))  # as make's recipe line hands it to the shell
    assert args.model == ["churn"]
    assert json.loads(args.training_overrides) == {"n_estimators": 400, "min_samples_leaf": 2}
