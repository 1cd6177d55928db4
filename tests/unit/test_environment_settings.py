"""Environment settings: every tfvars key is declared and used, and generate_params_json.py
reads only keys that exist."""

from __future__ import annotations

import json
import re

import pytest

from ml_platform_local.params import read_tfvars
from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

ROOT = REPO_ROOT / "terraform" / "staging"  # prod's *.tf are symlinks to these


def declared() -> set[str]:
    return set(re.findall(r'^variable "(\w+)"', (ROOT / "variables.tf").read_text(), re.MULTILINE))


def used() -> set[str]:
    text = "".join(p.read_text() for p in ROOT.glob("*.tf") if p.name != "variables.tf")
    return set(re.findall(r"\bvar\.(\w+)", text))


def test_every_declared_variable_is_used():
    assert declared() - used() == set()
    assert {"data_uri", "training_hyperparameters", "models"} <= declared()


@pytest.mark.parametrize("environment", ["staging", "prod"])
def test_every_tfvars_key_is_a_declared_variable(environment):
    keys = set(read_tfvars(REPO_ROOT / "terraform" / environment / "terraform.tfvars"))
    assert keys - declared() == set()


def test_local_settings_are_keys_the_parameters_read():
    sources = json.loads((REPO_ROOT / "pipelines" / "parameters.json").read_text())
    read = {s["setting"] for table in sources.values() for s in table.values() if "setting" in s}
    read |= {"project_name", "training_hyperparameters"}  # the pipeline name and TrainingOverrides
    assert set(read_tfvars(REPO_ROOT / "pipelines" / "local.tfvars")) - read == set()
    # and every setting the table reads is a variable the deployed environments declare
    assert read <= declared()
