#!/usr/bin/env python3
"""Open the local MLflow store (the demo's and the local runs') in the MLflow UI, on 127.0.0.1
and a free port; `make mlflow-ui` runs it. Stop it with Ctrl-C."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from ml_platform.config import state_dir
from ml_platform_local.broker import free_port


def experiment_links(db: Path, ui: str) -> list[tuple[str, str]]:
    """Each platform experiment's runs table with the key metrics (its shared view)."""
    from mlflow import MlflowClient

    from ml_training.registry import VIEW_TAG, experiment_url

    experiments = MlflowClient(tracking_uri=f"sqlite:///{db}").search_experiments()
    return [(e.name, experiment_url(ui, e.experiment_id)) for e in experiments if VIEW_TAG in e.tags]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default = state_dir() / "mlflow" / "mlflow.db"
    parser.add_argument("--db", type=Path, default=default, help=f"MLflow SQLite store (default {default})")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: a free one)")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"error: no MLflow store at {args.db}; run `make demo` first", file=sys.stderr)
        return 1
    port = args.port or free_port()
    ui = f"http://127.0.0.1:{port}"
    print(f"MLflow UI: {ui}  (store {args.db}; Ctrl-C stops it)")
    for name, url in experiment_links(args.db, ui):
        print(f"  {name}: {url}")
    sys.stdout.flush()
    command = [sys.executable, "-m", "mlflow", "ui", "--backend-store-uri", f"sqlite:///{args.db}"]
    os.execv(sys.executable, [*command, "--host", "127.0.0.1", "--port", str(port)])


if __name__ == "__main__":
    sys.exit(main())
