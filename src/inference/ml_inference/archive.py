"""The prediction archive: what a run published, as Parquet, beside Kafka (the primary output).

Layout under ``predictions_uri`` (a local folder, or s3://<models bucket>/predictions):

    model=<model>/date=<as_of date>/model_version=<version>/as_of=<as_of>-shard-<i>-of-<n>.parquet

One file per shard of a run, named by its ``as_of``: a re-run for the same ``as_of`` writes the
same names and replaces them, so it never adds a second copy. Rows are the Kafka messages: the
key, the JSON value as sent, and its score and predicted label as columns. The file is written
to a local temporary file while the run publishes and put in place only after every message was
acknowledged, so a failed run leaves nothing behind.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ml_platform.storage import resolve

COLUMNS = ("key", "score", "predicted_label", "value")


def partition(model: str, version: str, as_of: datetime) -> str:
    return f"model={model}/date={as_of:%Y-%m-%d}/model_version={version}"


class ArchiveWriter:
    """Collects each published batch; :meth:`commit` puts the shard's file in place."""

    def __init__(self, uri: str, *, model: str, version: str, as_of: datetime, shard: tuple[int, int]):
        index, count = shard
        stamp = as_of.strftime("%Y%m%dT%H%M%S%fZ")
        self.target = f"{uri.rstrip('/')}/{partition(model, version, as_of)}/as_of={stamp}-shard-{index + 1}-of-{count}.parquet"
        self._folder = Path(tempfile.mkdtemp(prefix="ml-inference-archive-"))
        self._local = self._folder / "part.parquet"
        self._writer: pq.ParquetWriter | None = None
        self.rows = 0

    def write(self, batch: pl.DataFrame) -> None:
        table = batch.select(COLUMNS).to_arrow()
        if self._writer is None:
            self._writer = pq.ParquetWriter(self._local, table.schema, compression="zstd")
        self._writer.write_table(table)
        self.rows += batch.height

    def commit(self) -> str:
        """Close the file and put it at ``target`` (replacing a previous run's for this as_of)."""
        if self._writer is None:
            return ""
        self._writer.close()
        self._writer = None
        fs, path = resolve(self.target)
        if isinstance(fs, pafs.LocalFileSystem):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            # A dot name: dataset readers skip it if a crash leaves it behind.
            staged = Path(path).with_name(f".{Path(path).name}.tmp")
            shutil.copyfile(self._local, staged)
            os.replace(staged, path)  # atomic on one filesystem: readers see the old or the new file
        else:
            _upload(fs, self._local, path)
        return self.target

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        shutil.rmtree(self._folder, ignore_errors=True)


def _upload(fs: pafs.FileSystem, local: Path, path: str) -> None:
    """One object per file (pyarrow uploads a large one in parts): S3 shows it only once the
    upload is complete. The role's s3:PutObject covers the multipart calls and
    s3:AbortMultipartUpload their clean-up (https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html#mpuAndPermissions);
    both are granted on the platform's buckets (terraform/modules/iam)."""
    with local.open("rb") as source, fs.open_output_stream(path) as sink:
        shutil.copyfileobj(source, sink, length=8 * 1024 * 1024)
