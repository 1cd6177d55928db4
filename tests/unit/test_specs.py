"""Feature group spec loading and validation."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ml_platform.errors import SpecError
from ml_platform.specs import SpecRegistry, load_spec

pytestmark = pytest.mark.unit

VALID = {
    "name": "orders",
    "description": "Orders per customer.",
    "record_identifier_feature": "customer_id",
    "event_time_feature": "event_time",
    "online_store_enabled": True,
    "offline_store_enabled": True,
    "ttl_duration": {"unit": "Days", "value": 7},
    "features": [
        {"name": "customer_id", "type": "String", "description": "id"},
        {"name": "event_time", "type": "String", "description": "time"},
        {"name": "orders_7d", "type": "Integral", "description": "count"},
    ],
}


def write(tmp_path: Path, doc: dict, name: str = "orders") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def variant(**changes) -> dict:
    doc = {**VALID, "features": [dict(f) for f in VALID["features"]]}
    doc.update(changes)
    return doc


def test_repository_specs_load(specs):
    assert set(specs) == {
        "customer_profile",
        "customer_activity",
        "customer_billing",
        "machine_telemetry",
        "site_conditions",
    }
    profile = specs["customer_profile"]
    assert profile.record_identifier_feature == "customer_id"
    assert profile.ttl is not None and profile.ttl.days == 730
    assert len(profile.content_hash) == 64


def test_valid_spec_loads(tmp_path):
    spec = load_spec(write(tmp_path, VALID))
    assert [f.name for f in spec.value_features] == ["orders_7d"]
    assert spec.id_type == "String"


@pytest.mark.parametrize(
    ("doc", "field", "message"),
    [
        (
            variant(features=[*VALID["features"], {"name": "x", "type": "Float", "description": "d"}]),
            "features[3].type",
            "unknown type 'Float'",
        ),
        (
            variant(
                features=[*VALID["features"], {"name": "Orders_7d", "type": "Integral", "description": "d"}]
            ),
            "features[3].name",
            "duplicate feature",
        ),
        (
            variant(record_identifier_feature="missing"),
            "record_identifier_feature",
            "not one of the features",
        ),
        (variant(event_time_feature="orders_7d"), "event_time_feature", "must have type String"),
        (
            variant(
                features=[*VALID["features"], {"name": "write_time", "type": "String", "description": "d"}]
            ),
            "features[3].name",
            "reserved",
        ),
        (variant(ttl_duration={"unit": "Months", "value": 1}), "ttl_duration.unit", "unknown unit"),
        (variant(ttl_duration={"unit": "Days", "value": 0}), "ttl_duration.value", "positive integer"),
        (variant(online_store_enabled="yes"), "online_store_enabled", "true or false"),
        (variant(featurs=[]), "featurs", "unknown field"),
        ({k: v for k, v in VALID.items() if k != "description"}, "description", "is missing"),
    ],
)
def test_invalid_spec_names_file_and_field(tmp_path, doc, field, message):
    path = write(tmp_path, doc)
    with pytest.raises(SpecError) as err:
        load_spec(path)
    text = str(err.value)
    assert str(path) in text
    assert f"field '{field}'" in text
    assert message in text


def test_file_name_must_match_group_name(tmp_path):
    path = write(tmp_path, VALID, name="other")
    with pytest.raises(SpecError, match=r"rename the file to orders\.yaml"):
        load_spec(path)


def test_invalid_yaml_names_file(tmp_path):
    path = tmp_path / "orders.yaml"
    path.write_text("name: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(path)


def test_unknown_group_lists_known_ones(specs):
    with pytest.raises(SpecError, match=r"unknown feature group 'nope'.*customer_activity"):
        specs["nope"]
    assert "nope" not in specs


def test_empty_directory_is_an_error(tmp_path):
    with pytest.raises(SpecError, match="no feature group specs"):
        SpecRegistry.from_directory(tmp_path)
