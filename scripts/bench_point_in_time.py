#!/usr/bin/env python3
"""Benchmark: point-in-time training set vs. a plain pyarrow read and pandas ``merge_asof``.

Generates N entity rows and M feature rows spread over 3 feature groups, laid out as the
SageMaker offline store (hourly partitions), then times, each in a fresh subprocess
(median of --runs) with its peak RSS:

* ``pyarrow read``    - reading the same feature files with pyarrow (the floor);
* ``ml-platform``     - LocalFeatureStore.training_set (read + parse + join + TTL/deletes);
* ``pandas merge_asof`` - the same semantics with pandas (read, sort, de-duplicate, merge_asof).

The join results of ml-platform and pandas must have equal checksums. Prints a table with
ratios against the baselines and writes JSON (--output). Not a test: run it by hand.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ml_platform.memory import peak_rss_mb

GROUPS = ("bench_a", "bench_b", "bench_c")
TTL_DAYS = 14
BASE = datetime(2026, 1, 1, tzinfo=UTC)
SPAN_DAYS = 60


def spec_doc(name: str) -> dict:
    return {
        "name": name,
        "description": "benchmark group",
        "record_identifier_feature": "entity_id",
        "event_time_feature": "event_time",
        "online_store_enabled": False,
        "offline_store_enabled": True,
        "ttl_duration": {"unit": "Days", "value": TTL_DAYS},
        "features": [
            {"name": "entity_id", "type": "String", "description": "id"},
            {"name": "event_time", "type": "String", "description": "t"},
            {"name": f"{name}_x", "type": "Fractional", "description": "x"},
            {"name": f"{name}_n", "type": "Integral", "description": "n"},
            {"name": f"{name}_s", "type": "String", "description": "s"},
        ],
    }


def _ids(rng, n_ids: int, n: int):
    import polars as pl

    return pl.Series(rng.integers(0, n_ids, n)).cast(pl.Utf8).str.zfill(8)


def _times(rng, n: int, span_ms: int):
    """``n`` random UTC timestamps (ms precision) in [BASE, BASE + span_ms)."""
    import polars as pl

    ms = pl.Series((BASE.timestamp() * 1000 + rng.integers(0, span_ms, n)).astype("int64"))
    return (ms * 1000).cast(pl.Datetime("us", "UTC"))


def _write_group(spec, location, rng, n_ids: int, rows: int) -> None:
    """Two "ingestions" of ``rows`` records (duplicates across writes, different write_time) and
    a few deletion markers, straight into the offline layout."""
    import polars as pl

    from ml_platform.feature_store.offline import write_offline
    from ml_platform.feature_store.records import EVENT_TS

    name, span_ms = spec.name, SPAN_DAYS * 86_400_000
    for batch in range(2):
        n = rows // 2
        ts = _times(rng, n, span_ms)
        frame = pl.DataFrame(
            {
                "entity_id": _ids(rng, n_ids, n),
                "event_time": ts.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
                f"{name}_x": rng.normal(size=n),
                f"{name}_n": rng.integers(0, 1000, n),
                f"{name}_s": pl.Series(rng.integers(0, 50, n)).cast(pl.Utf8),
                EVENT_TS: ts,
            }
        )
        write_offline(spec, frame, location, write_time=BASE + timedelta(days=100 + batch))
    deleted = pl.DataFrame({"entity_id": _ids(rng, n_ids, rows // 200)})
    dts = _times(rng, deleted.height, span_ms)
    nulls = {
        f"{name}_x": pl.lit(None, pl.Float64),
        f"{name}_n": pl.lit(None, pl.Int64),
        f"{name}_s": pl.lit(None, pl.Utf8),
    }
    deleted = deleted.with_columns(event_time=dts.dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"), **nulls)
    write_offline(
        spec,
        deleted.with_columns(dts.alias(EVENT_TS)),
        location,
        write_time=BASE + timedelta(days=103),
        is_deleted=True,
    )


def generate(root: Path, entities: int, feature_rows: int, seed: int = 1) -> None:
    import numpy as np
    import polars as pl
    import yaml

    from ml_platform.feature_store.local import LocalFeatureStore
    from ml_platform.specs import SpecRegistry

    specs_dir = root / "specs"
    specs_dir.mkdir(parents=True)
    for name in GROUPS:
        (specs_dir / f"{name}.yaml").write_text(yaml.safe_dump(spec_doc(name)))
    store = LocalFeatureStore(SpecRegistry.from_directory(specs_dir), root / "fs")
    rng = np.random.default_rng(seed)
    n_ids = max(10, entities // 2)
    for name in GROUPS:
        location = store.offline_location(name, create=True)
        _write_group(store.specs[name], location, rng, n_ids, feature_rows // len(GROUPS))
    ts = _times(rng, entities, SPAN_DAYS * 86_400_000 + 7 * 86_400_000)
    pl.DataFrame(
        {
            "entity_id": _ids(rng, n_ids + n_ids // 10, entities),
            "ts": ts,
            "label": rng.integers(0, 2, entities),
        }
    ).write_parquet(root / "entities.parquet")


def checksum(frame) -> str:
    import polars as pl

    cols = [c for c in frame.columns if c.startswith("bench_")]
    h = frame.select(pl.struct(sorted(cols)).hash(seed=0)).to_series()
    return f"{int(h.sum()) % (1 << 64):016x}/{frame.height}"


def run_method(method: str, root: Path) -> dict:
    import polars as pl
    import pyarrow.dataset as ds

    from ml_platform.feature_store.local import LocalFeatureStore
    from ml_platform.specs import SpecRegistry

    specs = SpecRegistry.from_directory(root / "specs")
    store = LocalFeatureStore(specs, root / "fs")
    started = time.perf_counter()
    result = "-"
    if method == "pyarrow":
        rows = 0
        for name in GROUPS:
            loc = store.offline_location(name)
            rows += ds.dataset(loc.path, format="parquet", partitioning="hive").to_table().num_rows
        result = f"rows={rows}"
    elif method == "platform":
        entities = pl.read_parquet(root / "entities.parquet")
        out = store.training_set(entities, list(GROUPS), join_keys="entity_id", timestamp="ts")
        result = checksum(out)
    elif method == "pandas":
        import pandas as pd

        entities = pd.read_parquet(root / "entities.parquet")
        entities["__row"] = range(len(entities))
        out = entities.sort_values("ts", kind="stable")
        for name in GROUPS:
            loc = store.offline_location(name)
            f = ds.dataset(loc.path, format="parquet", partitioning="hive").to_table().to_pandas()
            f["__et"] = pd.to_datetime(f["event_time"], utc=True, format="ISO8601").astype(
                "datetime64[us, UTC]"
            )
            f = f.sort_values(["__et", "write_time", "api_invocation_time"], kind="stable")
            f = f.drop_duplicates(["entity_id", "__et"], keep="last")
            feats = [f"{name}_x", f"{name}_n", f"{name}_s"]
            f = f[["entity_id", "__et", "is_deleted", *feats]].rename(
                columns={"__et": f"__et_{name}", "is_deleted": f"__del_{name}"}
            )
            out = pd.merge_asof(
                out, f, left_on="ts", right_on=f"__et_{name}", by="entity_id", direction="backward"
            )
            bad = out[f"__del_{name}"].fillna(False).astype(bool) | (
                out[f"__et_{name}"] < out["ts"] - pd.Timedelta(days=TTL_DAYS)
            )
            bad |= out[f"__et_{name}"].isna()
            for c in feats:
                out[c] = out[c].astype(object).where(~bad, None)
            out = out.drop(columns=[f"__et_{name}", f"__del_{name}"])
        out = out.sort_values("__row").drop(columns="__row")
        frame = pl.from_pandas(out.astype({c: object for c in out.columns if c.startswith("bench_")}))
        frame = frame.with_columns(
            [pl.col(f"{n}_x").cast(pl.Float64) for n in GROUPS]
            + [pl.col(f"{n}_n").cast(pl.Int64) for n in GROUPS]
            + [pl.col(f"{n}_s").cast(pl.Utf8) for n in GROUPS]
        )
        result = checksum(frame)
    seconds = time.perf_counter() - started
    rss_mb = peak_rss_mb()  # VmHWM: not the generating parent's memory inherited at fork
    return {"seconds": seconds, "rss_mb": rss_mb, "result": result}


def measure(entities: int, feature_rows: int, runs: int) -> dict:
    """Generate the data, then time each method ``runs`` times in fresh subprocesses."""
    with tempfile.TemporaryDirectory(prefix="mlp-bench-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        generate(root, entities, feature_rows)
        files = sum(1 for _ in (root / "fs").rglob("*.parquet"))
        setup_s = time.perf_counter() - t0
        results: dict[str, list[dict]] = {}
        for _ in range(runs):
            for method in ("pyarrow", "platform", "pandas"):
                proc = subprocess.run(
                    [sys.executable, __file__, "--child", method, str(root)],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if proc.returncode != 0:
                    raise RuntimeError(proc.stderr[-3000:])
                results.setdefault(method, []).append(json.loads(proc.stdout.strip().splitlines()[-1]))
    summary = {
        m: {
            "median_seconds": statistics.median(r["seconds"] for r in rs),
            "peak_rss_mb": max(r["rss_mb"] for r in rs),
            "result": rs[0]["result"],
            "runs": [r["seconds"] for r in rs],
        }
        for m, rs in results.items()
    }
    return {
        "entities": entities,
        "feature_rows": feature_rows,
        "files": files,
        "setup_s": setup_s,
        "results": summary,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=1_000_000)
    parser.add_argument("--feature-rows", type=int, default=10_000_000, help="total over the 3 groups")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path("bench-results/point_in_time.json"))
    parser.add_argument("--child", nargs=2, metavar=("METHOD", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_method(args.child[0], Path(args.child[1]))))
        return 0

    measured = measure(args.entities, args.feature_rows, args.runs)
    summary = measured["results"]
    read, ours, pandas = summary["pyarrow"], summary["platform"], summary["pandas"]
    labels = {
        "pyarrow": "pyarrow read (floor)",
        "platform": "ml-platform training_set",
        "pandas": "pandas merge_asof",
    }
    print(f"\n{'method':28} {'median s':>9} {'x read':>7} {'x pandas':>9} {'peak RSS MB':>12}  checksum")
    for m in ("pyarrow", "platform", "pandas"):
        s = summary[m]
        print(
            f"{labels[m]:28} {s['median_seconds']:9.2f} {s['median_seconds'] / read['median_seconds']:7.2f} "
            f"{s['median_seconds'] / pandas['median_seconds']:9.2f} {s['peak_rss_mb']:12.0f}  {s['result']}"
        )
    equal = ours["result"] == pandas["result"]
    print(
        f"\nchecksums equal: {equal}; ml-platform is {pandas['median_seconds'] / ours['median_seconds']:.1f}x "
        f"faster than pandas and {ours['median_seconds'] / read['median_seconds']:.1f}x a plain read "
        f"(median of {args.runs} run(s))"
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(
        json.dumps(
            {
                "entities": args.entities,
                "feature_rows": args.feature_rows,
                "runs": args.runs,
                "results": summary,
                "checksums_equal": equal,
            },
            indent=2,
        )
    )
    print(f"results written to {args.output}")
    return 0 if equal else 1


if __name__ == "__main__":
    sys.exit(main())
