#!/usr/bin/env python3
"""`make bench`: every performance figure of the platform with its baseline, from one invocation.

1. Point-in-time training set (scripts/bench_point_in_time.py): ml-platform vs a plain pyarrow
   read of the same files and pandas merge_asof; median of --runs, peak RSS, checksums.
2. Batch inference at --entities (scripts/bench_inference.py): the job end to end (features ->
   score -> every message acknowledged) vs the raw confluent-kafka producer sending the same
   messages and an iterrows -> json.dumps -> produce loop; each on its own fresh broker; median of
   --runs. Also the job's peak RSS and its model-ready time (process start to model loaded).
3. Inference peak RSS at --large-entities (0 skips it), compared with the value at --entities.

Prints one table (figure, baseline, ratio, goal) and writes JSON (--output). Not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_inference
import bench_point_in_time


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


COLUMNS = ("figure", "value", "baseline", "baseline_value", "ratio", "goal", "met")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pit-entities", type=int, default=1_000_000)
    parser.add_argument("--pit-feature-rows", type=int, default=10_000_000)
    parser.add_argument("--entities", type=int, default=1_000_000, help="inference population")
    parser.add_argument("--large-entities", type=int, default=10_000_000, help="RSS check; 0 skips it")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path("bench-results/bench.json"))
    return parser


def _table(args: argparse.Namespace, pit: dict, inf: dict, large: dict | None) -> list[tuple]:
    """One row per figure: (figure, value, baseline, baseline value, ratio, goal, met)."""
    r = pit["results"]
    read, ours, pandas = (r[m]["median_seconds"] for m in ("pyarrow", "platform", "pandas"))
    runs = inf["runs"]
    job, raw, loop = (median(runs, k) for k in ("job_rows_per_s", "raw_rows_per_s", "loop_rows_per_s"))
    rss_1m = max(x["job_peak_rss_mb"] for x in runs)
    ready = median(runs, "model_ready_s")
    rows = [
        ("PIT training set (s)", ours, "pyarrow read", read, ours / read, "<= 2.5x", ours / read <= 2.5),
        ("PIT training set (s)", ours, "pandas merge_asof", pandas, ours / pandas, "< 1.0x", ours < pandas),
        ("PIT peak RSS (MB)", r["platform"]["peak_rss_mb"], "-", None, None, "<= 2500", r["platform"]["peak_rss_mb"] <= 2500),
        ("PIT checksum", r["platform"]["result"], "pandas", r["pandas"]["result"], None, "equal",
         r["platform"]["result"] == r["pandas"]["result"]),
        ("inference end to end (rows/s)", job, "raw producer", raw, job / raw, ">= 0.5x", job / raw >= 0.5),
        ("inference end to end (rows/s)", job, "iterrows loop", loop, job / loop, ">= 3x", job / loop >= 3),
        (f"inference peak RSS @{args.entities:,} (MB)", rss_1m, "-", None, None, "-", None),
        ("model ready (s)", ready, "-", None, None, "<= 3.5", ready <= 3.5),
    ]  # fmt: skip
    if large:
        rss_large = large["runs"][0]["job_peak_rss_mb"]
        rows += [
            (f"inference peak RSS @{args.large_entities:,} (MB)", rss_large, f"@{args.entities:,}", rss_1m,
             rss_large / rss_1m, "<= 1500 and <= 1.3x", rss_large <= 1500 and rss_large / rss_1m <= 1.3),
        ]  # fmt: skip
    return rows


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.2f}" if isinstance(v, float) else str(v)


def _print_table(rows: list[tuple]) -> None:
    print(f"\n{'figure':38} {'value':>14}  {'baseline':18} {'value':>14} {'ratio':>7}  {'goal':20} met")
    for name, value, base_name, base, ratio, goal, met in rows:
        print(
            f"{name:38} {_fmt(value):>14}  {base_name:18} {_fmt(base):>14} {_fmt(ratio):>7}  {goal:20} "
            f"{'-' if met is None else ('yes' if met else 'NO')}"
        )


def main() -> int:
    args = _parser().parse_args()
    started = time.perf_counter()
    pit = bench_point_in_time.measure(args.pit_entities, args.pit_feature_rows, args.runs)
    print(
        f"point-in-time: {pit['files']:,} files, measured in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    inf = bench_inference.measure(args.entities, args.runs)
    print(
        f"inference: {args.entities:,} entities, measured in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    large = bench_inference.measure(args.large_entities, 1, baselines=False) if args.large_entities else None
    rows = _table(args, pit, inf, large)
    _print_table(rows)
    print(f"\nmedian of {args.runs} run(s); total {time.perf_counter() - started:.0f} s")
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    results = {"point_in_time": pit, "inference": inf, "inference_large": large, "table": table}
    args.output.write_text(json.dumps(results, indent=2, default=str))
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
