"""Feature group specs: one YAML file per feature group, read by Python and Terraform.

The YAML shape is deliberately plain (maps, lists, scalars) so that Terraform's
``yamldecode`` reads the same files to create ``aws_sagemaker_feature_group``s.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from ml_platform.errors import SpecError

FEATURE_TYPES = ("String", "Integral", "Fractional")
TTL_UNITS = {
    "Seconds": timedelta(seconds=1),
    "Minutes": timedelta(minutes=1),
    "Hours": timedelta(hours=1),
    "Days": timedelta(days=1),
    "Weeks": timedelta(weeks=1),
}
# Columns SageMaker adds to every offline-store record, plus the Glue partition keys.
RESERVED_FEATURE_NAMES = frozenset(
    {"write_time", "api_invocation_time", "is_deleted", "year", "month", "day", "hour"}
)
# SageMaker allows 64 characters; keep room for an environment prefix such as "ml-platform-staging-".
MAX_GROUP_NAME_LENGTH = 40
_NAME_RE = re.compile(r"^[a-zA-Z0-9]([_-]*[a-zA-Z0-9]){0,63}$")
_REQUIRED_KEYS = (
    "name",
    "description",
    "record_identifier_feature",
    "event_time_feature",
    "online_store_enabled",
    "offline_store_enabled",
    "ttl_duration",
    "features",
)


@dataclass(frozen=True)
class FeatureSpec:
    """One feature: its name, SageMaker type and description."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class FeatureGroupSpec:
    """A validated feature group spec."""

    name: str
    description: str
    record_identifier_feature: str
    event_time_feature: str
    features: tuple[FeatureSpec, ...]
    online_store_enabled: bool
    offline_store_enabled: bool
    ttl: timedelta | None
    source_path: Path | None = None
    content_hash: str = field(default="", compare=False)

    @property
    def feature_names(self) -> list[str]:
        return [f.name for f in self.features]

    @property
    def value_features(self) -> list[FeatureSpec]:
        """Features other than the record identifier and the event time."""
        keys = {self.record_identifier_feature, self.event_time_feature}
        return [f for f in self.features if f.name not in keys]

    def feature(self, name: str) -> FeatureSpec:
        for f in self.features:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def id_type(self) -> str:
        return self.feature(self.record_identifier_feature).type

    @property
    def event_time_type(self) -> str:
        return self.feature(self.event_time_feature).type


def _fail(path: Path | str, field_name: str, message: str) -> SpecError:
    return SpecError(f"{path}: field '{field_name}': {message}")


def _require_str(raw: Mapping[str, Any], key: str, path: Path | str, where: str | None = None) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _fail(path, where or key, f"must be a non-empty string, got {value!r}")
    return value


def _require_bool(raw: Mapping[str, Any], key: str, path: Path | str) -> bool:
    value = raw.get(key)
    if not isinstance(value, bool):
        raise _fail(path, key, f"must be true or false, got {value!r}")
    return value


def _parse_ttl(raw: Any, path: Path | str) -> timedelta | None:
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or set(raw) != {"unit", "value"}:
        raise _fail(path, "ttl_duration", "must be null or a map with exactly 'unit' and 'value'")
    unit, value = raw["unit"], raw["value"]
    if unit not in TTL_UNITS:
        raise _fail(path, "ttl_duration.unit", f"unknown unit {unit!r}; use one of {', '.join(TTL_UNITS)}")
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise _fail(path, "ttl_duration.value", f"must be a positive integer, got {value!r}")
    return TTL_UNITS[unit] * value


def _check_fields(raw: Any, path: Path | str) -> None:
    if not isinstance(raw, Mapping):
        raise SpecError(f"{path}: expected a YAML map at the top level, got {type(raw).__name__}")
    unknown = sorted(set(raw) - set(_REQUIRED_KEYS))
    if unknown:
        raise _fail(path, unknown[0], f"unknown field; allowed fields are {', '.join(_REQUIRED_KEYS)}")
    for key in _REQUIRED_KEYS:
        if key not in raw:
            raise _fail(path, key, "is missing")


def _parse_name(raw: Mapping[str, Any], path: Path | str) -> str:
    name = _require_str(raw, "name", path)
    if not _NAME_RE.match(name) or len(name) > MAX_GROUP_NAME_LENGTH:
        raise _fail(
            path,
            "name",
            f"{name!r} is not a valid feature group name: use letters, digits, '-' or '_', "
            f"start and end with a letter or digit, at most {MAX_GROUP_NAME_LENGTH} characters",
        )
    return name


def _parse_feature(item: Any, where: str, seen: dict[str, str], path: Path | str) -> FeatureSpec:
    """One entry of ``features``; ``seen`` maps the lower-cased names so far to where they are."""
    if not isinstance(item, Mapping):
        raise _fail(path, where, "must be a map with name, type and description")
    extra = sorted(set(item) - {"name", "type", "description"})
    if extra:
        raise _fail(path, f"{where}.{extra[0]}", "unknown field; allowed: name, type, description")
    name = _require_str(item, "name", path, f"{where}.name")
    if not _NAME_RE.match(name):
        raise _fail(
            path, f"{where}.name", f"{name!r} is not a valid feature name (letters, digits, '-', '_')"
        )
    if name.lower() in RESERVED_FEATURE_NAMES:
        raise _fail(
            path, f"{where}.name", f"{name!r} is reserved by the SageMaker offline store; rename the feature"
        )
    if name.lower() in seen:
        raise _fail(
            path,
            f"{where}.name",
            f"duplicate feature {name!r} (also {seen[name.lower()]}); names must be unique, ignoring case",
        )
    seen[name.lower()] = where
    ftype = item.get("type")
    if ftype not in FEATURE_TYPES:
        raise _fail(path, f"{where}.type", f"unknown type {ftype!r}; use one of {', '.join(FEATURE_TYPES)}")
    return FeatureSpec(name, ftype, _require_str(item, "description", path, f"{where}.description"))


def _parse_features(raw: Any, path: Path | str) -> tuple[FeatureSpec, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(path, "features", "must be a non-empty list of {name, type, description}")
    seen: dict[str, str] = {}
    return tuple(_parse_feature(item, f"features[{i}]", seen, path) for i, item in enumerate(raw))


def _key_feature(
    raw: Mapping[str, Any], key: str, by_name: Mapping[str, FeatureSpec], path: Path | str
) -> str:
    """The feature named by ``key`` (record identifier or event time), checked to exist and be typed right."""
    name = _require_str(raw, key, path)
    if name not in by_name:
        raise _fail(path, key, f"{name!r} is not one of the features; add it to 'features'")
    allowed, shown = _KEY_FEATURE_TYPES[key]
    if by_name[name].type not in allowed:
        raise _fail(path, key, f"{name!r} must have type {shown}")
    return name


_KEY_FEATURE_TYPES = {
    "record_identifier_feature": (("String", "Integral"), "String or Integral"),
    "event_time_feature": (("String", "Fractional"), "String (ISO-8601) or Fractional (Unix seconds)"),
}


def _parse_stores(raw: Mapping[str, Any], path: Path | str) -> tuple[bool, bool]:
    online = _require_bool(raw, "online_store_enabled", path)
    offline = _require_bool(raw, "offline_store_enabled", path)
    if not (online or offline):
        raise _fail(
            path, "online_store_enabled", "at least one of the online and offline stores must be enabled"
        )
    return online, offline


def spec_from_dict(raw: Any, path: Path | str = "<spec>") -> FeatureGroupSpec:
    """Validate a decoded spec document and build a :class:`FeatureGroupSpec`.

    Raises:
        SpecError: naming the file and the field that is wrong, and what is allowed.
    """
    _check_fields(raw, path)
    name = _parse_name(raw, path)
    description = _require_str(raw, "description", path)
    features = _parse_features(raw["features"], path)
    by_name = {f.name: f for f in features}
    id_name = _key_feature(raw, "record_identifier_feature", by_name, path)
    time_name = _key_feature(raw, "event_time_feature", by_name, path)
    if time_name == id_name:
        raise _fail(path, "event_time_feature", "must differ from record_identifier_feature")
    online, offline = _parse_stores(raw, path)
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), default=str)
    return FeatureGroupSpec(
        name=name,
        description=description,
        record_identifier_feature=id_name,
        event_time_feature=time_name,
        features=features,
        online_store_enabled=online,
        offline_store_enabled=offline,
        ttl=_parse_ttl(raw["ttl_duration"], path),
        source_path=Path(path) if not isinstance(path, Path) else path,
        content_hash=hashlib.sha256(canonical.encode()).hexdigest(),
    )


def read_yaml(path: Path, what: str) -> tuple[Any, bytes]:
    """A spec file's decoded YAML and its bytes (for the hash); errors name the file."""
    try:
        content = path.read_bytes()
        return yaml.safe_load(content.decode("utf-8")), content
    except OSError as exc:
        raise SpecError(f"{path}: cannot read {what}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise SpecError(f"{path}: not valid YAML: {exc}") from exc


def check_file_name(path: Path, name: str) -> None:
    if path.stem != name:
        raise _fail(path, "name", f"{name!r} must match the file name; rename the file to {name}.yaml")


def load_spec(path: Path | str) -> FeatureGroupSpec:
    """Load and validate one spec file; its file name must be ``<name>.yaml``."""
    path = Path(path)
    spec = spec_from_dict(read_yaml(path, "spec file")[0], path)
    check_file_name(path, spec.name)
    return spec


class SpecRegistry(Mapping[str, FeatureGroupSpec]):
    """All feature group specs of a directory, by name."""

    def __init__(self, specs: Iterable[FeatureGroupSpec], directory: Path | None = None):
        self._specs = {s.name: s for s in specs}
        self.directory = directory

    @classmethod
    def from_directory(cls, directory: Path | str) -> SpecRegistry:
        directory = Path(directory)
        if not directory.is_dir():
            raise SpecError(
                f"{directory}: feature group spec directory not found; "
                "set MLP_FEATURE_SPECS_DIR to the folder holding the <group>.yaml files"
            )
        files = sorted(directory.glob("*.yaml"))
        if not files:
            raise SpecError(f"{directory}: no feature group specs (*.yaml) found")
        return cls((load_spec(f) for f in files), directory)

    def __getitem__(self, name: str) -> FeatureGroupSpec:
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            where = f" in {self.directory}" if self.directory else ""
            raise SpecError(f"unknown feature group {name!r}; groups defined{where}: {known}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self):
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)
