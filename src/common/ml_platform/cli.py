"""``ml-platform-features``: validate specs, list them, ingest files, read records, write a
model's training set, make demo data.

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

from ml_platform.config import BACKENDS, FeatureStoreSettings, model_specs_dir
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.feature_store.records import read_input_file
from ml_platform.logs import configure_logging
from ml_platform.model_specs import ModelRegistry, load_model, resolve_spec_uri
from ml_platform.specs import SpecRegistry
from ml_platform.storage import read_table

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

    p = sub.add_parser("validate-specs", help="load and validate every feature group and model spec")
    p.add_argument("--specs-dir", type=Path, help="feature group specs (env MLP_FEATURE_SPECS_DIR)")
    p.add_argument("--models-dir", type=Path, help="model specs (env MLP_MODEL_SPECS_DIR, default models/)")

    p = sub.add_parser("list", help="list the feature groups with their features, and the models")
    p.add_argument("--specs-dir", type=Path, help="feature group specs (env MLP_FEATURE_SPECS_DIR)")
    p.add_argument("--models-dir", type=Path, help="model specs (env MLP_MODEL_SPECS_DIR, default models/)")

    p = sub.add_parser(
        "training-set",
        help="write a model's point-in-time training set to Parquet",
        description=(
            "Join the model's feature groups onto its labels (or --entities), each group on its own "
            "key column, as of each row's label time; write the result as Parquet."
        ),
    )
    p.add_argument("--model", "-m", required=True, help="model spec name (models/<MODEL>.yaml)")
    p.add_argument("--output", "-o", required=True, type=Path, help="Parquet file to write")
    p.add_argument("--labels", type=Path, help="labels/entity file (default: the spec's, with --data-uri)")
    p.add_argument("--data-uri", default="", help="{data_uri} of the spec's labels URI")
    p.add_argument("--environment", default="local", help="{environment} of the spec's URIs")
    p.add_argument("--models-dir", type=Path, help="model specs (env MLP_MODEL_SPECS_DIR, default models/)")
    _store_args(p)

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

    p = sub.add_parser("generate-demo-data", help="write an example model's deterministic demo data")
    p.add_argument("--output", "-o", type=Path, required=True, help="folder for <group>.parquet and labels")
    p.add_argument("--model", default=None, help="example model (default: the first bundled one)")
    p.add_argument("--size", type=int, help="entities to generate (default: the example's own size)")
    p.add_argument(
        "--end-date", type=date.fromisoformat, help="last day of the history (default: today, UTC)"
    )
    p.add_argument("--ingest", action="store_true", help="also ingest it into the model's feature groups")
    _store_args(p)
    return parser


def _specs(args: argparse.Namespace) -> int:
    specs = SpecRegistry.from_directory(args.specs_dir or FeatureStoreSettings.from_env().specs_dir)
    models = ModelRegistry.from_directory(args.models_dir or model_specs_dir(), specs)
    print((_validated if args.command == "validate-specs" else _listing)(specs, models))
    return 0


def _ingest(args: argparse.Namespace) -> int:
    store = open_feature_store(_settings(args))
    store.specs[args.feature_group]
    report = store.ingest(args.feature_group, read_input_file(args.file), source=str(args.file))
    print(
        json.dumps(
            {"feature_group": report.feature_group, "rows": report.rows, "seconds": round(report.seconds, 3)}
        )
    )
    return 0


def _get_record(args: argparse.Namespace) -> int:
    store = open_feature_store(_settings(args))
    spec = store.specs[args.feature_group]
    record_id = int(args.record_id) if spec.id_type == "Integral" else args.record_id
    record = store.get_record(args.feature_group, record_id)
    if record is None:
        print(f"no online record for {args.record_id!r} in {args.feature_group}", file=sys.stderr)
        return 1
    print(json.dumps(record, indent=2))
    return 0


def _demo_data(args: argparse.Namespace) -> int:
    try:  # a local tool: in the development environment, not in the images
        from ml_platform_local.demos import DEMOS, prepare
    except ImportError:
        raise MLPlatformError(
            "generate-demo-data needs ml-platform-local (the development environment: `make sync`)"
        ) from None
    args.model = args.model or DEMOS[0]
    if args.model not in DEMOS:
        raise MLPlatformError(f"--model {args.model!r}: no demo data; examples: {', '.join(DEMOS)}")
    if args.size is not None and args.size < 10:
        raise MLPlatformError("--size must be at least 10")
    store = open_feature_store(_settings(args)) if args.ingest else None
    paths = prepare(args.model, args.output, store, size=args.size, end=args.end_date, log=print)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


def _validated(specs: SpecRegistry, models: ModelRegistry) -> str:
    lines = [
        f"{spec.name}: {len(spec.features)} features, id={spec.record_identifier_feature}, "
        f"event_time={spec.event_time_feature}, ttl={spec.ttl}, sha256={spec.content_hash[:12]}"
        for spec in specs.values()
    ]
    lines += [
        f"model {m.name}: groups {', '.join(f'{g.group} on {g.join_key}' for g in m.feature_groups)}; "
        f"registered as {m.registered_model_name}, sha256={m.sha256[:12]}"
        for m in models.values()
    ]
    return "\n".join(lines)


def _listing(specs: SpecRegistry, models: ModelRegistry) -> str:
    lines = ["feature groups:"]
    for spec in specs.values():
        lines.append(f"  {spec.name} (id {spec.record_identifier_feature} {spec.id_type}, ttl {spec.ttl})")
        lines += [f"    {f.name:<24} {f.type:<10} {f.description}" for f in spec.value_features]
    lines.append("models:")
    for m in models.values():
        lines.append(f"  {m.name}: {m.description}")
        lines.append(f"    keys {', '.join(f'{k} {t}' for k, t in m.entity_keys.items())}; {m.estimator}")
        for g in m.feature_groups:
            chosen = ", ".join(g.features) if g.features else "all features"
            lines.append(f"    {g.group} on {g.join_key}: {chosen}")
    return "\n".join(lines)


def _training_set(args: argparse.Namespace) -> int:
    settings = _settings(args)
    store = open_feature_store(settings)
    spec = load_model(args.models_dir or model_specs_dir(), args.model, store.specs)
    if args.labels:
        labels_uri = str(args.labels)
    else:
        labels_uri = resolve_spec_uri(
            spec,
            spec.labels_uri,
            what="labels are",
            data_uri=args.data_uri,
            environment=args.environment,
            hint="--data-uri or --labels",
        )
    labels = read_table(labels_uri, what="labels file")
    frame = store.training_set(
        labels, dict(spec.selection), join_keys=spec.join_keys, timestamp=spec.label_time_column
    )
    args.output.parent.mkdir(parents=True, exist_ok=True)
    frame.write_parquet(args.output)
    print(
        json.dumps(
            {"model": spec.name, "rows": frame.height, "columns": frame.columns, "output": str(args.output)}
        )
    )
    return 0


COMMANDS = {
    "validate-specs": _specs,
    "list": _specs,
    "training-set": _training_set,
    "ingest": _ingest,
    "get-record": _get_record,
    "generate-demo-data": _demo_data,
}


def run(args: argparse.Namespace) -> int:
    return COMMANDS[args.command](args)


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
