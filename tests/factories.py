"""Input rows for the feature store tests, as a user would ingest them (the repository's specs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl


def hours_ago(n: int) -> str:
    """An ISO-8601 event time ``n`` hours before now, on the hour (no sub-second part)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now - timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


def billing(ids, times, charges) -> pl.DataFrame:
    """customer_billing rows: the given ids, event times and charges; the rest fixed."""
    n = len(ids)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "event_time": times,
            "monthly_charges": charges,
            "late_payments_90d": [1] * n,
            "payment_method": ["card"] * n,
            "discount_pct": [None] * n,
        },
        schema_overrides={"discount_pct": pl.Float64},
    )


def activity(ids, times, sessions) -> pl.DataFrame:
    """customer_activity rows: the given ids, event times and session counts; the rest fixed."""
    n = len(ids)
    return pl.DataFrame(
        {
            "customer_id": ids,
            "event_time": times,
            "sessions_7d": sessions,
            "minutes_7d": [1.5] * n,
            "support_tickets_30d": [0] * n,
            "days_since_last_login": [None] * n,
        },
        schema_overrides={"days_since_last_login": pl.Int64},
    )
