"""Reading input files and validating records against a feature group spec.

Validation runs over the whole input before anything is written: either every row is
valid and a typed frame comes back, or :class:`RecordValidationError` lists the problems.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from ml_platform.errors import MLPlatformError, RecordProblem, RecordValidationError
from ml_platform.specs import FeatureGroupSpec
from ml_platform.timeutil import EVENT_TIME_FORMAT, UTC_US, parse_iso_expr

log = logging.getLogger(__name__)

POLARS_TYPES: dict[str, pl.DataType] = {
    "String": pl.Utf8(),
    "Integral": pl.Int64(),
    "Fractional": pl.Float64(),
}
EVENT_TS = "__event_ts"  # parsed event time (UTC, microseconds) carried next to the spec columns
_ROW = "__row"
MAX_REPORTED_PROBLEMS = 20
FUTURE_TOLERANCE = timedelta(minutes=5)


def read_input_file(path: Path | str) -> pl.DataFrame:
    """Read a CSV (every column as text) or Parquet file; the suffix decides."""
    path = Path(path)
    if not path.is_file():
        raise MLPlatformError(f"{path}: input file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            frame = pl.read_csv(path, infer_schema=False)
        elif suffix in (".parquet", ".pq"):
            frame = pl.read_parquet(path)
        else:
            raise MLPlatformError(f"{path}: unsupported file type {suffix!r}; use .csv or .parquet")
    except pl.exceptions.NoDataError:
        raise MLPlatformError(
            f"{path}: the file is empty; it needs a header row and at least one record"
        ) from None
    except (pl.exceptions.ComputeError, OSError) as exc:
        raise MLPlatformError(f"{path}: cannot read the file: {exc}") from None
    if frame.height == 0:
        raise MLPlatformError(f"{path}: the file has no records; nothing to ingest")
    return frame


def _problems_from_mask(frame: pl.DataFrame, mask: pl.Expr, column: str, describe) -> tuple[int, list]:
    # A literal mask is broadcast by with_columns: filter() alone refuses one on large frames (Polars 2.1).
    bad = frame.select(_ROW, pl.col(column), mask.alias("__bad")).filter(pl.col("__bad"))
    examples = [
        RecordProblem(row, column, describe(value))
        for row, value, _ in bad.head(MAX_REPORTED_PROBLEMS).iter_rows()
    ]
    return bad.height, examples


def _typed_value(column: str, dtype: pl.DataType, target: str) -> tuple[pl.Expr, pl.Expr, str]:
    """(converted expression, mask of values that failed conversion, what was expected)."""
    src = pl.col(column)
    if target == "String":
        conv = src.cast(pl.Utf8)
        return conv, pl.lit(False), "text"
    if dtype == pl.Utf8:
        text = src.str.strip_chars()
        text = pl.when(text == "").then(None).otherwise(text)
        conv = text.cast(POLARS_TYPES[target], strict=False)
        return (
            conv,
            text.is_not_null() & conv.is_null(),
            ("a whole number (Integral)" if target == "Integral" else "a number (Fractional)"),
        )
    if dtype == pl.Boolean:
        return pl.lit(None, POLARS_TYPES[target]), src.is_not_null(), f"a {target} value, not a boolean"
    if target == "Integral":
        if dtype.is_integer():
            conv = src.cast(pl.Int64, strict=False)
            return conv, src.is_not_null() & conv.is_null(), "a whole number within 64 bits"
        if dtype.is_float():
            conv = src.cast(pl.Int64, strict=False)
            lossy = src.is_not_null() & (conv.is_null() | (conv.cast(pl.Float64) != src))
            return conv, lossy, "a whole number (Integral)"
    if target == "Fractional" and dtype.is_numeric():
        conv = src.cast(pl.Float64)
        return conv, pl.lit(False), "a number"
    return pl.lit(None, POLARS_TYPES[target]), src.is_not_null(), f"a {target} value, not {dtype}"


def _check_columns(spec: FeatureGroupSpec, frame: pl.DataFrame, source: str) -> None:
    expected = spec.feature_names
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    problems = []
    if missing:
        problems.append(
            RecordProblem(
                None, None, f"missing columns: {', '.join(missing)} (expected: {', '.join(expected)})"
            )
        )
    if extra:
        where = spec.source_path or "the spec"
        problems.append(
            RecordProblem(
                None, None, f"unexpected columns: {', '.join(extra)}; remove them or add them to {where}"
            )
        )
    if problems:
        raise _error(spec, source, problems, len(problems))
    if frame.height == 0:
        raise _error(spec, source, [RecordProblem(None, None, "no records")], 1)


def _convert_values(spec: FeatureGroupSpec, frame: pl.DataFrame) -> tuple[dict[str, pl.Expr], list, int]:
    """Each non-event-time feature converted to its type, the problems found and their count."""
    converted: dict[str, pl.Expr] = {}
    problems: list[RecordProblem] = []
    total = 0
    for feature in spec.features:
        if feature.name == spec.event_time_feature:
            continue
        conv, bad, expected = _typed_value(feature.name, frame.schema[feature.name], feature.type)
        count, examples = _problems_from_mask(
            frame, bad, feature.name, lambda v, e=expected: f"{v!r} is not {e}"
        )
        total += count
        problems += examples
        converted[feature.name] = conv
    id_name = spec.record_identifier_feature
    id_empty = pl.col(id_name).is_null() | (pl.col(id_name).cast(pl.Utf8).str.strip_chars() == "")
    count, examples = _problems_from_mask(
        frame, id_empty, id_name, lambda v: "record identifier is empty; every record needs one"
    )
    return converted, problems + examples, total + count


def _typed_columns(spec: FeatureGroupSpec, converted: dict[str, pl.Expr], event_ts: pl.Expr) -> list[pl.Expr]:
    """The spec's columns in order; the event time in its canonical form."""
    columns = []
    for feature in spec.features:
        if feature.name != spec.event_time_feature:
            columns.append(converted[feature.name].alias(feature.name))
        elif feature.type == "String":
            columns.append(event_ts.dt.strftime(EVENT_TIME_FORMAT).alias(feature.name))
        else:
            columns.append((event_ts.dt.epoch("us").cast(pl.Float64) / 1e6).alias(feature.name))
    return columns


def validate_records(
    spec: FeatureGroupSpec,
    frame: pl.DataFrame,
    *,
    source: str = "input",
    now: datetime | None = None,
) -> pl.DataFrame:
    """Check every row of ``frame`` against ``spec`` and return it typed.

    Returns:
        The spec's columns in spec order, typed (String→Utf8, Integral→Int64,
        Fractional→Float64; a String event time is rewritten in the canonical
        ``YYYY-MM-DDTHH:MM:SS.sssZ`` form) plus ``__event_ts`` (UTC).
    Raises:
        RecordValidationError: listing the first problems with row numbers and columns.
    """
    started = time.perf_counter()
    _check_columns(spec, frame, source)
    frame = frame.with_row_index(_ROW, offset=1)
    converted, problems, total = _convert_values(spec, frame)
    event_ts, event_problems, event_count = _event_time(spec, frame, now or datetime.now(UTC))
    total += event_count
    problems += event_problems
    if total:
        order = spec.feature_names
        problems.sort(key=lambda p: (p.row or 0, order.index(p.column) if p.column in order else -1))
        raise _error(spec, source, problems[:MAX_REPORTED_PROBLEMS], total)
    typed = frame.select(*_typed_columns(spec, converted, event_ts), event_ts.alias(EVENT_TS))
    log.info(
        "%s: validated %d rows from %s in %.2f s",
        spec.name,
        typed.height,
        source,
        time.perf_counter() - started,
    )
    return typed


def _event_time(spec: FeatureGroupSpec, frame: pl.DataFrame, now: datetime) -> tuple[pl.Expr, list, int]:
    name = spec.event_time_feature
    dtype = frame.schema[name]
    problems: list[RecordProblem] = []
    total = 0
    naive = pl.lit(False)
    if dtype == pl.Utf8:
        text = pl.col(name).str.strip_chars()
        parsed, naive = parse_iso_expr(name)
        if spec.event_time_type == "Fractional":
            num = text.cast(pl.Float64, strict=False)
            as_number = pl.from_epoch((num * 1e6).cast(pl.Int64, strict=False), "us").dt.replace_time_zone(
                "UTC"
            )
            parsed = pl.when(num.is_not_null()).then(as_number).otherwise(parsed)
        unparsable = pl.col(name).is_not_null() & (text != "") & parsed.is_null() & ~naive
    elif isinstance(dtype, pl.Datetime):
        if dtype.time_zone is None:
            naive = pl.col(name).is_not_null()
            parsed = pl.lit(None, UTC_US)
        else:
            parsed = pl.col(name).dt.convert_time_zone("UTC").dt.cast_time_unit("us")
        unparsable = pl.lit(False)
    elif dtype.is_numeric() and spec.event_time_type == "Fractional":
        parsed = pl.from_epoch(
            (pl.col(name).cast(pl.Float64) * 1e6).cast(pl.Int64, strict=False), "us"
        ).dt.replace_time_zone("UTC")
        unparsable = pl.col(name).is_not_null() & parsed.is_null()
    else:
        parsed = pl.lit(None, UTC_US)
        unparsable = pl.col(name).is_not_null()

    checks = [
        (
            pl.col(name).is_null() | (pl.col(name).cast(pl.Utf8).str.strip_chars() == ""),
            lambda v: "event time is empty; every record needs one",
        ),
        (unparsable, lambda v: f"{v!r} is not an ISO-8601 timestamp such as 2026-01-31T12:00:00Z"),
        (naive, lambda v: f"{v!r} has no time zone; add 'Z' (UTC) or an offset such as +01:00"),
        (
            parsed > pl.lit(now + FUTURE_TOLERANCE).cast(UTC_US),
            lambda v: f"{v!r} is in the future (now is {now:%Y-%m-%dT%H:%M:%SZ}); fix the data or the clock",
        ),
        (
            parsed.dt.epoch("us") % 1000 != 0,
            lambda v: f"{v!r} is more precise than milliseconds, which SageMaker does not store; round it",
        ),
    ]
    for mask, describe in checks:
        count, examples = _problems_from_mask(frame, mask.fill_null(False), name, describe)
        total += count
        problems += examples
    return parsed, problems, total


def _error(
    spec: FeatureGroupSpec, source: str, problems: list[RecordProblem], total: int
) -> RecordValidationError:
    shown = "\n".join(f"  - {p}" for p in problems)
    more = f"\n  ... and {total - len(problems)} more" if total > len(problems) else ""
    return RecordValidationError(
        f"{source}: {total} problem(s) against feature group '{spec.name}' "
        f"(spec {spec.source_path or spec.name}); nothing was written:\n{shown}{more}\n"
        "Fix these rows (or the spec) and ingest again.",
        problems,
    )
