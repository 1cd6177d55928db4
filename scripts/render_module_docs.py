#!/usr/bin/env python3
"""Write the inputs and outputs tables of every Terraform module's README, and of the environment
root's (terraform/staging, whose inputs are the tfvars keys), from its variables.tf (then the
shared inputs linked from terraform/shared, tags last) and outputs.tf (between the terraform-docs markers), or check that they
are current.

    render_module_docs.py           rewrite the tables
    render_module_docs.py --check   exit 1, naming the README, when a table differs

terraform-docs, the usual tool, is a Go binary outside the registries this project installs
from; python-hcl2 (already a dependency) parses the same files Terraform reads.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import hcl2
from hcl2.utils import SerializationOptions
from rendering import write_or_check

REPO = Path(__file__).resolve().parents[1]
MODULES = REPO / "terraform" / "modules"
NOT_INPUTS = ("variables.tf", "tags.tf", "main.tf", "outputs.tf", "versions.tf", "providers.tf", "backend.tf")
BEGIN, END = "<!-- BEGIN_TF_DOCS -->", "<!-- END_TF_DOCS -->"
OPTIONS = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)


def _blocks(path: Path, kind: str) -> list[tuple[str, dict]]:
    parsed = hcl2.loads(path.read_text(), serialization_options=OPTIONS) if path.is_file() else {}
    return [(name, body) for block in parsed.get(kind, []) for name, body in block.items()]


def _cell(text: str) -> str:
    """Markdown table cell: one line, pipes escaped."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _type(value: object) -> str:
    text = str(value or "any")
    return text[2:-1] if text.startswith("${") and text.endswith("}") else text


def _default(body: dict) -> str:
    if "default" not in body:
        return "required"
    return f"`{_cell(json.dumps(body['default']))}`"


def input_files(module: Path) -> list[Path]:
    """Where the inputs are declared: variables.tf, then the shared inputs linked from
    terraform/shared (name_prefix.tf, kms_key.tf, tags.tf), tags last."""
    shared = sorted(
        p for p in module.glob("*.tf") if p.is_symlink() and p.name not in ("versions.tf", "tags.tf")
    )
    return [module / "variables.tf", *shared, module / "tags.tf"]


def tables(module: Path) -> str:
    """The inputs and outputs tables of ``module``, in file order."""
    lines = [BEGIN, "## Inputs", "", "| name | description | type | default |", "|---|---|---|---|"]
    inputs = [block for path in input_files(module) for block in _blocks(path, "variable")]
    for name, body in inputs:
        kind = _cell(_type(body.get("type")))
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))} | `{kind}` | {_default(body)} |")
    lines += ["", "## Outputs", "", "| name | description |", "|---|---|"]
    for name, body in _blocks(module / "outputs.tf", "output"):
        lines.append(f"| `{name}` | {_cell(body.get('description', ''))} |")
    return "\n".join([*lines, END])


def rendered(readme: Path, module: Path) -> str:
    """The README with its tables replaced (appended when it has no markers yet)."""
    text = readme.read_text()
    block = tables(module)
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if pattern.search(text):
        return pattern.sub(lambda _: block, text)
    return text.rstrip() + "\n\n" + block + "\n"


def documented(modules: Path) -> list[Path]:
    """The folders whose README carries the tables: each module, then the environment root."""
    found = sorted(p for p in modules.iterdir() if (p / "variables.tf").is_file())
    root = modules.parent / "staging"
    return [*found, root] if (root / "variables.tf").is_file() else found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only check; exit 1 when a README is out of date"
    )
    parser.add_argument("--modules", type=Path, default=MODULES, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    files = {
        module / "README.md": rendered(module / "README.md", module) for module in documented(args.modules)
    }
    return write_or_check(files, check=args.check)


if __name__ == "__main__":
    sys.exit(main())
