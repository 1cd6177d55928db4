"""Model specs: the bundled ones load; each kind of mistake names the file and the field."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import pytest
import yaml

from ml_platform.errors import SpecError
from ml_platform.model_specs import ModelRegistry, load_model
from tests.conftest import MODELS_DIR

pytestmark = pytest.mark.unit

VALID = {
    "name": "orders",
    "description": "test model",
    "entity_keys": {"customer_id": "String", "machine_no": "Integral"},
    "feature_groups": [
        {"group": "customer_profile"},
        {"group": "machine_telemetry", "join_key": "machine_no", "features": ["temperature_c"]},
    ],
    "labels": {"uri": "{data_uri}/orders.parquet", "time_column": "t", "label_column": "y"},
    "population": {"anchor_group": "customer_profile", "entity_list_uri": "{data_uri}/entities.parquet"},
    "training": {"estimator": "random_forest", "hyperparameters": {"n_estimators": 5}},
}


def write(folder: Path, doc: dict, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or doc['name']}.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def registry(folder: Path, specs) -> ModelRegistry:
    return ModelRegistry.from_directory(folder, specs)


def test_bundled_models_load_with_their_join_keys_and_file_hash(specs):
    models = registry(MODELS_DIR, specs)
    assert set(models) == {"churn", "maintenance"}
    maintenance = models["maintenance"]
    assert maintenance.join_keys == {"machine_telemetry": "machine_id", "site_conditions": "site"}
    assert maintenance.entity_keys == {"machine_id": "Integral", "site": "String"}
    assert maintenance.sha256 == hashlib.sha256((MODELS_DIR / "maintenance.yaml").read_bytes()).hexdigest()
    assert models["churn"].registered_model_name == "churn-classifier"


def test_a_valid_spec_fills_the_default_join_key(tmp_path, specs):
    write(tmp_path, VALID)
    spec = registry(tmp_path, specs)["orders"]
    assert spec.join_keys == {"customer_profile": "customer_id", "machine_telemetry": "machine_no"}
    assert spec.selection["machine_telemetry"] == ("temperature_c",)
    assert spec.training_values()["n_estimators"] == 5


def mutated(change) -> dict:
    doc = copy.deepcopy(VALID)
    change(doc)
    return doc


CASES = {
    "unknown group": (
        lambda d: d["feature_groups"].append({"group": "customer_churn", "join_key": "customer_id"}),
        r"orders.yaml: field 'feature_groups\[2\].group': unknown feature group 'customer_churn'; groups defined: ",
    ),
    "unknown feature": (
        lambda d: d["feature_groups"][1].update(features=["temp"]),
        r"field 'feature_groups\[1\].features': machine_telemetry has no feature 'temp'; it has temperature_c, ",
    ),
    "join key not among the label keys": (
        lambda d: d["feature_groups"][1].update(join_key="machine_id"),
        r"field 'feature_groups\[1\].join_key': 'machine_id' is not one of the entity_keys \(customer_id, machine_no\)",
    ),
    "default join key not among the label keys": (
        lambda d: d["feature_groups"][1].pop("join_key"),
        r"field 'feature_groups\[1\].join_key': is missing and machine_telemetry's record identifier 'machine_id' "
        r"is not an entity key; set join_key to one of customer_id, machine_no",
    ),
    "join key of another type": (
        lambda d: d["entity_keys"].update(machine_no="String"),
        r"field 'feature_groups\[1\].join_key': entity key 'machine_no' is String but machine_telemetry's record "
        r"identifier 'machine_id' is Integral; use a key of the same type",
    ),
    "no features": (
        lambda d: d.update(feature_groups=[]),
        r"field 'feature_groups': must be a non-empty list of \{group, join_key, features\}; a model needs features",
    ),
    "several keys and no entity list": (
        lambda d: d["population"].pop("entity_list_uri"),
        r"field 'population.entity_list_uri': is missing; a model with several entity_keys",
    ),
    "anchor not among the groups": (
        lambda d: d["population"].update(anchor_group="customer_billing"),
        r"field 'population.anchor_group': 'customer_billing' is not one of the model's feature_groups",
    ),
    "hyperparameter of another estimator": (
        lambda d: d["training"]["hyperparameters"].update(learning_rate=0.1),
        r"field 'training.hyperparameters.learning_rate': not a hyperparameter of random_forest; it takes ",
    ),
    "hyperparameter out of range": (
        lambda d: d["training"]["hyperparameters"].update(n_estimators=0),
        r"field 'training.hyperparameters.n_estimators': n_estimators='0' must be in \[1, 10000\]",
    ),
    "malformed cron": (
        lambda d: d.update(schedules={"training": "every day"}),
        r"field 'schedules.training': 'every day' is not an EventBridge cron with six fields",
    ),
    "unknown placeholder": (
        lambda d: d["labels"].update(uri="{bucket}/x.parquet"),
        r"field 'labels.uri': unknown placeholder \{bucket\}; use \{data_uri\}, \{environment\}",
    ),
    "unknown field": (
        lambda d: d.update(owner="me"),
        r"field 'owner': unknown field; allowed fields are name, description",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_mistake_names_the_file_and_the_field(case, tmp_path, specs):
    change, message = CASES[case]
    write(tmp_path, mutated(change))
    with pytest.raises(SpecError, match=message):
        registry(tmp_path, specs)


def test_two_models_with_the_same_name_or_registered_model_are_refused(tmp_path, specs):
    write(tmp_path / "a", VALID)
    write(tmp_path / "a", {**VALID, "name": "Orders"}, name="Orders")
    with pytest.raises(SpecError, match=r"two models named 'orders'"):
        registry(tmp_path / "a", specs)
    write(tmp_path / "b", {**VALID, "registered_model_name": "shared"})
    write(tmp_path / "b", {**VALID, "name": "other", "registered_model_name": "shared"})
    with pytest.raises(
        SpecError, match=r"field 'registered_model_name': 'shared' is also the registered model of"
    ):
        registry(tmp_path / "b", specs)


def test_a_changed_spec_is_refused_against_the_deployed_hash(tmp_path, specs):
    path = write(tmp_path, VALID)
    deployed = hashlib.sha256(path.read_bytes()).hexdigest()
    assert load_model(tmp_path, "orders", specs, sha256=deployed).name == "orders"
    write(tmp_path, mutated(lambda d: d["training"]["hyperparameters"].update(n_estimators=6)))
    with pytest.raises(Exception, match="the image and the deployed pipeline come from different commits"):
        load_model(tmp_path, "orders", specs, sha256=deployed)


def test_the_terraform_module_fixtures_are_valid_specs():
    """The Terraform tests' own fixture specs (modules' examples and tests, the environment root's test)
    stay valid platform specs."""
    from ml_platform.model_specs import ModelRegistry
    from ml_platform.specs import SpecRegistry
    from tests.conftest import REPO_ROOT

    modules = REPO_ROOT / "terraform" / "modules"
    groups = SpecRegistry.from_directory(modules / "feature_store" / "tests" / "fixtures")
    assert sorted(groups) == ["archive_only", "events_hourly"]
    models = ModelRegistry.from_directory(
        modules.parent / "staging" / "tests" / "fixtures" / "models", groups
    )
    assert list(models) == ["device-alerts"]
