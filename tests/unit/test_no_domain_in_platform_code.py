"""The platform holds no domain: the churn example's names live only in its spec files, the demo
data generators and the tests."""

from __future__ import annotations

import re

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit

# The churn example's vocabulary: its model, label, groups and entity.
CHURN = re.compile(r"churn|customer_|customer[- ]?id|C0000", re.IGNORECASE)
DEMO_GENERATORS = {"churn_data.py", "maintenance_data.py", "demos.py"}  # in src/local, not in the images


def platform_files():
    for path in sorted((REPO_ROOT / "src").rglob("*")):
        if ".venv" in path.parts or not path.is_file() or path.name == "uv.lock":
            continue
        if path.suffix in (".py", ".toml", ".md") or path.name == "Dockerfile":
            yield path


def test_no_churn_name_outside_the_demo_data_generators():
    found = [
        f"{path.relative_to(REPO_ROOT)}:{number}: {line.strip()}"
        for path in platform_files()
        if path.name not in DEMO_GENERATORS
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if CHURN.search(line)
    ]
    assert found == []


def test_the_check_sees_a_churn_default():
    assert CHURN.search('Field("model_name", st.text, "churn-classifier", "registered model")')
    assert CHURN.search('Field("entity_id_column", st.text, "customer_id", "id column")')
    assert len(list(platform_files())) > 30
