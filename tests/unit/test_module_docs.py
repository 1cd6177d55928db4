"""Every Terraform module README lists its inputs and outputs, as variables.tf and outputs.tf declare them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.unit
MODULES = sorted(p for p in (REPO_ROOT / "terraform" / "modules").iterdir() if (p / "variables.tf").is_file())
# and the environment root: its inputs are the tfvars keys
DOCUMENTED = [*MODULES, REPO_ROOT / "terraform" / "staging"]
SCRIPT = REPO_ROOT / "scripts" / "render_module_docs.py"


def declared(path, kind: str) -> list[str]:
    return re.findall(rf'^{kind} "([\w-]+)"', path.read_text(), re.M) if path.is_file() else []


def table_names(readme: str, heading: str) -> list[str]:
    section = readme.split(f"## {heading}", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^\| `([\w-]+)` \|", section, re.M)


@pytest.mark.parametrize("module", DOCUMENTED, ids=lambda p: p.name)
def test_readme_tables_name_every_variable_and_output_in_order(module):
    readme = (module / "README.md").read_text()
    linked = sorted(
        p for p in module.glob("*.tf") if p.is_symlink() and p.name not in ("versions.tf", "tags.tf")
    )
    inputs = [
        name
        for path in [module / "variables.tf", *linked, module / "tags.tf"]
        for name in declared(path, "variable")
    ]
    assert inputs[-1] == "tags"  # every module takes tags (terraform/shared/tags.tf)
    assert table_names(readme, "Inputs") == inputs
    assert table_names(readme, "Outputs") == declared(module / "outputs.tf", "output")


def test_the_committed_tables_are_current():
    result = subprocess.run([sys.executable, SCRIPT, "--check"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_a_new_variable_makes_the_check_fail_naming_the_readme(tmp_path):
    module = tmp_path / "modules" / "ecr"
    shutil.copytree(REPO_ROOT / "terraform" / "modules" / "ecr", module)
    with (module / "variables.tf").open("a") as f:
        f.write('\nvariable "extra" {\n  description = "New."\n  type        = string\n}\n')
    args = [sys.executable, SCRIPT, "--modules", str(tmp_path / "modules")]
    stale = subprocess.run([*args, "--check"], capture_output=True, text=True, check=False)
    assert stale.returncode == 1 and f"{module / 'README.md'}" in stale.stderr
    subprocess.run(args, check=True, capture_output=True)
    assert "| `extra` | New. | `string` | required |" in (module / "README.md").read_text()


@pytest.mark.parametrize("module", MODULES, ids=lambda p: p.name)
def test_every_module_has_a_minimal_example_its_terraform_test_plans(module):
    assert (module / "examples" / "minimal" / "main.tf").is_file()
    tests = " ".join(p.read_text() for p in (module / "tests").glob("*.tftest.hcl"))
    assert re.search(r'module\s*\{\s*source\s*=\s*"\./examples/minimal"\s*\}', tests), (
        f"{module.name}: no run block plans examples/minimal"
    )
