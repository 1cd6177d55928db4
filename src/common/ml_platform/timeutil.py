"""Timestamps: parsing user input and the canonical forms SageMaker accepts."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

# ISO-8601 with a zone ("Z" or an offset); the fraction is optional.
_ZONED_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f%#z", "%Y-%m-%d %H:%M:%S%.f%#z")
_NAIVE_FORMATS = ("%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d")
EVENT_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%.3fZ"
UTC_US = pl.Datetime("us", "UTC")


def parse_iso_expr(column: str) -> tuple[pl.Expr, pl.Expr]:
    """Expressions giving (UTC timestamp or null, True where the text has no time zone)."""
    text = pl.col(column).str.strip_chars()
    parsed = pl.coalesce(
        [text.str.to_datetime(f, time_zone="UTC", strict=False, time_unit="us") for f in _ZONED_FORMATS]
    )
    naive = pl.coalesce([text.str.to_datetime(f, strict=False, time_unit="us") for f in _NAIVE_FORMATS])
    return parsed, parsed.is_null() & naive.is_not_null()


def to_utc_expr(column: str, dtype: pl.DataType) -> pl.Expr:
    """A timestamp column of any time zone converted to UTC microseconds (naive is an error upstream)."""
    expr = pl.col(column)
    if isinstance(dtype, pl.Datetime):
        return expr.dt.convert_time_zone("UTC").dt.cast_time_unit("us")
    raise TypeError(f"not a datetime column: {dtype}")


def format_event_time(ts: datetime) -> str:
    """The canonical event time string SageMaker accepts (milliseconds, 'Z')."""
    ts = ts.astimezone(UTC)
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
