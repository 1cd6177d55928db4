"""``ml-platform-features``: validate specs, ingest files, read records, make demo data.

Settings come from ``MLP_*`` environment variables (see ml_platform.config); flags win.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from ml_platform.config import BACKENDS, FeatureStoreSettings
from ml_platform.demo_data import GROUPS, write_demo_data
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.feature_store.records import read_input_file
from ml_platform.logs import configure_logging
from ml_platform.specs import SpecRegistry

log = logging.getLogger("ml_platform.cli")


def _store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--backend",
        choices=BACKENDS,
        help="feature store backend (env MLP_FEATURE_STORE_BACKEND, default local)",
    )
    parser.add_argument(
        "--root",
        type=Path,
        help="local backend folder (env MLP_FEATURE_STORE_ROOT, default .mlplatform/feature-store)",
    )
    parser.add_argument(
        "--specs-dir",
        type=Path,
        help="feature group spec folder (env MLP_FEATURE_SPECS_DIR, default feature_groups/)",
    )
    parser.add_argument(
        "--group-prefix", help="deployed SageMaker group name prefix (env MLP_FEATURE_GROUP_PREFIX)"
    )


def _settings(args: argparse.Namespace) -> FeatureStoreSettings:
    return FeatureStoreSettings.from_env(
        backend=args.backend,
        local_root=args.root,
        specs_dir=args.specs_dir,
        group_name_prefix=args.group_prefix,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ml-platform-features",
        description="Feature store tools of ml-platform: specs, ingestion, online reads, demo data.",
    )
    parser.add_argument("--log-level", default=None, help="DEBUG, INFO (default), WARNING")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("validate-specs", help="load and validate every feature group spec")
    p.add_argument("--specs-dir", type=Path)

    p = sub.add_parser(
        "ingest",
        help="validate a CSV/Parquet file against a group's spec, then write it",
        description=(
            "Ingest a CSV or Parquet file into a feature group. Every row is checked against the "
            "spec first (columns, types, empty identifier or event time, unparsable or future "
            "timestamps); on any problem the command lists them with row numbers and writes nothing."
        ),
    )
    p.add_argument("--feature-group", "-g", required=True, help="feature group name (spec file name)")
    p.add_argument("--file", "-f", required=True, type=Path, help="input .csv or .parquet file")
    _store_args(p)

    p = sub.add_parser("get-record", help="print the online record of an identifier as JSON")
    p.add_argument("--feature-group", "-g", required=True)
    p.add_argument("--id", required=True, dest="record_id")
    _store_args(p)

    p = sub.add_parser("generate-demo-data", help="write the deterministic churn demo data set")
    p.add_argument("--output", "-o", type=Path, required=True, help="folder for <group>.parquet and labels")
    p.add_argument("--customers", type=int, default=5000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--format", choices=("parquet", "csv"), default="parquet")
    p.add_argument(
        "--end-date", type=date.fromisoformat, help="last day of the one-year history (default: today, UTC)"
    )
    p.add_argument("--ingest", action="store_true", help="also ingest the three feature groups")
    _store_args(p)
    return parser


def run(args: argparse.Namespace) -> int:
    if args.command == "validate-specs":
        settings_dir = args.specs_dir or FeatureStoreSettings.from_env().specs_dir
        specs = SpecRegistry.from_directory(settings_dir)
        for spec in specs.values():
            print(
                f"{spec.name}: {len(spec.features)} features, id={spec.record_identifier_feature}, "
                f"event_time={spec.event_time_feature}, ttl={spec.ttl}, sha256={spec.content_hash[:12]}"
            )
        return 0
    if args.command == "ingest":
        store = open_feature_store(_settings(args))
        store.specs[args.feature_group]
        frame = read_input_file(args.file)
        report = store.ingest(args.feature_group, frame, source=str(args.file))
        print(
            json.dumps(
                {
                    "feature_group": report.feature_group,
                    "rows": report.rows,
                    "seconds": round(report.seconds, 3),
                }
            )
        )
        return 0
    if args.command == "get-record":
        store = open_feature_store(_settings(args))
        spec = store.specs[args.feature_group]
        record_id = int(args.record_id) if spec.id_type == "Integral" else args.record_id
        record = store.get_record(args.feature_group, record_id)
        if record is None:
            print(f"no online record for {args.record_id!r} in {args.feature_group}", file=sys.stderr)
            return 1
        print(json.dumps(record, indent=2))
        return 0
    if args.command == "generate-demo-data":
        if args.customers < 10:
            raise MLPlatformError("--customers must be at least 10")
        paths = write_demo_data(
            args.output, n_customers=args.customers, seed=args.seed, end=args.end_date, fmt=args.format
        )
        for name, path in paths.items():
            print(f"{name}: {path}")
        if args.ingest:
            store = open_feature_store(_settings(args))
            for group in GROUPS:
                store.ingest(group, read_input_file(paths[group]), source=str(paths[group]))
        return 0
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level)
    try:
        return run(args)
    except MLPlatformError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
