#!/usr/bin/env python3
"""Write the README's Monitoring pictures from a demo run: the evaluation plots of a model's
champion in the local MLflow store, shrunk to a width of 480 px and 64 colours.

After `make demo`:  .venv/bin/python scripts/readme_pictures.py
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from PIL import Image

from ml_platform.config import state_dir

PLOTS = ("roc_curve", "precision_recall_curve", "calibration", "confusion_matrix", "feature_importance")
WIDTH, COLOURS = 480, 64
OUT = Path(__file__).resolve().parent.parent / "docs" / "images"


def shrink(source: Path, target: Path) -> Path:
    """A small PNG of ``source``: at most WIDTH wide, a COLOURS-colour palette."""
    with Image.open(source) as opened:
        picture = opened.convert("RGB")
    if picture.width > WIDTH:
        picture = picture.resize((WIDTH, round(picture.height * WIDTH / picture.width)), Image.LANCZOS)
    picture.quantize(colors=COLOURS).save(target, optimize=True)
    return target


def champion_plots(db: Path, registered_model: str, folder: Path) -> dict[str, Path]:
    """The champion's evaluation PNGs, downloaded from its run."""
    import mlflow
    from mlflow import MlflowClient

    uri = f"sqlite:///{db}"
    version = MlflowClient(tracking_uri=uri).get_model_version_by_alias(registered_model, "champion")
    mlflow.set_tracking_uri(uri)
    files = {}
    for name in PLOTS:
        path = mlflow.artifacts.download_artifacts(
            run_id=version.run_id, artifact_path=f"evaluation/{name}.png", dst_path=str(folder)
        )
        files[name] = Path(path)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    default = state_dir() / "mlflow" / "mlflow.db"
    parser.add_argument("--db", type=Path, default=default, help=f"MLflow SQLite store (default {default})")
    parser.add_argument(
        "--registered-model", default="churn-classifier", help="whose champion (default churn-classifier)"
    )
    parser.add_argument("--out", type=Path, default=OUT, help=f"where the pictures go (default {OUT})")
    args = parser.parse_args(argv)
    if not args.db.is_file():
        print(f"error: no MLflow store at {args.db}; run `make demo` first", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        for name, source in champion_plots(args.db, args.registered_model, Path(folder)).items():
            target = shrink(source, args.out / f"{name}.png")
            print(f"wrote {target} ({target.stat().st_size // 1024} KB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
