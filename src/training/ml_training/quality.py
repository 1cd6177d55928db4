"""Realised model quality: the archived predictions (ml_inference.archive) joined with the labels
that arrived since, by scoring day.

A label belongs to a prediction when it is for the same entity (its key columns joined by '|',
in the spec's ``entity_keys`` order, as the Kafka key is) and its label time falls on the
prediction's scoring day (the ``date=`` partition, the run's ``as_of`` date). Per day: how many
predictions, how many got a label, ROC-AUC (when both classes are present), precision and
recall of the published label, and calibration (mean score against the observed rate, Brier).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import polars as pl
import pyarrow.dataset as ds
import pyarrow.fs as pafs
from sklearn.metrics import brier_score_loss, precision_score, recall_score, roc_auc_score

from ml_platform.errors import MLPlatformError
from ml_platform.model_specs import ModelSpec
from ml_platform.storage import resolve


@dataclass(frozen=True)
class DayQuality:
    date: str
    predictions: int
    labelled: int
    labelled_share: float
    roc_auc: float | None
    precision: float | None
    recall: float | None
    mean_score: float | None
    observed_rate: float | None
    brier: float | None

    def as_dict(self) -> dict:
        return asdict(self)


ARCHIVE_COLUMNS = {
    "key": pl.Utf8,
    "score": pl.Float64,
    "predicted_label": pl.Int8,
    "date": pl.Utf8,
    "model_version": pl.Utf8,
}


def read_archive(predictions_uri: str, model: str) -> pl.DataFrame:
    """Every archived prediction of ``model``: key, score, predicted_label, date, model_version.

    No ``model=<model>`` folder yet (no inference run archived anything) is an empty archive;
    a folder that cannot be read is an error.
    """
    fs, path = resolve(f"{predictions_uri.rstrip('/')}/model={model}")
    try:
        if fs.get_file_info(path).type == pafs.FileType.NotFound:
            return pl.DataFrame(schema=ARCHIVE_COLUMNS)
        dataset = ds.dataset(path, filesystem=fs, format="parquet", partitioning="hive")
        table = dataset.to_table(columns=["key", "score", "predicted_label", "date", "model_version"])
    except (OSError, ValueError) as exc:
        raise MLPlatformError(
            f"prediction archive {predictions_uri} (model={model}): cannot be read: {exc}"
        ) from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.col("date").cast(pl.Utf8), pl.col("model_version").cast(pl.Utf8))


def labelled(archive: pl.DataFrame, labels: pl.DataFrame, spec: ModelSpec) -> pl.DataFrame:
    """The archive with each prediction's label (null when none arrived)."""
    keys = list(spec.entity_keys)
    outcome = labels.select(
        pl.concat_str([pl.col(k).cast(pl.Utf8) for k in keys], separator="|").alias("key"),
        pl.col(spec.label_time_column).cast(pl.Datetime("us", "UTC")).dt.strftime("%Y-%m-%d").alias("date"),
        pl.col(spec.label_column).cast(pl.Int8).alias("label"),
    ).unique(subset=["key", "date"], keep="last")
    return archive.join(outcome, on=["key", "date"], how="left")


def _day(date: str, rows: pl.DataFrame) -> DayQuality:
    known = rows.filter(pl.col("label").is_not_null())
    n, k = rows.height, known.height
    if k == 0:
        return DayQuality(date, n, 0, 0.0, None, None, None, None, None, None)
    y, score = known["label"].to_numpy(), known["score"].to_numpy()
    predicted = known["predicted_label"].to_numpy()
    both = len(np.unique(y)) == 2
    return DayQuality(
        date=date,
        predictions=n,
        labelled=k,
        labelled_share=k / n,
        roc_auc=float(roc_auc_score(y, score)) if both else None,
        precision=float(precision_score(y, predicted, zero_division=0)),
        recall=float(recall_score(y, predicted, zero_division=0)) if y.any() else None,
        mean_score=float(score.mean()),
        observed_rate=float(y.mean()),
        brier=float(brier_score_loss(y, score)),
    )


def quality_by_day(joined: pl.DataFrame) -> list[DayQuality]:
    """One row per scoring day, oldest first."""
    return [_day(str(date), rows) for (date,), rows in sorted(joined.group_by("date"), key=lambda g: g[0])]


def write_table(days: list[DayQuality], path: Path) -> Path:
    pl.DataFrame([d.as_dict() for d in days]).write_csv(path)
    return path
