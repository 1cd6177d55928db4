"""The one settings layer: typed settings declared once, as fields of a frozen dataclass, and
read from several sources in order.

Each setting (``name: type = setting(default, parse, help, ...)``) has an environment
variable ``MLP_<NAME>``, a SageMaker hyperparameter or argument key ``<name>`` (values arrive
as strings) and a flag ``--<name-with-dashes>``. Later sources win: default < model spec <
environment < hyperparameters < flags. Every error names the source and the setting.

Why not pydantic-settings: its errors name the field, not the source the bad value came
from, and the user-facing messages (``docs/bad-input.md``) say which hyperparameter file,
variable or flag to fix; SageMaker's all-strings hyperparameters need the same conversions
as environment variables, which this layer applies once per source.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ml_platform.errors import ConfigError

log = logging.getLogger(__name__)
T = TypeVar("T")

_NONE = ("", "none", "null")


# Here, not in ml_platform.timeutil (polars expressions): settings are read before the inference
# job starts its model_registry child, and polars costs ~0.1 s to import.
def parse_timestamp(text: str, setting: str = "timestamp") -> datetime:
    """Parse one ISO-8601 timestamp given by a user (flag or env var) into an aware UTC datetime.

    A date alone means midnight UTC; a time without a zone is taken as UTC.
    """
    raw = text.strip()
    if raw.lower() == "now":
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            f"{setting}={text!r} is not an ISO-8601 timestamp; use e.g. 2026-01-31T00:00:00Z"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def text(value: str) -> str:
    return value


def integer(value: str) -> int:
    return int(value)


def number(value: str) -> float:
    return float(value)


def optional_int(value: str) -> int | None:
    return None if value.strip().lower() in (*_NONE, "0") else int(value)


def optional_float(value: str) -> float | None:
    return None if value.strip().lower() in _NONE else float(value)


def optional_time(value: str) -> datetime | None:
    return None if value.strip().lower() in _NONE else parse_timestamp(value)


def names(value: str) -> tuple[str, ...]:
    return tuple(v.strip() for v in value.split(",") if v.strip())


def boolean(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(value)


_KINDS = {
    integer: "an integer",
    optional_int: "an integer or none",
    number: "a number",
    optional_float: "a number or none",
    optional_time: "an ISO-8601 date or timestamp",
    boolean: "true or false",
}


@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[str], Any]
    default: Any
    help: str
    choices: tuple[str, ...] | None = None
    check: Callable[[Any], bool] | None = None
    requirement: str = ""
    secret: bool = False
    env: str = ""  # the environment variable; default MLP_<NAME>
    error: str = ""  # a message of its own for a bad value: {env} and {raw} are filled in

    @property
    def env_name(self) -> str:
        return self.env or f"MLP_{self.name.upper()}"


_SETTING = "ml_platform.setting"


def setting(default: Any, parse: Callable[[str], Any], help: str, **options: Any) -> Any:
    """A dataclass field that is a setting (see :class:`Field` for the options)."""
    declared = Field("", parse, default, help, **options)
    return dataclasses.field(default=default, repr=not declared.secret, metadata={_SETTING: declared})


def share(default: float, help: str) -> Any:
    """A setting that is a share or a probability: a number in [0, 1]."""
    return setting(default, number, help, check=lambda v: 0 <= v <= 1, requirement="in [0, 1]")


def count(default: int, help: str) -> Any:
    """A setting that counts something: a whole number >= 1."""
    return setting(default, integer, help, check=lambda v: v >= 1, requirement=">= 1")


def from_field(declared: Field) -> Any:
    """A dataclass field for a setting declared elsewhere (e.g. a shared hyperparameter)."""
    return dataclasses.field(
        default=declared.default, repr=not declared.secret, metadata={_SETTING: declared}
    )


def table(cls: type) -> tuple[Field, ...]:
    """The settings of a settings dataclass, in declaration order."""
    return tuple(
        dataclasses.replace(f.metadata[_SETTING], name=f.name, default=f.default)
        for f in fields(cls)
        if _SETTING in f.metadata
    )


def convert(field: Field, raw: Any, source: str) -> Any:
    """Parse one raw value (a string, or a JSON value) and check it; errors name the source."""
    if not isinstance(raw, str):
        raw = json.dumps(raw) if not isinstance(raw, (int, float)) else str(raw)
    value_text = raw.strip()
    if len(value_text) >= 2 and value_text[0] == value_text[-1] == '"':  # SageMaker SDK JSON-encodes strings
        value_text = value_text[1:-1]
    shown = "***" if field.secret else repr(raw)
    try:
        value = field.parse(value_text)
    except (ValueError, ConfigError):
        if field.error:
            raise ConfigError(field.error.format(env=field.env_name, raw=raw)) from None
        raise ConfigError(
            f"{source}: {field.name}={shown} is not {_KINDS.get(field.parse, 'valid')}"
        ) from None
    if field.error and (
        (field.choices and value not in field.choices) or (field.check and not field.check(value))
    ):
        raise ConfigError(field.error.format(env=field.env_name, raw=raw))
    if field.choices and value not in field.choices:
        raise ConfigError(
            f"{source}: {field.name}={shown} is not allowed; use one of {', '.join(field.choices)}"
        )
    if field.check and not field.check(value):
        raise ConfigError(f"{source}: {field.name}={shown} must be {field.requirement}")
    return value


def read_json_object(path: Path, what: str) -> dict[str, Any]:
    """A JSON file that must hold an object (of ``what``); a clear error naming the file otherwise."""
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a JSON object of {what}")
    return raw


def read_json_settings(path: Path, table: Sequence[Field], what: str = "hyperparameter") -> dict[str, str]:
    """A JSON object of settings (e.g. SageMaker's hyperparameters.json); unknown keys are an error."""
    known_names = {f.name for f in table}
    raw = read_json_object(path, f"{what}s")
    known = {}
    for key, value in raw.items():
        if key.startswith("sagemaker_"):
            log.debug("ignoring SageMaker setting %s", key)
            continue
        if key not in known_names:
            raise ConfigError(f"{path}: unknown {what} {key!r}; known: {', '.join(sorted(known_names))}")
        known[key] = value
    return known


def add_arguments(parser: argparse.ArgumentParser, table: Sequence[Field], title: str) -> None:
    group = parser.add_argument_group(title)
    for f in table:
        default = ",".join(f.default) if isinstance(f.default, tuple) else f.default
        shown = "" if f.secret else f"; default {default!r}"
        group.add_argument(
            f"--{f.name.replace('_', '-')}",
            dest=f.name,
            default=None,
            metavar=f.name.upper() if not f.choices else "{" + ",".join(f.choices) + "}",
            help=f"{f.help} (env {f.env_name}{shown})",
        )


def resolve_table(
    cls: type[T],
    *,
    flags: Mapping[str, Any] | None = None,
    overrides: Mapping[str, str] | None = None,
    env: Mapping[str, str],
    overrides_source: str = "settings file",
    spec_values: Mapping[str, Any] | None = None,
    **derived: Any,
) -> T:
    """Build the settings dataclass ``cls`` from defaults, the model spec's values (already
    checked), env, overrides and flags; ``derived`` gives its fields that are not settings."""
    values: dict[str, Any] = dict(derived)
    for f in table(cls):
        value = f.default
        if spec_values and spec_values.get(f.name) is not None:
            value = spec_values[f.name]
        if env.get(f.env_name, "") != "":
            value = convert(f, env[f.env_name], f"environment {f.env_name}")
        # An empty value (e.g. a pipeline parameter left at its "" default) sets nothing.
        if overrides and _given(overrides.get(f.name)):
            value = convert(f, overrides[f.name], overrides_source)
        if flags and _given(flags.get(f.name)):
            value = convert(f, flags[f.name], f"flag --{f.name.replace('_', '-')}")
        values[f.name] = value
    return cls(**values)


def _given(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and value.strip() in ("", '""'))
