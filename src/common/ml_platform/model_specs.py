"""Model specs: one YAML file per model (``models/<name>.yaml``), read by Python and Terraform.

A model spec says what a model joins (feature groups, each on its own key column of the
label/entity rows), what it learns from (labels), how it is trained and promoted, whom it
scores and where the predictions go. Terraform reads the same files with ``yamldecode`` to
create one training and one inference pipeline per model; the jobs read them from the image
(``MLP_MODEL_SPECS_DIR``) and check the file's sha256 against the pipeline parameter.

URIs may contain ``{data_uri}`` (the environment's data location, e.g. the data bucket) and
``{environment}``: one spec serves every environment.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from ml_platform import settings_table as st
from ml_platform.errors import ConfigError, MLPlatformError, SpecError
from ml_platform.estimators import ESTIMATORS, HIGHER_IS_BETTER, HYPERPARAMETERS, SPLITS
from ml_platform.specs import SpecRegistry, check_file_name, read_yaml

# A model name ends up in pipeline and schedule names: SageMaker pipeline names allow letters,
# digits and '-' only (PipelineName: ^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,255},
# https://docs.aws.amazon.com/sagemaker/latest/dg/API_CreatePipeline.html), and schedule names
# at most 64 characters, so names are short, lowercase and without '_'.
_NAME_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$")
_COLUMN_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_CRON_RE = re.compile(r"^cron\((\S+\s){5}\S+\)$")
_PLACEHOLDER_RE = re.compile(r"\{([a-z_]+)\}")
PLACEHOLDERS = ("data_uri", "environment")
_KEY_TYPES = ("String", "Integral")

_SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # section: (required fields, optional fields)
    "": (
        ("name", "description", "entity_keys", "feature_groups", "labels", "population", "training"),
        ("registered_model_name", "promotion", "inference", "monitoring", "schedules"),
    ),
    "labels": (("uri", "time_column", "label_column"), ("window",)),
    "labels.window": ((), ("start", "end")),
    "population": (("anchor_group",), ("entity_list_uri",)),
    "training": (("estimator",), ("hyperparameters", "split", "test_size")),
    "promotion": ((), ("metric", "margin", "floor")),
    "inference": (("kafka_topic",), ("threshold",)),
    "schedules": ((), ("training", "inference")),
    "monitoring": ((), ("drift",)),
    "monitoring.drift": ((), ("warn_psi", "fail_psi", "min_rows")),
}
_HYPER = {f.name: f for f in HYPERPARAMETERS}


@dataclass(frozen=True)
class GroupUse:
    """One feature group of a model: joined on ``join_key`` (a column of the entity rows)."""

    group: str
    join_key: str
    features: tuple[str, ...] | None  # None: every value feature of the group


@dataclass(frozen=True)
class ModelSpec:
    """A validated model spec. ``sha256`` is the file's bytes, as Terraform's ``filesha256``."""

    name: str
    description: str
    registered_model_name: str
    entity_keys: dict[str, str]  # key column -> String | Integral, in spec order
    feature_groups: tuple[GroupUse, ...]
    labels_uri: str
    label_time_column: str
    label_column: str
    label_window: tuple[datetime | None, datetime | None]
    anchor_group: str
    entity_list_uri: str
    estimator: str
    hyperparameters: dict[str, Any]
    split: str
    test_size: float
    promotion_metric: str
    promotion_margin: float
    promotion_floor: float
    threshold: float
    kafka_topic: str
    schedules: dict[str, str]
    # Feature drift limits of each inference run (PSI against the training rows, ml_platform.drift):
    # a feature at or above warn_psi is reported, one at or above fail_psi stops the run before
    # it publishes. 0.1 and 0.25 are the usual rule of thumb for PSI.
    drift_warn_psi: float = 0.1
    drift_fail_psi: float = 0.25
    drift_min_rows: int = 500  # a smaller population is not checked (PSI on a few rows is noise)
    source_path: Path | None = None
    sha256: str = field(default="", compare=False)

    @property
    def group_names(self) -> tuple[str, ...]:
        return tuple(g.group for g in self.feature_groups)

    @property
    def join_keys(self) -> dict[str, str]:
        """Feature group -> the entity column it is joined on."""
        return {g.group: g.join_key for g in self.feature_groups}

    @property
    def selection(self) -> dict[str, tuple[str, ...] | None]:
        """Feature group -> the features the model uses (None: all)."""
        return {g.group: g.features for g in self.feature_groups}

    def training_values(self) -> dict[str, Any]:
        """Training settings this spec provides (below MLP_* variables, hyperparameters and flags)."""
        start, end = self.label_window
        return {
            "model_name": self.registered_model_name,
            "estimator": self.estimator,
            **self.hyperparameters,
            "split": self.split,
            "test_size": self.test_size,
            "label_start_date": start,
            "label_end_date": end,
            "promotion_metric": self.promotion_metric,
            "promotion_margin": self.promotion_margin,
            "promotion_floor": self.promotion_floor,
        }

    def inference_values(self, environment: str) -> dict[str, Any]:
        """Inference settings this spec provides."""
        return {
            "model_name": self.registered_model_name,
            "threshold": self.threshold,
            "kafka_topic": resolve_template(self.kafka_topic, data_uri="", environment=environment),
        }


def resolve_template(template: str, *, data_uri: str, environment: str) -> str:
    """``{data_uri}`` and ``{environment}`` replaced (Terraform does the same with ``replace``)."""
    return template.replace("{data_uri}", data_uri.rstrip("/")).replace("{environment}", environment)


def resolve_spec_uri(
    spec: ModelSpec, template: str, *, what: str, data_uri: str, environment: str, hint: str
) -> str:
    """A URI of the spec for this environment; ``{data_uri}`` without a data_uri is an error
    naming the ``what`` ("labels are", "entity list is") and how to set one (``hint``)."""
    if "{data_uri}" in template and not data_uri:
        noun, verb = what.rsplit(" ", 1)
        raise ConfigError(
            f"the {noun} of model {spec.name} {verb} at {template!r}, but data_uri is not set: pass {hint}"
        )
    return resolve_template(template, data_uri=data_uri, environment=environment)


def _fail(path: Path | str, where: str, message: str) -> SpecError:
    return SpecError(f"{path}: field '{where}': {message}")


def _section(raw: Any, path: Path | str, where: str) -> Mapping[str, Any]:
    """A map with its required fields present and no unknown ones."""
    required, optional = _SECTIONS[where]
    if not isinstance(raw, Mapping):
        if where == "":
            raise SpecError(f"{path}: expected a YAML map at the top level, got {type(raw).__name__}")
        raise _fail(path, where, f"must be a map with {', '.join(required + optional)}")
    prefix = f"{where}." if where else ""
    allowed = required + optional
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise _fail(path, prefix + str(unknown[0]), f"unknown field; allowed fields are {', '.join(allowed)}")
    for key in required:
        if raw.get(key) is None:
            raise _fail(path, prefix + key, "is missing")
    return raw


def _text(raw: Mapping[str, Any], key: str, path: Path | str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"must be a non-empty string, got {value!r}")
    return value


def _column(raw: Mapping[str, Any], key: str, path: Path | str, where: str) -> str:
    value = _text(raw, key, path, where)
    if not _COLUMN_RE.match(value):
        raise _fail(path, where, f"{value!r} is not a column name (letters, digits, '_')")
    return value


def _uri(value: Any, path: Path | str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where, f"must be a non-empty string, got {value!r}")
    unknown = [p for p in _PLACEHOLDER_RE.findall(value) if p not in PLACEHOLDERS]
    if unknown:
        raise _fail(
            path,
            where,
            f"unknown placeholder {{{unknown[0]}}}; use {', '.join('{' + p + '}' for p in PLACEHOLDERS)}",
        )
    return value


def _setting(field_: st.Field, value: Any, path: Path | str, where: str) -> Any:
    try:
        return st.convert(field_, value, f"{path}: field '{where}'")
    except ConfigError as exc:
        raise SpecError(str(exc)) from None


def _number(
    raw: Mapping[str, Any], key: str, default: float, path: Path | str, *, where: str, check, requirement
):
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not check(value):
        raise _fail(path, where, f"must be a number {requirement}, got {value!r}")
    return float(value)


def _entity_keys(raw: Any, path: Path | str) -> dict[str, str]:
    if not isinstance(raw, Mapping) or not raw:
        raise _fail(path, "entity_keys", "must be a map of key column -> type, e.g. {user_id: String}")
    keys = {}
    for name, kind in raw.items():
        if not isinstance(name, str) or not _COLUMN_RE.match(name):
            raise _fail(path, f"entity_keys.{name}", f"{name!r} is not a column name (letters, digits, '_')")
        if kind not in _KEY_TYPES:
            raise _fail(
                path, f"entity_keys.{name}", f"type {kind!r} is not a key type; use String or Integral"
            )
        keys[name] = kind
    return keys


def _group_uses(raw: Any, path: Path | str, keys: Mapping[str, str]) -> tuple[GroupUse, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(
            path,
            "feature_groups",
            "must be a non-empty list of {group, join_key, features}; a model needs features",
        )
    uses, seen = [], set()
    for i, entry in enumerate(raw):
        where = f"feature_groups[{i}]"
        item = {"group": entry} if isinstance(entry, str) else entry
        if not isinstance(item, Mapping):
            raise _fail(path, where, "must be a group name or a map with group, join_key and features")
        extra = sorted(set(item) - {"group", "join_key", "features"})
        if extra:
            raise _fail(path, f"{where}.{extra[0]}", "unknown field; allowed: group, join_key, features")
        group = _text(item, "group", path, f"{where}.group")
        if group in seen:
            raise _fail(path, f"{where}.group", f"group {group!r} is listed twice")
        seen.add(group)
        join_key = item.get("join_key")
        if join_key is not None and join_key not in keys:
            raise _fail(
                path,
                f"{where}.join_key",
                f"{join_key!r} is not one of the entity_keys ({', '.join(keys)}); "
                "add it to entity_keys or name an existing key",
            )
        features = item.get("features")
        if features is not None and (
            not isinstance(features, list) or not features or not all(isinstance(f, str) for f in features)
        ):
            raise _fail(
                path, f"{where}.features", "must be a non-empty list of feature names, or left out for all"
            )
        uses.append(GroupUse(group, join_key or "", tuple(features) if features is not None else None))
    return tuple(uses)


def _window(raw: Any, path: Path | str) -> tuple[datetime | None, datetime | None]:
    if raw is None:
        return None, None
    section = _section(raw, path, "labels.window")
    bounds = []
    for key in ("start", "end"):
        value = section.get(key)
        bounds.append(None if value is None else _setting(_TIME, str(value), path, f"labels.window.{key}"))
    if bounds[0] and bounds[1] and bounds[0] >= bounds[1]:
        raise _fail(path, "labels.window", "start must be before end")
    return bounds[0], bounds[1]


_TIME = st.Field("time", st.optional_time, None, "")


def _training(raw: Any, path: Path | str) -> tuple[str, dict[str, Any], str, float]:
    section = _section(raw, path, "training")
    estimator = section["estimator"]
    if estimator not in ESTIMATORS:
        raise _fail(
            path, "training.estimator", f"unknown estimator {estimator!r}; use one of {', '.join(ESTIMATORS)}"
        )
    given = section.get("hyperparameters") or {}
    if not isinstance(given, Mapping):
        raise _fail(path, "training.hyperparameters", "must be a map of hyperparameter -> value")
    allowed = ESTIMATORS[estimator]
    values = {}
    for key, value in given.items():
        where = f"training.hyperparameters.{key}"
        if key not in allowed:
            raise _fail(path, where, f"not a hyperparameter of {estimator}; it takes {', '.join(allowed)}")
        values[key] = _setting(_HYPER[key], "none" if value is None else value, path, where)
    split = section.get("split", "time")
    if split not in SPLITS:
        raise _fail(path, "training.split", f"unknown split {split!r}; use one of {', '.join(SPLITS)}")
    test_size = _number(
        section,
        "test_size",
        0.2,
        path,
        where="training.test_size",
        check=lambda v: 0 < v < 1,
        requirement="in (0, 1)",
    )
    return estimator, values, split, test_size


def _schedules(top: Mapping[str, Any], path: Path | str) -> dict[str, str]:
    schedules = _section(top.get("schedules") or {}, path, "schedules")
    for key, cron in schedules.items():
        if cron is not None and not (isinstance(cron, str) and _CRON_RE.match(cron)):
            raise _fail(
                path,
                f"schedules.{key}",
                f"{cron!r} is not an EventBridge cron with six fields, e.g. cron(0 2 * * ? *)",
            )
    return {k: v for k, v in schedules.items() if v is not None}


def _labels(top: Mapping[str, Any], path: Path | str, keys: Mapping[str, str]) -> dict[str, Any]:
    """The ``labels`` section as ModelSpec fields."""
    labels = _section(top["labels"], path, "labels")
    label_time = _column(labels, "time_column", path, "labels.time_column")
    label_column = _column(labels, "label_column", path, "labels.label_column")
    if label_time in keys or label_column in keys or label_time == label_column:
        raise _fail(path, "labels", "time_column, label_column and the entity_keys must be different columns")
    return {
        "labels_uri": _uri(labels["uri"], path, "labels.uri"),
        "label_time_column": label_time,
        "label_column": label_column,
        "label_window": _window(labels.get("window"), path),
    }


def _population(top: Mapping[str, Any], path: Path | str, keys: Mapping[str, str]) -> dict[str, Any]:
    population = _section(top["population"], path, "population")
    entity_list = population.get("entity_list_uri")
    if entity_list is None and len(keys) > 1:
        raise _fail(
            path,
            "population.entity_list_uri",
            f"is missing; a model with several entity_keys ({', '.join(keys)}) scores an entity list "
            "holding every key column",
        )
    return {
        "anchor_group": _text(population, "anchor_group", path, "population.anchor_group"),
        "entity_list_uri": _uri(entity_list, path, "population.entity_list_uri") if entity_list else "",
    }


def _promotion(top: Mapping[str, Any], path: Path | str) -> dict[str, Any]:
    promotion = _section(top.get("promotion") or {}, path, "promotion")
    metric = promotion.get("metric", "roc_auc")
    if metric not in HIGHER_IS_BETTER:
        raise _fail(
            path, "promotion.metric", f"unknown metric {metric!r}; use one of {', '.join(HIGHER_IS_BETTER)}"
        )
    margin = _number(
        promotion, "margin", 0.0, path, where="promotion.margin", check=lambda v: v >= 0, requirement=">= 0"
    )
    floor = _number(
        promotion, "floor", 0.6, path, where="promotion.floor", check=lambda v: True, requirement=""
    )
    return {"promotion_metric": metric, "promotion_margin": margin, "promotion_floor": floor}


def _inference(top: Mapping[str, Any], path: Path | str, name: str) -> dict[str, Any]:
    default = {"kafka_topic": f"{name}-predictions-{{environment}}"}
    inference = _section(top.get("inference") or default, path, "inference")
    threshold = _number(
        inference,
        "threshold",
        0.5,
        path,
        where="inference.threshold",
        check=lambda v: 0 <= v <= 1,
        requirement="in [0, 1]",
    )
    return {
        "threshold": threshold,
        "kafka_topic": _uri(inference["kafka_topic"], path, "inference.kafka_topic"),
    }


def _monitoring(top: Mapping[str, Any], path: Path | str) -> dict[str, float]:
    monitoring = _section(top.get("monitoring") or {}, path, "monitoring")
    drift = _section(monitoring.get("drift") or {}, path, "monitoring.drift")
    positive = {"check": lambda v: v > 0, "requirement": "> 0"}
    warn = _number(drift, "warn_psi", 0.1, path, where="monitoring.drift.warn_psi", **positive)
    fail = _number(drift, "fail_psi", 0.25, path, where="monitoring.drift.fail_psi", **positive)
    if fail < warn:
        raise _fail(path, "monitoring.drift.fail_psi", f"must be at least warn_psi ({warn}), got {fail}")
    rows = _number(
        drift,
        "min_rows",
        500,
        path,
        where="monitoring.drift.min_rows",
        check=lambda v: v >= 0 and v == int(v),
        requirement="(a whole number >= 0)",
    )
    return {"drift_warn_psi": warn, "drift_fail_psi": fail, "drift_min_rows": int(rows)}


def spec_from_dict(raw: Any, path: Path | str = "<model spec>", sha256: str = "") -> ModelSpec:
    """Check a decoded model spec on its own (groups are checked by :func:`check_against_groups`)."""
    top = _section(raw, path, "")
    name = _text(top, "name", path, "name")
    if not _NAME_RE.match(name):
        raise _fail(
            path, "name", f"{name!r} is not a valid model name: 1-32 lowercase letters, digits or '-'"
        )
    keys = _entity_keys(top["entity_keys"], path)
    uses = _group_uses(top["feature_groups"], path, keys)
    schedules = _schedules(top, path)
    estimator, hyper, split, test_size = _training(top["training"], path)
    return ModelSpec(
        name=name,
        description=_text(top, "description", path, "description"),
        registered_model_name=_text(
            top, "registered_model_name", path, "registered_model_name", default=name
        ),
        entity_keys=keys,
        feature_groups=uses,
        **_labels(top, path, keys),
        **_population(top, path, keys),
        estimator=estimator,
        hyperparameters=hyper,
        split=split,
        test_size=test_size,
        **_promotion(top, path),
        **_inference(top, path, name),
        **_monitoring(top, path),
        schedules=schedules,
        source_path=Path(path),
        sha256=sha256,
    )


def _checked_use(spec: ModelSpec, i: int, use: GroupUse, groups: SpecRegistry) -> GroupUse:
    """``use`` (``feature_groups[i]``) with its default join key, checked against its group."""
    path = spec.source_path or spec.name
    if use.group not in groups:
        known = ", ".join(sorted(groups)) or "none"
        raise _fail(
            path,
            f"feature_groups[{i}].group",
            f"unknown feature group {use.group!r}; groups defined: {known}",
        )
    group = groups[use.group]
    if not use.join_key:
        if group.record_identifier_feature not in spec.entity_keys:
            raise _fail(
                path,
                f"feature_groups[{i}].join_key",
                f"is missing and {use.group}'s record identifier {group.record_identifier_feature!r} is not "
                f"an entity key; set join_key to one of {', '.join(spec.entity_keys)}",
            )
        use = GroupUse(use.group, group.record_identifier_feature, use.features)
    names = [f.name for f in group.value_features]
    unknown = [f for f in use.features or () if f not in names]
    if unknown:
        raise _fail(
            path,
            f"feature_groups[{i}].features",
            f"{use.group} has no feature {unknown[0]!r}; it has {', '.join(names)}",
        )
    key_type = spec.entity_keys[use.join_key]
    if key_type != group.id_type:
        raise _fail(
            path,
            f"feature_groups[{i}].join_key",
            f"entity key {use.join_key!r} is {key_type} but {use.group}'s record identifier "
            f"{group.record_identifier_feature!r} is {group.id_type}; use a key of the same type",
        )
    return use


def _check_unique_features(spec: ModelSpec, groups: SpecRegistry) -> None:
    seen: dict[str, str] = {}
    for use in spec.feature_groups:
        for feature in use.features or [f.name for f in groups[use.group].value_features]:
            if feature in seen:
                raise _fail(
                    spec.source_path or spec.name,
                    "feature_groups",
                    f"feature {feature!r} is in both {seen[feature]} and {use.group}; select features so "
                    "that names are unique across the model's groups",
                )
            seen[feature] = use.group


def check_against_groups(spec: ModelSpec, groups: SpecRegistry) -> ModelSpec:
    """The spec with default join keys filled in, once its groups, features and keys are checked.

    A group's default join key is its record identifier's name, which must be an entity key.
    Raises SpecError naming the file and the field.
    """
    uses = tuple(_checked_use(spec, i, use, groups) for i, use in enumerate(spec.feature_groups))
    spec = replace(spec, feature_groups=uses)
    if spec.anchor_group not in spec.group_names:
        raise _fail(
            spec.source_path or spec.name,
            "population.anchor_group",
            f"{spec.anchor_group!r} is not one of the model's feature_groups ({', '.join(spec.group_names)})",
        )
    _check_unique_features(spec, groups)
    return spec


def load_model_spec(path: Path | str) -> ModelSpec:
    """Load one spec file; its file name must be ``<name>.yaml``."""
    path = Path(path)
    raw, content = read_yaml(path, "model spec")
    spec = spec_from_dict(raw, path, hashlib.sha256(content).hexdigest())
    check_file_name(path, spec.name)
    return spec


class ModelRegistry(Mapping[str, ModelSpec]):
    """Every model spec of a folder, checked against the feature groups."""

    def __init__(self, specs: Iterable[ModelSpec], directory: Path | None = None):
        self._specs: dict[str, ModelSpec] = {}
        self.directory = directory
        registered: dict[str, str] = {}
        for spec in specs:
            other = registered.get(spec.registered_model_name)
            if other is not None:
                raise _fail(
                    spec.source_path or spec.name,
                    "registered_model_name",
                    f"{spec.registered_model_name!r} is also the registered model of {other}; "
                    "two models cannot share one MLflow registered model",
                )
            registered[spec.registered_model_name] = str(spec.source_path or spec.name)
            self._specs[spec.name] = spec

    @classmethod
    def from_directory(cls, directory: Path | str, groups: SpecRegistry) -> ModelRegistry:
        directory = Path(directory)
        if not directory.is_dir():
            raise SpecError(
                f"{directory}: model spec directory not found; "
                "set MLP_MODEL_SPECS_DIR to the folder holding the <model>.yaml files"
            )
        files = sorted(directory.glob("*.yaml"))
        lowered: dict[str, Path] = {}
        for file in files:
            if file.stem.lower() in lowered:
                raise _fail(
                    file,
                    "name",
                    f"two models named {file.stem!r} ({lowered[file.stem.lower()].name}); rename one",
                )
            lowered[file.stem.lower()] = file
        return cls((check_against_groups(load_model_spec(f), groups) for f in files), directory)

    def __getitem__(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            where = f" in {self.directory}" if self.directory else ""
            raise SpecError(f"unknown model {name!r}; models defined{where}: {known}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)


def load_model(directory: Path, name: str, groups: SpecRegistry, *, sha256: str = "") -> ModelSpec:
    """One model's spec, checked against the groups and, when given, against the expected sha256."""
    path = directory / f"{name}.yaml"
    if not path.is_file():
        known = ", ".join(sorted(p.stem for p in directory.glob("*.yaml"))) or "none"
        raise ConfigError(f"unknown model {name!r}: no {path}; models defined in {directory}: {known}")
    spec = check_against_groups(load_model_spec(path), groups)
    if sha256 and sha256 != spec.sha256:
        raise MLPlatformError(
            f"{path} has sha256 {spec.sha256[:12]}... but the pipeline was deployed with {sha256[:12]}...; "
            "the image and the deployed pipeline come from different commits: push the image of the "
            "deployed commit (build_push_ecr.sh) or re-apply Terraform"
        )
    return spec


def load_job_model(name: str, *, sha256: str = "", env: Mapping[str, str] | None = None) -> ModelSpec:
    """The model spec a job runs (``MLP_MODEL_SPECS_DIR``), checked against the feature groups."""
    from ml_platform.config import model_specs_dir, specs_dir

    return load_model(model_specs_dir(env), name, SpecRegistry.from_directory(specs_dir(env)), sha256=sha256)
