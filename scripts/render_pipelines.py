#!/usr/bin/env python3
"""Write pipelines/<name>.json and pipelines/parameters.json from ml_platform.pipelines.definitions.

Terraform deploys the definitions and the local runner executes them; parameters.json says
where each parameter's value comes from (Terraform's schedules and generate_params_json.py). Run after changing a
definition; `--check` fails when a committed file is out of date (CI).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rendering import write_or_check

from ml_platform.pipelines.definitions import PIPELINES, canonical, render, sources

OUT = Path(__file__).resolve().parents[1] / "pipelines"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args()
    files = {OUT / f"{name}.json": render(name) for name in PIPELINES}
    files[OUT / "parameters.json"] = {name: sources(name) for name in PIPELINES}
    texts = {path: json.dumps(content, indent=2) + "\n" for path, content in files.items()}
    return write_or_check(texts, check=args.check, same=lambda a, b: canonical(a) == canonical(b))


if __name__ == "__main__":
    sys.exit(main())
