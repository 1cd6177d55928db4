"""Validation of input records against a spec, before anything is written."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl
import pytest

from ml_platform.errors import MLPlatformError, RecordValidationError
from ml_platform.feature_store.records import EVENT_TS, read_input_file, validate_records

pytestmark = pytest.mark.unit

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def billing_rows(**overrides) -> pl.DataFrame:
    rows = {
        "customer_id": ["C1", "C2", "C3"],
        "event_time": ["2026-01-01T00:00:00Z", "2026-01-02T10:00:00.250+02:00", "2026-01-03 00:00:00Z"],
        "monthly_charges": ["10.5", "20", ""],
        "late_payments_90d": ["0", "1", "2"],
        "payment_method": ["card", "invoice", None],
        "discount_pct": [None, "5", "1e1"],
    }
    rows.update(overrides)
    return pl.DataFrame(rows)


def test_valid_csv_style_rows_are_typed_and_canonical(specs):
    out = validate_records(specs["customer_billing"], billing_rows(), now=NOW)
    assert out.schema["monthly_charges"] == pl.Float64
    assert out.schema["late_payments_90d"] == pl.Int64
    assert out["event_time"].to_list() == [
        "2026-01-01T00:00:00.000Z",
        "2026-01-02T08:00:00.250Z",
        "2026-01-03T00:00:00.000Z",
    ]
    assert out["monthly_charges"].to_list() == [10.5, 20.0, None]
    assert out["discount_pct"].to_list() == [None, 5.0, 10.0]
    assert out[EVENT_TS].dtype == pl.Datetime("us", "UTC")


@pytest.mark.parametrize(
    ("overrides", "row", "column", "text"),
    [
        ({"late_payments_90d": ["0", "x1", "2"]}, 2, "late_payments_90d", "is not a whole number"),
        ({"late_payments_90d": ["0", "1", "2.5"]}, 3, "late_payments_90d", "is not a whole number"),
        ({"monthly_charges": ["abc", "1", "2"]}, 1, "monthly_charges", "is not a number"),
        ({"customer_id": ["C1", None, "C3"]}, 2, "customer_id", "record identifier is empty"),
        ({"customer_id": ["C1", "  ", "C3"]}, 2, "customer_id", "record identifier is empty"),
        (
            {"event_time": ["2026-01-01T00:00:00Z", None, "2026-01-01T00:00:00Z"]},
            2,
            "event_time",
            "event time is empty",
        ),
        (
            {"event_time": ["2026-01-01T00:00:00Z", "yesterday", "2026-01-01T00:00:00Z"]},
            2,
            "event_time",
            "not an ISO-8601",
        ),
        (
            {"event_time": ["2026-01-01T00:00:00", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]},
            1,
            "event_time",
            "no time zone",
        ),
        (
            {"event_time": ["2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"]},
            3,
            "event_time",
            "in the future",
        ),
        (
            {"event_time": ["2026-01-01T00:00:00.000001Z", "2026-01-01T00:00:00Z", "2026-01-01T00:00:00Z"]},
            1,
            "event_time",
            "milliseconds",
        ),
    ],
)
def test_bad_value_names_row_and_column(specs, overrides, row, column, text):
    with pytest.raises(RecordValidationError) as err:
        validate_records(specs["customer_billing"], billing_rows(**overrides), source="in.csv", now=NOW)
    message = str(err.value)
    assert f"row {row}, column '{column}'" in message
    assert text in message
    assert "nothing was written" in message
    assert [(p.row, p.column) for p in err.value.problems] == [(row, column)]


def test_missing_and_extra_columns(specs):
    frame = billing_rows().drop("discount_pct").with_columns(pl.lit("x").alias("colour"))
    with pytest.raises(
        RecordValidationError, match=r"missing columns: discount_pct(.|\n)*unexpected columns: colour"
    ):
        validate_records(specs["customer_billing"], frame, now=NOW)


def test_many_problems_are_counted_and_the_first_listed(specs):
    frame = pl.DataFrame(
        {
            "customer_id": [f"C{i}" for i in range(50)],
            "event_time": ["2026-01-01T00:00:00Z"] * 50,
            "monthly_charges": ["bad"] * 50,
            "late_payments_90d": ["1"] * 50,
            "payment_method": ["card"] * 50,
            "discount_pct": [None] * 50,
        }
    )
    with pytest.raises(RecordValidationError, match=r"50 problem\(s\)(.|\n)*and 30 more") as err:
        validate_records(specs["customer_billing"], frame, now=NOW)
    assert err.value.problems[0].row == 1


def test_typed_parquet_columns(specs, tmp_path):
    frame = pl.DataFrame(
        {
            "customer_id": ["C1"],
            "event_time": [datetime(2026, 1, 1, 12, tzinfo=UTC)],
            "monthly_charges": [3],
            "late_payments_90d": [2.0],
            "payment_method": ["card"],
            "discount_pct": [None],
        }
    )
    path = tmp_path / "in.parquet"
    frame.write_parquet(path)
    out = validate_records(specs["customer_billing"], read_input_file(path), now=NOW)
    assert out.row(0, named=True)["event_time"] == "2026-01-01T12:00:00.000Z"
    assert out["late_payments_90d"].to_list() == [2]


def test_naive_parquet_timestamps_are_refused(specs):
    frame = billing_rows(event_time=[datetime(2026, 1, 1)] * 3)
    with pytest.raises(RecordValidationError, match="no time zone"):
        validate_records(specs["customer_billing"], frame, now=NOW)


def test_empty_and_unknown_files(tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(MLPlatformError, match="empty"):
        read_input_file(empty)
    header_only = tmp_path / "header.csv"
    header_only.write_text("customer_id,event_time\n")
    with pytest.raises(MLPlatformError, match="no records"):
        read_input_file(header_only)
    with pytest.raises(MLPlatformError, match="unsupported file type"):
        (tmp_path / "x.json").write_text("{}")
        read_input_file(tmp_path / "x.json")
    with pytest.raises(MLPlatformError, match="not found"):
        read_input_file(tmp_path / "missing.csv")
