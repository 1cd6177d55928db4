"""Files on local disk or S3, through pyarrow, with boto3's endpoint and credential settings."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import boto3
import polars as pl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ml_platform.errors import MLPlatformError


def s3_filesystem(session: boto3.Session | None = None) -> pafs.S3FileSystem:
    """A pyarrow S3 filesystem using boto3's credentials, region and endpoint (``AWS_ENDPOINT_URL``).

    pyarrow ignores ``AWS_ENDPOINT_URL``; this passes the endpoint explicitly (moto, MinIO, ...).
    """
    session = session or boto3.Session()
    creds = session.get_credentials()
    frozen = creds.get_frozen_credentials() if creds else None
    options: dict[str, Any] = {"region": session.region_name or "us-east-1"}
    if frozen is not None:
        options.update(access_key=frozen.access_key, secret_key=frozen.secret_key, session_token=frozen.token)
    endpoint = urlparse(session.client("s3").meta.endpoint_url)
    if endpoint.hostname and not endpoint.hostname.endswith("amazonaws.com"):
        options.update(endpoint_override=endpoint.netloc, scheme=endpoint.scheme)
    return pafs.S3FileSystem(**options)


def resolve(uri: str | Path) -> tuple[pafs.FileSystem, str]:
    """(filesystem, path) for a local path, ``file://`` or ``s3://`` URI."""
    text = str(uri)
    parsed = urlparse(text)
    if parsed.scheme == "s3":
        return s3_filesystem(), f"{parsed.netloc}{parsed.path}"
    if parsed.scheme in ("", "file"):
        return pafs.LocalFileSystem(), str(Path(parsed.path if parsed.scheme else text).resolve())
    raise MLPlatformError(f"{text}: unsupported location; use a local path or s3://bucket/key")


def read_table(uri: str | Path, *, what: str = "file") -> pl.DataFrame:
    """Read a Parquet or CSV file (by suffix) from disk or S3; CSV columns are read as text."""
    fs, path = resolve(uri)
    try:
        info = fs.get_file_info(path)
        if info.type == pafs.FileType.NotFound:
            raise MLPlatformError(f"{what} {uri} not found; check the path or URI")
        suffix = Path(path).suffix.lower()
        if suffix in (".parquet", ".pq"):
            # One file: no columns from hive-style folder names (year=...) in its path.
            table = pq.read_table(path, filesystem=fs, partitioning=None)
        elif suffix == ".csv":
            with fs.open_input_stream(path) as stream:
                table = pacsv.read_csv(
                    stream,
                    convert_options=pacsv.ConvertOptions(
                        column_types={}, strings_can_be_null=True, auto_dict_encode=False
                    ),
                )
            table = table.cast(pa.schema([(n, pa.string()) for n in table.column_names]))
        else:
            raise MLPlatformError(f"{what} {uri}: unsupported file type {suffix!r}; use .parquet or .csv")
    except (OSError, pa.ArrowException) as exc:
        raise MLPlatformError(f"{what} {uri}: cannot be read: {exc}") from None
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return frame
