"""Realised quality (ml_training.quality): the join of archive and labels, by hand-worked rows."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from ml_platform.errors import MLPlatformError
from ml_platform.model_specs import load_model
from ml_platform.specs import SpecRegistry
from ml_training.monitor import cloudwatch_data
from ml_training.quality import DayQuality, labelled, quality_by_day, read_archive
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


def test_no_archive_yet_is_an_empty_one(tmp_path):
    """A first training run, before any inference run archived predictions."""
    archive = read_archive(str(tmp_path / "nothing-here"), "churn")
    assert archive.height == 0
    assert archive.columns == ["key", "score", "predicted_label", "date", "model_version"]
    assert quality_by_day(labelled(archive, pl.DataFrame(_no_labels()), _spec())) == []


def test_an_unreadable_archive_is_a_clear_error(tmp_path):
    folder = tmp_path / "model=churn" / "date=2026-06-01" / "model_version=1"
    folder.mkdir(parents=True)
    (folder / "as_of=20260601T000000000000Z-shard-1-of-1.parquet").write_bytes(b"not parquet")
    with pytest.raises(MLPlatformError, match=r"prediction archive .*model=churn.*cannot be read"):
        read_archive(str(tmp_path), "churn")


def test_a_file_left_by_a_crashed_commit_is_not_read(tmp_path):
    folder = tmp_path / "model=churn" / "date=2026-06-01" / "model_version=1"
    folder.mkdir(parents=True)
    pl.DataFrame({"key": ["A"], "score": [0.7], "predicted_label": [1], "value": ["{}"]}).write_parquet(
        folder / "as_of=x-shard-1-of-1.parquet"
    )
    (folder / ".as_of=y-shard-1-of-1.parquet.tmp").write_bytes(b"half")
    archive = read_archive(str(tmp_path), "churn")
    assert archive.select("key", "date", "model_version").rows() == [("A", "2026-06-01", "1")]


def _spec():
    return load_model(MODELS_DIR, "churn", SpecRegistry.from_directory(SPECS_DIR))


def _no_labels() -> dict:
    spec = _spec()
    return {
        "customer_id": pl.Series([], dtype=pl.Utf8),
        spec.label_time_column: pl.Series([], dtype=pl.Datetime("us", "UTC")),
        spec.label_column: pl.Series([], dtype=pl.Int64),
    }


def _day(date: str, predictions: int, labelled: int, roc_auc: float | None) -> DayQuality:
    share = labelled / predictions
    return DayQuality(date, predictions, labelled, share, roc_auc, None, None, None, None, None)


def test_the_alarm_figure_is_the_latest_day_with_enough_labels():
    now = datetime(2026, 6, 20, 2, tzinfo=UTC)
    days = [
        _day("2026-06-01", 100, 100, 0.9),  # older than CloudWatch's two weeks: no history point
        _day("2026-06-17", 200, 120, 0.7),
        _day("2026-06-19", 300, 30, 0.5),  # 30 labels: too few to judge the model on
    ]
    data = cloudwatch_data("churn", "staging", days, now)
    by_name: dict[str, list] = {}
    for point in data:
        assert point["Dimensions"] == [
            {"Name": "Model", "Value": "churn"},
            {"Name": "Environment", "Value": "staging"},
        ]
        by_name.setdefault(point["MetricName"], []).append((point["Timestamp"], point["Value"]))
    assert by_name["RealisedRocAuc"] == [(now, 0.7)]
    assert by_name["LabelledShare"] == [(now, pytest.approx(250 / 600))]
    assert by_name["RealisedRocAucByScoringDay"] == [
        (datetime(2026, 6, 17, tzinfo=UTC), 0.7),
        (datetime(2026, 6, 19, tzinfo=UTC), 0.5),
    ]
    assert [v for _, v in by_name["LabelledShareByScoringDay"]] == [0.6, 0.1]
