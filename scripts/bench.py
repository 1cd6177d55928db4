#!/usr/bin/env python3
"""`make bench`: every performance figure of the platform with its baseline, from one invocation.

1. Point-in-time training set (scripts/bench_point_in_time.py): ml-platform vs a plain pyarrow
   read of the same files and pandas merge_asof; median of --runs, peak RSS, checksums.
2. Batch inference at --entities (scripts/bench_inference.py), per model of --models (a 100-tree
   random forest, a 300-tree LightGBM): the job end to end (features -> score -> every message
   acknowledged) vs the raw confluent-kafka producer sending the same messages and an iterrows ->
   json.dumps -> produce loop; each on its own fresh broker, in that order in each of --runs
   runs, so every ratio is taken pair by pair and printed as min / median / max. Also the job's
   peak RSS, its model-ready time (process start to model loaded), and scoring alone: the ONNX
   file against the native model on the same rows.
3. Inference peak RSS at --large-entities (0 skips it), compared with the value at --entities,
   scoring the first model of --models (each model is trained once, for all its measurements).

Prints one table (figure, baseline, ratio min / median / max, goal) and writes JSON (--output).
Not a test.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_inference
import bench_point_in_time


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def spread(ratios: list[float]) -> tuple[float, float, float]:
    """min / median / max of ratios taken pair by pair (each within one run)."""
    return min(ratios), statistics.median(ratios), max(ratios)


COLUMNS = ("figure", "value", "baseline", "baseline_value", "ratio_min", "ratio", "ratio_max", "goal", "met")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pit-entities", type=int, default=1_000_000)
    parser.add_argument("--pit-feature-rows", type=int, default=10_000_000)
    parser.add_argument("--entities", type=int, default=1_000_000, help="inference population")
    parser.add_argument("--large-entities", type=int, default=10_000_000, help="RSS check; 0 skips it")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--models",
        default=",".join(bench_inference.MODELS),
        help="comma-separated: " + ", ".join(bench_inference.MODELS) + " (default: %(default)s)",
    )
    parser.add_argument("--output", type=Path, default=Path("bench-results/bench.json"))
    return parser


def _one(*row) -> tuple:
    """A row with one ratio (figure, value, baseline, baseline value, ratio, goal, met)."""
    figure, value, baseline, base, ratio, goal, met = row
    return (figure, value, baseline, base, ratio, ratio, ratio, goal, met)


def _pit_rows(pit: dict) -> list[tuple]:
    r = pit["results"]
    read, ours, pandas = (r[m]["median_seconds"] for m in ("pyarrow", "platform", "pandas"))
    rss = r["platform"]["peak_rss_mb"]
    return [
        _one("PIT training set (s)", ours, "pyarrow read", read, ours / read, "<= 2.5x", ours / read <= 2.5),
        _one("PIT training set (s)", ours, "pandas merge_asof", pandas, ours / pandas, "< 1.0x", ours < pandas),
        _one("PIT peak RSS (MB)", rss, "-", None, None, "<= 2500", rss <= 2500),
        _one("PIT checksum", r["platform"]["result"], "pandas", r["pandas"]["result"], None, "equal",
             r["platform"]["result"] == r["pandas"]["result"]),
    ]  # fmt: skip


def _inference_rows(inf: dict) -> list[tuple]:
    """Per model: the job against the raw producer and the loop (ratios pair by pair), model
    ready, peak RSS, and scoring alone (ONNX against the native model on the same rows)."""
    runs, model = inf["runs"], inf["model"]
    job = median(runs, "job_rows_per_s")
    to_raw = spread([r["job_rows_per_s"] / r["raw_rows_per_s"] for r in runs])
    to_loop = spread([r["job_rows_per_s"] / r["loop_rows_per_s"] for r in runs])
    ready, rss = median(runs, "model_ready_s"), max(r["job_peak_rss_mb"] for r in runs)
    score = inf["scoring"]
    onnx_s, native_s = score["onnx_score_s"], score["native_score_s"]
    name = f"{model} @{inf['entities']:,}"
    return [
        (f"inference {name} (rows/s)", job, "raw producer", median(runs, "raw_rows_per_s"), *to_raw, ">= 0.5x", to_raw[1] >= 0.5),
        (f"inference {name} (rows/s)", job, "iterrows loop", median(runs, "loop_rows_per_s"), *to_loop, ">= 5x", to_loop[1] >= 5),
        _one(f"model ready, {model} (s)", ready, "-", None, None, "<= 1.5", ready <= 1.5),
        _one(f"inference peak RSS {name} (MB)", rss, "-", None, None, "-", None),
        _one(f"ONNX scoring {name} (s)", onnx_s, "native model", native_s, onnx_s / native_s, "< 1.0x", onnx_s < native_s),
    ]  # fmt: skip


def _large_rows(args: argparse.Namespace, large: dict) -> list[tuple]:
    rss = large["runs"][0]["job_peak_rss_mb"]
    return [
        _one(f"inference peak RSS {large['model']} @{args.large_entities:,} (MB)", rss, "-", None, None,
             "<= 1200", rss <= 1200),
    ]  # fmt: skip


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:,.2f}" if isinstance(v, float) else str(v)


def _print_table(rows: list[tuple]) -> None:
    print(
        f"\n{'figure':44} {'value':>12}  {'baseline':17} {'value':>12} {'ratio min / median / max':>26}  "
        f"{'goal':9} met"
    )
    for name, value, base_name, base, low, mid, high, goal, met in rows:
        ratio = "-" if mid is None else f"{_fmt(low)} / {_fmt(mid)} / {_fmt(high)}"
        print(
            f"{name:44} {_fmt(value):>12}  {base_name:17} {_fmt(base):>12} {ratio:>26}  {goal:9} "
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
    rows, inference, models = _pit_rows(pit), {}, args.models.split(",")
    with tempfile.TemporaryDirectory(prefix="mlp-bench-model-") as tmp:
        homes = {model: Path(tmp) / model for model in models}
        for model, home in homes.items():  # each model trained once, for every measurement of it
            bench_inference.train_model(home, model)
            inference[model] = bench_inference.measure(args.entities, args.runs, home=home, model=model)
            rows += _inference_rows(inference[model])
            print(
                f"inference, {model}: {args.entities:,} entities, measured in {time.perf_counter() - started:.0f} s",
                flush=True,
            )
        large = (
            bench_inference.measure(
                args.large_entities, 1, home=homes[models[0]], model=models[0], baselines=False
            )
            if args.large_entities
            else None
        )
    rows += _large_rows(args, large) if large else []
    _print_table(rows)
    print(
        f"\nmedian of {args.runs} run(s); each ratio is taken within one run (job, then raw producer, then loop, "
        f"each on a fresh broker); total {time.perf_counter() - started:.0f} s"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    table = [dict(zip(COLUMNS, row, strict=True)) for row in rows]
    results = {"point_in_time": pit, "inference": inference, "inference_large": large, "table": table}
    args.output.write_text(json.dumps(results, indent=2, default=str))
    print(f"results written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
