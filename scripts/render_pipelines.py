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

from ml_platform.pipelines.definitions import PIPELINES, canonical, render, sources

OUT = Path(__file__).resolve().parents[1] / "pipelines"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    args = parser.parse_args()
    stale = []
    files = {f"{name}.json": render(name) for name in PIPELINES}
    files["parameters.json"] = {name: sources(name) for name in PIPELINES}
    for file, content in files.items():
        path = OUT / file
        text = json.dumps(content, indent=2) + "\n"
        if args.check:
            if not path.is_file() or canonical(path.read_text()) != canonical(text):
                stale.append(str(path))
        else:
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print(
            f"out of date: {', '.join(stale)}; run: uv run python scripts/render_pipelines.py",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
