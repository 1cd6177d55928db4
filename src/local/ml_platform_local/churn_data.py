"""Deterministic demo data: customer churn with real signal and real mess.

Three feature groups (``customer_profile``, ``customer_activity``, ``customer_billing``;
specs in ``feature_groups/``) and a label table (``customer_id``, ``label_time``,
``churned``). A latent, slowly drifting churn risk per customer drives both the features
and the labels, so a plain model learns it. The mess: nulls, corrected re-sends of the
same event (late updates), out-of-order rows, customers missing from some groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl

WINDOW_DAYS = 364  # one year of history, ending at the given end date
GROUPS = ("customer_profile", "customer_activity", "customer_billing")
_PLANS = np.array(["basic", "standard", "premium"])
_PLAN_RISK = np.array([0.35, 0.0, -0.35])
_PLAN_PRICE = np.array([20.0, 45.0, 80.0])
_CONTRACTS = np.array(["month-to-month", "one-year", "two-year"])
_CONTRACT_RISK = np.array([0.8, -0.1, -0.9])
_REGIONS = np.array(["north", "south", "east", "west"])
_CHANNELS = np.array(["web", "store", "partner"])
_PAYMENTS = np.array(["card", "bank_transfer", "invoice"])
_US_PER_WEEK = 7 * 86_400_000_000


def _iso(us: np.ndarray) -> pl.Series:
    return pl.Series(us.astype("int64")).cast(pl.Datetime("us", "UTC")).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def _us(ts: datetime) -> int:
    return int(ts.timestamp() * 1_000_000)


def window(end: date | None = None) -> tuple[datetime, datetime]:
    """The [start, end) span of the demo history: a year up to ``end`` (default: today, UTC)."""
    end = end or datetime.now(UTC).date()
    stop = datetime(end.year, end.month, end.day, tzinfo=UTC)
    return stop - timedelta(days=WINDOW_DAYS), stop


def _month_starts(start: datetime, stop: datetime) -> np.ndarray:
    months, y, m = [], start.year, start.month
    while True:
        first = datetime(y, m, 1, tzinfo=UTC)
        if first >= stop:
            return np.array(months, dtype=np.int64)
        if first >= start:
            months.append(_us(first))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


@dataclass
class _Customers:
    """The latent state behind every table: who signed up when, on which plan, at what risk."""

    rng: np.random.Generator
    ids: np.ndarray
    start: datetime
    stop: datetime
    signup: np.ndarray  # µs
    plan: np.ndarray
    contract: np.ndarray
    age: np.ndarray
    base_risk: np.ndarray
    drift: np.ndarray  # risk change per week

    @classmethod
    def draw(cls, n: int, seed: int, end: date | None) -> _Customers:
        rng = np.random.default_rng(seed)
        start, stop = window(end)
        day_us = 86_400_000_000
        # Sign-ups arrive from the CRM's daily export at 06:xx UTC.
        signup_day = rng.integers(
            (_us(start) - 200 * day_us) // day_us, (_us(stop) - 120 * day_us) // day_us, n
        )
        signup = signup_day * day_us + 6 * 3_600_000_000 + rng.integers(0, 3_600_000, n) * 1000
        plan = rng.choice(3, n, p=[0.45, 0.35, 0.2])
        contract = rng.choice(3, n, p=[0.5, 0.3, 0.2])
        age = rng.integers(18, 80, n)
        base_risk = rng.normal(0, 0.7, n) + _CONTRACT_RISK[contract] + _PLAN_RISK[plan] - 0.012 * (age - 45)
        drift = rng.normal(0, 0.02, n)
        ids = np.array([f"C{i:06d}" for i in range(1, n + 1)])
        return cls(rng, ids, start, stop, signup, plan, contract, age, base_risk, drift)

    @property
    def n(self) -> int:
        return len(self.ids)

    def risk(self, idx: np.ndarray, at_us: np.ndarray) -> np.ndarray:
        return self.base_risk[idx] + self.drift[idx] * (at_us - _us(self.start)) / _US_PER_WEEK


def _profile(c: _Customers) -> pl.DataFrame:
    """The sign-up record, and for a quarter of customers a plan change later on."""
    rng, n = c.rng, c.n
    changes = rng.random(n) < 0.25
    change_at = np.where(changes, rng.integers(np.maximum(c.signup, _us(c.start)), _us(c.stop)), 0)
    change_at -= change_at % 1000
    new_plan = np.where(rng.random(n) < 0.6, np.minimum(c.plan + 1, 2), np.maximum(c.plan - 1, 0))
    p_idx = np.concatenate([np.arange(n), np.flatnonzero(changes)])
    age_vals = np.concatenate([c.age, c.age[changes]]).astype(float)
    age_vals[rng.random(len(age_vals)) < 0.05] = np.nan
    profile = pl.DataFrame(
        {
            "customer_id": c.ids[p_idx],
            "event_time": _iso(np.concatenate([c.signup, change_at[changes]])),
            "age": pl.Series(age_vals).fill_nan(None).cast(pl.Int64),
            "region": _REGIONS[rng.integers(0, 4, n)][p_idx],
            "plan": _PLANS[np.concatenate([c.plan, new_plan[changes]])],
            "contract_type": _CONTRACTS[c.contract][p_idx],
            "signup_channel": _CHANNELS[rng.integers(0, 3, n)][p_idx],
        }
    )
    # A plan change moves the risk from then on (modelled as a base risk shift).
    c.base_risk[changes] += (_PLAN_RISK[new_plan] - _PLAN_RISK[c.plan])[changes] * 0.5
    return profile


def _activity(c: _Customers, seed: int) -> pl.DataFrame:
    """Weekly, Sunday 23:00 UTC, for 92% of customers; with re-sends and out-of-order rows."""
    rng = c.rng
    first_sunday = c.start + timedelta(days=(6 - c.start.weekday()) % 7, hours=23)
    weeks = np.arange(_us(first_sunday), _us(c.stop), _US_PER_WEEK)
    has_activity = rng.random(c.n) >= 0.08
    a_idx, a_week = np.nonzero(has_activity[:, None] & (weeks[None, :] >= c.signup[:, None]))
    a_time = weeks[a_week]
    r = c.risk(a_idx, a_time) + rng.normal(0, 0.35, len(a_idx))
    sessions = rng.poisson(np.exp(2.3 - 0.55 * r))
    minutes = np.round(sessions * rng.gamma(2.0, 6.0, len(a_idx)), 1)
    tickets = rng.poisson(np.exp(-1.3 + 0.6 * r))
    last_login = rng.poisson(np.exp(0.4 + 0.7 * r)).astype(float)
    last_login[rng.random(len(a_idx)) < 0.03] = np.nan
    activity = pl.DataFrame(
        {
            "customer_id": c.ids[a_idx],
            "event_time": _iso(a_time),
            "sessions_7d": sessions,
            "minutes_7d": minutes,
            "support_tickets_30d": tickets,
            "days_since_last_login": pl.Series(last_login).fill_nan(None).cast(pl.Int64),
        }
    )
    # Late updates: 4% of weeks are re-sent later in the file with corrected counts.
    resend = activity.sample(fraction=0.04, seed=seed).with_columns(
        (pl.col("sessions_7d") + 1).alias("sessions_7d")
    )
    activity = pl.concat([activity, resend])
    # Out-of-order arrival: shuffle a fifth of the rows.
    order = np.arange(activity.height)
    swap = rng.random(activity.height) < 0.2
    order[swap] = rng.permutation(order[swap])
    return activity[order]


def _billing(c: _Customers, months: np.ndarray) -> pl.DataFrame:
    """First of each month, for 88% of customers."""
    rng = c.rng
    has_billing = rng.random(c.n) >= 0.12
    b_idx, b_month = np.nonzero(has_billing[:, None] & (months[None, :] >= c.signup[:, None]))
    b_time = months[b_month]
    rb = c.risk(b_idx, b_time) + rng.normal(0, 0.35, len(b_idx))
    discount = rng.choice([0.0, 5.0, 10.0, 20.0], len(b_idx))
    charges = np.round(_PLAN_PRICE[c.plan[b_idx]] * (1 - discount / 100) + rng.normal(0, 3, len(b_idx)), 2)
    discount[rng.random(len(b_idx)) < 0.1] = np.nan
    pay_risk = np.clip(0.25 + 0.15 * rb, 0.05, 0.9)
    method = np.where(rng.random(len(b_idx)) < pay_risk, 2, rng.integers(0, 2, len(b_idx)))
    return pl.DataFrame(
        {
            "customer_id": c.ids[b_idx],
            "event_time": _iso(b_time),
            "monthly_charges": charges,
            "late_payments_90d": rng.poisson(np.exp(-1.6 + 0.75 * rb)),
            "payment_method": _PAYMENTS[method],
            "discount_pct": pl.Series(discount).fill_nan(None),
        }
    )


def _labels(c: _Customers, months: np.ndarray) -> pl.DataFrame:
    """Up to two month-start observations per customer, 30+ days after sign-up."""
    rng = c.rng
    obs = months[2:]
    l_idx, l_obs = np.nonzero(obs[None, :] >= (c.signup + 30 * 86_400_000_000)[:, None])
    keep = rng.random(len(l_idx)) < (2.0 / len(obs)) * 1.2
    l_idx, l_time = l_idx[keep], obs[l_obs[keep]]
    p_churn = 1 / (1 + np.exp(-(-1.7 + 1.4 * (c.risk(l_idx, l_time) + rng.normal(0, 0.3, len(l_idx))))))
    return pl.DataFrame(
        {
            "customer_id": c.ids[l_idx],
            "label_time": _iso(l_time),
            "churned": (rng.random(len(l_idx)) < p_churn).astype(np.int64),
        }
    )


def generate(n_customers: int = 5000, seed: int = 7, end: date | None = None) -> dict[str, pl.DataFrame]:
    """Feature group inputs (as a user would ingest them) and labels, keyed by name.

    The same ``n_customers``, ``seed`` and ``end`` date give the same data.
    """
    customers = _Customers.draw(n_customers, seed, end)
    profile = _profile(customers)  # first: a plan change moves the risk the other tables see
    activity = _activity(customers, seed)
    months = _month_starts(customers.start, customers.stop)
    return {
        "customer_profile": profile,
        "customer_activity": activity,
        "customer_billing": _billing(customers, months),
        "labels": _labels(customers, months),
    }


def write_demo_data(
    output: Path | str,
    *,
    n_customers: int = 5000,
    seed: int = 7,
    end: date | None = None,
    fmt: str = "parquet",
) -> dict[str, Path]:
    """Write each table of :func:`generate` as ``<output>/<name>.<fmt>``; returns the paths."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in generate(n_customers, seed, end).items():
        path = output / f"{name}.{fmt}"
        if fmt == "csv":
            frame.write_csv(path)
        else:
            frame.write_parquet(path)
        paths[name] = path
    return paths


def current_population(
    entities: int, *, as_of: datetime, seed: int = 3, id_prefix: str = "B"
) -> dict[str, pl.DataFrame]:
    """One current record per entity and group (ids ``<prefix>00000000``...), within 48 h of
    ``as_of``: a large scoring population, fast to build (benchmarks, fault tests)."""
    sample = generate(2000, seed=seed, end=as_of.date())
    rng = np.random.default_rng(seed)
    ids = pl.Series([f"{id_prefix}{i:08d}" for i in range(entities)])
    frames = {}
    for group in GROUPS:
        rows = sample[group][rng.integers(0, sample[group].height, entities)]
        hours_before = rng.integers(1, 48, entities) * 3_600_000_000
        frames[group] = rows.with_columns(customer_id=ids, event_time=_iso(_us(as_of) - hours_before))
    return frames
