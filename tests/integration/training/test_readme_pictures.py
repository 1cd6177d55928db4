"""scripts/readme_pictures.py: the README's plots, made from a trained model's run, kept small."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from PIL import Image

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.integration
PLOTS = ("roc_curve", "precision_recall_curve", "calibration", "confusion_matrix", "feature_importance")


def test_the_pictures_come_from_the_champion_run_and_are_small(champion, tmp_path):
    db = tmp_path / "mlflow.db"
    shutil.copy(champion, db)
    out = tmp_path / "images"
    result = subprocess.run(
        [sys.executable, "scripts/readme_pictures.py", "--db", str(db), "--out", str(out)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{name}.png" for name in PLOTS)
    for name in PLOTS:
        picture = out / f"{name}.png"
        with Image.open(picture) as image:
            assert image.width <= 480 and image.height > 100
        assert picture.stat().st_size < 60_000, f"{picture.name}: {picture.stat().st_size} bytes"


def test_the_readme_shows_each_committed_picture():
    readme = (REPO_ROOT / "README.md").read_text()
    for name in PLOTS:
        assert f"docs/images/{name}.png" in readme
        assert (REPO_ROOT / "docs" / "images" / f"{name}.png").is_file()
