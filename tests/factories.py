"""Input rows for the feature store tests, as a user would ingest them (the repository's specs)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl


def hours_ago(n: int) -> str:
    """An ISO-8601 event time ``n`` hours before now, on the hour (no sub-second part)."""
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    return (now - timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


# The columns a test does not vary, per group: fixed values (None: null, of the given dtype).
FIXED = {
    "customer_billing": (
        {"late_payments_90d": 1, "payment_method": "card", "discount_pct": None},
        {"discount_pct": pl.Float64},
    ),
    "customer_activity": (
        {"minutes_7d": 1.5, "support_tickets_30d": 0, "days_since_last_login": None},
        {"days_since_last_login": pl.Int64},
    ),
}


def _rows(group: str, ids, times, **varied) -> pl.DataFrame:
    fixed, dtypes = FIXED[group]
    n = len(ids)
    columns = {"customer_id": ids, "event_time": times, **varied} | {k: [v] * n for k, v in fixed.items()}
    return pl.DataFrame(columns, schema_overrides=dtypes)


def billing(ids, times, charges) -> pl.DataFrame:
    """customer_billing rows: the given ids, event times and charges; the rest fixed."""
    return _rows("customer_billing", ids, times, monthly_charges=charges)


def activity(ids, times, sessions) -> pl.DataFrame:
    """customer_activity rows: the given ids, event times and session counts; the rest fixed."""
    return _rows("customer_activity", ids, times, sessions_7d=sessions)
