"""Realised quality (ml_training.quality): the join of archive and labels, by hand-worked rows."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from ml_platform.errors import MLPlatformError
from ml_platform.model_specs import load_model
from ml_platform.specs import SpecRegistry
from ml_training.quality import labelled, quality_by_day, read_archive
from tests.conftest import MODELS_DIR, SPECS_DIR

pytestmark = pytest.mark.unit


def test_a_label_belongs_to_the_prediction_of_its_entity_and_scoring_day():
    spec = load_model(MODELS_DIR, "churn", SpecRegistry.from_directory(SPECS_DIR))
    archive = pl.DataFrame(
        {
            "key": ["A", "B", "C", "A"],
            "score": [0.9, 0.2, 0.6, 0.4],
            "predicted_label": [1, 0, 1, 0],
            "date": ["2026-06-01", "2026-06-01", "2026-06-01", "2026-06-02"],
            "model_version": ["1"] * 4,
        }
    )
    labels = pl.DataFrame(
        {
            "customer_id": ["A", "B", "A"],
            spec.label_time_column: [
                datetime(2026, 6, 1, 5, tzinfo=UTC),
                datetime(2026, 6, 1, tzinfo=UTC),
                datetime(2026, 6, 3, tzinfo=UTC),
            ],
            spec.label_column: [1, 0, 0],
        }
    )
    day1, day2 = quality_by_day(labelled(archive, labels, spec))
    # day 1: A (0.9, label 1) and B (0.2, label 0) labelled, C not; day 2: A's label is for 06-03
    assert (day1.predictions, day1.labelled, day1.labelled_share) == (3, 2, pytest.approx(2 / 3))
    assert day1.roc_auc == 1.0 and day1.precision == 1.0 and day1.recall == 1.0
    assert day1.mean_score == pytest.approx(0.55) and day1.observed_rate == 0.5
    assert day1.brier == pytest.approx(((0.9 - 1) ** 2 + 0.2**2) / 2)
    assert (day2.predictions, day2.labelled, day2.roc_auc) == (1, 0, None)


def test_a_missing_archive_is_a_clear_error(tmp_path):
    with pytest.raises(MLPlatformError, match=r"prediction archive .*model=churn.*cannot be read"):
        read_archive(str(tmp_path / "nothing-here"), "churn")
