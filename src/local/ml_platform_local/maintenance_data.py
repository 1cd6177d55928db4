"""Deterministic demo data of the second example model: machine failures (``models/maintenance.yaml``).

Two feature groups keyed differently: ``machine_telemetry`` (Integral ``machine_id``, event
time in Unix seconds) and ``site_conditions`` (String ``site_code``, ISO event time). Labels
and the fleet register carry both keys (``machine_id``, ``site``). A latent, growing wear per
machine and its site's dust drive both the features and the failures, so a plain model learns
them. The mess: sensor dropouts (nulls), corrected re-sends written later (late duplicate
writes), retracted readings (deletion markers), shuffled rows, decommissioned machines with
no current telemetry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import polars as pl

HISTORY_DAYS = 180
GROUPS = ("machine_telemetry", "site_conditions")
# Tables ingested after the groups: corrections of telemetry (a later write of the same
# event), then readings deleted from telemetry (machine_id, reading_time).
CORRECTIONS = "machine_telemetry_corrections"
DELETIONS = "machine_telemetry_deletions"
_DAY_S = 86_400
_FIRMWARE = np.array(["v1", "v2", "v3"])
_FIRMWARE_RISK = np.array([0.5, 0.0, -0.3])


def _iso(seconds: np.ndarray) -> pl.Series:
    us = (seconds * 1_000_000).astype("int64")
    return pl.Series(us).cast(pl.Datetime("us", "UTC")).dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")


def _days(end: date | None) -> np.ndarray:
    """Midnights (Unix seconds) of the history: HISTORY_DAYS days up to ``end``."""
    end = end or datetime.now(UTC).date()
    stop = datetime(end.year, end.month, end.day, tzinfo=UTC).timestamp()
    return stop - _DAY_S * np.arange(HISTORY_DAYS, 0, -1, dtype=np.float64)


def _sites(rng: np.random.Generator, days: np.ndarray, n_sites: int) -> tuple[pl.DataFrame, np.ndarray]:
    codes = np.array([f"S{i:02d}" for i in range(1, n_sites + 1)])
    dust_base = rng.uniform(1, 8, n_sites)
    s_idx, d_idx = np.meshgrid(np.arange(n_sites), np.arange(len(days)), indexing="ij")
    s_idx, d_idx = s_idx.ravel(), d_idx.ravel()
    season = 8 * np.sin(2 * np.pi * d_idx / 365)
    dust = np.clip(np.round(dust_base[s_idx] + rng.normal(0, 1.2, len(s_idx))), 0, 10)
    humidity = np.round(rng.uniform(30, 80, len(s_idx)), 1)
    humidity[rng.random(len(s_idx)) < 0.05] = np.nan
    observed = days[d_idx] + 6 * 3600 + rng.integers(0, 1800, len(s_idx))  # morning report
    frame = pl.DataFrame(
        {
            "site_code": codes[s_idx],
            "observed_at": _iso(observed),
            "ambient_temp_c": np.round(18 + season + rng.normal(0, 2, len(s_idx)), 1),
            "humidity_pct": pl.Series(humidity).fill_nan(None),
            "dust_index": dust.astype(np.int64),
        }
    )
    daily_dust = dust.reshape(n_sites, len(days))
    return frame, daily_dust


@dataclass
class _Fleet:
    """The latent state behind every table: machines, their sites, firmware and wear."""

    rng: np.random.Generator
    days: np.ndarray
    daily_dust: np.ndarray
    machine_ids: np.ndarray
    site_names: np.ndarray
    site_of: np.ndarray
    firmware: np.ndarray
    wear0: np.ndarray
    wear_rate: np.ndarray
    last_day: np.ndarray  # index of the first day without telemetry

    @classmethod
    def draw(cls, rng: np.random.Generator, days: np.ndarray, daily_dust: np.ndarray, n: int) -> _Fleet:
        n_sites = daily_dust.shape[0]
        site_of = rng.integers(0, n_sites, n)
        firmware = rng.choice(3, n, p=[0.3, 0.5, 0.2])
        wear0, wear_rate = rng.uniform(0, 1.5, n), rng.uniform(0.002, 0.02, n)
        # 5% were decommissioned: their telemetry stops 10-40 days before the end.
        last_day = np.where(rng.random(n) < 0.05, len(days) - rng.integers(10, 40, n), len(days))
        machine_ids = np.arange(100_001, 100_001 + n)
        site_names = np.array([f"S{i:02d}" for i in range(1, n_sites + 1)])
        return cls(
            rng, days, daily_dust, machine_ids, site_names, site_of, firmware, wear0, wear_rate, last_day
        )


def _telemetry(f: _Fleet) -> pl.DataFrame:
    """One reading per machine and day, at the end of the day, until the machine stops."""
    rng = f.rng
    m_idx, d_idx = np.nonzero(np.arange(len(f.days))[None, :] < f.last_day[:, None])
    wear = f.wear0[m_idx] + f.wear_rate[m_idx] * d_idx
    dust = f.daily_dust[f.site_of[m_idx], d_idx]
    temperature = np.round(55 + 6 * wear + 0.4 * dust + rng.normal(0, 1.5, len(m_idx)), 2)
    vibration = np.round(np.maximum(0.3, 1.8 + 1.2 * wear + rng.normal(0, 0.3, len(m_idx))), 3)
    temperature[rng.random(len(m_idx)) < 0.04] = np.nan
    vibration[rng.random(len(m_idx)) < 0.03] = np.nan
    return pl.DataFrame(
        {
            "machine_id": f.machine_ids[m_idx],
            "reading_time": f.days[d_idx] + _DAY_S - 1.0,  # end of the day
            "temperature_c": pl.Series(temperature).fill_nan(None),
            "vibration_mm_s": pl.Series(vibration).fill_nan(None),
            "error_count_24h": rng.poisson(np.exp(-1.2 + 0.7 * wear + _FIRMWARE_RISK[f.firmware[m_idx]])),
            "firmware": _FIRMWARE[f.firmware[m_idx]],
        }
    )


def _labels(f: _Fleet) -> pl.DataFrame:
    """About eight observation days per machine, outcome known (7 days before the end)."""
    rng, n_days = f.rng, len(f.days)
    l_m, l_d = np.nonzero(rng.random((len(f.machine_ids), n_days)) < 8 / n_days)
    keep = (l_d >= 14) & (l_d < np.minimum(f.last_day[l_m], n_days - 7))
    l_m, l_d = l_m[keep], l_d[keep]
    risk = (
        -5.0
        + 2.2 * (f.wear0[l_m] + f.wear_rate[l_m] * l_d)
        + 0.3 * f.daily_dust[f.site_of[l_m], l_d]
        + _FIRMWARE_RISK[f.firmware[l_m]]
        + rng.normal(0, 0.3, len(l_m))
    )
    return pl.DataFrame(
        {
            "machine_id": f.machine_ids[l_m],
            "site": f.site_names[f.site_of[l_m]],
            "label_time": _iso(f.days[l_d] + _DAY_S),  # the next midnight: after that day's reading
            "failed_within_7d": (rng.random(len(l_m)) < 1 / (1 + np.exp(-risk))).astype(np.int64),
        }
    )


def generate(n_machines: int = 400, seed: int = 11, end: date | None = None) -> dict[str, pl.DataFrame]:
    """Feature group inputs, corrections, deletions, labels and the fleet, keyed by name.

    The same ``n_machines``, ``seed`` and ``end`` date give the same data.
    """
    rng = np.random.default_rng(seed)
    days = _days(end)
    sites, daily_dust = _sites(rng, days, max(4, n_machines // 25))
    fleet = _Fleet.draw(rng, days, daily_dust, n_machines)
    telemetry = _telemetry(fleet)
    corrections = telemetry.sample(fraction=0.03, seed=seed).with_columns(
        (pl.col("error_count_24h") + 1).alias("error_count_24h")
    )
    deletions = telemetry.sample(fraction=0.003, seed=seed + 1).select("machine_id", "reading_time")
    return {
        "machine_telemetry": telemetry.sample(fraction=1.0, shuffle=True, seed=seed),  # out of order
        "site_conditions": sites,
        CORRECTIONS: corrections,
        DELETIONS: deletions,
        "labels": _labels(fleet),
        "fleet": pl.DataFrame({"machine_id": fleet.machine_ids, "site": fleet.site_names[fleet.site_of]}),
    }


def write_demo_data(
    output: Path | str, *, n_machines: int = 400, seed: int = 11, end: date | None = None
) -> dict[str, Path]:
    """Write each table of :func:`generate` as ``<output>/<name>.parquet``; returns the paths."""
    output = Path(output)
    output.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in generate(n_machines, seed, end).items():
        paths[name] = output / f"{name}.parquet"
        frame.write_parquet(paths[name])
    return paths


def deletion_times(deletions: pl.DataFrame) -> list[tuple[int, datetime]]:
    """(machine_id, event time) of each retracted reading, for ``delete_record``."""
    return [
        (int(m), datetime.fromtimestamp(float(t), UTC))
        for m, t in deletions.select("machine_id", "reading_time").iter_rows()
    ]
